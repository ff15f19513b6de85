//! The loop's queue: which recordings the camera deletes, in its order, and what each one's
//! deletion frees.
//!
//! First generation: every dated loop-pool recording, oldest start first; each frees its own
//! clusters. Newer cameras (`SvcStgMonitor.c:383-425`, `AmbaDCF_Dashcam.c:220-295,1209-1266`):
//! only `/video` clips, in file-name order (the UTC stamp, then the camera letter — a stale
//! stamp sorts where its name puts it, whatever the clip's true start), skipping read-only
//! (locked) clips; each frees its clusters and its sidecars'. The `sos` and `photo` folders are
//! never cleaned.

use crate::catalog::Catalog;
use crate::catalog::bounds::counted_bytes;
use crate::catalog::classify::{FileKind, Pool};
use crate::listing::Listing;

use super::overwrite::Protection;
use super::space::round_up;

/// The loop's queue and what stays out of it.
pub(super) struct LoopQueue {
    /// Files in deletion order, each with the bytes (cluster-rounded) its deletion frees.
    pub order: Vec<(usize, u64)>,
    /// Recordings the camera never deletes, and why.
    pub protected: Vec<(usize, Protection)>,
    /// Files whose space the loop takes back (queued clips and their sidecars).
    pub in_loop: Vec<bool>,
}

/// The queue of the card `listing` and `catalog` describe; `newer` selects the newer cameras'
/// rules, `unit` is the allocation unit.
pub(super) fn of(listing: &Listing, catalog: &Catalog, newer: bool, unit: u64) -> LoopQueue {
    let n = listing.files.len().min(catalog.files.len());
    let mut queue = LoopQueue {
        order: Vec::new(),
        protected: Vec::new(),
        in_loop: vec![false; n],
    };
    let live = |i: usize| !listing.files[i].deleted;
    let name = |i: usize| {
        let path = &listing.files[i].path;
        path.rsplit('/').next().unwrap_or(path).to_ascii_uppercase()
    };
    for i in (0..n).filter(|&i| live(i)) {
        let f = &catalog.files[i];
        let l = &listing.files[i];
        if newer {
            let kept = f.pool == Some(Pool::Sos) || f.kind == FileKind::Photo;
            if kept && (f.kind.is_recording() || f.kind == FileKind::Photo) {
                queue.protected.push((i, Protection::KeptFolder));
                continue;
            }
            if f.kind != FileKind::Drive || f.pool != Some(Pool::Loop) {
                continue;
            }
            if l.read_only {
                queue.protected.push((i, Protection::Locked));
                continue;
            }
            let sidecars: u64 = f
                .sidecars
                .iter()
                .filter(|&&s| live(s))
                .map(|&s| round_up(counted_bytes(&listing.files[s], &catalog.files[s]), unit))
                .sum();
            queue.order.push((
                i,
                round_up(counted_bytes(l, f), unit).saturating_add(sidecars),
            ));
            queue.in_loop[i] = true;
            for &s in &f.sidecars {
                if let Some(slot) = queue.in_loop.get_mut(s) {
                    *slot = true;
                }
            }
        } else if f.kind.is_recording() && f.pool == Some(Pool::Loop) && f.start.is_some() {
            queue.order.push((i, round_up(counted_bytes(l, f), unit)));
            queue.in_loop[i] = true;
        }
    }
    if newer {
        crate::sort::sort_by_key(&mut queue.order, |&(i, _)| (name(i), i));
    } else {
        crate::sort::sort_by(&mut queue.order, |&(a, _), &(b, _)| {
            let key = |i: usize| (catalog.files[i].start, &listing.files[i].path);
            key(a).cmp(&key(b))
        });
    }
    queue
}
