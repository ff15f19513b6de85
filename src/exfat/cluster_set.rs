//! One bit per cluster of the heap, handled a 64-bit word at a time.
//!
//! The allocation bitmap, the clusters live files claim (to catch cross-links) and the clusters a
//! chain walk has visited (to catch cycles) are all sets of clusters. A 512 GiB card with 128 KiB
//! clusters has 4 million of them, so every range operation works on whole words: counting the
//! free clusters of such a card is 65,536 `count_ones` calls, not 4 million bit tests.

/// A set of cluster numbers `2..=cluster_count + 1` (exFAT's first heap cluster is 2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterSet {
    words: Vec<u64>,
    cluster_count: u32,
}

impl ClusterSet {
    /// An empty set for a heap of `cluster_count` clusters.
    pub fn new(cluster_count: u32) -> Self {
        Self {
            words: vec![0; (cluster_count as usize).div_ceil(64)],
            cluster_count,
        }
    }

    /// The set an on-disk bitmap describes: bit `i` (lowest bit of the first byte first) is
    /// cluster `i + 2`. Bits past `cluster_count` are ignored; the set only holds the clusters
    /// the bytes describe (so its memory follows the bytes read, not a claimed count).
    pub fn from_bitmap_bytes(bytes: &[u8], cluster_count: u32) -> Self {
        let described = (bytes.len() as u64 * 8).min(cluster_count as u64) as u32;
        let mut set = Self::new(described);
        let mut chunks = bytes.chunks_exact(8);
        for (word, chunk) in set.words.iter_mut().zip(&mut chunks) {
            let mut le = [0u8; 8];
            le.copy_from_slice(chunk);
            *word = u64::from_le_bytes(le);
        }
        let full = bytes.len() / 8;
        if let Some(word) = set.words.get_mut(full) {
            let mut le = [0u8; 8];
            for (slot, &b) in le.iter_mut().zip(chunks.remainder()) {
                *slot = b;
            }
            *word = u64::from_le_bytes(le);
        }
        // Bits beyond the heap are not clusters.
        let tail = described % 64;
        if tail != 0
            && let Some(last) = set.words.last_mut()
        {
            *last &= (1u64 << tail) - 1;
        }
        set
    }

    /// Adds `len` clusters from `start` (the part inside the heap).
    pub fn insert_range(&mut self, start: u32, len: u64) {
        self.update_range(start, len, |word, mask| *word |= mask);
    }

    /// Removes `len` clusters from `start` (the part inside the heap).
    pub fn remove_range(&mut self, start: u32, len: u64) {
        self.update_range(start, len, |word, mask| *word &= !mask);
    }

    /// The first cluster of `start..start + len` in the set.
    pub fn first_in(&self, start: u32, len: u64) -> Option<u32> {
        self.scan_range(start, len, |word| word)
    }

    /// The first cluster of `start..start + len` (inside the heap) not in the set.
    pub fn first_missing_in(&self, start: u32, len: u64) -> Option<u32> {
        self.scan_range(start, len, |word| !word)
    }

    /// Number of clusters in the set.
    pub fn count(&self) -> u64 {
        self.words.iter().map(|w| w.count_ones() as u64).sum()
    }

    /// The bit range `start..end` of `start..start + len`, clipped to the heap.
    fn bit_range(&self, start: u32, len: u64) -> Option<(u64, u64)> {
        let first = (start as u64).max(2) - 2;
        let end = (start as u64)
            .saturating_add(len)
            .saturating_sub(2)
            .min(self.cluster_count as u64);
        (first < end).then_some((first, end))
    }

    fn update_range(&mut self, start: u32, len: u64, apply: impl Fn(&mut u64, u64)) {
        let Some((mut bit, end)) = self.bit_range(start, len) else {
            return;
        };
        while bit < end {
            let within = bit % 64;
            let span = (64 - within).min(end - bit);
            let mask = if span == 64 {
                u64::MAX
            } else {
                ((1u64 << span) - 1) << within
            };
            match self.words.get_mut((bit / 64) as usize) {
                Some(word) => apply(word, mask),
                None => return,
            }
            bit += span;
        }
    }

    /// The first cluster in range whose bit, after `view`, is set.
    fn scan_range(&self, start: u32, len: u64, view: impl Fn(u64) -> u64) -> Option<u32> {
        let (mut bit, end) = self.bit_range(start, len)?;
        while bit < end {
            let within = bit % 64;
            let word = view(*self.words.get((bit / 64) as usize)?) >> within;
            if word != 0 {
                let hit = bit + word.trailing_zeros() as u64;
                return (hit < end).then(|| (hit + 2) as u32);
            }
            bit = (bit / 64 + 1) * 64;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(set: &ClusterSet, cluster: u32) -> bool {
        set.first_in(cluster, 1) == Some(cluster)
    }

    #[test]
    fn ranges_cross_word_boundaries() {
        let mut set = ClusterSet::new(300);
        set.insert_range(60, 10);
        assert!(!has(&set, 59) && has(&set, 60) && has(&set, 69) && !has(&set, 70));
        assert_eq!(set.count(), 10);
        assert_eq!(set.first_in(2, 300), Some(60));
        assert_eq!(set.first_in(70, 100), None);
        assert_eq!(set.first_missing_in(60, 20), Some(70));
        assert_eq!(set.first_missing_in(60, 10), None);
        set.remove_range(62, 3);
        assert_eq!(set.count(), 7);
        assert_eq!(set.first_missing_in(60, 10), Some(62));
    }

    #[test]
    fn clusters_outside_the_heap_are_ignored() {
        let mut set = ClusterSet::new(100);
        set.insert_range(0, 1000);
        assert_eq!(set.count(), 100);
        assert!(!has(&set, 0) && !has(&set, 1) && !has(&set, 102));
        assert!(has(&set, 2) && has(&set, 101));
        assert_eq!(set.first_missing_in(95, u64::MAX), None);
    }

    #[test]
    fn a_bitmap_is_read_lowest_bit_first_and_clipped_to_the_heap() {
        // Clusters 2 and 11 used; a last byte full of stray bits past the 12-cluster heap.
        let set = ClusterSet::from_bitmap_bytes(&[0b0000_0001, 0b1111_0010], 12);
        assert!(has(&set, 2) && has(&set, 11) && !has(&set, 3));
        assert_eq!(set.count(), 2);
        // A bitmap shorter than the heap leaves the rest out.
        let short = ClusterSet::from_bitmap_bytes(&[0xFF; 9], 1000);
        assert_eq!(short.count(), 72);
    }
}
