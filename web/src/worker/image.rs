//! A card image: listed (partition table, FAT, folders) and sent to the page at once, then its
//! video headers read — on a card with many clips, shared with helper workers on the other
//! ends of `MessagePort`s, each reading a share in parallel ([`shares`]) — and the complete
//! card sent.

use std::cell::{Cell, RefCell};
use std::io::{Read, Seek};
use std::rc::Rc;

use dashcard::block_reader::{Announcer, BlockReader};
use dashcard::catalog::models::CameraModel;
use dashcard::clip_header::Keys;
use dashcard::listing::{ClipRef, HeaderResult, Listing};
use dashcard::scan::{self, ScanError, ScanOptions};
use dashcard_sim::CardBuilder;
use dashcard_sim::camera::{Simulation, fat32_layout, simulate_onto};
use dashcard_sim::memory::SparseMemory;
use web_sys::{Blob, MessagePort};

use super::prefetch::{self, Arrived, PrefetchedSource};
use super::{HEADERS_PHASE, JsParts, Page, Progress, memory_bytes, unreadable};
use super::{announced, shares};
use crate::protocol::{
    Failure, FailureKind, FromWorker, Sample, card_parts, encode_part, head_part,
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

/// Reads the image `file`; a helper on each of `ports` reads a share of its video headers.
pub(super) fn open_image(
    page: &Page,
    name: &str,
    file: Blob,
    ports: Vec<MessagePort>,
    keys: &Keys,
) -> Result<(), Failure> {
    let arrived = Rc::new(RefCell::new(Arrived::new()));
    let fallbacks = Rc::new(Cell::new(0));
    let source =
        PrefetchedSource::new(file.clone(), arrived.clone()).counting_fallbacks(fallbacks.clone());
    let announcer = announced::announcer(file.clone(), arrived.clone());
    let (listing, mut reader, mine) = list_and_send(page, name, source, Some(announcer), &ports)?;
    // The folders read: their bytes are not needed again.
    arrived.borrow_mut().clear();
    let page = page.clone();
    let keys = keys.clone();
    // The header phase awaits its reads: the rest of this job runs as a task of its own.
    wasm_bindgen_futures::spawn_local(async move {
        let mut progress = Progress::new(&page, HEADERS_PHASE);
        let read = read_headers_pipelined(
            &mut reader,
            &arrived,
            &fallbacks,
            &file,
            &mine,
            &keys,
            |d, t| progress.tick(d, t),
        )
        .await
        .map_err(|e| unreadable(format!("cannot read the video headers: {e}")))
        .and_then(|results| finish_headers(&page, listing, results, reader));
        if let Err(failure) = read {
            page.post(&FromWorker::Failed(failure));
        }
    });
    Ok(())
}

/// Reads the video headers of `clips` (sorted by where they lie) a chunk at a time, the next
/// chunk's bytes in flight while this one is parsed (see [`prefetch`]). The bytes asked for
/// are those the core reads: each clip's tail while the core finds clips' headers there (a
/// camera's clip ends with its `moov`), with the next clip's head where it follows within
/// [`scan::PROBE_GAP_BYTES`]; once most reads of a chunk fell back to reading one by one
/// (clips whose `moov` is at their start), every clip's head and tail, as the core then reads.
pub(super) async fn read_headers_pipelined(
    reader: &mut BlockReader<PrefetchedSource>,
    arrived: &Rc<RefCell<Arrived>>,
    fallbacks: &Rc<Cell<u32>>,
    blob: &Blob,
    clips: &[ClipRef],
    keys: &Keys,
    mut progress: impl FnMut(usize, usize),
) -> std::io::Result<Vec<HeaderResult>> {
    let total = clips.len();
    let chunks = image_chunks(clips);
    let mut results = Vec::with_capacity(total);
    let mut from_tails = true;
    let mut next = match chunks.first() {
        Some(chunk) => Some(prefetch::start(blob, &chunk_ranges(chunk, from_tails))?),
        None => None,
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let got = match next.take() {
            Some(reads) => reads.arrived().await?,
            None => Arrived::new(),
        };
        *arrived.borrow_mut() = got;
        if let Some(chunk) = chunks.get(i + 1) {
            next = Some(prefetch::start(blob, &chunk_ranges(chunk, from_tails))?);
        }
        let base = results.len();
        fallbacks.set(0);
        results.extend(scan::read_headers(
            reader,
            chunk,
            COALESCE_GAP_BYTES,
            keys,
            |done, _| progress(base + done, total),
        ));
        from_tails = fallbacks.get() as usize * 2 <= chunk.len();
    }
    arrived.borrow_mut().clear();
    Ok(results)
}

/// Most clips whose reads are in flight at once: few enough that the first arrive soon and the
/// next chunk's are read while one is parsed, many enough that a chunk's one read is worth it.
const CHUNK_CLIPS: usize = 256;

/// `clips` cut into chunks of at most [`CHUNK_CLIPS`] and about [`prefetch::CHUNK_BYTES`] of
/// reads, counting every clip's head, tail and the slack up to the next clip (the most the
/// core may read for it).
fn image_chunks(clips: &[ClipRef]) -> Vec<&[ClipRef]> {
    let mut chunks = Vec::new();
    let (mut from, mut bytes) = (0, 0);
    for (i, clip) in clips.iter().enumerate() {
        bytes += prefetch::HEAD_BYTES + prefetch::TAIL_BYTES;
        let end = clip.extents.last().map(|e| e.offset + e.bytes);
        let next = clips.get(i + 1).and_then(|n| n.extents.first());
        if let (Some(end), Some(next)) = (end, next)
            && next.offset >= end
        {
            bytes += (next.offset - end).min(COALESCE_GAP_BYTES);
        }
        if bytes >= prefetch::CHUNK_BYTES || i + 1 - from == CHUNK_CLIPS || i + 1 == clips.len() {
            chunks.push(&clips[from..=i]);
            (from, bytes) = (i + 1, 0);
        }
    }
    chunks
}

/// The byte ranges the core reads for the clips of `chunk`: from their tails (see
/// [`read_headers_pipelined`]) or each clip's head and tail, joined with the slack up to the
/// next clip where the core reads them in one call.
fn chunk_ranges(chunk: &[ClipRef], from_tails: bool) -> Vec<(u64, u64)> {
    let max_gap = if from_tails {
        scan::PROBE_GAP_BYTES
    } else {
        COALESCE_GAP_BYTES
    };
    let mut ranges = Vec::with_capacity(2 * chunk.len());
    for (i, clip) in chunk.iter().enumerate() {
        let (Some(first), Some(last)) = (clip.extents.first(), clip.extents.last()) else {
            continue;
        };
        let end = last.offset + last.bytes;
        if !from_tails {
            ranges.push((first.offset, (first.offset + prefetch::HEAD_BYTES).min(end)));
        }
        ranges.push((end.saturating_sub(prefetch::TAIL_BYTES), end));
        // The next clip's head, read with this clip's tail when it follows closely.
        let next = chunk.get(i + 1).and_then(|n| n.extents.first());
        if let Some(next) = next
            && next.offset >= end
            && next.offset - end <= max_gap
        {
            ranges.push((
                next.offset,
                next.offset + prefetch::HEAD_BYTES.min(next.bytes),
            ));
        }
    }
    prefetch::joined(ranges, max_gap)
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

/// Lists the image and sends the card to the page — its overview first, then, having handed a
/// share of the clips to the helper on each of `ports` (the page starts them once the overview
/// shows: their shares wait on the ports), its files: the listing, the reader and this
/// worker's clips.
fn list_and_send<R: Read + Seek + 'static>(
    page: &Page,
    name: &str,
    source: R,
    announcer: Option<Announcer>,
    ports: &[MessagePort],
) -> Result<(Listing, BlockReader<R>, Vec<ClipRef>), Failure> {
    Progress::step(page, "Reading the partition table, the FAT and the folders");
    let mut reader =
        BlockReader::new(source).map_err(|e| unreadable(format!("cannot read {name}: {e}")))?;
    if let Some(announcer) = announcer {
        reader = reader.with_announcer(announcer);
    }
    let options = ScanOptions {
        source_name: Some(name.to_string()),
        ..ScanOptions::default()
    };
    let listing = scan::list_image(&mut reader, &options).map_err(|e| scan_failure(name, &e))?;
    let overview = send_overview(page, &listing)?;
    let (mine, theirs) = shares::split(page, listing.image_clips(), ports.len());
    shares::hand_over(page, ports, &theirs, |_| None)?;
    send_files(page, &listing, overview)?;
    Ok((listing, reader, mine))
}

/// Reads the image of a sample card, all in one go (it is in memory).
fn read_image<R: Read + Seek + 'static>(
    page: &Page,
    name: &str,
    source: R,
    keys: &Keys,
) -> Result<(), Failure> {
    let (listing, mut reader, mine) = list_and_send(page, name, source, None, &[])?;
    let mut progress = Progress::new(page, HEADERS_PHASE);
    let results = scan::read_headers(
        &mut reader,
        &mine,
        COALESCE_GAP_BYTES,
        keys,
        |done, total| progress.tick(done, total),
    );
    finish_headers(page, listing, results, reader)
}

/// With this worker's share of the headers read: the `.imu` headers, then the complete card —
/// now, or when the helpers' shares are here too.
fn finish_headers<R: Read + Seek + 'static>(
    page: &Page,
    listing: Listing,
    results: Vec<HeaderResult>,
    mut reader: BlockReader<R>,
) -> Result<(), Failure> {
    let imu = scan::read_imu_headers(&mut reader, &listing);
    let listing = listing.with_imu_headers(imu);
    shares::gather(page, listing, results, image_files(reader))
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
    send_complete(page, listing, catalog)
}

/// Sends a card just listed: its overview, then with its files.
pub(super) fn send_listed(page: &Page, listing: &Listing) -> Result<(), Failure> {
    let overview = send_overview(page, listing)?;
    send_files(page, listing, overview)
}

/// The listed card's catalog and estimate, as its overview was sent.
pub(super) struct Overview {
    catalog: dashcard::catalog::Catalog,
    estimate: dashcard::estimate::Estimate,
}

/// Builds the catalog and the estimate (no what-if inputs) of a card just listed and sends its
/// overview (the card's head alone: the page shows it before the files are even encoded).
pub(super) fn send_overview(page: &Page, listing: &Listing) -> Result<Overview, Failure> {
    let catalog = dashcard::catalog::build(listing);
    let estimate = dashcard::estimate::build(listing, &catalog, &Default::default());
    let head = head_part(listing, &catalog, &estimate).map_err(unreadable)?;
    page.post_parts(
        &FromWorker::Overview {
            memory_bytes: memory_bytes(),
        },
        vec![head],
    );
    Ok(Overview { catalog, estimate })
}

/// Sends the listed card with its files, after its [`send_overview`].
pub(super) fn send_files(
    page: &Page,
    listing: &Listing,
    overview: Overview,
) -> Result<(), Failure> {
    post_card(page, listing, &overview.catalog, &overview.estimate, false)
}

/// Builds the estimate (no what-if inputs) and sends the complete card with its `catalog`.
fn send_complete(
    page: &Page,
    listing: &Listing,
    catalog: dashcard::catalog::Catalog,
) -> Result<(), Failure> {
    let estimate = dashcard::estimate::build(listing, &catalog, &Default::default());
    post_card(page, listing, &catalog, &estimate, true)
}

/// Posts the card (listed, or `complete`) in its parts, each copied out of this worker's
/// memory as it is encoded.
fn post_card(
    page: &Page,
    listing: &Listing,
    catalog: &dashcard::catalog::Catalog,
    estimate: &dashcard::estimate::Estimate,
    complete: bool,
) -> Result<(), Failure> {
    let mut parts = JsParts::default();
    card_parts(listing, catalog, estimate, |part| parts.push(part)).map_err(unreadable)?;
    page.post_js_parts(
        &FromWorker::Card {
            complete,
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
