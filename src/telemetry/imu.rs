//! The motion log, `.imu/<stem>.dat` [imu_record.c, imu_task.c].
//!
//! A header line (see [`super::imu_header`]), then one line per sample at about 50 Hz
//! [imu_task.c:176-183, imu_record.c:203]:
//!
//! `<UTC s>.<µs, 6 digits>|G:ax,ay,az,-1,gx,gy,gz,sensor_ms,temp`
//!
//! with acceleration in m/s² (`%.6f`), rotation in °/s, the IR state (always −1), the chip's own
//! millisecond counter (meaningless on most chips), and the chip temperature in °C (`%.2f`).
//!
//! The whole file sits in a RAM cache until the segment is split or recording stops, so after a
//! power cut the current file is empty (0 bytes): an empty log, not an error. The stamps need
//! repair; see [`super::imu_time`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::imu_header::{ImuHeader, parse_header};
use super::imu_time::Timeline;
use super::lines::{Line, lines};
use super::utc;

/// One g in the firmware's m/s². Every driver converts raw counts as `counts × 9.8 / (counts
/// per g)` [imu_bmi160.c:170-184, imu_icm42631.c:197-210], so dividing by 9.8 (not the standard
/// 9.80665) gives back exactly what the sensor measured in g.
pub const FIRMWARE_G_MS2: f64 = 9.8;

/// Most samples kept from one log: the camera's cache holds 1.5 MiB, about 16,000 lines, so this
/// is four times anything real. Further samples are counted in [`ImuLog::dropped_samples`].
pub const MAX_SAMPLES: usize = 65_536;

/// One accelerometer and gyroscope reading.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImuSample {
    /// When it was taken (after the repairs described in [`super::imu_time`]).
    pub at_utc: DateTime<Utc>,
    /// Acceleration along the sensor's x, y, z axes in m/s² (gravity included).
    pub accel_ms2: [f32; 3],
    /// Rotation about x, y, z in °/s.
    pub gyro_dps: [f32; 3],
    /// Sensor chip temperature in °C.
    pub temperature_c: f32,
}

impl ImuSample {
    /// Magnitude of the acceleration in g: about 1 at rest (gravity), more in a jolt.
    pub fn magnitude_g(&self) -> f64 {
        let [x, y, z] = self.accel_ms2.map(f64::from);
        (x * x + y * y + z * z).sqrt() / FIRMWARE_G_MS2
    }
}

/// What one `.imu` log holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImuLog {
    /// The header, when the file has one.
    pub header: Option<ImuHeader>,
    /// The samples, in time order.
    pub samples: Vec<ImuSample>,
    /// True when the camera's clock was unset and the caller's fallback start was used instead.
    pub start_from_fallback: bool,
    /// Jumps of the chip's time counter that were undone.
    pub counter_wraps: usize,
    /// Samples whose time had to be estimated at 50 Hz because their stamp did not advance
    /// (every sample but the first on chips without a time counter).
    pub estimated_times: usize,
    /// Lines that could not be read: damaged, cut short, or of no known kind.
    pub skipped_lines: usize,
    /// Samples that could not be dated: the clock was unset and there was no fallback.
    pub undated_samples: usize,
    /// Samples past [`MAX_SAMPLES`], not kept.
    pub dropped_samples: usize,
}

impl ImuLog {
    /// The sample with the largest acceleration.
    pub fn peak(&self) -> Option<&ImuSample> {
        self.samples
            .iter()
            .max_by(|a, b| a.magnitude_g().total_cmp(&b.magnitude_g()))
    }
}

/// Reads a `.imu` log. `fallback_start` stands in for the header's time when the camera's clock
/// was unset (pass the clip's start in UTC, e.g. from its name). Never fails: unreadable lines
/// are counted in [`ImuLog::skipped_lines`], and an empty file gives an empty log.
pub fn parse_imu(bytes: &[u8], fallback_start: Option<DateTime<Utc>>) -> ImuLog {
    let mut log = ImuLog::default();
    let mut header_time_us = None;
    let mut timeline: Option<Timeline> = None;
    // Microseconds to add to the camera's clock to get UTC (0 when it was set; `None` when it was
    // not and there is no fallback), decided at the first sample.
    let mut shift_us: Option<Option<i64>> = None;
    for (index, line) in lines(bytes).enumerate() {
        let Line::Text(text) = line else {
            log.skipped_lines += 1;
            continue;
        };
        if index == 0
            && let Some((header, raw_time_us)) = parse_header(text)
        {
            header_time_us = raw_time_us;
            log.header = Some(header);
            continue;
        }
        let Some(reading) = parse_data_line(text) else {
            log.skipped_lines += 1;
            continue;
        };
        if log.samples.len() >= MAX_SAMPLES {
            log.dropped_samples += 1;
            continue;
        }
        let timeline = timeline.get_or_insert_with(|| Timeline::new(header_time_us));
        let placed_us = timeline.place(reading.stamp_us);
        let shift = *shift_us.get_or_insert_with(|| {
            clock_shift(header_time_us.unwrap_or(placed_us), fallback_start)
        });
        let Some(at_utc) = shift.and_then(|s| utc::from_unix_micros(placed_us.saturating_add(s)))
        else {
            log.undated_samples += 1;
            continue;
        };
        log.start_from_fallback = shift != Some(0);
        log.samples.push(ImuSample {
            at_utc,
            accel_ms2: reading.accel,
            gyro_dps: reading.gyro,
            temperature_c: reading.temperature,
        });
    }
    if let Some(timeline) = timeline {
        log.counter_wraps = timeline.wraps;
        log.estimated_times = timeline.estimated;
    }
    log
}

/// What to add to the camera's clock, which read `clock_start_us` when the file was opened, to
/// get UTC: nothing when it was set, else the distance to `fallback_start`.
fn clock_shift(clock_start_us: i64, fallback_start: Option<DateTime<Utc>>) -> Option<i64> {
    if utc::from_unix_micros(clock_start_us).is_some_and(utc::is_plausible) {
        Some(0)
    } else {
        fallback_start.map(|f| utc::unix_micros(f).saturating_sub(clock_start_us))
    }
}

/// Seconds as the firmware prints them: an unsigned 32-bit count through `%d`, so anything
/// from −2³¹ to 2³² − 1. Keeping to that range keeps every later sum far from overflow.
pub(crate) fn firmware_seconds(text: &str) -> Option<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|s| (-(1_i64 << 31)..1_i64 << 32).contains(s))
}

/// One data line's values.
struct Reading {
    stamp_us: i64,
    accel: [f32; 3],
    gyro: [f32; 3],
    temperature: f32,
}

/// Reads `<s>.<µs>|G:ax,ay,az,ir,gx,gy,gz,sensor_ms,temp`; `None` when the line is not one.
fn parse_data_line(text: &str) -> Option<Reading> {
    let (stamp, values) = text.split_once('|')?;
    let values = values.strip_prefix("G:")?;
    let (seconds, micros) = stamp.split_once('.')?;
    if micros.len() != 6 || !micros.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let stamp_us = firmware_seconds(seconds)? * 1_000_000 + micros.parse::<i64>().ok()?;
    let mut fields = [""; 9];
    let mut count = 0;
    for field in values.split(',') {
        *fields.get_mut(count)? = field;
        count += 1;
    }
    if count != 9 {
        return None;
    }
    let number = |text: &str| text.parse::<f32>().ok().filter(|v| v.is_finite());
    let [ax, ay, az, ir, gx, gy, gz, sensor_ms, temperature] = fields;
    ir.parse::<i64>().ok()?;
    sensor_ms.parse::<i64>().ok()?;
    Some(Reading {
        stamp_us,
        accel: [number(ax)?, number(ay)?, number(az)?],
        gyro: [number(gx)?, number(gy)?, number(gz)?],
        temperature: number(temperature)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "device=NEXAR_N1-v1.1_rc1; sn=N1X; vsn=; cpuid=; wifimac=00:11:22:33:44:55; \
        trip=; timezone=3600; time=1728719820,250000; gsensor=1|0.000000,0.000000,0.000000,0.000000,\
        0.000000,0.000000|12,8,0,2|bmi160; gyro=1|0.000000,0.000000,0.000000,0.000000,0.000000|0,8\n";

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_samples() {
        let text = format!(
            "{HEADER}1728719820.270000|G:0.012000,-0.150000,9.800000,-1,0.120000,-0.030000,0.004000,123456,31.25\n\
             1728719820.290000|G:29.400000,0.000000,9.800000,-1,0.000000,0.000000,0.000000,123476,31.25\n"
        );
        let log = parse_imu(text.as_bytes(), None);
        assert_eq!(log.skipped_lines, 0);
        assert_eq!(log.header.as_ref().unwrap().timezone_offset_s, Some(3600));
        assert_eq!(log.samples.len(), 2);
        let s = &log.samples[0];
        assert_eq!(s.at_utc, at("2024-10-12T07:57:00.27Z"));
        assert_eq!(s.accel_ms2, [0.012, -0.15, 9.8]);
        assert_eq!(s.gyro_dps, [0.12, -0.03, 0.004]);
        assert_eq!(s.temperature_c, 31.25);
        assert!((s.magnitude_g() - 1.0).abs() < 0.002);
        let peak = log.peak().unwrap();
        assert!((peak.magnitude_g() - 10f64.sqrt()).abs() < 1e-5);
        assert!(!log.start_from_fallback);
    }

    #[test]
    fn an_empty_file_is_an_empty_log() {
        assert_eq!(parse_imu(b"", None), ImuLog::default());
    }

    #[test]
    fn bad_lines_are_counted() {
        let text = format!(
            "{HEADER}garbage\n1728719820.27|G:0,0,0,-1,0,0,0,0,0\n1728719820.270000|G:0,0,0,-1,0,0,0,0\n\
             1728719820.270000|G:nan,0,0,-1,0,0,0,0,0\n1728719820.270000|X:0,0,0,-1,0,0,0,0,0\n\
             1728719820.270000|G:0,0,0,-1,0,0,0,0,0,0\n{HEADER}1728719820.270000|G:0,0,0,-1,0,0,0,0,0\n\
             1728719820.290000|G:0,0,0,-1,0,0,0,0,0"
        );
        let log = parse_imu(text.as_bytes(), None);
        assert_eq!(log.skipped_lines, 8);
        assert_eq!(log.samples.len(), 1);
        // Seconds beyond what a 32-bit count can print.
        let log = parse_imu(
            b"4294967296.000000|G:0,0,9.8,-1,0,0,0,0,0
",
            None,
        );
        assert_eq!((log.skipped_lines, log.samples.len()), (1, 0));
    }

    #[test]
    fn an_unset_clock_takes_the_fallback_or_dates_nothing() {
        let text = "device=NEXAR_N1-v1; time=0,0; timezone=0\n0.020000|G:0,0,9.8,-1,0,0,0,0,0\n\
                    0.040000|G:0,0,9.8,-1,0,0,0,0,0\n";
        let log = parse_imu(text.as_bytes(), None);
        assert_eq!((log.samples.len(), log.undated_samples), (0, 2));
        let log = parse_imu(text.as_bytes(), Some(at("2024-10-12T07:57:00Z")));
        assert!(log.start_from_fallback);
        let times: Vec<_> = log.samples.iter().map(|s| s.at_utc).collect();
        assert_eq!(
            times,
            [at("2024-10-12T07:57:00.02Z"), at("2024-10-12T07:57:00.04Z")]
        );
        // No header at all: the stamps stand when they are plausible.
        let log = parse_imu(b"1728719820.270000|G:0,0,9.8,-1,0,0,0,0,0\n", None);
        assert_eq!(log.samples[0].at_utc, at("2024-10-12T07:57:00.27Z"));
    }

    #[test]
    fn samples_are_capped() {
        let mut text = String::from(HEADER);
        for i in 0..MAX_SAMPLES + 5 {
            let us = 270_000 + i as i64 * 20_000;
            text.push_str(&format!(
                "{}.{:06}|G:0,0,9.8,-1,0,0,0,0,20.00\n",
                1_728_719_820 + us / 1_000_000,
                us % 1_000_000
            ));
        }
        let log = parse_imu(text.as_bytes(), None);
        assert_eq!((log.samples.len(), log.dropped_samples), (MAX_SAMPLES, 5));
        assert_eq!(log.estimated_times, 0);
    }
}
