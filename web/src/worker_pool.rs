//! Workers for the page's cards: one is started ahead of time, so a chosen card starts reading
//! at once (its WebAssembly is already compiled); any further one is started on demand.

use std::rc::Rc;

use leptos::prelude::*;

use crate::protocol::{Failure, FromWorker};
use crate::worker_client::CardWorker;

/// The spare worker, and whether it started.
#[derive(Clone, Copy)]
pub struct WorkerPool {
    spare: StoredValue<Option<CardWorker>, LocalStorage>,
    /// Turns false if the spare failed to start, so it is not handed out.
    spare_ok: StoredValue<bool>,
}

impl WorkerPool {
    /// A pool with a spare worker starting.
    pub fn new() -> Self {
        let pool = Self {
            spare: StoredValue::new_local(None),
            spare_ok: StoredValue::new(false),
        };
        pool.replenish();
        pool
    }

    /// Starts a spare worker if there is none (after a card is read: never while one is).
    pub fn replenish(self) {
        if self.spare.with_value(Option::is_some) {
            return;
        }
        let spare_ok = self.spare_ok;
        let on_answer = Rc::new(move |answer: FromWorker, _| {
            if matches!(answer, FromWorker::Failed(_)) {
                spare_ok.set_value(false);
            }
        });
        if let Ok(worker) = CardWorker::spawn(on_answer) {
            self.spare.set_value(Some(worker));
            self.spare_ok.set_value(true);
        }
    }

    /// The spare worker if it is healthy, else a new one; it answers `handler` from now on.
    pub fn take(self, handler: crate::worker_client::Handler) -> Result<CardWorker, Failure> {
        let spare = self.spare.try_update_value(Option::take).flatten();
        match spare {
            Some(worker) if self.spare_ok.get_value() => {
                worker.hand_to(handler);
                Ok(worker)
            }
            Some(failed) => {
                defer_drop(failed);
                CardWorker::spawn(handler)
            }
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
