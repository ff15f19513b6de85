//! The card the page has open: where reading it stands, the report the worker sent, the
//! what-if inputs, and the report with them applied (what every view shows). Opening a card
//! replaces the previous one: its worker is terminated, so nothing of it lingers.

use std::collections::HashMap;
use std::sync::Arc;

use dashcard::estimate::WhatIf;
use dashcard::report::{FileRecord, Report};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::File;

use crate::folder_pick::PickedFolder;
use crate::protocol::{ClipToRead, FromWorker, parse_files, parse_head};
use crate::worker_client::CardWorker;

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

/// An export waiting for its digests.
struct PendingExport {
    files: Vec<FileRecord>,
    /// The archive's name, or `None` when the files were saved one by one.
    zip_name: Option<String>,
}

/// Where reading stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// No card yet.
    Idle,
    /// Reading, before the first view can show.
    Opening {
        /// What is being opened.
        name: String,
        /// The current step in words.
        step: String,
        /// Items done in that step.
        done: u64,
        /// Items in that step, when known.
        total: Option<u64>,
    },
    /// The card is shown; `durations` counts the video headers still being read.
    Ready {
        /// (done, total) while headers are read; `None` once all are.
        durations: Option<(u64, u64)>,
    },
    /// Reading failed.
    Failed {
        /// What went wrong, as a heading.
        title: String,
        /// The reason.
        message: String,
        /// What to try.
        hint: String,
    },
}

/// A way to open a card.
pub enum OpenSource {
    /// A card image file.
    Image(File),
    /// A card folder's files.
    Folder(PickedFolder),
    /// The simulated sample card.
    Sample,
}

/// The page's card state; `Copy`, so every component can hold it.
#[derive(Clone, Copy)]
pub struct Session {
    /// Where reading stands.
    pub status: RwSignal<Status>,
    /// The report as the worker measured it.
    base: RwSignal<Option<Arc<Report>>>,
    /// The user's what-if inputs.
    pub what_if: RwSignal<WhatIf>,
    /// The report with the what-if inputs applied.
    pub report: RwSignal<Option<Arc<Report>>>,
    /// Which view is shown.
    pub tab: RwSignal<Tab>,
    /// The worker reading the current card, and its id.
    worker: StoredValue<Option<(u64, CardWorker)>, LocalStorage>,
    /// A worker started ahead of time, so a chosen card starts reading at once (its
    /// WebAssembly is already compiled); `spare_ok` turns false if it failed to start.
    spare: StoredValue<Option<(u64, CardWorker)>, LocalStorage>,
    spare_ok: StoredValue<bool>,
    next_id: StoredValue<u64>,
    /// Bumped for every card opened or cancelled, so late answers about an old card are
    /// dropped.
    generation: StoredValue<u64>,
    /// Whether the files of the report shown have arrived (the overview needs none).
    pub files_ready: RwSignal<bool>,
    seq: StoredValue<u64>,
    head_seq: StoredValue<u64>,
    files_seq: StoredValue<u64>,
    head_done: StoredValue<bool>,
    /// A report head waiting for its files (see `receive_head`).
    pending_head: StoredValue<Option<Report>>,
    /// The image being read: for the helper worker that reads half of its headers, and to
    /// play, download and recover its files (as slices, never copied).
    image_file: StoredValue<Option<File>, LocalStorage>,
    /// The sample card's clip: every sample recording is this clip followed by zeros.
    sample_clip: StoredValue<Option<js_sys::Uint8Array>, LocalStorage>,
    /// A folder's files by path, to play and download them.
    folder_files: StoredValue<Option<HashMap<String, File>>, LocalStorage>,
    /// Files taken out so far, with their SHA-256 (the print summary lists them).
    pub exports: RwSignal<Vec<ExportRecord>>,
    /// Whether the print summary is wanted (it is built only then: on a large card it is
    /// thousands of rows).
    pub printing: RwSignal<bool>,
    /// What the current export is doing, in words.
    pub export_status: RwSignal<Option<String>>,
    /// Exports waiting for their digests, in the order they were asked (the worker answers in
    /// that order).
    pending_export: StoredValue<std::collections::VecDeque<PendingExport>, LocalStorage>,
    /// The drive in the drive player, if any.
    pub drive_playing: RwSignal<Option<crate::drive_player::DrivePlayback>, LocalStorage>,
    /// The recording in the player, if any.
    pub playing: RwSignal<Option<crate::player::Playing>, LocalStorage>,
    /// The helper worker, while it reads.
    helper: StoredValue<Option<(u64, CardWorker)>, LocalStorage>,
    /// Whether a helper was started for this card's headers.
    helper_started: StoredValue<bool>,
    /// (done, total) of each share of the header reads, for the progress shown.
    shares: StoredValue<[(u64, u64); 2]>,
    /// The largest worker memory reported.
    memory: StoredValue<u64>,
}

/// The views of an open card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// The card at a glance.
    Overview,
    /// Drives by day.
    Drives,
    /// Parking incidents.
    Parking,
    /// Every file.
    Files,
    /// Inputs and what-if.
    Estimates,
}

impl Session {
    /// A session with no card; re-applies what-if inputs whenever they or the report change.
    pub fn new() -> Self {
        let session = Self {
            status: RwSignal::new(Status::Idle),
            base: RwSignal::new(None),
            what_if: RwSignal::new(WhatIf::default()),
            report: RwSignal::new(None),
            tab: RwSignal::new(Tab::Overview),
            worker: StoredValue::new_local(None),
            spare: StoredValue::new_local(None),
            spare_ok: StoredValue::new(false),
            next_id: StoredValue::new(0),
            generation: StoredValue::new(0),
            files_ready: RwSignal::new(false),
            seq: StoredValue::new(0),
            head_seq: StoredValue::new(0),
            files_seq: StoredValue::new(0),
            head_done: StoredValue::new(false),
            pending_head: StoredValue::new(None),
            image_file: StoredValue::new_local(None),
            folder_files: StoredValue::new_local(None),
            sample_clip: StoredValue::new_local(None),
            exports: RwSignal::new(Vec::new()),
            export_status: RwSignal::new(None),
            printing: RwSignal::new(false),
            pending_export: StoredValue::new_local(std::collections::VecDeque::new()),
            playing: RwSignal::new_local(None),
            drive_playing: RwSignal::new_local(None),
            helper: StoredValue::new_local(None),
            helper_started: StoredValue::new(false),
            shares: StoredValue::new([(0, 0); 2]),
            memory: StoredValue::new(0),
        };
        Effect::new(move |_| {
            let what_if = session.what_if.get();
            let applied = session.base.get().map(|base| {
                if what_if == WhatIf::default() {
                    base
                } else {
                    let mut r = (*base).clone();
                    dashcard::analyze(&mut r, &what_if);
                    Arc::new(r)
                }
            });
            session.report.set(applied);
        });
        session.prepare_spare();
        session
    }

    /// Starts a worker whose answers reach this session under a fresh id.
    fn spawn_worker(self) -> Result<(u64, CardWorker), String> {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let worker = CardWorker::spawn(move |answer, parts| self.answer_from(id, answer, parts))?;
        Ok((id, worker))
    }

    /// Starts the spare worker for the next card, if there is none.
    fn prepare_spare(self) {
        if self.spare.with_value(Option::is_some) {
            return;
        }
        if let Ok(spare) = self.spawn_worker() {
            self.spare.set_value(Some(spare));
            self.spare_ok.set_value(true);
        }
    }

    /// The spare worker if it is healthy, else a new one.
    fn take_worker(self) -> Result<(u64, CardWorker), String> {
        let spare = self.spare.try_update_value(Option::take).flatten();
        match spare {
            Some(w) if self.spare_ok.get_value() => Ok(w),
            _ => self.spawn_worker(),
        }
    }

    /// Routes a worker's answer: the current card's worker is heard; a spare that fails to
    /// start is marked so it is not used; anything else is an old card's and is dropped.
    fn answer_from(self, id: u64, answer: FromWorker, parts: Option<js_sys::Array>) {
        if self.worker.with_value(|w| w.as_ref().map(|w| w.0)) == Some(id) {
            self.answer(answer, parts);
        } else if self.helper.with_value(|w| w.as_ref().map(|w| w.0)) == Some(id) {
            match answer {
                FromWorker::Progress { done, total, .. } => {
                    self.progress(1, done, total.unwrap_or(done))
                }
                FromWorker::Headers { memory_bytes } => {
                    self.receive_headers(parts.unwrap_or_default(), memory_bytes)
                }
                FromWorker::Failed { message } => self.show_failure(message),
                _ => {}
            }
        } else if self.spare.with_value(|w| w.as_ref().map(|w| w.0)) == Some(id)
            && matches!(answer, FromWorker::Failed { .. })
        {
            self.spare_ok.set_value(false);
        }
    }

    /// Opens a card, replacing the current one.
    pub fn open(self, source: OpenSource) {
        clear_marks();
        mark("dashcard:open");
        self.generation.update_value(|g| *g += 1);
        self.files_ready.set(false);
        self.head_seq.set_value(0);
        self.files_seq.set_value(0);
        self.head_done.set_value(false);
        self.pending_head.set_value(None);
        self.image_file.set_value(None);
        self.folder_files.set_value(None);
        self.sample_clip.set_value(None);
        self.clear_players();
        self.exports.set(Vec::new());
        self.export_status.set(None);
        self.pending_export
            .set_value(std::collections::VecDeque::new());
        self.helper.set_value(None);
        self.helper_started.set_value(false);
        self.shares.set_value([(0, 0); 2]);
        self.memory.set_value(0);
        self.worker.set_value(None);
        self.base.set(None);
        self.what_if.set(WhatIf::default());
        self.tab.set(Tab::Overview);
        let name = match &source {
            OpenSource::Image(f) => f.name(),
            OpenSource::Folder(p) => p.name.clone(),
            OpenSource::Sample => crate::worker::SAMPLE_NAME.to_string(),
        };
        self.status.set(Status::Opening {
            name: name.clone(),
            step: "Starting the card reader".to_string(),
            done: 0,
            total: None,
        });
        let (id, worker) = match self.take_worker() {
            Ok(w) => w,
            Err(message) => return self.fail(message),
        };
        let sent = match source {
            OpenSource::Image(file) => {
                let sent = worker.open_image(&file, true);
                self.image_file.set_value(Some(file));
                sent
            }
            OpenSource::Folder(folder) => {
                if folder.files.is_empty() {
                    return self.fail(format!("the folder “{}” is empty", folder.name));
                }
                self.folder_files
                    .set_value(Some(folder.files.iter().cloned().collect()));
                worker.open_folder(&folder.name, folder.files, None)
            }
            OpenSource::Sample => {
                // The sample's clips are a real (tiny) recording shipped with the page, so they
                // play; without it the sample still opens, with header-only clips.
                let generation = self.generation.get_value();
                spawn_local(async move {
                    let clip = fetch_bytes(SAMPLE_CLIP_URL).await;
                    if self.generation.get_value() != generation {
                        return;
                    }
                    self.sample_clip.set_value(clip.clone());
                    let sent = self
                        .worker
                        .with_value(|w| w.as_ref().map(|(_, w)| w.open_sample(clip.as_ref())));
                    if let Some(Err(message)) = sent {
                        self.show_failure(message);
                    }
                });
                Ok(())
            }
        };
        self.worker.set_value(Some((id, worker)));
        if let Err(message) = sent {
            self.fail(message);
        }
    }

    /// Stops reading and goes back to the start.
    pub fn cancel(self) {
        self.generation.update_value(|g| *g += 1);
        self.worker.set_value(None);
        self.helper.set_value(None);
        self.clear_players();
        self.base.set(None);
        self.status.set(Status::Idle);
    }

    /// Empties both players and frees their object URLs.
    fn clear_players(self) {
        if let Some(url) = self.playing.get_untracked().and_then(|p| p.url) {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
        self.playing.set(None);
        if let Some(p) = self.drive_playing.get_untracked() {
            p.release();
        }
        self.drive_playing.set(None);
    }

    /// Shows an error and stops the reader (the page stays usable: any way in starts over).
    pub fn fail(self, message: String) {
        self.worker.set_value(None);
        self.helper.set_value(None);
        self.show_failure(message);
    }

    /// Shows an error. The worker is left alone: this runs inside its own message handler,
    /// which must not be dropped while it runs; the next card replaces it.
    fn show_failure(self, message: String) {
        self.generation.update_value(|g| *g += 1);
        // The card's workers go once this handler has returned (never inside it), so nothing
        // they still send can cover the error.
        spawn_local(async move {
            self.worker.set_value(None);
            self.helper.set_value(None);
        });
        self.clear_players();
        self.base.set(None);
        let (title, hint) = explain(&message);
        self.status.set(Status::Failed {
            title: title.to_string(),
            message,
            hint: hint.to_string(),
        });
    }

    fn answer(self, answer: FromWorker, parts: Option<js_sys::Array>) {
        let parts = parts.unwrap_or_default();
        match answer {
            FromWorker::Ready => {}
            FromWorker::Progress { phase, done, total }
                if self.pending_export.with_value(|q| !q.is_empty()) =>
            {
                self.export_status.set(Some(format!(
                    "{phase}: {done} of {}",
                    total.unwrap_or(done)
                )));
            }
            FromWorker::Progress { phase, done, total } => {
                let ready = matches!(self.status.get_untracked(), Status::Ready { .. });
                if ready {
                    self.progress(0, done, total.unwrap_or(done));
                } else {
                    self.status.update(|s| {
                        if let Status::Opening {
                            step,
                            done: d,
                            total: t,
                            ..
                        } = s
                        {
                            *step = phase;
                            *d = done;
                            *t = total;
                        }
                    });
                }
            }
            FromWorker::Listed => {
                mark("dashcard:listed");
                self.receive_head(parts, None);
            }
            FromWorker::Done { memory_bytes } => {
                mark("dashcard:done");
                self.receive_head(parts, Some(memory_bytes));
            }
            FromWorker::Files => self.receive_files(parts),
            FromWorker::Digests => self.receive_digests(parts),
            FromWorker::DigestFailed { message } => {
                self.pending_export.update_value(|q| {
                    q.pop_front();
                });
                self.export_status.set(Some(message));
            }
            // Only the helper sends these.
            FromWorker::Headers { .. } => {}
            FromWorker::Failed { message } => self.show_failure(message),
        }
    }
}

impl Session {
    /// The next sequence number for a piece of report from the worker: pieces are parsed in
    /// tasks of their own, and a piece that finishes after a newer one of its kind is dropped.
    fn next_seq(self) -> u64 {
        let seq = self.seq.get_value() + 1;
        self.seq.set_value(seq);
        seq
    }

    /// A report without its files (after `Listed` or `Done`): shown at once, with the files
    /// the page already has until the new ones arrive. `done` carries the worker's memory.
    fn receive_head(self, parts: js_sys::Array, done: Option<u64>) {
        let generation = self.generation.get_value();
        let seq = self.next_seq();
        let part = part_bytes(&parts, 0);
        spawn_local(async move {
            // A task of its own: the browser paints and handles input between.
            gloo_timers::future::TimeoutFuture::new(0).await;
            let mut head = match parse_head(&part) {
                Ok(h) => h,
                Err(message) => return self.show_failure(message),
            };
            if self.generation.get_value() != generation || seq < self.head_seq.get_value() {
                return;
            }
            self.head_seq.set_value(seq);
            self.head_done.set_value(done.is_some());
            let has_files = self
                .base
                .with_untracked(|b| b.as_ref().is_some_and(|b| !b.files.is_empty()));
            if has_files {
                // The page already shows this card with its files: the new head waits for its
                // own files (next message) rather than copying tens of thousands of old ones.
                self.pending_head.set_value(Some(head));
            } else {
                head.files = Vec::new();
                self.base.set(Some(Arc::new(head)));
            }
            match done {
                None => {
                    self.status.set(Status::Ready {
                        durations: Some((0, 0)),
                    });
                    // Effects and the DOM update run before the next animation frame.
                    request_animation_frame(|| mark("dashcard:overview-shown"));
                }
                Some(memory_bytes) => {
                    let most = self.memory.get_value().max(memory_bytes);
                    set_body_data("workerMemory", &most.to_string());
                    // The helper's work is done (this runs in a task, not in its handler).
                    self.helper.set_value(None);
                }
            }
        });
    }

    /// The files of the report last sent, parsed a part at a time within a task budget.
    fn receive_files(self, parts: js_sys::Array) {
        let generation = self.generation.get_value();
        let seq = self.next_seq();
        spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(0).await;
            let mut files = Vec::new();
            let mut task_start = now_ms();
            for i in 0..parts.length() {
                // Yield only when this task has run for a while: fewer, still short, tasks.
                if now_ms() - task_start > TASK_BUDGET_MS {
                    gloo_timers::future::TimeoutFuture::new(0).await;
                    task_start = now_ms();
                }
                if self.generation.get_value() != generation {
                    return;
                }
                match parse_files(&part_bytes(&parts, i)) {
                    Ok(mut chunk) => files.append(&mut chunk),
                    Err(message) => return self.show_failure(message),
                }
            }
            if self.generation.get_value() != generation || seq < self.files_seq.get_value() {
                return;
            }
            self.files_seq.set_value(seq);
            let head = self.pending_head.try_update_value(Option::take).flatten();
            let Some(mut report) = head.or_else(|| {
                self.base
                    .with_untracked(|b| b.as_ref().map(|b| b.clone_without_files()))
            }) else {
                return;
            };
            report.files = files;
            let first_listing = !self.head_done.get_value() && !self.helper_started.get_value();
            let split = if first_listing {
                dashcard::scan::split_header_order(&report).map(|(_, second)| {
                    second
                        .into_iter()
                        .filter_map(|i| {
                            report.files.get(i).map(|f| ClipToRead {
                                index: i,
                                bytes: f.bytes,
                                extents: f.extents.clone(),
                            })
                        })
                        .collect::<Vec<_>>()
                })
            } else {
                None
            };
            self.base.set(Some(Arc::new(report)));
            self.files_ready.set(true);
            if let Some(clips) = split {
                self.start_helper(clips);
            }
            // The files that follow the complete report: everything is read.
            if self.head_done.get_value() && seq > self.head_seq.get_value() {
                self.status.set(Status::Ready { durations: None });
                self.prepare_spare();
                request_animation_frame(|| mark("dashcard:durations-shown"));
            }
        });
    }
}

impl Session {
    /// The bytes of a file of the open card as a `Blob`, without copying them: from an image,
    /// the slices of the image its extents cover (a fragmented file too); from a folder, the
    /// file itself. A deleted file whose clusters were reused cannot be had, and says why.
    pub fn blob_of(self, file: &FileRecord) -> Result<web_sys::Blob, String> {
        if file.deleted && file.recoverable != Some(true) {
            return Err(format!(
                "{} was deleted and its clusters have since been reused or damaged, so its bytes cannot be recovered",
                file.path
            ));
        }
        if let Some(found) = self
            .folder_files
            .with_value(|f| f.as_ref().and_then(|f| f.get(&file.path).cloned()))
        {
            return Ok(found.into());
        }
        if let (None, Some(clip)) = (self.image_file.get_value(), self.sample_clip.get_value()) {
            return sample_blob(&clip, file.bytes);
        }
        let image = self
            .image_file
            .get_value()
            .ok_or_else(|| format!("{}: its bytes are not available here", file.path))?;
        let image_bytes = image.size() as u64;
        if file
            .extents
            .iter()
            .any(|e| e.offset.saturating_add(e.bytes) > image_bytes)
        {
            return Err(format!(
                "{}: part of it lies past the end of this image (it is truncated), so it cannot be taken out whole",
                file.path
            ));
        }
        let covered: u64 = file.extents.iter().map(|e| e.bytes).sum();
        if covered != file.bytes {
            return Err(format!(
                "{}: where its bytes lie on the card is not fully known ({covered} of {} bytes)",
                file.path, file.bytes
            ));
        }
        let parts = js_sys::Array::new();
        for e in &file.extents {
            let slice = image
                .slice_with_f64_and_f64(e.offset as f64, (e.offset + e.bytes) as f64)
                .map_err(|e| crate::worker_client::describe(&e))?;
            parts.push(&slice);
        }
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(if dashcard::report::is_video_name(&file.path) {
            "video/mp4"
        } else {
            "application/octet-stream"
        });
        web_sys::Blob::new_with_blob_sequence_and_options(&parts, &options)
            .map_err(|e| crate::worker_client::describe(&e))
    }

    /// Takes `files` out: with `zip_name`, as one stored ZIP archive (assembled around slices of
    /// the card image, so nothing is copied); without, each is assumed already saved. Either
    /// way the worker digests them, and each gets its SHA-256 on record.
    pub fn export(self, files: Vec<FileRecord>, zip_name: Option<String>) {
        if let Some(f) = files
            .iter()
            .find(|f| f.deleted && f.recoverable != Some(true))
        {
            self.export_status.set(Some(format!(
                "{} cannot be taken out: its clusters have been reused.",
                f.path
            )));
            return;
        }
        let clips: Vec<ClipToRead> = files
            .iter()
            .enumerate()
            .map(|(i, f)| ClipToRead {
                index: i,
                bytes: f.bytes,
                extents: f.extents.clone(),
            })
            .collect();
        let folder: Vec<File> = self
            .folder_files
            .with_value(|m| {
                m.as_ref().map(|m| {
                    files
                        .iter()
                        .filter_map(|f| m.get(&f.path).cloned())
                        .collect()
                })
            })
            .unwrap_or_default();
        let image = self.image_file.get_value();
        if image.is_none() && self.sample_clip.with_value(Option::is_some) {
            self.export_status.set(Some(
                "The sample card's recordings play and download one by one; archives and SHA-256 records need a real card."
                    .into(),
            ));
            return;
        }
        if image.is_none() && folder.len() != files.len() {
            self.export_status
                .set(Some("These files cannot be taken out of this card.".into()));
            return;
        }
        if self.worker.with_value(Option::is_none) {
            match self.take_worker() {
                Ok(w) => self.worker.set_value(Some(w)),
                Err(message) => return self.export_status.set(Some(message)),
            }
        }
        let sent = self.worker.with_value(|w| {
            w.as_ref()
                .map(|(_, w)| w.digest(&clips, image.as_ref(), &folder))
        });
        match sent {
            Some(Ok(())) => {
                self.export_status.set(Some(format!(
                    "Checking {} file(s) (SHA-256){}…",
                    files.len(),
                    if zip_name.is_some() {
                        " for the archive"
                    } else {
                        ""
                    }
                )));
                self.pending_export
                    .update_value(|q| q.push_back(PendingExport { files, zip_name }));
            }
            Some(Err(message)) => self.export_status.set(Some(message)),
            None => {}
        }
    }

    /// The worker's digests: the archive is built and saved, and every file goes on record.
    fn receive_digests(self, parts: js_sys::Array) {
        let Some(pending) = self
            .pending_export
            .try_update_value(|q| q.pop_front())
            .flatten()
        else {
            return;
        };
        let digests: Vec<(usize, dashcard::export::digest::FileDigest)> =
            match crate::protocol::parse_part(&part_bytes(&parts, 0)) {
                Ok(d) => d,
                Err(message) => return self.export_status.set(Some(message)),
            };
        let mut records = Vec::new();
        let result = match &pending.zip_name {
            Some(zip_name) => self.save_zip(zip_name, &pending.files, &digests, &mut records),
            None => {
                for (i, d) in &digests {
                    if let Some(f) = pending.files.get(*i) {
                        records.push(ExportRecord {
                            saved_as: crate::player::file_name(&f.path),
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
                self.exports.update(|e| e.extend(records));
                self.export_status.set(Some(format!(
                    "{n} file(s) saved; their SHA-256 are listed in the print summary."
                )));
            }
            Err(message) => self.export_status.set(Some(message)),
        }
    }

    fn save_zip(
        self,
        zip_name: &str,
        files: &[FileRecord],
        digests: &[(usize, dashcard::export::digest::FileDigest)],
        records: &mut Vec<ExportRecord>,
    ) -> Result<(), String> {
        use dashcard::export::zip_layout::{Piece, ZipEntry, layout};
        let folder = zip_name.trim_end_matches(".zip");
        let mut entries = Vec::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            let d = digests
                .iter()
                .find(|(n, _)| *n == i)
                .map(|(_, d)| d)
                .ok_or_else(|| format!("{} was not checked", f.path))?;
            if d.bytes != f.bytes {
                return Err(format!("{}: read {} of {} bytes", f.path, d.bytes, f.bytes));
            }
            let name = format!("{folder}/{}", crate::player::file_name(&f.path));
            records.push(ExportRecord {
                saved_as: format!("{zip_name} › {}", crate::player::file_name(&f.path)),
                path: f.path.clone(),
                bytes: d.bytes,
                sha256: d.sha256.clone(),
            });
            entries.push(ZipEntry {
                name,
                bytes: f.bytes,
                crc32: d.crc32,
                modified: f.modified.or(f.start),
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
                    let blob: wasm_bindgen::JsValue = self.blob_of(file)?.into();
                    blob_parts.push(&blob);
                }
            }
        }
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("application/zip");
        let blob = web_sys::Blob::new_with_blob_sequence_and_options(&blob_parts, &options)
            .map_err(|e| crate::worker_client::describe(&e))?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)
            .map_err(|e| crate::worker_client::describe(&e))?;
        crate::player::click_download(&url, zip_name);
        set_timeout(
            move || {
                let _ = web_sys::Url::revoke_object_url(&url);
            },
            std::time::Duration::from_secs(60),
        );
        Ok(())
    }

    /// Has a second worker read the second half of the headers (the first worker reads the
    /// first half): on two cores, about half the time.
    fn start_helper(self, clips: Vec<ClipToRead>) {
        let Some(file) = self.image_file.get_value() else {
            return;
        };
        self.helper_started.set_value(true);
        let (id, helper) = match self.take_worker() {
            Ok(w) => w,
            Err(message) => return self.show_failure(message),
        };
        let sent = helper.read_headers(&file, &clips);
        self.helper.set_value(Some((id, helper)));
        if let Err(message) = sent {
            self.show_failure(message);
        }
    }

    /// Progress of one share of the header reads; the page shows their sum.
    fn progress(self, share: usize, done: u64, total: u64) {
        self.shares
            .update_value(|s| s[share.min(1)] = (done, total));
        let [(a, b), (c, d)] = self.shares.get_value();
        self.status.set(Status::Ready {
            durations: Some((a + c, b + d)),
        });
    }

    /// The helper's header results: passed on, as they came, to the worker holding the card,
    /// which completes it (the page does no heavy work).
    fn receive_headers(self, parts: js_sys::Array, memory_bytes: u64) {
        self.memory.update_value(|m| *m = (*m).max(memory_bytes));
        let Ok(part) = parts.get(0).dyn_into::<js_sys::Uint8Array>() else {
            return self.show_failure("the helper sent no video headers".to_string());
        };
        let sent = self
            .worker
            .with_value(|w| w.as_ref().map(|(_, w)| w.apply_headers(&part)));
        if let Some(Err(message)) = sent {
            self.show_failure(message);
        }
    }
}

/// The bytes of part `i` of a message.
fn part_bytes(parts: &js_sys::Array, i: u32) -> Vec<u8> {
    parts
        .get(i)
        .dyn_into::<js_sys::Uint8Array>()
        .map(|a| a.to_vec())
        .unwrap_or_default()
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// A heading and a hint for an error message.
fn explain(message: &str) -> (&'static str, &'static str) {
    let m = message.to_lowercase();
    if m.contains("exfat") || m.contains("ntfs") {
        (
            "This card uses a file system Dashcard cannot read yet",
            "Nexar cameras format their cards as FAT32. If this card came from a Nexar camera, it may have been reformatted on a computer.",
        )
    } else if m.contains("stopped unexpectedly") || m.contains("worker") {
        (
            "The card reader stopped",
            "Reload the page and try again. If it happens again with this card, the image may be damaged in a way Dashcard does not handle yet.",
        )
    } else if m.contains("folder") || m.contains("access") || m.contains("permission") {
        (
            "The folder could not be opened",
            "Allow read access when the browser asks, or open a card image instead.",
        )
    } else {
        (
            "This card could not be read",
            "Check that the file is an image of a whole card or of its FAT volume (.img, .bin, .dd), copied completely. Nothing was changed on the card or the file.",
        )
    }
}

/// A sample recording's bytes: the clip, then zeros to its size (as the simulation wrote it).
fn sample_blob(clip: &js_sys::Uint8Array, bytes: u64) -> Result<web_sys::Blob, String> {
    const ZEROS: u32 = 1 << 20;
    let parts = js_sys::Array::of1(clip);
    let mut left = bytes.saturating_sub(u64::from(clip.length()));
    let zeros = js_sys::Uint8Array::new_with_length(ZEROS);
    while left > 0 {
        let n = left.min(u64::from(ZEROS)) as u32;
        parts.push(&zeros.subarray(0, n));
        left -= u64::from(n);
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("video/mp4");
    web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| crate::worker_client::describe(&e))
}

/// The real clip the sample card's recordings are made of (copied into `dist/` by trunk).
const SAMPLE_CLIP_URL: &str = "./sample-clip.mp4";

/// The bytes at `url` of the page's own origin, or `None`.
async fn fetch_bytes(url: &str) -> Option<js_sys::Uint8Array> {
    let window = web_sys::window()?;
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url))
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    if !response.ok() {
        return None;
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().ok()?)
        .await
        .ok()?;
    Some(js_sys::Uint8Array::new(&buffer))
}

/// How long one step of putting a report together may run before it lets the browser paint
/// and handle input (a "long task" is 50 ms).
const TASK_BUDGET_MS: f64 = 15.0;

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A `performance.mark`, so the benchmark (and the browser's profiler) can time each step:
/// `dashcard:open`, `dashcard:listed`, `dashcard:overview-shown`, `dashcard:done`,
/// `dashcard:durations-shown`.
fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

fn clear_marks() {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        p.clear_marks();
    }
}

/// Sets `data-*` on `<body>` (what the worker measured, for the benchmark).
fn set_body_data(key: &str, value: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.dataset().set(key, value);
    }
}
