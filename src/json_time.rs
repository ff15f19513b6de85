//! Camera local times written into the JSON report, fast and byte for byte as chrono writes
//! them (`2024-10-12T07:57:01`, then `.500`, `.500250` or `.500250125` when there is a
//! fraction).
//!
//! A 256 GB card's report holds some 50,000 such times. chrono's own `Serialize` hands
//! serde_json a `Display` that arrives in many small pieces, each escaped on its own: a large
//! share of the report's writing time. Here a time is formatted into a small buffer and
//! written as one string. Anything outside the plain case (a year before 0 or after 9999, a
//! leap second) is left to chrono, so the output never differs from it.

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::{Serialize, Serializer};

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn`: the longest plain time.
const LONGEST: usize = 29;

/// A local time as chrono's `Serialize` writes it.
pub fn local<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; LONGEST];
    match plain(t, &mut buf) {
        Some(text) => s.serialize_str(text),
        None => t.serialize(s),
    }
}

/// [`local`] for a time that may be missing (`null`).
pub fn local_or_null<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => local(t, s),
        None => s.serialize_none(),
    }
}

/// `t` written into `buf` as chrono's ISO 8601 form, or `None` outside the plain case.
fn plain<'b>(t: &NaiveDateTime, buf: &'b mut [u8; LONGEST]) -> Option<&'b str> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nano = t.nanosecond();
    if nano >= 1_000_000_000 {
        return None;
    }
    let fields = [
        (year, 4, b'-'),
        (t.month(), 2, b'-'),
        (t.day(), 2, b'T'),
        (t.hour(), 2, b':'),
        (t.minute(), 2, b':'),
        (t.second(), 2, b'.'),
    ];
    let mut at = 0;
    for (value, width, after) in fields {
        digits(value, &mut buf[at..at + width]);
        at += width;
        buf[at] = after;
        at += 1;
    }
    // The '.' after the seconds stays only with a fraction: 3, 6 or 9 digits, the fewest that
    // hold it.
    let len = match nano {
        0 => at - 1,
        n if n % 1_000_000 == 0 => {
            digits(n / 1_000_000, &mut buf[at..at + 3]);
            at + 3
        }
        n if n % 1_000 == 0 => {
            digits(n / 1_000, &mut buf[at..at + 6]);
            at + 6
        }
        n => {
            digits(n, &mut buf[at..at + 9]);
            at + 9
        }
    };
    std::str::from_utf8(&buf[..len]).ok()
}

/// `value`'s last `out.len()` decimal digits, zero-padded.
fn digits(mut value: u32, out: &mut [u8]) {
    for place in out.iter_mut().rev() {
        *place = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[derive(Serialize)]
    struct Fast {
        #[serde(serialize_with = "local")]
        t: NaiveDateTime,
        #[serde(serialize_with = "local_or_null")]
        maybe: Option<NaiveDateTime>,
    }

    #[derive(Serialize)]
    struct Chrono {
        t: NaiveDateTime,
        maybe: Option<NaiveDateTime>,
    }

    #[test]
    fn writes_every_time_exactly_as_chrono_does() {
        let mut times = Vec::new();
        for (y, mo, d) in [
            (2024, 10, 12),
            (1980, 1, 1),
            (2107, 12, 31),
            (9, 2, 29),
            (0, 1, 1),
        ] {
            for (h, mi, s) in [(0, 0, 0), (7, 57, 1), (23, 59, 59)] {
                for nano in [
                    0,
                    500_000_000,
                    10_000_000,
                    1_000_000,
                    250_000,
                    500_250_000,
                    1,
                    999_999_999,
                    123_456_789,
                    1_500_000_000,
                ] {
                    let date = NaiveDate::from_ymd_opt(y, mo, d);
                    times.extend(date.and_then(|d| d.and_hms_nano_opt(h, mi, s, nano)));
                }
            }
        }
        // Years chrono writes with a sign.
        times.extend(NaiveDate::from_ymd_opt(-1, 3, 4).and_then(|d| d.and_hms_opt(1, 2, 3)));
        times.extend(NaiveDate::from_ymd_opt(12345, 3, 4).and_then(|d| d.and_hms_opt(1, 2, 3)));
        times.push(NaiveDateTime::MIN);
        times.push(NaiveDateTime::MAX);
        assert!(times.len() > 100);
        for t in times {
            for maybe in [Some(t), None] {
                let fast = serde_json::to_string(&Fast { t, maybe }).unwrap();
                let chrono = serde_json::to_string(&Chrono { t, maybe }).unwrap();
                assert_eq!(fast, chrono);
            }
        }
    }
}
