//! Cross-links: two live entries claiming the same cluster, which a healthy FAT never has
//! (one of them is damaged). Every run claimed is remembered with its owner, so both sides
//! can be named.

use super::Entry;
use super::table::{ClusterBits, Run};

/// The clusters claimed so far by live files and folders, and by whom.
pub struct ClaimedClusters {
    claimed: ClusterBits,
    /// Every claimed run and the index of the entry that claimed it.
    owners: Vec<(Run, usize)>,
}

impl ClaimedClusters {
    /// Nothing claimed yet on a volume whose highest cluster is `max_cluster`.
    pub fn new(max_cluster: u32) -> Self {
        Self {
            claimed: ClusterBits::new(max_cluster),
            owners: Vec::new(),
        }
    }

    /// Marks `runs` as used by the volume itself (the FAT32 root folder): a file claiming
    /// them is cross-linked, with nobody to name on the other side.
    pub fn reserve(&mut self, runs: &[Run]) {
        for run in runs {
            self.claimed.set_range(run.start, run.start + run.len - 1);
        }
    }

    /// Marks `runs` as used by `entries[index]`, warning on both entries where another entry
    /// already used them.
    pub fn claim(&mut self, runs: &[Run], index: usize, entries: &mut [Entry]) {
        for run in runs {
            let end = run.start + run.len - 1;
            if let Some(hit) = self.claimed.first_set_in(run.start, end) {
                let other = self
                    .owners
                    .iter()
                    .find(|(r, _)| r.start <= hit && hit < r.start + r.len)
                    .map(|(_, i)| *i);
                if other == Some(index) {
                    // Its own chain came back: a loop, not a second owner.
                    let w = format!(
                        "its cluster chain comes back to cluster {hit}, which it already uses (a loop): its bytes cannot be read as they were"
                    );
                    if !entries[index].warnings.contains(&w) {
                        entries[index].warnings.push(w);
                    }
                } else if let Some(other) = other {
                    let (a, b) = (entries[other].path.clone(), entries[index].path.clone());
                    entries[index].warnings.push(format!(
                        "shares cluster {hit} with {a} (cross-linked): one of them is damaged"
                    ));
                    entries[other].warnings.push(format!(
                        "shares cluster {hit} with {b} (cross-linked): one of them is damaged"
                    ));
                }
            }
            self.claimed.set_range(run.start, end);
            self.owners.push((*run, index));
        }
    }
}
