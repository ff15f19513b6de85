//! exFAT timestamps: a DOS-style local date and time, a 10 ms refinement, and — unlike FAT — the
//! offset from UTC the writer was in, when it knew it.
//!
//! Cameras record local time; the offset byte (when its valid bit is set) is what lets a reader
//! place a clip on a real timeline. Both are kept: the naive local time as written, and the offset
//! in seconds east of UTC.

use chrono::{Duration, NaiveDate, NaiveDateTime};

/// A decoded timestamp: the local time as written, and its offset from UTC when recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// Local date and time, to the 10 ms.
    pub local: NaiveDateTime,
    /// Seconds east of UTC, when the offset's valid bit is set.
    pub utc_offset_s: Option<i32>,
}

/// Decodes a 32-bit timestamp, its 10 ms increment (0–199) and its UTC offset byte. A zero or
/// impossible date (month 13, 30 double-seconds…) gives `None`; an out-of-range increment is
/// ignored rather than invent a time.
pub fn decode(stamp: u32, increment_10ms: u8, utc_offset: u8) -> Option<Timestamp> {
    let double_seconds = stamp & 0x1F;
    let minute = (stamp >> 5) & 0x3F;
    let hour = (stamp >> 11) & 0x1F;
    let day = (stamp >> 16) & 0x1F;
    let month = (stamp >> 21) & 0x0F;
    let year = 1980 + (stamp >> 25) as i32;
    if double_seconds > 29 {
        return None;
    }
    let base =
        NaiveDate::from_ymd_opt(year, month, day)?.and_hms_opt(hour, minute, double_seconds * 2)?;
    let extra = if increment_10ms <= 199 {
        Duration::milliseconds(increment_10ms as i64 * 10)
    } else {
        Duration::zero()
    };
    Some(Timestamp {
        local: base + extra,
        utc_offset_s: decode_offset(utc_offset),
    })
}

/// The UTC offset byte: bit 7 says it is valid, bits 0–6 are a signed count of 15 minutes.
pub fn decode_offset(byte: u8) -> Option<i32> {
    if byte & 0x80 == 0 {
        return None;
    }
    let quarters = ((byte << 1) as i8 >> 1) as i32;
    // The specification's range is −12:00 to +14:00.
    (-48..=56).contains(&quarters).then_some(quarters * 15 * 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> u32 {
        ((y - 1980) << 25) | (mo << 21) | (d << 16) | (h << 11) | (mi << 5) | (s / 2)
    }

    #[test]
    fn a_camera_timestamp_with_increment_and_offset() {
        let t = decode(stamp(2024, 10, 12, 7, 57, 0), 150, 0x80 | 8).unwrap();
        assert_eq!(t.local.to_string(), "2024-10-12 07:57:01.500");
        assert_eq!(t.utc_offset_s, Some(2 * 3600));
        // −5:00 is −20 quarters: 0x6C in seven bits.
        let t = decode(stamp(2024, 1, 1, 0, 0, 58), 199, 0x80 | 0x6C).unwrap();
        assert_eq!(t.local.to_string(), "2024-01-01 00:00:59.990");
        assert_eq!(t.utc_offset_s, Some(-5 * 3600));
    }

    #[test]
    fn an_offset_without_its_valid_bit_is_unknown() {
        let t = decode(stamp(2024, 10, 12, 7, 57, 0), 0, 8).unwrap();
        assert_eq!(t.utc_offset_s, None);
    }

    #[test]
    fn impossible_timestamps_are_unknown() {
        assert_eq!(decode(0, 0, 0), None);
        assert_eq!(decode(stamp(2024, 13, 1, 0, 0, 0), 0, 0), None);
        assert_eq!(decode(stamp(2024, 2, 30, 0, 0, 0), 0, 0), None);
        assert_eq!(decode(stamp(2024, 2, 1, 0, 0, 0) | 30, 0, 0), None);
        assert_eq!(decode(stamp(2024, 2, 1, 24, 0, 0), 0, 0), None);
    }
}
