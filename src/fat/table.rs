//! The file allocation table, read once in a few large calls and kept compactly.
//!
//! A dash cam writes its recordings almost always contiguously, so for nearly every cluster
//! the FAT says "next is the one after me". Only the exceptions (chain ends, jumps, bad or
//! damaged entries) are kept, sorted, beside one bit per cluster saying "free". That is a few
//! MiB for a 256 GB card, chain walks cost O(fragments), and free space comes from the same
//! pass — counted from the FAT itself, never trusted from FSInfo.

use std::collections::HashSet;
use std::io::{self, Read, Seek};

use crate::block_reader::BlockReader;

use super::boot_sector::{FatType, Geometry};

/// Marker values in the exceptions table.
const END: u32 = u32::MAX;
const BAD: u32 = u32::MAX - 1;

/// What the FAT says follows a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// The chain continues at this cluster.
    Next(u32),
    /// The chain ends here.
    End,
    /// The cluster is free (a chain running into it is broken).
    Free,
    /// The cluster is marked bad.
    Bad,
    /// The entry points outside the data region (or is a reserved value).
    Invalid(u32),
}

/// A run of contiguous clusters: `start`, `start + 1`, … `start + len - 1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    /// First cluster of the run.
    pub start: u32,
    /// Number of clusters.
    pub len: u32,
}

/// Why a chain walk stopped early or ran long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainProblem {
    /// The chain points at a cluster outside the data region.
    OutOfRange(u32),
    /// The chain runs into a cluster the FAT marks free.
    IntoFree(u32),
    /// The chain runs into a cluster marked bad.
    IntoBad(u32),
    /// The chain comes back to a cluster it already used.
    Cycle(u32),
    /// The chain ends before the file's size is covered.
    Short {
        /// Clusters the size needs.
        needed: u64,
        /// Clusters the chain has.
        found: u64,
    },
    /// The chain goes on past the clusters the file's size needs.
    Long,
}

impl ChainProblem {
    /// The problem in plain words.
    pub fn describe(&self) -> String {
        match self {
            ChainProblem::OutOfRange(c) => {
                format!("its cluster chain points outside the volume (cluster {c})")
            }
            ChainProblem::IntoFree(c) => {
                format!("its cluster chain runs into free cluster {c}")
            }
            ChainProblem::IntoBad(c) => format!("its cluster chain runs into bad cluster {c}"),
            ChainProblem::Cycle(c) => {
                format!("its cluster chain loops back on itself (at cluster {c})")
            }
            ChainProblem::Short { needed, found } => format!(
                "its cluster chain ends early: {found} of the {needed} clusters its size needs"
            ),
            ChainProblem::Long => "its cluster chain is longer than its size needs".to_string(),
        }
    }
}

/// A walked chain: the runs found, and what went wrong if anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    /// The runs, in file order.
    pub runs: Vec<Run>,
    /// Set when the chain is damaged.
    pub problem: Option<ChainProblem>,
}

impl Chain {
    /// Total clusters in the runs.
    pub fn clusters(&self) -> u64 {
        self.runs.iter().map(|r| r.len as u64).sum()
    }
}

/// One bit per cluster, for "free" and "claimed by a file" maps.
#[derive(Clone, Debug)]
pub struct ClusterBits {
    words: Vec<u64>,
}

impl ClusterBits {
    /// A map for clusters `0..=max`, all clear.
    pub fn new(max: u32) -> Self {
        Self {
            words: vec![0; (max as usize + 64) / 64],
        }
    }

    /// Whether cluster `c` is set.
    pub fn get(&self, c: u32) -> bool {
        self.words
            .get(c as usize / 64)
            .is_some_and(|w| w & (1 << (c % 64)) != 0)
    }

    /// Sets cluster `c`.
    pub fn set(&mut self, c: u32) {
        if let Some(w) = self.words.get_mut(c as usize / 64) {
            *w |= 1 << (c % 64);
        }
    }

    /// The first set cluster in `start..=end`, word by word.
    pub fn first_set_in(&self, start: u32, end: u32) -> Option<u32> {
        let mut c = start as u64;
        let end = end as u64;
        while c <= end {
            let word = *self.words.get((c / 64) as usize)?;
            let masked = word >> (c % 64);
            if masked != 0 {
                let hit = c + masked.trailing_zeros() as u64;
                return (hit <= end).then_some(hit as u32);
            }
            c = (c / 64 + 1) * 64;
        }
        None
    }

    /// Sets every cluster of `start..=end`.
    pub fn set_range(&mut self, start: u32, end: u32) {
        let mut c = start as u64;
        let end = end as u64;
        while c <= end {
            let bit = c % 64;
            let span = (64 - bit).min(end - c + 1);
            let mask = if span == 64 {
                u64::MAX
            } else {
                ((1u64 << span) - 1) << bit
            };
            match self.words.get_mut((c / 64) as usize) {
                Some(w) => *w |= mask,
                None => return,
            }
            c += span;
        }
    }
}

/// FAT32 entries checked together by [`contiguous_block`].
const CONTIGUOUS_BLOCK: usize = 16;

/// Two FAT32 entries as one little-endian word, their 28 bits each (the top 4 are reserved).
const PAIR_MASK: u64 = 0x0FFF_FFFF_0FFF_FFFF;

/// Whether `block` ([`CONTIGUOUS_BLOCK`] FAT32 entries, from cluster `c`) says "next is the one
/// after me" for every entry: the common case on a camera's card, where nothing is to be noted.
/// Written branch-free over the whole block, two entries a 64-bit word, so that it compiles to
/// a few vector compares natively and to half as many operations in WebAssembly (which has no
/// vectors here): a 256 GB card's FAT has 8 million entries.
fn contiguous_block(block: &[u8], c: u32) -> bool {
    if block.len() != CONTIGUOUS_BLOCK * 4 {
        return false;
    }
    // Entry k of the block should read c + k + 1; a pair (k, k + 1) reads both at once.
    let first = c.wrapping_add(1) as u64 | (c.wrapping_add(2) as u64) << 32;
    let mut differ = 0u64;
    for (k, bytes) in block.chunks_exact(8).enumerate() {
        let word = <[u8; 8]>::try_from(bytes).unwrap_or_default();
        let step = 2 * k as u64;
        let expected = first.wrapping_add(step | step << 32);
        differ |= (u64::from_le_bytes(word) & PAIR_MASK) ^ expected;
    }
    differ == 0
}

/// Whether every entry of `block` ([`CONTIGUOUS_BLOCK`] FAT32 entries) is free (0), branch-free
/// two entries a word as [`contiguous_block`].
fn free_block(block: &[u8]) -> bool {
    if block.len() != CONTIGUOUS_BLOCK * 4 {
        return false;
    }
    let mut set = 0u64;
    for bytes in block.chunks_exact(8) {
        let word = <[u8; 8]>::try_from(bytes).unwrap_or_default();
        set |= u64::from_le_bytes(word) & PAIR_MASK;
    }
    set == 0
}

/// The FAT, compactly: free bits plus the entries that are not "next = this + 1".
pub struct FatTable {
    /// FAT entries 0 and 1 as stored (reserved: media byte and volume flags).
    head: [u32; 2],
    max_cluster: u32,
    free: ClusterBits,
    free_count: u32,
    /// Sorted by cluster: (cluster, next), with END and BAD markers.
    exceptions: Vec<(u32, u32)>,
}

impl FatTable {
    /// Reads the FAT copy in use ([`Geometry::active_fat`]: the first, unless FAT32 mirroring
    /// is off) of the volume at `volume_offset` in direct reads of the reader's
    /// [`BlockReader::bulk_read_bytes`] (by default a few large ones).
    pub fn read<R: Read + Seek>(
        reader: &mut BlockReader<R>,
        volume_offset: u64,
        geometry: &Geometry,
    ) -> io::Result<Self> {
        let max_cluster = geometry.max_cluster();
        let entry_bits: u64 = match geometry.fat_type {
            FatType::Fat12 => 12,
            FatType::Fat16 => 16,
            FatType::Fat32 => 32,
        };
        let needed_bytes = ((max_cluster as u64 + 1) * entry_bits).div_ceil(8);
        let fat_start = volume_offset + geometry.active_fat_offset();
        let mut table = FatTable {
            head: [0; 2],
            max_cluster,
            free: ClusterBits::new(max_cluster),
            free_count: 0,
            exceptions: Vec::new(),
        };
        match geometry.fat_type {
            FatType::Fat12 => {
                // At most 6 KiB: read whole.
                let mut fat = vec![0u8; needed_bytes as usize];
                reader.read_direct(fat_start, &mut fat)?;
                table.head = [
                    u16::from_le_bytes([fat[0], fat[1]]) as u32 & 0x0FFF,
                    u16::from_le_bytes([fat[1], fat[2]]) as u32 >> 4,
                ];
                for c in 2..=max_cluster {
                    let at = c as usize * 3 / 2;
                    let pair = u16::from_le_bytes([fat[at], fat[at + 1]]);
                    let v = if c % 2 == 0 { pair & 0x0FFF } else { pair >> 4 };
                    table.note(c, v as u32, 0x0FF7);
                }
            }
            FatType::Fat16 | FatType::Fat32 => {
                let entry = (entry_bits / 8) as usize;
                let mut offset = 0u64;
                let mut buf = Vec::new();
                // Whole entries in each piece.
                let chunk = (reader.bulk_read_bytes() as u64 / 4 * 4).max(4);
                while offset < needed_bytes {
                    let len = (needed_bytes - offset).min(chunk) as usize;
                    buf.resize(len, 0);
                    reader.read_direct(fat_start + offset, &mut buf)?;
                    if offset == 0 {
                        let word = |i: usize| match buf.get(i * entry..(i + 1) * entry) {
                            Some(&[a, b]) => u16::from_le_bytes([a, b]) as u32,
                            Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]),
                            _ => 0,
                        };
                        table.head = [word(0), word(1)];
                    }
                    let first = offset / entry as u64;
                    if entry == 4 {
                        table.note_fat32(first, &buf);
                        offset += len as u64;
                        continue;
                    }
                    for (i, bytes) in buf.chunks_exact(entry).enumerate() {
                        let c = first + i as u64;
                        if c < 2 || c > max_cluster as u64 {
                            continue;
                        }
                        if entry == 2 {
                            table.note(
                                c as u32,
                                u16::from_le_bytes([bytes[0], bytes[1]]) as u32,
                                0xFFF7,
                            );
                        } else {
                            let v = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
                                & 0x0FFF_FFFF;
                            table.note(c as u32, v, 0x0FFF_FFF7);
                        }
                    }
                    offset += len as u64;
                }
            }
        }
        table.exceptions.shrink_to_fit();
        Ok(table)
    }

    /// Records a chunk of FAT32 entries starting at cluster `first`. The hot loop of a large
    /// card (8 million entries at 256 GB): a block of contiguous entries costs a few vector
    /// compares, a lone one a load and a compare.
    fn note_fat32(&mut self, first: u64, buf: &[u8]) {
        let max = self.max_cluster as u64;
        let count = buf.len() / 4;
        let mut i = 0usize;
        while i < count {
            let c = first + i as u64;
            // Whole blocks of "next is the one after me" are passed over at once: a check the
            // compiler turns into a few vector compares (see `contiguous_block`).
            if i.is_multiple_of(CONTIGUOUS_BLOCK)
                && c >= 2
                && c + CONTIGUOUS_BLOCK as u64 <= max
                && let Some(block) = buf.get(i * 4..(i + CONTIGUOUS_BLOCK) * 4)
            {
                if contiguous_block(block, c as u32) {
                    i += CONTIGUOUS_BLOCK;
                    continue;
                }
                // Free space is counted word-wise too (a new or emptied card is mostly free).
                if free_block(block) {
                    let last = c as u32 + CONTIGUOUS_BLOCK as u32 - 1;
                    self.free.set_range(c as u32, last);
                    self.free_count += CONTIGUOUS_BLOCK as u32;
                    i += CONTIGUOUS_BLOCK;
                    continue;
                }
            }
            i += 1;
            if c < 2 || c > max {
                continue;
            }
            let Some(&[a, b, cc, d]) = buf.get((i - 1) * 4..i * 4) else {
                break;
            };
            let v = u32::from_le_bytes([a, b, cc, d]) & 0x0FFF_FFFF;
            if v as u64 == c + 1 && (v as u64) <= max {
                continue;
            }
            self.note(c as u32, v, 0x0FFF_FFF7);
        }
    }

    /// Records entry `value` of cluster `c`; `bad` is the type's bad-cluster mark.
    fn note(&mut self, c: u32, value: u32, bad: u32) {
        if value == 0 {
            self.free.set(c);
            self.free_count += 1;
        } else if value == c.wrapping_add(1) && value <= self.max_cluster {
            // The common case: contiguous. Nothing to keep.
        } else if value > bad {
            self.exceptions.push((c, END));
        } else if value == bad {
            self.exceptions.push((c, BAD));
        } else {
            self.exceptions.push((c, value));
        }
    }

    /// FAT entries 0 and 1 as stored: the media byte and (FAT16/32) the volume's flags.
    pub fn reserved_entries(&self) -> [u32; 2] {
        self.head
    }

    /// Number of free clusters.
    pub fn free_clusters(&self) -> u32 {
        self.free_count
    }

    /// Whether the FAT marks `c` free.
    pub fn is_free(&self, c: u32) -> bool {
        self.free.get(c)
    }

    /// The first cluster in `start..=end` the FAT marks free.
    pub fn first_free_in(&self, start: u32, end: u32) -> Option<u32> {
        self.free.first_set_in(start, end)
    }

    /// What follows cluster `c`.
    pub fn link(&self, c: u32) -> Link {
        if c < 2 || c > self.max_cluster {
            return Link::Invalid(c);
        }
        if self.free.get(c) {
            return Link::Free;
        }
        match self.exceptions.binary_search_by_key(&c, |e| e.0) {
            Ok(i) => match self.exceptions[i].1 {
                END => Link::End,
                BAD => Link::Bad,
                n if (2..=self.max_cluster).contains(&n) => Link::Next(n),
                n => Link::Invalid(n),
            },
            Err(_) => Link::Next(c + 1),
        }
    }

    /// Walks the chain from `first`. With `needed` (a file: clusters its size needs), takes
    /// exactly that many and checks the chain ends there; without (a directory), follows it to
    /// its end. Bounded by the cluster count; cycles are caught at the jump that closes them.
    pub fn chain(&self, first: u32, needed: Option<u64>) -> Chain {
        let mut chain = Chain::default();
        let limit = needed.unwrap_or(self.max_cluster as u64);
        let mut taken = 0u64;
        let mut jumps_seen = HashSet::new();
        let mut c = first;
        loop {
            if c < 2 || c > self.max_cluster {
                chain.problem = Some(ChainProblem::OutOfRange(c));
                break;
            }
            if taken >= limit {
                // A directory chain longer than the volume can only be a loop.
                chain.problem = Some(if needed.is_some() {
                    ChainProblem::Long
                } else {
                    ChainProblem::Cycle(c)
                });
                break;
            }
            // The run from c ends at the next exception, or where the size is covered.
            let next_exception = self
                .exceptions
                .get(self.exceptions.partition_point(|e| e.0 < c))
                .map(|e| e.0)
                .unwrap_or(self.max_cluster);
            let cap = (c as u64 + (limit - taken) - 1).min(self.max_cluster as u64) as u32;
            let end = next_exception.min(cap);
            if let Some(free) = self.first_free_in(c, end) {
                if free > c {
                    chain.runs.push(Run {
                        start: c,
                        len: free - c,
                    });
                    taken += (free - c) as u64;
                }
                chain.problem = Some(ChainProblem::IntoFree(free));
                break;
            }
            chain.runs.push(Run {
                start: c,
                len: end - c + 1,
            });
            taken += (end - c + 1) as u64;
            if end < next_exception {
                if taken >= limit {
                    // Size covered; a file's chain must end exactly here.
                    if needed.is_some() && self.link(end) != Link::End {
                        chain.problem = Some(ChainProblem::Long);
                    }
                } else {
                    // Contiguous up to the last cluster with no end mark.
                    chain.problem = Some(ChainProblem::OutOfRange(end + 1));
                }
                break;
            }
            match self.link(end) {
                Link::Next(n) => {
                    if !jumps_seen.insert(end) {
                        chain.problem = Some(ChainProblem::Cycle(end));
                        break;
                    }
                    c = n;
                }
                Link::End => break,
                Link::Bad => {
                    chain.problem = Some(ChainProblem::IntoBad(end));
                    break;
                }
                Link::Free => {
                    chain.problem = Some(ChainProblem::IntoFree(end));
                    break;
                }
                Link::Invalid(n) => {
                    chain.problem = Some(ChainProblem::OutOfRange(n));
                    break;
                }
            }
        }
        if chain.problem.is_none()
            && let Some(needed) = needed
            && taken < needed
        {
            chain.problem = Some(ChainProblem::Short {
                needed,
                found: taken,
            });
        }
        chain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FAT16-like table built from (cluster, value) pairs; others are free.
    fn table(max: u32, entries: &[(u32, u32)]) -> FatTable {
        let mut t = FatTable {
            head: [0xFFF8, 0xFFFF],
            max_cluster: max,
            free: ClusterBits::new(max),
            free_count: 0,
            exceptions: Vec::new(),
        };
        for c in 2..=max {
            let v = entries.iter().find(|e| e.0 == c).map(|e| e.1).unwrap_or(0);
            t.note(c, v, 0xFFF7);
        }
        t
    }

    #[test]
    fn set_range_sets_exactly_the_range_across_word_boundaries() {
        for (start, end) in [(0, 0), (3, 70), (64, 127), (60, 200), (130, 130), (0, 299)] {
            let mut word_wise = ClusterBits::new(299);
            word_wise.set_range(start, end);
            for c in 0..=299 {
                assert_eq!(
                    word_wise.get(c),
                    (start..=end).contains(&c),
                    "{start}..={end} at {c}"
                );
            }
        }
        // A range running past the map stops at its end instead of panicking.
        let mut short = ClusterBits::new(10);
        short.set_range(5, 1000);
        assert!(short.get(10) && short.get(63) && !short.get(4));
    }

    #[test]
    fn a_contiguous_file_is_one_run() {
        let t = table(100, &[(10, 11), (11, 12), (12, 0xFFFF)]);
        let chain = t.chain(10, Some(3));
        assert_eq!(chain.runs, vec![Run { start: 10, len: 3 }]);
        assert_eq!(chain.problem, None);
        assert_eq!(t.free_clusters(), 99 - 3);
    }

    #[test]
    fn a_fragmented_file_has_one_run_per_fragment() {
        let t = table(100, &[(10, 11), (11, 50), (50, 51), (51, 0xFFFF)]);
        let chain = t.chain(10, Some(4));
        assert_eq!(
            chain.runs,
            vec![Run { start: 10, len: 2 }, Run { start: 50, len: 2 }]
        );
        assert_eq!(chain.problem, None);
    }

    #[test]
    fn damaged_chains_are_reported_not_followed_forever() {
        let cyclic = table(100, &[(10, 11), (11, 10)]);
        assert_eq!(
            cyclic.chain(10, None).problem,
            Some(ChainProblem::Cycle(11))
        );
        assert!(matches!(
            cyclic.chain(10, Some(1000)).problem,
            Some(ChainProblem::Cycle(_))
        ));
        let out = table(100, &[(10, 5000)]);
        assert_eq!(
            out.chain(10, Some(2)).problem,
            Some(ChainProblem::OutOfRange(5000))
        );
        let into_free = table(100, &[(10, 11)]);
        assert_eq!(
            into_free.chain(10, Some(2)).problem,
            Some(ChainProblem::IntoFree(11))
        );
        let short = table(100, &[(10, 0xFFFF)]);
        assert_eq!(
            short.chain(10, Some(3)).problem,
            Some(ChainProblem::Short {
                needed: 3,
                found: 1
            })
        );
        let long = table(100, &[(10, 11), (11, 12), (12, 0xFFFF)]);
        assert_eq!(long.chain(10, Some(2)).problem, Some(ChainProblem::Long));
        let bad = table(100, &[(10, 0xFFF7)]);
        assert_eq!(
            bad.chain(10, Some(2)).problem,
            Some(ChainProblem::IntoBad(10))
        );
        assert_eq!(
            bad.chain(0, Some(1)).problem,
            Some(ChainProblem::OutOfRange(0))
        );
    }

    #[test]
    fn a_chain_running_off_the_end_of_the_volume_is_out_of_range() {
        let t = table(20, &[(19, 20), (20, 21)]);
        assert_eq!(
            t.chain(19, None).problem,
            Some(ChainProblem::OutOfRange(21))
        );
    }

    #[test]
    fn fat32_blocks_skipped_at_once_give_the_table_entry_by_entry_reading_gives() {
        let max = 1000u32;
        // Long contiguous runs (skipped in blocks), with ends, jumps, free and bad entries,
        // and runs that reach the last cluster, scattered across block boundaries.
        let value = |c: u32| match c {
            0 => 0x0FFF_FFF8,
            1 => 0x0FFF_FFFF,
            47 | 300 | 511 => 0x0FFF_FFFF,
            100..=140 | 600..=699 => 0,
            200 => 700,
            333 => 0x0FFF_FFF7,
            960..=999 => c + 1,
            1000 => 1001,
            c if c % 97 == 0 => 0,
            c => (c + 1) | 0xF000_0000,
        };
        let buf: Vec<u8> = (0..=max + 7).flat_map(|c| value(c).to_le_bytes()).collect();
        let empty = || FatTable {
            head: [0; 2],
            max_cluster: max,
            free: ClusterBits::new(max),
            free_count: 0,
            exceptions: Vec::new(),
        };
        let mut blocks = empty();
        blocks.note_fat32(0, &buf);
        let mut one_by_one = empty();
        for c in 2..=max {
            one_by_one.note(c, value(c) & 0x0FFF_FFFF, 0x0FFF_FFF7);
        }
        assert_eq!(blocks.exceptions, one_by_one.exceptions);
        assert_eq!(blocks.free_count, one_by_one.free_count);
        assert_eq!(blocks.free.words, one_by_one.free.words);
        assert!(blocks.exceptions.contains(&(1000, 1001)));
    }

    #[test]
    fn bits_find_the_first_set_cluster_across_words() {
        let mut b = ClusterBits::new(1000);
        b.set(700);
        assert_eq!(b.first_set_in(3, 999), Some(700));
        assert_eq!(b.first_set_in(3, 699), None);
        assert_eq!(b.first_set_in(700, 700), Some(700));
    }
}
