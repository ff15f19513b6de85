//! A file's bytes as exFAT defines them: what was written up to ValidDataLength, zeros after.
//!
//! exFAT can allocate (and size) a file ahead of writing it; the clusters between the valid
//! length and the size hold whatever was there before, and the specification says readers
//! return zeros for them. An [`ExfatEntry`](super::ExfatEntry)'s extents therefore cover only
//! its valid bytes, and this reader supplies the zeros — so stale footage of an older recording
//! is never passed off as part of a newer one.

use std::io::{self, Read, Seek, SeekFrom};

use crate::block_reader::BlockReader;
use crate::extent::{Extent, ExtentReader};

/// `len` bytes: the first `valid` from `extents`, the rest zeros.
pub struct ValidDataReader<'a, R> {
    data: ExtentReader<'a, R>,
    valid: u64,
    len: u64,
    pos: u64,
}

impl<'a, R: Read + Seek> ValidDataReader<'a, R> {
    /// A stream of `len` bytes whose first `valid` lie in `extents` (which must cover them).
    pub fn new(
        reader: &'a mut BlockReader<R>,
        extents: &'a [Extent],
        valid: u64,
        len: u64,
    ) -> Self {
        let valid = valid.min(len);
        Self {
            data: ExtentReader::new(reader, extents, valid),
            valid,
            len,
            pos: 0,
        }
    }

    /// Length of the file in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<R: Read + Seek> Read for ValidDataReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.valid {
            let want = (buf.len() as u64).min(self.valid - self.pos) as usize;
            self.data.seek(SeekFrom::Start(self.pos))?;
            let n = self.data.read(&mut buf[..want])?;
            self.pos += n as u64;
            return Ok(n);
        }
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for ValidDataReader<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = crate::seek::resolve(self.pos, self.len, to, "the file")?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn bytes_past_the_valid_length_read_as_zeros() {
        let image: Vec<u8> = (1..=200u8).collect();
        let mut r = BlockReader::new(Cursor::new(image)).unwrap();
        let extents = [
            Extent {
                offset: 100,
                bytes: 5,
            },
            Extent {
                offset: 10,
                bytes: 3,
            },
        ];
        let mut f = ValidDataReader::new(&mut r, &extents, 8, 12);
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        assert_eq!(out, [101, 102, 103, 104, 105, 11, 12, 13, 0, 0, 0, 0]);
        f.seek(SeekFrom::Start(6)).unwrap();
        let mut two = [9u8; 3];
        f.read_exact(&mut two).unwrap();
        assert_eq!(two, [12, 13, 0]);
    }
}
