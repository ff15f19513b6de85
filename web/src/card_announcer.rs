//! Tells screen-reader users what happened to the card, in a live region that is always on the
//! page (so that changes to it are announced): that it opened, with what it holds, and that
//! the drive times and estimates were updated once the video lengths were read. On opening,
//! focus moves to the card's heading, so keyboard users start from the card.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::card::Stage;
use crate::cards::Cards;

/// What the card's stage means for someone who cannot see the page change.
fn announcement(cards: Cards) -> String {
    let Some(card) = cards.current.get() else {
        return String::new();
    };
    let name = card.name.get_value();
    match card.stage.get() {
        Stage::Opening { .. } => format!("Opening {name}…"),
        Stage::Failed(_) => format!("{name} could not be opened."),
        Stage::Ready { durations } => {
            let holds = card.shown.with(|s| {
                s.as_ref()
                    .map(|s| {
                        let incidents = if s.files_ready {
                            crate::incident_list::summary(&crate::incident_list::incidents(s))
                        } else {
                            format!(
                                "{} incident(s) on the card",
                                s.catalog.parking.len() + s.catalog.events.len()
                            )
                        };
                        format!(": {} drive(s), {incidents}", s.catalog.drives.len())
                    })
                    .unwrap_or_default()
            });
            match durations {
                Some(_) => format!("{name} opened{holds}. Reading video lengths…"),
                None => format!(
                    "{name} opened{holds}. Video lengths read: drive times, the camera model and the estimates are up to date."
                ),
            }
        }
    }
}

/// The live region, and focus to the card's heading when a card becomes readable.
#[component]
pub fn CardAnnouncer() -> impl IntoView {
    let cards = expect_context::<Cards>();
    let ready = Memo::new(move |_| {
        cards
            .current
            .get()
            .is_some_and(|c| matches!(c.stage.get(), Stage::Ready { .. }))
    });
    Effect::new(move |was: Option<bool>| {
        let now = ready.get();
        if now && was != Some(true) {
            request_animation_frame(|| {
                if let Some(h) = document()
                    .query_selector(".card-name")
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = h.focus();
                }
            });
        }
        now
    });
    view! {
        <p class="visually-hidden" role="status" aria-live="polite" data-testid="card-announcer">
            {move || announcement(cards)}
        </p>
    }
}
