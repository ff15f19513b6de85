//! One open card: everything the page knows and does about it, created when it is opened and
//! dropped with it. Every signal here is made under the card's own reactive owner (see
//! [`crate::cards::Cards`]), so closing or replacing the card disposes all of it — its
//! workers, players, exports and what-if inputs — by construction, with nothing to reset.

use std::sync::Arc;

use dashcard::catalog::{Catalog, CatalogFile};
use dashcard::encryption::Key;
use dashcard::estimate::{Estimate, Overwrite, WhatIf};
use dashcard::listing::{ListedFile, Listing};
use dashcard::telemetry::CardTelemetry;
use leptos::prelude::*;

use crate::card_bytes::CardBytes;
use crate::drive_player::DriveSlot;
use crate::export_queue::{ExportQueue, Takeout};
use crate::open_source::OpenSource;
use crate::player::PlayerSlot;
use crate::protocol::Failure;
use crate::worker_pool::WorkerPool;

/// Where reading a card stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    /// Reading, before the first view can show.
    Opening {
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
    Failed(Failure),
}

/// The views of an open card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// The card at a glance.
    Overview,
    /// Drives by day.
    Drives,
    /// Parking incidents and SOS events.
    Incidents,
    /// Every file.
    Files,
    /// Inputs and what-if.
    Estimates,
}

/// What the worker sent: the card as read, its catalog, and the estimate without what-if
/// inputs. Before the file list arrives, the per-file parts are empty.
#[derive(Clone)]
pub struct CardData {
    /// The card as read.
    pub listing: Arc<Listing>,
    /// What the catalog makes of it.
    pub catalog: Arc<Catalog>,
    /// The estimate from what the card measures.
    pub measured: Arc<Estimate>,
    /// Whether the files (and their catalog entries and fates) are here.
    pub files_ready: bool,
}

/// What the views show: the card with the estimate for the current what-if inputs. Compared
/// by identity — a card holds tens of thousands of files, never compared field by field.
#[derive(Clone)]
pub struct Shown {
    /// The card as read.
    pub listing: Arc<Listing>,
    /// What the catalog makes of it.
    pub catalog: Arc<Catalog>,
    /// When things will be overwritten, with the what-if inputs applied.
    pub estimate: Arc<Estimate>,
    /// Whether the files are here yet.
    pub files_ready: bool,
    /// GPS tracks, speeds and impacts from the sidecar logs (empty until they are read).
    pub telemetry: Arc<CardTelemetry>,
}

impl PartialEq for Shown {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.listing, &other.listing)
            && Arc::ptr_eq(&self.catalog, &other.catalog)
            && Arc::ptr_eq(&self.estimate, &other.estimate)
            && self.files_ready == other.files_ready
            && Arc::ptr_eq(&self.telemetry, &other.telemetry)
    }
}

impl Shown {
    /// File `i` as listed, as catalogued, and its fate.
    pub fn file(&self, i: usize) -> Option<(&ListedFile, &CatalogFile, Overwrite)> {
        Some((
            self.listing.files.get(i)?,
            self.catalog.files.get(i)?,
            self.estimate.files.get(i).copied().unwrap_or_default(),
        ))
    }

    /// File `i` to take out, with the time its archive entry carries (last written, else
    /// started), and whether its plaintext is what goes out (the camera encrypted it and a
    /// key opened it).
    pub fn takeout(&self, i: usize) -> Option<Takeout> {
        let (file, catalogued, _) = self.file(i)?;
        Some(Takeout {
            file: file.clone(),
            time: file.modified.or(catalogued.start),
            decrypt: matches!(
                catalogued.encrypted,
                Some(dashcard::catalog::encryption::Encrypted::OpenedWith(_))
            ),
        })
    }
}

/// An open card. `Copy`: a handle every component can hold (it is handed down by context).
#[derive(Clone, Copy)]
pub struct Card {
    /// What was opened, as it is called.
    pub name: StoredValue<String>,
    /// Where its bytes are.
    pub bytes: StoredValue<CardBytes, LocalStorage>,
    /// What it was opened from (read again with a key).
    pub source: StoredValue<OpenSource, LocalStorage>,
    /// The owner's camera key, when given: in this page's memory only, for this card.
    pub key: StoredValue<Option<Key>>,
    /// Where reading it stands.
    pub stage: RwSignal<Stage>,
    /// What the worker sent.
    pub data: RwSignal<Option<CardData>>,
    /// The user's what-if inputs.
    pub what_if: RwSignal<WhatIf>,
    /// The sidecar logs' telemetry, once the worker has read them.
    pub telemetry: RwSignal<Arc<CardTelemetry>>,
    /// What every view shows.
    pub shown: Memo<Option<Shown>>,
    /// Which view is shown.
    pub tab: RwSignal<Tab>,
    /// The recording in the player.
    pub player: PlayerSlot,
    /// The drive in the drive player.
    pub drive_player: DriveSlot,
    /// Files taken out, and the ones being taken out.
    pub exports: ExportQueue,
}

impl Card {
    /// A card being opened (from `source`, with the owner's `key` if given); call under the
    /// card's own owner.
    pub fn new(
        name: String,
        bytes: CardBytes,
        pool: WorkerPool,
        source: OpenSource,
        key: Option<Key>,
    ) -> Self {
        let data = RwSignal::new(None::<CardData>);
        let what_if = RwSignal::new(WhatIf::default());
        let telemetry = RwSignal::new(Arc::new(CardTelemetry::default()));
        let shown = Memo::new(move |_| {
            let data = data.get()?;
            let what_if = what_if.get();
            let estimate = if data.files_ready && what_if != WhatIf::default() {
                Arc::new(dashcard::estimate::build(
                    &data.listing,
                    &data.catalog,
                    &what_if,
                ))
            } else {
                data.measured.clone()
            };
            Some(Shown {
                listing: data.listing,
                catalog: data.catalog,
                estimate,
                files_ready: data.files_ready,
                telemetry: telemetry.get(),
            })
        });
        let bytes = StoredValue::new_local(bytes);
        let key = StoredValue::new(key);
        Self {
            name: StoredValue::new(name),
            bytes,
            source: StoredValue::new_local(source),
            key,
            stage: RwSignal::new(Stage::Opening {
                step: "Starting the card reader".to_string(),
                done: 0,
                total: None,
            }),
            data,
            what_if,
            telemetry,
            shown,
            tab: RwSignal::new(Tab::Overview),
            player: RwSignal::new_local(None),
            drive_player: RwSignal::new_local(None),
            exports: ExportQueue::new(pool, bytes, key),
        }
    }

    /// Ends in `failure`: the views give way to the error panel, players are emptied.
    pub fn fail(self, failure: Failure) {
        self.close_players();
        self.data.set(None);
        self.stage.set(Stage::Failed(failure));
    }

    /// Empties both players and frees their object URLs (the one thing a closed card would
    /// otherwise leave behind: blobs the browser keeps while their URLs live).
    pub fn close_players(self) {
        crate::player::close(self.player);
        crate::drive_player::close(self.drive_player);
    }
}
