//! A time range of one camera exported as one MP4 in the worker: the core's
//! [`write_range`] reads the segments from the image's extents (one shared reader) or the
//! folder's files, decrypting where the camera encrypted them, and writes into a [`BlobSink`]
//! that hands its bytes to the browser's blob store as it goes — the worker's memory holds the
//! sample tables and a few MiB of buffer, never the clip.

use std::cell::RefCell;
use std::io::{self, Read, Seek, Write};

use dashcard::block_reader::BlockReader;
use dashcard::clip_header::Keys;
use dashcard::export::clip_source::SharedClip;
use dashcard::export::range_export::{RangeSource, write_range};
use dashcard::remux::{Progress as RemuxProgress, TimeRange};
use js_sys::{Array, Uint8Array};
use web_sys::{Blob, BlobPropertyBag, File};

use super::{PROGRESS_EVERY_MS, Page, memory_bytes};
use crate::blob_source::BlobSource;
use crate::protocol::{ClipSegment, FromWorker, encode_part, parse_part};
use crate::worker_client::describe;

/// Bytes gathered in the worker before they go to JavaScript as one array.
const BUFFER_BYTES: usize = 4 << 20;
/// Bytes of arrays gathered before they are folded into the growing `Blob` (the browser
/// keeps a `Blob`'s bytes in its own store, not in this worker's heap).
const FOLD_BYTES: usize = 32 << 20;
/// Block size and cache of the reader the segments share.
const BLOCK_BYTES: usize = 64 * 1024;
const CACHE_BYTES: usize = 1024 * 1024;

/// The step shown while the clip is written.
pub(super) const CLIP_PHASE: &str = "Exporting the clip";

/// Exports `range` from the segments of `part` ([`ClipSegment`]s) of `image`, or of the
/// folder's `files` in the same order, and posts the MP4 as a `Blob` with its record.
pub(super) fn export(
    page: &Page,
    part: &[u8],
    range: TimeRange,
    image: Option<Blob>,
    files: Option<Vec<File>>,
    keys: &Keys,
) -> Result<(), String> {
    let segments: Vec<ClipSegment> = parse_part(part)?;
    let mut progress = Throttle::new(page);
    let (export, sink) = match (image, files) {
        (Some(image), _) => {
            let source = BlobSource::new(image).map_err(|e| e.to_string())?;
            let reader = RefCell::new(
                BlockReader::with_cache(source, BLOCK_BYTES, CACHE_BYTES)
                    .map_err(|e| format!("cannot read the card: {e}"))?,
            );
            let sources = segments
                .iter()
                .map(|s| RangeSource {
                    segment: s.segment,
                    path: s.path.clone(),
                    source: SharedClip::new(
                        &reader,
                        &s.clip.extents,
                        s.clip.valid_bytes.unwrap_or(s.clip.bytes),
                        s.clip.bytes,
                    ),
                    bytes: s.clip.bytes,
                })
                .collect();
            run(sources, range, keys, &mut progress)?
        }
        (None, Some(files)) => {
            let mut sources = Vec::with_capacity(segments.len());
            for (s, file) in segments.iter().zip(files) {
                sources.push(RangeSource {
                    segment: s.segment,
                    path: s.path.clone(),
                    source: BlobSource::new(file.into()).map_err(|e| e.to_string())?,
                    bytes: s.clip.bytes,
                });
            }
            if sources.len() != segments.len() {
                return Err("a segment's file did not come with the request".to_string());
            }
            run(sources, range, keys, &mut progress)?
        }
        _ => return Err("no card came with the request".to_string()),
    };
    let blob = sink.finish()?;
    page.post_parts_with(
        &FromWorker::Clipped {
            memory_bytes: memory_bytes(),
        },
        vec![encode_part(&export)?],
        &[blob.as_ref()],
    );
    Ok(())
}

fn run<R: Read + Seek>(
    sources: Vec<RangeSource<R>>,
    range: TimeRange,
    keys: &Keys,
    progress: &mut Throttle,
) -> Result<(dashcard::export::range_export::RangeExport, BlobSink), String> {
    write_range(
        sources,
        range,
        keys,
        |_| Ok(BlobSink::new()),
        |p| progress.tick(p),
    )
}

/// Progress of the copy, at most every [`PROGRESS_EVERY_MS`].
struct Throttle<'a> {
    page: &'a Page,
    last_ms: f64,
}

impl<'a> Throttle<'a> {
    fn new(page: &'a Page) -> Self {
        Self { page, last_ms: 0.0 }
    }

    fn tick(&mut self, p: RemuxProgress) {
        let now = js_sys::Date::now();
        if p.bytes_done == p.bytes_total || now - self.last_ms >= PROGRESS_EVERY_MS {
            self.last_ms = now;
            self.page.post(&FromWorker::Progress {
                phase: CLIP_PHASE.to_string(),
                done: p.bytes_done,
                total: Some(p.bytes_total),
            });
        }
    }
}

/// A `Write` that ends as a `Blob`: bytes are buffered here, copied out to JavaScript arrays
/// [`BUFFER_BYTES`] at a time, and those folded into one growing `Blob` every [`FOLD_BYTES`].
pub struct BlobSink {
    buffer: Vec<u8>,
    arrays: Array,
    arrays_bytes: usize,
    blob: Option<Blob>,
}

impl BlobSink {
    fn new() -> Self {
        Self {
            buffer: Vec::with_capacity(BUFFER_BYTES),
            arrays: Array::new(),
            arrays_bytes: 0,
            blob: None,
        }
    }

    /// Moves the buffer out to a JavaScript array.
    fn spill(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        self.arrays.push(&Uint8Array::from(self.buffer.as_slice()));
        self.arrays_bytes += self.buffer.len();
        self.buffer.clear();
    }

    /// Folds the arrays into the `Blob`.
    fn fold(&mut self) -> Result<(), String> {
        let parts = Array::new();
        if let Some(blob) = self.blob.take() {
            parts.push(&blob);
        }
        for a in self.arrays.iter() {
            parts.push(&a);
        }
        let options = BlobPropertyBag::new();
        options.set_type("video/mp4");
        let blob =
            Blob::new_with_blob_sequence_and_options(&parts, &options).map_err(|e| describe(&e))?;
        self.blob = Some(blob);
        self.arrays = Array::new();
        self.arrays_bytes = 0;
        Ok(())
    }

    /// The whole output as one `Blob`.
    fn finish(mut self) -> Result<Blob, String> {
        self.spill();
        self.fold()?;
        self.blob.ok_or_else(|| "nothing was written".to_string())
    }
}

impl Write for BlobSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = BUFFER_BYTES - self.buffer.len();
        let n = buf.len().min(room);
        self.buffer
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        if self.buffer.len() >= BUFFER_BYTES {
            self.spill();
            if self.arrays_bytes >= FOLD_BYTES {
                self.fold().map_err(io::Error::other)?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
