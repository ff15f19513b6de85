//! Numbers and times as the page shows them. Times are camera local time; where the card knows
//! the camera's zone (the newer cameras), every time says it: "17:30 (UTC−5)".

use chrono::NaiveDateTime;
use dashcard::catalog::time_zone::TimeZone;

/// Bytes in decimal units, like the label on a card: "31.9 GB".
pub use dashcard::estimate::decimal_bytes as bytes;

/// A length of time: "45 s", "12 min", "1 h 05 min".
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else {
        format!("{} h {:02} min", s / 3600, s / 60 % 60)
    }
}

/// "Oct 12, 07:57".
pub fn when(t: NaiveDateTime) -> String {
    t.format("%b %-d, %H:%M").to_string()
}

/// "Sat Oct 12, 2024".
pub fn day(t: NaiveDateTime) -> String {
    t.format("%a %b %-d, %Y").to_string()
}

/// "07:57".
pub fn clock(t: NaiveDateTime) -> String {
    t.format("%H:%M").to_string()
}

/// "2024-10-12 07:57:00".
pub fn full(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `text`, a time of a card in zone `tz`, with the zone when the card knows it: "17:30
/// (UTC−5)"; first-generation cards' times as they are (the page says once that they are
/// camera local time).
pub fn in_zone(tz: &TimeZone, text: String) -> String {
    if tz.utc_names {
        format!("{text} ({})", tz.label())
    } else {
        text
    }
}

/// Kilometres in a mile.
const KM_PER_MILE: f64 = 1.609_344;

/// Whether the reader's locale measures roads in miles (the United States, the United
/// Kingdom, Liberia, Myanmar), from the browser's language ("en-US"): speeds and distances
/// then lead with miles. Read once.
pub fn miles() -> bool {
    thread_local! {
        static MILES: bool = {
            let language = web_sys::window()
                .and_then(|w| js_sys::Reflect::get(&w, &"navigator".into()).ok())
                .and_then(|n| js_sys::Reflect::get(&n, &"language".into()).ok())
                .and_then(|l| l.as_string())
                .unwrap_or_default();
            miles_in(&language)
        };
    }
    MILES.with(|m| *m)
}

/// Whether a BCP 47 language tag's region drives in miles.
fn miles_in(language: &str) -> bool {
    language.split(['-', '_']).skip(1).any(|part| {
        matches!(
            part.to_ascii_uppercase().as_str(),
            "US" | "GB" | "LR" | "MM"
        )
    })
}

/// A speed in both units, the reader's first: "33.7 km/h (20.9 mph)" or "20.9 mph (33.7 km/h)".
pub fn speed(kmh: f64) -> String {
    let mph = kmh / KM_PER_MILE;
    if miles() {
        format!("{mph:.1} mph ({kmh:.1} km/h)")
    } else {
        format!("{kmh:.1} km/h ({mph:.1} mph)")
    }
}

/// The reader's speed unit, for chart captions.
pub fn speed_unit() -> &'static str {
    if miles() { "mph" } else { "km/h" }
}

/// A distance in both units, the reader's first: "3.21 km (1.99 mi)".
pub fn distance(km: f64) -> String {
    let mi = km / KM_PER_MILE;
    if miles() {
        format!("{mi:.2} mi ({km:.2} km)")
    } else {
        format!("{km:.2} km ({mi:.2} mi)")
    }
}
