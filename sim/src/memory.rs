//! A card image held in memory, sparsely: only the 4 KiB pages something was written to exist,
//! the rest reads as zeros. Lets the web app simulate a sample card inside the browser (a
//! 4 GB card with hundreds of clips costs a few MiB), and tests build cards without files.

use std::collections::BTreeMap;
use std::io::{self, Read, Seek, SeekFrom, Write};

const PAGE: u64 = 4096;

/// A sparse in-memory image of a fixed length.
#[derive(Clone, Debug, Default)]
pub struct SparseMemory {
    pages: BTreeMap<u64, Box<[u8]>>,
    len: u64,
    pos: u64,
}

impl SparseMemory {
    /// An all-zero image of `len` bytes.
    pub fn new(len: u64) -> Self {
        Self {
            pages: BTreeMap::new(),
            len,
            pos: 0,
        }
    }

    /// Image length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for a zero-length image.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of memory the written pages take.
    pub fn resident_bytes(&self) -> u64 {
        self.pages.len() as u64 * PAGE
    }
}

impl SparseMemory {
    /// The page under the position, the offset in it, and how many of `want` bytes fit
    /// before the page or the image ends.
    fn span(&self, want: usize) -> (u64, usize, usize) {
        let at = (self.pos % PAGE) as usize;
        let n = want
            .min(PAGE as usize - at)
            .min(self.len.saturating_sub(self.pos) as usize);
        (self.pos / PAGE, at, n)
    }
}

impl Read for SparseMemory {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            return Ok(0);
        }
        let (page, at, n) = self.span(buf.len());
        match self.pages.get(&page) {
            Some(p) => buf[..n].copy_from_slice(&p[at..at + n]),
            None => buf[..n].fill(0),
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Write for SparseMemory {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pos >= self.len {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "write past the end of the image",
            ));
        }
        let (page, at, n) = self.span(buf.len());
        let p = self
            .pages
            .entry(page)
            .or_insert_with(|| vec![0u8; PAGE as usize].into_boxed_slice());
        p[at..at + n].copy_from_slice(&buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for SparseMemory {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = dashcard::seek::resolve(self.pos, self.len, to, "the image")?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_read_back_and_the_rest_is_zero() {
        let mut m = SparseMemory::new(3 * PAGE);
        m.seek(SeekFrom::Start(PAGE - 2)).unwrap();
        m.write_all(b"abcd").unwrap();
        assert_eq!(m.resident_bytes(), 2 * PAGE);
        let mut all = Vec::new();
        m.seek(SeekFrom::Start(0)).unwrap();
        m.read_to_end(&mut all).unwrap();
        assert_eq!(all.len() as u64, 3 * PAGE);
        assert_eq!(&all[PAGE as usize - 2..PAGE as usize + 2], b"abcd");
        assert_eq!(all.iter().filter(|&&b| b != 0).count(), 4);
        m.seek(SeekFrom::End(0)).unwrap();
        assert!(m.write(b"x").is_err());
    }
}
