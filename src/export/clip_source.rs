//! A clip's bytes as a time-range export reads them: several segments of one card image open
//! at once over one shared [`BlockReader`] (one cache, whatever the number of segments), and
//! each segment's plaintext when the camera encrypted it (the card's bytes never change).

use std::cell::RefCell;
use std::io::{self, Read, Seek, SeekFrom};

use crate::block_reader::BlockReader;
use crate::clip_header::Keys;
use crate::encryption::{DecryptingReader, PREFIX_BYTES, XorPad, opens_with};
use crate::extent::{Extent, ExtentReader};

/// One file of a card image, read through a reader it shares with other files.
pub struct SharedClip<'a, R> {
    reader: &'a RefCell<BlockReader<R>>,
    extents: &'a [Extent],
    written: u64,
    len: u64,
    pos: u64,
}

impl<'a, R: Read + Seek> SharedClip<'a, R> {
    /// The file of `len` bytes laid out over `extents`, of which the first `written` are on
    /// the card (the rest read as zeros, as an exFAT file sized past what was written).
    pub fn new(
        reader: &'a RefCell<BlockReader<R>>,
        extents: &'a [Extent],
        written: u64,
        len: u64,
    ) -> Self {
        Self {
            reader,
            extents,
            written: written.min(len),
            len,
            pos: 0,
        }
    }
}

impl<R: Read + Seek> Read for SharedClip<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut reader = self
            .reader
            .try_borrow_mut()
            .map_err(|_| io::Error::other("the card reader is busy"))?;
        let mut file = ExtentReader::zero_filled(&mut reader, self.extents, self.written, self.len);
        file.seek(SeekFrom::Start(self.pos))?;
        let n = file.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R> Seek for SharedClip<'_, R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = crate::seek::resolve(self.pos, self.len, to, "the clip")?;
        Ok(self.pos)
    }
}

/// A clip's plaintext: its bytes as they are, or decrypted with the key that opens them.
pub enum Plaintext<R> {
    /// A plain MP4.
    Plain(R),
    /// A clip the camera encrypted, decrypted as it is read.
    Decrypted(Box<DecryptingReader<R>>),
}

impl<R: Read + Seek> Plaintext<R> {
    /// `source` (a clip, from its first byte) as plaintext: as it is when it starts like an
    /// MP4 file, else through the first of `keys` that opens it; an error that says so when
    /// none does (the camera encrypted it with another key, or it is not a clip at all).
    pub fn open(mut source: R, keys: &Keys) -> Result<Self, String> {
        let mut head = [0u8; PREFIX_BYTES];
        let mut n = 0;
        while n < head.len() {
            match source.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("cannot read it: {e}")),
            }
        }
        source
            .rewind()
            .map_err(|e| format!("cannot read it: {e}"))?;
        if opens_with(&head[..n], &XorPad::zero()) {
            return Ok(Self::Plain(source));
        }
        match keys.opening(&head[..n]) {
            Some((pad, _)) => DecryptingReader::new(source, pad.clone())
                .map(|r| Self::Decrypted(Box::new(r)))
                .map_err(|e| format!("cannot read it: {e}")),
            None => Err(
                "it is not an MP4 file as it is, and neither the factory default key nor the key given decrypts it (if the camera encrypted it, ask Nexar support for this camera's key)"
                    .to_string(),
            ),
        }
    }

    /// Whether it is read decrypted.
    pub fn is_decrypted(&self) -> bool {
        matches!(self, Self::Decrypted(_))
    }
}

impl<R: Read + Seek> Read for Plaintext<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(r) => r.read(buf),
            Self::Decrypted(r) => r.read(buf),
        }
    }
}

impl<R: Read + Seek> Seek for Plaintext<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Self::Plain(r) => r.seek(to),
            Self::Decrypted(r) => r.seek(to),
        }
    }
}
