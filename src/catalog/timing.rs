//! When a recording started and how long it lasts, from the best evidence at hand.
//!
//! Start: the file name (what the camera meant), else the MP4 creation time when plausible, else
//! the FAT created time. Duration: the MP4 header, else the gap to the next segment of the same
//! camera (segments follow each other back to back), else a parking clip's typical length.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Where a recording's start time came from.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StartSource {
    /// A stamp in the file name.
    FileName,
    /// The creation time in the MP4 header (`mvhd`).
    Mp4Header,
    /// The directory entry's created time (FAT or exFAT; the name predates exFAT and stays,
    /// being part of the report format).
    FatCreated,
}

/// Where a recording's duration came from.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DurationSource {
    /// The MP4 header (`mvhd`).
    Mp4Header,
    /// The time until the next segment of the same camera started.
    NextSegment,
    /// The usual length of a parking clip on this model (30 s, 10 s on NEXC1).
    Typical,
}

/// Longest gap between two segments of one camera that still counts as "the next one": beyond
/// it the camera stopped, and the gap says nothing about the earlier segment's length.
pub const MAX_SEGMENT_SECONDS: i64 = 10 * 60;

/// Earliest creation time believed from a header or directory entry: before it, the camera's
/// clock was not set (many write 1970, 2000 or 2015-01-01 after a power loss).
fn plausible(t: NaiveDateTime) -> bool {
    use chrono::Datelike;
    (2010..=2099).contains(&t.year())
}

/// The start time of a recording and its source.
pub fn start_of(
    name_stamp: Option<NaiveDateTime>,
    header_created: Option<NaiveDateTime>,
    fat_created: Option<NaiveDateTime>,
) -> Option<(NaiveDateTime, StartSource)> {
    if let Some(t) = name_stamp {
        return Some((t, StartSource::FileName));
    }
    if let Some(t) = header_created.filter(|t| plausible(*t)) {
        return Some((t, StartSource::Mp4Header));
    }
    fat_created
        .filter(|t| plausible(*t))
        .map(|t| (t, StartSource::FatCreated))
}

/// Longest duration believed when placing a recording's end in time: a header claiming more
/// (a damaged or hostile one) is cut here rather than stretching a drive across days.
pub const MAX_BELIEVED_SECONDS: f64 = 24.0 * 3600.0;

/// `t` plus `seconds` (cut to 0..=[`MAX_BELIEVED_SECONDS`]); never overflows.
pub fn after(t: NaiveDateTime, seconds: f64) -> NaiveDateTime {
    let s = if seconds.is_finite() {
        seconds.clamp(0.0, MAX_BELIEVED_SECONDS)
    } else {
        0.0
    };
    chrono::TimeDelta::try_milliseconds((s * 1000.0) as i64)
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(t)
}

/// Seconds from `start` to `next_start` when that reads as a segment length.
pub fn gap_duration(start: NaiveDateTime, next_start: NaiveDateTime) -> Option<f64> {
    let gap = (next_start - start).num_milliseconds();
    (gap > 0 && gap <= MAX_SEGMENT_SECONDS * 1000).then(|| gap as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn t(y: i32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, 10, 12)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .unwrap()
    }

    #[test]
    fn the_name_wins_then_a_plausible_header_then_the_fat_entry() {
        let name = Some(t(2024, 7, 57));
        let header = Some(t(2024, 7, 58));
        let fat = Some(t(2024, 7, 59));
        assert_eq!(
            start_of(name, header, fat),
            Some((t(2024, 7, 57), StartSource::FileName))
        );
        assert_eq!(
            start_of(None, header, fat),
            Some((t(2024, 7, 58), StartSource::Mp4Header))
        );
        // A header from an unset clock is not believed.
        assert_eq!(
            start_of(None, Some(t(2000, 0, 0)), fat),
            Some((t(2024, 7, 59), StartSource::FatCreated))
        );
        assert_eq!(start_of(None, None, Some(t(1980, 0, 0))), None);
    }

    #[test]
    fn hostile_durations_are_cut_not_overflowed() {
        let start = t(2024, 7, 57);
        assert_eq!(after(start, 60.0), t(2024, 7, 58));
        assert_eq!(after(start, f64::NAN), start);
        assert_eq!(after(start, -5.0), start);
        assert_eq!(after(start, 1e300), start + chrono::Duration::hours(24));
        let last = NaiveDateTime::MAX;
        assert_eq!(after(last, 60.0), last);
    }

    #[test]
    fn a_gap_is_a_duration_only_when_segments_follow_each_other() {
        assert_eq!(gap_duration(t(2024, 7, 57), t(2024, 7, 58)), Some(60.0));
        assert_eq!(gap_duration(t(2024, 7, 57), t(2024, 9, 0)), None);
        assert_eq!(gap_duration(t(2024, 7, 57), t(2024, 7, 57)), None);
    }
}
