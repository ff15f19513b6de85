//! The camera's time zone, and times as people read them with it.
//!
//! First-generation cameras name clips in camera local time and the card stores no zone: times
//! are shown as they are, with no offset. The newer cameras (Beam 2K, Zero, N1) name clips in
//! UTC and write their zone setting into every `.imu` sidecar's header (`timezone=`, seconds
//! east of UTC). The reader reads the newest few (see [`crate::imu_headers`]); the newest that
//! gives a zone is the camera's setting now, and one offset serves the whole card (a change of
//! setting, e.g. for daylight saving, is not followed back through older clips).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::listing::Listing;

/// The factory default zone (UTC+8, `SvcUserPref.c:208`): a camera still on it was likely never
/// set up, so the source says so.
const FACTORY_DEFAULT_OFFSET_S: i32 = 8 * 3600;

/// The zone times are shown in.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeZone {
    /// Seconds east of UTC (local = UTC + this); `None` when not known.
    pub utc_offset_s: Option<i32>,
    /// Where it came from, in words.
    pub source: String,
    /// The card's names are UTC (newer cameras): local times are UTC shifted by the offset,
    /// or UTC itself when the offset is unknown.
    pub utc_names: bool,
}

impl TimeZone {
    /// The zone of the card `listing` describes; `utc_names` when its clips are named in UTC.
    pub fn of(listing: &Listing, utc_names: bool) -> Self {
        if !utc_names {
            return Self {
                utc_offset_s: None,
                source: "camera local time: first-generation Nexar cameras name clips in local time and the card stores no zone".to_string(),
                utc_names,
            };
        }
        let found = listing.imu_headers.iter().find_map(|h| {
            let offset = h.header.timezone_offset_s?;
            let path = &listing.files.get(h.index)?.path;
            Some((offset, path.as_str()))
        });
        match found {
            Some((offset, path)) => {
                let mut source = format!("the camera's setting, from the header of {path}");
                if offset == FACTORY_DEFAULT_OFFSET_S {
                    source.push_str(" (the factory default UTC+8: it may never have been set)");
                }
                Self {
                    utc_offset_s: Some(offset),
                    source,
                    utc_names,
                }
            }
            None => Self {
                utc_offset_s: None,
                source: "unknown: no .imu sidecar header gives the camera's zone, so times are shown in UTC".to_string(),
                utc_names,
            },
        }
    }

    /// `utc` as the camera's local wall-clock time (UTC itself when the offset is unknown).
    pub fn local(&self, utc: DateTime<Utc>) -> NaiveDateTime {
        let shift = chrono::TimeDelta::seconds(i64::from(self.utc_offset_s.unwrap_or(0)));
        utc.naive_utc()
            .checked_add_signed(shift)
            .unwrap_or(utc.naive_utc())
    }

    /// How to label a local time: "UTC−5", "UTC+5:30", "UTC" (a UTC-named card whose zone is
    /// unknown, or zone 0), or "camera time" (first generation: no zone known).
    pub fn label(&self) -> String {
        match self.utc_offset_s {
            Some(s) => offset_words(s),
            None if self.utc_names => "UTC".to_string(),
            None => "camera time".to_string(),
        }
    }

    /// `t` (a local time from this card) with its zone: "17:30 (UTC−5)" in `format`.
    pub fn show(&self, t: NaiveDateTime, format: &str) -> String {
        format!("{} ({})", t.format(format), self.label())
    }
}

/// "UTC−5", "UTC+5:30", "UTC" (with a real minus sign, as people write it).
pub fn offset_words(seconds: i32) -> String {
    if seconds == 0 {
        return "UTC".to_string();
    }
    let sign = if seconds < 0 { '−' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    match minutes % 60 {
        0 => format!("UTC{sign}{}", minutes / 60),
        m => format!("UTC{sign}{}:{m:02}", minutes / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::{ImuHeaderAt, ListedFile};
    use crate::telemetry::ImuHeader;

    fn with_zone(offset: Option<i32>) -> Listing {
        Listing {
            files: vec![ListedFile {
                path: "video/.imu/20241012_223000A.dat".to_string(),
                ..ListedFile::default()
            }],
            imu_headers: vec![ImuHeaderAt {
                index: 0,
                header: ImuHeader {
                    timezone_offset_s: offset,
                    ..ImuHeader::default()
                },
            }],
            ..Listing::default()
        }
    }

    #[test]
    fn the_newest_header_gives_the_zone_and_times_say_it() {
        let tz = TimeZone::of(&with_zone(Some(-18000)), true);
        assert_eq!(tz.utc_offset_s, Some(-18000));
        assert!(tz.source.contains("20241012_223000A.dat"));
        let utc = DateTime::from_timestamp(1_728_772_200, 0).unwrap(); // 2024-10-12 22:30Z
        let local = tz.local(utc);
        assert_eq!(tz.show(local, "%H:%M"), "17:30 (UTC−5)");
        let factory = TimeZone::of(&with_zone(Some(28800)), true);
        assert!(factory.source.contains("factory default"));
        let unknown = TimeZone::of(&with_zone(None), true);
        assert_eq!(
            (unknown.utc_offset_s, unknown.label()),
            (None, "UTC".to_string())
        );
        assert_eq!(unknown.local(utc), utc.naive_utc());
        let first = TimeZone::of(&with_zone(Some(3600)), false);
        assert_eq!(
            (first.utc_offset_s, first.label()),
            (None, "camera time".to_string())
        );
        assert_eq!(offset_words(19800), "UTC+5:30");
        assert_eq!(offset_words(-12600), "UTC−3:30");
    }
}
