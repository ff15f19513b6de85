//! The start time a camera wrote into a file name.
//!
//! Dash cams name clips after the moment recording started, in camera local time. Names differ
//! between models and firmware, so the stamp is looked for anywhere in the stem, after any
//! prefix, in each of the layouts below. Matching is by fixed-width digit fields, so a stamp is
//! never read out of a longer run of digits.

use chrono::{NaiveDate, NaiveDateTime};

/// Stamp layouts, longest first: `Y` year digits, `M` month, `D` day, `h`/`m`/`s` time, `_` a
/// separator (`_`, `-`, `T` or a space), `-` a dash.
const LAYOUTS: &[&str] = &[
    "YYYY-MM-DD_hh-mm-ss",
    "YYYYMMDD_hhmmss",
    "YYYYMMDDhhmmss",
    "YYYY_MMDD_hhmmss",
    "YYMMDD_hhmmss",
];

/// A stamp found in a name: the time and where it ends in the stem (in bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameStamp {
    /// The time the name carries.
    pub time: NaiveDateTime,
    /// Byte index just past the stamp, so a camera suffix is not read out of the stamp itself.
    pub end: usize,
}

/// The first plausible stamp in `stem` (2000–2099), or `None`.
pub fn stamp_in_name(stem: &str) -> Option<NameStamp> {
    let bytes = stem.as_bytes();
    for start in 0..bytes.len() {
        // A stamp starts a digit run: "x20241012" yes, "120241012" no.
        if !bytes[start].is_ascii_digit() || (start > 0 && bytes[start - 1].is_ascii_digit()) {
            continue;
        }
        for layout in LAYOUTS {
            if let Some(time) = match_layout(&bytes[start..], layout.as_bytes()) {
                let end = start + layout.len();
                // Nor does it end inside a longer run of digits.
                if bytes.get(end).is_some_and(u8::is_ascii_digit) {
                    continue;
                }
                return Some(NameStamp { time, end });
            }
        }
    }
    None
}

fn match_layout(text: &[u8], layout: &[u8]) -> Option<NaiveDateTime> {
    if text.len() < layout.len() {
        return None;
    }
    let mut fields = [0u32; 6]; // year, month, day, hour, minute, second
    let mut year_digits = 0;
    for (&c, &l) in text.iter().zip(layout) {
        let slot = match l {
            b'Y' => 0,
            b'M' => 1,
            b'D' => 2,
            b'h' => 3,
            b'm' => 4,
            b's' => 5,
            b'_' => {
                if !matches!(c, b'_' | b'-' | b'T' | b' ') {
                    return None;
                }
                continue;
            }
            other => {
                if c != other {
                    return None;
                }
                continue;
            }
        };
        if !c.is_ascii_digit() {
            return None;
        }
        fields[slot] = fields[slot] * 10 + u32::from(c - b'0');
        if slot == 0 {
            year_digits += 1;
        }
    }
    let year = if year_digits == 2 {
        2000 + fields[0]
    } else {
        fields[0]
    };
    if !(2000..=2099).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year as i32, fields[1], fields[2])?
        .and_hms_opt(fields[3], fields[4], fields[5])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<(String, usize)> {
        stamp_in_name(s).map(|n| (n.time.format("%Y-%m-%d %H:%M:%S").to_string(), n.end))
    }

    #[test]
    fn every_layout_is_found_after_any_prefix() {
        let want = "2024-10-12 07:57:00".to_string();
        assert_eq!(at("20241012_075700_1"), Some((want.clone(), 15)));
        assert_eq!(at("20241012075700A"), Some((want.clone(), 14)));
        assert_eq!(at("NEXAR_241012_075700_B"), Some((want.clone(), 19)));
        assert_eq!(at("2024-10-12_07-57-00_U"), Some((want.clone(), 19)));
        assert_eq!(at("REC2024_1012_075700X"), Some((want.clone(), 19)));
        assert_eq!(at("clip 20241012-075700"), Some((want, 20)));
    }

    #[test]
    fn impossible_or_embedded_numbers_are_not_stamps() {
        assert_eq!(at("20241312_075700_1"), None); // month 13
        assert_eq!(at("20240230_075700_1"), None); // Feb 30
        assert_eq!(at("20241012_256000_1"), None); // hour 25
        assert_eq!(at("120241012_075700"), None); // inside a longer number
        assert_eq!(at("20241012_0757001"), None); // nor followed by more digits
        assert_eq!(at("19991012_075700_1"), None); // before dash cams wrote this
        assert_eq!(at("GRMN0001"), None);
        assert_eq!(at(""), None);
    }
}
