//! The FAT of an exFAT volume, read lazily, and the cluster chains it describes.
//!
//! Unlike FAT32, exFAT keeps allocation in the bitmap, and a file written in one piece carries
//! the NoFatChain flag and never touches the FAT. A card full of such recordings may have a FAT
//! that says almost nothing, so it is not read whole: chains are followed through the block
//! cache, a chunk of entries at a time, and a contiguous run costs one comparison per cluster.
//!
//! Walks are bounded three ways: by the clusters a size needs (or a folder's maximum), by a
//! volume-wide budget of clusters visited, and by a visited set that stops a chain the moment it
//! comes back to a cluster it already used.

use std::io::{self, Read, Seek};

use crate::block_reader::BlockReader;

use super::cluster_set::ClusterSet;

/// FAT entry marking the last cluster of a chain.
const END_OF_CHAIN: u32 = 0xFFFF_FFFF;
/// FAT entry marking a bad cluster.
const BAD_CLUSTER: u32 = 0xFFFF_FFF7;
/// Entries fetched per read while following a run.
const CHUNK_ENTRIES: usize = 2048;

/// A run of contiguous clusters: `start`, `start + 1`, … `start + len - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// First cluster of the run.
    pub start: u32,
    /// Number of clusters.
    pub len: u32,
}

/// How long a chain should be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainLength {
    /// Exactly this many clusters, ending with the end-of-chain mark (a file's allocation).
    Exactly(u64),
    /// Up to the end-of-chain mark, but no more than this many clusters (the root folder).
    AtMost(u64),
}

/// Why a chain walk stopped early or ran long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainProblem {
    /// The chain points at a cluster outside the heap (or at a reserved value).
    OutOfRange(u32),
    /// The chain reaches a FAT entry that was never written (0).
    Unset(u32),
    /// The chain runs into a cluster marked bad.
    Bad(u32),
    /// The chain comes back to a cluster it already used.
    Cycle(u32),
    /// The chain ends before the size is covered.
    Short {
        /// Clusters the size needs.
        needed: u64,
        /// Clusters the chain has.
        found: u64,
    },
    /// The chain goes on past the clusters the size needs.
    Long,
    /// The chain is longer than the most a folder may have.
    TooLong(u64),
    /// The FAT could not be read.
    Unreadable(String),
    /// The volume-wide budget of chain clusters is spent (only a hostile image gets here).
    BudgetSpent,
}

impl ChainProblem {
    /// The problem in plain words.
    pub fn describe(&self) -> String {
        match self {
            ChainProblem::OutOfRange(c) => {
                format!("its cluster chain points outside the volume (at {c:#x})")
            }
            ChainProblem::Unset(c) => {
                format!("its cluster chain breaks off: the FAT entry of cluster {c} is empty")
            }
            ChainProblem::Bad(c) => format!("its cluster chain runs into bad cluster {c}"),
            ChainProblem::Cycle(c) => {
                format!("its cluster chain loops back on itself (at cluster {c})")
            }
            ChainProblem::Short { needed, found } => format!(
                "its cluster chain ends early: {found} of the {needed} clusters its size needs"
            ),
            ChainProblem::Long => "its cluster chain is longer than its size needs".to_string(),
            ChainProblem::TooLong(max) => {
                format!("its cluster chain is longer than the {max} clusters a folder may have")
            }
            ChainProblem::Unreadable(e) => format!("its FAT entries cannot be read ({e})"),
            ChainProblem::BudgetSpent => "the volume's cluster chains add up to far more than the volume holds; this chain was not followed further".to_string(),
        }
    }
}

/// A walked chain: the runs found, and what went wrong if anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    /// The runs, in order, never repeating a cluster.
    pub runs: Vec<Run>,
    /// Set when the chain is damaged.
    pub problem: Option<ChainProblem>,
}

/// The allocation of a file whose NoFatChain flag is set: `needed` clusters from `first`.
pub fn contiguous(first: u32, needed: u64, max_cluster: u32) -> Chain {
    if needed == 0 {
        return Chain::default();
    }
    if first < 2 || first > max_cluster {
        return Chain {
            runs: Vec::new(),
            problem: Some(ChainProblem::OutOfRange(first)),
        };
    }
    let available = (max_cluster - first) as u64 + 1;
    let len = needed.min(available) as u32;
    Chain {
        runs: vec![Run { start: first, len }],
        problem: (needed > available).then_some(ChainProblem::Short {
            needed,
            found: available,
        }),
    }
}

/// The active FAT of a volume, and the state that keeps walks bounded.
pub struct Fat {
    /// Absolute offset of the active FAT in the image.
    start: u64,
    max_cluster: u32,
    /// Clusters a walk has visited, cleared after each walk (reused to avoid reallocation).
    visited: ClusterSet,
    /// Clusters all walks together may still visit.
    budget: u64,
    buffer: Vec<u8>,
}

impl Fat {
    /// The FAT at absolute offset `start` for a heap of `cluster_count` clusters, of which the
    /// first `tracked` can be reached (their FAT entries or data lie inside the image; beyond,
    /// every read fails, so no walk gets far). Walks together may visit `budget` clusters.
    pub fn new(start: u64, cluster_count: u32, tracked: u32, budget: u64) -> Self {
        Self {
            start,
            max_cluster: cluster_count + 1,
            visited: ClusterSet::new(tracked.min(cluster_count)),
            budget,
            buffer: Vec::new(),
        }
    }

    /// The raw FAT entry of `cluster` (which must be a heap cluster).
    pub fn entry<R: Read + Seek>(
        &mut self,
        reader: &mut BlockReader<R>,
        cluster: u32,
    ) -> io::Result<u32> {
        let mut le = [0u8; 4];
        reader.read_at(self.start + cluster as u64 * 4, &mut le)?;
        Ok(u32::from_le_bytes(le))
    }

    /// Reads the entries of `first..` (at most `count`, never past the heap) into the buffer.
    fn load<R: Read + Seek>(
        &mut self,
        reader: &mut BlockReader<R>,
        first: u32,
        count: u64,
    ) -> io::Result<usize> {
        let left = (self.max_cluster - first) as u64 + 1;
        let n = count.min(left).min(CHUNK_ENTRIES as u64) as usize;
        self.buffer.resize(n * 4, 0);
        reader.read_at(self.start + first as u64 * 4, &mut self.buffer)?;
        Ok(n)
    }

    /// Follows the chain from `first`. Never repeats a cluster, never exceeds `length`, and
    /// stops (with a problem) at the first damaged link.
    pub fn chain<R: Read + Seek>(
        &mut self,
        reader: &mut BlockReader<R>,
        first: u32,
        length: ChainLength,
    ) -> Chain {
        let mut chain = Chain::default();
        let (limit, exact) = match length {
            ChainLength::Exactly(n) => (n, true),
            ChainLength::AtMost(n) => (n, false),
        };
        if limit == 0 {
            return chain;
        }
        chain.problem = self.follow(reader, first, limit, exact, &mut chain.runs);
        for run in &chain.runs {
            self.visited.remove_range(run.start, run.len as u64);
        }
        chain
    }

    /// The chain [`Self::chain`] would find, without spending the budget: a look ahead (where
    /// a folder lies, to announce it) that leaves what the walk itself may visit unchanged.
    pub fn peek_chain<R: Read + Seek>(
        &mut self,
        reader: &mut BlockReader<R>,
        first: u32,
        length: ChainLength,
    ) -> Chain {
        let budget = self.budget;
        let chain = self.chain(reader, first, length);
        self.budget = budget;
        chain
    }

    fn follow<R: Read + Seek>(
        &mut self,
        reader: &mut BlockReader<R>,
        first: u32,
        limit: u64,
        exact: bool,
        runs: &mut Vec<Run>,
    ) -> Option<ChainProblem> {
        let mut taken = 0u64;
        let mut cluster = first;
        loop {
            if cluster < 2 || cluster > self.max_cluster {
                return Some(ChainProblem::OutOfRange(cluster));
            }
            // Scan the run that starts here: entries saying "next is the one after me".
            let start = cluster;
            let mut last = cluster;
            let mut link = None;
            'scan: while link.is_none() {
                let n = match self.load(reader, last, limit - taken) {
                    Ok(n) => n,
                    Err(e) => return Some(ChainProblem::Unreadable(e.to_string())),
                };
                for (i, entry) in self.buffer.chunks_exact(4).take(n).enumerate() {
                    let c = last + i as u32;
                    let mut le = [0u8; 4];
                    le.copy_from_slice(entry);
                    let value = u32::from_le_bytes(le);
                    taken += 1;
                    if taken == limit || value != c.wrapping_add(1) || c == self.max_cluster {
                        last = c;
                        link = Some(value);
                        break 'scan;
                    }
                }
                last += n as u32;
            }
            let len = last - start + 1;
            if let Some(seen) = self.visited.first_in(start, len as u64) {
                if seen > start {
                    self.record(runs, start, seen - start);
                }
                return Some(ChainProblem::Cycle(seen));
            }
            if self.budget < len as u64 {
                return Some(ChainProblem::BudgetSpent);
            }
            self.budget -= len as u64;
            self.record(runs, start, len);
            let value = link.unwrap_or(END_OF_CHAIN);
            if taken >= limit {
                return match (value, exact) {
                    (END_OF_CHAIN, _) => None,
                    (_, true) => Some(ChainProblem::Long),
                    (_, false) => Some(ChainProblem::TooLong(limit)),
                };
            }
            match value {
                END_OF_CHAIN => {
                    return exact.then_some(ChainProblem::Short {
                        needed: limit,
                        found: taken,
                    });
                }
                BAD_CLUSTER => return Some(ChainProblem::Bad(last)),
                0 => return Some(ChainProblem::Unset(last)),
                next => cluster = next,
            }
        }
    }

    fn record(&mut self, runs: &mut Vec<Run>, start: u32, len: u32) {
        self.visited.insert_range(start, len as u64);
        match runs.last_mut() {
            Some(prev) if prev.start as u64 + prev.len as u64 == start as u64 => prev.len += len,
            _ => runs.push(Run { start, len }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A FAT for 100 clusters at offset 0 with the given entries; the rest 0.
    fn fat(entries: &[(u32, u32)]) -> (BlockReader<Cursor<Vec<u8>>>, Fat) {
        let mut bytes = vec![0u8; 102 * 4];
        for &(c, v) in entries {
            bytes[c as usize * 4..c as usize * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        (
            BlockReader::new(Cursor::new(bytes)).unwrap(),
            Fat::new(0, 100, 100, 10_000),
        )
    }

    #[test]
    fn runs_and_jumps_are_followed_to_the_end_mark() {
        let (mut r, mut f) = fat(&[(10, 11), (11, 12), (12, 40), (40, 41), (41, END_OF_CHAIN)]);
        let chain = f.chain(&mut r, 10, ChainLength::Exactly(5));
        assert_eq!(chain.problem, None);
        assert_eq!(
            chain.runs,
            vec![Run { start: 10, len: 3 }, Run { start: 40, len: 2 }]
        );
        assert_eq!(
            f.chain(&mut r, 10, ChainLength::Exactly(4)).problem,
            Some(ChainProblem::Long)
        );
        assert_eq!(
            f.chain(&mut r, 10, ChainLength::Exactly(7)).problem,
            Some(ChainProblem::Short {
                needed: 7,
                found: 5
            })
        );
        assert_eq!(f.chain(&mut r, 10, ChainLength::AtMost(100)).runs.len(), 2);
    }

    #[test]
    fn cycles_stop_at_the_repeated_cluster() {
        let (mut r, mut f) = fat(&[(10, 11), (11, 12), (12, 11)]);
        let chain = f.chain(&mut r, 10, ChainLength::AtMost(1000));
        assert_eq!(chain.problem, Some(ChainProblem::Cycle(11)));
        assert_eq!(chain.runs, vec![Run { start: 10, len: 3 }]);
        // The visited set is clean for the next walk.
        let again = f.chain(&mut r, 10, ChainLength::AtMost(1000));
        assert_eq!(again, chain);
    }

    #[test]
    fn broken_links_are_named() {
        let (mut r, mut f) = fat(&[(10, 0x1234_5678), (20, BAD_CLUSTER), (30, 31)]);
        assert_eq!(
            f.chain(&mut r, 10, ChainLength::Exactly(3)).problem,
            Some(ChainProblem::OutOfRange(0x1234_5678))
        );
        assert_eq!(
            f.chain(&mut r, 20, ChainLength::Exactly(3)).problem,
            Some(ChainProblem::Bad(20))
        );
        assert_eq!(
            f.chain(&mut r, 30, ChainLength::Exactly(3)).problem,
            Some(ChainProblem::Unset(31))
        );
        assert_eq!(
            f.chain(&mut r, 500, ChainLength::Exactly(1)).problem,
            Some(ChainProblem::OutOfRange(500))
        );
    }

    #[test]
    fn the_last_cluster_of_the_heap_cannot_run_on() {
        // Cluster 101 is the last; an entry pointing to 102 is out of range, not a run.
        let (mut r, mut f) = fat(&[(100, 101), (101, 102)]);
        let chain = f.chain(&mut r, 100, ChainLength::Exactly(3));
        assert_eq!(chain.problem, Some(ChainProblem::OutOfRange(102)));
        assert_eq!(chain.runs, vec![Run { start: 100, len: 2 }]);
    }

    #[test]
    fn the_budget_bounds_all_walks_together() {
        let (mut r, _) = fat(&[(10, 11), (11, END_OF_CHAIN)]);
        let mut f = Fat::new(0, 100, 100, 3);
        assert_eq!(f.chain(&mut r, 10, ChainLength::Exactly(2)).problem, None);
        assert_eq!(
            f.chain(&mut r, 10, ChainLength::Exactly(2)).problem,
            Some(ChainProblem::BudgetSpent)
        );
    }

    #[test]
    fn a_contiguous_allocation_is_clipped_to_the_heap() {
        assert_eq!(contiguous(95, 3, 101).runs, vec![Run { start: 95, len: 3 }]);
        let clipped = contiguous(100, 5, 101);
        assert_eq!(clipped.runs, vec![Run { start: 100, len: 2 }]);
        assert!(matches!(clipped.problem, Some(ChainProblem::Short { .. })));
        assert!(contiguous(1, 1, 101).problem.is_some());
    }
}
