//! The GNSS log, `.gnss/<stem>.txt` [gnss_record.c].
//!
//! The file opens with `t0=<UTC s>.<ms>` and `ts=0.001` [29]; then, about once a second, six
//! lines `type,t,…` [208-302]:
//!
//! - `1,t,ax,ay,az`: acceleration in m/s² (once a second; the `.imu` log has it at 50 Hz).
//! - `2,t,…` and `7,t,…`: meant as acceleration and rotation ×1000, but floats are printed with
//!   `%d`, so the numbers are garbage [217-221, 239-243].
//! - `5,t,…` and `6,t,…`: identical; rotation x, then acceleration y and z (a copy-paste bug).
//! - `10,t,status,HHMMSS00,lat,lon,speed,course,ANNN,num_sv,hdop,alt,geoid` [288-300]: the fix.
//!
//! Only the type-10 lines are kept. Their fields, as the source prints them:
//!
//! - `status`: 0 no receiver, 1 receiver without a fix, 2 the last RMC sentence said `A`
//!   (valid) [245-258]. Only status 2 carries a position; the others print zeros and empties.
//! - `HHMMSS00`: the RMC sentence's UTC time of day with `00` appended.
//! - `lat`, `lon`: see [`super::coordinate`].
//! - `speed`, `course`: the RMC text unchanged: knots and degrees (the firmware's own km/h
//!   conversion, ×1.932, is not what it prints).
//! - `num_sv`: an array passed to `%d`, so an address, not a count [gnss_parser.h:56]; ignored.
//! - `hdop` (`%.2f`) and `alt` (`int(m × 10)`) come from the GGA sentence; both stay 0 until a GGA
//!   has been read, so an HDOP of 0 means the altitude is unknown, not sea level.
//!
//! **The time of a fix.** `t` is computed as `(now_s + now_ms) − (t0_s + t0_ms)`, seconds and
//! milliseconds added as if they were the same unit, so `t0 + t` is off by up to ±999 s [212].
//! The `HHMMSS` field is the receiver's own UTC clock, exact to the second, but has no date. A
//! fix's time is therefore `HHMMSS` on the day that puts it nearest to `t0 + t` (a segment is
//! minutes long, so that is never ambiguous, and midnight is crossed correctly).

use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

use super::coordinate::{self, Axis};
use super::geo::LatLon;
use super::lines::{Line, lines};
use super::utc;

/// Kilometres per hour in one knot (the RMC speed unit).
pub const KMH_PER_KNOT: f64 = 1.852;

/// Kilometres in a mile.
pub const KM_PER_MILE: f64 = 1.609_344;

/// Most fixes kept from one log: 18 hours at one a second, far past any segment (5 minutes at
/// most). Further fixes are counted in [`GnssLog::dropped_fixes`].
pub const MAX_FIXES: usize = 65_536;

/// `t` values beyond this are not used to date fixes (a sane `t` is minutes at most).
const MAX_USABLE_T_S: i64 = 6 * 3600;

/// One fix: where the camera was, and how fast it moved, at a UTC second.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// The receiver's UTC time of the fix.
    pub at_utc: DateTime<Utc>,
    /// Where.
    pub position: LatLon,
    /// Speed over ground in km/h; `None` when the receiver sent none.
    pub speed_kmh: Option<f64>,
    /// Course over ground in degrees from true north; `None` when the receiver sent none (many
    /// do when standing still).
    pub course_deg: Option<f64>,
    /// Altitude above mean sea level in metres (0.1 m steps); `None` before any GGA sentence.
    pub altitude_m: Option<f64>,
    /// Horizontal dilution of precision; `None` before any GGA sentence.
    pub hdop: Option<f64>,
}

impl Fix {
    /// Speed in miles per hour.
    pub fn speed_mph(&self) -> Option<f64> {
        self.speed_kmh.map(|kmh| kmh / KM_PER_MILE)
    }
}

/// What one `.gnss` log holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GnssLog {
    /// The header's `t0` (when the file was opened), when it is a plausible time.
    pub t0_utc: Option<DateTime<Utc>>,
    /// Type-10 lines read (one a second while recording).
    pub points: usize,
    /// Of those, how many said no receiver was connected (status 0).
    pub no_receiver: usize,
    /// Of those, how many had a receiver but no position (status 1, or 2 without one).
    pub no_fix: usize,
    /// The fixes, in file order.
    pub fixes: Vec<Fix>,
    /// Motion lines (types 1, 2, 5, 6, 7) recognised and ignored.
    pub motion_lines: usize,
    /// Lines that could not be read: damaged, cut short, or of no known kind.
    pub skipped_lines: usize,
    /// Fixes that could not be given a date: neither `t0` nor the caller's fallback was usable.
    pub undated_fixes: usize,
    /// Fixes past [`MAX_FIXES`], not kept.
    pub dropped_fixes: usize,
}

/// Reads a `.gnss` log. `fallback_start` stands in for `t0` when the header's is missing or
/// unset (the file was opened before Linux gave the time): pass the clip's start in UTC, e.g. from
/// its name. Never fails: unreadable lines are counted in [`GnssLog::skipped_lines`].
pub fn parse_gnss(bytes: &[u8], fallback_start: Option<DateTime<Utc>>) -> GnssLog {
    let mut log = GnssLog::default();
    let mut header_t0: Option<Option<DateTime<Utc>>> = None;
    for line in lines(bytes) {
        let Line::Text(text) = line else {
            log.skipped_lines += 1;
            continue;
        };
        if let Some(value) = text.strip_prefix("t0=") {
            match (header_t0, parse_t0(value)) {
                (None, Some(t0)) => header_t0 = Some(t0),
                _ => log.skipped_lines += 1,
            }
            continue;
        }
        if text.starts_with("ts=") {
            continue;
        }
        let reference = header_t0.flatten().or(fallback_start);
        if !read_record(text, reference, &mut log) {
            log.skipped_lines += 1;
        }
    }
    log.t0_utc = header_t0.flatten();
    log
}

/// The header's `t0` value, `<s>.<ms>` (`%d.%.3d`): `Some(None)` when well formed but unset.
fn parse_t0(value: &str) -> Option<Option<DateTime<Utc>>> {
    let (seconds, millis) = value.split_once('.')?;
    if millis.is_empty() || millis.len() > 4 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = seconds.parse().ok()?;
    let millis: i64 = millis.parse().ok()?;
    if millis > 1000 {
        return None;
    }
    Some(utc::plausible(seconds, millis * 1000))
}

/// Reads one `type,t,…` line into `log`; false when it is not one.
fn read_record(text: &str, reference: Option<DateTime<Utc>>, log: &mut GnssLog) -> bool {
    let mut fields = [""; 13];
    let mut count = 0;
    for field in text.split(',') {
        let Some(slot) = fields.get_mut(count) else {
            return false;
        };
        *slot = field;
        count += 1;
    }
    let [kind, t, rest @ ..] = fields;
    let Ok(t) = t.parse::<i64>() else {
        return false;
    };
    match kind {
        "1" | "5" | "6" if count == 5 => {
            let ok = rest[..3].iter().all(|v| v.parse::<f64>().is_ok());
            log.motion_lines += usize::from(ok);
            ok
        }
        "2" | "7" if count == 5 => {
            let ok = rest[..3].iter().all(|v| v.parse::<i64>().is_ok());
            log.motion_lines += usize::from(ok);
            ok
        }
        "10" if count == 13 => read_fix(&fields, t, reference, log),
        _ => false,
    }
}

/// A well-formed type-10 line.
enum Record {
    /// Status 0: no receiver connected.
    NoReceiver,
    /// Status 1, or status 2 with empty position fields.
    NoPosition,
    /// Status 2 with a position.
    Position(FixFields),
}

/// The values of a type-10 line with a position, as printed.
struct FixFields {
    time_of_day: NaiveTime,
    position: LatLon,
    speed_knots: Option<f64>,
    course_deg: Option<f64>,
    hdop: f64,
    altitude_dm: i32,
}

/// Reads the fields of a type-10 line and adds it to `log`; false when they are malformed.
fn read_fix(f: &[&str; 13], t: i64, reference: Option<DateTime<Utc>>, log: &mut GnssLog) -> bool {
    let Some(record) = parse_fix_fields(f) else {
        return false;
    };
    log.points += 1;
    let fields = match record {
        Record::NoReceiver => {
            log.no_receiver += 1;
            return true;
        }
        Record::NoPosition => {
            log.no_fix += 1;
            return true;
        }
        Record::Position(fields) => fields,
    };
    let near = reference.map(|reference| {
        let shift = Duration::seconds(if t.abs() <= MAX_USABLE_T_S { t } else { 0 });
        reference.checked_add_signed(shift).unwrap_or(reference)
    });
    let Some(at_utc) = near.and_then(|near| nearest_instant(fields.time_of_day, near)) else {
        log.undated_fixes += 1;
        return true;
    };
    if log.fixes.len() >= MAX_FIXES {
        log.dropped_fixes += 1;
        return true;
    }
    let has_gga = fields.hdop > 0.0;
    log.fixes.push(Fix {
        at_utc,
        position: fields.position,
        speed_kmh: fields.speed_knots.map(|knots| knots * KMH_PER_KNOT),
        course_deg: fields.course_deg,
        altitude_m: has_gga.then(|| f64::from(fields.altitude_dm) / 10.0),
        hdop: has_gga.then_some(fields.hdop),
    });
    true
}

/// The meaning of a type-10 line's fields, or `None` when they are malformed.
fn parse_fix_fields(f: &[&str; 13]) -> Option<Record> {
    let status = f[2].parse::<u8>().ok()?;
    let time_of_day = parse_time_of_day(f[3])?;
    if f[8].len() != 4 || !f[8].bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let hdop = f[10]
        .parse::<f64>()
        .ok()
        .filter(|h| h.is_finite() && *h >= 0.0)?;
    let altitude_dm = f[11].parse::<i32>().ok()?;
    match status {
        0 => return Some(Record::NoReceiver),
        1 => return Some(Record::NoPosition),
        2 if f[4].is_empty() || f[5].is_empty() => return Some(Record::NoPosition),
        2 => {}
        _ => return None,
    }
    Some(Record::Position(FixFields {
        time_of_day: time_of_day?,
        position: LatLon {
            lat: coordinate::parse(f[4], Axis::Latitude)?,
            lon: coordinate::parse(f[5], Axis::Longitude)?,
        },
        speed_knots: optional_number(f[6], 0.0, 1000.0)?,
        course_deg: optional_number(f[7], 0.0, 360.0)?,
        hdop,
        altitude_dm,
    }))
}

/// `HHMMSS00` [292]: `Some(Some(time))`; `Some(None)` when the digits are not a time of day
/// (only an error on a line with a fix); `None` when the field is not eight digits.
fn parse_time_of_day(text: &str) -> Option<Option<NaiveTime>> {
    if text.len() != 8 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number =
        |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u32>().ok());
    let (h, m, s) = (number(0..2)?, number(2..4)?, number(4..6)?);
    Some(NaiveTime::from_hms_opt(h, m, s))
}

/// An optional number field: `Some(None)` when empty, `None` when malformed or outside `min..=max`.
fn optional_number(text: &str, min: f64, max: f64) -> Option<Option<f64>> {
    if text.is_empty() {
        return Some(None);
    }
    let value: f64 = text.parse().ok()?;
    (value.is_finite() && (min..=max).contains(&value)).then_some(Some(value))
}

/// The instant with UTC time of day `time` nearest to `near` (on its day, the day before or
/// the day after).
fn nearest_instant(time: NaiveTime, near: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let day = near.date_naive();
    [day.pred_opt(), Some(day), day.succ_opt()]
        .into_iter()
        .flatten()
        .map(|d| d.and_time(time).and_utc())
        .min_by_key(|at| (*at - near).num_seconds().abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    const T0: &str = "t0=1728719820.042\nts=0.001\n"; // 2024-10-12T07:57:00.042Z

    #[test]
    fn reads_a_fix() {
        let text =
            format!("{T0}10,3,2,07570300,4807038,01131000,22.4,84.4,ANNN,-1092,0.90,5452,47.9\n");
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!(log.skipped_lines, 0);
        assert_eq!(log.t0_utc, Some(at("2024-10-12T07:57:00.042Z")));
        assert_eq!(log.points, 1);
        let fix = &log.fixes[0];
        assert_eq!(fix.at_utc, at("2024-10-12T07:57:03Z"));
        assert!((fix.position.lat - (48.0 + 7.038 / 60.0)).abs() < 1e-9);
        assert!((fix.position.lon - (11.0 + 31.0 / 60.0)).abs() < 1e-9);
        assert!((fix.speed_kmh.unwrap() - 41.4848).abs() < 1e-9);
        assert!((fix.speed_mph().unwrap() - 25.7772).abs() < 1e-3);
        assert_eq!(fix.course_deg, Some(84.4));
        assert_eq!(fix.altitude_m, Some(545.2));
        assert_eq!(fix.hdop, Some(0.9));
    }

    #[test]
    fn no_fix_lines_and_motion_lines() {
        let text = format!(
            "{T0}1,1,0.122000,-0.345000,9.810000\n2,1,-1610612736,1075052544,0\n\
             5,1,0.010000,-0.345000,9.810000\n6,1,0.010000,-0.345000,9.810000\n\
             7,1,0,0,-1073741824\n10,1,0,00000000,,,,,ANNN,-1092,0.00,0,0.0\n\
             10,2,1,00000000,,,,,ANNN,-1092,0.00,0,0.0\n"
        );
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!(log.skipped_lines, 0);
        assert_eq!(log.motion_lines, 5);
        assert_eq!((log.points, log.no_receiver, log.no_fix), (2, 1, 1));
        assert!(log.fixes.is_empty());
    }

    #[test]
    fn midnight_is_crossed_by_the_receiver_clock() {
        // t0 just after midnight, fix stamped 23:59:59 of the day before; and the other way.
        let text = "t0=1728691205.000\nts=0.001\n10,-3,2,23595900,4807038,01131000,0.0,,ANNN,0,0.00,0,0.0\n";
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!(log.fixes[0].at_utc, at("2024-10-11T23:59:59Z"));
        let text = "t0=1728691195.000\nts=0.001\n10,7,2,00000200,4807038,01131000,0.0,,ANNN,0,0.00,0,0.0\n";
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!(log.fixes[0].at_utc, at("2024-10-12T00:00:02Z"));
        assert_eq!(log.fixes[0].course_deg, None);
        assert_eq!(
            log.fixes[0].altitude_m, None,
            "no GGA yet: altitude unknown"
        );
    }

    #[test]
    fn drifting_t_does_not_move_the_fix() {
        // t = 5 s + (ms − t0_ms) = 5 + (10 − 900) = −885: the fix still lands on its own second.
        let text = "t0=1728719820.900\nts=0.001\n10,-885,2,07570500,4807038,01131000,1.0,10.0,ANNN,0,1.00,100,0.0\n";
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!(log.fixes[0].at_utc, at("2024-10-12T07:57:05Z"));
    }

    #[test]
    fn unset_clock_uses_the_fallback() {
        let text =
            "t0=0.000\nts=0.001\n10,4,2,07570400,4807038,01131000,1.0,10.0,ANNN,0,1.00,100,0.0\n";
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!(log.t0_utc, None);
        assert_eq!(
            (log.fixes.len(), log.undated_fixes, log.skipped_lines),
            (0, 1, 0)
        );
        let log = parse_gnss(text.as_bytes(), Some(at("2024-10-12T07:57:00Z")));
        assert_eq!(log.fixes[0].at_utc, at("2024-10-12T07:57:04Z"));
        // The firmware can print 1000 ms (a carried microsecond count).
        let log = parse_gnss(b"t0=1728719820.1000\n", None);
        assert_eq!(log.t0_utc, Some(at("2024-10-12T07:57:01Z")));
    }

    #[test]
    fn bad_lines_are_counted_not_fatal() {
        let text = format!(
            "{T0}garbage\n10,3,2,07570300,4807038\n10,x,2,07570300,4807038,01131000,1,1,ANNN,0,1.00,0,0.0\n\
             10,3,3,07570300,4807038,01131000,1,1,ANNN,0,1.00,0,0.0\n\
             10,3,2,25000000,4807038,01131000,1,1,ANNN,0,1.00,0,0.0\n\
             10,3,2,07570300,4867038,01131000,1,1,ANNN,0,1.00,0,0.0\n\
             10,3,2,07570300,4807038,01131000,nan,1,ANNN,0,1.00,0,0.0\n\
             10,3,2,07570300,4807038,01131000,1,1,ANNN,0,1.00,0,0.0,extra\n\
             1,1,a,b,c\n3,1,0,0,0\nt0=1728719999.000\n\
             10,3,2,07570300,4807038,01131000,1,1,ANNN,0,1.00,0,0.0\n10,4,2,0757"
        );
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!(log.skipped_lines, 12);
        assert_eq!(log.points, 1);
        assert_eq!(log.fixes.len(), 1);
        assert_eq!(
            log.t0_utc,
            Some(at("2024-10-12T07:57:00.042Z")),
            "first t0 wins"
        );
    }

    #[test]
    fn fixes_are_capped() {
        let mut text = String::from(T0);
        for _ in 0..MAX_FIXES + 3 {
            text.push_str("10,3,2,07570300,4807038,01131000,1,1,ANNN,0,1.00,0,0.0\n");
        }
        let log = parse_gnss(text.as_bytes(), None);
        assert_eq!((log.fixes.len(), log.dropped_fixes), (MAX_FIXES, 3));
    }
}
