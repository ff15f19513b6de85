//! Drives, grouped by day: each day is a 24-hour timeline with its drives as bars, then each
//! drive with its length, cameras, size, overwrite risk and, on demand, its segments.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{NaiveDate, Timelike};
use dashcard::catalog::classify::Camera;
use dashcard::catalog::drives::Drive;
use dashcard::report::Report;
use leptos::prelude::*;

use crate::drive_player::DrivePlayback;
use crate::format;
use crate::player::FileActions;
use crate::risk::{Risk, RiskBadge};
use crate::session::Session;

fn cameras(d: &Drive) -> String {
    d.cameras
        .iter()
        .map(|c| match c {
            Camera::Road => "road",
            Camera::Cabin => "cabin",
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

fn risk_of(index: usize, d: &Drive) -> Risk {
    Risk::of_loop(
        index == 0 && d.overwrite_after_bytes.is_some(),
        d.overwrite_after_days,
        d.overwrite_after_hours,
    )
}

fn minutes(t: chrono::NaiveDateTime) -> f64 {
    f64::from(t.hour() * 60 + t.minute()) + f64::from(t.second()) / 60.0
}

/// One day's 24-hour timeline.
#[component]
fn DayTimeline(report: Arc<Report>, drives: Vec<usize>) -> impl IntoView {
    let bars = drives
        .into_iter()
        .map(|i| {
            let d = &report.drives[i];
            let start = minutes(d.start);
            let span = if d.end.date() > d.start.date() {
                1440.0 - start
            } else {
                (minutes(d.end) - start).max(0.0)
            };
            let risk = risk_of(i, d);
            let class = match risk {
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

/// One drive, with its segments on demand.
#[component]
fn DriveRow(report: Arc<Report>, index: usize, session: Session) -> impl IntoView {
    let d = report.drives[index].clone();
    let open = RwSignal::new(false);
    let risk = risk_of(index, &d);
    let when = d
        .overwrite_after_hours
        .map(|h| {
            format!(
                "overwritten after about {} of driving",
                dashcard::estimate::format_hours(h)
            )
        })
        .unwrap_or_default();
    let zip_name = format!("drive-{}.zip", d.start.format("%Y-%m-%d_%H%M"));
    let files_of_drive = {
        let report = report.clone();
        move || {
            report
                .files
                .iter()
                .filter(|f| f.drive == Some(index))
                .cloned()
                .collect::<Vec<_>>()
        }
    };
    let segments = move || {
        let save_drive = {
            let zip_name = zip_name.clone();
            let files_of_drive = files_of_drive.clone();
            move |_| session.export(files_of_drive(), Some(zip_name.clone()))
        };
        let play_drive = {
            let report = report.clone();
            move |_| {
                if let Some(old) = session.drive_playing.get_untracked() {
                    old.release();
                }
                session
                    .drive_playing
                    .set(DrivePlayback::new(session, &report, index));
                crate::scroll_to_top();
            }
        };
        let rows = report
            .files
            .iter()
            .filter(|f| f.drive == Some(index))
            .map(|f| {
                view! {
                    <tr>
                        <td>{f.start.map(format::full)}</td>
                        <td>{f.camera.map(|c| if c == Camera::Road { "road" } else { "cabin" })}</td>
                        <td>{f.duration_s.map(format::duration)}</td>
                        <td>{format::bytes(f.bytes)}</td>
                        <td class="path">{f.path.clone()}</td>
                        <td><FileActions session=session file=f.clone() /></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="drive-actions">
                <button type="button" class="button small" on:click=play_drive>"Play this drive"</button>
                <button type="button" class="button small" on:click=save_drive>"Save this drive (zip)"</button>
            </div>
            <table class="segments">
                <thead><tr><th>"Start"</th><th>"Camera"</th><th>"Length"</th><th>"Size"</th><th>"File"</th><th>"Take out"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    };
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
                    <span class="drive-time">{format!("{}–{}", format::clock(d.start), format::clock(d.end))}</span>
                    <span class="drive-length">{format::duration(d.duration_s)}</span>
                    <span class="drive-cameras">{cameras(&d)}</span>
                    <span class="drive-size">{format::bytes(d.bytes)}</span>
                    <span class="drive-segments">{format!("{} segments", d.segments)}</span>
                    <RiskBadge risk=risk title=when />
                    {d.partly_overwritten.then(|| view! {
                        <span class="badge partly" title=d.overwritten_evidence.clone().unwrap_or_default()>"partly overwritten"</span>
                    })}
                </summary>
                <Show when=move || open.get()>{segments.clone()}</Show>
            </details>
        </li>
    }
}

/// Days shown at first and added by "Show more days": a 256 GB card holds months of drives,
/// and building them all at once would hold up the page.
const DAYS_PER_PAGE: usize = 14;

/// All drives, by day, oldest or newest first.
#[component]
pub fn DrivesView(report: Arc<Report>, session: Session) -> impl IntoView {
    let newest_first = RwSignal::new(false);
    let shown_days = RwSignal::new(DAYS_PER_PAGE);
    let mut days: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for (i, d) in report.drives.iter().enumerate() {
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
                    .map(|&i| view! { <DriveRow report=report.clone() index=i session=session /> })
                    .collect_view();
                view! {
                    <section class="day" aria-label=heading.clone()>
                        <h3>{heading.clone()}</h3>
                        <DayTimeline report=report.clone() drives=drives.clone() />
                        <ul class="drives">{rows}</ul>
                    </section>
                }
            })
            .collect_view()
    };
    view! {
        <section class="drives-view" aria-label="Drives">
            <div class="toolbar">
                <p class="note">"Times are camera local time. Open a drive to see its segments."</p>
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
