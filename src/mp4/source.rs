//! Few, bounded reads of a clip's bytes.
//!
//! Each `read` on the file costs about the same whatever its size (a `Blob` slice in the browser,
//! an extent of a card image), so the parser asks for the few bytes it needs and this reader
//! fetches a chunk ahead of them in one call, serving the following header fields from it. Every
//! allocation is bounded by constants, never by sizes found in the file.

use std::io::{self, Read, Seek, SeekFrom};

use super::error::Mp4Error;

/// How far ahead of a requested field one read goes inside `moov`: enough for `mvhd` and the
/// first tracks' headers, never past the end of `moov`.
pub(crate) const READ_AHEAD_BYTES: usize = 8 * 1024;

/// How far ahead reads go before `moov` is found: enough for `ftyp` and the `mdat` header, but
/// no deeper into the media payload that follows them.
pub(crate) const HEAD_PROBE_BYTES: usize = 1024;

/// Most read calls one clip may cost before the reader gives up.
pub(crate) const MAX_READ_CALLS: u32 = 64;

/// Anything to read a clip from. The reader takes it as a trait object: the box walk is
/// compiled once, whatever the source (an extent of a card image, a browser `Blob`, a file,
/// their decrypted views), which keeps the web worker small; each clip costs a few calls.
pub(crate) trait ReadSeek: Read + Seek {}

impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// The file, plus the one chunk last read from it.
pub(crate) struct Source<'a> {
    file: &'a mut dyn ReadSeek,
    file_bytes: u64,
    chunk: Vec<u8>,
    chunk_offset: u64,
    read_limit: u64,
    read_ahead: usize,
    read_calls: u32,
    max_calls: u32,
}

impl<'a> Source<'a> {
    /// Reads from `file`, which holds `file_bytes` bytes.
    pub(crate) fn new(file: &'a mut dyn ReadSeek, file_bytes: u64) -> Self {
        Self {
            file,
            file_bytes,
            chunk: Vec::new(),
            chunk_offset: 0,
            read_limit: file_bytes,
            read_ahead: HEAD_PROBE_BYTES,
            read_calls: 0,
            max_calls: MAX_READ_CALLS,
        }
    }

    /// Reads from `file` as [`Source::new`], with `chunk` (the file's bytes at `chunk_offset`)
    /// already read.
    pub(crate) fn with_chunk(
        file: &'a mut dyn ReadSeek,
        file_bytes: u64,
        chunk: Vec<u8>,
        chunk_offset: u64,
    ) -> Self {
        Self {
            chunk,
            chunk_offset,
            ..Self::new(file, file_bytes)
        }
    }

    /// From now on, read ahead no further than `end` (the end of `moov`, so that the bytes after
    /// it, often the media payload, are never read).
    /// Inside `moov` every byte is header, so reads may go further ahead.
    pub(crate) fn limit_reads_to(&mut self, end: u64) {
        self.read_limit = end;
        self.read_ahead = READ_AHEAD_BYTES;
    }

    /// Allows `calls` more reads than the usual bound (a walk over a fragmented file's
    /// fragments, itself bounded by its own count).
    pub(crate) fn allow_reads(&mut self, calls: u32) {
        self.max_calls = self.max_calls.max(self.read_calls.saturating_add(calls));
    }

    /// Size of the file.
    pub(crate) fn file_bytes(&self) -> u64 {
        self.file_bytes
    }

    /// The `len` bytes at `offset` of the box `kind` (named in errors). Served from the last
    /// chunk when it holds them; otherwise one read of up to the read-ahead from `offset`,
    /// never past the read limit nor past the end of the file.
    pub(crate) fn bytes(
        &mut self,
        kind: &[u8; 4],
        offset: u64,
        len: usize,
    ) -> Result<&[u8], Mp4Error> {
        let end = offset
            .checked_add(len as u64)
            .ok_or_else(|| Mp4Error::malformed(kind, offset, "its offset overflows"))?;
        if end > self.file_bytes {
            return Err(Mp4Error::Truncated {
                box_type: super::boxes::fourcc(kind),
                offset,
                needed_end: end,
                file_bytes: self.file_bytes,
            });
        }
        let cached = offset >= self.chunk_offset
            && end <= self.chunk_offset.saturating_add(self.chunk.len() as u64);
        if !cached {
            self.fetch(kind, offset, len)?;
        }
        // Both bounds were checked against the chunk above (or the chunk now starts at `offset`
        // and holds at least `len` bytes), so this never fails; `get` keeps it panic-free anyway.
        let start = (offset - self.chunk_offset) as usize;
        self.chunk
            .get(start..start + len)
            .ok_or_else(|| Mp4Error::malformed(kind, offset, "internal read window mismatch"))
    }

    fn fetch(&mut self, kind: &[u8; 4], offset: u64, len: usize) -> Result<(), Mp4Error> {
        if self.read_calls >= self.max_calls {
            return Err(Mp4Error::TooComplex {
                reason: format!(
                    "more than {} reads of one file's header boxes",
                    self.max_calls
                ),
            });
        }
        let stop = self
            .read_limit
            .min(self.file_bytes)
            .max(offset + len as u64);
        // The file's last few KiB are read whole: dash cams end a clip with `moov`, so a read
        // at its header that runs to the end of the file gets all of it in one call.
        let to_end = self.file_bytes.saturating_sub(offset);
        let ahead = if self.read_limit >= self.file_bytes && to_end <= READ_AHEAD_BYTES as u64 {
            to_end as usize
        } else {
            self.read_ahead
        };
        let want = (ahead.max(len) as u64).min(stop - offset) as usize;
        self.read_calls += 1;
        self.chunk.clear();
        self.chunk.resize(want, 0);
        self.chunk_offset = offset;
        let result = self
            .file
            .seek(SeekFrom::Start(offset))
            .and_then(|_| self.file.read_exact(&mut self.chunk));
        if let Err(e) = result {
            // Forget the partly filled chunk so nothing is ever served from it.
            self.chunk.clear();
            // A stream shorter than its stated size (clusters that end early) is reported as
            // such: the stated size is not what is wrong with the box.
            let message = if e.kind() == io::ErrorKind::UnexpectedEof {
                format!(
                    "the file's bytes end before its recorded size of {} bytes (reading {want} bytes at offset {offset} for the {} box): {e}",
                    self.file_bytes,
                    super::boxes::fourcc(kind)
                )
            } else {
                e.to_string()
            };
            return Err(Mp4Error::Io { message });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn fields_inside_the_last_chunk_cost_no_further_read() {
        let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let mut cursor = Cursor::new(data.clone());
        let mut src = Source::new(&mut cursor, data.len() as u64);
        src.limit_reads_to(data.len() as u64);
        assert_eq!(src.bytes(b"test", 10, 4).unwrap(), &data[10..14]);
        assert_eq!(src.bytes(b"test", 8000, 8).unwrap(), &data[8000..8008]);
        assert_eq!(src.read_calls, 1);
        // The chunk is 10..8202: a field straddling its end starts a new chunk there.
        assert_eq!(src.bytes(b"test", 8198, 8).unwrap(), &data[8198..8206]);
        assert_eq!(src.read_calls, 2);
        assert_eq!(src.chunk_offset, 8198);
    }

    #[test]
    fn a_read_stops_at_its_limit_and_at_the_end_of_the_file() {
        let mut cursor = Cursor::new(vec![7u8; 1000]);
        let mut src = Source::new(&mut cursor, 1000);
        src.limit_reads_to(300);
        src.bytes(b"test", 100, 8).unwrap();
        assert_eq!(src.chunk.len(), 200);
        src.limit_reads_to(1000);
        src.bytes(b"test", 990, 10).unwrap();
        assert_eq!(src.chunk.len(), 10);
        assert!(matches!(
            src.bytes(b"test", 995, 10),
            Err(Mp4Error::Truncated {
                needed_end: 1005,
                ..
            })
        ));
    }

    #[test]
    fn a_stream_shorter_than_its_stated_size_is_an_error_not_garbage() {
        let mut cursor = Cursor::new(vec![1u8; 100]);
        let mut src = Source::new(&mut cursor, 10_000);
        let err = src.bytes(b"test", 50, 8).unwrap_err();
        assert!(
            matches!(&err, Mp4Error::Io { message } if message.contains("before its recorded size")),
            "{err}"
        );
        // The failed chunk is not served afterwards.
        src.limit_reads_to(58);
        assert!(src.bytes(b"test", 50, 8).is_ok());
    }

    #[test]
    fn the_number_of_reads_is_bounded() {
        let mut cursor = Cursor::new(vec![0u8; 1 << 20]);
        let mut src = Source::new(&mut cursor, 1 << 20);
        let mut last = Ok(());
        for i in 0..100u64 {
            last = src.bytes(b"test", i * 10_000, 8).map(|_| ());
        }
        assert!(matches!(last, Err(Mp4Error::TooComplex { .. })));
    }
}
