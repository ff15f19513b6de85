//! Parking incidents: when, how long, which pool keeps them, the drive they followed, and how
//! soon each will be overwritten.

use dashcard::catalog::classify::Pool;
use leptos::prelude::*;

use crate::card::Shown;
use crate::file_actions::FileActions;
use crate::format;
use crate::risk::{Risk, RiskBadge};

/// The parking incidents table.
#[component]
pub fn ParkingView(shown: Shown) -> impl IntoView {
    if shown.catalog.parking.is_empty() {
        return view! { <p class="empty">"No parking incidents on this card."</p> }.into_any();
    }
    let filter = RwSignal::new(String::from("all"));
    let newest_first = RwSignal::new(false);
    // The oldest loop-pool incident is the next to go only if nothing older is in the loop.
    let oldest_loop_bytes = shown
        .estimate
        .oldest
        .as_ref()
        .map(|o| o.position.after_bytes);
    let rows = move || {
        let want = filter.get();
        let mut list: Vec<_> = shown
            .catalog
            .parking
            .iter()
            .filter_map(|p| Some((p, shown.file(p.file)?)))
            .filter(|(_, (_, f, _))| match want.as_str() {
                "loop" => f.pool != Some(Pool::Sos),
                "sos" => f.pool == Some(Pool::Sos),
                _ => true,
            })
            .collect();
        if newest_first.get() {
            list.reverse();
        }
        list.into_iter()
            .map(|(p, (l, f, fate))| {
                let first = fate.after_bytes().is_some() && fate.after_bytes() == oldest_loop_bytes;
                let risk = Risk::of(fate, first);
                let words = fate.describe();
                let after = p
                    .after_drive
                    .and_then(|i| shown.catalog.drives.get(i))
                    .map(|d| format!("after the drive of {}", format::when(d.start)))
                    .unwrap_or_else(|| "—".to_string());
                view! {
                    <tr>
                        <td>{f.start.map(format::full).unwrap_or_else(|| "unknown".into())}</td>
                        <td>{f.duration_s.map(format::duration)}</td>
                        <td>{if f.pool == Some(Pool::Sos) { "sos folder" } else { "with drives (loop)" }}</td>
                        <td>{after}</td>
                        <td><RiskBadge risk=risk title=words.clone() /><span class="fate">{words}</span></td>
                        <td class="path">{l.path.clone()}</td>
                        <td><FileActions shown=shown.clone() index=p.file /></td>
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
