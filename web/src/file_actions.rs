//! The buttons for one file of the open card: play (videos), download or recover (with its
//! SHA-256 put on record), or why it is lost.

use dashcard::listing::is_video_name;
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::player::{file_name, play};

/// The actions for file `index` of `shown`.
#[component]
pub fn FileActions(shown: Shown, index: usize) -> impl IntoView {
    let card = expect_context::<Card>();
    let Some((file, catalogued, _)) = shown.file(index) else {
        return ().into_any();
    };
    if file.deleted && file.recoverable != Some(true) {
        return view! { <span class="lost" title="Its clusters have been reused by newer recordings">"lost"</span> }
            .into_any();
    }
    let video = is_video_name(&file.path);
    let name = file_name(&file.path);
    let save_label = if file.deleted { "Recover" } else { "Download" };
    let start = catalogued.start;
    let for_play = file.clone();
    let takeout = shown.takeout(index);
    let error = RwSignal::new(None::<String>);
    let on_play = move |_| {
        card.bytes
            .with_value(|bytes| play(card.player, bytes, &for_play, start))
    };
    let on_save = move |_| {
        if let Some(t) = takeout.clone()
            && let Err(e) = card.exports.save(t)
        {
            error.set(Some(e));
        }
    };
    view! {
        <span class="file-actions">
            {video.then(|| view! {
                <button type="button" class="button small" aria-label=format!("Play {name}")
                    on:click=on_play>"Play"</button>
            })}
            <button type="button" class="button small" aria-label=format!("{save_label} {}", file_name(&file.path))
                on:click=on_save>{save_label}</button>
            {move || error.get().map(|e| view! { <span class="action-error" role="alert">{e}</span> })}
        </span>
    }
    .into_any()
}
