//! Incidents: parking incidents (first generation) and SOS events (the newer cameras) in one
//! list — when, what kind, how long, where the camera keeps it, the drive it followed or
//! happened in, and how soon it will be overwritten. An SOS event whose window holds an impact
//! (from the motion logs) says so, and plays its drive from that moment.

use chrono::NaiveDateTime;
use dashcard::catalog::classify::Pool;
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::file_actions::FileActions;
use crate::format;
use crate::risk::{Risk, RiskBadge};
use crate::telemetry_view::{DriveClock, impact_facts};

/// One row: a parking incident or an SOS event.
#[derive(Clone)]
struct Incident {
    file: usize,
    event: bool,
    /// Index in the catalog's events (SOS events).
    event_index: Option<usize>,
    drive: Option<usize>,
    start: Option<NaiveDateTime>,
}

fn incidents(shown: &Shown) -> Vec<Incident> {
    let c = &shown.catalog;
    let start = |i: usize| c.files.get(i).and_then(|f| f.start);
    let mut all: Vec<Incident> = c
        .parking
        .iter()
        .map(|p| Incident {
            file: p.file,
            event: false,
            event_index: None,
            drive: p.after_drive,
            start: start(p.file),
        })
        .chain(c.events.iter().enumerate().map(|(n, e)| Incident {
            file: e.file,
            event: true,
            event_index: Some(n),
            drive: e.after_drive,
            start: start(e.file),
        }))
        .collect();
    all.sort_by_key(|i| (i.start.is_none(), i.start, i.file));
    all
}

/// The impact linked to SOS event `event`, as a button that plays its drive from it.
fn impact_button(card: Card, shown: &Shown, event: usize) -> Option<impl IntoView + use<>> {
    let link = shown.telemetry.event_impact(event)?;
    let impact = shown
        .telemetry
        .drives
        .get(link.drive)?
        .impacts
        .get(link.impact)?;
    let clock = DriveClock::of(&shown.catalog, link.drive)?;
    let at = clock.offset_of(impact.at_utc);
    let when = format::in_zone(
        &shown.catalog.time_zone,
        format::full(clock.local(impact.at_utc)),
    );
    let text = format!("Impact {when} · {}", impact_facts(impact));
    let (shown, drive) = (shown.clone(), link.drive);
    Some(view! {
        <button type="button" class="button small impact-link" data-testid="incident-impact"
            title="Play the drive from the impact"
            on:click=move |_| crate::drive_player::open(card, &shown, drive, at)>
            {text}" ▶"
        </button>
    })
}

/// The incidents table.
#[component]
pub fn IncidentsView(shown: Shown) -> impl IntoView {
    let all = incidents(&shown);
    if all.is_empty() {
        return view! { <p class="empty">"No parking incidents or SOS events on this card."</p> }
            .into_any();
    }
    let filter = RwSignal::new(String::from("all"));
    let newest_first = RwSignal::new(false);
    // The oldest loop-pool incident is the next to go only if nothing older is in the loop.
    let oldest_loop_bytes = shown
        .estimate
        .oldest
        .as_ref()
        .map(|o| o.position.after_bytes);
    let tz = shown.catalog.time_zone.clone();
    let card = expect_context::<Card>();
    let rows = move || {
        let want = filter.get();
        let mut list: Vec<_> = all
            .iter()
            .filter_map(|i| Some((i, shown.file(i.file)?)))
            .filter(|(i, _)| match want.as_str() {
                "parking" => !i.event,
                "events" => i.event,
                _ => true,
            })
            .collect();
        if newest_first.get() {
            list.reverse();
        }
        list.into_iter()
            .map(|(i, (l, f, fate))| {
                let first = fate.after_bytes().is_some() && fate.after_bytes() == oldest_loop_bytes;
                let risk = Risk::of(fate, first);
                let words = fate.describe();
                let drive = i.drive.and_then(|d| shown.catalog.drives.get(d)).map(|d| {
                    let during = i.start.is_some_and(|t| d.start <= t && t <= d.end);
                    let when = format::in_zone(&tz, format::when(d.start));
                    if during {
                        format!("during the drive of {when}")
                    } else {
                        format!("after the drive of {when}")
                    }
                });
                let kept_in = match (i.event, f.pool) {
                    (true, _) => "sos folder (never cleaned)",
                    (false, Some(Pool::Sos)) => "sos folder",
                    _ => "with drives (loop)",
                };
                view! {
                    <tr>
                        <td>{f.start.map(|t| format::in_zone(&tz, format::full(t))).unwrap_or_else(|| "unknown".into())}</td>
                        <td class="incident-kind">{if i.event { "SOS event" } else { "parking" }}
                            {i.event_index.and_then(|e| impact_button(card, &shown, e))}</td>
                        <td>{f.duration_s.map(format::duration)}</td>
                        <td>{kept_in}</td>
                        <td>{drive.unwrap_or_else(|| "—".to_string())}</td>
                        <td><RiskBadge risk=risk title=words.clone() /><span class="fate">{words}</span></td>
                        <td class="path">{l.path.clone()}</td>
                        <td><FileActions shown=shown.clone() index=i.file /></td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="incidents-view" aria-label="Incidents">
            <div class="toolbar">
                <label>"Show "
                    <select on:change=move |ev| filter.set(event_target_value(&ev))>
                        <option value="all">"all incidents"</option>
                        <option value="parking">"parking incidents"</option>
                        <option value="events">"SOS events"</option>
                    </select>
                </label>
                <label>"Order "
                    <select on:change=move |ev| newest_first.set(event_target_value(&ev) == "newest")>
                        <option value="oldest">"oldest first"</option>
                        <option value="newest">"newest first"</option>
                    </select>
                </label>
            </div>
            <div class="table-wrap">
                <table class="incidents">
                    <caption class="visually-hidden">"Parking incidents and SOS events"</caption>
                    <thead><tr><th>"Time"</th><th>"Kind"</th><th>"Length"</th><th>"Kept in"</th><th>"Drive"</th><th>"Overwrite risk"</th><th>"File"</th><th>"Take out"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
