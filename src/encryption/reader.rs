//! Plaintext out of an encrypted file, as it is read.

use std::io::{self, Read, Seek, SeekFrom};

use super::pad::XorPad;

/// Reads `inner` (an encrypted file, from its first byte) and hands out plaintext: each read is
/// XORed with the pad at the position it came from. Seeking works as on `inner`.
pub struct DecryptingReader<R> {
    inner: R,
    pad: XorPad,
    pos: u64,
}

impl<R: Read + Seek> DecryptingReader<R> {
    /// Wraps `inner`, positioned anywhere; its current position is taken as the file offset.
    pub fn new(mut inner: R, pad: XorPad) -> io::Result<Self> {
        let pos = inner.stream_position()?;
        Ok(Self { inner, pad, pos })
    }

    /// Gives the inner reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for DecryptingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pad.apply(self.pos, &mut buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for DecryptingReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encryption::Key;
    use std::io::Cursor;

    #[test]
    fn reads_and_seeks_give_the_plaintext() {
        let pad = XorPad::from_key(&Key::factory_default());
        let plain: Vec<u8> = (0..9000u32).map(|i| (i % 251) as u8).collect();
        let mut encrypted = plain.clone();
        pad.apply(0, &mut encrypted);
        let mut r = DecryptingReader::new(Cursor::new(encrypted), pad).unwrap();
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, plain);
        r.seek(SeekFrom::Start(4100)).unwrap();
        let mut some = [0u8; 50];
        r.read_exact(&mut some).unwrap();
        assert_eq!(some, plain[4100..4150]);
        r.seek(SeekFrom::End(-3)).unwrap();
        let mut last = [0u8; 3];
        r.read_exact(&mut last).unwrap();
        assert_eq!(last, plain[8997..]);
    }
}
