//! A card folder: the browser's `File`s listed by their paths and sent to the page at once,
//! then each video's header read from its own file — a chunk of files at a time, the next
//! chunk's tails in flight while this one is parsed ([`prefetch`]), and on a folder of many
//! clips shared with helper workers as an image's are ([`shares`]) — and the complete card sent.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use dashcard::clip_header::{Keys, read_clip, read_clip_from_end};
use dashcard::folder::{self, FolderFile};
use dashcard::listing::{ClipRef, HeaderResult, Listing, VideoHeader};
use dashcard::mp4::Mp4Error;
use web_sys::{File, MessagePort};

use super::image::send_listed;
use super::prefetch::{self, Arrived, InFlight, PrefetchedSource};
use super::{HEADERS_PHASE, Page, Progress, shares, unreadable};
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

/// A folder listed and shown, waiting for its `File`s: its paths, the key, the helpers' ports
/// and the shares of its clips (this worker's, then the helpers').
struct Waiting {
    listing: Listing,
    paths: Vec<String>,
    keys: Keys,
    ports: Vec<MessagePort>,
    mine: Vec<ClipRef>,
    theirs: Vec<Vec<ClipRef>>,
}

thread_local! {
    /// The folder listed and shown, waiting for its files.
    static WAITING: RefCell<Option<Waiting>> = const { RefCell::new(None) };
}

/// Lists the folder `name` from what the page `found` in it and sends the card; its files
/// follow ([`read_folder`]), a share of their headers for the helper on each of `ports`.
pub(super) fn open_folder(
    page: &Page,
    name: &str,
    found: Found,
    capacity_bytes: Option<u64>,
    keys: Keys,
    ports: Vec<MessagePort>,
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
    let (mine, theirs) = shares::split(page, listing.folder_clips(), ports.len());
    send_listed(page, &listing)?;
    WAITING.with(|w| {
        *w.borrow_mut() = Some(Waiting {
            listing,
            paths,
            keys,
            ports,
            mine,
            theirs,
        })
    });
    Ok(())
}

/// Reads the video headers of the folder listed last from its `files` (in its paths' order),
/// the helpers' shares handed to them first with their files, then sends the complete card.
pub(super) fn read_folder(page: &Page, files: Vec<File>) -> Result<(), Failure> {
    let waiting = WAITING
        .with(|w| w.borrow_mut().take())
        .ok_or_else(|| unreadable("no folder is waiting for its files".to_string()))?;
    let (listing, keys, mine) = (waiting.listing, waiting.keys, waiting.mine);
    if files.len() != waiting.paths.len() {
        return Err(unreadable(
            "the folder's files and names do not match".to_string(),
        ));
    }
    let by_path: HashMap<String, File> = waiting.paths.into_iter().zip(files).collect();
    // Each clip's file, in the clips' order (none where the folder lost it).
    let files_of = |clips: &[ClipRef]| -> Vec<Option<File>> {
        clips
            .iter()
            .map(|c| {
                let path = &listing.files.get(c.index)?.path;
                by_path.get(path).cloned()
            })
            .collect()
    };
    shares::hand_over(page, &waiting.ports, &waiting.theirs, |share| {
        Some(files_of(share))
    })?;
    let my_files = files_of(&mine);
    let page = page.clone();
    // The header phase awaits its reads: the rest of this job runs as a task of its own.
    wasm_bindgen_futures::spawn_local(async move {
        let mut progress = Progress::new(&page, HEADERS_PHASE);
        let read = read_headers_pipelined(&mine, &my_files, &keys, |d, t| progress.tick(d, t))
            .await
            .map_err(|e| unreadable(format!("cannot read the video headers: {e}")))
            .and_then(|results| finish(&page, listing, results, by_path));
        if let Err(failure) = read {
            page.post(&FromWorker::Failed(failure));
        }
    });
    Ok(())
}

/// Reads the header of each of `clips` from its file of `files` (in the same order), a chunk
/// of files at a time, the next chunk's tails in flight while one is parsed: the reader's
/// share, or a helper's.
pub(super) async fn read_headers_pipelined(
    clips: &[ClipRef],
    files: &[Option<File>],
    keys: &Keys,
    mut progress: impl FnMut(usize, usize),
) -> std::io::Result<Vec<HeaderResult>> {
    if files.len() != clips.len() {
        return Err(std::io::Error::other(
            "the clips and their files do not match",
        ));
    }
    let total = clips.len();
    let chunks: Vec<(&[ClipRef], &[Option<File>])> = clips
        .chunks(CHUNK_FILES)
        .zip(files.chunks(CHUNK_FILES))
        .collect();
    let mut results = Vec::with_capacity(total);
    let mut next = match chunks.first() {
        Some(&(chunk, files)) => Some(start_chunk(chunk, files)?),
        None => None,
    };
    for (i, &(chunk, files)) in chunks.iter().enumerate() {
        // When the joined read fails (a file removed or unreadable), every file of the chunk
        // is read on its own, and a bad one fails alone.
        let arrived = match next.take() {
            Some(reads) => reads.arrived_each().await.unwrap_or_default(),
            None => Vec::new(),
        };
        if let Some(&(chunk, files)) = chunks.get(i + 1) {
            next = Some(start_chunk(chunk, files)?);
        }
        // One arrived list for each file that is there, in order.
        let mut arrived = arrived.into_iter();
        for (clip, file) in chunk.iter().zip(files) {
            let held = file
                .as_ref()
                .and_then(|_| arrived.next())
                .unwrap_or_default();
            results.push(read_header(clip, file.as_ref(), held, keys));
            progress(results.len(), total);
        }
    }
    Ok(results)
}

/// The header of one clip file: from its tail alone when its `moov` lies there whole (one read,
/// as the image route probes), else read from its start as the core reads a folder's clip.
fn read_header(clip: &ClipRef, file: Option<&File>, arrived: Arrived, keys: &Keys) -> HeaderResult {
    let header = match file {
        Some(file) => {
            let held = Rc::new(RefCell::new(arrived));
            let mut stream = PrefetchedSource::new(file.clone().into(), held);
            read_clip_from_end(&mut stream, clip.bytes, prefetch::TAIL_BYTES)
                .unwrap_or_else(|| read_clip(&mut stream, clip.bytes, keys))
        }
        None => VideoHeader::from(Err(Mp4Error::Io {
            message: "the file is gone from the folder".to_string(),
        })),
    };
    HeaderResult {
        index: clip.index,
        header,
    }
}

/// Starts reading the tail of each clip file of `chunk` (`files`, in the same order), every
/// file's in one joined read.
fn start_chunk(chunk: &[ClipRef], files: &[Option<File>]) -> std::io::Result<InFlight> {
    let tails: Vec<(&File, Vec<(u64, u64)>)> = chunk
        .iter()
        .zip(files)
        .filter_map(|(clip, file)| Some((file.as_ref()?, prefetch::tail(clip.bytes))))
        .collect();
    let reads: Vec<(&web_sys::Blob, &[(u64, u64)])> = tails
        .iter()
        .map(|(file, ranges)| (file.as_ref(), ranges.as_slice()))
        .collect();
    prefetch::start_many(&reads)
}

/// With this worker's share of the headers read: the `.imu` headers, then the complete card —
/// now, or when the helpers' shares are here too.
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
    let listing = listing.with_imu_headers(imu);
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
    shares::gather(page, listing, results, files)
}

/// A file's modification time as the browser reports it (`ms`). Operating systems hand FAT
/// times over as if they were UTC, so reading them as UTC gives the camera's local time back.
fn modified_time(ms: f64) -> Option<chrono::NaiveDateTime> {
    if !ms.is_finite() || ms <= 0.0 {
        return None;
    }
    chrono::DateTime::from_timestamp_millis(ms as i64).map(|t| t.naive_utc())
}
