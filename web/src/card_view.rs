//! The open card: progress while it is read, the error panel when it cannot be, and once it is
//! listed the five views behind keyboard-navigable tabs. The card is handed down by context.

use leptos::prelude::*;

use crate::card::{Card, Stage, Tab};
use crate::cards::Cards;
use crate::drive_player::DrivePlayer;
use crate::drives_view::DrivesView;
use crate::estimates_view::{CardSizeSelect, EstimatesView};
use crate::files_view::FilesView;
use crate::incidents_view::IncidentsView;
use crate::overview::Overview;
use crate::player::Player;
use crate::player_dialog::PlayerDialog;
use crate::print_summary::PrintSummary;
use crate::protocol::{Failure, FailureKind};

const TABS: [(Tab, &str, &str); 5] = [
    (Tab::Overview, "Overview", "tab-overview"),
    (Tab::Drives, "Drives", "tab-drives"),
    (Tab::Incidents, "Incidents", "tab-incidents"),
    (Tab::Files, "Files", "tab-files"),
    (Tab::Estimates, "Estimates", "tab-estimates"),
];

/// A heading and a hint for each kind of failure.
fn explain(kind: &FailureKind) -> (&'static str, &'static str) {
    match kind {
        FailureKind::NotSupported(_) => (
            "This card uses a file system Dashcard does not read",
            "Nexar cameras format their cards as FAT32 or exFAT. If this card came from a Nexar camera, it may have been reformatted on a computer.",
        ),
        FailureKind::WorkerCrashed => (
            "The card reader stopped",
            "Reload the page and try again. If it happens again with this card, the image may be damaged in a way Dashcard does not handle yet.",
        ),
        FailureKind::Permission | FailureKind::FolderUnreadable => (
            "The folder could not be opened",
            "Allow read access when the browser asks, or open a card image instead.",
        ),
        FailureKind::Unreadable => (
            "This card could not be read",
            "Check that the file is an image of a whole card or of its FAT or exFAT volume (.img, .bin, .dd), copied completely. Nothing was changed on the card or the file.",
        ),
    }
}

/// Progress while a card is opened, with a cancel button.
#[component]
fn Opening() -> impl IntoView {
    let card = expect_context::<Card>();
    let cards = expect_context::<Cards>();
    let name = card.name.get_value();
    let step = move || match card.stage.get() {
        Stage::Opening { step, done, total } => {
            let count = match total {
                Some(t) if t > 0 => {
                    format!(" — {done} of {t} ({:.0} %)", done as f64 * 100.0 / t as f64)
                }
                _ if done > 0 => format!(" — {done}"),
                _ => String::new(),
            };
            format!("{step}{count}")
        }
        _ => String::new(),
    };
    view! {
        <section class="panel progress-panel" role="status" aria-live="polite" aria-label="Opening the card">
            <h2>{format!("Opening {name}")}</h2>
            <p class="step">{step}</p>
            <div class="spinner" aria-hidden="true"></div>
            <button type="button" class="button" on:click=move |_| cards.close()>"Cancel"</button>
        </section>
    }
}

/// What went wrong and what to try; the ways in stay usable above it.
#[component]
fn ErrorPanel(failure: Failure) -> impl IntoView {
    let cards = expect_context::<Cards>();
    let (title, hint) = explain(&failure.kind);
    view! {
        <section class="panel error-panel" role="alert" aria-label="The card could not be opened">
            <h2>{title}</h2>
            <p class="reason">{failure.message}</p>
            <p class="hint">{hint}</p>
            <button type="button" class="button" on:click=move |_| cards.close()>"Dismiss"</button>
        </section>
    }
}

/// The tabs and the chosen view.
#[component]
fn CardTabs() -> impl IntoView {
    let card = expect_context::<Card>();
    let cards = expect_context::<Cards>();
    let select = move |tab: Tab| card.tab.set(tab);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let i = TABS
            .iter()
            .position(|t| t.0 == card.tab.get_untracked())
            .unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => (i + 1) % TABS.len(),
            "ArrowLeft" => (i + TABS.len() - 1) % TABS.len(),
            "Home" => 0,
            "End" => TABS.len() - 1,
            _ => return,
        };
        ev.prevent_default();
        select(TABS[next].0);
        if let Some(el) = document().get_element_by_id(TABS[next].2) {
            use wasm_bindgen::JsCast;
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    let durations = move || match card.stage.get() {
        Stage::Ready {
            durations: Some((done, total)),
        } => Some(if total > 0 {
            format!(
                "Reading video lengths: {done} of {total} ({:.0} %)",
                done as f64 * 100.0 / total as f64
            )
        } else {
            "Reading video lengths…".to_string()
        }),
        _ => None,
    };
    let needs_size = move || {
        card.shown.with(|s| {
            s.as_ref()
                .is_some_and(|s| s.listing.volume.capacity_bytes.is_none())
        }) && card.what_if.with(|w| w.capacity_bytes.is_none())
    };
    let view_of = move || {
        let Some(shown) = card.shown.get() else {
            return ().into_any();
        };
        match card.tab.get() {
            Tab::Overview => view! { <Overview shown=shown /> }.into_any(),
            Tab::Drives => view! { <DrivesView shown=shown /> }.into_any(),
            Tab::Incidents => view! { <IncidentsView shown=shown /> }.into_any(),
            Tab::Files => view! { <FilesView shown=shown /> }.into_any(),
            Tab::Estimates => view! { <EstimatesView shown=shown /> }.into_any(),
        }
    };
    let export_json = move |_| {
        if let Some(shown) = card.shown.get_untracked() {
            report_status(card, crate::export::download_report(&shown));
        }
    };
    let export_csv = move |_| {
        if let Some(shown) = card.shown.get_untracked() {
            report_status(card, crate::export::download_recordings(&shown));
        }
    };
    view! {
        <section class="card-view" aria-label="The card">
            <div class="card-header">
                <h2 class="card-name" tabindex="-1">{card.name.get_value()}</h2>
                <p class="local-time">{move || card.shown.with(|s| {
                    let tz = s.as_ref().map(|s| s.catalog.time_zone.clone()).unwrap_or_default();
                    match tz.utc_offset_s {
                        Some(_) => format!("Times are the camera's local time, {} ({}).", tz.label(), tz.source),
                        None if tz.utc_names => "The camera's time zone is unknown: times are UTC.".to_string(),
                        None => "All times are the camera's local time.".to_string(),
                    }
                })}</p>
                <div class="exports">
                    <button type="button" class="button small" on:click=export_json>"Download report (JSON)"</button>
                    <button type="button" class="button small" on:click=export_csv>"Recordings (CSV)"</button>
                    <button type="button" class="button small" on:click=move |_| crate::print_summary::print(cards.printing)>"Print summary"</button>
                </div>
                {move || card.exports.status.get().map(|s| view! {
                    <p class="export-status" role="status" aria-live="polite">{s}</p>
                })}
                {move || durations().map(|text| view! {
                    <p class="durations-progress" role="status" aria-live="polite">{text}
                        <button type="button" class="button subtle" on:click=move |_| cards.close()>"Cancel"</button>
                    </p>
                })}
            </div>
            <Show when=needs_size>
                <div class="panel size-prompt" role="region" aria-label="Card size">
                    <p>"A folder does not tell the card's size. Choose it to see when recordings will be overwritten:"</p>
                    <CardSizeSelect what_if=card.what_if label="Card size" />
                </div>
            </Show>
            <PlayerDialog label="Player" open=Signal::derive(move || card.player.with(Option::is_some))
                on_close=Callback::new(move |()| crate::player::close(card.player))>
                <Player playing=card.player />
            </PlayerDialog>
            <PlayerDialog label="Drive player" open=Signal::derive(move || card.drive_player.with(Option::is_some))
                on_close=Callback::new(move |()| crate::drive_player::close(card.drive_player))>
                <DrivePlayer playing=card.drive_player />
            </PlayerDialog>
            <PrintSummary />
            <div class="tabs" role="tablist" aria-label="Views of the card" on:keydown=on_key>
                {TABS.iter().map(|&(tab, label, id)| view! {
                    <button type="button" role="tab" id=id class="tab"
                        aria-selected=move || (card.tab.get() == tab).to_string()
                        tabindex=move || if card.tab.get() == tab { "0" } else { "-1" }
                        aria-controls="card-panel"
                        on:click=move |_| select(tab)>{label}</button>
                }).collect_view()}
            </div>
            <div id="card-panel" role="tabpanel" class="tab-panel"
                aria-labelledby=move || TABS.iter().find(|t| t.0 == card.tab.get()).map(|t| t.2).unwrap_or("tab-overview")>
                {view_of}
            </div>
        </section>
    }
}

/// A download that could not be made says so where exports report.
fn report_status(card: Card, result: Result<(), String>) {
    if let Err(message) = result {
        card.exports.status.set(Some(message));
    }
}

/// One card: progress, its error, or its views, as its stage says.
#[component]
fn CardPanel(card: Card) -> impl IntoView {
    provide_context(card);
    // Only a change of kind rebuilds the view; progress updates flow into it.
    let kind = Memo::new(move |_| match card.stage.get() {
        Stage::Opening { .. } => 1,
        Stage::Failed(_) => 2,
        Stage::Ready { .. } => 3,
    });
    move || match kind.get() {
        1 => view! { <Opening /> }.into_any(),
        2 => match card.stage.get_untracked() {
            Stage::Failed(failure) => view! { <ErrorPanel failure=failure /> }.into_any(),
            _ => ().into_any(),
        },
        _ => view! { <CardTabs /> }.into_any(),
    }
}

/// The open card, or the failure that stopped one from opening.
#[component]
pub fn CardView() -> impl IntoView {
    let cards = expect_context::<Cards>();
    move || match (cards.current.get(), cards.failed.get()) {
        (Some(card), _) => view! { <CardPanel card=card /> }.into_any(),
        (None, Some(failure)) => view! { <ErrorPanel failure=failure /> }.into_any(),
        (None, None) => ().into_any(),
    }
}
