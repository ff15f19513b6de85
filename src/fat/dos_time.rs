//! DOS dates and times as FAT stores them: camera local time, two-second resolution (10 ms for
//! a creation time), no zone. Decoded for the reader, encoded for anything that writes entries.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// Decodes a DOS date and time (plus the optional 10 ms units of a creation time).
/// A zero date (never set) or an impossible one gives `None`.
pub fn decode(date: u16, time: u16, tenths_10ms: u8) -> Option<NaiveDateTime> {
    if date == 0 {
        return None;
    }
    let year = 1980 + (date >> 9) as i32;
    let month = ((date >> 5) & 0x0F) as u32;
    let day = (date & 0x1F) as u32;
    let hour = (time >> 11) as u32;
    let minute = ((time >> 5) & 0x3F) as u32;
    let second = ((time & 0x1F) * 2) as u32 + (tenths_10ms / 100) as u32;
    let millis = (tenths_10ms % 100) as u32 * 10;
    NaiveDate::from_ymd_opt(year, month, day)?.and_hms_milli_opt(
        hour,
        minute,
        second.min(59),
        millis,
    )
}

/// Encodes `t` as DOS (date, time, 10 ms units); the year is clamped to 1980..=2107, the range
/// a DOS date can hold.
pub fn encode(t: NaiveDateTime) -> (u16, u16, u8) {
    let year = t.year().clamp(1980, 2107) as u16;
    let date = ((year - 1980) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    let tenths = ((t.second() % 2) * 100 + t.nanosecond() / 10_000_000).min(199) as u8;
    (date, time, tenths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_camera_timestamp() {
        // 2024-10-12 07:57:00
        let date = ((2024 - 1980) << 9) | (10 << 5) | 12;
        let time = (7 << 11) | (57 << 5);
        let t = decode(date, time, 0).unwrap();
        assert_eq!(t.to_string(), "2024-10-12 07:57:00");
        assert_eq!(
            decode(date, time | 1, 150).unwrap().to_string(),
            "2024-10-12 07:57:03.500"
        );
    }

    #[test]
    fn zero_and_impossible_dates_are_unknown() {
        assert_eq!(decode(0, 0, 0), None);
        assert_eq!(decode((44 << 9) | (13 << 5) | 1, 0, 0), None);
        assert_eq!(decode((44 << 9) | (2 << 5) | 30, 0, 0), None);
    }

    #[test]
    fn encoding_then_decoding_keeps_what_a_dos_time_can_hold() {
        let t = NaiveDate::from_ymd_opt(2024, 10, 12)
            .and_then(|d| d.and_hms_milli_opt(7, 57, 3, 520))
            .unwrap();
        let (date, time, tenths) = encode(t);
        assert_eq!(
            decode(date, time, tenths).unwrap().to_string(),
            "2024-10-12 07:57:03.520"
        );
        // The modified time keeps two seconds only.
        assert_eq!(
            decode(date, time, 0).unwrap().to_string(),
            "2024-10-12 07:57:02"
        );
        // Before 1980 is clamped to the first year a DOS date can hold.
        let (old, _, _) = encode(NaiveDateTime::default());
        assert_eq!(old >> 9, 0);
    }
}
