//! A partly overwritten drive in the drive player: where a camera has no footage the pane
//! says so (instead of a black or frozen picture), and under the scrubber each camera's
//! footage is drawn along the drive, so the gaps show before they are reached.

use leptos::prelude::*;

use crate::drive_player::{DrivePlayback, TimelineSegment, segment_at};

/// Over a camera's pane while the drive's position is where that camera has no footage.
#[component]
pub fn MissingFootage(
    list: Vec<TimelineSegment>,
    position: RwSignal<f64>,
    camera: &'static str,
) -> impl IntoView {
    move || {
        segment_at(&list, position.get()).is_none().then(|| {
            view! {
                <p class="no-footage" role="status">
                    {format!("No {camera} footage here: it was overwritten or never recorded.")}
                </p>
            }
        })
    }
}

/// Each camera's footage along the drive, as bars; the gaps between them are missing footage.
#[component]
pub fn Coverage(playback: DrivePlayback) -> impl IntoView {
    let total = playback.duration_s.max(1.0);
    let row = |name: &'static str, list: &[TimelineSegment]| {
        let bars = list
            .iter()
            .map(|s| {
                let left = (s.offset_s / total * 100.0).clamp(0.0, 100.0);
                let width = (s.duration_s / total * 100.0).clamp(0.0, 100.0 - left);
                view! { <span class="coverage-bar" style:left=format!("{left:.3}%") style:width=format!("{width:.3}%")></span> }
            })
            .collect_view();
        view! {
            <div class="coverage-row">
                <span class="coverage-name">{name}</span>
                <span class="coverage-track">{bars}</span>
            </div>
        }
    };
    let gaps = |list: &[TimelineSegment]| {
        let mut covered = 0.0f64;
        let mut end = 0.0f64;
        for s in list {
            let from = s.offset_s.max(end);
            let to = (s.offset_s + s.duration_s).min(total);
            covered += (to - from).max(0.0);
            end = end.max(s.offset_s + s.duration_s);
        }
        covered < total - 1.0
    };
    let missing = gaps(&playback.road) || (!playback.cabin.is_empty() && gaps(&playback.cabin));
    view! {
        <div class="coverage" data-testid="drive-coverage">
            {row("Road", &playback.road)}
            {(!playback.cabin.is_empty()).then(|| row("Cabin", &playback.cabin))}
            {missing.then(|| view! {
                <p class="note">"Gaps in the bars are footage that is missing (overwritten); playing skips over them."</p>
            })}
        </div>
    }
}
