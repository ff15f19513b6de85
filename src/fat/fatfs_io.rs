//! The volume as `fatfs` sees it: a stream over the partition that reads through the shared
//! block cache and refuses every write, so nothing can ever be written to a card or an image.
//!
//! The reader sits in a `RefCell` because `fatfs` keeps its stream for the life of the
//! `FileSystem` while the raw layer reads the same image in between; borrows never overlap.

use std::cell::RefCell;
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::block_reader::BlockReader;

/// A read-only partition stream for `fatfs`.
pub struct FatfsIo<'c, 'r, R> {
    reader: &'c RefCell<&'r mut BlockReader<R>>,
    start: u64,
    len: u64,
    pos: u64,
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
        }
    }
}

impl<R: Read + Seek> Read for FatfsIo<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        if n == 0 {
            return Ok(0);
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
        let target = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the volume",
            )
        })?;
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
