//! Playing and saving recordings. From an image, a recording's bytes are a `Blob` made of slices
//! of the image file (its extents, fragments included): nothing is copied into memory, the
//! browser reads the card image as the video plays. From a folder, the file itself.

use dashcard::report::{FileRecord, is_video_name};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, HtmlVideoElement, Url};

use crate::format;
use crate::session::Session;

/// What the player shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Playing {
    /// The recording's path on the card.
    pub path: String,
    /// When it started (camera local time), in words.
    pub when: Option<String>,
    /// The object URL of its bytes; `None` when it cannot be played.
    pub url: Option<String>,
    /// Why it cannot be played.
    pub error: Option<String>,
}

/// The last part of a path: the file's own name.
pub fn file_name(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_string()
}

fn revoke(playing: Option<Playing>) {
    if let Some(url) = playing.and_then(|p| p.url) {
        let _ = Url::revoke_object_url(&url);
    }
}

/// Puts `file` in the player.
pub fn play(session: Session, file: &FileRecord) {
    let (url, error) = match session.blob_of(file).and_then(|b| {
        Url::create_object_url_with_blob(&b).map_err(|e| crate::worker_client::describe(&e))
    }) {
        Ok(url) => (Some(url), None),
        Err(e) => (None, Some(e)),
    };
    crate::scroll_to_top();
    let old = session.playing.get_untracked();
    session.playing.set(Some(Playing {
        path: file.path.clone(),
        when: file.start.map(format::full),
        url,
        error,
    }));
    revoke(old);
}

/// Saves `file` under its own name with its original bytes (a recoverable deleted file too),
/// and has its SHA-256 put on record.
pub fn save(session: Session, file: &FileRecord) -> Result<(), String> {
    let blob = session.blob_of(file)?;
    session.export(vec![file.clone()], None);
    let url =
        Url::create_object_url_with_blob(&blob).map_err(|e| crate::worker_client::describe(&e))?;
    click_download(&url, &file_name(&file.path));
    // The download has started by the time the click returns; the URL is freed a minute on.
    set_timeout(
        move || {
            let _ = Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// Starts a download of `url` as `name`.
pub fn click_download(url: &str, name: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(a) = document.create_element("a") else {
        return;
    };
    let a: HtmlAnchorElement = a.unchecked_into();
    a.set_href(url);
    a.set_download(name);
    a.set_hidden(true);
    if let Some(body) = document.body() {
        let _ = body.append_child(&a);
        a.click();
        let _ = body.remove_child(&a);
    }
}

/// The buttons for one file: play (videos), save or recover, or why it is lost.
#[component]
pub fn FileActions(session: Session, file: FileRecord) -> impl IntoView {
    let lost = file.deleted && file.recoverable != Some(true);
    if lost {
        return view! { <span class="lost" title="Its clusters have been reused by newer recordings">"lost"</span> }
            .into_any();
    }
    let video = is_video_name(&file.path);
    let name = file_name(&file.path);
    let for_play = file.clone();
    let for_save = file.clone();
    let save_label = if file.deleted { "Recover" } else { "Download" };
    let error = RwSignal::new(None::<String>);
    view! {
        <span class="file-actions">
            {video.then(|| view! {
                <button type="button" class="button small" aria-label=format!("Play {name}")
                    on:click=move |_| play(session, &for_play)>"Play"</button>
            })}
            <button type="button" class="button small" aria-label=format!("{save_label} {}", file_name(&file.path))
                on:click=move |_| if let Err(e) = save(session, &for_save) { error.set(Some(e)) }>{save_label}</button>
            {move || error.get().map(|e| view! { <span class="action-error" role="alert">{e}</span> })}
        </span>
    }
    .into_any()
}

/// Playback speeds offered.
const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 1.5, 2.0, 4.0];

/// The player: the recording, its camera time, speed, save and close.
#[component]
pub fn Player(session: Session) -> impl IntoView {
    let video = NodeRef::<leptos::html::Video>::new();
    let close = move |_| {
        let old = session.playing.get_untracked();
        session.playing.set(None);
        revoke(old);
    };
    let set_speed = move |ev: leptos::ev::Event| {
        let rate = event_target_value(&ev).parse::<f64>().unwrap_or(1.0);
        if let Some(v) = video.get() {
            let v: &HtmlVideoElement = &v;
            v.set_playback_rate(rate);
        }
    };
    move || {
        session.playing.get().map(|p| {
            let title = file_name(&p.path);
            view! {
                <section class="panel player" aria-label="Player">
                    <div class="player-head">
                        <h3>{title.clone()}</h3>
                        <p class="note">{p.when.clone().map(|w| format!("Started {w} (camera local time)"))}</p>
                        <button type="button" class="button small" on:click=close aria-label="Close the player">"Close"</button>
                    </div>
                    {match (p.url.clone(), p.error.clone()) {
                        (Some(url), _) => view! {
                            <video node_ref=video class="player-video" data-testid="player-video" controls=true autoplay=true muted=true src=url
                                aria-label=format!("Recording {title}")></video>
                            <div class="player-tools">
                                <label>"Speed "
                                    <select on:change=set_speed aria-label="Playback speed">
                                        {SPEEDS.iter().map(|&s| view! {
                                            <option value=s.to_string() selected=s == 1.0>{format!("{s}×")}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <p class="note">"With the video focused: space plays and pauses, the arrow keys step through the clip."</p>
                            </div>
                        }.into_any(),
                        (None, error) => view! { <p class="action-error" role="alert">{error}</p> }.into_any(),
                    }}
                </section>
            }
        })
    }
}
