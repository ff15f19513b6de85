//! The estimate's inputs, measured on the card or given by the user, and what-if controls that
//! update every figure on the page at once.

use dashcard::estimate::{Overwrite, WhatIf, format_hours, when_in_words};
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::format;

/// Card sizes offered (decimal bytes, as printed on cards).
pub const CARD_SIZES_GB: &[u64] = &[8, 16, 32, 64, 128, 256, 512, 1000];

fn parse_number(text: &str) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// The card-size choice, for folders (whose size the browser does not tell) and what-ifs.
#[component]
pub fn CardSizeSelect(
    what_if: RwSignal<WhatIf>,
    #[prop(optional)] label: &'static str,
) -> impl IntoView {
    let label = if label.is_empty() { "Card size" } else { label };
    view! {
        <label class="card-size">{label}" "
            <select aria-label=label on:change=move |ev| {
                let gb = event_target_value(&ev).parse::<u64>().ok();
                what_if.update(|w| w.capacity_bytes = gb.map(|g| g * 1_000_000_000));
            }>
                <option value="" selected=move || what_if.with(|w| w.capacity_bytes.is_none())>"as the card says"</option>
                {CARD_SIZES_GB.iter().map(|&gb| {
                    let text = if gb >= 1000 { "1 TB".to_string() } else { format!("{gb} GB") };
                    view! { <option value=gb.to_string()
                        selected=move || what_if.with(|w| w.capacity_bytes == Some(gb * 1_000_000_000))>{text}</option> }
                }).collect_view()}
            </select>
        </label>
    }
}

/// The inputs, the controls and the figures.
#[component]
pub fn EstimatesView(shown: Shown) -> impl IntoView {
    let what_if = expect_context::<Card>().what_if;
    let e = &shown.estimate;
    let i = &e.inputs;
    let bytes_input = |v: Option<u64>| v.map(format::bytes).unwrap_or_else(|| "unknown".into());
    let rows = vec![
        (
            "Card capacity",
            bytes_input(i.capacity_bytes.value),
            i.capacity_bytes.source.clone(),
        ),
        (
            "Free space",
            bytes_input(i.free_bytes.value),
            i.free_bytes.source.clone(),
        ),
        (
            "Held back (reserve)",
            bytes_input(i.reserved_bytes.value),
            i.reserved_bytes.source.clone(),
        ),
        (
            "Cluster size",
            bytes_input(i.cluster_bytes.value),
            i.cluster_bytes.source.clone(),
        ),
        (
            "Recorded per driving hour",
            i.bytes_per_driving_hour
                .value
                .map(|v| format::bytes(v as u64))
                .unwrap_or_else(|| "unknown".into()),
            i.bytes_per_driving_hour.source.clone(),
        ),
        (
            "Driving per day",
            i.driving_hours_per_day
                .value
                .map(format_hours)
                .unwrap_or_else(|| "unknown".into()),
            i.driving_hours_per_day.source.clone(),
        ),
        (
            "Parking clips per day",
            i.parking_bytes_per_day
                .value
                .map(|v| format::bytes(v as u64))
                .unwrap_or_else(|| "unknown".into()),
            i.parking_bytes_per_day.source.clone(),
        ),
    ];
    let figures = {
        let mut f = vec![(
            "Looping",
            if e.looping {
                "yes".to_string()
            } else {
                "not yet".to_string()
            },
            e.looping_evidence.clone(),
        )];
        f.push((
            "The card holds",
            e.capacity_hours
                .map(|h| format!("{} of driving", format_hours(h)))
                .unwrap_or_else(|| "unknown".into()),
            "loop space ÷ what a driving hour records".to_string(),
        ));
        if !e.looping {
            f.push((
                "Full after",
                match (e.hours_until_full, e.days_until_full) {
                    (Some(h), Some(d)) => {
                        format!("{} of driving ({})", format_hours(h), when_in_words(d))
                    }
                    (Some(h), None) => format!("{} of driving", format_hours(h)),
                    _ => "unknown".into(),
                },
                "free space ÷ what a driving hour records".to_string(),
            ));
        }
        if let Some(o) = &e.oldest {
            let path = shown
                .listing
                .files
                .get(o.file)
                .map(|f| f.path.as_str())
                .unwrap_or_default();
            f.push((
                "Oldest footage",
                Overwrite::Loop(o.position).describe(),
                format!("{path} from {}", format::when(o.start)),
            ));
        }
        if let Some(s) = &e.sos {
            f.push((
                "sos folder",
                format!(
                    "{} clip(s), limit {}",
                    s.clips,
                    s.limit_clips
                        .value
                        .map(|l| l.to_string())
                        .unwrap_or_else(|| "unknown".into())
                ),
                s.limit_clips.source.clone(),
            ));
        }
        f
    };
    let has_sos = e.sos.is_some();
    let measured_daily = i.driving_hours_per_day.value;
    view! {
        <section class="estimates-view" aria-label="Estimates">
            <p class="model-plain">"When the card runs out of room, the camera deletes its oldest recordings to make room for new ones (never locked clips, nor what the newer cameras keep in their sos and photo folders). So a recording is overwritten once the free space, plus everything recorded before it, has been filled again. The figures below come from this card."</p>
            <details class="model-details">
                <summary>"The model in detail"</summary>
                <p class="model">{e.model.clone()}</p>
            </details>
            <form class="what-if" on:submit=|ev| ev.prevent_default()>
                <h3>"What if…"</h3>
                <label>"Driving per day (hours) "
                    <input type="number" min="0" max="24" step="0.1" aria-label="Driving per day in hours"
                        placeholder=measured_daily.map(|d| format!("{d:.1} measured")).unwrap_or_default()
                        prop:value=move || what_if.with(|w| w.driving_hours_per_day.map(|d| d.to_string()).unwrap_or_default())
                        on:input=move |ev| {
                            let v = parse_number(&event_target_value(&ev)).filter(|h| *h <= 24.0);
                            what_if.update(|w| w.driving_hours_per_day = v);
                        } />
                </label>
                <CardSizeSelect what_if=what_if />
                <label>"Held back (GB) "
                    <input type="number" min="0" step="0.5" aria-label="Space held back in GB"
                        prop:value=move || what_if.with(|w| w.reserved_bytes.map(|b| (b as f64 / 1e9).to_string()).unwrap_or_default())
                        on:input=move |ev| {
                            let v = parse_number(&event_target_value(&ev)).map(|gb| (gb * 1e9) as u64);
                            what_if.update(|w| w.reserved_bytes = v);
                        } />
                </label>
                {has_sos.then(|| view! {
                    <label>"sos folder limit (clips) "
                        <input type="number" min="1" step="1" aria-label="sos folder limit in clips"
                            prop:value=move || what_if.with(|w| w.sos_limit_clips.map(|n| n.to_string()).unwrap_or_default())
                            on:input=move |ev| {
                                let v = parse_number(&event_target_value(&ev)).map(|n| n as u64).filter(|n| *n > 0);
                                what_if.update(|w| w.sos_limit_clips = v);
                            } />
                    </label>
                })}
                <button type="button" class="button subtle" on:click=move |_| what_if.set(WhatIf::default())>"Use measured values"</button>
            </form>
            <h3>"Figures"</h3>
            <table class="figures">
                <tbody>{figures.into_iter().map(|(name, value, why)| view! {
                    <tr><th scope="row">{name}</th><td class="value">{value}</td><td class="source">{why}</td></tr>
                }).collect_view()}</tbody>
            </table>
            <h3>"Inputs"</h3>
            <table class="inputs">
                <thead><tr><th>"Input"</th><th>"Value"</th><th>"Where it came from"</th></tr></thead>
                <tbody>{rows.into_iter().map(|(name, value, source)| view! {
                    <tr><th scope="row">{name}</th><td class="value">{value}</td><td class="source">{source}</td></tr>
                }).collect_view()}</tbody>
            </table>
        </section>
    }
}
