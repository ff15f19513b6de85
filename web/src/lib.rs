//! The Dashcard web app: a thin Leptos 0.8 (client-side rendering) shell over the `dashcard`
//! core. Cards are read in a worker ([`worker`], started by the `worker` binary) that reads
//! image files lazily through `FileReaderSync`; the page ([`App`]) shows what it reports.
//! Components live one per file; `main.rs` only mounts [`App`].
#![forbid(unsafe_code)]

mod app;
pub mod blob_source;
mod card_view;
pub mod drive_player;
mod drives_view;
mod estimates_view;
mod explainer;
pub mod export;
mod files_view;
pub mod folder_pick;
mod format;
mod open_card;
mod overview;
pub mod panic_panel;
mod parking_view;
pub mod player;
pub mod print_summary;
pub mod protocol;
mod risk;
pub mod session;
pub mod worker;
pub mod worker_client;

pub use app::App;
pub use explainer::Explainer;
pub use open_card::OpenCard;

/// Scrolls the page to its top (where the players are).
pub(crate) fn scroll_to_top() {
    if let Some(w) = web_sys::window() {
        w.scroll_to_with_x_and_y(0.0, 0.0);
    }
}
