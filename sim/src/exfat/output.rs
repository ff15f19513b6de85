//! Positioned writes onto the image, skipping zeros where the image is known to hold zeros.
//!
//! A simulated card is a sparse file: formatting 256 GB must not turn its holes into allocated
//! blocks by writing zeros that are already there. Writes into areas the writer knows are fresh
//! leave out every all-zero 4 KiB piece.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// Granularity of skipped zero runs (a file system block on the host).
const PIECE: usize = 4096;

/// The image being written.
pub struct Output<W> {
    inner: W,
}

impl<W: Read + Write + Seek> Output<W> {
    /// Wraps the image.
    pub fn new(inner: W) -> Self {
        Self { inner }
    }

    /// Gives the image back.
    pub fn into_inner(self) -> W {
        self.inner
    }

    /// Length of the image now.
    pub fn len(&mut self) -> io::Result<u64> {
        self.inner.seek(SeekFrom::End(0))
    }

    /// Writes `data` at `at`, zeros included.
    pub fn write_at(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.inner.seek(SeekFrom::Start(at))?;
        self.inner.write_all(data)
    }

    /// Writes `data` at `at` into an area known to hold zeros: all-zero pieces (aligned to the
    /// image) are left unwritten.
    pub fn write_fresh(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        let mut done = 0usize;
        while done < data.len() {
            let pos = at + done as u64;
            let to_boundary = PIECE - (pos % PIECE as u64) as usize;
            let n = to_boundary.min(data.len() - done);
            let piece = &data[done..done + n];
            if piece.iter().any(|&b| b != 0) {
                self.write_at(pos, piece)?;
            }
            done += n;
        }
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes at `at`.
    pub fn read_at(&mut self, at: u64, buf: &mut [u8]) -> io::Result<()> {
        self.inner.seek(SeekFrom::Start(at))?;
        self.inner.read_exact(buf)
    }

    /// Makes the image at least `len` bytes long (one zero byte at the end if it is shorter).
    pub fn extend_to(&mut self, len: u64) -> io::Result<()> {
        if len > 0 && self.len()? < len {
            self.write_at(len - 1, &[0])?;
        }
        Ok(())
    }

    /// Flushes the image.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn zero_pieces_are_skipped_in_fresh_areas() {
        let mut out = Output::new(Cursor::new(vec![7u8; 3 * PIECE]));
        let mut data = vec![0u8; 2 * PIECE];
        data[PIECE + 1] = 9;
        out.write_fresh(100, &data).unwrap();
        let image = out.into_inner().into_inner();
        // The zero piece [100, 4096) was not written, the next piece was.
        assert_eq!(image[100], 7);
        assert_eq!(image[PIECE], 0);
        assert_eq!(image[100 + PIECE + 1], 9);
    }
}
