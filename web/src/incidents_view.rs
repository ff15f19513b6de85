//! Incidents: parking incidents (first generation) and SOS events (the newer cameras) in one
//! list, newest first — when, what kind, how long, where the camera keeps it, the drive it
//! followed or happened in, and what became of it: still on the card (and how soon it will be
//! overwritten), deleted but recoverable (with Recover), or overwritten. An SOS event whose window holds an
//! impact (from the motion logs) says so, and plays its drive from that moment.

use dashcard::catalog::classify::Pool;
use dashcard::catalog::timing::DurationSource;
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::file_actions::FileActions;
use crate::format;
use crate::incident_list::{Evidence, incidents, summary};
use crate::risk::{Risk, RiskBadge};
use crate::telemetry_view::{DriveClock, impact_facts};

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

/// The incidents table (cards on a phone).
#[component]
pub fn IncidentsView(shown: Shown) -> impl IntoView {
    if !shown.files_ready {
        return view! { <p class="empty" role="status">"Loading the incidents…"</p> }.into_any();
    }
    let all = incidents(&shown);
    let has_events = all.iter().any(|i| i.event);
    if all.is_empty() {
        return view! { <p class="empty">"No parking incidents or SOS events on this card, live or deleted."</p> }
            .into_any();
    }
    let count = summary(&all);
    let filter = RwSignal::new(String::from("all"));
    // "What just happened" first; the other order is a choice.
    let newest_first = RwSignal::new(true);
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
                "gone" => i.evidence != Evidence::Live,
                _ => true,
            })
            .collect();
        if !newest_first.get() {
            list.reverse();
        }
        list.into_iter()
            .map(|(i, (l, f, fate))| {
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
                let length = f.duration_s.map(|s| match f.duration_source {
                    Some(DurationSource::Typical) => {
                        format!("about {} (usual for this camera)", format::duration(s))
                    }
                    _ => format::duration(s),
                });
                let state = match i.evidence {
                    Evidence::Live => {
                        let first =
                            fate.after_bytes().is_some() && fate.after_bytes() == oldest_loop_bytes;
                        let words = fate.describe();
                        view! { <RiskBadge risk=Risk::of(fate, first) title=words.clone() /><span class="fate">{words}</span> }
                            .into_any()
                    }
                    Evidence::Recoverable => view! {
                        <span class="badge gone-recoverable">"deleted, recoverable"</span>
                        <span class="fate">"The camera deleted it, but its space is not reused yet: recover it now."</span>
                    }
                    .into_any(),
                    Evidence::Lost => view! {
                        <span class="badge gone-lost">"overwritten"</span>
                        <span class="fate">"Deleted, and newer recordings have taken its space: it is lost."</span>
                    }
                    .into_any(),
                };
                let class = match i.evidence {
                    Evidence::Live => "incident live",
                    Evidence::Recoverable => "incident recoverable",
                    Evidence::Lost => "incident lost",
                };
                view! {
                    <tr class=class>
                        <td data-label="Time">{f.start.map(|t| format::in_zone(&tz, format::full(t))).unwrap_or_else(|| "unknown".into())}</td>
                        <td data-label="Kind" class="incident-kind">{if i.event { "SOS event" } else { "parking" }}
                            {i.event_index.and_then(|e| impact_button(card, &shown, e))}</td>
                        <td data-label="Length">{length}</td>
                        <td data-label="Kept in">{kept_in}</td>
                        <td data-label="Drive">{drive.unwrap_or_else(|| "—".to_string())}</td>
                        <td data-label="What became of it">{state}</td>
                        <td data-label="File" class="path">{l.path.clone()}</td>
                        <td data-label="Take out"><FileActions shown=shown.clone() index=i.file /></td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="incidents-view" aria-label="Incidents">
            <p class="incident-count">{count}</p>
            <div class="toolbar">
                <label>"Show "
                    <select on:change=move |ev| filter.set(event_target_value(&ev))>
                        <option value="all">"all incidents"</option>
                        <option value="parking">"parking incidents"</option>
                        <option value="events">"SOS events"</option>
                        <option value="gone">"deleted or overwritten"</option>
                    </select>
                </label>
                <label>"Order "
                    <select on:change=move |ev| newest_first.set(event_target_value(&ev) != "oldest")>
                        <option value="newest">"newest first"</option>
                        <option value="oldest">"oldest first"</option>
                    </select>
                </label>
            </div>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Incidents table">
            <table class="incidents stack">
                <caption class="visually-hidden">"Parking incidents and SOS events, live and deleted"</caption>
                <thead><tr><th>"Time"</th><th>"Kind"</th><th>"Length"</th><th>"Kept in"</th><th>"Drive"</th><th>"What became of it"</th><th>"File"</th><th>"Take out"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
            {has_events.then(|| view! {
                <p class="note sos-time-note">"An SOS event's time is the one in its file name: the camera names an SOS clip after the recording segment under way when it was triggered, so the event itself came at that time or later within that segment. Where the motion log holds an impact, its button gives the exact moment."</p>
            })}
        </section>
    }
    .into_any()
}
