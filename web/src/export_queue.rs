//! Taking files out of a card: one at a time (the download itself starts at once) or as a
//! stored ZIP assembled around slices of the card image, so nothing is copied. A worker
//! digests every file taken out (CRC-32 for the archive, SHA-256 for the record); requests
//! queue in the order they were made and are answered in that order. A clip the camera
//! encrypted goes out as its plaintext: the worker decrypts it into a `Blob` as it digests it
//! (one clip's worth of memory), and the player gets one the same way.

use std::collections::VecDeque;
use std::rc::Rc;

use dashcard::encryption::Key;
use dashcard::export::digest::FileDigest;
use dashcard::listing::{ClipRef, ListedFile};
use leptos::prelude::*;

use crate::card_bytes::CardBytes;
use crate::player::{download, file_name};
use crate::protocol::{ClipSegment, ExportClip, FromWorker, parse_part};
use crate::worker_client::{CardWorker, Handler};
use crate::worker_pool::{WorkerPool, defer_drop};
use dashcard::export::range_export::RangeExport;
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
    /// The camera encrypted it: its plaintext goes out.
    pub decrypt: bool,
}

/// What the worker was asked, in order.
enum Pending {
    /// An export waiting for its digests.
    Export {
        files: Vec<Takeout>,
        /// The archive's name, or `None` when the files are saved one by one.
        zip_name: Option<String>,
    },
    /// A clip's plaintext for the player.
    Decrypt(Box<dyn FnOnce(Result<web_sys::Blob, String>)>),
    /// A time range being exported as one MP4, to be saved as `name`.
    Clip {
        /// The file name it is saved as.
        name: String,
        /// Which camera, in words.
        camera: &'static str,
    },
}

/// The card's exports: what was taken out, and what is being taken out.
#[derive(Clone, Copy)]
pub struct ExportQueue {
    /// Files taken out so far, with their SHA-256 (the print summary lists them).
    pub records: RwSignal<Vec<ExportRecord>>,
    /// What the current export is doing, in words.
    pub status: RwSignal<Option<String>>,
    /// Bytes written of the total, while a time range is being exported.
    pub clip_progress: RwSignal<Option<(u64, u64)>>,
    /// What the worker was asked and has not answered, oldest first.
    pending: StoredValue<VecDeque<Pending>, LocalStorage>,
    /// The worker that digests.
    worker: StoredValue<Option<CardWorker>, LocalStorage>,
    pool: WorkerPool,
    /// The card's bytes, which files are taken out of.
    bytes: StoredValue<CardBytes, LocalStorage>,
    /// The owner's key, for encrypted clips.
    key: StoredValue<Option<Key>>,
}

impl ExportQueue {
    /// An empty queue for the card behind `bytes`; it takes a worker from `pool` when it
    /// first needs one.
    pub fn new(
        pool: WorkerPool,
        bytes: StoredValue<CardBytes, LocalStorage>,
        key: StoredValue<Option<Key>>,
    ) -> Self {
        Self {
            records: RwSignal::new(Vec::new()),
            status: RwSignal::new(None),
            clip_progress: RwSignal::new(None),
            pending: StoredValue::new_local(VecDeque::new()),
            worker: StoredValue::new_local(None),
            pool,
            bytes,
            key,
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

    /// Where the worker reads `files` from: the image, or each file of the folder. `None`
    /// (with `sample` or `unreadable` as the status) when they cannot be exported from here:
    /// the sample card's recordings are not real footage, or a folder lacks one of them.
    fn sources(
        self,
        files: &[ListedFile],
        sample: &str,
        unreadable: &str,
    ) -> Option<(Option<web_sys::File>, Vec<web_sys::File>)> {
        let (exportable, image, folder) = self
            .bytes
            .with_value(|b| (b.can_export(), b.image().cloned(), b.folder_files(files)));
        if !exportable {
            self.status.set(Some(sample.into()));
            return None;
        }
        if image.is_none() && folder.len() != files.len() {
            self.status.set(Some(unreadable.into()));
            return None;
        }
        Some((image, folder))
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
        let Some((image, folder)) = self.sources(
            &listed,
            "The sample card's recordings play and download one by one; archives and SHA-256 records need a real card.",
            "These files cannot be taken out of this card.",
        ) else {
            return;
        };
        let clips: Vec<ExportClip> = listed
            .iter()
            .zip(&files)
            .enumerate()
            .map(|(index, (f, t))| ExportClip {
                clip: ClipRef::of(index, f),
                decrypt: t.decrypt,
            })
            .collect();
        if !self.has_worker() {
            return;
        }
        let key = self.key.get_value();
        let sent = self.worker.with_value(|w| {
            w.as_ref()
                .map(|w| w.digest(&clips, image.as_ref(), &folder, key))
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
                    .update_value(|q| q.push_back(Pending::Export { files, zip_name }));
            }
            Some(Err(message)) => self.status.set(Some(message)),
            None => {}
        }
    }

    /// Downloads a file under its own name with its original bytes (a recoverable deleted
    /// file too; an encrypted clip decrypted, once the worker has it) and puts its SHA-256 on
    /// record.
    pub fn save(self, takeout: Takeout) -> Result<(), String> {
        if takeout.decrypt {
            self.export(vec![takeout], None);
            return Ok(());
        }
        let blob = self.blob_of(&takeout.file)?;
        let name = file_name(&takeout.file.path);
        self.export(vec![takeout], None);
        download(&blob, &name)
    }

    /// Asks the worker for the plaintext of `file` (a clip the camera encrypted) and hands it
    /// to `done`.
    pub fn decrypted(
        self,
        file: &ListedFile,
        done: impl FnOnce(Result<web_sys::Blob, String>) + 'static,
    ) {
        let (image, folder) = self.bytes.with_value(|b| {
            (
                b.image().cloned(),
                b.folder_files(std::slice::from_ref(file)),
            )
        });
        if image.is_none() && folder.is_empty() {
            return done(Err("this card's bytes cannot be decrypted here".to_string()));
        }
        if !self.has_worker() {
            return done(Err("no worker could be started to decrypt it".to_string()));
        }
        let clip = ExportClip {
            clip: ClipRef::of(0, file),
            decrypt: true,
        };
        let key = self.key.get_value();
        let sent = self.worker.with_value(|w| {
            w.as_ref()
                .map(|w| w.decrypt(&clip, image.as_ref(), &folder, key))
        });
        match sent {
            Some(Ok(())) => self
                .pending
                .update_value(|q| q.push_back(Pending::Decrypt(Box::new(done)))),
            Some(Err(message)) => done(Err(message)),
            None => done(Err("no worker to decrypt it".to_string())),
        }
    }

    /// Exports `range` of `camera`'s footage (segments chosen by the core from `listing` and
    /// `catalog`) as one MP4, saved when the worker has written it; its SHA-256 goes on record
    /// with the range and the source segments.
    pub fn clip(
        self,
        listing: &dashcard::listing::Listing,
        catalog: &dashcard::catalog::Catalog,
        camera: dashcard::catalog::classify::Camera,
        range: dashcard::remux::TimeRange,
    ) {
        let chosen = dashcard::export::time_range::select(listing, catalog, camera, range);
        self.clip_chosen(listing, chosen, camera, range);
    }

    /// Exports `range` around the recording `file` (the single-clip player's "Save ±30 s"): a
    /// drive segment's camera across its drive, or a parking clip or SOS event alone.
    pub fn clip_around(
        self,
        listing: &dashcard::listing::Listing,
        catalog: &dashcard::catalog::Catalog,
        file: usize,
        range: dashcard::remux::TimeRange,
    ) {
        let chosen = dashcard::export::time_range::select_around(listing, catalog, file, range);
        let camera = catalog
            .files
            .get(file)
            .and_then(|f| f.camera)
            .unwrap_or(dashcard::catalog::classify::Camera::Road);
        self.clip_chosen(listing, chosen, camera, range);
    }

    /// Sends the segments the core `chosen` for `range` to the worker to be cut into one MP4.
    fn clip_chosen(
        self,
        listing: &dashcard::listing::Listing,
        chosen: Result<
            Vec<dashcard::export::time_range::RangeSegment>,
            dashcard::export::time_range::RangeSelectError,
        >,
        camera: dashcard::catalog::classify::Camera,
        range: dashcard::remux::TimeRange,
    ) {
        let chosen = match chosen {
            Ok(c) => c,
            Err(e) => return self.status.set(Some(format!("Cannot export: {e}."))),
        };
        let files: Vec<ListedFile> = chosen
            .iter()
            .filter_map(|s| listing.files.get(s.file).cloned())
            .collect();
        let Some((image, folder)) = self.sources(
            &files,
            "The sample card's recordings are not real footage end to end; clips export from a real card.",
            "These segments cannot be read from this card.",
        ) else {
            return;
        };
        let segments: Vec<ClipSegment> = chosen
            .iter()
            .zip(files)
            .enumerate()
            .map(|(index, (seg, f))| ClipSegment {
                clip: ClipRef::of(index, &f),
                segment: *seg,
                path: f.path,
            })
            .collect();
        if !self.has_worker() {
            return;
        }
        let key = self.key.get_value();
        let sent = self.worker.with_value(|w| {
            w.as_ref()
                .map(|w| w.clip(&segments, range, image.as_ref(), &folder, key))
        });
        match sent {
            Some(Ok(())) => {
                self.status.set(Some(format!(
                    "Exporting the {} camera's clip…",
                    camera.name()
                )));
                self.clip_progress.set(Some((0, 0)));
                let name = format!(
                    "clip-{}-{}.mp4",
                    camera.name(),
                    range.start.format("%Y%m%d-%H%M%S")
                );
                self.pending.update_value(|q| {
                    q.push_back(Pending::Clip {
                        name,
                        camera: camera.name(),
                    })
                });
            }
            Some(Err(message)) => self.status.set(Some(message)),
            None => {}
        }
    }

    /// The exported clip: saved, and put on record.
    fn receive_clip(self, parts: Option<js_sys::Array>, memory_bytes: u64) {
        self.clip_progress.set(None);
        // For the benchmark: the exporting worker's memory, on the page's body.
        crate::reading::set_body_data("clipWorkerMemory", &memory_bytes.to_string());
        let Some(Pending::Clip { name, camera }) =
            self.pending.try_update_value(|q| q.pop_front()).flatten()
        else {
            return;
        };
        let parts = parts.unwrap_or_default();
        let part = parts
            .get(0)
            .dyn_into::<js_sys::Uint8Array>()
            .map(|a| a.to_vec())
            .unwrap_or_default();
        let export: RangeExport = match parse_part(&part) {
            Ok(e) => e,
            Err(message) => return self.status.set(Some(message)),
        };
        let Ok(blob) = parts.get(1).dyn_into::<web_sys::Blob>() else {
            return self
                .status
                .set(Some("the exported clip did not arrive".into()));
        };
        let s = &export.summary;
        let what = format!(
            "{camera} camera, {} to {} ({:.1} s, from the keyframe at {}; asked {} to {}){} from {}",
            s.start.format("%Y-%m-%d %H:%M:%S%.3f"),
            s.end.format("%H:%M:%S%.3f"),
            s.duration_s,
            s.start.format("%H:%M:%S%.3f"),
            export.range.start.format("%H:%M:%S"),
            export.range.end.format("%H:%M:%S"),
            if export.decrypted { ", decrypted" } else { "" },
            export.sources.join(", ")
        );
        let saved = download(&blob, &name);
        self.records.update(|r| {
            r.push(ExportRecord {
                saved_as: name.clone(),
                path: what,
                bytes: export.digest.bytes,
                sha256: export.digest.sha256.clone(),
            })
        });
        self.status.set(Some(match saved {
            Ok(()) => format!(
                "{name} saved ({:.1} s, {}); its SHA-256, range and source segments are listed in the print summary.",
                s.duration_s,
                crate::format::bytes(export.digest.bytes)
            ),
            Err(message) => message,
        }));
    }

    /// Makes sure a worker is there (the one that read the card, else a new one).
    fn has_worker(self) -> bool {
        if self.worker.with_value(Option::is_none) {
            match self.pool.take(self.handler()) {
                Ok(worker) => self.worker.set_value(Some(worker)),
                Err(failure) => {
                    self.status.set(Some(failure.message));
                    return false;
                }
            }
        }
        true
    }

    fn blob_of(self, file: &ListedFile) -> Result<web_sys::Blob, String> {
        self.bytes
            .try_with_value(|b| b.blob_of(file))
            .unwrap_or_else(|| Err("the card is closed".to_string()))
    }

    fn answer(self, answer: FromWorker, parts: Option<js_sys::Array>) {
        match answer {
            FromWorker::Progress { done, total, .. }
                if self
                    .pending
                    .with_value(|q| matches!(q.front(), Some(Pending::Clip { .. }))) =>
            {
                self.clip_progress.set(Some((done, total.unwrap_or(done))));
            }
            FromWorker::Progress { phase, done, total }
                if self.pending.with_value(|q| !q.is_empty()) =>
            {
                self.status.set(Some(format!(
                    "{phase}: {done} of {}",
                    total.unwrap_or(done)
                )));
            }
            FromWorker::Digests => self.receive_digests(parts.unwrap_or_default()),
            FromWorker::Clipped { memory_bytes } => self.receive_clip(parts, memory_bytes),
            FromWorker::ClipFailed { message } => {
                self.clip_progress.set(None);
                let _ = self.pending.try_update_value(|q| q.pop_front());
                self.status
                    .set(Some(format!("Cannot export the clip: {message}")));
            }
            FromWorker::Decrypted => {
                let job = self.pending.try_update_value(|q| q.pop_front()).flatten();
                if let Some(Pending::Decrypt(done)) = job {
                    let blob = parts
                        .and_then(|p| p.get(0).dyn_into::<web_sys::Blob>().ok())
                        .ok_or_else(|| "the decrypted clip did not arrive".to_string());
                    done(blob);
                }
            }
            FromWorker::DigestFailed { message } | FromWorker::DecryptFailed { message } => {
                match self.pending.try_update_value(|q| q.pop_front()).flatten() {
                    Some(Pending::Decrypt(done)) => done(Err(message)),
                    _ => self.status.set(Some(message)),
                }
            }
            FromWorker::Failed(failure) => {
                self.clip_progress.set(None);
                // The worker is gone: what it was asked is lost; the next export starts another.
                let lost = self
                    .pending
                    .try_update_value(std::mem::take)
                    .unwrap_or_default();
                for job in lost {
                    if let Pending::Decrypt(done) = job {
                        done(Err(failure.message.clone()));
                    }
                }
                if let Some(worker) = self.worker.try_update_value(Option::take).flatten() {
                    defer_drop(worker);
                }
                self.status.set(Some(failure.message));
            }
            _ => {}
        }
    }

    /// The worker's digests: the archive is built and saved, and every file goes on record.
    /// The second part holds the decrypted files (`null` for the others), in order.
    fn receive_digests(self, parts: js_sys::Array) {
        let Some(Pending::Export { files, zip_name }) =
            self.pending.try_update_value(|q| q.pop_front()).flatten()
        else {
            return;
        };
        let decrypted: Vec<Option<web_sys::Blob>> = parts
            .get(1)
            .dyn_into::<js_sys::Array>()
            .map(|a| a.iter().map(|b| b.dyn_into().ok()).collect())
            .unwrap_or_default();
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
        let result = match &zip_name {
            Some(zip_name) => self.save_zip(zip_name, &files, &digests, &decrypted, &mut records),
            None => {
                let mut saved = Ok(());
                for (i, d) in &digests {
                    if let Some(Takeout { file: f, .. }) = files.get(*i) {
                        // An encrypted clip downloads now, as its plaintext.
                        if let Some(Some(blob)) = decrypted.get(*i) {
                            saved = saved.and(download(blob, &file_name(&f.path)));
                        }
                        records.push(ExportRecord {
                            saved_as: file_name(&f.path),
                            path: f.path.clone(),
                            bytes: d.bytes,
                            sha256: d.sha256.clone(),
                        });
                    }
                }
                saved
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
        decrypted: &[Option<web_sys::Blob>],
        records: &mut Vec<ExportRecord>,
    ) -> Result<(), String> {
        let blob =
            crate::zip_export::archive(zip_name, files, digests, records, |i| {
                match decrypted.get(i) {
                    Some(Some(plain)) => Ok(plain.clone()),
                    _ => {
                        let file = files.get(i).ok_or("archive entry without a file")?;
                        self.blob_of(&file.file)
                    }
                }
            })?;
        download(&blob, zip_name)
    }
}
