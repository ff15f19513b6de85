//! The overview: the card at a glance — what fills it, which camera wrote it, the dates it
//! covers, whether it is looping, and the one sentence an owner needs ("the oldest footage will
//! be overwritten after…"), with the reader's warnings in plain words.

use dashcard::listing::SourceKind;
use leptos::prelude::*;

use crate::card::Shown;
use crate::format;
use crate::key_prompt::KeyPrompt;

/// One coloured part of the capacity bar.
struct Share {
    label: &'static str,
    class: &'static str,
    bytes: u64,
}

fn shares(shown: &Shown) -> (Vec<Share>, Option<u64>) {
    let t = &shown.catalog.totals;
    let inputs = &shown.estimate.inputs;
    let capacity = inputs.capacity_bytes.value;
    let free = inputs.free_bytes.value;
    let newer = shown.catalog.family.code.newer();
    let mut out = vec![
        Share {
            label: "Road camera",
            class: "share-road",
            bytes: t.road_bytes,
        },
        Share {
            label: "Cabin camera",
            class: "share-cabin",
            bytes: t.cabin_bytes,
        },
        Share {
            label: "Parking (loop)",
            class: "share-parking",
            bytes: t.parking_loop_bytes,
        },
        Share {
            label: "Second camera",
            class: "share-cabin",
            bytes: t.second_bytes,
        },
        Share {
            label: if newer { "SOS events" } else { "Parking (sos)" },
            class: "share-sos",
            bytes: t.sos_bytes,
        },
        Share {
            label: "Photos",
            class: "share-other",
            bytes: t.photo_bytes,
        },
        Share {
            label: "Sidecars",
            class: "share-other",
            bytes: t.sidecar_bytes,
        },
        Share {
            label: "Other files",
            class: "share-other",
            bytes: t.other_bytes,
        },
    ];
    if let Some(free) = free {
        out.push(Share {
            label: "Free",
            class: "share-free",
            bytes: free,
        });
    }
    (out, capacity)
}

/// The capacity bar and its legend.
#[component]
fn CapacityBar(shown: Shown) -> impl IntoView {
    let (parts, capacity) = shares(&shown);
    let total = capacity
        .unwrap_or_else(|| parts.iter().map(|s| s.bytes).sum())
        .max(1);
    let caption = match capacity {
        Some(c) => format!("What fills the card ({})", format::bytes(c)),
        None => "What is on the card (card size unknown)".to_string(),
    };
    let bars = parts
        .iter()
        .filter(|s| s.bytes > 0)
        .map(|s| {
            let pct = (s.bytes as f64 * 100.0 / total as f64).min(100.0);
            let title = format!("{}: {}", s.label, format::bytes(s.bytes));
            view! { <span class=format!("share {}", s.class) style:width=format!("{pct:.3}%") title=title></span> }
        })
        .collect_view();
    let legend = parts
        .iter()
        .filter(|s| s.bytes > 0 || s.class == "share-free")
        .map(|s| {
            view! {
                <li><span class=format!("swatch {}", s.class) aria-hidden="true"></span>
                {s.label}" "<strong>{format::bytes(s.bytes)}</strong></li>
            }
        })
        .collect_view();
    let label = caption.clone();
    view! {
        <figure class="capacity">
            <figcaption>{caption}</figcaption>
            <div class="capacity-bar" role="img" aria-label=label>{bars}</div>
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

/// The overview of one card.
#[component]
pub fn Overview(shown: Shown) -> impl IntoView {
    let estimate = &shown.estimate;
    let (listing, catalog) = (&shown.listing, &shown.catalog);
    let family = &catalog.family;
    let dual = match (family.dual_camera, family.code.newer()) {
        (false, _) => "",
        (true, false) => " (road + cabin)",
        (true, true) => " (built-in + second camera)",
    };
    let tz = &catalog.time_zone;
    let zone_note = if tz.utc_names {
        format!("({})", tz.label())
    } else {
        "(camera local time)".to_string()
    };
    let camera_info = catalog.camera_info.as_ref().map(|i| {
        format!(
            "serial {}, software {}",
            i.serial.as_deref().unwrap_or("not written"),
            i.software.as_deref().unwrap_or("not written")
        )
    });
    let camera_info_source = catalog.camera_info.as_ref().map(|i| i.source.clone());
    let kept = family.code.newer().then(|| {
        let k = &estimate.inputs.kept_bytes;
        format!(
            "{} in the sos and photo folders: the camera never cleans them, so as they grow the loop has less room.",
            format::bytes(k.value.unwrap_or(0))
        )
    });
    let locked = catalog.totals.locked_recordings;
    // The same count as the Incidents view's: deleted incidents too, once the files are here.
    let incidents = if shown.files_ready {
        crate::incident_list::summary(&crate::incident_list::incidents(&shown))
    } else {
        format!(
            "{} ({} parking, {} SOS event(s)) on the card",
            catalog.parking.len() + catalog.events.len(),
            catalog.parking.len(),
            catalog.events.len()
        )
    };
    let totals = &catalog.totals;
    let first = totals.first_start;
    let last = catalog
        .drives
        .iter()
        .map(|d| d.end)
        .chain(totals.last_start)
        .max();
    let range = match (first, last) {
        (Some(a), Some(b)) => format!("{} – {}", format::when(a), format::when(b)),
        _ => "no dated recordings".to_string(),
    };
    let shown_for_key = shown.clone();
    let driving: f64 = catalog.drives.iter().map(|d| d.duration_s).sum();
    let fragmented = totals.fragmented_recordings;
    let deleted = totals.deleted_files;
    let recoverable = totals.recoverable_files;
    let file_problems = totals.files_with_warnings;
    let excluded = estimate.excluded_files;
    let mut warnings = listing.warnings.clone();
    if file_problems > 0 {
        warnings.push(format!(
            "{file_problems} file(s) have problems on the card (damaged chains, shared clusters…): the Files view lists them."
        ));
    }
    if fragmented > 0 {
        warnings.push(format!(
            "{fragmented} recording(s) are stored in pieces (fragmented). They are read correctly; a camera writing to a nearly full card does this."
        ));
    }
    let source_line = match listing.source.kind {
        SourceKind::Image => format!(
            "Card image · {} · {}",
            listing.volume.filesystem.clone().unwrap_or_default(),
            format::bytes(listing.source.bytes.unwrap_or(0))
        ),
        SourceKind::Folder => {
            "Card folder (deleted recordings are only visible in a card image)".to_string()
        }
    };
    let looping = if estimate.looping {
        "Yes — the camera is overwriting its oldest footage"
    } else {
        "Not yet"
    };
    let holds = estimate
        .capacity_hours
        .map(|h| format!("about {} of driving", dashcard::estimate::format_hours(h)))
        .unwrap_or_else(|| "unknown".to_string());
    let fills = match (
        estimate.looping,
        estimate.hours_until_full,
        estimate.days_until_full,
    ) {
        (false, Some(h), Some(d)) => Some(format!(
            "Fills after about {} more driving ({}).",
            dashcard::estimate::format_hours(h),
            dashcard::estimate::when_in_words(d)
        )),
        _ => None,
    };
    view! {
        <section class="overview" aria-label="Overview">
            <p class="source-line">{source_line}</p>
            <p class="headline" role="note">{estimate.headline.clone()}</p>
            <KeyPrompt shown=shown_for_key />
            <CapacityBar shown=shown.clone() />
            <dl class="card-facts">
                <div><dt>"Camera"</dt><dd class="family-name">{format!("{}{dual}", family.name)}</dd></div>
                {camera_info.map(|info| view! {
                    <div><dt>"Camera's own record"</dt><dd class="camera-info">{info}" "<small>{camera_info_source.map(|s| format!("({s})"))}</small></dd></div>
                })}
                <div><dt>"Footage from"</dt><dd>{range}" "<small>{zone_note}</small></dd></div>
                {tz.utc_names.then(|| view! {
                    <div><dt>"Time zone"</dt><dd>{tz.label()}" "<small>{format!("({})", tz.source)}</small></dd></div>
                })}
                <div><dt>"Drives"</dt><dd>{format!("{} drive(s), {} of driving", catalog.drives.len(), format::duration(driving))}</dd></div>
                <div><dt>"Incidents"</dt><dd class="incident-count">{incidents}</dd></div>
                {(locked > 0).then(|| view! {
                    <div><dt>"Locked"</dt><dd>{format!("{locked} recording(s): read-only, never overwritten")}</dd></div>
                })}
                {kept.map(|k| view! { <div><dt>"Kept apart"</dt><dd class="kept">{k}</dd></div> })}
                <div><dt>"Looping"</dt><dd>{looping}" "<small>{format!("({})", estimate.looping_evidence)}</small></dd></div>
                {(excluded > 0).then(|| view! {
                    <div><dt>"Left out"</dt><dd class="excluded">{format!("{excluded} file(s) whose size or duration cannot be true: not counted in these figures or the estimate (the Files view says why)")}</dd></div>
                })}
                <div><dt>"The card holds"</dt><dd>{holds}" "{fills}</dd></div>
                <div><dt>"Deleted entries"</dt><dd>{if listing.source.kind == SourceKind::Image {
                    format!("{deleted} ({recoverable} still recoverable)")
                } else {
                    "not visible in a folder".to_string()
                }}</dd></div>
            </dl>
            <section class="evidence" aria-label="Why this model">
                <h3>"Why this model"</h3>
                <ul>{family.evidence.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
            </section>
            {(!warnings.is_empty()).then(|| view! {
                <section class="warnings" aria-label="Warnings">
                    <h3>"Worth knowing about this card"</h3>
                    <ul>{warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                </section>
            })}
            <section class="elsewhere" aria-label="Where else the footage may be">
                <h3>"Where else this footage may be"</h3>
                <ul>
                    {family.footage_elsewhere.iter().chain(&family.notes).map(|e| view! { <li>{e.clone()}</li> }).collect_view()}
                </ul>
            </section>
        </section>
    }
}
