//! Parking incidents: when, how long, which pool keeps them, the drive they followed, and how
//! soon each will be overwritten.

use std::sync::Arc;

use dashcard::catalog::classify::Pool;
use dashcard::report::Report;
use leptos::prelude::*;

use crate::format;
use crate::player::FileActions;
use crate::risk::{Risk, RiskBadge};
use crate::session::Session;

/// The parking incidents table.
#[component]
pub fn ParkingView(report: Arc<Report>, session: Session) -> impl IntoView {
    if report.parking.is_empty() {
        return view! { <p class="empty">"No parking incidents on this card."</p> }.into_any();
    }
    let filter = RwSignal::new(String::from("all"));
    let newest_first = RwSignal::new(false);
    // The oldest loop-pool incident is the next to go only if nothing older is in the loop.
    let oldest_loop_bytes = report
        .estimate
        .as_ref()
        .and_then(|e| e.oldest.as_ref())
        .map(|o| o.overwrite_after_bytes);
    // Each incident's file, looked up once (a large card has thousands of incidents and tens
    // of thousands of files).
    let file_of: std::collections::HashMap<String, usize> = report
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == dashcard::catalog::classify::FileKind::Parking && !f.deleted)
        .map(|(i, f)| (f.path.clone(), i))
        .collect();
    let rows = move || {
        let want = filter.get();
        let mut list: Vec<_> = report
            .parking
            .iter()
            .filter(|p| match want.as_str() {
                "loop" => p.pool == Pool::Loop,
                "sos" => p.pool == Pool::Sos,
                _ => true,
            })
            .cloned()
            .collect();
        if newest_first.get() {
            list.reverse();
        }
        list.into_iter()
            .map(|p| {
                let risk = match p.pool {
                    Pool::Sos => Risk::of_sos(p.overwrite_after_events),
                    Pool::Loop => Risk::of_loop(
                        p.overwrite_after_bytes.is_some() && p.overwrite_after_bytes == oldest_loop_bytes,
                        p.overwrite_after_days,
                        p.overwrite_after_hours,
                    ),
                };
                let fate = match (p.pool, p.overwrite_after_events, p.overwrite_after_hours) {
                    (Pool::Sos, Some(n), _) => format!("deleted after {n} more parking event(s)"),
                    (Pool::Sos, None, _) => "the sos folder's limit is not known yet".to_string(),
                    (Pool::Loop, _, Some(h)) => format!(
                        "overwritten after about {} of driving",
                        dashcard::estimate::format_hours(h)
                    ),
                    _ => String::new(),
                };
                let after = p
                    .after_drive
                    .and_then(|i| report.drives.get(i))
                    .map(|d| format!("after the drive of {}", format::when(d.start)))
                    .unwrap_or_else(|| "—".to_string());
                view! {
                    <tr>
                        <td>{p.start.map(format::full).unwrap_or_else(|| "unknown".into())}</td>
                        <td>{p.duration_s.map(format::duration)}</td>
                        <td>{if p.pool == Pool::Sos { "sos folder" } else { "with drives (loop)" }}</td>
                        <td>{after}</td>
                        <td><RiskBadge risk=risk title=fate.clone() /><span class="fate">{fate}</span></td>
                        <td class="path">{p.path.clone()}</td>
                        <td>{file_of.get(&p.path).map(|&i| view! {
                            <FileActions session=session file=report.files[i].clone() />
                        })}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="parking-view" aria-label="Parking incidents">
            <div class="toolbar">
                <label>"Show "
                    <select on:change=move |ev| filter.set(event_target_value(&ev))>
                        <option value="all">"all incidents"</option>
                        <option value="loop">"with drives (loop)"</option>
                        <option value="sos">"in the sos folder"</option>
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
                <table class="parking">
                    <caption class="visually-hidden">"Parking incidents (camera local time)"</caption>
                    <thead><tr><th>"Time (camera)"</th><th>"Length"</th><th>"Kept in"</th><th>"Followed"</th><th>"Overwrite risk"</th><th>"File"</th><th>"Take out"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}
