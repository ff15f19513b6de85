//! Workers for the page's cards, started ahead of time so a chosen card starts reading at
//! once: its reader and its header helpers (see [`crate::reading`]) are already running the
//! page's module. One is started with the page; the other three once it says it is ready, so
//! they do not compete with the page starting (or with a card chosen at once: the reader is
//! then taken before it is ready, and they start after that card is read); four again after
//! each card read to its end. Any further worker is started on demand.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;

use crate::protocol::{Failure, FromWorker};
use crate::reading::{HEADER_HELPERS, set_body_data};
use crate::worker_client::CardWorker;

/// Workers kept started: a card's reader and its header helpers (image or folder). An idle worker costs a few MiB of
/// the browser's memory (its JavaScript engine and its WebAssembly memory's first pages).
pub const SPARES: usize = 1 + HEADER_HELPERS;

/// A started worker, and whether it is healthy (it turns false if the worker failed to start,
/// so it is not handed out).
struct Spare {
    worker: CardWorker,
    ok: Rc<Cell<bool>>,
}

/// The spare workers.
#[derive(Clone, Copy)]
pub struct WorkerPool {
    spares: StoredValue<Vec<Spare>, LocalStorage>,
}

impl WorkerPool {
    /// A pool with a spare worker starting; the others start once it can work.
    pub fn new() -> Self {
        let pool = Self {
            spares: StoredValue::new_local(Vec::new()),
        };
        pool.start_spare(true);
        pool
    }

    /// Starts spare workers up to [`SPARES`] (after a card is read: never while one is).
    pub fn replenish(self) {
        let have = self.spares.try_with_value(Vec::len).unwrap_or(SPARES);
        for _ in have..SPARES {
            self.start_spare(false);
        }
    }

    /// Starts one spare worker; the `first` fills the pool once it can work.
    fn start_spare(self, first: bool) {
        let ok = Rc::new(Cell::new(true));
        let healthy = ok.clone();
        let on_answer = Rc::new(move |answer: FromWorker, _| match answer {
            FromWorker::Failed(_) => healthy.set(false),
            FromWorker::Ready if first => self.replenish(),
            _ => {}
        });
        if let Ok(worker) = CardWorker::spawn(on_answer) {
            self.spares
                .try_update_value(|s| s.push(Spare { worker, ok }));
            self.count();
        }
    }

    /// Says how many spare workers there are on `<body data-spare-workers>` (for the tests).
    fn count(self) {
        let n = self.spares.try_with_value(Vec::len).unwrap_or(0);
        set_body_data("spareWorkers", &n.to_string());
    }

    /// A healthy spare worker, if there is one; it answers `handler` from now on.
    pub fn take_spare(self, handler: crate::worker_client::Handler) -> Option<CardWorker> {
        loop {
            // The oldest first: the most likely to be ready.
            let spare = self
                .spares
                .try_update_value(|s| (!s.is_empty()).then(|| s.remove(0)))
                .flatten()?;
            self.count();
            if spare.ok.get() {
                spare.worker.hand_to(handler);
                return Some(spare.worker);
            }
            defer_drop(spare.worker);
        }
    }

    /// A healthy spare worker, else a new one; it answers `handler` from now on.
    pub fn take(self, handler: crate::worker_client::Handler) -> Result<CardWorker, Failure> {
        match self.take_spare(handler.clone()) {
            Some(worker) => Ok(worker),
            None => CardWorker::spawn(handler),
        }
    }
}

impl Default for WorkerPool {
    fn default() -> Self {
        Self::new()
    }
}

/// Drops `value` once the current event has been handled: a worker's handler may be what asks
/// for its own worker to go, and must not be freed while it runs.
pub fn defer_drop<T: 'static>(value: T) {
    set_timeout(move || drop(value), std::time::Duration::ZERO);
}
