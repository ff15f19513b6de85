//! The CRC-32 a ZIP entry needs and the SHA-256 an examiner records, from one pass over a
//! file's bytes.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What one pass over a file gives.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileDigest {
    /// Bytes read.
    pub bytes: u64,
    /// CRC-32 (IEEE), as ZIP stores it.
    pub crc32: u32,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// Reads `source` to its end in chunks of `chunk` bytes, digesting as it goes.
pub fn digest(mut source: impl Read, chunk: usize) -> io::Result<FileDigest> {
    let mut crc = crate::crc32::Hasher::new();
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; chunk.max(4096)];
    let mut bytes = 0u64;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        crc.update(&buf[..n]);
        sha.update(&buf[..n]);
        bytes += n as u64;
    }
    let sha256 = sha
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    Ok(FileDigest {
        bytes,
        crc32: crc.finalize(),
        sha256,
    })
}

/// Passes writes through to `inner`, digesting what was written: the digest of a file made
/// on the fly (a time-range export) without reading it back.
pub struct DigestingWriter<W> {
    inner: W,
    crc: crate::crc32::Hasher,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> DigestingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            crc: crate::crc32::Hasher::new(),
            sha: Sha256::new(),
            bytes: 0,
        }
    }

    /// The writer, and the digest of everything written through it.
    pub fn finish(self) -> (W, FileDigest) {
        let sha256 = self
            .sha
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        let digest = FileDigest {
            bytes: self.bytes,
            crc32: self.crc.finalize(),
            sha256,
        };
        (self.inner, digest)
    }
}

impl<W: Write> Write for DigestingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        let done = buf.get(..n).unwrap_or(buf);
        self.crc.update(done);
        self.sha.update(done);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digesting_writer_agrees_with_reading_back() {
        let mut w = DigestingWriter::new(Vec::new());
        w.write_all(b"ab").unwrap();
        w.write_all(b"c").unwrap();
        let (bytes, d) = w.finish();
        assert_eq!(bytes, b"abc");
        assert_eq!(d, digest(&b"abc"[..], 1).unwrap());
    }

    #[test]
    fn known_digests_of_abc() {
        let d = digest(&b"abc"[..], 1).unwrap();
        assert_eq!(d.bytes, 3);
        assert_eq!(d.crc32, 0x3524_41C2);
        assert_eq!(
            d.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
