//! A whole drive as one continuous recording: its segments chained, one scrubber over the
//! whole drive with the camera's wall-clock time, and the road and cabin cameras side by side,
//! kept in step. Each segment plays straight from slices of the card image.
//!
//! A segment's bytes become a `Blob` and an object URL only when playback comes near it: the
//! one playing and its neighbours, per camera. The rest are let go, so an hour-long
//! two-camera drive never holds more than six segments (a `Blob` of a folder's file or of
//! image slices costs nothing, but the sample card's are real bytes: all of a long drive's
//! at once would fill the browser's blob store).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use dashcard::catalog::Catalog;
use dashcard::catalog::classify::Camera;
use dashcard::listing::{ListedFile, Listing};
use dashcard::telemetry::{CardTelemetry, DriveTelemetry};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlMediaElement, Url};

use crate::card::{Card, Shown};
use crate::card_bytes::CardBytes;
use crate::drive_gaps::{Coverage, MissingFootage};
use crate::format;
use crate::player::SPEEDS;
use crate::telemetry_view::{DriveClock, DriveTelemetryView};

/// One segment of one camera, placed on the drive's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineSegment {
    /// Its path on the card.
    pub path: String,
    /// Seconds from the drive's start to the segment's start.
    pub offset_s: f64,
    /// Its length in seconds.
    pub duration_s: f64,
    /// The file, as listed (its bytes are taken when playback comes near it).
    pub file: ListedFile,
}

/// The object URLs of the segments near playback, by path; `None` where the bytes cannot be
/// had. Shared by the clones of one [`DrivePlayback`].
#[derive(Clone, Debug, Default)]
pub struct SegmentUrls(Rc<RefCell<HashMap<String, Option<String>>>>);

impl PartialEq for SegmentUrls {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl SegmentUrls {
    /// The URL of `list[i]`, made now if need be (the neighbours' too), and the URLs of the
    /// other segments of `list`, taken out: the caller revokes them once the video has moved
    /// on (revoking the one it is loading would fail that load).
    fn near(
        &self,
        bytes: &CardBytes,
        list: &[TimelineSegment],
        i: usize,
    ) -> (Option<String>, Vec<String>) {
        let mut urls = self.0.borrow_mut();
        let near = i.saturating_sub(1)..=i + 1;
        let mut stale = Vec::new();
        for (j, s) in list.iter().enumerate() {
            if near.contains(&j) {
                urls.entry(s.path.clone()).or_insert_with(|| {
                    bytes
                        .blob_of(&s.file)
                        .ok()
                        .and_then(|b| Url::create_object_url_with_blob(&b).ok())
                });
            } else if let Some(Some(url)) = urls.remove(&s.path) {
                stale.push(url);
            }
        }
        let url = list
            .get(i)
            .and_then(|s| urls.get(&s.path).cloned().flatten());
        (url, stale)
    }

    /// Lets every URL go.
    fn release(&self) {
        for url in self.0.borrow_mut().drain().filter_map(|(_, u)| u) {
            let _ = Url::revoke_object_url(&url);
        }
    }
}

/// A drive in the player.
#[derive(Clone, Debug, PartialEq)]
pub struct DrivePlayback {
    /// SOS events recorded during the drive: what to call each, and seconds from the drive's
    /// start (for "±30 s around" it).
    pub incidents: Vec<(String, f64)>,
    /// When the drive started (camera local time).
    pub start: chrono::NaiveDateTime,
    /// Its length in seconds.
    pub duration_s: f64,
    /// Road segments in order.
    pub road: Vec<TimelineSegment>,
    /// Cabin segments in order (empty for a one-camera drive).
    pub cabin: Vec<TimelineSegment>,
    /// Its GPS and motion telemetry, when its clips have sidecar logs.
    pub telemetry: Option<Arc<DriveTelemetry>>,
    /// Local = UTC + this (the card's zone, 0 when unknown).
    pub utc_offset_s: i32,
    /// Where playback starts, seconds into the drive (an SOS event's impact, or 0).
    pub start_at_s: f64,
    /// Where the card's bytes are.
    pub bytes: StoredValue<CardBytes, LocalStorage>,
    /// The object URLs of the segments near playback.
    pub urls: SegmentUrls,
}

/// The drive player's contents, emptied when it closes.
pub type DriveSlot = RwSignal<Option<DrivePlayback>, LocalStorage>;

impl DrivePlayback {
    /// Drive `index` of `catalog`, its segments' bytes to be taken from `bytes` as it plays.
    pub fn new(
        bytes: StoredValue<CardBytes, LocalStorage>,
        listing: &Listing,
        catalog: &Catalog,
        telemetry: &CardTelemetry,
        index: usize,
    ) -> Option<Self> {
        let drive = catalog.drives.get(index)?;
        let segments = |camera: Camera| {
            let mut list: Vec<TimelineSegment> = drive
                .files
                .iter()
                .filter_map(|&i| Some((listing.files.get(i)?, catalog.files.get(i)?)))
                .filter(|(_, c)| c.camera == Some(camera))
                .filter_map(|(l, c)| {
                    let start = c.start?;
                    Some(TimelineSegment {
                        path: l.path.clone(),
                        offset_s: (start - drive.start).num_milliseconds() as f64 / 1000.0,
                        duration_s: c.duration_s.unwrap_or(60.0),
                        file: l.clone(),
                    })
                })
                .collect();
            dashcard::sort::sort_by(&mut list, |a, b| a.offset_s.total_cmp(&b.offset_s));
            list
        };
        // The newer cameras' second (external) camera takes the cabin camera's place.
        let mut other = segments(Camera::Cabin);
        other.extend(segments(Camera::Second));
        let incidents = catalog
            .events
            .iter()
            .filter_map(|e| catalog.files.get(e.file)?.start)
            .filter(|&t| drive.start <= t && t <= drive.end)
            .map(|t| {
                (
                    format!("the SOS at {}", t.format("%H:%M:%S")),
                    (t - drive.start).num_milliseconds() as f64 / 1000.0,
                )
            })
            .collect();
        Some(Self {
            incidents,
            start: drive.start,
            duration_s: drive.duration_s,
            road: segments(Camera::Road),
            cabin: other,
            telemetry: telemetry
                .drives
                .get(index)
                .filter(|t| !t.track.is_empty() || !t.g_per_second.is_empty())
                .map(|t| Arc::new(t.clone())),
            utc_offset_s: catalog.time_zone.utc_offset_s.unwrap_or(0),
            start_at_s: 0.0,
            bytes,
            urls: SegmentUrls::default(),
        })
    }

    /// Frees the object URLs.
    pub fn release(&self) {
        self.urls.release();
    }

    /// The object URL of `list[i]` (one of this drive's lists), and the URLs of that list's
    /// segments away from it, to revoke (see [`SegmentUrls::near`]).
    fn url_near(&self, list: &[TimelineSegment], i: usize) -> (Option<String>, Vec<String>) {
        self.bytes
            .try_with_value(|b| self.urls.near(b, list, i))
            .unwrap_or_default()
    }
}

/// Puts drive `index` of `shown` in the card's drive player, `start_at_s` seconds in.
pub fn open(card: Card, shown: &Shown, index: usize, start_at_s: f64) {
    close(card.drive_player);
    let playback = DrivePlayback::new(
        card.bytes,
        &shown.listing,
        &shown.catalog,
        &shown.telemetry,
        index,
    )
    .map(|p| DrivePlayback { start_at_s, ..p });
    card.drive_player.set(playback);
}

/// Starts `video`; a refused start (no source yet, a clip the browser cannot play) is not an
/// uncaught error: the player shows what it has.
fn start(video: &HtmlMediaElement) {
    if let Ok(promise) = video.play() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}

/// Where segments of either camera start, in order, each once.
fn starts(p: &DrivePlayback) -> Vec<f64> {
    let mut all: Vec<f64> = p.road.iter().chain(&p.cabin).map(|s| s.offset_s).collect();
    dashcard::sort::sort_by(&mut all, f64::total_cmp);
    all.dedup_by(|a, b| (*a - *b).abs() < 0.5);
    all
}

/// The start of the segment after the one under way at `t` (either camera).
fn next_start(p: &DrivePlayback, t: f64) -> Option<f64> {
    let all = starts(p);
    match all.iter().rposition(|&s| s <= t + 0.001) {
        Some(current) => all.get(current + 1).copied(),
        None => all.first().copied(),
    }
}

/// The start of the segment before the one under way at `t` (either camera), else 0.
fn previous_start(p: &DrivePlayback, t: f64) -> f64 {
    let all = starts(p);
    let current = all.iter().rposition(|&s| s <= t + 0.001);
    current
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| all.get(i).copied())
        .unwrap_or(0.0)
}

/// The segment of `list` playing at `t` seconds into the drive, if any.
pub(crate) fn segment_at(list: &[TimelineSegment], t: f64) -> Option<usize> {
    list.iter()
        .rposition(|s| s.offset_s <= t + 0.001)
        .filter(|&i| t < list[i].offset_s + list[i].duration_s + 0.5)
}

fn media(node: &NodeRef<leptos::html::Video>) -> Option<HtmlMediaElement> {
    node.get().map(|v| {
        let v: &web_sys::HtmlVideoElement = &v;
        v.clone().unchecked_into()
    })
}

/// Points `video` at the segment of `list` (one of `p`'s) covering `t`, at the right moment
/// inside it.
fn seek(
    video: &HtmlMediaElement,
    p: &DrivePlayback,
    list: &[TimelineSegment],
    current: &mut Option<usize>,
    t: f64,
    play: bool,
) {
    let Some(i) = segment_at(list, t) else {
        let _ = video.pause();
        return;
    };
    if *current != Some(i) {
        *current = Some(i);
        let (url, stale) = p.url_near(list, i);
        video.set_src(url.as_deref().unwrap_or(""));
        for url in stale {
            let _ = Url::revoke_object_url(&url);
        }
    }
    let inside = (t - list[i].offset_s).max(0.0);
    if (video.current_time() - inside).abs() > 0.25 {
        video.set_current_time(inside);
    }
    // Playing an ended clip would restart it from its first frame.
    if play && !video.ended() && video.paused() {
        start(video);
    }
}

/// Empties the drive player and frees its object URLs.
pub fn close(slot: DriveSlot) {
    if let Some(p) = slot.get_untracked() {
        p.release();
    }
    slot.set(None);
}

/// The drive player.
#[component]
pub fn DrivePlayer(playing: DriveSlot) -> impl IntoView {
    let road = NodeRef::<leptos::html::Video>::new();
    let cabin = NodeRef::<leptos::html::Video>::new();
    let position = RwSignal::new(0.0f64);
    let road_index = StoredValue::new(None::<usize>);
    let cabin_index = StoredValue::new(None::<usize>);
    let close = move |_| close(playing);
    // Moves both cameras to `t` seconds into the drive.
    let go_to = move |t: f64, play: bool| {
        let Some(p) = playing.get_untracked() else {
            return;
        };
        let mut t = t.clamp(0.0, p.duration_s.max(0.0));
        // Where neither camera recorded (overwritten), playing goes on at the next footage.
        if play
            && segment_at(&p.road, t).is_none()
            && segment_at(&p.cabin, t).is_none()
            && let Some(next) = next_start(&p, t)
        {
            t = next;
        }
        position.set(t);
        if let Some(v) = media(&road) {
            let mut i = road_index.get_value();
            seek(&v, &p, &p.road, &mut i, t, play);
            road_index.set_value(i);
        }
        if let Some(v) = media(&cabin) {
            let mut i = cabin_index.get_value();
            seek(&v, &p, &p.cabin, &mut i, t, play);
            cabin_index.set_value(i);
        }
    };
    let active = |v: Option<HtmlMediaElement>| v.is_some_and(|v| !v.paused() && !v.ended());
    let playing_now = move || active(media(&road)) || active(media(&cabin));
    // The road camera leads while it plays: its clock is the drive's clock. Where the road
    // footage is gone (a partly overwritten drive), the other camera leads.
    let road_leads = move || active(media(&road)) || !active(media(&cabin));
    let on_time = move |road_camera: bool| {
        if road_camera != road_leads() {
            return;
        }
        let Some(p) = playing.get_untracked() else {
            return;
        };
        let (lead, lead_list, lead_index, other, other_list, other_index) = if road_camera {
            (road, &p.road, road_index, cabin, &p.cabin, cabin_index)
        } else {
            (cabin, &p.cabin, cabin_index, road, &p.road, road_index)
        };
        let (Some(v), Some(i)) = (media(&lead), lead_index.get_value()) else {
            return;
        };
        let Some(segment) = lead_list.get(i) else {
            return;
        };
        let t = segment.offset_s + v.current_time();
        position.set(t);
        if let Some(o) = media(&other) {
            let mut oi = other_index.get_value();
            seek(&o, &p, other_list, &mut oi, t, !v.paused());
            other_index.set_value(oi);
        }
    };
    // A segment ended: once neither camera still plays, the drive goes on at the footage that
    // follows the segment that ended (the clock may already stand at its very end).
    let on_ended = move |road_camera: bool| {
        let Some(p) = playing.get_untracked() else {
            return;
        };
        if playing_now() {
            return;
        }
        let (list, index) = if road_camera {
            (&p.road, road_index)
        } else {
            (&p.cabin, cabin_index)
        };
        let from = index
            .get_value()
            .and_then(|i| list.get(i))
            .map(|s| s.offset_s)
            .unwrap_or_else(|| position.get_untracked());
        if let Some(next) = next_start(&p, from) {
            go_to(next, true);
        }
    };
    let toggle = move || {
        if playing_now() {
            for v in [media(&road), media(&cabin)].into_iter().flatten() {
                let _ = v.pause();
            }
        } else {
            go_to(position.get_untracked(), true);
        }
    };
    let step_segment = move |forward: bool| {
        let Some(p) = playing.get_untracked() else {
            return;
        };
        let t = position.get_untracked();
        let target = if forward {
            next_start(&p, t)
        } else {
            Some(previous_start(&p, t))
        };
        if let Some(target) = target {
            go_to(target, playing_now());
        }
    };
    let rate = RwSignal::new(1.0f64);
    let set_rate = move |r: f64| {
        rate.set(r);
        for v in [media(&road), media(&cabin)].into_iter().flatten() {
            // The default rate survives the next segment's load; the rate alone would not.
            v.set_default_playback_rate(r);
            v.set_playback_rate(r);
        }
    };
    // One step slower or faster through the offered speeds.
    let step_rate = move |faster: bool| {
        let now = rate.get_untracked();
        let i = SPEEDS.iter().position(|&s| s == now).unwrap_or(2);
        let j = if faster {
            (i + 1).min(SPEEDS.len() - 1)
        } else {
            i.saturating_sub(1)
        };
        set_rate(SPEEDS[j]);
    };
    // Mark in / mark out, seconds into the drive.
    let mark_in = RwSignal::new(None::<f64>);
    let mark_out = RwSignal::new(None::<f64>);
    let around = move |t: f64| {
        let d = playing.get_untracked().map_or(0.0, |p| p.duration_s);
        mark_in.set(Some((t - 30.0).max(0.0)));
        mark_out.set(Some((t + 30.0).min(d.max(0.0))));
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        // Keys typed into a field inside the player (the impact threshold, the speed) are the
        // field's: "2.5" typed there must not lose its "." to the next-frame key.
        let in_field = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"));
        if in_field {
            return;
        }
        let frame = 1.0 / 25.0;
        match ev.key().as_str() {
            " " | "k" => toggle(),
            "ArrowRight" => go_to(position.get_untracked() + 5.0, playing_now()),
            "ArrowLeft" => go_to(position.get_untracked() - 5.0, playing_now()),
            "." => go_to(position.get_untracked() + frame, false),
            "," => go_to(position.get_untracked() - frame, false),
            "n" | "PageDown" => step_segment(true),
            "p" | "PageUp" => step_segment(false),
            ">" | "]" => step_rate(true),
            "<" | "[" => step_rate(false),
            "i" => mark_in.set(Some(position.get_untracked())),
            "o" => mark_out.set(Some(position.get_untracked())),
            _ => return,
        }
        ev.prevent_default();
    };
    // A new drive in the player starts at its beginning.
    Effect::new(move |_| {
        if playing.get().is_some() {
            mark_in.set(None);
            mark_out.set(None);
            road_index.set_value(None);
            cabin_index.set_value(None);
            let at = playing.with_untracked(|p| p.as_ref().map_or(0.0, |p| p.start_at_s));
            request_animation_frame(move || go_to(at, true));
        }
    });
    move || {
        playing.get().map(|p| {
            let has_cabin = !p.cabin.is_empty();
            let telemetry = p.telemetry.clone().map(|t| {
                let clock = DriveClock {
                    start: p.start,
                    utc_offset_s: p.utc_offset_s,
                    duration_s: p.duration_s,
                };
                let go = Callback::new(move |at: f64| go_to(at, playing_now()));
                view! { <DriveTelemetryView telemetry=t clock=clock position=position go_to=go /> }
            });
            let start = p.start;
            let duration = p.duration_s;
            view! {
                <section class="panel player drive-player" aria-label="Drive player" tabindex="0" on:keydown=on_key>
                    <div class="player-head">
                        <h3>{format!("Drive of {}", format::when(start))}</h3>
                        <p class="note wall-clock" data-testid="wall-clock">{move || {
                            let t = start + chrono::Duration::milliseconds((position.get() * 1000.0) as i64);
                            format!("{} (camera local time)", format::full(t))
                        }}</p>
                        <button type="button" class="button small" on:click=close aria-label="Close the drive player">"Close"</button>
                    </div>
                    <div class="cameras" class:dual=has_cabin>
                        <figure>
                            <video node_ref=road class="player-video" data-testid="drive-road" muted=true
                                on:timeupdate=move |_| on_time(true) on:ended=move |_| on_ended(true) aria-label="Road camera"></video>
                            <MissingFootage list=p.road.clone() position=position camera="road" />
                            <figcaption>"Road"</figcaption>
                        </figure>
                        {has_cabin.then(|| view! {
                            <figure>
                                <video node_ref=cabin class="player-video" data-testid="drive-cabin" muted=true
                                    on:timeupdate=move |_| on_time(false) on:ended=move |_| on_ended(false) aria-label="Cabin camera"></video>
                                <MissingFootage list=p.cabin.clone() position=position camera="cabin" />
                                <figcaption>"Cabin"</figcaption>
                            </figure>
                        })}
                    </div>
                    <input type="range" class="scrubber" min="0" max=duration.to_string() step="0.5"
                        aria-label="Position in the drive"
                        prop:value=move || position.get().to_string()
                        on:input=move |ev| {
                            let t = event_target_value(&ev).parse::<f64>().unwrap_or(0.0);
                            go_to(t, playing_now());
                        } />
                    <Coverage playback=p.clone() />
                    <div class="player-tools">
                        <button type="button" class="button small" on:click=move |_| toggle()>"Play / pause"</button>
                        <button type="button" class="button small" on:click=move |_| step_segment(false)>"Previous segment"</button>
                        <button type="button" class="button small" on:click=move |_| step_segment(true)>"Next segment"</button>
                        <label>"Speed "
                            <select aria-label="Drive playback speed" on:change=move |ev| set_rate(event_target_value(&ev).parse().unwrap_or(1.0))>
                                {SPEEDS.iter().map(|&s| view! {
                                    <option value=s.to_string() selected=move || rate.get() == s>{format!("{s}×")}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <p class="note">"Keys: space play/pause · ←/→ 5 s · , and . one frame · n/p next/previous segment · < and > speed · i/o mark in/out"</p>
                    </div>
                    {telemetry}
                    <ClipTools start=start has_cabin=has_cabin incidents=p.incidents.clone()
                        position=position mark_in=mark_in mark_out=mark_out around=around />
                </section>
            }
        })
    }
}

/// Mark in / mark out on the drive's timeline, and the export of what lies between as one MP4
/// per camera (the original frames, no re-encoding), with its progress.
#[component]
fn ClipTools(
    start: chrono::NaiveDateTime,
    has_cabin: bool,
    incidents: Vec<(String, f64)>,
    position: RwSignal<f64>,
    mark_in: RwSignal<Option<f64>>,
    mark_out: RwSignal<Option<f64>>,
    around: impl Fn(f64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let card = use_context::<crate::card::Card>();
    let which = RwSignal::new("road".to_string());
    let at = move |s: f64| start + chrono::Duration::milliseconds((s * 1000.0).round() as i64);
    let range = move || match (mark_in.get(), mark_out.get()) {
        (Some(a), Some(b)) if b > a => Some(dashcard::remux::TimeRange {
            start: at(a),
            end: at(b),
        }),
        _ => None,
    };
    let shown_mark = move |m: Option<f64>| {
        m.map_or("—".to_string(), |s| {
            at(s).format("%H:%M:%S%.3f").to_string()
        })
    };
    let export = move |_| {
        let (Some(card), Some(range)) = (card, range()) else {
            return;
        };
        let Some(shown) = card.shown.get_untracked() else {
            return;
        };
        let cameras: &[Camera] = match which.get_untracked().as_str() {
            "other" => &[Camera::Cabin],
            "both" => &[Camera::Road, Camera::Cabin],
            _ => &[Camera::Road],
        };
        for &camera in cameras {
            card.exports
                .clip(&shown.listing, &shown.catalog, camera, range);
        }
    };
    let progress = move || card.and_then(|c| c.exports.clip_progress.get());
    let status = move || card.and_then(|c| c.exports.status.get());
    view! {
        <div class="clip-tools" role="group" aria-label="Export a clip">
            <button type="button" class="button small" on:click=move |_| mark_in.set(Some(position.get_untracked()))>"Mark in (i)"</button>
            <button type="button" class="button small" on:click=move |_| mark_out.set(Some(position.get_untracked()))>"Mark out (o)"</button>
            <button type="button" class="button small" on:click=move |_| around(position.get_untracked())>"±30 s around here"</button>
            {incidents.into_iter().map(|(label, t)| view! {
                <button type="button" class="button small" on:click=move |_| around(t)>{format!("±30 s around {label}")}</button>
            }).collect_view()}
            <span class="note" data-testid="clip-range">{move || format!(
                "In {} · out {}", shown_mark(mark_in.get()), shown_mark(mark_out.get())
            )}</span>
            {has_cabin.then(|| view! {
                <label>"Camera "
                    <select aria-label="Camera to export" on:change=move |ev| which.set(event_target_value(&ev))>
                        <option value="road">"Road"</option>
                        <option value="other">"Cabin / second"</option>
                        <option value="both">"Both (two files)"</option>
                    </select>
                </label>
            })}
            <button type="button" class="button small" disabled=move || range().is_none() on:click=export>"Export clip"</button>
            {move || progress().map(|(done, total)| view! {
                <progress aria-label="Clip export progress" max=total.max(1).to_string() value=done.to_string()></progress>
            })}
            {move || status().map(|text| view! { <p class="note" data-testid="clip-status">{text}</p> })}
        </div>
    }
}
