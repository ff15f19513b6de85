//! A card folder: the browser's `File`s listed by their paths and sent to the page at once,
//! then each video's header read from its own file — a chunk of files at a time, the next
//! chunk's tails in flight while this one is parsed ([`prefetch`]) — and the
//! complete card sent.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use dashcard::clip_header::{Keys, read_clip, read_clip_from_end};
use dashcard::folder::{self, FolderFile};
use dashcard::listing::{ClipRef, HeaderResult, Listing, VideoHeader};
use dashcard::mp4::Mp4Error;
use web_sys::File;

use super::image::{complete_card, send_card};
use super::prefetch::{self, Arrived, InFlight, PrefetchedSource};
use super::{HEADERS_PHASE, Page, Progress, unreadable};
use crate::blob_source::BlobSource;
use crate::protocol::{Failure, FromWorker};

/// Files whose tails are requested at once: sized as if a head came with each tail (~12 KiB a
/// file), which leaves the JS memory held by a chunk well under its budget.
const CHUNK_FILES: usize =
    (prefetch::CHUNK_BYTES / (prefetch::HEAD_BYTES + prefetch::TAIL_BYTES)) as usize;

/// What the page found in the folder: each file's path, size and modification time (ms).
pub(super) struct Found {
    pub paths: Vec<String>,
    pub sizes: Vec<u64>,
    pub modified_ms: Vec<f64>,
}

/// A folder listed and shown, waiting for its `File`s.
type Waiting = (Listing, Vec<String>, Keys);

thread_local! {
    /// The folder listed and shown, waiting for its files.
    static WAITING: RefCell<Option<Waiting>> = const { RefCell::new(None) };
}

/// Lists the folder `name` from what the page `found` in it and sends the card; its files
/// follow ([`read_folder`]).
pub(super) fn open_folder(
    page: &Page,
    name: &str,
    found: Found,
    capacity_bytes: Option<u64>,
    keys: Keys,
) -> Result<(), Failure> {
    let Found {
        paths,
        sizes,
        modified_ms,
    } = found;
    if sizes.len() != paths.len() || modified_ms.len() != paths.len() {
        return Err(unreadable(
            "the folder's files and names do not match".to_string(),
        ));
    }
    let found: Vec<FolderFile> = paths
        .iter()
        .zip(sizes.iter().zip(&modified_ms))
        .map(|(path, (&bytes, &ms))| FolderFile {
            path: path.clone(),
            bytes,
            created: None,
            modified: modified_time(ms),
            // A browser does not say whether a file is read-only.
            read_only: false,
        })
        .collect();
    let listing = folder::list_folder(name, found, capacity_bytes);
    send_card(page, &listing, false)?;
    WAITING.with(|w| *w.borrow_mut() = Some((listing, paths, keys)));
    Ok(())
}

/// Reads the video headers of the folder listed last from its `files` (in its paths' order),
/// then sends the complete card.
pub(super) fn read_folder(page: &Page, files: Vec<File>) -> Result<(), Failure> {
    let (listing, paths, keys) = WAITING
        .with(|w| w.borrow_mut().take())
        .ok_or_else(|| unreadable("no folder is waiting for its files".to_string()))?;
    if files.len() != paths.len() {
        return Err(unreadable(
            "the folder's files and names do not match".to_string(),
        ));
    }
    let by_path: HashMap<String, File> = paths.into_iter().zip(files).collect();
    let page = page.clone();
    // The header phase awaits its reads: the rest of this job runs as a task of its own.
    wasm_bindgen_futures::spawn_local(async move {
        let read = read_headers_pipelined(&page, &listing, &by_path, &keys)
            .await
            .map_err(|e| unreadable(format!("cannot read the video headers: {e}")))
            .and_then(|results| finish(&page, listing, results, by_path));
        if let Err(failure) = read {
            page.post(&FromWorker::Failed(failure));
        }
    });
    Ok(())
}

/// Reads every clip's header from its file, a chunk of files at a time.
async fn read_headers_pipelined(
    page: &Page,
    listing: &Listing,
    by_path: &HashMap<String, File>,
    keys: &Keys,
) -> std::io::Result<Vec<HeaderResult>> {
    let clips = listing.folder_clips();
    let total = clips.len();
    let chunks: Vec<&[ClipRef]> = clips.chunks(CHUNK_FILES.max(1)).collect();
    let mut progress = Progress::new(page, HEADERS_PHASE);
    let mut results = Vec::with_capacity(total);
    let mut next = match chunks.first() {
        Some(chunk) => Some(start_chunk(listing, by_path, chunk)?),
        None => None,
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let mut arrived: HashMap<&str, Rc<RefCell<Arrived>>> = HashMap::new();
        if let Some((paths, reads)) = next.take() {
            // When the joined read fails (a file removed or unreadable), every file of the
            // chunk is read on its own when its turn comes, and a bad one fails alone.
            let each = reads.arrived_each().await.unwrap_or_default();
            for (path, bytes) in paths.into_iter().zip(each) {
                arrived.insert(path, Rc::new(RefCell::new(bytes)));
            }
        }
        if let Some(chunk) = chunks.get(i + 1) {
            next = Some(start_chunk(listing, by_path, chunk)?);
        }
        let open = |path: &str| {
            let file = by_path
                .get(path)
                .ok_or_else(|| std::io::Error::other("the file is gone from the folder"))?;
            let held = arrived.get(path).cloned().unwrap_or_default();
            Ok(PrefetchedSource::new(file.clone().into(), held))
        };
        let base = results.len();
        for (done, clip) in chunk.iter().enumerate() {
            results.extend(read_header(listing, clip, keys, &open));
            progress.tick(base + done + 1, total);
        }
    }
    Ok(results)
}

/// The header of one clip file: from its tail alone when its `moov` lies there whole (one read,
/// as the image route probes), else read from its start as the core reads a folder's clip.
fn read_header(
    listing: &Listing,
    clip: &ClipRef,
    keys: &Keys,
    open: &impl Fn(&str) -> std::io::Result<PrefetchedSource>,
) -> Option<HeaderResult> {
    let path = &listing.files.get(clip.index)?.path;
    let header = match open(path) {
        Ok(mut stream) => read_clip_from_end(&mut stream, clip.bytes, prefetch::TAIL_BYTES)
            .unwrap_or_else(|| read_clip(&mut stream, clip.bytes, keys)),
        Err(e) => VideoHeader::from(Err(Mp4Error::Io {
            message: e.to_string(),
        })),
    };
    Some(HeaderResult {
        index: clip.index,
        header,
    })
}

/// Starts reading the tail of each clip file of `chunk`, every file's in one joined read.
fn start_chunk<'a>(
    listing: &'a Listing,
    by_path: &HashMap<String, File>,
    chunk: &[ClipRef],
) -> std::io::Result<(Vec<&'a str>, InFlight)> {
    let mut paths = Vec::with_capacity(chunk.len());
    let mut tails = Vec::with_capacity(chunk.len());
    for clip in chunk {
        let Some(path) = listing.files.get(clip.index).map(|f| f.path.as_str()) else {
            continue;
        };
        if let Some(file) = by_path.get(path) {
            paths.push(path);
            tails.push((file, prefetch::tail(file.size() as u64)));
        }
    }
    let reads: Vec<(&web_sys::Blob, &[(u64, u64)])> = tails
        .iter()
        .map(|(file, ranges)| (file.as_ref(), ranges.as_slice()))
        .collect();
    Ok((paths, prefetch::start_many(&reads)?))
}

/// The `.imu` headers, then the complete card.
fn finish(
    page: &Page,
    listing: Listing,
    results: Vec<HeaderResult>,
    by_path: HashMap<String, File>,
) -> Result<(), Failure> {
    let open = |path: &str| {
        let file = by_path
            .get(path)
            .ok_or_else(|| std::io::Error::other("the file is gone from the folder"))?;
        BlobSource::new(file.clone().into())
    };
    let imu = folder::read_imu_headers(&listing, open);
    let listing = listing.with_headers(results).with_imu_headers(imu);
    let files = Box::new(
        move |listing: &dashcard::listing::Listing, i: usize, max: u64| {
            let path = listing
                .files
                .get(i)
                .map(|f| f.path.as_str())
                .ok_or_else(|| format!("no file {i} in the folder"))?;
            let file = by_path
                .get(path)
                .ok_or_else(|| "the file is gone from the folder".to_string())?;
            let mut bytes = Vec::new();
            BlobSource::new(file.clone().into())
                .and_then(|f| {
                    std::io::Read::read_to_end(&mut std::io::Read::take(f, max), &mut bytes)
                })
                .map_err(|e| e.to_string())?;
            Ok(bytes)
        },
    );
    complete_card(page, &listing, files)
}

/// A file's modification time as the browser reports it (`ms`). Operating systems hand FAT
/// times over as if they were UTC, so reading them as UTC gives the camera's local time back.
fn modified_time(ms: f64) -> Option<chrono::NaiveDateTime> {
    if !ms.is_finite() || ms <= 0.0 {
        return None;
    }
    chrono::DateTime::from_timestamp_millis(ms as i64).map(|t| t.naive_utc())
}
