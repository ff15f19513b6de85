//! Taking files out of a card: one at a time (the download itself starts at once) or as a
//! stored ZIP assembled around slices of the card image, so nothing is copied. A worker
//! digests every file taken out (CRC-32 for the archive, SHA-256 for the record); requests
//! queue in the order they were made and are answered in that order.

use std::collections::VecDeque;
use std::rc::Rc;

use dashcard::export::digest::FileDigest;
use dashcard::export::zip_layout::{Piece, ZipEntry, layout};
use dashcard::listing::{ClipRef, ListedFile};
use leptos::prelude::*;

use crate::card_bytes::CardBytes;
use crate::player::{download, file_name};
use crate::protocol::{FromWorker, parse_part};
use crate::worker_client::{CardWorker, Handler, describe};
use crate::worker_pool::{WorkerPool, defer_drop};
use wasm_bindgen::JsCast;

/// A file taken out of the card, with its SHA-256 for the record.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRecord {
    /// What it was saved as ("clip.mp4", or "drive.zip › clip.mp4").
    pub saved_as: String,
    /// Its path on the card.
    pub path: String,
    /// Its size.
    pub bytes: u64,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

/// A file to take out, and the time its archive entry carries (when it was last written, else
/// when the recording started).
#[derive(Clone, Debug)]
pub struct Takeout {
    /// The file.
    pub file: ListedFile,
    /// Its time for the archive.
    pub time: Option<chrono::NaiveDateTime>,
}

/// An export waiting for its digests.
struct PendingExport {
    files: Vec<Takeout>,
    /// The archive's name, or `None` when the files were saved one by one.
    zip_name: Option<String>,
}

/// The card's exports: what was taken out, and what is being taken out.
#[derive(Clone, Copy)]
pub struct ExportQueue {
    /// Files taken out so far, with their SHA-256 (the print summary lists them).
    pub records: RwSignal<Vec<ExportRecord>>,
    /// What the current export is doing, in words.
    pub status: RwSignal<Option<String>>,
    /// Exports waiting for their digests, oldest first.
    pending: StoredValue<VecDeque<PendingExport>, LocalStorage>,
    /// The worker that digests.
    worker: StoredValue<Option<CardWorker>, LocalStorage>,
    pool: WorkerPool,
    /// The card's bytes, which files are taken out of.
    bytes: StoredValue<CardBytes, LocalStorage>,
}

impl ExportQueue {
    /// An empty queue for the card behind `bytes`; it takes a worker from `pool` when it
    /// first needs one.
    pub fn new(pool: WorkerPool, bytes: StoredValue<CardBytes, LocalStorage>) -> Self {
        Self {
            records: RwSignal::new(Vec::new()),
            status: RwSignal::new(None),
            pending: StoredValue::new_local(VecDeque::new()),
            worker: StoredValue::new_local(None),
            pool,
            bytes,
        }
    }

    /// Gives the queue a worker with nothing left to do (the one that read the card).
    pub fn adopt(self, worker: CardWorker) {
        if self.worker.with_value(Option::is_some) {
            return defer_drop(worker);
        }
        worker.hand_to(self.handler());
        self.worker.set_value(Some(worker));
    }

    fn handler(self) -> Handler {
        Rc::new(move |answer, parts| self.answer(answer, parts))
    }

    /// Takes `files` out: with `zip_name`, as one stored ZIP archive; without, each is
    /// assumed already saved. Either way the worker digests them, and each gets its SHA-256 on
    /// record.
    pub fn export(self, files: Vec<Takeout>, zip_name: Option<String>) {
        if let Some(t) = files
            .iter()
            .find(|t| t.file.deleted && t.file.recoverable != Some(true))
        {
            return self.status.set(Some(format!(
                "{} cannot be taken out: its clusters have been reused.",
                t.file.path
            )));
        }
        let listed: Vec<ListedFile> = files.iter().map(|t| t.file.clone()).collect();
        let (exportable, image, folder) = self
            .bytes
            .with_value(|b| (b.can_export(), b.image().cloned(), b.folder_files(&listed)));
        if !exportable {
            return self.status.set(Some(
                "The sample card's recordings play and download one by one; archives and SHA-256 records need a real card."
                    .into(),
            ));
        }
        if image.is_none() && folder.len() != files.len() {
            return self
                .status
                .set(Some("These files cannot be taken out of this card.".into()));
        }
        let clips: Vec<ClipRef> = listed
            .into_iter()
            .enumerate()
            .map(|(index, f)| ClipRef {
                index,
                bytes: f.bytes,
                extents: f.extents,
                valid_bytes: f.valid_bytes,
            })
            .collect();
        if self.worker.with_value(Option::is_none) {
            match self.pool.take(self.handler()) {
                Ok(worker) => self.worker.set_value(Some(worker)),
                Err(failure) => return self.status.set(Some(failure.message)),
            }
        }
        let sent = self.worker.with_value(|w| {
            w.as_ref()
                .map(|w| w.digest(&clips, image.as_ref(), &folder))
        });
        match sent {
            Some(Ok(())) => {
                self.status.set(Some(format!(
                    "Checking {} file(s) (SHA-256){}…",
                    files.len(),
                    if zip_name.is_some() {
                        " for the archive"
                    } else {
                        ""
                    }
                )));
                self.pending
                    .update_value(|q| q.push_back(PendingExport { files, zip_name }));
            }
            Some(Err(message)) => self.status.set(Some(message)),
            None => {}
        }
    }

    /// Downloads a file under its own name with its original bytes (a recoverable deleted
    /// file too) and puts its SHA-256 on record.
    pub fn save(self, takeout: Takeout) -> Result<(), String> {
        let blob = self.blob_of(&takeout.file)?;
        let name = file_name(&takeout.file.path);
        self.export(vec![takeout], None);
        download(&blob, &name)
    }

    fn blob_of(self, file: &ListedFile) -> Result<web_sys::Blob, String> {
        self.bytes
            .try_with_value(|b| b.blob_of(file))
            .unwrap_or_else(|| Err("the card is closed".to_string()))
    }

    fn answer(self, answer: FromWorker, parts: Option<js_sys::Array>) {
        match answer {
            FromWorker::Progress { phase, done, total }
                if self.pending.with_value(|q| !q.is_empty()) =>
            {
                self.status.set(Some(format!(
                    "{phase}: {done} of {}",
                    total.unwrap_or(done)
                )));
            }
            FromWorker::Digests => self.receive_digests(parts.unwrap_or_default()),
            FromWorker::DigestFailed { message } => {
                self.pending.update_value(|q| {
                    q.pop_front();
                });
                self.status.set(Some(message));
            }
            FromWorker::Failed(failure) => {
                // The worker is gone: what it was asked is lost; the next export starts another.
                self.pending.set_value(VecDeque::new());
                if let Some(worker) = self.worker.try_update_value(Option::take).flatten() {
                    defer_drop(worker);
                }
                self.status.set(Some(failure.message));
            }
            _ => {}
        }
    }

    /// The worker's digests: the archive is built and saved, and every file goes on record.
    fn receive_digests(self, parts: js_sys::Array) {
        let Some(pending) = self.pending.try_update_value(|q| q.pop_front()).flatten() else {
            return;
        };
        let part = parts
            .get(0)
            .dyn_into::<js_sys::Uint8Array>()
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let digests: Vec<(usize, FileDigest)> = match parse_part(&part) {
            Ok(d) => d,
            Err(message) => return self.status.set(Some(message)),
        };
        let mut records = Vec::new();
        let result = match &pending.zip_name {
            Some(zip_name) => self.save_zip(zip_name, &pending.files, &digests, &mut records),
            None => {
                for (i, d) in &digests {
                    if let Some(Takeout { file: f, .. }) = pending.files.get(*i) {
                        records.push(ExportRecord {
                            saved_as: file_name(&f.path),
                            path: f.path.clone(),
                            bytes: d.bytes,
                            sha256: d.sha256.clone(),
                        });
                    }
                }
                Ok(())
            }
        };
        match result {
            Ok(()) => {
                let n = records.len();
                self.records.update(|r| r.extend(records));
                self.status.set(Some(format!(
                    "{n} file(s) saved; their SHA-256 are listed in the print summary."
                )));
            }
            Err(message) => self.status.set(Some(message)),
        }
    }

    fn save_zip(
        self,
        zip_name: &str,
        files: &[Takeout],
        digests: &[(usize, FileDigest)],
        records: &mut Vec<ExportRecord>,
    ) -> Result<(), String> {
        let folder = zip_name.trim_end_matches(".zip");
        let mut entries = Vec::with_capacity(files.len());
        for (i, Takeout { file: f, time }) in files.iter().enumerate() {
            let d = digests
                .iter()
                .find(|(n, _)| *n == i)
                .map(|(_, d)| d)
                .ok_or_else(|| format!("{} was not checked", f.path))?;
            if d.bytes != f.bytes {
                return Err(format!("{}: read {} of {} bytes", f.path, d.bytes, f.bytes));
            }
            records.push(ExportRecord {
                saved_as: format!("{zip_name} › {}", file_name(&f.path)),
                path: f.path.clone(),
                bytes: d.bytes,
                sha256: d.sha256.clone(),
            });
            entries.push(ZipEntry {
                name: format!("{folder}/{}", file_name(&f.path)),
                bytes: f.bytes,
                crc32: d.crc32,
                modified: *time,
            });
        }
        let blob_parts = js_sys::Array::new();
        for piece in layout(&entries) {
            match piece {
                Piece::Bytes(b) => {
                    blob_parts.push(&js_sys::Uint8Array::from(b.as_slice()));
                }
                Piece::Data(i) => {
                    let file = files.get(i).ok_or("archive entry without a file")?;
                    let blob = self.blob_of(&file.file)?;
                    blob_parts.push(&blob);
                }
            }
        }
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/zip");
        let blob = web_sys::Blob::new_with_blob_sequence_and_options(&blob_parts, &options)
            .map_err(|e| describe(&e))?;
        download(&blob, zip_name)
    }
}
