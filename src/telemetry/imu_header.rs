//! The first line of a `.imu` log: who recorded it, when, and in which time zone
//! [imu_record.c:55-66]:
//!
//! `device=<model>-<sw>; sn=<serial>; vsn=<vsn>; cpuid=<id>; wifimac=aa:bb:cc:dd:ee:ff;
//! trip=<key>; timezone=<s>; time=<UTC s>,<µs>; gsensor=<cal>|<6 floats>|<range>,<odr>,<polarity>,<bw>|<chip>;
//! gyro=<cal>|<5 floats>|<range>,<odr>` (one line).
//!
//! The model (`PROJECT_MODEL`, e.g. `NEXAR_BEAM2K`) never holds a `-`, so the first `-` of
//! `device` ends it. The microseconds of `time` are printed with `%d`, not zero-padded. The
//! `gsensor` and `gyro` settings are only filled in by the BMI160 driver; on the ICM-42631 that
//! most boards carry they are an uninitialised struct printed into a 128-byte buffer, so only
//! the chip name at the end of `gsensor` is kept, when it survived.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::utc;

/// Longest text kept from one header field.
const MAX_FIELD_CHARS: usize = 96;

/// What the header of a `.imu` log says.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImuHeader {
    /// Camera model as the firmware names it, e.g. `NEXAR_BEAM2K`, `NEXAR_N1`, `NEXAR_Zero`.
    pub model: Option<String>,
    /// Firmware version, e.g. `v1.1_rc1`.
    pub software: Option<String>,
    /// Serial number (`sn`).
    pub serial: Option<String>,
    /// `vsn`, a second device identifier.
    pub vsn: Option<String>,
    /// The SoC's id (`cpuid`).
    pub cpu_id: Option<String>,
    /// The camera's Wi-Fi MAC address.
    pub wifi_mac: Option<String>,
    /// The trip key the camera gave this recording session (`trip`).
    pub trip: Option<String>,
    /// The camera's time zone setting in seconds east of UTC (local = UTC + this); the factory
    /// default is 28800 (UTC+8), so it says little unless the owner set it.
    pub timezone_offset_s: Option<i32>,
    /// When the file was opened (its samples are timed from here), when the clock was set.
    pub start_utc: Option<DateTime<Utc>>,
    /// The motion sensor chip, e.g. `bmi160`, `icm42631`.
    pub imu_chip: Option<String>,
}

impl ImuHeader {
    /// The time zone setting as an offset chrono can apply.
    pub fn local_offset(&self) -> Option<FixedOffset> {
        self.timezone_offset_s.and_then(FixedOffset::east_opt)
    }
}

/// Reads a header line (it starts with `device=`): the header, and its raw `time` in microseconds
/// since 1970 even when that is not a plausible date (the samples are stamped relative to it).
pub(crate) fn parse_header(line: &str) -> Option<(ImuHeader, Option<i64>)> {
    if !line.starts_with("device=") {
        return None;
    }
    let mut header = ImuHeader::default();
    let mut raw_time_us = None;
    for field in line.split(';') {
        let Some((key, value)) = field.trim_start().split_once('=') else {
            continue;
        };
        match key {
            "device" => {
                let (model, software) = match value.split_once('-') {
                    Some((model, software)) => (model, Some(software)),
                    None => (value, None),
                };
                header.model = clean(model);
                header.software = software.and_then(clean);
            }
            "sn" => header.serial = clean(value),
            "vsn" => header.vsn = clean(value),
            "cpuid" => header.cpu_id = clean(value),
            "wifimac" => header.wifi_mac = clean(value),
            "trip" => header.trip = clean(value),
            "timezone" => {
                header.timezone_offset_s = value
                    .parse::<i32>()
                    .ok()
                    .filter(|s| FixedOffset::east_opt(*s).is_some());
            }
            "time" => {
                let parsed = value.split_once(',').and_then(|(s, us)| {
                    let seconds = super::imu::firmware_seconds(s)?;
                    let micros = us
                        .parse::<i64>()
                        .ok()
                        .filter(|us| (0..=1_000_000).contains(us))?;
                    Some((seconds, micros))
                });
                if let Some((seconds, micros)) = parsed {
                    header.start_utc = utc::plausible(seconds, micros);
                    raw_time_us = seconds
                        .checked_mul(1_000_000)
                        .and_then(|s| s.checked_add(micros));
                }
            }
            "gsensor" => {
                header.imu_chip = value
                    .rsplit_once('|')
                    .map(|(_, chip)| chip)
                    .filter(|chip| {
                        !chip.is_empty() && chip.bytes().all(|b| b.is_ascii_alphanumeric())
                    })
                    .and_then(clean);
            }
            _ => {}
        }
    }
    Some((header, raw_time_us))
}

/// A field's text without control characters, cut to [`MAX_FIELD_CHARS`]; `None` when empty.
fn clean(value: &str) -> Option<String> {
    let text: String = value
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FIELD_CHARS)
        .collect();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_bmi160_header() {
        let line = "device=NEXAR_N1-v1.1_rc1; sn=N1A2B3C4; vsn=; cpuid=0x1234abcd; \
                    wifimac=0c:8c:dc:01:02:0a; trip=; timezone=-25200; time=1728719820,5123; \
                    gsensor=1|0.000000,0.000000,0.000000,0.000000,0.000000,0.000000|12,8,0,2|bmi160; \
                    gyro=1|0.000000,0.000000,0.000000,0.000000,0.000000|0,8";
        let (h, raw) = parse_header(line).unwrap();
        assert_eq!(h.model.as_deref(), Some("NEXAR_N1"));
        assert_eq!(h.software.as_deref(), Some("v1.1_rc1"));
        assert_eq!(h.serial.as_deref(), Some("N1A2B3C4"));
        assert_eq!(h.vsn, None);
        assert_eq!(h.trip, None);
        assert_eq!(h.wifi_mac.as_deref(), Some("0c:8c:dc:01:02:0a"));
        assert_eq!(h.timezone_offset_s, Some(-25200));
        assert_eq!(h.local_offset(), FixedOffset::west_opt(7 * 3600));
        // "%d" microseconds: 5123 is 0.005123 s, not 0.5123 s.
        assert_eq!(
            utc::format(h.start_utc.unwrap()),
            "2024-10-12T07:57:00.005123Z"
        );
        assert_eq!(raw, Some(1_728_719_820_005_123));
        assert_eq!(h.imu_chip.as_deref(), Some("bmi160"));
    }

    #[test]
    fn garbage_settings_and_an_unset_clock() {
        // ICM-42631: the settings struct is never filled; its floats can be huge and the
        // 128-byte buffer cuts the chip name off.
        let line = format!(
            "device=NEXAR_BEAM2K-v2.0.3; sn=; vsn=; cpuid=; wifimac=00:00:00:00:00:00; trip=; \
             timezone=99999999; time=0,0; gsensor=-1|{}; gyro=0|nan,",
            "-340282346638528859811704183484516925440.000000,".repeat(3)
        );
        let (h, raw) = parse_header(&line).unwrap();
        assert_eq!(h.model.as_deref(), Some("NEXAR_BEAM2K"));
        assert_eq!(h.serial, None);
        assert_eq!(h.timezone_offset_s, None);
        assert_eq!(h.start_utc, None);
        assert_eq!(raw, Some(0));
        assert_eq!(h.imu_chip, None);
        assert!(parse_header("1728719820.000000|G:0,0,0,-1,0,0,0,0,0").is_none());
    }

    #[test]
    fn control_characters_are_removed_and_length_capped() {
        let line = format!("device=A\u{1b}[31mB; sn={}", "x".repeat(500));
        let (h, _) = parse_header(&line).unwrap();
        assert_eq!(h.model.as_deref(), Some("A[31mB"));
        assert_eq!(h.serial.unwrap().len(), MAX_FIELD_CHARS);
    }
}
