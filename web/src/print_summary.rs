//! The print-friendly summary: the card, its drives, incidents (parking and SOS events),
//! impacts from the motion logs (time, g, speed, position) and estimates, and every file taken out with its SHA-256, on paper (or PDF) for an insurer or an
//! investigator. Times carry the camera's zone where the card knows it. Hidden on screen; the
//! print stylesheet shows only this.

use dashcard::catalog::classify::Pool;
use leptos::prelude::*;

use crate::card::Card;
use crate::cards::Cards;
use crate::format;
use crate::telemetry_view::{DriveClock, position};

/// Builds the summary and opens the browser's print dialog; the summary goes away after.
pub fn print(printing: RwSignal<bool>) {
    printing.set(true);
    // Two frames: the summary is built and laid out before the dialog takes its snapshot.
    request_animation_frame(move || {
        request_animation_frame(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.print();
            }
        })
    });
}

/// Keeps the summary present while the browser prints, however printing was started (the
/// button, or the browser's own menu).
pub fn follow_print_events(printing: RwSignal<bool>) {
    let _ = window_event_listener_untyped("beforeprint", move |_| printing.set(true));
    let _ = window_event_listener_untyped("afterprint", move |_| printing.set(false));
}

/// The summary, rendered for print (only while printing).
#[component]
pub fn PrintSummary() -> impl IntoView {
    let printing = expect_context::<Cards>().printing;
    let card = expect_context::<Card>();
    move || {
        if !printing.get() {
            return None;
        }
        card.shown.get().map(|shown| {
            let (r, e) = (&shown.listing, &shown.estimate);
            let tz = shown.catalog.time_zone.clone();
            let at = move |t: chrono::NaiveDateTime| format::in_zone(&tz, format::full(t));
            let drives = shown
                .catalog
                .drives
                .iter()
                .zip(&e.drives)
                .map(|(d, fate)| {
                    view! {
                        <tr>
                            <td>{at(d.start)}</td>
                            <td>{at(d.end)}</td>
                            <td>{format::duration(d.duration_s)}</td>
                            <td>{d.segments}</td>
                            <td>{format::bytes(d.bytes)}</td>
                            <td>{if fate.partly_overwritten.is_some() { "partly overwritten" } else { "" }}</td>
                            <td>{fate.overwrite.describe()}</td>
                        </tr>
                    }
                })
                .collect_view();
            let parking = shown
                .catalog
                .parking
                .iter()
                .map(|p| (p.file, "parking"))
                .chain(shown.catalog.events.iter().map(|e| (e.file, "SOS event")))
                .filter_map(|(i, kind)| Some((shown.file(i)?, kind)))
                .map(|((l, f, _), kind)| {
                    view! {
                        <tr>
                            <td>{f.start.map(&at)}</td>
                            <td>{kind}</td>
                            <td>{if f.pool == Some(Pool::Sos) { "sos" } else { "loop" }}</td>
                            <td>{l.path.clone()}</td>
                        </tr>
                    }
                })
                .collect_view();
            // Every drive's impacts, oldest first: the evidence record.
            let impacts: Vec<_> = shown
                .telemetry
                .drives
                .iter()
                .enumerate()
                .filter_map(|(d, t)| Some((DriveClock::of(&shown.catalog, d)?, t)))
                .flat_map(|(clock, t)| t.impacts.iter().map(move |i| (clock, i.clone())))
                .map(|(clock, i)| {
                    view! {
                        <tr data-testid="print-impact">
                            <td>{at(clock.local(i.at_utc))}</td>
                            <td>{format!("{:.2} g", i.peak_g)}</td>
                            <td>{i.speed_kmh.map(format::speed).unwrap_or_else(|| "—".into())}</td>
                            <td>{i.position.map(position).unwrap_or_else(|| "—".into())}</td>
                            <td>{at(clock.start)}</td>
                        </tr>
                    }
                })
                .collect();
            let impacts = (!impacts.is_empty()).then(|| view! {
                <h3>"Impacts (from the camera's motion and GPS logs)"</h3>
                <table><thead><tr><th>"Time"</th><th>"Peak"</th><th>"Speed"</th><th>"Position (lat, lon)"</th><th>"Drive of"</th></tr></thead>
                    <tbody>{impacts}</tbody></table>
            });
            let zone = if shown.catalog.time_zone.utc_names {
                format!("times in the camera's zone, {}", shown.catalog.time_zone.label())
            } else {
                "all times camera local time (no zone)".to_string()
            };
            let camera = shown
                .catalog
                .camera_info
                .as_ref()
                .map(|i| format!(
                    " · serial {} · software {}",
                    i.serial.as_deref().unwrap_or("—"),
                    i.software.as_deref().unwrap_or("—")
                ))
                .unwrap_or_default();
            let exports = move || {
                card.exports
                    .records
                    .get()
                    .into_iter()
                    .map(|x| {
                        view! {
                            <tr>
                                <td>{x.saved_as}</td>
                                <td>{x.path}</td>
                                <td>{x.bytes}</td>
                                <td class="sha">{x.sha256}</td>
                            </tr>
                        }
                    })
                    .collect_view()
            };
            view! {
                <section class="print-summary" aria-hidden="true" data-testid="print-summary">
                    <h2>{format!("Dashcard summary: {}", r.source.name)}</h2>
                    <p>{format!(
                        "{} · {} · camera {}{camera} · {zone}",
                        r.volume.filesystem.clone().unwrap_or_else(|| "folder".into()),
                        r.volume.capacity_bytes.map(format::bytes).unwrap_or_else(|| "size unknown".into()),
                        shown.catalog.family.name
                    )}</p>
                    <p><strong>{e.headline.clone()}</strong></p>
                    <p>{format!(
                        "Recorded per driving hour: {} · driving per day: {} · the card holds: {} · looping: {}",
                        e.bytes_per_driving_hour.map(|b| format::bytes(b as u64)).unwrap_or_else(|| "unknown".into()),
                        e.driving_hours_per_day.map(dashcard::estimate::format_hours).unwrap_or_else(|| "unknown".into()),
                        e.capacity_hours.map(dashcard::estimate::format_hours).unwrap_or_else(|| "unknown".into()),
                        if e.looping { "yes" } else { "no" }
                    )}</p>
                    <h3>"Drives"</h3>
                    <table><thead><tr><th>"Start"</th><th>"End"</th><th>"Length"</th><th>"Segments"</th><th>"Size"</th><th>""</th><th>"Overwritten"</th></tr></thead>
                        <tbody>{drives}</tbody></table>
                    <h3>"Incidents"</h3>
                    <table><thead><tr><th>"Time"</th><th>"Kind"</th><th>"Pool"</th><th>"File"</th></tr></thead>
                        <tbody>{parking}</tbody></table>
                    {impacts}
                    <h3>"Files taken out"</h3>
                    <table><thead><tr><th>"Saved as"</th><th>"Path on the card"</th><th>"Bytes"</th><th>"SHA-256"</th></tr></thead>
                        <tbody>{exports}</tbody></table>
                </section>
            }
        })
    }
}
