//! The allocation bitmap: exFAT's record of which clusters are in use.
//!
//! On FAT the table itself says a cluster is free (entry 0); on exFAT only this bitmap does —
//! the FAT is left stale for freed clusters and never written for contiguous files. So free
//! space is counted here, word by word, and a deleted file is recoverable exactly when the bits
//! of its clusters are still clear.

use super::cluster_set::ClusterSet;

/// The clusters the active allocation bitmap marks as in use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllocationBitmap {
    allocated: ClusterSet,
    /// Clusters the bitmap describes, from cluster 2: all of them unless it is short.
    covered: u32,
}

impl AllocationBitmap {
    /// Bytes a bitmap for `cluster_count` clusters needs.
    pub fn bytes_needed(cluster_count: u32) -> u64 {
        (cluster_count as u64).div_ceil(8)
    }

    /// The bitmap stored in `bytes` for a heap of `cluster_count` clusters. A bitmap shorter
    /// than the heap says nothing about the clusters past its end; they count as in use (never
    /// free space, never recoverable).
    pub fn from_bytes(bytes: &[u8], cluster_count: u32) -> Self {
        let covered = (bytes.len() as u64 * 8).min(cluster_count as u64) as u32;
        Self {
            allocated: ClusterSet::from_bitmap_bytes(bytes, cluster_count),
            covered,
        }
    }

    /// A bitmap that knows nothing: every cluster counts as in use.
    pub fn unknown() -> Self {
        Self {
            allocated: ClusterSet::new(0),
            covered: 0,
        }
    }

    /// Clusters marked free.
    pub fn free_clusters(&self) -> u64 {
        self.covered as u64 - self.allocated.count()
    }

    /// Whether every cluster of `start..start + len` is described and free.
    pub fn all_free(&self, start: u32, len: u64) -> bool {
        self.describes(start, len) && self.allocated.first_in(start, len).is_none()
    }

    /// The first cluster of `start..start + len` marked free (described clusters only).
    pub fn first_free_in(&self, start: u32, len: u64) -> Option<u32> {
        let end = (start as u64)
            .saturating_add(len)
            .min(self.covered as u64 + 2);
        let len = end.saturating_sub(start as u64);
        self.allocated.first_missing_in(start, len)
    }

    fn describes(&self, start: u32, len: u64) -> bool {
        start >= 2
            && (start as u64)
                .checked_add(len)
                .is_some_and(|end| end <= self.covered as u64 + 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_and_ranges() {
        // 20 clusters; clusters 2–4 and 12 in use.
        let b = AllocationBitmap::from_bytes(&[0b0000_0111, 0b0000_0100, 0], 20);
        assert_eq!(b.free_clusters(), 16);
        assert!(!b.all_free(3, 1) && b.all_free(5, 1) && !b.all_free(12, 1));
        assert!(b.all_free(5, 7) && !b.all_free(5, 8));
        assert_eq!(b.first_free_in(2, 10), Some(5));
        assert!(!b.all_free(20, 5), "past the heap");
    }

    #[test]
    fn a_short_bitmap_leaves_the_rest_in_use() {
        let b = AllocationBitmap::from_bytes(&[0, 0], 100);
        assert_eq!(b.free_clusters(), 16);
        assert!(b.all_free(17, 1) && !b.all_free(18, 1));
        assert!(b.all_free(2, 16) && !b.all_free(2, 17));
        assert_eq!(b.first_free_in(18, 10), None);
        let none = AllocationBitmap::unknown();
        assert_eq!(none.free_clusters(), 0);
        assert!(!none.all_free(2, 1));
    }
}
