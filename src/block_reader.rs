//! One reader for every byte taken from a card image.
//!
//! Card images are read through a [`BlockReader`]: aligned blocks kept in a small, bounded
//! LRU cache, so that the many tiny reads a FAT walk makes (32-byte directory entries, 4-byte FAT
//! entries) turn into a few large reads of the underlying source. In the browser each read of a
//! `Blob` costs about the same whatever its size, so fewer, larger reads are what make a 256 GB
//! card open quickly; the cache is bounded so memory never grows with the image.
//!
//! The reader does no I/O of its own: it is generic over any `Read + Seek` (a `std::fs::File`
//! natively, a synchronous `Blob` reader in the web worker) and counts what it asks of it.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

/// Default block size: large enough that a FAT or a directory is read in a handful of calls.
pub const DEFAULT_BLOCK_BYTES: usize = 256 * 1024;
/// Default cache budget: a few MiB, independent of the image size.
pub const DEFAULT_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Default size of the reads a whole structure is taken in (a FAT): where each call costs
/// more than its bytes (a browser `Blob`), a 32 MiB FAT is a handful of calls.
pub const DEFAULT_BULK_READ_BYTES: usize = 4 * 1024 * 1024;

/// Told which byte ranges (offset, length) a walk is about to read one by one, before it reads
/// them (see [`BlockReader::announce`]).
pub type Announcer = Box<dyn FnMut(&[(u64, u64)])>;

/// The most bytes one announcement may name (see [`BlockReader::announce`]): a walk stops
/// adding folders past it, so a hostile card's many folder entries (or entries sharing one long
/// chain) cannot make it hold or look up more than this; the rest is read as before, unannounced.
pub const MAX_ANNOUNCED_BYTES: u64 = 64 * 1024 * 1024;

/// What the reader has asked of its source so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReadStats {
    /// Bytes requested from the underlying source.
    pub bytes_read: u64,
    /// Number of read calls made on the underlying source.
    pub read_calls: u64,
}

struct CachedBlock {
    data: Vec<u8>,
    last_used: u64,
}

/// Cached, aligned, read-only access to a byte source of known length.
pub struct BlockReader<R> {
    inner: R,
    len: u64,
    block_bytes: usize,
    max_blocks: usize,
    blocks: HashMap<u64, CachedBlock>,
    clock: u64,
    stats: ReadStats,
    /// A range the caller expects to read piece by piece soon (see [`BlockReader::hint_span`]).
    span_hint: Option<(u64, u64)>,
    /// The bytes last fetched because of the hint, and where they start.
    held: Option<(u64, Vec<u8>)>,
    /// See [`BlockReader::bulk_read_bytes`].
    bulk_read_bytes: usize,
    /// Who is told of reads to come (the browser's worker; nobody natively).
    announcer: Option<Announcer>,
}

impl<R: Read + Seek> BlockReader<R> {
    /// Wraps `inner` with the default block size and cache budget.
    pub fn new(inner: R) -> io::Result<Self> {
        Self::with_cache(inner, DEFAULT_BLOCK_BYTES, DEFAULT_CACHE_BYTES)
    }

    /// Wraps `inner` with blocks of `block_bytes` (rounded up to a power of two, at least 4 KiB)
    /// and at most `cache_bytes` of cached data (at least two blocks).
    pub fn with_cache(mut inner: R, block_bytes: usize, cache_bytes: usize) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        let block_bytes = block_bytes.max(4096).next_power_of_two();
        let max_blocks = (cache_bytes / block_bytes).max(2);
        Ok(Self {
            inner,
            len,
            block_bytes,
            max_blocks,
            blocks: HashMap::new(),
            clock: 0,
            stats: ReadStats::default(),
            span_hint: None,
            held: None,
            bulk_read_bytes: DEFAULT_BULK_READ_BYTES,
            announcer: None,
        })
    }

    /// Size of the reads a whole structure (a FAT) is taken in, piece by piece:
    /// [`DEFAULT_BULK_READ_BYTES`] unless set.
    pub fn bulk_read_bytes(&self) -> usize {
        self.bulk_read_bytes
    }

    /// Sets [`BlockReader::bulk_read_bytes`] (at least 4 KiB). Natively, where bytes cost more
    /// than calls, a smaller piece that stays in the processor's cache is read and parsed faster
    /// than a large one the kernel copies out to fresh memory.
    pub fn set_bulk_read_bytes(&mut self, bytes: usize) {
        self.bulk_read_bytes = bytes.max(4096);
    }

    /// Length of the source in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the source holds no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What has been read from the source so far.
    pub fn stats(&self) -> ReadStats {
        self.stats
    }

    /// Size of one cached block.
    pub fn block_bytes(&self) -> usize {
        self.block_bytes
    }

    /// Gives the source back.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Fills `buf` from `offset` through the block cache. Reading past the end is an
    /// `UnexpectedEof` error (a truncated image), never a short read.
    pub fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        self.check_range(offset, buf.len() as u64)?;
        self.load_blocks(offset, buf.len() as u64)?;
        let bs = self.block_bytes as u64;
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let index = pos / bs;
            let within = (pos % bs) as usize;
            self.clock += 1;
            let clock = self.clock;
            let block = self
                .blocks
                .get_mut(&index)
                .ok_or_else(|| io::Error::other("block cache lost a block it had just loaded"))?;
            block.last_used = clock;
            let available = block.data.len().saturating_sub(within);
            if available == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "image is truncated",
                ));
            }
            let n = available.min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&block.data[within..within + n]);
            done += n;
        }
        Ok(())
    }

    /// Reads exactly `buf.len()` bytes at `offset` in one call on the source, without filling the
    /// cache: for small scattered reads that will not be repeated (MP4 box headers) and for bulk
    /// file contents, which would only evict the metadata the cache is for. Served from the cache
    /// when every byte is already there.
    pub fn read_direct(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        self.check_range(offset, buf.len() as u64)?;
        let len = buf.len() as u64;
        if let Some((at, data)) = &self.held
            && offset >= *at
            && offset + len <= at + data.len() as u64
        {
            let from = (offset - at) as usize;
            buf.copy_from_slice(&data[from..from + buf.len()]);
            return Ok(());
        }
        let bs = self.block_bytes as u64;
        let first = offset / bs;
        let last = (offset + len - 1) / bs;
        if (first..=last).all(|i| self.blocks.contains_key(&i)) {
            return self.read_at(offset, buf);
        }
        if let Some((start, end)) = self.span_hint
            && offset >= start
            && offset < end
        {
            let mut data = vec![0u8; (end.max(offset + len) - offset) as usize];
            self.fetch(offset, &mut data)?;
            buf.copy_from_slice(&data[..buf.len()]);
            self.held = Some((offset, data));
            return Ok(());
        }
        self.fetch(offset, buf)
    }

    /// Announces that direct reads inside `start..end` are coming (a clip's `moov` tail and the
    /// next clip's head, a few KiB apart on the card): the first direct read that starts inside
    /// the range fetches everything from there to its end in one call, and later direct reads
    /// inside it cost nothing. Worth it where each call costs more than the bytes (a browser
    /// `Blob`, ~0.6 ms a call); the native CLI does not hint, and reads only what it needs.
    pub fn hint_span(&mut self, start: u64, end: u64) {
        let end = end.min(self.len);
        self.span_hint = (start < end).then_some((start, end));
    }

    /// The reader telling `announcer` of the ranges walks announce (see [`Self::announce`]).
    pub fn with_announcer(self, announcer: Announcer) -> Self {
        Self {
            announcer: Some(announcer),
            ..self
        }
    }

    /// Whether announcements reach anyone: walks skip working out what to announce when not
    /// (the native CLI).
    pub fn wants_announcements(&self) -> bool {
        self.announcer.is_some()
    }

    /// Announces the ranges (offset, length) about to be read one by one — a folder's
    /// sub-folders, scattered on the card, which a depth-first walk then reads in turn. A source
    /// where each call costs more than its bytes (a browser `Blob`, ~1 ms a call) can fetch
    /// them all in one joined read when told; the reads that follow are made as before, so
    /// nothing read changes. Without an announcer (the native CLI) this does nothing.
    pub fn announce(&mut self, ranges: &[(u64, u64)]) {
        if let Some(announcer) = &mut self.announcer
            && !ranges.is_empty()
        {
            announcer(ranges);
        }
    }

    /// Loads into the cache every block covering `offset..offset + len`, fetching each run of
    /// missing blocks with one read (split only where the cache budget demands it). Callers that
    /// know they will walk a region (a whole FAT, a directory) call this first.
    pub fn prefetch(&mut self, offset: u64, len: u64) -> io::Result<()> {
        if len == 0 || offset >= self.len {
            return Ok(());
        }
        let len = len.min(self.len - offset);
        self.load_blocks(offset, len)
    }

    fn check_range(&self, offset: u64, len: u64) -> io::Result<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "read of {len} bytes at offset {offset} goes past the end of the image ({} bytes): the image is truncated",
                    self.len
                ),
            )),
        }
    }

    fn load_blocks(&mut self, offset: u64, len: u64) -> io::Result<()> {
        let bs = self.block_bytes as u64;
        let first = offset / bs;
        let last = (offset + len - 1) / bs;
        let mut index = first;
        while index <= last {
            if self.blocks.contains_key(&index) {
                index += 1;
                continue;
            }
            // A run of missing blocks, at most what the cache can hold, fetched in one call.
            let mut run_end = index;
            while run_end < last
                && run_end + 1 - index < self.max_blocks as u64
                && !self.blocks.contains_key(&(run_end + 1))
            {
                run_end += 1;
            }
            let start = index * bs;
            let end = ((run_end + 1) * bs).min(self.len);
            let mut data = vec![0u8; (end - start) as usize];
            self.fetch(start, &mut data)?;
            for (i, chunk) in data.chunks(self.block_bytes).enumerate() {
                self.insert(index + i as u64, chunk.to_vec());
            }
            index = run_end + 1;
        }
        Ok(())
    }

    fn insert(&mut self, index: u64, data: Vec<u8>) {
        if self.blocks.len() >= self.max_blocks
            && let Some(oldest) = self
                .blocks
                .iter()
                .min_by_key(|(_, b)| b.last_used)
                .map(|(i, _)| *i)
        {
            self.blocks.remove(&oldest);
        }
        self.clock += 1;
        self.blocks.insert(
            index,
            CachedBlock {
                data,
                last_used: self.clock,
            },
        );
    }

    fn fetch(&mut self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.stats.read_calls += 1;
        self.stats.bytes_read += buf.len() as u64;
        self.inner.seek(SeekFrom::Start(offset))?;
        self.inner.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                io::Error::new(io::ErrorKind::UnexpectedEof, "image is truncated")
            } else {
                e
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn source(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn small_reads_are_served_from_one_block_read() {
        let data = source(1 << 20);
        let mut r = BlockReader::with_cache(Cursor::new(data.clone()), 64 * 1024, 1 << 20).unwrap();
        let mut buf = [0u8; 32];
        for i in 0..1000u64 {
            r.read_at(i * 32, &mut buf).unwrap();
            assert_eq!(&buf[..], &data[(i * 32) as usize..(i * 32 + 32) as usize]);
        }
        assert_eq!(r.stats().read_calls, 1);
        assert_eq!(r.stats().bytes_read, 64 * 1024);
    }

    #[test]
    fn a_long_read_is_coalesced_and_crosses_blocks_correctly() {
        let data = source(1 << 20);
        let mut r = BlockReader::with_cache(Cursor::new(data.clone()), 4096, 1 << 20).unwrap();
        let mut buf = vec![0u8; 100_000];
        r.read_at(1000, &mut buf).unwrap();
        assert_eq!(buf, data[1000..101_000]);
        assert_eq!(r.stats().read_calls, 1);
    }

    #[test]
    fn the_cache_stays_within_its_budget() {
        let data = source(4 << 20);
        let mut r = BlockReader::with_cache(Cursor::new(data), 4096, 16 * 4096).unwrap();
        let mut buf = [0u8; 8];
        for i in 0..1000u64 {
            r.read_at(i * 4096, &mut buf).unwrap();
        }
        assert!(r.blocks.len() <= 16);
        // Re-reading a recent block costs nothing; an evicted one costs one call.
        let calls = r.stats().read_calls;
        r.read_at(999 * 4096, &mut buf).unwrap();
        assert_eq!(r.stats().read_calls, calls);
        r.read_at(0, &mut buf).unwrap();
        assert_eq!(r.stats().read_calls, calls + 1);
    }

    #[test]
    fn reading_past_the_end_is_a_truncation_error() {
        let mut r = BlockReader::new(Cursor::new(source(10_000))).unwrap();
        let mut buf = [0u8; 100];
        let err = r.read_at(9_950, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let err = r.read_at(u64::MAX - 10, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn a_hinted_span_is_fetched_once_for_the_reads_inside_it() {
        let data = source(1 << 20);
        let mut r = BlockReader::with_cache(Cursor::new(data.clone()), 4096, 1 << 20).unwrap();
        r.hint_span(100_000, 140_000);
        let mut tail = [0u8; 8192];
        r.read_direct(110_000, &mut tail).unwrap();
        assert_eq!(&tail[..], &data[110_000..118_192]);
        let mut head = [0u8; 1024];
        r.read_direct(138_000, &mut head).unwrap();
        assert_eq!(&head[..], &data[138_000..139_024]);
        assert_eq!(r.stats().read_calls, 1);
        assert_eq!(r.stats().bytes_read, 30_000);
        // Outside the span: a read of its own.
        r.read_direct(200_000, &mut head).unwrap();
        assert_eq!(r.stats().read_calls, 2);
    }

    #[test]
    fn announcements_reach_the_announcer_and_change_no_read() {
        let data = source(1 << 20);
        let told = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let sink = told.clone();
        let mut r = BlockReader::with_cache(Cursor::new(data.clone()), 4096, 1 << 20)
            .unwrap()
            .with_announcer(Box::new(move |ranges: &[(u64, u64)]| {
                sink.borrow_mut().push(ranges.to_vec())
            }));
        r.announce(&[]);
        r.announce(&[(8192, 4096), (500_000, 32_768)]);
        assert_eq!(*told.borrow(), vec![vec![(8192, 4096), (500_000, 32_768)]]);
        let mut buf = [0u8; 4096];
        r.read_direct(8192, &mut buf).unwrap();
        assert_eq!(&buf[..], &data[8192..12_288]);
        assert_eq!(r.stats().read_calls, 1);
        // Without an announcer, announcing does nothing.
        let mut plain = BlockReader::new(Cursor::new(data)).unwrap();
        plain.announce(&[(0, 10)]);
        assert_eq!(plain.stats().read_calls, 0);
    }

    #[test]
    fn direct_reads_do_not_fill_the_cache() {
        let data = source(1 << 20);
        let mut r = BlockReader::with_cache(Cursor::new(data.clone()), 4096, 1 << 20).unwrap();
        let mut buf = [0u8; 16];
        r.read_direct(500_000, &mut buf).unwrap();
        assert_eq!(&buf[..], &data[500_000..500_016]);
        assert!(r.blocks.is_empty());
        assert_eq!(r.stats().bytes_read, 16);
    }
}
