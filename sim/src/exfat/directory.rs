//! A folder as the writer keeps it until `finish`: its clusters, and its 32-byte slots with
//! who holds each one.
//!
//! A new entry set takes the first run of free slots — never-used ones past the end, or the
//! slots of deleted sets, as exFAT drivers reuse them — and the folder grows by a cluster when
//! the run reaches past its last one. A camera folder of 10,000 clips spans several clusters.

use std::collections::HashMap;

use super::entries::RawEntry;

/// Who holds a slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// A volume entry of the root (label, bitmap, up-case table) or one adopted as found.
    Volume,
    /// A live entry set (the writer's entry id).
    Live(usize),
    /// What is left of a deleted entry set: free for reuse.
    Deleted(usize),
}

/// One 32-byte slot.
#[derive(Clone, Debug)]
pub struct Slot {
    /// Its bytes.
    pub raw: RawEntry,
    /// Who holds it.
    pub holder: Holder,
}

/// A folder being written.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    /// "/"-separated path ("" for the root).
    pub path: String,
    /// Its clusters, in chain order.
    pub clusters: Vec<u32>,
    /// Slots in use or once used; everything past them is zero (end of directory).
    pub slots: Vec<Slot>,
    /// The folder's own entry id (None for the root).
    pub entry: Option<usize>,
    /// Live children by up-cased name.
    pub names: HashMap<Vec<u16>, usize>,
    /// No deleted slot lies before this index.
    reusable_from: usize,
}

impl Directory {
    /// A folder at `path` with its first cluster.
    pub fn new(path: String, first_cluster: u32, entry: Option<usize>) -> Self {
        Self {
            path,
            clusters: vec![first_cluster],
            entry,
            ..Self::default()
        }
    }

    /// Where a set of `n` entries goes: the first run of deleted slots long enough (when
    /// `reuse`), else the end.
    pub fn find_slots(&mut self, n: usize, reuse: bool) -> usize {
        if !reuse {
            return self.slots.len();
        }
        let mut run_start = None;
        let mut first_deleted = None;
        for i in self.reusable_from..self.slots.len() {
            if matches!(self.slots[i].holder, Holder::Deleted(_)) {
                first_deleted.get_or_insert(i);
                let start = *run_start.get_or_insert(i);
                if i + 1 - start == n {
                    self.reusable_from = first_deleted.unwrap_or(start);
                    return start;
                }
            } else {
                run_start = None;
            }
        }
        self.reusable_from = first_deleted.unwrap_or(self.slots.len());
        // A run of deleted slots at the very end continues into never-used ones.
        run_start.unwrap_or(self.slots.len())
    }

    /// Puts `set` at slot `at` for `holder`; returns the ids of deleted sets it overwrote.
    pub fn place(&mut self, at: usize, set: &[RawEntry], holder: Holder) -> Vec<usize> {
        let mut overwritten = Vec::new();
        for (k, raw) in set.iter().enumerate() {
            let slot = Slot { raw: *raw, holder };
            match self.slots.get_mut(at + k) {
                Some(old) => {
                    if let Holder::Deleted(id) = old.holder
                        && !overwritten.contains(&id)
                    {
                        overwritten.push(id);
                    }
                    *old = slot;
                }
                None => self.slots.push(slot),
            }
        }
        overwritten
    }

    /// Marks the set at `at..at + n` deleted: InUse bits cleared, slots free for reuse.
    pub fn delete(&mut self, at: usize, n: usize, id: usize) {
        for slot in self.slots.iter_mut().skip(at).take(n) {
            slot.raw[0] &= 0x7F;
            slot.holder = Holder::Deleted(id);
        }
        self.reusable_from = self.reusable_from.min(at);
    }

    /// The folder's bytes: every slot, then zeros to the end of its last cluster.
    pub fn bytes(&self, cluster_bytes: usize) -> Vec<u8> {
        let mut out = vec![0u8; self.clusters.len() * cluster_bytes];
        for (chunk, slot) in out.chunks_exact_mut(32).zip(&self.slots) {
            chunk.copy_from_slice(&slot.raw);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_slots_are_reused_first_fit() {
        let mut d = Directory::new(String::new(), 10, None);
        let set = |k: u8| vec![[k; 32]; 3];
        for id in 0..3 {
            let at = d.find_slots(3, true);
            assert_eq!(at, id * 3);
            d.place(at, &set(id as u8 + 1), Holder::Live(id));
        }
        d.delete(0, 3, 0);
        d.delete(6, 3, 2);
        // A set of 4 does not fit the first hole; it takes the last hole and runs on.
        let at = d.find_slots(4, true);
        assert_eq!(at, 6);
        assert_eq!(d.place(at, &[[9; 32]; 4], Holder::Live(3)), vec![2]);
        assert_eq!(d.slots.len(), 10);
        // A set of 2 takes the start of the first hole, leaving debris behind it.
        assert_eq!(d.find_slots(2, true), 0);
        assert_eq!(d.slots[0].raw[0], 1 & 0x7F);
        assert_eq!(d.find_slots(2, false), 10);
    }
}
