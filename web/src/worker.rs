//! The worker: where cards are read, so the page never blocks. It answers each [`ToWorker`]
//! with progress, the card from names and the FAT first (what the overview needs), then the
//! complete card once every video header is read.

use std::collections::HashMap;
use std::io::{Read, Seek};

use dashcard::block_reader::BlockReader;
use dashcard::card_builder::camera::{SimFamily, Simulation, simulate};
use dashcard::card_builder::memory::SparseMemory;
use dashcard::estimate::WhatIf;
use dashcard::folder::{self, FolderFile};
use dashcard::report::Report;
use dashcard::scan::{self, ScanOptions};
use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, DedicatedWorkerGlobalScope, File, MessageEvent};

use crate::blob_source::BlobSource;
use crate::protocol::{
    ClipToRead, FromWorker, HeaderResult, MESSAGE_KEY, PARTS_KEY, ToWorker, file_parts, from_js,
    head_part, json_part, parse_part, to_js,
};

/// Size and length of the sample card: a Nexar Pro that has looped over a 4 GB card.
const SAMPLE_CARD_BYTES: u64 = 4_000_000_000;
const SAMPLE_DAYS: u32 = 3;
/// Name the sample card goes by.
pub const SAMPLE_NAME: &str = "Sample card (simulated Nexar Pro, 4 GB)";

/// Clips whose end and the next clip's start are at most this far apart on the card are read
/// in one call (the tail of one and the head of the next): a `Blob` read costs ~0.6 ms
/// whatever its size, about what 400 KB of transfer costs.
const COALESCE_GAP_BYTES: u64 = 256 * 1024;

/// Progress messages are sent at most this often (ms), so the page is not flooded.
const PROGRESS_EVERY_MS: f64 = 80.0;

/// Installs the message handler on the worker's global scope and says it is ready.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let post_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        if let Err(message) = handle(&post_scope, &data) {
            post(&post_scope, &FromWorker::Failed { message });
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, &FromWorker::Ready);
}

fn post(scope: &DedicatedWorkerGlobalScope, message: &FromWorker) {
    post_with_parts(scope, message, Vec::new());
}

/// Posts `{ message, parts }`, transferring the parts' buffers (see [`MESSAGE_KEY`]).
fn post_with_parts(scope: &DedicatedWorkerGlobalScope, message: &FromWorker, parts: Vec<Vec<u8>>) {
    let value = match to_js(message) {
        Ok(v) => v,
        Err(e) => match to_js(&FromWorker::Failed { message: e }) {
            Ok(v) => v,
            Err(_) => return,
        },
    };
    let envelope = js_sys::Object::new();
    let _ = Reflect::set(&envelope, &MESSAGE_KEY.into(), &value);
    let arrays = Array::new();
    let buffers = Array::new();
    for part in parts {
        let bytes = js_sys::Uint8Array::from(part.as_slice());
        buffers.push(&bytes.buffer());
        arrays.push(&bytes);
    }
    let _ = Reflect::set(&envelope, &PARTS_KEY.into(), &arrays);
    // Posting only fails for values that cannot be cloned, which these plain objects are not.
    let _ = scope.post_message_with_transfer(&envelope, &buffers);
}

fn handle(scope: &DedicatedWorkerGlobalScope, data: &JsValue) -> Result<(), String> {
    match from_js::<ToWorker>(data.clone())? {
        ToWorker::OpenImage {
            name,
            split_headers,
        } => {
            let source = BlobSource::new(attached_file(data)?).map_err(|e| e.to_string())?;
            read_image(scope, &name, source, split_headers)
        }
        ToWorker::ApplyHeaders => {
            let results: Vec<HeaderResult> = parse_part(&first_part(data)?)?;
            let mut report = PENDING
                .with(|p| p.borrow_mut().take())
                .ok_or("no card is waiting for these video headers")?;
            for r in &results {
                r.apply(&mut report);
            }
            post_done(scope, analyzed(report))
        }
        ToWorker::Digest => {
            let clips: Vec<ClipToRead> = parse_part(&first_part(data)?)?;
            let folder_files: Option<Vec<Blob>> = Reflect::get(data, &"files".into())
                .ok()
                .and_then(|f| f.dyn_into::<Array>().ok())
                .map(|a| a.iter().filter_map(|f| f.dyn_into().ok()).collect());
            let image = attached_file(data).ok();
            // An export that cannot be read is the export's failure, not the card's.
            if let Err(message) = digest_files(scope, clips, image, folder_files) {
                post(scope, &FromWorker::DigestFailed { message });
            }
            Ok(())
        }
        ToWorker::ReadHeaders => {
            let source = BlobSource::new(attached_file(data)?).map_err(|e| e.to_string())?;
            let clips: Vec<ClipToRead> = parse_part(&first_part(data)?)?;
            read_headers(scope, source, clips)
        }
        ToWorker::OpenFolder {
            name,
            paths,
            capacity_bytes,
        } => {
            let files: Array = Reflect::get(data, &"files".into())
                .ok()
                .and_then(|f| f.dyn_into().ok())
                .ok_or("no files came with the request")?;
            let files: Vec<File> = files.iter().filter_map(|f| f.dyn_into().ok()).collect();
            if files.len() != paths.len() {
                return Err("the folder's files and names do not match".to_string());
            }
            read_folder(scope, &name, paths, files, capacity_bytes)
        }
        ToWorker::OpenSample => {
            post(
                scope,
                &FromWorker::Progress {
                    phase: "Simulating three days of a Nexar Pro".to_string(),
                    done: 0,
                    total: None,
                },
            );
            let mut image = SparseMemory::new(SAMPLE_CARD_BYTES);
            let sim = Simulation {
                clip: first_part(data).ok().filter(|c| !c.is_empty()),
                ..Simulation::new(SimFamily::Pro, SAMPLE_CARD_BYTES, SAMPLE_DAYS)
            };
            simulate(&mut image, &sim).map_err(|e| format!("cannot build the sample card: {e}"))?;
            image.rewind().map_err(|e| e.to_string())?;
            read_image(scope, SAMPLE_NAME, image, false)
        }
    }
}

/// Throttled progress for a step of `total` items.
struct Progress<'a> {
    scope: &'a DedicatedWorkerGlobalScope,
    phase: &'a str,
    last_ms: f64,
}

/// The step in which video headers are read.
const HEADERS_PHASE: &str = "Reading video headers";

impl<'a> Progress<'a> {
    fn new(scope: &'a DedicatedWorkerGlobalScope, phase: &'a str) -> Self {
        Self {
            scope,
            phase,
            last_ms: 0.0,
        }
    }

    fn tick(&mut self, done: usize, total: usize) {
        let now = js_sys::Date::now();
        if done == total || now - self.last_ms >= PROGRESS_EVERY_MS {
            self.last_ms = now;
            post(
                self.scope,
                &FromWorker::Progress {
                    phase: self.phase.to_string(),
                    done: done as u64,
                    total: Some(total as u64),
                },
            );
        }
    }
}

/// Sends the listed card: the report without its files first (the overview needs no more),
/// then its files.
fn post_listed(scope: &DedicatedWorkerGlobalScope, report: &Report) -> Result<(), String> {
    post_with_parts(scope, &FromWorker::Listed, vec![head_part(report)?]);
    post_with_parts(scope, &FromWorker::Files, file_parts(report)?);
    Ok(())
}

/// Sends the complete card, the same way.
fn post_done(scope: &DedicatedWorkerGlobalScope, report: Box<Report>) -> Result<(), String> {
    post_with_parts(
        scope,
        &FromWorker::Done {
            memory_bytes: memory_bytes(),
        },
        vec![head_part(&report)?],
    );
    post_with_parts(scope, &FromWorker::Files, file_parts(&report)?);
    Ok(())
}

fn analyzed(mut report: Report) -> Box<Report> {
    dashcard::analyze(&mut report, &WhatIf::default());
    Box::new(report)
}

thread_local! {
    /// A card whose first half of headers is read, waiting for the helper's half.
    static PENDING: std::cell::RefCell<Option<Report>> = const { std::cell::RefCell::new(None) };
}

/// The bytes of the first part that came with a request.
fn first_part(data: &JsValue) -> Result<Vec<u8>, String> {
    Reflect::get(data, &PARTS_KEY.into())
        .ok()
        .and_then(|p| p.dyn_into::<Array>().ok())
        .and_then(|p| p.get(0).dyn_into::<js_sys::Uint8Array>().ok())
        .map(|a| a.to_vec())
        .ok_or_else(|| "nothing came with the request".to_string())
}

/// The `File` that came with a request.
fn attached_file(data: &JsValue) -> Result<Blob, String> {
    Reflect::get(data, &"file".into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| "no file came with the request".to_string())
}

fn read_image<R: Read + Seek>(
    scope: &DedicatedWorkerGlobalScope,
    name: &str,
    source: R,
    split_headers: bool,
) -> Result<(), String> {
    post(
        scope,
        &FromWorker::Progress {
            phase: "Reading the partition table, the FAT and the folders".to_string(),
            done: 0,
            total: None,
        },
    );
    let mut reader = BlockReader::new(source).map_err(|e| format!("cannot read {name}: {e}"))?;
    let options = ScanOptions {
        source_name: Some(name.to_string()),
        ..ScanOptions::default()
    };
    let report =
        scan::list_image(&mut reader, &options).map_err(|e| format!("cannot read {name}: {e}"))?;
    let mut report = analyzed(report);
    post_listed(scope, &report)?;
    let mut progress = Progress::new(scope, HEADERS_PHASE);
    if split_headers {
        if let Some((mine, _)) = scan::split_header_order(&report) {
            scan::read_durations_of(
                &mut reader,
                &mut report,
                &mine,
                COALESCE_GAP_BYTES,
                |done, total| progress.tick(done, total),
            );
            // The helper's half arrives as `ApplyHeaders`; the card waits here until then.
            PENDING.with(|p| *p.borrow_mut() = Some(*report));
            return Ok(());
        }
    }
    scan::read_durations_coalesced(
        &mut reader,
        &mut report,
        COALESCE_GAP_BYTES,
        |done, total| progress.tick(done, total),
    );
    post_done(scope, analyzed(*report))
}

/// Bytes read per call while digesting: a `Blob` read costs about the same whatever its size.
const DIGEST_CHUNK_BYTES: usize = 4 << 20;

/// Digests each clip (CRC-32 for the ZIP, SHA-256 for the record) and sends the results.
fn digest_files(
    scope: &DedicatedWorkerGlobalScope,
    clips: Vec<ClipToRead>,
    image: Option<Blob>,
    folder_files: Option<Vec<Blob>>,
) -> Result<(), String> {
    let mut reader = match (&folder_files, image) {
        (None, Some(image)) => Some(
            BlockReader::new(BlobSource::new(image).map_err(|e| e.to_string())?)
                .map_err(|e| format!("cannot read the card: {e}"))?,
        ),
        _ => None,
    };
    let mut progress = Progress::new(scope, "Checking the files (SHA-256)");
    let mut results = Vec::with_capacity(clips.len());
    for (n, clip) in clips.iter().enumerate() {
        let digest = match (&mut reader, &folder_files) {
            (Some(reader), _) => {
                let stream = dashcard::extent::ExtentReader::new(reader, &clip.extents, clip.bytes);
                dashcard::export::digest::digest(stream, DIGEST_CHUNK_BYTES)
            }
            (None, Some(files)) => {
                let file = files
                    .get(n)
                    .cloned()
                    .ok_or("a file to check did not come with the request")?;
                let source = BlobSource::new(file).map_err(|e| e.to_string())?;
                dashcard::export::digest::digest(source, DIGEST_CHUNK_BYTES)
            }
            _ => return Err("no card came with the request".to_string()),
        }
        .map_err(|e| format!("cannot read {}: {e}", clip.index))?;
        results.push((clip.index, digest));
        progress.tick(n + 1, clips.len());
    }
    post_with_parts(scope, &FromWorker::Digests, vec![json_part(&results)?]);
    Ok(())
}

/// The helper's job: read the headers of `clips` and send what they said.
fn read_headers<R: Read + Seek>(
    scope: &DedicatedWorkerGlobalScope,
    source: R,
    clips: Vec<ClipToRead>,
) -> Result<(), String> {
    let mut reader = BlockReader::new(source).map_err(|e| format!("cannot read the card: {e}"))?;
    // A report of just these clips, so the core's reader can walk them in disk order.
    let mut report = Report {
        files: clips
            .iter()
            .map(|c| dashcard::report::FileRecord {
                path: format!("{}.mp4", c.index),
                bytes: c.bytes,
                extents: c.extents.clone(),
                ..Default::default()
            })
            .collect(),
        ..Report::default()
    };
    let mut progress = Progress::new(scope, HEADERS_PHASE);
    scan::read_durations_coalesced(
        &mut reader,
        &mut report,
        COALESCE_GAP_BYTES,
        |done, total| progress.tick(done, total),
    );
    let results: Vec<HeaderResult> = clips
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            HeaderResult::of(&report, i).map(|r| HeaderResult {
                index: c.index,
                ..r
            })
        })
        .collect();
    post_with_parts(
        scope,
        &FromWorker::Headers {
            memory_bytes: memory_bytes(),
        },
        vec![json_part(&results)?],
    );
    Ok(())
}

fn read_folder(
    scope: &DedicatedWorkerGlobalScope,
    name: &str,
    paths: Vec<String>,
    files: Vec<File>,
    capacity_bytes: Option<u64>,
) -> Result<(), String> {
    let listing: Vec<FolderFile> = paths
        .iter()
        .zip(&files)
        .map(|(path, file)| FolderFile {
            path: path.clone(),
            bytes: file.size() as u64,
            created: None,
            modified: modified_time(file),
        })
        .collect();
    let by_path: HashMap<String, File> = paths.into_iter().zip(files).collect();
    let report = folder::list_folder(name, listing, capacity_bytes);
    let mut report = analyzed(report);
    post_listed(scope, &report)?;
    let mut progress = Progress::new(scope, HEADERS_PHASE);
    folder::read_folder_durations(
        &mut report,
        |path| {
            let file = by_path
                .get(path)
                .ok_or_else(|| std::io::Error::other("the file is gone from the folder"))?;
            BlobSource::new(file.clone().into())
        },
        |done, total| progress.tick(done, total),
    );
    post_done(scope, analyzed(*report))
}

/// A file's modification time as the browser reports it. Operating systems hand FAT times
/// over as if they were UTC, so reading them as UTC gives the camera's local time back.
fn modified_time(file: &File) -> Option<chrono::NaiveDateTime> {
    let ms = file.last_modified();
    if !ms.is_finite() || ms <= 0.0 {
        return None;
    }
    chrono::DateTime::from_timestamp_millis(ms as i64).map(|t| t.naive_utc())
}

/// Bytes of this worker's WebAssembly memory.
fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as u64
        })
        .unwrap_or(0)
}
