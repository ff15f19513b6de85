//! The volume as `fatfs` sees it: a stream over the partition that reads through the shared
//! block cache and refuses every write, so nothing can ever be written to a card or an image.
//!
//! The reader sits in a `RefCell` because `fatfs` keeps its stream for the life of the
//! `FileSystem` while the raw layer reads the same image in between; borrows never overlap.
//!
//! `fatfs` reads the FAT one entry at a time and every directory again after the raw layer has
//! read it. Both are already in memory: FAT entries are answered from the [`FatTable`] and
//! directory clusters from the [`DirCache`] the raw walk fills, so on a card whose folders are
//! scattered `fatfs` costs no extra reads at all (each would otherwise pull a 256 KiB block).

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom, Write};

use super::boot_sector::{FatType, Geometry};
use super::table::{FatTable, Link};
use crate::block_reader::BlockReader;

/// Most directory bytes kept for `fatfs` to re-read; past it, reads go to the block cache.
const DIR_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Directory bytes the raw walk read, by absolute image offset.
///
/// `fatfs` reads a directory a field at a time (reads of 1–11 bytes: ~660,000 on the 256 GB
/// bench card), and each ends here: the range the last read
/// was served from is tried first, before the map is searched — the walk's directory took
/// about half of it in the browser otherwise.
#[derive(Default)]
pub struct DirCache {
    /// Each range's start, and its place in `data`.
    index: BTreeMap<u64, usize>,
    /// Each range's start and bytes, in the order kept.
    data: Vec<(u64, Vec<u8>)>,
    bytes: usize,
    /// The place in `data` of the range the last read was served from.
    last: Cell<usize>,
}

impl DirCache {
    /// Keeps `data`, read at image offset `at`, while the budget allows.
    pub fn insert(&mut self, at: u64, data: &[u8]) {
        if self.bytes + data.len() <= DIR_CACHE_BYTES && !data.is_empty() {
            self.bytes += data.len();
            match self.index.get(&at) {
                Some(&i) => self.data[i].1 = data.to_vec(),
                None => {
                    self.index.insert(at, self.data.len());
                    self.data.push((at, data.to_vec()));
                }
            }
        }
    }

    fn read(&self, at: u64, buf: &mut [u8]) -> bool {
        if let Some(src) = self
            .data
            .get(self.last.get())
            .and_then(|r| within(r, at, buf.len()))
        {
            buf.copy_from_slice(src);
            return true;
        }
        let Some((_, &i)) = self.index.range(..=at).next_back() else {
            return false;
        };
        match self.data.get(i).and_then(|r| within(r, at, buf.len())) {
            Some(src) => {
                buf.copy_from_slice(src);
                self.last.set(i);
                true
            }
            None => false,
        }
    }
}

/// The `len` bytes at image offset `at` of a kept range, if it holds them all.
fn within((start, data): &(u64, Vec<u8>), at: u64, len: usize) -> Option<&[u8]> {
    let from = usize::try_from(at.checked_sub(*start)?).ok()?;
    data.get(from..from.checked_add(len)?)
}

/// Every FAT copy, answered from the parsed table (the copy in use; FAT16/32).
struct FatShortcut<'a> {
    table: &'a FatTable,
    /// Volume-relative start and end of all FAT copies.
    start: u64,
    end: u64,
    copy_bytes: u64,
    entry_bytes: u64,
    max_cluster: u32,
}

impl FatShortcut<'_> {
    fn read(&self, pos: u64, buf: &mut [u8]) -> bool {
        if pos < self.start || pos + buf.len() as u64 > self.end {
            return false;
        }
        let eb = self.entry_bytes;
        let mut cached: Option<(u64, [u8; 4])> = None;
        for (i, out) in buf.iter_mut().enumerate() {
            let within = (pos + i as u64 - self.start) % self.copy_bytes;
            let cluster = within / eb;
            if cluster < 2 || cluster > self.max_cluster as u64 {
                return false;
            }
            let bytes = match cached {
                Some((c, b)) if c == cluster => b,
                _ => {
                    let b = self.value(cluster as u32).to_le_bytes();
                    cached = Some((cluster, b));
                    b
                }
            };
            *out = bytes[(within % eb) as usize];
        }
        true
    }

    fn value(&self, c: u32) -> u32 {
        let fat16 = self.entry_bytes == 2;
        match self.table.link(c) {
            Link::Next(n) => n,
            Link::End => {
                if fat16 {
                    0xFFFF
                } else {
                    0x0FFF_FFFF
                }
            }
            Link::Free => 0,
            Link::Bad => {
                if fat16 {
                    0xFFF7
                } else {
                    0x0FFF_FFF7
                }
            }
            Link::Invalid(v) => v,
        }
    }
}

/// A read-only partition stream for `fatfs`.
pub struct FatfsIo<'c, 'r, R> {
    reader: &'c RefCell<&'r mut BlockReader<R>>,
    start: u64,
    len: u64,
    pos: u64,
    fat: Option<FatShortcut<'c>>,
    dirs: Option<&'c RefCell<DirCache>>,
}

impl<'c, 'r, R: Read + Seek> FatfsIo<'c, 'r, R> {
    /// The `len` bytes from `start`, clipped to the image.
    pub fn new(reader: &'c RefCell<&'r mut BlockReader<R>>, start: u64, len: u64) -> Self {
        let image = reader.borrow().len();
        let start = start.min(image);
        Self {
            reader,
            start,
            len: len.min(image - start),
            pos: 0,
            fat: None,
            dirs: None,
        }
    }

    /// Answers FAT reads from `table` and directory reads from `dirs` instead of the image.
    pub fn with_shortcuts(
        mut self,
        table: &'c FatTable,
        geometry: &Geometry,
        dirs: &'c RefCell<DirCache>,
    ) -> Self {
        let entry_bytes = match geometry.fat_type {
            FatType::Fat12 => 0,
            FatType::Fat16 => 2,
            FatType::Fat32 => 4,
        };
        if entry_bytes > 0 && geometry.fat_bytes > 0 {
            self.fat = Some(FatShortcut {
                table,
                start: geometry.fat_offset,
                end: geometry.fat_offset + geometry.fat_count as u64 * geometry.fat_bytes,
                copy_bytes: geometry.fat_bytes,
                entry_bytes,
                max_cluster: geometry.max_cluster(),
            });
        }
        self.dirs = Some(dirs);
        self
    }
}

impl<R: Read + Seek> Read for FatfsIo<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        if n == 0 {
            return Ok(0);
        }
        let out = &mut buf[..n];
        let answered = self.fat.as_ref().is_some_and(|f| f.read(self.pos, out))
            || self
                .dirs
                .is_some_and(|d| d.borrow().read(self.start + self.pos, out));
        if answered {
            self.pos += n as u64;
            return Ok(n);
        }
        self.reader
            .borrow_mut()
            .read_at(self.start + self.pos, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R> Seek for FatfsIo<'_, '_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = crate::seek::resolve(self.pos, self.len, pos, "the volume")?;
        Ok(self.pos)
    }
}

impl<R> Write for FatfsIo<'_, '_, R> {
    fn write(&mut self, _buf: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "dashcard is read-only: nothing is ever written to a card or an image",
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(cache: &DirCache, at: u64, len: usize) -> Option<Vec<u8>> {
        let mut buf = vec![0; len];
        cache.read(at, &mut buf).then_some(buf)
    }

    #[test]
    fn directory_reads_are_served_from_the_range_holding_them_whichever_was_read_last() {
        let mut cache = DirCache::default();
        let a: Vec<u8> = (0..64).collect();
        let b: Vec<u8> = (100..164).collect();
        cache.insert(4096, &b);
        cache.insert(1024, &a);
        // Reads hop between the ranges, as fatfs's do between a folder and its parent.
        assert_eq!(read(&cache, 1024 + 10, 3), Some(vec![10, 11, 12]));
        assert_eq!(read(&cache, 4096 + 63, 1), Some(vec![163]));
        assert_eq!(read(&cache, 1024 + 61, 3), Some(vec![61, 62, 63]));
        assert_eq!(read(&cache, 4096, 2), Some(vec![100, 101]));
        // Not held whole, or not held at all: read from the image instead.
        assert_eq!(read(&cache, 1024 + 62, 4), None);
        assert_eq!(read(&cache, 1000, 4), None);
        assert_eq!(read(&cache, 2048, 4), None);
        assert_eq!(read(&cache, 9000, 1), None);
        // A range kept again at the same place replaces the one before.
        cache.insert(1024, &[7; 8]);
        assert_eq!(read(&cache, 1024 + 2, 2), Some(vec![7, 7]));
        assert_eq!(read(&cache, 1024 + 10, 1), None);
    }
}
