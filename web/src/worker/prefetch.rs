//! Pipelined reads for the video-header phase. A `FileReaderSync` call costs ~0.6 ms whatever
//! its size, and ~10,800 clips on a 256 GB card need at least one each; a chunk's slices
//! joined into one `Blob` and read with one `arrayBuffer()` cost far less each (a slice still
//! costs ~0.2 ms: Chromium registers it with its browser process), and run on the browser's
//! I/O threads while this worker parses the chunk before. So the header phase goes a chunk of
//! clips at a time: the byte ranges the core will read for the next chunk (see
//! `image::read_headers_pipelined`) are requested at once, the core's synchronous reader parses
//! the current chunk from what arrived, and any read outside those ranges falls back to
//! `FileReaderSync` — the core decides what it reads, as before. Outside the header phase,
//! bulk reads (the FAT) are read ahead in one large call.

use std::cell::{Cell, RefCell};
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, FileReaderSync};

use crate::blob_source::{BlobSource, js_error};

/// Bytes of ranges requested per chunk of clips. They are held in JS memory, not the worker's
/// WebAssembly memory, for one chunk (two while the next is in flight).
pub const CHUNK_BYTES: u64 = 8 * 1024 * 1024;

/// Bytes read at a clip's start: its `ftyp` and `mdat` box headers (the core's probe reads 4 KiB).
pub const HEAD_BYTES: u64 = 4 * 1024;

/// Bytes read at a clip's end: a camera's `moov` (the core's probe reads the last 8 KiB; a
/// real one-minute clip's `moov` is larger and reads the rest the slow way).
pub const TAIL_BYTES: u64 = 8 * 1024;

/// Byte ranges `start..end` of one blob, sorted and joined where at most `max_gap` apart.
pub fn joined(mut ranges: Vec<(u64, u64)>, max_gap: u64) -> Vec<(u64, u64)> {
    ranges.retain(|(a, b)| a < b);
    ranges.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1.saturating_add(max_gap) => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// A clip file's tail, where a camera's `moov` is (folder route: one file a clip).
pub fn tail(len: u64) -> Vec<(u64, u64)> {
    vec![(len.saturating_sub(TAIL_BYTES), len)]
}

/// One range of a joined read: its blob (the place among those given), start and length.
type Piece = (usize, u64, u64);

/// Reads in flight: one read of every range at once, of one blob or of several (a folder's
/// files).
pub struct InFlight {
    all: Promise,
    /// Each range's blob (its place among those given), start and length, in the order read.
    ranges: Vec<Piece>,
    /// How many blobs were given.
    blobs: usize,
}

/// Starts reading `ranges` of `blob`, all at once: one `Blob` made of every range's slice, read
/// in one call (the browser then serves one read request instead of one per range, each of
/// which costs it about as much as a slice).
pub fn start(blob: &Blob, ranges: &[(u64, u64)]) -> io::Result<InFlight> {
    start_many(&[(blob, ranges)])
}

/// [`start`] for the ranges of several blobs at once, in one read: a folder's clips are one
/// file each, and a `Blob` can join slices of different files.
pub fn start_many(reads: &[(&Blob, &[(u64, u64)])]) -> io::Result<InFlight> {
    let (joined, ranges) = join_slices(reads)?;
    Ok(InFlight {
        all: joined.array_buffer(),
        ranges,
        blobs: reads.len(),
    })
}

/// Reads `ranges` of `blob` now, synchronously, in one `FileReaderSync` call on the joined
/// slices: for the listing, which the core makes synchronously (see [`super::announced`]).
pub fn read_now(blob: &Blob, ranges: &[(u64, u64)]) -> io::Result<Arrived> {
    let (joined, ranges) = join_slices(&[(blob, ranges)])?;
    let buffer = FileReaderSync::new()
        .and_then(|r| r.read_as_array_buffer(&joined))
        .map_err(|e| js_error("the browser could not read the file", &e))?;
    Ok(split(&Uint8Array::new(&buffer), ranges, 1)
        .pop()
        .unwrap_or_default())
}

/// One `Blob` of every range's slice (`start..end`, clamped to its blob), and each range's blob,
/// start and length in its order.
fn join_slices(reads: &[(&Blob, &[(u64, u64)])]) -> io::Result<(Blob, Vec<Piece>)> {
    let slices = Array::new();
    let mut pieces = Vec::new();
    for (i, &(blob, ranges)) in reads.iter().enumerate() {
        let len = blob.size() as u64;
        for &(a, b) in ranges {
            let (a, b) = (a.min(len), b.min(len));
            if a >= b {
                continue;
            }
            let slice = blob
                .slice_with_f64_and_f64(a as f64, b as f64)
                .map_err(|e| js_error("cannot slice the file", &e))?;
            slices.push(&slice);
            pieces.push((i, a, b - a));
        }
    }
    let joined = if slices.length() == 1 {
        slices.get(0).unchecked_into::<Blob>()
    } else {
        Blob::new_with_blob_sequence(&slices)
            .map_err(|e| js_error("cannot join the file's slices", &e))?
    };
    Ok((joined, pieces))
}

/// The joined read's `bytes` cut back into `ranges` (blob, start, length), one list for each of
/// the `blobs`; none if its length is not theirs (a file changed size meanwhile: the core then
/// reads what it needs one read at a time, and says what is wrong).
fn split(bytes: &Uint8Array, ranges: Vec<Piece>, blobs: usize) -> Vec<Arrived> {
    let mut each = vec![Arrived::new(); blobs];
    let expected: u64 = ranges.iter().map(|r| r.2).sum();
    if bytes.length() as u64 != expected {
        return each;
    }
    let mut at = 0u32;
    for (blob, start, n) in ranges {
        let from = at;
        at += n as u32;
        if let Some(arrived) = each.get_mut(blob) {
            arrived.push((start, bytes.subarray(from, at)));
        }
    }
    each
}

/// Ranges of one blob that have arrived, by start offset (sorted).
pub type Arrived = Vec<(u64, Uint8Array)>;

impl InFlight {
    /// The ranges once they have all arrived (none if the file changed size meanwhile).
    pub async fn arrived(self) -> io::Result<Arrived> {
        Ok(self
            .arrived_each()
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }

    /// Each blob's ranges once they have all arrived, in the order the blobs were given.
    pub async fn arrived_each(self) -> io::Result<Vec<Arrived>> {
        let buffer = JsFuture::from(self.all)
            .await
            .map_err(|e| js_error("the browser could not read the file", &e))?;
        Ok(split(
            &Uint8Array::new(&buffer.unchecked_into::<ArrayBuffer>()),
            self.ranges,
            self.blobs,
        ))
    }
}

/// Reads of at least this many bytes (the FAT, read a few MiB at a time) are read ahead.
const BULK_READ_BYTES: usize = 1024 * 1024;

/// Bytes read in one call for a bulk read: a `FileReaderSync` call costs about as much for
/// 32 MiB as for 4 MiB, so a 256 GB card's 30 MiB FAT is one call instead of eight. Held in
/// JavaScript memory, not the worker's WebAssembly memory, until a read falls outside it.
const READ_AHEAD_BYTES: u64 = 32 * 1024 * 1024;

/// A blob read through the ranges that arrived (shared, so the chunk loop can replace them
/// while the core's reader holds the source), else through `FileReaderSync` (bulk reads
/// [`READ_AHEAD_BYTES`] at a time).
pub struct PrefetchedSource {
    blob: Blob,
    arrived: Rc<RefCell<Arrived>>,
    fallback: Option<BlobSource>,
    /// Reads that found nothing arrived (counted where the chunk loop can see them).
    fallbacks: Rc<Cell<u32>>,
    /// The last bulk read: where it starts, and its bytes.
    ahead: Option<(u64, Uint8Array)>,
    len: u64,
    pos: u64,
}

impl PrefetchedSource {
    /// `blob`, served from `arrived` where it can be.
    pub fn new(blob: Blob, arrived: Rc<RefCell<Arrived>>) -> Self {
        let len = blob.size() as u64;
        Self {
            blob,
            arrived,
            fallback: None,
            fallbacks: Rc::default(),
            ahead: None,
            len,
            pos: 0,
        }
    }

    /// The source counting its reads outside the ranges that arrived in `fallbacks`.
    pub fn counting_fallbacks(self, fallbacks: Rc<Cell<u32>>) -> Self {
        Self { fallbacks, ..self }
    }

    /// The bytes at `pos` that arrived: how many were copied into `buf`, if any.
    fn copy_arrived(&self, buf: &mut [u8]) -> Option<usize> {
        let arrived = self.arrived.borrow();
        let i = arrived.partition_point(|(start, _)| *start <= self.pos);
        let (start, bytes) = arrived.get(i.checked_sub(1)?)?;
        copy_from(*start, bytes, self.pos, buf)
    }

    /// Reads [`READ_AHEAD_BYTES`] (or to the end) from `pos` in one call.
    fn read_ahead(&mut self) -> io::Result<()> {
        let end = self.pos.saturating_add(READ_AHEAD_BYTES).min(self.len);
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.pos as f64, end as f64)
            .map_err(|e| js_error("cannot slice the file", &e))?;
        let data = FileReaderSync::new()
            .and_then(|r| r.read_as_array_buffer(&slice))
            .map_err(|e| js_error("the browser could not read the file", &e))?;
        self.ahead = Some((self.pos, Uint8Array::new(&data)));
        Ok(())
    }
}

/// Copies the bytes at `pos` of `bytes` (which start at `start`) into `buf`: how many, if any.
fn copy_from(start: u64, bytes: &Uint8Array, pos: u64, buf: &mut [u8]) -> Option<usize> {
    // Past the range's end (by any amount: no truncation to 32 bits), nothing is here.
    let within = u32::try_from(pos.checked_sub(start)?).ok()?;
    let available = bytes.length().checked_sub(within).filter(|n| *n > 0)?;
    let n = available.min(buf.len() as u32);
    bytes
        .subarray(within, within + n)
        .copy_to(&mut buf[..n as usize]);
    Some(n as usize)
}

impl Read for PrefetchedSource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        if let Some(n) = self.copy_arrived(buf) {
            self.pos += n as u64;
            return Ok(n);
        }
        self.fallbacks.set(self.fallbacks.get() + 1);
        let ahead_holds = |(start, b): &(u64, Uint8Array)| {
            self.pos >= *start && self.pos - start < b.length() as u64
        };
        if buf.len() >= BULK_READ_BYTES && !self.ahead.as_ref().is_some_and(ahead_holds) {
            self.read_ahead()?;
        }
        if let Some((start, bytes)) = &self.ahead {
            if let Some(n) = copy_from(*start, bytes, self.pos, buf) {
                self.pos += n as u64;
                return Ok(n);
            }
            // Past the bulk read: its bytes are not needed again.
            self.ahead = None;
        }
        let fallback = match &mut self.fallback {
            Some(f) => f,
            None => self.fallback.insert(BlobSource::new(self.blob.clone())?),
        };
        fallback.seek(SeekFrom::Start(self.pos))?;
        let n = fallback.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for PrefetchedSource {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.pos = dashcard::seek::resolve(self.pos, self.len, to, "the file")?;
        Ok(self.pos)
    }
}
