//! Reading one card: the worker that reads it (and, on an image with many clips, a helper that
//! reads half of its video headers, talking to the first over a `MessageChannel`), and the
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
use crate::open_source::{OpenSource, fetch_bytes, sample_clip_url};
use crate::protocol::{CardHead, Failure, FailureKind, FilesPart, FromWorker, Sample, parse_part};
use crate::worker_client::{CardWorker, Handler};
use crate::worker_pool::{WorkerPool, defer_drop};

/// How long one step of putting the card together may run before it lets the browser paint
/// and handle input (a "long task" is 50 ms).
const TASK_BUDGET_MS: f64 = 15.0;

/// The reading of one card. Made under the card's owner: it goes with the card.
#[derive(Clone, Copy)]
pub struct Reading {
    card: Card,
    pool: WorkerPool,
    main: StoredValue<Option<CardWorker>, LocalStorage>,
    helper: StoredValue<Option<CardWorker>, LocalStorage>,
    /// The image and the channel's end for a helper, until one is wanted.
    for_helper: StoredValue<Option<(File, MessagePort)>, LocalStorage>,
    /// The owner's key, for the helper.
    key: StoredValue<Option<Key>>,
    /// Messages carrying the card (complete or not, and their parts), oldest first.
    inbox: StoredValue<VecDeque<(bool, js_sys::Array)>, LocalStorage>,
    /// Whether a task is working through the inbox.
    draining: StoredValue<bool>,
    /// (done, total) of each worker's share of the header reads.
    shares: StoredValue<[(u64, u64); 2]>,
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
            helper: StoredValue::new_local(None),
            for_helper: StoredValue::new_local(None),
            key: StoredValue::new(key.clone()),
            inbox: StoredValue::new_local(VecDeque::new()),
            draining: StoredValue::new(false),
            shares: StoredValue::new([(0, 0); 2]),
            memory: StoredValue::new(0),
        };
        let worker = match pool.take(reading.handler(0)) {
            Ok(w) => w,
            Err(failure) => return reading.fail(failure),
        };
        let sent = match source {
            OpenSource::Image(file) => MessageChannel::new()
                .map_err(|_| {
                    Failure::new(
                        FailureKind::WorkerCrashed,
                        "this browser cannot connect two workers",
                    )
                })
                .and_then(|channel| {
                    let sent = worker.open_image(&file, &channel.port1(), key);
                    reading.for_helper.set_value(Some((file, channel.port2())));
                    sent
                }),
            OpenSource::Folder(folder) => worker.open_folder(&folder.name, &folder.files, key),
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

    /// Answers from worker `share` (0: the reader, 1: its helper).
    fn handler(self, share: usize) -> Handler {
        Rc::new(move |answer, parts| self.answer(share, answer, parts))
    }

    fn answer(self, share: usize, answer: FromWorker, parts: Option<js_sys::Array>) {
        match answer {
            FromWorker::Progress { phase, done, total } => self.progress(share, phase, done, total),
            FromWorker::Card {
                complete,
                wants_helper,
                memory_bytes,
            } => {
                mark(if complete {
                    "dashcard:done"
                } else {
                    "dashcard:listed"
                });
                self.memory.update_value(|m| *m = (*m).max(memory_bytes));
                if wants_helper {
                    self.start_helper();
                }
                self.receive(complete, parts.unwrap_or_default());
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
            FromWorker::HelperDone { memory_bytes } => {
                self.memory.update_value(|m| *m = (*m).max(memory_bytes));
            }
            FromWorker::Failed(failure) => self.fail(failure),
            FromWorker::Ready
            | FromWorker::Digests
            | FromWorker::DigestFailed { .. }
            | FromWorker::Decrypted
            | FromWorker::DecryptFailed { .. }
            | FromWorker::Clipped { .. }
            | FromWorker::ClipFailed { .. } => {}
        }
    }

    /// A helper for the other half of the headers, on the channel's other end.
    fn start_helper(self) {
        let Some((file, port)) = self.for_helper.try_update_value(Option::take).flatten() else {
            return;
        };
        mark("dashcard:helper");
        let sent = self.pool.take(self.handler(1)).and_then(|helper| {
            let sent = helper.help_with_headers(&file, &port, self.key.get_value());
            self.helper.set_value(Some(helper));
            sent
        });
        if let Err(failure) = sent {
            self.fail(failure);
        }
    }

    /// Progress of one share: the step while opening, the sum of both shares' header reads once
    /// the card shows.
    fn progress(self, share: usize, phase: String, done: u64, total: Option<u64>) {
        let stage = self.card.stage;
        if matches!(stage.get_untracked(), Stage::Ready { .. }) {
            self.shares
                .update_value(|s| s[share.min(1)] = (done, total.unwrap_or(done)));
            let [(a, b), (c, d)] = self.shares.get_value();
            stage.set(Stage::Ready {
                durations: Some((a + c, b + d)),
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
        for slot in [self.main, self.helper] {
            if let Some(worker) = slot.try_update_value(Option::take).flatten() {
                defer_drop(worker);
            }
        }
        self.card.fail(failure);
    }

    /// Queues a card message; a task works through them in order.
    fn receive(self, complete: bool, parts: js_sys::Array) {
        self.inbox.update_value(|q| q.push_back((complete, parts)));
        if self.draining.get_value() {
            return;
        }
        self.draining.set_value(true);
        spawn_local(async move {
            loop {
                let next = self.inbox.try_update_value(VecDeque::pop_front).flatten();
                let Some((complete, parts)) = next else { break };
                if self.show(complete, parts).await.is_none() {
                    return;
                }
            }
            let _ = self.draining.try_set_value(false);
        });
    }

    /// Shows one card message: its head at once when nothing is shown yet (the overview needs
    /// no more), then the card with its files. `None` when the card is gone meanwhile.
    async fn show(self, complete: bool, parts: js_sys::Array) -> Option<()> {
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
                // Effects and the DOM update run before the next animation frame.
                request_animation_frame(|| mark("dashcard:overview-shown"));
            }
            // The overview gets its task to itself; the files follow in tasks of their own.
            gloo_timers::future::TimeoutFuture::new(0).await;
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

    /// Everything is read: the helper goes, the reader stays to digest exports, and a spare
    /// worker is started for the next card.
    fn finish(self) {
        self.card.stage.set(Stage::Ready { durations: None });
        if let Some(helper) = self.helper.try_update_value(Option::take).flatten() {
            defer_drop(helper);
        }
        if let Some(main) = self.main.try_update_value(Option::take).flatten() {
            self.card.exports.adopt(main);
        }
        set_body_data("workerMemory", &self.memory.get_value().to_string());
        self.pool.replenish();
        request_animation_frame(|| mark("dashcard:durations-shown"));
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

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// A `performance.mark`, so the benchmark (and the browser's profiler) can time each step:
/// `dashcard:open`, `dashcard:listed`, `dashcard:overview-shown`, `dashcard:helper` (a second
/// worker reads half of the headers), `dashcard:done`, `dashcard:durations-shown`.
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
