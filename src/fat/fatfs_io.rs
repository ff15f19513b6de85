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

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom, Write};

use super::boot_sector::{FatType, Geometry};
use super::table::{FatTable, Link};
use crate::block_reader::BlockReader;

/// Most directory bytes kept for `fatfs` to re-read; past it, reads go to the block cache.
const DIR_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Directory bytes the raw walk read, by absolute image offset.
#[derive(Default)]
pub struct DirCache {
    ranges: BTreeMap<u64, Vec<u8>>,
    bytes: usize,
}

impl DirCache {
    /// Keeps `data`, read at image offset `at`, while the budget allows.
    pub fn insert(&mut self, at: u64, data: &[u8]) {
        if self.bytes + data.len() <= DIR_CACHE_BYTES && !data.is_empty() {
            self.bytes += data.len();
            self.ranges.insert(at, data.to_vec());
        }
    }

    fn read(&self, at: u64, buf: &mut [u8]) -> bool {
        let Some((&start, data)) = self.ranges.range(..=at).next_back() else {
            return false;
        };
        let within = (at - start) as usize;
        match data.get(within..within + buf.len()) {
            Some(src) => {
                buf.copy_from_slice(src);
                true
            }
            None => false,
        }
    }
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
