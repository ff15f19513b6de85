//! The Dashcard web app: a thin Leptos 0.8 (client-side rendering) shell over the `dashcard`
//! core. Components live one per file; `main.rs` only mounts [`App`].
#![forbid(unsafe_code)]

mod app;
mod explainer;
mod open_card;
pub mod panic_panel;

pub use app::App;
pub use explainer::Explainer;
pub use open_card::OpenCard;
