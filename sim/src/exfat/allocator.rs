//! Which clusters are in use, how new ones are chosen, and who had each cluster last.
//!
//! The allocation state is the bitmap the volume will carry. Alongside it, every cluster
//! remembers the last file or folder that held it, so the truth record can say which deleted
//! files lost clusters to which later ones — from what the writer did, not from any reading
//! rule.

/// How free clusters are chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AllocationOrder {
    /// Continue after the last allocation, wrapping at the end of the heap (what cameras and
    /// most drivers do: freed space is reused only once the card has been filled).
    #[default]
    NextFit,
    /// Always the lowest free clusters (freed space is reused at once).
    FirstFit,
}

/// A run of contiguous clusters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// First cluster.
    pub start: u32,
    /// Number of clusters.
    pub len: u32,
}

/// Cluster allocation state of the heap.
pub struct Allocator {
    cluster_count: u32,
    /// Bit `c - 2`: cluster `c` in use.
    used: Vec<u64>,
    used_count: u64,
    /// Where the next search starts (next-fit).
    cursor: u32,
    order: AllocationOrder,
    /// For every cluster, 1 + the id of the last entry that held it (0: never held).
    last_owner: Vec<u32>,
}

impl Allocator {
    /// All clusters of a heap of `cluster_count` free.
    pub fn new(cluster_count: u32) -> Self {
        Self {
            cluster_count,
            used: vec![0; (cluster_count as usize).div_ceil(64)],
            used_count: 0,
            cursor: 2,
            order: AllocationOrder::NextFit,
            last_owner: vec![0; cluster_count as usize],
        }
    }

    /// Chooses how free clusters are picked from now on.
    pub fn set_order(&mut self, order: AllocationOrder) {
        self.order = order;
    }

    /// Clusters in use.
    pub fn used_clusters(&self) -> u64 {
        self.used_count
    }

    /// Whether `cluster` is in use.
    pub fn is_used(&self, cluster: u32) -> bool {
        let bit = cluster as usize - 2;
        self.used[bit / 64] & (1 << (bit % 64)) != 0
    }

    /// Marks a run used without an owner (the volume's own structures, or an adopted volume).
    pub fn mark_used(&mut self, run: Run) {
        for c in run.start..run.start + run.len {
            if !self.is_used(c) {
                let bit = c as usize - 2;
                self.used[bit / 64] |= 1 << (bit % 64);
                self.used_count += 1;
            }
        }
    }

    /// Takes a run for entry `owner` (`None`: the root folder); returns the entries that last
    /// held any of its clusters, with how many clusters each lost.
    pub fn take(&mut self, run: Run, owner: Option<usize>) -> Vec<(usize, u64)> {
        self.mark_used(run);
        let mut lost: Vec<(usize, u64)> = Vec::new();
        for c in run.start..run.start + run.len {
            let slot = &mut self.last_owner[c as usize - 2];
            if *slot != 0 && Some(*slot as usize - 1) != owner {
                let previous = *slot as usize - 1;
                match lost.iter_mut().find(|(id, _)| *id == previous) {
                    Some((_, n)) => *n += 1,
                    None => lost.push((previous, 1)),
                }
            }
            *slot = owner.map_or(0, |id| id as u32 + 1);
        }
        self.cursor = (run.start + run.len).min(self.cluster_count + 1);
        lost
    }

    /// Frees a run (its last owner is remembered).
    pub fn free(&mut self, run: Run) {
        for c in run.start..run.start + run.len {
            if self.is_used(c) {
                let bit = c as usize - 2;
                self.used[bit / 64] &= !(1 << (bit % 64));
                self.used_count -= 1;
            }
        }
    }

    /// The next free cluster at or after `from` (no wrapping).
    fn next_free(&self, from: u32) -> Option<u32> {
        let mut bit = from as u64 - 2;
        while bit < self.cluster_count as u64 {
            let word = !self.used[(bit / 64) as usize] >> (bit % 64);
            if word != 0 {
                let hit = bit + word.trailing_zeros() as u64;
                return (hit < self.cluster_count as u64).then_some(hit as u32 + 2);
            }
            bit = (bit / 64 + 1) * 64;
        }
        None
    }

    /// Length of the free run at `start`, up to `max`.
    fn free_run(&self, start: u32, max: u32) -> u32 {
        let mut len = 0;
        while len < max && start + len <= self.cluster_count + 1 && !self.is_used(start + len) {
            len += 1;
        }
        len
    }

    fn search_start(&self) -> u32 {
        match self.order {
            AllocationOrder::NextFit => self.cursor,
            AllocationOrder::FirstFit => 2,
        }
    }

    /// `n` contiguous free clusters (searching from the start point, then wrapping).
    pub fn find_contiguous(&self, n: u32) -> Option<Run> {
        let start = self.search_start();
        for (from, to) in [(start, self.cluster_count + 1), (2, start)] {
            let mut at = from;
            while at <= to {
                let Some(free) = self.next_free(at) else {
                    break;
                };
                if free > to {
                    break;
                }
                let len = self.free_run(free, n);
                if len == n {
                    return Some(Run {
                        start: free,
                        len: n,
                    });
                }
                at = free + len + 1;
            }
        }
        None
    }

    /// `n` free clusters in search order, as runs (a fragmented allocation when free space is).
    pub fn find_scattered(&self, n: u32) -> Option<Vec<Run>> {
        if (self.cluster_count as u64 - self.used_count) < n as u64 {
            return None;
        }
        let start = self.search_start();
        let mut runs: Vec<Run> = Vec::new();
        let mut left = n;
        for (from, to) in [
            (start, self.cluster_count + 1),
            (2, start.saturating_sub(1)),
        ] {
            let mut at = from;
            while left > 0 && at <= to {
                let Some(free) = self.next_free(at) else {
                    break;
                };
                if free > to {
                    break;
                }
                let len = self.free_run(free, left.min(to - free + 1));
                runs.push(Run { start: free, len });
                left -= len;
                at = free + len;
            }
        }
        (left == 0).then_some(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_fit_continues_and_first_fit_fills_holes() {
        let mut a = Allocator::new(100);
        let first = a.find_contiguous(10).unwrap();
        assert_eq!(first, Run { start: 2, len: 10 });
        a.take(first, Some(0));
        let second = a.find_contiguous(5).unwrap();
        a.take(second, Some(1));
        assert_eq!(second.start, 12);
        a.free(first);
        // Next-fit goes on after the last allocation; first-fit takes the hole.
        assert_eq!(a.find_contiguous(3).unwrap().start, 17);
        a.set_order(AllocationOrder::FirstFit);
        let reuse = a.find_contiguous(3).unwrap();
        assert_eq!(reuse.start, 2);
        assert_eq!(a.take(reuse, Some(2)), vec![(0, 3)]);
        // Scattered: the 7 free clusters of the hole, then after the second file.
        let runs = a.find_scattered(9).unwrap();
        assert_eq!(
            runs,
            vec![Run { start: 5, len: 7 }, Run { start: 17, len: 2 }]
        );
    }

    #[test]
    fn a_full_heap_has_no_room() {
        let mut a = Allocator::new(10);
        a.take(Run { start: 2, len: 10 }, Some(0));
        assert_eq!(a.find_contiguous(1), None);
        assert_eq!(a.find_scattered(1), None);
        a.free(Run { start: 4, len: 1 });
        a.free(Run { start: 9, len: 1 });
        assert_eq!(a.find_contiguous(2), None);
        assert_eq!(a.find_scattered(2).unwrap().len(), 2);
    }
}
