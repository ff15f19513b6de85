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
