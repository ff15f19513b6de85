//! Pipelined reads for the video-header phase. A `FileReaderSync` call costs ~0.6 ms whatever
//! its size, and ~10,800 clips on a 256 GB card need at least one each; many
//! `Blob.slice(..).arrayBuffer()` reads in flight at once cost far less each, and run on the
//! browser's I/O threads while this worker parses the chunk before. So the header phase goes a
//! chunk of clips at a time: the byte ranges the core will read for the next chunk (each clip's
//! head and tail, joined across the slack between neighbours) are requested all at once, the
//! core's synchronous reader parses the current chunk from what arrived, and any read outside
//! those ranges falls back to `FileReaderSync` — the core decides what it reads, as before.

use std::cell::RefCell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Promise, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Blob;

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

/// Reads in flight: one promise for all of them.
pub struct InFlight {
    all: Promise,
    starts: Vec<u64>,
}

/// Starts reading `ranges` of `blob`, all at once.
pub fn start(blob: &Blob, ranges: &[(u64, u64)]) -> io::Result<InFlight> {
    let promises = Array::new();
    for &(a, b) in ranges {
        let slice = blob
            .slice_with_f64_and_f64(a as f64, b as f64)
            .map_err(|e| js_error("cannot slice the file", &e))?;
        promises.push(&slice.array_buffer());
    }
    Ok(InFlight {
        all: Promise::all(&promises),
        starts: ranges.iter().map(|r| r.0).collect(),
    })
}

/// Ranges of one blob that have arrived, by start offset (sorted).
pub type Arrived = Vec<(u64, Uint8Array)>;

impl InFlight {
    /// The ranges once they have all arrived.
    pub async fn arrived(self) -> io::Result<Arrived> {
        let buffers = JsFuture::from(self.all)
            .await
            .map_err(|e| js_error("the browser could not read the file", &e))?;
        let buffers: Array = buffers.unchecked_into();
        Ok(self
            .starts
            .into_iter()
            .zip(buffers.iter())
            .map(|(start, b)| (start, Uint8Array::new(&b.unchecked_into::<ArrayBuffer>())))
            .collect())
    }
}

/// A blob read through the ranges that arrived (shared, so the chunk loop can replace them
/// while the core's reader holds the source), else through `FileReaderSync`.
pub struct PrefetchedSource {
    blob: Blob,
    arrived: Rc<RefCell<Arrived>>,
    fallback: Option<BlobSource>,
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
            len,
            pos: 0,
        }
    }

    /// The bytes at `pos` that arrived: how many were copied into `buf`, if any.
    fn copy_arrived(&self, buf: &mut [u8]) -> Option<usize> {
        let arrived = self.arrived.borrow();
        let i = arrived.partition_point(|(start, _)| *start <= self.pos);
        let (start, bytes) = arrived.get(i.checked_sub(1)?)?;
        // Past the range's end (by any amount: no truncation to 32 bits), nothing arrived here.
        let within = u32::try_from(self.pos - start).ok()?;
        let available = bytes.length().checked_sub(within).filter(|n| *n > 0)?;
        let n = available.min(buf.len() as u32);
        bytes
            .subarray(within, within + n)
            .copy_to(&mut buf[..n as usize]);
        Some(n as usize)
    }
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
