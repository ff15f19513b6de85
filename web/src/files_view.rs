//! The raw file tree: every file, live or deleted (recoverable or lost), with sizes, times,
//! fragments and problems. Filtered, sorted, and shown a page at a time so a 256 GB card's
//! tens of thousands of entries stay quick.

use dashcard::catalog::classify::FileKind;
use dashcard::listing::ListedFile;
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::file_actions::FileActions;
use crate::format;

/// Rows shown at first and added by "Show more".
const PAGE: usize = 100;

fn status(f: &ListedFile) -> (&'static str, &'static str) {
    match (f.deleted, f.recoverable) {
        (false, _) => ("live", "status-live"),
        (true, Some(true)) => ("deleted, recoverable", "status-recoverable"),
        (true, _) => ("deleted, lost", "status-lost"),
    }
}

fn kind(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Drive => "drive segment",
        FileKind::Parking => "parking",
        FileKind::Event => "SOS event",
        FileKind::Photo => "photo",
        FileKind::Sidecar => "sidecar",
        FileKind::Other => "other",
    }
}

/// The files table.
#[component]
pub fn FilesView(shown: Shown) -> impl IntoView {
    let card = expect_context::<Card>();
    let files_ready = shown.files_ready;
    let query = RwSignal::new(String::new());
    let show = RwSignal::new(String::from("all"));
    let sort = RwSignal::new(String::from("path"));
    let limit = RwSignal::new(PAGE);
    // Files chosen for a ZIP, by index in the listing.
    let selected = RwSignal::new(std::collections::BTreeSet::<usize>::new());
    let matching = Memo::new({
        let listing = shown.listing.clone();
        let catalog = shown.catalog.clone();
        move |_| {
            let q = query.get().to_lowercase();
            let which = show.get();
            let mut idx: Vec<usize> = listing
                .files
                .iter()
                .enumerate()
                .filter(|(i, f)| match which.as_str() {
                    "live" => !f.deleted,
                    "deleted" => f.deleted,
                    "problems" => {
                        !f.warnings.is_empty()
                            || f.fragments > 1
                            || catalog.files.get(*i).is_some_and(|c| c.excluded.is_some())
                    }
                    _ => true,
                })
                .filter(|(_, f)| q.is_empty() || f.path.to_lowercase().contains(&q))
                .map(|(i, _)| i)
                .collect();
            let files = &listing.files;
            match sort.get().as_str() {
                "size" => {
                    dashcard::sort::sort_by(&mut idx, |&a, &b| files[b].bytes.cmp(&files[a].bytes))
                }
                "modified" => dashcard::sort::sort_by(&mut idx, |&a, &b| {
                    files[a].modified.cmp(&files[b].modified)
                }),
                _ => dashcard::sort::sort_by(&mut idx, |&a, &b| files[a].path.cmp(&files[b].path)),
            }
            idx
        }
    });
    let rows = {
        let shown = shown.clone();
        move || {
            matching.with(|idx| {
                idx.iter()
                    .take(limit.get())
                    .filter_map(|&i| Some((i, shown.file(i)?)))
                    .map(|(i, (f, catalogued, _))| {
                        let (label, class) = status(f);
                        let takeable = !f.deleted || f.recoverable == Some(true);
                        let name = crate::player::file_name(&f.path);
                        view! {
                            <tr class=class>
                                <td>{takeable.then(|| view! {
                                    <input type="checkbox" aria-label=format!("Select {name}")
                                        prop:checked=move || selected.with(|s| s.contains(&i))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            selected.update(|s| { if on { s.insert(i); } else { s.remove(&i); } });
                                        } />
                                })}</td>
                                <td class="path">{f.path.clone()}</td>
                                <td class="num">{format::bytes(f.bytes)}</td>
                                <td>{f.modified.map(format::full)}</td>
                                <td>{kind(catalogued.kind)}</td>
                                <td>{catalogued.duration_s.map(format::duration)}</td>
                                <td>{label}</td>
                                <td class="num">{f.fragments}</td>
                                <td>{f.warnings.iter().cloned().chain(catalogued.excluded.as_ref().map(|why| why.describe())).collect::<Vec<_>>().join("; ")}</td>
                                <td><FileActions shown=shown.clone() index=i /></td>
                            </tr>
                        }
                    })
                    .collect_view()
            })
        }
    };
    let total = shown.listing.files.len();
    let save_selected = move |_| {
        let files: Vec<_> = selected.with(|s| s.iter().filter_map(|&i| shown.takeout(i)).collect());
        if !files.is_empty() {
            let name = format!(
                "{}-selection.zip",
                crate::export::export_name(&shown.listing.source.name, "x")
                    .trim_end_matches("-dashcard.x")
            );
            card.exports.export(files, Some(name));
        }
    };
    let more = move || matching.with(Vec::len) > limit.get();
    view! {
        <section class="files-view" aria-label="Files">
            <div class="toolbar">
                <label>"Find "
                    <input type="search" placeholder="part of a name" aria-label="Find files by name"
                        on:input=move |ev| { query.set(event_target_value(&ev)); limit.set(PAGE); } />
                </label>
                <label>"Show "
                    <select aria-label="Which files" on:change=move |ev| { show.set(event_target_value(&ev)); limit.set(PAGE); }>
                        <option value="all">"all files"</option>
                        <option value="live">"live files"</option>
                        <option value="deleted">"deleted entries"</option>
                        <option value="problems">"problems and fragmented"</option>
                    </select>
                </label>
                <label>"Sort by "
                    <select aria-label="Sort files" on:change=move |ev| sort.set(event_target_value(&ev))>
                        <option value="path">"name"</option>
                        <option value="size">"size"</option>
                        <option value="modified">"time"</option>
                    </select>
                </label>
                <button type="button" class="button small" on:click=save_selected
                    disabled=move || selected.with(|s| s.is_empty())>
                    {move || format!("Save selected (zip, {})", selected.with(|s| s.len()))}
                </button>
                <p class="note" aria-live="polite">{move || if files_ready {
                    format!("{} of {total} files", matching.with(Vec::len))
                } else {
                    "Loading the file list…".to_string()
                }}</p>
            </div>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Files table (scrolls sideways)">
                <table class="files">
                    <caption class="visually-hidden">"Files on the card (times are camera local time)"</caption>
                    <thead><tr><th><span class="visually-hidden">"Select"</span></th><th>"File"</th><th>"Size"</th><th>"Modified (camera)"</th><th>"Kind"</th><th>"Length"</th><th>"Status"</th><th>"Fragments"</th><th>"Problems"</th><th>"Take out"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <Show when=more>
                <button type="button" class="button" on:click=move |_| limit.update(|l| *l += PAGE)>"Show more"</button>
            </Show>
        </section>
    }
}
