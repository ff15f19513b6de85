//! Where a file's bytes lie in the image, and a stream that reads them from there.
//!
//! A recording is known by its extents (runs of contiguous clusters) rather than through the
//! file system, so the same path serves live files, deleted-but-recoverable files, MP4 header
//! reading and, in the browser, playback built from `File.slice` ranges without copying.
//!
//! A file's extents may cover only its first bytes on purpose: exFAT sizes a file ahead of
//! writing it, and the bytes past its valid data length must read as zeros (the clusters there
//! still hold whatever was recorded before). [`ExtentReader::zero_filled`] supplies those zeros,
//! so every reader of file bytes — header probes, `dashcard cat`, digests — honours them the
//! same way, whatever file system the extents came from.

use std::io::{self, Read, Seek, SeekFrom};

use crate::block_reader::BlockReader;

/// One contiguous run of a file's bytes, as an absolute byte range of the image
/// (the partition offset already added).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extent {
    /// Offset of the first byte in the image.
    pub offset: u64,
    /// Number of bytes in this run.
    pub bytes: u64,
}

/// The bytes of a file laid out over `extents` (then, past its written bytes, zeros), read with
/// one direct (uncached) call per `read` so that header probes and bulk copies do not evict the
/// metadata cache.
pub struct ExtentReader<'a, R> {
    reader: &'a mut BlockReader<R>,
    extents: &'a [Extent],
    len: u64,
    /// Bytes that lie in the extents; from here to `len` the file reads as zeros.
    written: u64,
    pos: u64,
}

impl<'a, R: Read + Seek> ExtentReader<'a, R> {
    /// A stream of `len` bytes laid out over `extents` (which must cover at least `len` bytes;
    /// reads beyond what they cover fail as a truncated file).
    pub fn new(reader: &'a mut BlockReader<R>, extents: &'a [Extent], len: u64) -> Self {
        Self::zero_filled(reader, extents, len, len)
    }

    /// A stream of `len` bytes whose first `written` lie in `extents` (which must cover them;
    /// reads beyond what they cover fail as a truncated file) and the rest are zeros.
    pub fn zero_filled(
        reader: &'a mut BlockReader<R>,
        extents: &'a [Extent],
        written: u64,
        len: u64,
    ) -> Self {
        Self {
            reader,
            extents,
            len,
            written: written.min(len),
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

    /// The extent holding file position `pos`, and the offset into it.
    fn locate(&self, pos: u64) -> Option<(Extent, u64)> {
        let mut start = 0u64;
        for extent in self.extents {
            if pos < start + extent.bytes {
                return Some((*extent, pos - start));
            }
            start += extent.bytes;
        }
        None
    }
}

impl<R: Read + Seek> Read for ExtentReader<'_, R> {
    /// Reads up to the end of the current extent (one call on the source), or zeros past the
    /// written bytes.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        if self.pos >= self.written {
            let n = (buf.len() as u64).min(left) as usize;
            buf[..n].fill(0);
            self.pos += n as u64;
            return Ok(n);
        }
        let left = self.written - self.pos;
        let (extent, within) = self.locate(self.pos).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file's clusters end before its recorded size",
            )
        })?;
        let n = (buf.len() as u64).min(left).min(extent.bytes - within) as usize;
        self.reader
            .read_direct(extent.offset + within, &mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for ExtentReader<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let p = crate::seek::resolve(self.pos, self.len, pos, "the file")?;
        self.pos = p;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_a_file_scattered_over_extents_in_order() {
        let image: Vec<u8> = (0..10_000u32).map(|i| (i % 256) as u8).collect();
        let mut r = BlockReader::new(Cursor::new(image.clone())).unwrap();
        let extents = [
            Extent {
                offset: 8000,
                bytes: 1000,
            },
            Extent {
                offset: 100,
                bytes: 500,
            },
        ];
        let mut f = ExtentReader::new(&mut r, &extents, 1200);
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        let mut want = image[8000..9000].to_vec();
        want.extend_from_slice(&image[100..300]);
        assert_eq!(out, want);
        f.seek(SeekFrom::Start(999)).unwrap();
        let mut two = [0u8; 2];
        f.read_exact(&mut two).unwrap();
        assert_eq!(two, [image[8999], image[100]]);
    }

    #[test]
    fn bytes_past_the_written_ones_read_as_zeros() {
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
        let mut f = ExtentReader::zero_filled(&mut r, &extents, 8, 12);
        let mut out = Vec::new();
        f.read_to_end(&mut out).unwrap();
        assert_eq!(out, [101, 102, 103, 104, 105, 11, 12, 13, 0, 0, 0, 0]);
        f.seek(SeekFrom::Start(6)).unwrap();
        let mut three = [9u8; 3];
        f.read_exact(&mut three).unwrap();
        assert_eq!(three, [12, 13, 0]);
        // Written bytes the extents do not cover are missing, not zeros.
        let mut short = ExtentReader::zero_filled(&mut r, &extents, 10, 12);
        let mut out = Vec::new();
        assert!(short.read_to_end(&mut out).is_err());
    }

    #[test]
    fn a_size_beyond_the_extents_is_an_error_not_a_hang() {
        let mut r = BlockReader::new(Cursor::new(vec![0u8; 4096])).unwrap();
        let extents = [Extent {
            offset: 0,
            bytes: 100,
        }];
        let mut f = ExtentReader::new(&mut r, &extents, 200);
        let mut out = Vec::new();
        assert_eq!(
            f.read_to_end(&mut out).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }
}
