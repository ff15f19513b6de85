//! A card image: listed (partition table, FAT, folders) and sent to the page at once, then its
//! video headers read — on a card with many clips, half of them by a helper worker on the other
//! end of a `MessagePort` — and the complete card sent.

use std::cell::RefCell;
use std::io::{Read, Seek};
use std::rc::Rc;

use dashcard::block_reader::BlockReader;
use dashcard::catalog::models::CameraModel;
use dashcard::clip_header::Keys;
use dashcard::listing::{ClipRef, HeaderResult, Listing, split_clips};
use dashcard::scan::{self, ScanError, ScanOptions};
use dashcard_sim::CardBuilder;
use dashcard_sim::camera::{Simulation, fat32_layout, simulate_onto};
use dashcard_sim::memory::SparseMemory;
use js_sys::Reflect;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, MessageEvent, MessagePort};

use super::prefetch::{self, Arrived, PrefetchedSource};
use super::{HEADERS_PHASE, Page, PortHandler, Progress, memory_bytes, part_arrays, unreadable};
use crate::protocol::{
    Failure, FailureKind, FromWorker, PARTS_KEY, Sample, card_parts, encode_part, parse_part,
};

/// Name the first-generation sample card goes by.
pub const SAMPLE_NAME: &str = "Sample card (simulated Nexar Pro, 4 GB)";
/// Name the newer-generation sample card goes by.
pub const NEWER_SAMPLE_NAME: &str = "Sample card (simulated Nexar N1, 8 GB)";

/// What a sample card is: its camera, card size and days of use (enough for the loop to have
/// started: the N1 keeps 3 GiB free, so its card is larger).
fn sample_of(sample: Sample) -> (&'static str, CameraModel, u64, u32) {
    match sample {
        Sample::Pro => (SAMPLE_NAME, CameraModel::Pro, 4_000_000_000, 3),
        Sample::N1 => (NEWER_SAMPLE_NAME, CameraModel::N1, 8_000_000_000, 2),
    }
}

/// Clips whose end and the next clip's start are at most this far apart on the card are read
/// in one call (the tail of one and the head of the next): a `Blob` read costs ~0.6 ms
/// whatever its size. The gap is the slack of the clip's last cluster: under 32 KiB on FAT32,
/// up to a whole 256 KiB cluster on an N1's exFAT card, where reading every gap took the
/// 256 GB benchmark card's durations from ~18 s to ~36 s (loaded 2-core machine); at 128 KiB
/// about half the exFAT clips take one call and half take two.
pub(super) const COALESCE_GAP_BYTES: u64 = 128 * 1024;

/// Reads up to `max` bytes of a listed file (the sidecar logs telemetry is read from).
pub(super) type FileReader = Box<dyn FnMut(&Listing, usize, u64) -> Result<Vec<u8>, String>>;

/// A card waiting for the helper's half of its headers, and its file reader.
type Waiting = (Listing, Vec<HeaderResult>, FileReader);

thread_local! {
    /// A card whose first half of headers is read, waiting for the helper's half.
    static WAITING: RefCell<Option<Waiting>> = const { RefCell::new(None) };
    /// The helper's half, when it came before this worker's half was read.
    static THEIRS: RefCell<Option<Vec<HeaderResult>>> = const { RefCell::new(None) };
    /// The handler of the helper's port (kept for the life of the worker).
    static PORT_HANDLER: RefCell<Option<PortHandler>> = const { RefCell::new(None) };
}

/// Reads the image `file`; with a `port`, a helper may read half of its video headers.
pub(super) fn open_image(
    page: &Page,
    name: &str,
    file: Blob,
    port: Option<MessagePort>,
    keys: &Keys,
) -> Result<(), Failure> {
    let arrived = Rc::new(RefCell::new(Arrived::new()));
    let source = PrefetchedSource::new(file.clone(), arrived.clone());
    let (listing, mut reader, mine, helper) = list_and_send(page, name, source, port)?;
    let page = page.clone();
    let keys = keys.clone();
    // The header phase awaits its reads: the rest of this job runs as a task of its own.
    wasm_bindgen_futures::spawn_local(async move {
        let mut progress = Progress::new(&page, HEADERS_PHASE);
        let read = read_headers_pipelined(&mut reader, &arrived, &file, &mine, &keys, |d, t| {
            progress.tick(d, t)
        })
        .await
        .map_err(|e| unreadable(format!("cannot read the video headers: {e}")))
        .and_then(|results| finish_headers(&page, listing, results, reader, helper.is_some()));
        if let Err(failure) = read {
            page.post(&FromWorker::Failed(failure));
        }
    });
    Ok(())
}

/// Reads the video headers of `clips` (sorted by where they lie) a chunk at a time, the next
/// chunk's bytes in flight while this one is parsed (see [`prefetch`]).
pub(super) async fn read_headers_pipelined(
    reader: &mut BlockReader<PrefetchedSource>,
    arrived: &Rc<RefCell<Arrived>>,
    blob: &Blob,
    clips: &[ClipRef],
    keys: &Keys,
    mut progress: impl FnMut(usize, usize),
) -> std::io::Result<Vec<HeaderResult>> {
    let total = clips.len();
    let chunks = image_chunks(clips);
    let mut results = Vec::with_capacity(total);
    let mut next = match chunks.first() {
        Some((_, ranges)) => Some(prefetch::start(blob, ranges)?),
        None => None,
    };
    for (i, (chunk, _)) in chunks.iter().enumerate() {
        let got = match next.take() {
            Some(reads) => reads.arrived().await?,
            None => Arrived::new(),
        };
        *arrived.borrow_mut() = got;
        if let Some((_, ranges)) = chunks.get(i + 1) {
            next = Some(prefetch::start(blob, ranges)?);
        }
        let base = results.len();
        results.extend(scan::read_headers(
            reader,
            chunk,
            COALESCE_GAP_BYTES,
            keys,
            |done, _| progress(base + done, total),
        ));
    }
    arrived.borrow_mut().clear();
    Ok(results)
}

/// Clips parsed together, and the byte ranges read for them.
type Chunk<'a> = (&'a [ClipRef], Vec<(u64, u64)>);

/// `clips` cut into chunks of about [`prefetch::CHUNK_BYTES`] of reads, each with the byte
/// ranges the core will read for it: every clip's head and tail, joined with the slack up to
/// the next clip where the core reads them in one call.
fn image_chunks(clips: &[ClipRef]) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let (mut from, mut bytes, mut ranges) = (0, 0, Vec::new());
    for (i, clip) in clips.iter().enumerate() {
        let (Some(first), Some(last)) = (clip.extents.first(), clip.extents.last()) else {
            continue;
        };
        let end = last.offset + last.bytes;
        ranges.push((first.offset, (first.offset + prefetch::HEAD_BYTES).min(end)));
        ranges.push((end.saturating_sub(prefetch::TAIL_BYTES), end));
        bytes += prefetch::HEAD_BYTES + prefetch::TAIL_BYTES;
        let next = clips.get(i + 1).and_then(|n| n.extents.first());
        if let Some(next) = next
            && next.offset >= end
            && next.offset - end <= COALESCE_GAP_BYTES
        {
            bytes += next.offset - end;
        }
        if bytes >= prefetch::CHUNK_BYTES || i + 1 == clips.len() {
            let ranges = prefetch::joined(std::mem::take(&mut ranges), COALESCE_GAP_BYTES);
            chunks.push((&clips[from..=i], ranges));
            (from, bytes) = (i + 1, 0);
        }
    }
    chunks
}

/// Simulates a sample card in memory (its clips made of `clip`, a real MP4, when given) and
/// reads it.
pub(super) fn open_sample(
    page: &Page,
    sample: Sample,
    clip: Option<Vec<u8>>,
) -> Result<(), Failure> {
    let (name, model, bytes, days) = sample_of(sample);
    Progress::step(
        page,
        &format!("Simulating {days} days of a {}", model.facts().name),
    );
    let mut image = SparseMemory::new(bytes);
    let sim = Simulation {
        clip: clip.filter(|c| !c.is_empty()),
        ..Simulation::new(model, bytes, days)
    };
    // The FAT32 writer directly: the worker links no exFAT writer for a card it never makes.
    CardBuilder::format(&mut image, &fat32_layout(&sim))
        .and_then(|card| simulate_onto(card, &sim))
        .map_err(|e| unreadable(format!("cannot build the sample card: {e}")))?;
    image.rewind().map_err(|e| unreadable(e.to_string()))?;
    read_image(page, name, image, &Keys::default())
}

/// A reader of the image's files.
fn image_files<R: Read + Seek + 'static>(mut reader: BlockReader<R>) -> FileReader {
    Box::new(move |listing: &Listing, index: usize, max: u64| {
        let file = listing
            .files
            .get(index)
            .ok_or_else(|| format!("no file {index} on the card"))?;
        let mut bytes = Vec::new();
        file.open(&mut reader)
            .take(max)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    })
}

/// Lists the image, sends the card to the page and hands half of the clips to the helper on
/// `port` if there is one: the listing, the reader, this worker's clips and the helper's port.
#[allow(clippy::type_complexity)]
fn list_and_send<R: Read + Seek + 'static>(
    page: &Page,
    name: &str,
    source: R,
    port: Option<MessagePort>,
) -> Result<(Listing, BlockReader<R>, Vec<ClipRef>, Option<MessagePort>), Failure> {
    Progress::step(page, "Reading the partition table, the FAT and the folders");
    let mut reader =
        BlockReader::new(source).map_err(|e| unreadable(format!("cannot read {name}: {e}")))?;
    let options = ScanOptions {
        source_name: Some(name.to_string()),
        ..ScanOptions::default()
    };
    let listing = scan::list_image(&mut reader, &options).map_err(|e| scan_failure(name, &e))?;
    let (mine, theirs) = match &port {
        Some(_) => split_clips(listing.image_clips()),
        None => (listing.image_clips(), Vec::new()),
    };
    let helper = port.filter(|_| !theirs.is_empty());
    send_card(page, &listing, false, helper.is_some())?;
    if let Some(port) = &helper {
        hand_over(page, port, &theirs)?;
    }
    Ok((listing, reader, mine, helper))
}

/// Reads the image of a sample card, all in one go (it is in memory).
fn read_image<R: Read + Seek + 'static>(
    page: &Page,
    name: &str,
    source: R,
    keys: &Keys,
) -> Result<(), Failure> {
    let (listing, mut reader, mine, helper) = list_and_send(page, name, source, None)?;
    let mut progress = Progress::new(page, HEADERS_PHASE);
    let results = scan::read_headers(
        &mut reader,
        &mine,
        COALESCE_GAP_BYTES,
        keys,
        |done, total| progress.tick(done, total),
    );
    finish_headers(page, listing, results, reader, helper.is_some())
}

/// With this worker's half of the headers read: the `.imu` headers, then the complete card —
/// now, or when the helper's half is here too.
fn finish_headers<R: Read + Seek + 'static>(
    page: &Page,
    listing: Listing,
    results: Vec<HeaderResult>,
    mut reader: BlockReader<R>,
    helped: bool,
) -> Result<(), Failure> {
    let imu = scan::read_imu_headers(&mut reader, &listing);
    let listing = listing.with_imu_headers(imu);
    let files = image_files(reader);
    if !helped {
        return complete_card(page, &listing.with_headers(results), files);
    }
    match THEIRS.with(|t| t.borrow_mut().take()) {
        Some(theirs) => {
            let mut results = results;
            results.extend(theirs);
            complete_card(page, &listing.with_headers(results), files)
        }
        None => {
            // The helper's half arrives on the port; the card waits here until then.
            WAITING.with(|w| *w.borrow_mut() = Some((listing, results, files)));
            Ok(())
        }
    }
}

/// Reads the card's telemetry through `files` and sends it, then the complete card: the page
/// has both by the time it calls the card complete (its JSON report then holds the telemetry).
pub(super) fn complete_card(
    page: &Page,
    listing: &Listing,
    mut files: FileReader,
) -> Result<(), Failure> {
    let catalog = dashcard::catalog::build(listing);
    Progress::step(page, "Reading GPS and motion logs");
    let telemetry = dashcard::telemetry::card::read(
        listing,
        &catalog,
        dashcard::telemetry::DriveOptions::default(),
        |i, max| files(listing, i, max),
    );
    let part = encode_part(&telemetry).map_err(unreadable)?;
    page.post_parts(&FromWorker::Telemetry, vec![part]);
    send_catalogued(page, listing, catalog, true, false)
}

/// Sends `clips` to the helper on `port`, and completes the card when its results come back.
fn hand_over(page: &Page, port: &MessagePort, clips: &[ClipRef]) -> Result<(), Failure> {
    let page_for_results = page.clone();
    let on_results = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let page = &page_for_results;
        let done = port_part(&event.data())
            .and_then(|part| parse_part::<Vec<HeaderResult>>(&part).map_err(unreadable))
            .and_then(|theirs| match WAITING.with(|w| w.borrow_mut().take()) {
                Some((listing, mut results, files)) => {
                    results.extend(theirs);
                    complete_card(page, &listing.with_headers(results), files)
                }
                // This worker is still reading its half: it takes these when it is done.
                None => {
                    THEIRS.with(|t| *t.borrow_mut() = Some(theirs));
                    Ok(())
                }
            });
        if let Err(failure) = done {
            page.post(&FromWorker::Failed(failure));
        }
    });
    port.set_onmessage(Some(on_results.as_ref().unchecked_ref()));
    PORT_HANDLER.with(|h| *h.borrow_mut() = Some(on_results));
    post_on_port(port, encode_part(&clips).map_err(unreadable)?)
}

/// Builds the catalog and the estimate (no what-if inputs) and sends the card to the page.
pub(super) fn send_card(
    page: &Page,
    listing: &Listing,
    complete: bool,
    wants_helper: bool,
) -> Result<(), Failure> {
    let catalog = dashcard::catalog::build(listing);
    send_catalogued(page, listing, catalog, complete, wants_helper)
}

/// Builds the estimate (no what-if inputs) and sends the card with its `catalog`.
fn send_catalogued(
    page: &Page,
    listing: &Listing,
    catalog: dashcard::catalog::Catalog,
    complete: bool,
    wants_helper: bool,
) -> Result<(), Failure> {
    let estimate = dashcard::estimate::build(listing, &catalog, &Default::default());
    let parts = card_parts(listing, &catalog, &estimate).map_err(unreadable)?;
    page.post_parts(
        &FromWorker::Card {
            complete,
            wants_helper,
            memory_bytes: memory_bytes(),
        },
        parts,
    );
    Ok(())
}

/// Why the image could not be listed, as the page should hear it.
fn scan_failure(name: &str, e: &ScanError) -> Failure {
    let kind = match e.unsupported_filesystem() {
        Some(filesystem) => FailureKind::NotSupported(filesystem.to_string()),
        None => FailureKind::Unreadable,
    };
    Failure::new(kind, format!("cannot read {name}: {e}"))
}

/// Posts one part on `port` as `{ parts }`, transferring its buffer.
pub(super) fn post_on_port(port: &MessagePort, part: Vec<u8>) -> Result<(), Failure> {
    let (arrays, buffers) = part_arrays(vec![part]);
    let message = js_sys::Object::new();
    let _ = Reflect::set(&message, &PARTS_KEY.into(), &arrays);
    port.post_message_with_transferable(&message, &buffers)
        .map_err(|_| {
            Failure::new(
                FailureKind::WorkerCrashed,
                "the two card readers cannot talk",
            )
        })
}

/// The one part of a message that came on a port.
pub(super) fn port_part(data: &JsValue) -> Result<Vec<u8>, Failure> {
    Reflect::get(data, &PARTS_KEY.into())
        .ok()
        .and_then(|p| p.dyn_into::<js_sys::Array>().ok())
        .and_then(|p| p.get(0).dyn_into::<js_sys::Uint8Array>().ok())
        .map(|a| a.to_vec())
        .ok_or_else(|| unreadable("nothing came over the port".to_string()))
}
