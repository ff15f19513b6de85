//! The few fixed-layout boxes whose fields Dashcard needs: `mvhd`, `tkhd`, `mdhd`, `hdlr`,
//! `mehd` and the start of `stsd`. Each decoder takes the box's content (after its header),
//! checks its length for the version it declares, and says in words what is wrong otherwise.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use super::boxes::{be_u16, be_u32, be_u64, fourcc_at};

/// Content bytes enough for any version of `mvhd`'s fields used here.
pub(crate) const MVHD_BYTES: usize = 32;
/// Content bytes enough for any version of `tkhd` up to its width and height.
pub(crate) const TKHD_BYTES: usize = 96;
/// Content bytes enough for any version of `mdhd`'s timescale and duration.
pub(crate) const MDHD_BYTES: usize = 32;
/// Content bytes of `hdlr` up to its handler type.
pub(crate) const HDLR_BYTES: usize = 12;
/// Content bytes enough for any version of `mehd`.
pub(crate) const MEHD_BYTES: usize = 12;
/// Content bytes of `stsd` up to its first visual sample entry's width and height.
pub(crate) const STSD_BYTES: usize = 44;

/// Movie header: the clip's timescale, duration and creation time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mvhd {
    /// Seconds since 1904-01-01 00:00:00.
    pub creation_time: u64,
    /// Units per second of `duration`.
    pub timescale: u32,
    /// Length of the longest track, in `timescale` units; `None` when 0 or "unknown" (all ones).
    pub duration: Option<u64>,
}

/// Track header: the track's id, duration (movie timescale) and display size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tkhd {
    /// The id fragments name the track by.
    pub track_id: u32,
    /// In the movie's timescale; `None` when 0 or unknown.
    pub duration: Option<u64>,
    /// Display width in pixels, rounded from 16.16 fixed point.
    pub width: u32,
    /// Display height in pixels, rounded from 16.16 fixed point.
    pub height: u32,
}

/// Media header: the track's own timescale and duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mdhd {
    /// Units per second of `duration`.
    pub timescale: u32,
    /// In `timescale` units; `None` when 0 or unknown.
    pub duration: Option<u64>,
}

/// Version 0 (32-bit times) or 1 (64-bit times), from a full box's first byte.
fn version(content: &[u8]) -> Result<u8, String> {
    match content.first() {
        Some(v @ (0 | 1)) => Ok(*v),
        Some(v) => Err(format!("unknown version {v} (only 0 and 1 exist)")),
        None => Err("it is empty".to_string()),
    }
}

fn need(content: &[u8], bytes: usize, what: &str) -> Result<(), String> {
    if content.len() < bytes {
        Err(format!(
            "it holds {} bytes, too few for its {what} ({bytes} needed)",
            content.len()
        ))
    } else {
        Ok(())
    }
}

/// A duration field: 0 and all ones both mean "not known".
fn known(duration: u64, all_ones: u64) -> Option<u64> {
    (duration != 0 && duration != all_ones).then_some(duration)
}

/// Decodes `mvhd`.
pub(crate) fn mvhd(content: &[u8]) -> Result<Mvhd, String> {
    if version(content)? == 1 {
        need(content, 32, "version 1 fields")?;
        Ok(Mvhd {
            creation_time: be_u64(content, 4),
            timescale: be_u32(content, 20),
            duration: known(be_u64(content, 24), u64::MAX),
        })
    } else {
        need(content, 20, "version 0 fields")?;
        Ok(Mvhd {
            creation_time: u64::from(be_u32(content, 4)),
            timescale: be_u32(content, 12),
            duration: known(u64::from(be_u32(content, 16)), u64::from(u32::MAX)),
        })
    }
}

/// Decodes `tkhd`.
pub(crate) fn tkhd(content: &[u8]) -> Result<Tkhd, String> {
    let (track_id, duration, size_at) = if version(content)? == 1 {
        need(content, 96, "version 1 fields")?;
        (
            be_u32(content, 20),
            known(be_u64(content, 28), u64::MAX),
            88,
        )
    } else {
        need(content, 84, "version 0 fields")?;
        (
            be_u32(content, 12),
            known(u64::from(be_u32(content, 20)), u64::from(u32::MAX)),
            76,
        )
    };
    Ok(Tkhd {
        track_id,
        duration,
        width: fixed_16_16(be_u32(content, size_at)),
        height: fixed_16_16(be_u32(content, size_at + 4)),
    })
}

/// Decodes `mdhd`.
pub(crate) fn mdhd(content: &[u8]) -> Result<Mdhd, String> {
    if version(content)? == 1 {
        need(content, 32, "version 1 fields")?;
        Ok(Mdhd {
            timescale: be_u32(content, 20),
            duration: known(be_u64(content, 24), u64::MAX),
        })
    } else {
        need(content, 20, "version 0 fields")?;
        Ok(Mdhd {
            timescale: be_u32(content, 12),
            duration: known(u64::from(be_u32(content, 16)), u64::from(u32::MAX)),
        })
    }
}

/// The handler type of `hdlr` (`vide`, `soun`, ...). QuickTime's component header has the same
/// layout, its component subtype standing where ISO puts the handler type.
pub(crate) fn hdlr(content: &[u8]) -> Result<[u8; 4], String> {
    need(content, HDLR_BYTES, "handler type")?;
    Ok(fourcc_at(content, 8))
}

/// The whole-presentation duration of a fragmented file from `mehd`, in the movie timescale.
pub(crate) fn mehd(content: &[u8]) -> Result<Option<u64>, String> {
    if version(content)? == 1 {
        need(content, 12, "version 1 fragment duration")?;
        Ok(known(be_u64(content, 4), u64::MAX))
    } else {
        need(content, 8, "version 0 fragment duration")?;
        Ok(known(u64::from(be_u32(content, 4)), u64::from(u32::MAX)))
    }
}

/// Width and height of the first sample entry of a video track's `stsd`, for the rare files
/// whose `tkhd` leaves the display size at zero. `None` when there is no entry.
pub(crate) fn stsd_picture_size(content: &[u8]) -> Result<Option<(u32, u32)>, String> {
    need(content, 8, "entry count")?;
    if be_u32(content, 4) == 0 {
        return Ok(None);
    }
    need(content, STSD_BYTES, "first visual sample entry")?;
    // Entry: size, type, 6 reserved, data reference index, 16 bytes of pre-defined/reserved,
    // then width and height as plain 16-bit integers.
    let entry = 8;
    Ok(Some((
        u32::from(be_u16(content, entry + 32)),
        u32::from(be_u16(content, entry + 34)),
    )))
}

/// 16.16 fixed point to the nearest integer.
fn fixed_16_16(v: u32) -> u32 {
    let rounded = (u64::from(v) + 0x8000) >> 16;
    rounded as u32
}

/// A `mvhd` creation time (seconds since 1904-01-01) as the camera's local wall-clock time.
///
/// The standard says UTC, but dash cams write their local clock, so the value is kept naive and
/// never shifted. `None` for 0 (not set) and for dates before 1970 or from 2100 on: such values
/// come from an unset clock or from writers that counted from 1970 instead of 1904.
pub(crate) fn mp4_time(seconds_since_1904: u64) -> Option<NaiveDateTime> {
    if seconds_since_1904 == 0 {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1904, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let delta = TimeDelta::try_seconds(i64::try_from(seconds_since_1904).ok()?)?;
    let time = epoch.checked_add_signed(delta)?;
    let earliest = NaiveDate::from_ymd_opt(1970, 1, 1)?.and_hms_opt(0, 0, 0)?;
    let latest = NaiveDate::from_ymd_opt(2100, 1, 1)?.and_hms_opt(0, 0, 0)?;
    (earliest..latest).contains(&time).then_some(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mvhd_versions_0_and_1() {
        let mut v0 = vec![0u8; 100];
        v0[4..8].copy_from_slice(&3_811_823_820u32.to_be_bytes());
        v0[12..16].copy_from_slice(&1000u32.to_be_bytes());
        v0[16..20].copy_from_slice(&2500u32.to_be_bytes());
        assert_eq!(
            mvhd(&v0).unwrap(),
            Mvhd {
                creation_time: 3_811_823_820,
                timescale: 1000,
                duration: Some(2500)
            }
        );
        let mut v1 = vec![0u8; 112];
        v1[0] = 1;
        v1[4..12].copy_from_slice(&3_811_823_820u64.to_be_bytes());
        v1[20..24].copy_from_slice(&90_000u32.to_be_bytes());
        v1[24..32].copy_from_slice(&u64::MAX.to_be_bytes());
        let m = mvhd(&v1).unwrap();
        assert_eq!((m.timescale, m.duration), (90_000, None));
        assert!(mvhd(&v1[..31]).unwrap_err().contains("too few"));
        v1[0] = 2;
        assert!(mvhd(&v1).unwrap_err().contains("version 2"));
        assert!(mvhd(&[]).is_err());
    }

    #[test]
    fn tkhd_size_is_rounded_from_fixed_point() {
        let mut v0 = vec![0u8; 84];
        v0[76..80].copy_from_slice(&(320u32 << 16).to_be_bytes());
        v0[80..84].copy_from_slice(&((239u32 << 16) + 0x9000).to_be_bytes());
        let t = tkhd(&v0).unwrap();
        assert_eq!((t.width, t.height, t.duration), (320, 240, None));
        assert!(tkhd(&v0[..83]).is_err());
        assert_eq!(fixed_16_16(u32::MAX), 65536);
    }

    #[test]
    fn creation_times_are_kept_naive_and_implausible_ones_dropped() {
        // 2024-10-12 07:57:00 counted from 1904.
        let t = mp4_time(3_811_564_620).unwrap();
        assert_eq!(t.to_string(), "2024-10-12 07:57:00");
        assert_eq!(mp4_time(0), None);
        // A writer that counted from 1970: lands in 1958.
        assert_eq!(mp4_time(1_728_719_820), None);
        assert_eq!(mp4_time(u64::MAX), None);
    }

    #[test]
    fn mehd_gives_the_fragment_duration() {
        assert_eq!(mehd(&[0, 0, 0, 0, 0, 0, 0x75, 0x30]).unwrap(), Some(30_000));
        assert_eq!(
            mehd(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x75, 0x30]).unwrap(),
            Some(30_000)
        );
        assert_eq!(mehd(&[0, 0, 0, 0, 0, 0, 0, 0]).unwrap(), None);
        assert!(mehd(&[1, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn hdlr_gives_the_handler_type() {
        let mut c = vec![0u8; 24];
        c[8..12].copy_from_slice(b"vide");
        assert_eq!(hdlr(&c).unwrap(), *b"vide");
        assert!(hdlr(&c[..11]).is_err());
    }

    #[test]
    fn stsd_gives_the_coded_picture_size() {
        let mut c = vec![0u8; 44];
        c[7] = 1;
        c[40..42].copy_from_slice(&1920u16.to_be_bytes());
        c[42..44].copy_from_slice(&1080u16.to_be_bytes());
        assert_eq!(stsd_picture_size(&c).unwrap(), Some((1920, 1080)));
        c[7] = 0;
        assert_eq!(stsd_picture_size(&c).unwrap(), None);
    }
}
