//! A card image file whose seeks cost no system call.
//!
//! The core reads an image through `Read + Seek` (natively a file, in the browser a `Blob`),
//! and each read it makes is a seek and then a read. Reading a 256 GB card's headers is some
//! 20,000 small reads at scattered offsets: here a seek only notes the position and each read
//! is one positioned read (`pread`), half the system calls of `lseek` + `read`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

/// A file read at the position last sought, with `pread`.
pub struct PositionedFile {
    file: File,
    pos: u64,
}

impl PositionedFile {
    /// Reads `file` from its start.
    pub fn new(file: File) -> Self {
        Self { file, pos: 0 }
    }
}

impl Read for PositionedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PositionedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = match to {
            SeekFrom::Start(at) => at,
            // The end of a block device is known only by seeking there.
            SeekFrom::End(_) => self.file.seek(to)?,
            SeekFrom::Current(by) => self.pos.checked_add_signed(by).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
            })?,
        };
        Ok(self.pos)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_where_it_was_sought_and_moves_on() {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&(0..=255u8).collect::<Vec<_>>()).unwrap();
        let mut f = PositionedFile::new(tmp);
        assert_eq!(f.seek(SeekFrom::End(0)).unwrap(), 256);
        f.seek(SeekFrom::Start(10)).unwrap();
        let mut buf = [0u8; 4];
        f.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [10, 11, 12, 13]);
        f.seek(SeekFrom::Current(-2)).unwrap();
        f.read_exact(&mut buf).unwrap();
        assert_eq!(buf, [12, 13, 14, 15]);
        f.seek(SeekFrom::Start(254)).unwrap();
        assert!(f.read_exact(&mut buf).is_err());
        assert!(f.seek(SeekFrom::Current(-1000)).is_err());
    }
}
