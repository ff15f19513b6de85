//! An open card: progress while it is read, the error panel when it cannot be, and once it is
//! listed the five views behind keyboard-navigable tabs.

use leptos::prelude::*;

use crate::drive_player::DrivePlayer;
use crate::drives_view::DrivesView;
use crate::estimates_view::{CardSizeSelect, EstimatesView};
use crate::files_view::FilesView;
use crate::overview::Overview;
use crate::parking_view::ParkingView;
use crate::player::Player;
use crate::print_summary::PrintSummary;
use crate::session::{Session, Status, Tab};

const TABS: [(Tab, &str, &str); 5] = [
    (Tab::Overview, "Overview", "tab-overview"),
    (Tab::Drives, "Drives", "tab-drives"),
    (Tab::Parking, "Parking incidents", "tab-parking"),
    (Tab::Files, "Files", "tab-files"),
    (Tab::Estimates, "Estimates", "tab-estimates"),
];

/// Progress while a card is opened, with a cancel button.
#[component]
fn Opening(session: Session) -> impl IntoView {
    let text = move || match session.status.get() {
        Status::Opening {
            name,
            step,
            done,
            total,
        } => {
            let count = match total {
                Some(t) if t > 0 => {
                    format!(" — {done} of {t} ({:.0} %)", done as f64 * 100.0 / t as f64)
                }
                _ if done > 0 => format!(" — {done}"),
                _ => String::new(),
            };
            (name, format!("{step}{count}"))
        }
        _ => (String::new(), String::new()),
    };
    view! {
        <section class="panel progress-panel" role="status" aria-live="polite" aria-label="Opening the card">
            <h2>{move || format!("Opening {}", text().0)}</h2>
            <p class="step">{move || text().1}</p>
            <div class="spinner" aria-hidden="true"></div>
            <button type="button" class="button" on:click=move |_| session.cancel()>"Cancel"</button>
        </section>
    }
}

/// What went wrong and what to try; the ways in stay usable above it.
#[component]
fn ErrorPanel(session: Session) -> impl IntoView {
    let parts = move || match session.status.get() {
        Status::Failed {
            title,
            message,
            hint,
        } => (title, message, hint),
        _ => Default::default(),
    };
    view! {
        <section class="panel error-panel" role="alert" aria-label="The card could not be opened">
            <h2>{move || parts().0}</h2>
            <p class="reason">{move || parts().1}</p>
            <p class="hint">{move || parts().2}</p>
            <button type="button" class="button" on:click=move |_| session.cancel()>"Dismiss"</button>
        </section>
    }
}

/// The tabs and the chosen view.
#[component]
fn CardTabs(session: Session) -> impl IntoView {
    let select = move |tab: Tab| session.tab.set(tab);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let i = TABS
            .iter()
            .position(|t| t.0 == session.tab.get_untracked())
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
    let durations = move || match session.status.get() {
        Status::Ready {
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
        session.report.with(|r| {
            r.as_ref()
                .is_some_and(|r| r.volume.capacity_bytes.is_none())
        }) && session.what_if.with(|w| w.capacity_bytes.is_none())
    };
    let view_of = move || {
        let Some(report) = session.report.get() else {
            return ().into_any();
        };
        match session.tab.get() {
            Tab::Overview => view! { <Overview report=report /> }.into_any(),
            Tab::Drives => view! { <DrivesView report=report session=session /> }.into_any(),
            Tab::Parking => view! { <ParkingView report=report session=session /> }.into_any(),
            Tab::Files => view! { <FilesView report=report session=session /> }.into_any(),
            Tab::Estimates => {
                view! { <EstimatesView report=report what_if=session.what_if /> }.into_any()
            }
        }
    };
    view! {
        <section class="card-view" aria-label="The card">
            <div class="card-header">
                <h2 class="card-name">{move || session.report.with(|r| r.as_ref().map(|r| r.source.name.clone()))}</h2>
                <p class="local-time">"All times are the camera's local time."</p>
                <div class="exports">
                    <button type="button" class="button small" on:click=move |_| export(session, "json")>"Download report (JSON)"</button>
                    <button type="button" class="button small" on:click=move |_| export(session, "csv")>"Recordings (CSV)"</button>
                    <button type="button" class="button small" on:click=move |_| crate::print_summary::print(session)>"Print summary"</button>
                </div>
                {move || session.export_status.get().map(|s| view! {
                    <p class="export-status" role="status" aria-live="polite">{s}</p>
                })}
                {move || durations().map(|text| view! {
                    <p class="durations-progress" role="status" aria-live="polite">{text}
                        <button type="button" class="button subtle" on:click=move |_| session.cancel()>"Cancel"</button>
                    </p>
                })}
            </div>
            <Show when=needs_size>
                <div class="panel size-prompt" role="region" aria-label="Card size">
                    <p>"A folder does not tell the card's size. Choose it to see when recordings will be overwritten:"</p>
                    <CardSizeSelect what_if=session.what_if label="Card size" />
                </div>
            </Show>
            <Player session=session />
            <DrivePlayer session=session />
            <PrintSummary session=session />
            <div class="tabs" role="tablist" aria-label="Views of the card" on:keydown=on_key>
                {TABS.iter().map(|&(tab, label, id)| view! {
                    <button type="button" role="tab" id=id class="tab"
                        aria-selected=move || (session.tab.get() == tab).to_string()
                        tabindex=move || if session.tab.get() == tab { "0" } else { "-1" }
                        aria-controls="card-panel"
                        on:click=move |_| select(tab)>{label}</button>
                }).collect_view()}
            </div>
            <div id="card-panel" role="tabpanel" class="tab-panel"
                aria-labelledby=move || TABS.iter().find(|t| t.0 == session.tab.get()).map(|t| t.2).unwrap_or("tab-overview")>
                {view_of}
            </div>
        </section>
    }
}

/// Downloads the report as JSON (what `dashcard report --json` prints) or the recordings as CSV.
fn export(session: Session, kind: &str) {
    let Some(report) = session.report.get_untracked() else {
        return;
    };
    let result = match kind {
        "json" => crate::export::download_text(
            &crate::export::export_name(&report, "json"),
            "application/json",
            &crate::export::report_json(&report),
        ),
        _ => crate::export::recordings_csv(&report).and_then(|csv| {
            crate::export::download_text(
                &crate::export::export_name(&report, "csv"),
                "text/csv",
                &csv,
            )
        }),
    };
    if let Err(message) = result {
        session.fail(message);
    }
}

/// Whatever the session shows now: progress, an error, or the card.
#[component]
pub fn CardView(session: Session) -> impl IntoView {
    // Only a change of kind rebuilds the view; progress updates flow into it.
    let kind = Memo::new(move |_| match session.status.get() {
        Status::Idle => 0,
        Status::Opening { .. } => 1,
        Status::Failed { .. } => 2,
        Status::Ready { .. } => 3,
    });
    move || match kind.get() {
        1 => view! { <Opening session=session /> }.into_any(),
        2 => view! { <ErrorPanel session=session /> }.into_any(),
        3 => view! { <CardTabs session=session /> }.into_any(),
        _ => ().into_any(),
    }
}
