//! Which recordings a time-range export is made of (issue #12): one camera's drive segments
//! that overlap the range, within one drive, with where their bytes are. The remuxer
//! ([`crate::remux`]) then picks the keyframe and the frames; this only chooses the files, so
//! the CLI and the page export the same footage for the same range.

use chrono::{NaiveDateTime, TimeDelta};

use crate::catalog::Catalog;
use crate::catalog::classify::{Camera, FileKind};
use crate::catalog::drives::DRIVE_GAP_SECONDS;
use crate::catalog::time_zone::TimeZone;
use crate::listing::Listing;
use crate::remux::TimeRange;

/// A segment is taken when it reaches this close to the range's start (its duration may be
/// rounded); the remuxer skips one that holds no frame of the range.
const SLACK_MS: i64 = 2_000;

/// Length assumed for a segment whose duration is not known (Nexar segments are a minute).
const DEFAULT_SEGMENT_S: f64 = 60.0;

/// One segment to export from: the file (an index in the listing) and its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RangeSegment {
    /// Index of the file in [`Listing::files`].
    pub file: usize,
    /// When its first frame was recorded (camera local time).
    pub start: NaiveDateTime,
}

/// Why a range has nothing to export, in words an owner can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RangeSelectError {
    /// The range ends at or before its start.
    #[error("the range is empty: --to ({end}) must come after --from ({start})")]
    Empty {
        /// The range's start.
        start: NaiveDateTime,
        /// The range's end.
        end: NaiveDateTime,
    },
    /// No drive segment of the camera overlaps the range.
    #[error("no {camera} camera footage from {start} to {end} on this card{detail}")]
    NoFootage {
        /// The camera asked for.
        camera: &'static str,
        /// The range's start.
        start: NaiveDateTime,
        /// The range's end.
        end: NaiveDateTime,
        /// What the card does hold of that camera, e.g. "; its drives run from … to …".
        detail: String,
    },
    /// A segment inside the range was deleted and its clusters reused.
    #[error("{path}, inside the range, was overwritten: its footage is gone")]
    Overwritten {
        /// The segment's path on the card.
        path: String,
    },
    /// The recording asked for is not on the card's list, or has no start time to cut a range
    /// from.
    #[error("{what}: a time range cannot be cut from it")]
    NotARecording {
        /// The recording, and what is wrong with it.
        what: String,
    },
    /// The range runs from one drive into another (the footage between them does not exist).
    #[error(
        "the range spans two drives (one ends at {first_end}, the next starts at {next_start}); export each drive's part separately"
    )]
    SeveralDrives {
        /// When the first drive's last segment ends.
        first_end: NaiveDateTime,
        /// When the next drive starts.
        next_start: NaiveDateTime,
    },
}

/// When a recording that started at `start` and lasts `duration_s` (a segment's usual length
/// when unknown; at most an hour, whatever its header claims) ends.
fn end_of(start: NaiveDateTime, duration_s: Option<f64>) -> NaiveDateTime {
    let length = duration_s.unwrap_or(DEFAULT_SEGMENT_S).clamp(0.0, 3600.0);
    start + TimeDelta::milliseconds((length * 1000.0) as i64)
}

/// Whether a file of `camera` answers a request for `wanted`: the cabin and the newer
/// cameras' second camera are the same choice (the card has one or the other).
fn same_camera(camera: Camera, wanted: Camera) -> bool {
    camera == wanted || (camera != Camera::Road && wanted != Camera::Road)
}

/// The live (or recoverable) drive segments of `camera` that overlap `range`, oldest first,
/// all from one drive.
pub fn select(
    listing: &Listing,
    catalog: &Catalog,
    camera: Camera,
    range: TimeRange,
) -> Result<Vec<RangeSegment>, RangeSelectError> {
    let TimeRange { start, end } = range;
    if end <= start {
        return Err(RangeSelectError::Empty { start, end });
    }
    let mut chosen: Vec<(RangeSegment, Option<usize>, NaiveDateTime)> = Vec::new();
    let (mut first, mut last) = (None::<NaiveDateTime>, None::<NaiveDateTime>);
    for (i, (l, c)) in listing.files.iter().zip(&catalog.files).enumerate() {
        let (FileKind::Drive, Some(cam), Some(s)) = (c.kind, c.camera, c.start) else {
            continue;
        };
        if !same_camera(cam, camera) {
            continue;
        }
        let seg_end = end_of(s, c.duration_s);
        if !l.deleted {
            first = Some(first.map_or(s, |f| f.min(s)));
            last = Some(last.map_or(seg_end, |e| e.max(seg_end)));
        }
        if s >= end || seg_end + TimeDelta::milliseconds(SLACK_MS) <= start {
            continue;
        }
        if l.deleted {
            if l.recoverable == Some(true) {
                chosen.push((RangeSegment { file: i, start: s }, c.drive, seg_end));
            } else if s > start {
                // A lost segment before the start only costs lead-in; one inside is a hole.
                return Err(RangeSelectError::Overwritten {
                    path: l.path.clone(),
                });
            }
            continue;
        }
        chosen.push((RangeSegment { file: i, start: s }, c.drive, seg_end));
    }
    // Several segments can start at the same instant (a deleted copy and a live one): keep
    // one, the live one (sorted first: deleted segments have no drive).
    crate::sort::sort_by_key(&mut chosen, |(seg, drive, _)| (seg.start, drive.is_none()));
    chosen.dedup_by_key(|(seg, _, _)| seg.start);
    if chosen.is_empty() {
        return Err(RangeSelectError::NoFootage {
            camera: camera.name(),
            start,
            end,
            detail: match (first, last) {
                (Some(a), Some(b)) => format!("; its footage runs from {a} to {b}"),
                _ => "; the card holds no drive segments of that camera".to_string(),
            },
        });
    }
    // One drive: the live segments' drives agree (a deleted, recoverable segment has none: the
    // catalog's drives are made of live recordings), and no two neighbours lie further apart
    // than the gap that separates drives.
    let gap = TimeDelta::seconds(DRIVE_GAP_SECONDS);
    let mut drive = None;
    for pair in chosen.windows(2) {
        let [(_, d, prev_end), (next, next_drive, _)] = pair else {
            continue;
        };
        drive = drive.or(*d);
        let other_drive = matches!((drive, next_drive), (Some(a), Some(b)) if a != *b);
        if other_drive || next.start - *prev_end > gap {
            return Err(RangeSelectError::SeveralDrives {
                first_end: *prev_end,
                next_start: next.start,
            });
        }
    }
    Ok(chosen.into_iter().map(|(seg, _, _)| seg).collect())
}

/// The segments to cut `range` from, around the recording `file` (an index in the listing):
/// a drive segment's camera across its drive (the range may reach into the segments before and
/// after it), or a parking clip or SOS event alone (they are not part of a drive's timeline),
/// the range clipped to it by the remuxer.
pub fn select_around(
    listing: &Listing,
    catalog: &Catalog,
    file: usize,
    range: TimeRange,
) -> Result<Vec<RangeSegment>, RangeSelectError> {
    let (Some(l), Some(c)) = (listing.files.get(file), catalog.files.get(file)) else {
        return Err(RangeSelectError::NotARecording {
            what: format!("file {file} is not on the card's list"),
        });
    };
    if range.end <= range.start {
        return Err(RangeSelectError::Empty {
            start: range.start,
            end: range.end,
        });
    }
    if let (FileKind::Drive, Some(camera)) = (c.kind, c.camera) {
        return select(listing, catalog, camera, range);
    }
    let Some(start) = c.start else {
        return Err(RangeSelectError::NotARecording {
            what: format!("{} has no start time in its name", l.path),
        });
    };
    if l.deleted && l.recoverable != Some(true) {
        return Err(RangeSelectError::Overwritten {
            path: l.path.clone(),
        });
    }
    let end = end_of(start, c.duration_s);
    if range.start >= end || range.end <= start {
        return Err(RangeSelectError::NoFootage {
            camera: c.camera.map_or("this", Camera::name),
            start: range.start,
            end: range.end,
            detail: format!("; {} runs from {start} to {end}", l.path),
        });
    }
    Ok(vec![RangeSegment { file, start }])
}

/// Parses a local time as the CLI takes it: "2024-10-12T17:41:05" (or with a space, or
/// without seconds, or with fractions). With an offset ("…+02:00", "…Z"), the time is moved
/// into the card's zone, which must then be known.
pub fn parse_local(text: &str, zone: &TimeZone) -> Result<NaiveDateTime, String> {
    let t = text.trim();
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(t, format) {
            return Ok(local);
        }
    }
    let with_zone = chrono::DateTime::parse_from_rfc3339(t)
        .or_else(|_| chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M%:z"))
        .map_err(|_| {
            format!(
                "`{text}` is not a local time (write it as 2024-10-12T17:41:05, camera local time)"
            )
        })?;
    let utc = with_zone.naive_utc();
    match (zone.utc_offset_s, zone.utc_names) {
        (Some(offset), _) => Ok(utc + TimeDelta::seconds(i64::from(offset))),
        (None, true) => Ok(utc),
        (None, false) => Err(format!(
            "`{text}` has a UTC offset, but this card does not say which zone its camera's clock is in: give the time as the camera shows it, without an offset"
        )),
    }
}
