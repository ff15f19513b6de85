//! A drive's GPS and motion telemetry beside its player: the route drawn as an SVG polyline
//! scaled to its own bounding box (no map tiles: nothing is fetched), speed and G-force charts
//! with a cursor that follows playback (click or drag to seek), and the impacts, each a button
//! that seeks to it. OpenStreetMap is only ever a link the owner may click.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use dashcard::telemetry::{DriveTelemetry, Impact, export};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::format;

/// Width and height of the route drawing, in SVG units.
const ROUTE_W: f64 = 400.0;
const ROUTE_H: f64 = 260.0;
/// Width and height of a chart.
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 100.0;

/// Where an instant falls in the drive: seconds from its (local) start.
#[derive(Clone, Copy)]
pub struct DriveClock {
    /// The drive's start, camera local time.
    pub start: NaiveDateTime,
    /// Local = UTC + this.
    pub utc_offset_s: i32,
    /// The drive's length in seconds.
    pub duration_s: f64,
}

impl DriveClock {
    /// Seconds into the drive of `at`.
    pub fn offset_of(&self, at: DateTime<Utc>) -> f64 {
        let local = at.naive_utc() + chrono::Duration::seconds(i64::from(self.utc_offset_s));
        (local - self.start).num_milliseconds() as f64 / 1000.0
    }

    /// Local time of `at`.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.naive_utc() + chrono::Duration::seconds(i64::from(self.utc_offset_s))
    }

    fn x(&self, t: f64) -> f64 {
        (t / self.duration_s.max(1.0)).clamp(0.0, 1.0) * CHART_W
    }
}

/// A speed in km/h and mph.
pub fn speed(kmh: f64) -> String {
    format!("{kmh:.1} km/h ({:.1} mph)", kmh / 1.609_344)
}

/// An impact in one line: local time, g, speed, position.
pub fn impact_line(clock: &DriveClock, i: &Impact) -> String {
    let mut text = format!(
        "{} · {:.2} g",
        format::full(clock.local(i.at_utc)),
        i.peak_g
    );
    if let Some(kmh) = i.speed_kmh {
        text += &format!(" · {}", speed(kmh));
    }
    if let Some(p) = i.position {
        text += &format!(" · {:.6}, {:.6}", p.lat, p.lon);
    }
    text
}

/// Seconds into the drive under a pointer event on a chart.
fn pointer_time(ev: &web_sys::PointerEvent, duration_s: f64) -> Option<f64> {
    let target = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    let rect = target.get_bounding_client_rect();
    (rect.width() > 0.0).then(|| {
        ((f64::from(ev.client_x()) - rect.left()) / rect.width()).clamp(0.0, 1.0) * duration_s
    })
}

/// Degrees to SVG units: the route's bounding box fitted in the drawing.
#[derive(Clone, Copy)]
struct Projection {
    max_lat: f64,
    min_lon: f64,
    squeeze: f64,
    scale: f64,
    pad_x: f64,
    pad_y: f64,
}

impl Projection {
    fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            self.pad_x + (lon - self.min_lon) * self.squeeze * self.scale,
            self.pad_y + (self.max_lat - lat) * self.scale,
        )
    }
}

/// The route as SVG polyline points, scaled to its bounding box, and the projection.
fn route_points(t: &DriveTelemetry) -> (String, Projection) {
    let (mut min_lat, mut max_lat, mut min_lon, mut max_lon) =
        (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for f in &t.track {
        min_lat = min_lat.min(f.position.lat);
        max_lat = max_lat.max(f.position.lat);
        min_lon = min_lon.min(f.position.lon);
        max_lon = max_lon.max(f.position.lon);
    }
    let squeeze = ((min_lat + max_lat) / 2.0).to_radians().cos().max(0.01);
    let (w, h) = (
        ((max_lon - min_lon) * squeeze).max(1e-9),
        (max_lat - min_lat).max(1e-9),
    );
    let scale = ((ROUTE_W - 20.0) / w).min((ROUTE_H - 20.0) / h);
    let (pad_x, pad_y) = ((ROUTE_W - w * scale) / 2.0, (ROUTE_H - h * scale) / 2.0);
    let projection = Projection {
        max_lat,
        min_lon,
        squeeze,
        scale,
        pad_x,
        pad_y,
    };
    let project = |lat: f64, lon: f64| projection.xy(lat, lon);
    let points = t
        .track
        .iter()
        .map(|f| {
            let (x, y) = project(f.position.lat, f.position.lon);
            format!("{x:.1},{y:.1}")
        })
        .collect::<Vec<_>>()
        .join(" ");
    (points, projection)
}

/// Offers a drive's track as a file.
fn save(t: &DriveTelemetry, name: &str, kind: &str) {
    let (text, mime, ext) = match kind {
        "gpx" => (export::to_gpx(t, name), "application/gpx+xml", "gpx"),
        "geojson" => (
            export::to_geojson(t, name),
            "application/geo+json",
            "geojson",
        ),
        _ => (export::to_csv(t), "text/csv", "csv"),
    };
    let file = format!("{}.{ext}", name.replace([' ', ':'], "-"));
    if let Err(e) = crate::export::download_text(&file, mime, &text) {
        web_sys::console::error_1(&e.into());
    }
}

/// The telemetry panel of the drive in the player.
#[component]
pub fn DriveTelemetryView(
    telemetry: Arc<DriveTelemetry>,
    clock: DriveClock,
    position: RwSignal<f64>,
    go_to: Callback<f64>,
) -> impl IntoView {
    let t = telemetry;
    if t.track.is_empty() && t.g_per_second.is_empty() {
        return view! { <p class="note">"No GPS or motion logs for this drive."</p> }.into_any();
    }
    let threshold = RwSignal::new(t.impact_threshold_g);
    let impacts = {
        let t = t.clone();
        Memo::new(move |_| {
            let th = threshold.get();
            if (th - t.impact_threshold_g).abs() < 1e-9 {
                t.impacts.clone()
            } else {
                t.impacts_at(th)
            }
        })
    };
    let name = format!("Drive {}", clock.start.format("%Y-%m-%d %H:%M"));
    // The route.
    let route = (!t.track.is_empty()).then(|| {
        let (points, projection) = route_points(&t);
        let project = move |lat: f64, lon: f64| projection.xy(lat, lon);
        let first = t.track.first().map(|f| project(f.position.lat, f.position.lon));
        let last = t.track.last().map(|f| project(f.position.lat, f.position.lon));
        let track = t.clone();
        let cursor = move || {
            let at = position.get();
            let i = track.track.partition_point(|f| clock.offset_of(f.at_utc) < at);
            let f = track.track.get(i.min(track.track.len().saturating_sub(1)))?;
            let (x, y) = project(f.position.lat, f.position.lon);
            Some(view! { <circle class="route-cursor" data-testid="route-cursor" cx=format!("{x:.1}") cy=format!("{y:.1}") r="5" /> })
        };
        let marks = move || {
            impacts
                .get()
                .into_iter()
                .filter_map(|i| {
                    let p = i.position?;
                    let (x, y) = project(p.lat, p.lon);
                    let at = clock.offset_of(i.at_utc);
                    Some(view! {
                        <circle class="route-impact" data-testid="route-impact" cx=format!("{x:.1}") cy=format!("{y:.1}") r="7"
                            on:click=move |_| go_to.run(at)><title>{format!("Impact {:.2} g", i.peak_g)}</title></circle>
                    })
                })
                .collect_view()
        };
        view! {
            <svg class="route" data-testid="route" viewBox=format!("0 0 {ROUTE_W} {ROUTE_H}") role="img"
                aria-label=format!("Route, {:.1} km", t.distance_km)>
                <polyline class="route-line" data-testid="route-line" points=points fill="none" />
                {first.map(|(x, y)| view! { <circle class="route-start" data-testid="route-start" cx=format!("{x:.1}") cy=format!("{y:.1}") r="6"><title>"Start"</title></circle> })}
                {last.map(|(x, y)| view! { <rect class="route-end" data-testid="route-end" x=format!("{:.1}", x - 5.0) y=format!("{:.1}", y - 5.0) width="10" height="10"><title>"End"</title></rect> })}
                {marks}
                {cursor}
            </svg>
        }
    });
    // The charts.
    let seek_at = move |ev: web_sys::PointerEvent, always: bool| {
        if (always || ev.buttons() == 1)
            && let Some(at) = pointer_time(&ev, clock.duration_s)
        {
            go_to.run(at);
        }
    };
    let cursor_line = move || {
        let x = clock.x(position.get());
        view! { <line class="chart-cursor" x1=format!("{x:.1}") x2=format!("{x:.1}") y1="0" y2=CHART_H.to_string() /> }
    };
    let max_kmh = t.max_speed_kmh.unwrap_or(0.0).max(10.0);
    let speed_points = t
        .track
        .iter()
        .filter_map(|f| {
            let v = f.speed_kmh?;
            Some(format!(
                "{:.1},{:.1}",
                clock.x(clock.offset_of(f.at_utc)),
                CHART_H - 5.0 - v / max_kmh * (CHART_H - 10.0)
            ))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let max_g = t.g_per_second.iter().map(|p| p.g).fold(3.0f64, f64::max);
    let gy = move |g: f64| CHART_H - 5.0 - (g / max_g) * (CHART_H - 10.0);
    let g_points = t
        .g_per_second
        .iter()
        .map(|p| format!("{:.1},{:.1}", clock.x(clock.offset_of(p.at_utc)), gy(p.g)))
        .collect::<Vec<_>>()
        .join(" ");
    let chart_marks = move || {
        impacts
            .get()
            .into_iter()
            .map(|i| {
                let x = clock.x(clock.offset_of(i.at_utc));
                view! { <circle class="chart-impact" data-testid="chart-impact" cx=format!("{x:.1}") cy=format!("{:.1}", gy(i.peak_g)) r="4" /> }
            })
            .collect_view()
    };
    let threshold_line = move || {
        let y = gy(1.0 + threshold.get());
        view! { <line class="chart-threshold" x1="0" x2=CHART_W.to_string() y1=format!("{y:.1}") y2=format!("{y:.1}") /> }
    };
    let list = move || {
        let items = impacts.get();
        if items.is_empty() {
            return view! { <p class="note" data-testid="no-impacts">"No impacts above the threshold."</p> }.into_any();
        }
        items
            .into_iter()
            .map(|i| {
                let at = clock.offset_of(i.at_utc);
                let osm = i.position.map(|p| {
                    format!(
                        "https://www.openstreetmap.org/?mlat={:.6}&mlon={:.6}#map=17/{:.6}/{:.6}",
                        p.lat, p.lon, p.lat, p.lon
                    )
                });
                view! {
                    <li>
                        <button type="button" class="button small" data-testid="impact" on:click=move |_| go_to.run(at)>
                            {format!("Impact: {}", impact_line(&clock, &i))}
                        </button>
                        {osm.map(|href| view! {
                            " " <a href=href target="_blank" rel="noopener noreferrer">"Open this point in OpenStreetMap"</a>
                        })}
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    let summary = match (t.track.is_empty(), t.max_speed_kmh) {
        (false, Some(kmh)) => format!("{:.2} km, top speed {}", t.distance_km, speed(kmh)),
        (false, None) => format!("{:.2} km", t.distance_km),
        (true, _) => "No GPS fixes".to_string(),
    };
    let exports = (!t.track.is_empty()).then(|| {
        ["gpx", "geojson", "csv"]
            .into_iter()
            .map(|kind| {
                let (t, name) = (t.clone(), name.clone());
                view! {
                    <button type="button" class="button small" on:click=move |_| save(&t, &name, kind)>
                        {format!("Export {}", kind.to_uppercase().replace("GEOJSON", "GeoJSON"))}
                    </button>
                }
            })
            .collect_view()
    });
    view! {
        <div class="telemetry" data-testid="telemetry">
            <p class="note" data-testid="telemetry-summary">{summary}</p>
            {route}
            <figure class="chart">
                <figcaption>"Speed (km/h)"</figcaption>
                <svg data-testid="speed-chart" viewBox=format!("0 0 {CHART_W} {CHART_H}") preserveAspectRatio="none"
                    on:pointerdown=move |ev| seek_at(ev, true) on:pointermove=move |ev| seek_at(ev, false)>
                    <polyline class="chart-line" points=speed_points fill="none" />
                    {cursor_line}
                </svg>
            </figure>
            <figure class="chart">
                <figcaption>"G-force (|a|, g)"</figcaption>
                <svg data-testid="g-chart" viewBox=format!("0 0 {CHART_W} {CHART_H}") preserveAspectRatio="none"
                    on:pointerdown=move |ev| seek_at(ev, true) on:pointermove=move |ev| seek_at(ev, false)>
                    <polyline class="chart-line" points=g_points fill="none" />
                    {threshold_line}
                    {chart_marks}
                    {cursor_line}
                </svg>
            </figure>
            <label>"Impact threshold (g above 1 g) "
                <input type="number" min="0.3" max="8" step="0.1" aria-label="Impact threshold"
                    prop:value=move || threshold.get().to_string()
                    on:input=move |ev| {
                        if let Ok(g) = event_target_value(&ev).parse::<f64>()
                            && (0.1..=16.0).contains(&g)
                        {
                            threshold.set(g);
                        }
                    } />
            </label>
            <ul class="impacts" data-testid="impacts">{list}</ul>
            <div class="player-tools">{exports}</div>
        </div>
    }
    .into_any()
}
