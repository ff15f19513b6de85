//! Reading one card: the worker that reads it (and, for an image or a folder of many clips,
//! helpers that each read a share of its video headers, talking to the first over
//! `MessageChannel`s), and the
//! page's side of what they send — the card's head shown at once, its files parsed a part at a
//! time within a task budget, each message only after the one before it.

use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{File, MessageChannel, MessagePort};

use dashcard::encryption::Key;

use crate::card::{Card, CardData, Stage};
use crate::card_bytes::CardBytes;
use crate::folder_pick::PickedFolder;
use crate::open_source::{OpenSource, fetch_bytes, sample_clip_url};
use crate::protocol::{CardHead, Failure, FailureKind, FilesPart, FromWorker, Sample, parse_part};
use crate::worker_client::{CardWorker, FolderStats, Handler};
use crate::worker_pool::{WorkerPool, defer_drop};

/// Helpers reading a share of a card's video headers beside its reader (at most: a card of
/// few clips gets none, see [`FromWorker::Sharing`]). Each header read
/// costs the browser ~0.2–0.6 ms of its own (a `Blob` slice is registered with the browser
/// process), mostly waiting rather than computing, so four readers in parallel finish sooner
/// than two even on two cores.
pub const HEADER_HELPERS: usize = 3;

/// The step in which a folder's files are asked their sizes and times.
const STAT_PHASE: &str = "Reading the folder's file sizes";

/// When the helpers start if no frame has shown the overview by then (a hidden tab).
const HELPERS_AT_THE_LATEST_MS: u64 = 250;

/// How long the page asks a folder's files their sizes before it lets the browser paint and
/// handle input: longer than [`TASK_BUDGET_MS`], as each pause costs a few ms of its own and
/// 10,000 files take ~1.5 s (still under a 50 ms "long task").
const STAT_BUDGET_MS: f64 = 25.0;

/// How long one step of putting the card together may run before it lets the browser paint
/// and handle input (a "long task" is 50 ms).
const TASK_BUDGET_MS: f64 = 15.0;

/// What a card message carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Carries {
    /// The card's head alone: its overview, shown before its files come.
    Overview,
    /// The card listed, with its files (no video header read yet).
    Listed,
    /// The complete card.
    Complete,
}

/// What the helpers are started with: the image (none for a folder: its files come with each
/// share), their channels' ends and the owner's key.
type ForHelpers = (Option<File>, Vec<MessagePort>, Option<Key>);

/// The reading of one card. Made under the card's owner: it goes with the card.
#[derive(Clone, Copy)]
pub struct Reading {
    card: Card,
    pool: WorkerPool,
    main: StoredValue<Option<CardWorker>, LocalStorage>,
    helpers: StoredValue<Vec<CardWorker>, LocalStorage>,
    /// The image, the channels' ends for the helpers and the owner's key, until the overview
    /// shows: the helpers' reads would slow it down on a machine of few cores.
    for_helpers: StoredValue<Option<ForHelpers>, LocalStorage>,
    /// How many helpers the reader has shares for (it says so before the card): `None` until
    /// it has.
    helpers_wanted: StoredValue<Option<usize>>,
    /// Whether the helpers were due to start before the reader said how many.
    helpers_due: StoredValue<bool>,
    /// Messages carrying the card (what they carry, and their parts), oldest first.
    inbox: StoredValue<VecDeque<(Carries, js_sys::Array)>, LocalStorage>,
    /// Whether a task is working through the inbox.
    draining: StoredValue<bool>,
    /// (done, total) of each worker's share of the header reads (the reader's first).
    shares: StoredValue<[(u64, u64); 1 + HEADER_HELPERS]>,
    /// The largest worker memory reported.
    memory: StoredValue<u64>,
}

impl Reading {
    /// Starts reading `source` into `card` with a worker from `pool`, clips the camera
    /// encrypted through `key` (or the factory default).
    pub fn start(card: Card, pool: WorkerPool, source: OpenSource, key: Option<Key>) {
        let reading = Self {
            card,
            pool,
            main: StoredValue::new_local(None),
            helpers: StoredValue::new_local(Vec::new()),
            for_helpers: StoredValue::new_local(None),
            helpers_wanted: StoredValue::new(None),
            helpers_due: StoredValue::new(false),
            inbox: StoredValue::new_local(VecDeque::new()),
            draining: StoredValue::new(false),
            shares: StoredValue::new([(0, 0); 1 + HEADER_HELPERS]),
            memory: StoredValue::new(0),
        };
        let worker = match pool.take(reading.handler(0)) {
            Ok(w) => w,
            Err(failure) => return reading.fail(failure),
        };
        let sent = match source {
            OpenSource::Image(file) => reading.open_image(&worker, &file, key),
            OpenSource::Folder(folder) => {
                reading.main.set_value(Some(worker));
                reading.send_folder(folder, key);
                return;
            }
            OpenSource::Sample(sample) => {
                reading.send_sample(sample);
                Ok(())
            }
        };
        reading.main.set_value(Some(worker));
        if let Err(failure) = sent {
            reading.fail(failure);
        }
    }

    /// Sends the image `file` to its reader `worker` with one end of a channel for each helper;
    /// the helpers are started on the other ends once the overview shows (their shares wait on
    /// the channels until then).
    fn open_image(self, worker: &CardWorker, file: &File, key: Option<Key>) -> Result<(), Failure> {
        let (ours, theirs) = helper_channels()?;
        worker.open_image(file, &ours, key.clone())?;
        self.for_helpers
            .set_value(Some((Some(file.clone()), theirs, key)));
        Ok(())
    }

    /// Starts the helpers the reader has shares for, each on its channel's end (once); if the
    /// reader has not said how many yet (an image's says so right after its overview, a
    /// folder's before it), once it has.
    fn start_helpers(self) {
        let Some(wanted) = self.helpers_wanted.try_get_value().flatten() else {
            let _ = self.helpers_due.try_set_value(true);
            return;
        };
        let Some((file, ports, key)) = self.for_helpers.try_update_value(Option::take).flatten()
        else {
            return;
        };
        if self.still_reading().is_none() {
            return;
        }
        let wanted = wanted.min(ports.len());
        set_body_data("helpers", &wanted.to_string());
        mark("dashcard:helpers-started");
        for (i, port) in ports.iter().take(wanted).enumerate() {
            let handler = self.handler(1 + i);
            let helper = match self.pool.take_spare(handler.clone()) {
                Some(spare) => {
                    mark("dashcard:helper-from-pool");
                    Ok(spare)
                }
                None => CardWorker::spawn(handler),
            };
            let sent = helper.and_then(|helper| {
                let sent = helper.help_with_headers(file.as_ref(), port, key.clone());
                self.helpers.update_value(|h| h.push(helper));
                sent
            });
            if let Err(failure) = sent {
                return self.fail(failure);
            }
        }
    }

    /// The sample's clips are a real (tiny) recording shipped with the page, so they play;
    /// without it the sample still opens, with header-only clips.
    fn send_sample(self, sample: Sample) {
        spawn_local(async move {
            let clip = fetch_bytes(sample_clip_url(sample)).await;
            let sent = self
                .main
                .try_with_value(|w| w.as_ref().map(|w| w.open_sample(sample, clip.as_ref())));
            // A card closed meanwhile has nothing left to send to.
            let Some(Some(sent)) = sent else { return };
            self.card
                .bytes
                .try_update_value(|b| *b = CardBytes::Sample(clip));
            if let Err(failure) = sent {
                self.fail(failure);
            }
        });
    }

    /// Sends a card folder to its reader: first every file's size and time, asked of the browser
    /// a task budget at a time (each `File` of a folder is stat'ed on first use, synchronously,
    /// ~0.1–0.25 ms a file: 10,000 clips in one go froze the page for 1–3 s), with the count shown.
    fn send_folder(self, folder: PickedFolder, key: Option<Key>) {
        spawn_local(async move {
            let total = folder.files.len();
            let mut stats = FolderStats::with_capacity(total);
            let mut task_start = now_ms();
            for (i, (_, file)) in folder.files.iter().enumerate() {
                // A hidden tab paints nothing and delays every pause to a second or more.
                if now_ms() - task_start > STAT_BUDGET_MS && !page_hidden() {
                    self.progress(0, STAT_PHASE.to_string(), i as u64, Some(total as u64));
                    gloo_timers::future::TimeoutFuture::new(0).await;
                    if self.still_reading().is_none() {
                        return;
                    }
                    task_start = now_ms();
                }
                stats.push(file);
            }
            mark("dashcard:folder-stat");
            let (ours, theirs) = match helper_channels() {
                Ok(channels) => channels,
                Err(failure) => return self.fail(failure),
            };
            self.for_helpers
                .set_value(Some((None, theirs, key.clone())));
            let sent = self.main.try_with_value(|w| {
                w.as_ref()
                    .map(|w| w.open_folder(&folder.name, &folder.files, stats, &ours, key))
            });
            // A card closed meanwhile has nothing left to send to.
            if let Some(Some(Err(failure))) = sent {
                self.fail(failure);
            }
        });
    }

    /// Answers from worker `share` (0: the reader, 1 on: its helpers).
    fn handler(self, share: usize) -> Handler {
        Rc::new(move |answer, parts| self.answer(share, answer, parts))
    }

    fn answer(self, share: usize, answer: FromWorker, parts: Option<js_sys::Array>) {
        match answer {
            FromWorker::Progress { phase, done, total } => self.progress(share, phase, done, total),
            FromWorker::Overview { memory_bytes } => {
                mark("dashcard:listed");
                self.memory.update_value(|m| *m = (*m).max(memory_bytes));
                self.receive(Carries::Overview, parts.unwrap_or_default());
            }
            FromWorker::Card {
                complete,
                memory_bytes,
            } => {
                let carries = if complete {
                    mark("dashcard:done");
                    Carries::Complete
                } else {
                    Carries::Listed
                };
                self.memory.update_value(|m| *m = (*m).max(memory_bytes));
                self.receive(carries, parts.unwrap_or_default());
            }
            FromWorker::Telemetry => {
                let parts = parts.unwrap_or_default();
                match parse_part::<dashcard::telemetry::CardTelemetry>(&part_bytes(&parts, 0)) {
                    Ok(t) => {
                        let _ = self.card.telemetry.try_set(Arc::new(t));
                        mark("dashcard:telemetry");
                    }
                    Err(message) => self.fail(Failure::new(FailureKind::Unreadable, message)),
                }
            }
            FromWorker::Sharing { helpers } => {
                self.helpers_wanted.set_value(Some(helpers as usize));
                if self.helpers_due.get_value() {
                    self.start_helpers();
                }
            }
            FromWorker::HelperDone { memory_bytes } => {
                self.memory.update_value(|m| *m = (*m).max(memory_bytes));
            }
            FromWorker::Failed(failure) => self.fail(failure),
            // A helper that was still starting when taken has loaded its WebAssembly.
            FromWorker::Ready if share > 0 => mark("dashcard:helper-ready"),
            FromWorker::Ready
            | FromWorker::Digests
            | FromWorker::DigestFailed { .. }
            | FromWorker::Decrypted
            | FromWorker::DecryptFailed { .. }
            | FromWorker::Clipped { .. }
            | FromWorker::ClipFailed { .. } => {}
        }
    }

    /// Progress of one share: the step while opening, the sum of every share's header reads
    /// once the card shows.
    fn progress(self, share: usize, phase: String, done: u64, total: Option<u64>) {
        let stage = self.card.stage;
        let share_total = total.unwrap_or(done);
        if share > 0
            && share_total > 0
            && self.shares.with_value(|s| s[1..].iter().all(|s| s.1 == 0))
        {
            // The first helper with headers to read (the benchmark times it).
            mark("dashcard:helper");
        }
        if total.is_some_and(|t| t > 0 && done == t) {
            // Where each share's reading ends (the reader's is 0).
            mark(&format!("dashcard:share-read-{share}"));
        }
        // Only header reads count towards the durations (the reader's earlier steps, such as
        // the page's own folder stat, would otherwise be summed with the helpers' first ticks).
        if phase == crate::worker::HEADERS_PHASE {
            self.shares.update_value(|s| {
                if let Some(s) = s.get_mut(share) {
                    *s = (done, share_total);
                }
            });
        }
        if matches!(stage.get_untracked(), Stage::Ready { .. }) {
            let (done, total) = self
                .shares
                .with_value(|s| s.iter().fold((0, 0), |(a, b), (c, d)| (a + c, b + d)));
            stage.set(Stage::Ready {
                durations: Some((done, total)),
            });
        } else if share == 0 {
            stage.update(|s| {
                if let Stage::Opening {
                    step,
                    done: d,
                    total: t,
                } = s
                {
                    *step = phase;
                    *d = done;
                    *t = total;
                }
            });
        }
    }

    /// Ends the reading in `failure`; the workers go once the current event is handled.
    fn fail(self, failure: Failure) {
        if let Some(worker) = self.main.try_update_value(Option::take).flatten() {
            defer_drop(worker);
        }
        self.drop_helpers();
        self.card.fail(failure);
    }

    /// Queues a card message; a task works through them in order.
    fn receive(self, carries: Carries, parts: js_sys::Array) {
        self.inbox.update_value(|q| q.push_back((carries, parts)));
        if self.draining.get_value() {
            return;
        }
        self.draining.set_value(true);
        spawn_local(async move {
            loop {
                let next = self.inbox.try_update_value(VecDeque::pop_front).flatten();
                let Some((carries, parts)) = next else { break };
                if self.show(carries, parts).await.is_none() {
                    return;
                }
            }
            let _ = self.draining.try_set_value(false);
        });
    }

    /// Shows one card message: its head at once when nothing is shown yet (the overview needs
    /// no more), then the card with its files (unless it carries the overview alone). `None`
    /// when the card is gone meanwhile.
    async fn show(self, carries: Carries, parts: js_sys::Array) -> Option<()> {
        let complete = carries == Carries::Complete;
        // A task of its own: the browser paints and handles input between.
        gloo_timers::future::TimeoutFuture::new(0).await;
        self.still_reading()?;
        let (mut listing, mut catalog, mut estimate): CardHead =
            match parse_part(&part_bytes(&parts, 0)) {
                Ok(head) => head,
                Err(message) => {
                    self.fail(Failure::new(FailureKind::Unreadable, message));
                    return None;
                }
            };
        let card = self.card;
        let showing = card.data.try_with_untracked(Option::is_some)?;
        if !showing {
            // Parsing and showing are each a task's work the first time (their code is new to
            // the browser then): a task of its own for the views.
            gloo_timers::future::TimeoutFuture::new(0).await;
            self.still_reading()?;
            card.data.set(Some(CardData {
                listing: Arc::new(listing.clone()),
                catalog: Arc::new(catalog.clone()),
                measured: Arc::new(estimate.clone()),
                files_ready: false,
            }));
            if !complete {
                card.stage.set(Stage::Ready {
                    durations: Some((0, 0)),
                });
                // Effects and the DOM update run before the next animation frame; the helpers
                // start once it is painted.
                request_animation_frame(move || {
                    mark("dashcard:overview-shown");
                    set_timeout(move || self.start_helpers(), std::time::Duration::ZERO);
                });
                // A hidden tab runs no animation frames: the helpers start anyway (once).
                set_timeout(
                    move || self.start_helpers(),
                    std::time::Duration::from_millis(HELPERS_AT_THE_LATEST_MS),
                );
            } else {
                self.start_helpers();
            }
            // The overview gets its task to itself; the files follow in tasks of their own.
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
        if carries == Carries::Overview {
            return Some(());
        }
        let files = self.parse_files(&parts).await?;
        self.still_reading()?;
        (listing.files, catalog.files, estimate.files) = files;
        let data = CardData {
            listing: Arc::new(listing),
            catalog: Arc::new(catalog),
            measured: Arc::new(estimate),
            files_ready: true,
        };
        // `try_set` hands the value back when the card is gone.
        if card.data.try_set(Some(data)).is_some() {
            return None;
        }
        if complete {
            self.finish();
        }
        Some(())
    }

    /// `Some` while the card is open and has not failed.
    fn still_reading(self) -> Option<()> {
        let stage = self.card.stage.try_get_untracked()?;
        (!matches!(stage, Stage::Failed(_))).then_some(())
    }

    /// The files of a card message, parsed a part at a time within the task budget.
    async fn parse_files(self, parts: &js_sys::Array) -> Option<FilesPart> {
        let mut files: FilesPart = Default::default();
        let mut task_start = now_ms();
        for i in 1..parts.length() {
            // Yield only when this task has run for a while: fewer, still short, tasks.
            if now_ms() - task_start > TASK_BUDGET_MS {
                gloo_timers::future::TimeoutFuture::new(0).await;
                task_start = now_ms();
            }
            self.still_reading()?;
            match parse_part::<FilesPart>(&part_bytes(parts, i)) {
                Ok((l, c, f)) => {
                    files.0.extend(l);
                    files.1.extend(c);
                    files.2.extend(f);
                }
                Err(message) => {
                    self.fail(Failure::new(FailureKind::Unreadable, message));
                    return None;
                }
            }
        }
        Some(files)
    }

    /// The helpers go once the current event is handled.
    fn drop_helpers(self) {
        for helper in self
            .helpers
            .try_update_value(std::mem::take)
            .unwrap_or_default()
        {
            defer_drop(helper);
        }
    }

    /// Everything is read: the helpers go, the reader stays to digest exports, and a spare
    /// worker is started for the next card.
    fn finish(self) {
        self.card.stage.set(Stage::Ready { durations: None });
        self.drop_helpers();
        if let Some(main) = self.main.try_update_value(Option::take).flatten() {
            self.card.exports.adopt(main);
        }
        set_body_data("workerMemory", &self.memory.get_value().to_string());
        self.pool.replenish();
        request_animation_frame(|| mark("dashcard:durations-shown"));
    }
}

/// A channel for each of the [`HEADER_HELPERS`]: the reader's ends, and the helpers'.
fn helper_channels() -> Result<(Vec<MessagePort>, Vec<MessagePort>), Failure> {
    let channels = (0..HEADER_HELPERS)
        .map(|_| MessageChannel::new())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            Failure::new(
                FailureKind::WorkerCrashed,
                "this browser cannot connect two workers",
            )
        })?;
    Ok((
        channels.iter().map(MessageChannel::port1).collect(),
        channels.iter().map(MessageChannel::port2).collect(),
    ))
}

/// The bytes of part `i` of a message.
fn part_bytes(parts: &js_sys::Array, i: u32) -> Vec<u8> {
    parts
        .get(i)
        .dyn_into::<js_sys::Uint8Array>()
        .map(|a| a.to_vec())
        .unwrap_or_default()
}

/// Whether the page is in a tab or window nobody sees.
fn page_hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden())
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A `performance.mark`, so the benchmark (and the browser's profiler) can time each step:
/// `dashcard:open`, `dashcard:listed`, `dashcard:overview-shown`, `dashcard:helpers-started`,
/// `dashcard:helper-from-pool` (a helper was a spare worker), `dashcard:helper-ready` (a helper
/// that was still starting when taken can work), `dashcard:helper` (a helper worker has read
/// its first headers), `dashcard:share-read-N` (worker N, 0 the reader, has read its share of
/// the headers), `dashcard:done`, `dashcard:durations-shown`.
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Forgets the marks of the card before.
pub fn clear_marks() {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        p.clear_marks();
    }
}

/// Sets `data-*` on `<body>` (what the workers measured, for the benchmark).
pub(crate) fn set_body_data(key: &str, value: &str) {
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.dataset().set(key, value);
    }
}
