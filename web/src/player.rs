//! Playing a recording: its bytes as a `Blob` from the card ([`CardBytes`]) — from an image,
//! slices of the image file, so nothing is copied into memory and the browser reads the image
//! as the video plays — under an object URL, in a player with speed controls. A clip the camera
//! encrypted plays from its plaintext, which the worker decrypts into a `Blob` of its own (one
//! clip, never the card; the object URL goes when the player closes). Photos show here too.

use dashcard::listing::ListedFile;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlAnchorElement, HtmlVideoElement, Url};

use crate::card::{Card, Shown};
use crate::card_bytes::CardBytes;
use crate::export_queue::ExportQueue;

/// What the player shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Playing {
    /// The recording's index in the listing (its Download in the player).
    pub index: usize,
    /// The recording's path on the card.
    pub path: String,
    /// When it started (camera local time), in words.
    pub when: Option<String>,
    /// The object URL of its bytes; `None` when it cannot be played (or is being decrypted).
    pub url: Option<String>,
    /// Why it cannot be played.
    pub error: Option<String>,
    /// A photo, shown as a picture.
    pub image: bool,
    /// Its plaintext is being made (an encrypted clip).
    pub decrypting: bool,
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

/// The player's contents, emptied when it closes.
pub type PlayerSlot = RwSignal<Option<Playing>, LocalStorage>;

/// Puts `file` (which started `when`, in words) in the player: its own bytes, or a photo.
pub fn play(
    slot: PlayerSlot,
    bytes: &CardBytes,
    (index, file): (usize, &ListedFile),
    when: Option<String>,
    image: bool,
) {
    show(slot, (index, file), when, image, bytes.blob_of(file));
}

/// Puts the encrypted clip `file` in the player once `exports`' worker has decrypted it.
pub fn play_decrypted(
    slot: PlayerSlot,
    exports: ExportQueue,
    (index, file): (usize, &ListedFile),
    when: Option<String>,
) {
    let old = slot.get_untracked();
    slot.set(Some(Playing {
        index,
        path: file.path.clone(),
        when: when.clone(),
        url: None,
        error: None,
        image: false,
        decrypting: true,
    }));
    revoke(old);
    let for_done = file.clone();
    exports.decrypted(file, move |blob| {
        // Another recording may have taken the player meanwhile.
        let still = slot
            .try_with_untracked(|p| {
                p.as_ref()
                    .is_some_and(|p| p.path == for_done.path && p.decrypting)
            })
            .unwrap_or(false);
        if still {
            show(slot, (index, &for_done), when, false, blob);
        }
    });
}

fn show(
    slot: PlayerSlot,
    (index, file): (usize, &ListedFile),
    when: Option<String>,
    image: bool,
    blob: Result<web_sys::Blob, String>,
) {
    let (url, error) = match blob.and_then(|b| {
        Url::create_object_url_with_blob(&b).map_err(|e| crate::worker_client::describe(&e))
    }) {
        Ok(url) => (Some(url), None),
        Err(e) => (None, Some(e)),
    };
    let old = slot.get_untracked();
    slot.set(Some(Playing {
        index,
        path: file.path.clone(),
        when,
        url,
        error,
        image,
        decrypting: false,
    }));
    revoke(old);
}

/// Empties the player and frees its object URL.
pub fn close(slot: PlayerSlot) {
    let old = slot.get_untracked();
    slot.set(None);
    revoke(old);
}

/// Starts a download of `blob` as `name`; its URL is freed a minute on (the download has
/// started by the time the click returns).
pub fn download(blob: &web_sys::Blob, name: &str) -> Result<(), String> {
    let url =
        Url::create_object_url_with_blob(blob).map_err(|e| crate::worker_client::describe(&e))?;
    click_download(&url, name);
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

/// What the page says when the browser cannot play a recording. The cameras record H.264, or
/// H.265 (HEVC) where set so; a browser decodes what its platform gives it (Debian's Chromium
/// has no H.265; WebKitGTK's GStreamer may have neither). `detail` is the
/// browser's own `MediaError` message; `h264` and `h265` whether it says it plays each
/// (`canPlayType`).
pub fn cannot_play_message(detail: &str, h264: bool, h265: bool) -> String {
    let detail = detail.trim();
    let detail = if detail.is_empty() {
        String::new()
    } else {
        format!(" (it says: {detail})")
    };
    let why = match (h264, h265) {
        (false, _) => "this browser has no decoder for H.264, the video the cameras record",
        (true, false) => {
            "most likely its video is H.265 (HEVC), which this browser has no decoder for"
        }
        (true, true) => {
            "this browser could not decode it, though it says it plays H.264 and H.265 (a part of \
             its decoders may be missing, or the recording is damaged)"
        }
    };
    format!(
        "This browser cannot play this recording{detail}: {why}. The clip itself is still on \
         the card: download it and play it in a video player such as VLC, or open the card in \
         another browser."
    )
}

/// Whether `video`'s browser says it can play MP4 video in `codec`.
fn plays(video: &HtmlVideoElement, codec: &str) -> bool {
    !video
        .can_play_type(&format!("video/mp4; codecs=\"{codec}\""))
        .is_empty()
}

/// Playback speeds offered (both players).
pub(crate) const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 1.5, 2.0, 4.0];

/// Why the browser could not play file `index` of `shown`, from the media error's `code`, its
/// `detail` message, what the browser says it decodes (`h264`, `h265`) and what the card tells
/// about the file (an MP4, encrypted).
fn why_not_playable(
    shown: Option<&Shown>,
    index: usize,
    code: u16,
    detail: &str,
    (h264, h265): (bool, bool),
) -> String {
    use dashcard::catalog::timing::DurationSource as D;
    let file = shown.and_then(|s| s.catalog.files.get(index));
    let mp4 = file.is_some_and(|f| {
        matches!(
            f.duration_source,
            Some(D::Mvhd | D::TrackHeader | D::Mehd | D::CameraTail | D::Fragments)
        )
    });
    let encrypted = file.is_some_and(|f| f.encrypted.is_some());
    let why = match code {
        2 => "its bytes could not be read from the card",
        _ if encrypted => {
            "it did not decrypt to a playable video (a wrong key, or the clip is damaged)"
        }
        _ if mp4 => return cannot_play_message(detail, h264, h265),
        3 => "the video is damaged",
        _ => "it is not a video this browser can read: damaged, or not a video at all",
    };
    format!(
        "This clip cannot be played here: {why}. Download it and open it in a video player such as VLC."
    )
}

/// Seconds a recording in the player may show nothing loaded, without a media error, before
/// the player says it cannot be played here.
const NOTHING_LOADED_SECS: u64 = 10;

/// The player: the recording, its camera time, speed, download and close. It sits in a
/// [`crate::player_dialog::PlayerDialog`], over the page where the user was.
#[component]
pub fn Player(playing: PlayerSlot) -> impl IntoView {
    let card = expect_context::<Card>();
    let video = NodeRef::<leptos::html::Video>::new();
    let close = move |_| close(playing);
    // The media error of the clip in the player, in words.
    let failed = RwSignal::new(None::<String>);
    let save_error = RwSignal::new(None::<String>);
    let set_speed = move |ev: leptos::ev::Event| {
        let rate = event_target_value(&ev).parse::<f64>().unwrap_or(1.0);
        if let Some(v) = video.get() {
            let v: &HtmlVideoElement = &v;
            v.set_playback_rate(rate);
        }
    };
    let download = move |index: usize| {
        let result = card
            .shown
            .with_untracked(|s| s.as_ref().and_then(|s| s.takeout(index)))
            .ok_or_else(|| "This recording is no longer on the list.".to_string())
            .and_then(|t| card.exports.save(t));
        save_error.set(result.err());
    };
    // "Save ±30 s": the minute around the moment shown, as one MP4 from the original frames.
    let save_around = move |index: usize| {
        let at = video.get_untracked().map_or(0.0, |v| {
            let v: &HtmlVideoElement = &v;
            v.current_time()
        });
        card.shown.with_untracked(|s| {
            let Some(s) = s.as_ref() else {
                return;
            };
            let Some(start) = s.catalog.files.get(index).and_then(|f| f.start) else {
                save_error.set(Some(
                    "This recording's name holds no start time, so a moment in it cannot be placed: use Download.".into(),
                ));
                return;
            };
            let t = start + chrono::Duration::milliseconds((at * 1000.0).round() as i64);
            let half = chrono::Duration::seconds(30);
            let range = dashcard::remux::TimeRange {
                start: t - half,
                end: t + half,
            };
            card.exports.clip_around(&s.listing, &s.catalog, index, range);
        });
    };
    let on_error = move |index: usize| {
        let Some(v) = video.get_untracked() else {
            return;
        };
        let v: &HtmlVideoElement = &v;
        let (code, detail) = v
            .error()
            .map(|e| (e.code(), e.message()))
            .unwrap_or((4, String::new()));
        let decoders = (plays(v, "avc1.42E01E"), plays(v, "hvc1.1.6.L93.B0"));
        let why = card
            .shown
            .with_untracked(|s| why_not_playable(s.as_ref(), index, code, &detail, decoders));
        failed.set(Some(why));
    };
    move || {
        playing.get().map(|p| {
            failed.set(None);
            save_error.set(None);
            let title = file_name(&p.path);
            let index = p.index;
            if p.url.is_some() && !p.image {
                // A browser that neither loads the recording nor rejects it (WebKitGTK without a
                // decoder can stay "loading" for good) gets the same words as a media error,
                // not a blank player: the clip's bytes are in memory, so loading takes no time.
                let url = p.url.clone();
                set_timeout(
                    move || {
                        let same = playing
                            .try_with_untracked(|q| q.as_ref().and_then(|q| q.url.clone()))
                            .flatten()
                            == url;
                        let loaded = video.get_untracked().is_none_or(|v| {
                            let v: &HtmlVideoElement = &v;
                            v.ready_state() > 0 || v.error().is_some()
                        });
                        if same && !loaded && failed.try_get_untracked() == Some(None) {
                            on_error(index);
                        }
                    },
                    std::time::Duration::from_secs(NOTHING_LOADED_SECS),
                );
            }
            view! {
                <section class="panel player" aria-label="Player">
                    <div class="player-head">
                        <h3>{title.clone()}</h3>
                        <p class="note">{p.when.clone().map(|w| format!("Started {w}"))}</p>
                        <button type="button" class="button small" on:click=move |_| download(index)
                            aria-label="Download the recording in the player">"Download"</button>
                        {(!p.image).then(|| view! {
                            <button type="button" class="button small" on:click=move |_| save_around(index)
                                title="One MP4 of the minute around the moment shown: 30 seconds before it and 30 after (the original frames)"
                                aria-label="Save ±30 s around this moment">"Save ±30 s"</button>
                        })}
                        <button type="button" class="button small" on:click=close aria-label="Close the player">"Close"</button>
                    </div>
                    {move || save_error.get().map(|e| view! { <p class="action-error" role="alert">{e}</p> })}
                    {move || card.exports.clip_progress.get().map(|(done, total)| view! {
                        <progress aria-label="Clip export progress" max=total.max(1).to_string() value=done.to_string()></progress>
                    })}
                    {move || card.exports.status.get().map(|text| view! {
                        <p class="note" role="status" data-testid="player-clip-status">{text}</p>
                    })}
                    {match (p.url.clone(), p.error.clone()) {
                        (Some(url), _) if p.image => view! {
                            <img class="player-photo" data-testid="player-photo" src=url alt=format!("Photo {title}") />
                        }.into_any(),
                        (None, None) if p.decrypting => view! {
                            <p class="note" role="status">"Decrypting the clip (the camera encrypted it)…"</p>
                        }.into_any(),
                        (Some(url), _) => view! {
                            <video node_ref=video class="player-video" data-testid="player-video" controls=true autoplay=true muted=true src=url
                                autofocus=true on:error=move |_| on_error(index)
                                on:loadeddata=move |_| failed.set(None)
                                aria-label=format!("Recording {title}")></video>
                            {move || failed.get().map(|why| view! {
                                <p class="action-error playback-error" role="alert" data-testid="player-unplayable">{why}</p>
                            })}
                            <div class="player-tools">
                                <label>"Speed "
                                    <select on:change=set_speed aria-label="Playback speed">
                                        {SPEEDS.iter().map(|&s| view! {
                                            <option value=s.to_string() selected=s == 1.0>{format!("{s}×")}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <p class="note">"With the video focused: space plays and pauses, the arrow keys step through the clip. Escape closes the player."</p>
                            </div>
                        }.into_any(),
                        (None, error) => view! { <p class="action-error" role="alert">{error}</p> }.into_any(),
                    }}
                </section>
            }
        })
    }
}
