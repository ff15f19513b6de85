//! The Dashcard web app: a thin Leptos 0.8 (client-side rendering) shell over the `dashcard`
//! core. Cards are read in workers ([`worker`], started by the `worker` binary) that read image
//! files lazily through `FileReaderSync`; the page ([`App`]) shows what they send.
//!
//! The page holds one card slot ([`cards::Cards`], handed down by context); each open card
//! ([`card::Card`]) lives under its own reactive owner with its bytes ([`card_bytes`]), its
//! reading ([`reading`]), its players and its exports ([`export_queue`]), and goes with it.
//! Components live one per file; `main.rs` only mounts [`App`].
#![forbid(unsafe_code)]

mod app;
pub mod blob_source;
mod card;
mod card_announcer;
mod card_bytes;
mod card_view;
mod cards;
mod drive_gaps;
mod drive_player;
mod drives_view;
mod estimates_view;
mod explainer;
mod export;
mod export_queue;
mod file_actions;
mod files_view;
mod folder_pick;
mod format;
mod incident_list;
mod incidents_view;
mod key_prompt;
mod open_card;
mod open_source;
mod overview;
pub mod panic_panel;
mod player;
mod player_dialog;
mod print_summary;
pub mod protocol;
mod reading;
mod risk;
mod telemetry_view;
mod thumb;
pub mod worker;
mod worker_client;
mod worker_pool;
mod zip_export;

pub use app::App;
pub use explainer::Explainer;
pub use open_card::OpenCard;
