//! The camera's clock readings as UTC instants, and which of them to believe.
//!
//! Both sidecar headers stamp the Linux clock (`get_linux_time`, seconds since 1970 in UTC). Before
//! Linux answers, that call zeroes the time and fails, so a file opened early in a boot carries
//! `0`; such a stamp says nothing, and the caller's fallback (e.g. the UTC time in the clip's
//! name) is used instead.

use chrono::{DateTime, Utc};

/// Earliest clock reading taken as real: 2016-01-01T00:00:00Z, years before these cameras. Earlier
/// stamps come from a clock that was never set.
pub const MIN_PLAUSIBLE_UNIX_S: i64 = 1_451_606_400;

/// Latest clock reading taken as real: 2100-01-01T00:00:00Z.
pub const MAX_PLAUSIBLE_UNIX_S: i64 = 4_102_444_800;

/// `unix_s` seconds and `micros` microseconds after 1970 as an instant, when that is a date the
/// camera could have recorded; `micros` may exceed a second (the firmware can print 1,000,000).
pub fn plausible(unix_s: i64, micros: i64) -> Option<DateTime<Utc>> {
    if !(0..=2_000_000).contains(&micros) {
        return None;
    }
    from_unix_micros(unix_s.checked_mul(1_000_000)?.checked_add(micros)?)
        .filter(|at| is_plausible(*at))
}

/// True for an instant the camera could have recorded.
pub fn is_plausible(at: DateTime<Utc>) -> bool {
    (MIN_PLAUSIBLE_UNIX_S..MAX_PLAUSIBLE_UNIX_S).contains(&at.timestamp())
}

/// Microseconds since 1970 as an instant (any value chrono can represent).
pub fn from_unix_micros(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
}

/// An instant as microseconds since 1970.
pub fn unix_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// `at` formatted for files: RFC 3339 in UTC with a `Z`, fractions only when there are any.
pub fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_clocks_are_refused() {
        assert_eq!(plausible(0, 0), None);
        assert_eq!(plausible(86_400 * 365, 0), None);
        assert_eq!(plausible(1_700_000_000, -1), None);
        assert_eq!(plausible(i64::MAX, 0), None);
        let at = plausible(1_700_000_000, 1_000_000).unwrap();
        assert_eq!(format(at), "2023-11-14T22:13:21Z");
        assert_eq!(
            format(plausible(1_700_000_000, 250_000).unwrap()),
            "2023-11-14T22:13:20.250Z"
        );
    }
}
