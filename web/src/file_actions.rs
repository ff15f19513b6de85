//! The buttons for one file of the open card: play (videos; an encrypted clip from its
//! plaintext), view (photos), download or recover (with its SHA-256 put on record), or why it
//! is lost.

use dashcard::catalog::classify::FileKind;
use dashcard::catalog::encryption::Encrypted;
use dashcard::listing::is_video_name;
use leptos::prelude::*;

use crate::card::{Card, Shown};
use crate::format;
use crate::player::{file_name, play, play_decrypted};

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
    let photo = catalogued.kind == FileKind::Photo;
    let name = file_name(&file.path);
    let save_label = if file.deleted { "Recover" } else { "Download" };
    let tz = shown.catalog.time_zone.clone();
    let when = catalogued
        .start
        .map(|t| format::in_zone(&tz, format::full(t)));
    let encrypted = catalogued.encrypted;
    let for_play = file.clone();
    let takeout = shown.takeout(index);
    let error = RwSignal::new(None::<String>);
    let on_play = move |_| match encrypted {
        Some(Encrypted::OpenedWith(_)) => {
            play_decrypted(card.player, card.exports, (index, &for_play), when.clone())
        }
        Some(Encrypted::KeyNeeded) => error.set(Some(
            "Encrypted by the camera: give the camera's key on the Overview to play it."
                .to_string(),
        )),
        None => card
            .bytes
            .with_value(|bytes| play(card.player, bytes, (index, &for_play), when.clone(), photo)),
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
            {(video || photo).then(|| view! {
                <button type="button" class="button small" aria-label=format!("{} {name}", if photo { "View" } else { "Play" })
                    on:click=on_play>{if photo { "View" } else { "Play" }}</button>
            })}
            <button type="button" class="button small" aria-label=format!("{save_label} {}", file_name(&file.path))
                on:click=on_save>{save_label}</button>
            {move || error.get().map(|e| view! { <span class="action-error" role="alert">{e}</span> })}
        </span>
    }
    .into_any()
}
