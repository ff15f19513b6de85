//! A window of the output file, for `fatfs::format_volume`, that leaves zero writes unwritten.
//!
//! The output is a fresh sparse file (all zeros), so writing zeros would only turn holes into
//! allocated blocks: formatting a 256 GB card would cost the 60 MB of its two empty FATs.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// `len` bytes of `inner` from `start`, with all-zero writes skipped.
pub struct FreshWindow<'a, W> {
    pub inner: &'a mut W,
    pub start: u64,
    pub len: u64,
    pub pos: u64,
}

impl<W: Read + Write + Seek> Read for FreshWindow<'_, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        self.inner.seek(SeekFrom::Start(self.start + self.pos))?;
        let got = self.inner.read(&mut buf[..n])?;
        self.pos += got as u64;
        Ok(got)
    }
}

impl<W: Read + Write + Seek> Write for FreshWindow<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pos + buf.len() as u64 > self.len {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "write past the volume",
            ));
        }
        if buf.iter().any(|&b| b != 0) {
            self.inner.seek(SeekFrom::Start(self.start + self.pos))?;
            self.inner.write_all(buf)?;
        }
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Seek for FreshWindow<'_, W> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = dashcard::seek::resolve(self.pos, self.len, to, "the volume")?;
        Ok(self.pos)
    }
}
