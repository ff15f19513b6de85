//! Drives, grouped by day: each day is a 24-hour timeline with its drives as bars, then each
//! drive with its length, cameras, size, overwrite risk and, on demand, its segments.

use std::collections::BTreeMap;

use chrono::{NaiveDate, Timelike};
use dashcard::catalog::classify::Camera;
use dashcard::catalog::drives::Drive;
use dashcard::estimate::DriveFate;
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::drive_player::DrivePlayback;
use crate::file_actions::FileActions;
use crate::format;
use crate::risk::{Risk, RiskBadge};
use crate::thumb::Thumb;

fn cameras(d: &Drive) -> String {
    d.cameras
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Drive `index`'s fate in `shown`.
fn fate(shown: &Shown, index: usize) -> DriveFate {
    shown
        .estimate
        .drives
        .get(index)
        .cloned()
        .unwrap_or_default()
}

fn minutes(t: chrono::NaiveDateTime) -> f64 {
    f64::from(t.hour() * 60 + t.minute()) + f64::from(t.second()) / 60.0
}

/// One day's 24-hour timeline.
#[component]
fn DayTimeline(shown: Shown, drives: Vec<usize>) -> impl IntoView {
    let bars = drives
        .into_iter()
        .filter_map(|i| Some((i, shown.catalog.drives.get(i)?)))
        .map(|(i, d)| {
            let start = minutes(d.start);
            let span = if d.end.date() > d.start.date() {
                1440.0 - start
            } else {
                (minutes(d.end) - start).max(0.0)
            };
            let class = match Risk::of(fate(&shown, i).overwrite, i == 0) {
                Risk::NextToGo => "drive-bar next",
                Risk::Soon => "drive-bar at-risk",
                _ => "drive-bar",
            };
            let label = format!(
                "{}–{}, {}",
                format::clock(d.start),
                format::clock(d.end),
                format::duration(d.duration_s)
            );
            view! {
                <span class=class style:left=format!("{:.3}%", start / 14.4)
                    style:width=format!("max(3px, {:.3}%)", span / 14.4) title=label></span>
            }
        })
        .collect_view();
    view! {
        <div class="timeline" role="img" aria-label="Drives on a 24-hour timeline">
            <div class="timeline-track">{bars}</div>
            <div class="timeline-scale" aria-hidden="true">
                <span>"00"</span><span>"06"</span><span>"12"</span><span>"18"</span><span>"24"</span>
            </div>
        </div>
    }
}

/// A drive's segments, and the drive's own actions: play it, save it as a zip.
#[component]
fn Segments(shown: Shown, index: usize) -> impl IntoView {
    let card = expect_context::<Card>();
    let Some(drive) = shown.catalog.drives.get(index) else {
        return ().into_any();
    };
    let zip_name = format!("drive-{}.zip", drive.start.format("%Y-%m-%d_%H%M"));
    let files = drive.files.clone();
    let save_drive = {
        let shown = shown.clone();
        move |_| {
            let takeouts = files.iter().filter_map(|&i| shown.takeout(i)).collect();
            card.exports.export(takeouts, Some(zip_name.clone()));
        }
    };
    let play_drive = {
        let shown = shown.clone();
        move |_| {
            crate::drive_player::close(card.drive_player);
            let playback = card.bytes.with_value(|bytes| {
                DrivePlayback::new(
                    bytes,
                    &shown.listing,
                    &shown.catalog,
                    &shown.telemetry,
                    index,
                )
            });
            card.drive_player.set(playback);
        }
    };
    let rows = drive
        .files
        .iter()
        .filter_map(|&i| {
            let (l, f, _) = shown.file(i)?;
            Some(view! {
                <tr>
                    <td><Thumb shown=shown.clone() index=i /></td>
                    <td>{f.start.map(|t| format::in_zone(&shown.catalog.time_zone, format::full(t)))}</td>
                    <td>{f.camera.map(Camera::name)}</td>
                    <td>{f.duration_s.map(format::duration)}</td>
                    <td>{format::bytes(l.bytes)}</td>
                    <td class="path">{l.path.clone()}</td>
                    <td><FileActions shown=shown.clone() index=i /></td>
                </tr>
            })
        })
        .collect_view();
    view! {
        <div class="drive-actions">
            <button type="button" class="button small" on:click=play_drive>"Play this drive"</button>
            <button type="button" class="button small" on:click=save_drive>"Save this drive (zip)"</button>
        </div>
        <table class="segments">
            <thead><tr><th><span class="visually-hidden">"Thumbnail"</span></th><th>"Start"</th><th>"Camera"</th><th>"Length"</th><th>"Size"</th><th>"File"</th><th>"Take out"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// One drive, with its segments on demand.
#[component]
fn DriveRow(shown: Shown, index: usize) -> impl IntoView {
    let Some(d) = shown.catalog.drives.get(index).cloned() else {
        return ().into_any();
    };
    let fate = fate(&shown, index);
    let tz = shown.catalog.time_zone.clone();
    let open = RwSignal::new(false);
    let risk = Risk::of(fate.overwrite, index == 0);
    let segments = move || view! { <Segments shown=shown.clone() index=index /> };
    view! {
        <li class="drive">
            <details on:toggle=move |ev| {
                use wasm_bindgen::JsCast;
                let opened = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::HtmlDetailsElement>().ok())
                    .is_some_and(|d| d.open());
                open.set(opened);
            }>
                <summary>
                    <span class="drive-time">{format::in_zone(&tz, format!("{}–{}", format::clock(d.start), format::clock(d.end)))}</span>
                    <span class="drive-length">{format::duration(d.duration_s)}</span>
                    <span class="drive-cameras">{cameras(&d)}</span>
                    <span class="drive-size">{format::bytes(d.bytes)}</span>
                    <span class="drive-segments">{format!("{} segments", d.segments)}</span>
                    <RiskBadge risk=risk title=fate.overwrite.describe() />
                    {fate.partly_overwritten.map(|evidence| view! {
                        <span class="badge partly" title=evidence>"partly overwritten"</span>
                    })}
                </summary>
                <Show when=move || open.get()>{segments.clone()}</Show>
            </details>
        </li>
    }
    .into_any()
}

/// Days shown at first and added by "Show more days": a 256 GB card holds months of drives,
/// and building them all at once would hold up the page.
const DAYS_PER_PAGE: usize = 14;

/// All drives, by day, oldest or newest first.
#[component]
pub fn DrivesView(shown: Shown) -> impl IntoView {
    let newest_first = RwSignal::new(false);
    let shown_days = RwSignal::new(DAYS_PER_PAGE);
    let mut days: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (i, d) in shown.catalog.drives.iter().enumerate() {
        days.entry(d.start.date()).or_default().push(i);
    }
    let days: Vec<(NaiveDate, Vec<usize>)> = days.into_iter().collect();
    if days.is_empty() {
        return view! { <p class="empty">"No drives on this card."</p> }.into_any();
    }
    let day_count = days.len();
    let list = move || {
        let mut ordered = days.clone();
        if newest_first.get() {
            ordered.reverse();
        }
        ordered
            .into_iter()
            .take(shown_days.get())
            .map(|(day, drives)| {
                let heading = day
                    .and_hms_opt(0, 0, 0)
                    .map(format::day)
                    .unwrap_or_default();
                let rows = drives
                    .iter()
                    .map(|&i| view! { <DriveRow shown=shown.clone() index=i /> })
                    .collect_view();
                view! {
                    <section class="day" aria-label=heading.clone()>
                        <h3>{heading.clone()}</h3>
                        <DayTimeline shown=shown.clone() drives=drives.clone() />
                        <ul class="drives">{rows}</ul>
                    </section>
                }
            })
            .collect_view()
    };
    view! {
        <section class="drives-view" aria-label="Drives">
            <div class="toolbar">
                <p class="note">"Open a drive to see its segments."</p>
                <label>"Order "
                    <select on:change=move |ev| {
                        newest_first.set(event_target_value(&ev) == "newest");
                        shown_days.set(DAYS_PER_PAGE);
                    }>
                        <option value="oldest">"oldest first (next to be overwritten)"</option>
                        <option value="newest">"newest first"</option>
                    </select>
                </label>
            </div>
            {list}
            <Show when=move || { shown_days.get() < day_count }>
                <button type="button" class="button" on:click=move |_| shown_days.update(|d| *d += DAYS_PER_PAGE)>
                    {move || format!("Show more days ({} of {day_count} shown)", shown_days.get().min(day_count))}
                </button>
            </Show>
        </section>
    }
    .into_any()
}
