//! The page's card: opening one replaces the one before, closing empties the place. Each card
//! lives under a reactive owner of its own, dropped with it, so nothing of an old card lingers
//! and nothing needs resetting.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::card::Card;
use crate::card_bytes::CardBytes;
use dashcard::encryption::Key;

use crate::open_source::OpenSource;
use crate::protocol::{Failure, FailureKind};
use crate::reading::{Reading, clear_marks, mark};
use crate::worker_pool::{WorkerPool, defer_drop};

/// The page's card, handed down by context.
#[derive(Clone, Copy)]
pub struct Cards {
    /// The open card, if any.
    pub current: RwSignal<Option<Card>>,
    /// An attempt to open a card that failed before there was one (a folder that could not be
    /// listed, two things dropped at once).
    pub failed: RwSignal<Option<Failure>>,
    /// Whether the print summary is wanted (it is built only then: on a large card it is
    /// thousands of rows).
    pub printing: RwSignal<bool>,
    /// The open card's owner: dropping it disposes the card.
    owner: StoredValue<Option<Owner>>,
    /// The page's owner, under which each card's owner is made.
    root: StoredValue<Owner>,
    pool: WorkerPool,
}

impl Cards {
    /// No card yet; a spare worker starts at once.
    pub fn new() -> Self {
        Self {
            current: RwSignal::new(None),
            failed: RwSignal::new(None),
            printing: RwSignal::new(false),
            owner: StoredValue::new(None),
            root: StoredValue::new(Owner::current().unwrap_or_default()),
            pool: WorkerPool::new(),
        }
    }

    /// Opens a card, replacing the current one.
    pub fn open(self, source: OpenSource) {
        self.open_with_key(source, None);
    }

    /// Reads the open card again with the owner's `key` (its encrypted clips need it). The key
    /// stays in this page's memory, with the card.
    pub fn reopen_with_key(self, key: Key) {
        let Some(card) = self.current.get_untracked() else {
            return;
        };
        let Some(source) = card.source.try_get_value() else {
            return;
        };
        self.open_with_key(source, Some(key));
    }

    fn open_with_key(self, source: OpenSource, key: Option<Key>) {
        clear_marks();
        mark("dashcard:open");
        let bytes = match &source {
            OpenSource::Image(file) => CardBytes::Image(file.clone()),
            OpenSource::Folder(folder) if folder.files.is_empty() => {
                return self.fail(Failure::new(
                    FailureKind::FolderUnreadable,
                    format!("the folder “{}” is empty", folder.name),
                ));
            }
            OpenSource::Folder(folder) => {
                CardBytes::Folder(folder.files.iter().cloned().collect::<HashMap<_, _>>())
            }
            OpenSource::Sample(_) => CardBytes::Sample(None),
        };
        let name = source.name();
        self.close();
        let owner = self.root.with_value(|root| root.with(Owner::new));
        let pool = self.pool;
        let card = owner.with(|| {
            let card = Card::new(name, bytes, pool, source.clone(), key.clone());
            Reading::start(card, pool, source, key);
            card
        });
        self.owner.set_value(Some(owner));
        self.current.set(Some(card));
    }

    /// Shows `failure` in place of a card.
    pub fn fail(self, failure: Failure) {
        self.close();
        self.failed.set(Some(failure));
    }

    /// Closes the card (or the failure shown): back to the start. The card's owner — its
    /// workers, signals and exports — goes once the views have let go of it.
    pub fn close(self) {
        if let Some(card) = self.current.get_untracked() {
            card.close_players();
        }
        self.current.set(None);
        self.failed.set(None);
        if let Some(owner) = self.owner.try_update_value(Option::take).flatten() {
            defer_drop(owner);
        }
    }
}

impl Default for Cards {
    fn default() -> Self {
        Self::new()
    }
}
