//! MP4/MOV header reading: duration, creation time and picture size from `moov`, in about two
//! reads per clip and without touching the media payload.
//!
//! Dash cams write `moov` *after* a media payload (`mdat`) of several hundred MB, so the
//! top-level walk follows box sizes (32-bit, 64-bit `largesize`, 0 = "to the end of the file")
//! from one box header to the next until it reaches `moov`, then reads only the movie header and
//! the first tracks' header boxes that open it. Every read goes through a small bounded reader
//! (`source`) that fetches one chunk ahead of the field it needs, because each read call costs
//! about the same whatever its size.
//!
//! **Why not a crate.** `mp4parse` 0.17 keeps `mvhd` private (no creation time, no movie
//! duration) and, like the `mp4` crate (which does expose them but pulls `bytes`, `num-rational`,
//! `serde_json` and a second `thiserror`, and has a record of panics and huge allocations on
//! fuzzed input), parses the whole `moov` including its sample tables from a reader positioned at
//! the file's start, so neither works from the few header bytes read here; the six fixed-layout
//! boxes needed are decoded by hand in `fields`, with every length checked.
//!
//! Every bad input gets an [`Mp4Error`]: a clip whose `moov` is missing (the camera lost power
//! mid-recording) is [`Mp4Error::NoMoov`], and all loops and reads are bounded.

mod boxes;
pub mod camera_record;
mod camera_tail;
mod error;
mod fields;
mod fragment_fields;
mod fragments;
mod moov;
mod source;

use std::io::{Read, Seek};

use chrono::NaiveDateTime;

use boxes::{fourcc, is_printable, read_box_header};
pub use camera_record::CameraRecord;
pub use error::Mp4Error;
use moov::MoovSummary;
pub(crate) use source::ReadSeek;
use source::Source;

/// Largest `moov` accepted. A one-hour 60 fps clip's index is a few MiB; anything near this
/// is damage, and refusing it keeps a lying size from steering the reader.
pub const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// Most top-level boxes walked before `moov` (fragmented files have a pair per fragment).
const MAX_TOP_LEVEL_BOXES: usize = 1024;

/// Types a real MP4/MOV file can start with; anything else is not a clip.
const FIRST_BOX_TYPES: [&[u8; 4]; 13] = [
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"pdin",
    b"sidx", b"moof", b"junk",
];

/// Where a clip's duration came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationFrom {
    /// The movie header (`mvhd`).
    Mvhd,
    /// The longest track's own header (`mdhd`/`tkhd`), when `mvhd` gives none.
    TrackHeader,
    /// A fragmented clip's `mehd` (Beam 2K and Zero patch it in when they close a clip).
    Mehd,
    /// The newer cameras' closing record (the `free`/`AMBA` tail).
    CameraTail,
    /// The fragments themselves (through `mfra`, or each `moof` walked).
    Fragments,
}

/// Two durations closer than this (seconds) agree: a frame or two of rounding.
const AGREEING_S: f64 = 0.25;

/// Bytes of a fragmented clip's end read for its closing record (the camera's tail or
/// ffmpeg's `mfro`).
const END_BYTES: u64 = 256;

/// What a clip's header says.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Mp4Info {
    /// Length in seconds: `mvhd`'s duration, else the longest track's; for fragmented files
    /// (where those are 0) as [`DurationFrom`] says; `None` when nothing says.
    pub duration_s: Option<f64>,
    /// Where `duration_s` came from.
    pub duration_from: Option<DurationFrom>,
    /// The clip is a fragmented MP4 (`moov` has `mvex`), as the newer cameras write.
    pub fragmented: bool,
    /// Its `mvex` holds a `mehd` box (Beam 2K and Zero write one; N1 does not).
    pub has_mehd: bool,
    /// The newer cameras' record of the segment (start in UTC, serial, software).
    pub camera_record: Option<CameraRecord>,
    /// What did not add up, in plain words (a `mehd` that disagrees with the fragments, a
    /// recording cut short, a damaged record).
    /// `mvhd` creation time as the camera's local wall-clock time. The standard says UTC, but
    /// cameras write their local clock, so it is returned naive, unshifted. `None` when 0 or
    /// outside 1970..2100 (an unset clock, or a writer that counted from 1970, not 1904).
    pub created: Option<NaiveDateTime>,
    /// Picture width of the first video track (`tkhd` display size, rounded from 16.16 fixed
    /// point; the sample entry's coded size when `tkhd` gives none).
    pub width: Option<u32>,
    /// Picture height of the first video track, as for `width`.
    pub height: Option<u32>,
    /// Offset of the `moov` box in the file.
    pub moov_offset: u64,
    /// Size of the `moov` box in bytes.
    pub moov_bytes: u64,
    /// `moov` comes after the media payload (how cameras write; "faststart" files have it first).
    pub moov_at_end: bool,
    /// The `ftyp` major brand with trailing spaces trimmed (`isom`, `mp42`, `qt`); `None` without
    /// `ftyp` (older QuickTime files).
    pub major_brand: Option<String>,
    /// Problems worth telling (see `warnings` in the listing).
    pub warnings: Vec<String>,
}

/// Reads the header of the MP4/MOV file `file` of `file_bytes` bytes (its own bytes: an
/// [`crate::extent::ExtentReader`] over its extents in a card image, or a host file).
///
/// In the usual cases this costs two read calls of at most 8 KiB each: one at the start (which
/// shows `ftyp` and the `mdat` header, or the whole start of `moov` for faststart files), one at
/// `moov`. More only when `moov` opens with other boxes or the first track is not video.
pub fn read_header<S: Read + Seek>(file: &mut S, file_bytes: u64) -> Result<Mp4Info, Mp4Error> {
    read_any(file, file_bytes)
}

/// [`read_header`] on a trait object: compiled once for every kind of source.
pub(crate) fn read_any(file: &mut dyn ReadSeek, file_bytes: u64) -> Result<Mp4Info, Mp4Error> {
    if file_bytes == 0 {
        return Err(Mp4Error::Empty);
    }
    let mut src = Source::new(file, file_bytes);
    check_first_box(&mut src)?;
    let mut major_brand = None;
    let mut first_mdat: Option<u64> = None;
    let mut pos = 0u64;
    for index in 0..MAX_TOP_LEVEL_BOXES {
        let Some(header) = read_box_header(&mut src, pos, file_bytes)? else {
            return Err(Mp4Error::NoMoov {
                detail: format!("the file's {index} boxes end without one"),
            });
        };
        if header.to_end && header.kind == [0; 4] && index > 0 {
            // Zeros where the next box should start: space the camera reserved (or the card's
            // clusters) but never wrote, as when recording stopped before moov.
            return Err(Mp4Error::NoMoov {
                detail: format!(
                    "the file holds only zeros from offset {pos}, where the next box should start"
                ),
            });
        }
        if !is_printable(&header.kind) {
            return Err(Mp4Error::malformed(
                &header.kind,
                pos,
                "its type is not four printable characters: the size of the box before it is probably wrong",
            ));
        }
        match &header.kind {
            b"moov" => {
                if header.end > file_bytes {
                    return Err(Mp4Error::Truncated {
                        box_type: "moov".to_string(),
                        offset: pos,
                        needed_end: header.end,
                        file_bytes,
                    });
                }
                if header.bytes() > MAX_MOOV_BYTES {
                    return Err(Mp4Error::BoxTooLarge {
                        box_type: "moov".to_string(),
                        offset: pos,
                        bytes: header.bytes(),
                        limit: MAX_MOOV_BYTES,
                    });
                }
                src.limit_reads_to(header.end);
                let summary = moov::read_moov(&mut src, &header)?;
                let mut warnings = Vec::new();
                let camera_record = match summary.camera_record.clone() {
                    Some(Ok(record)) => Some(record),
                    Some(Err(problem)) => {
                        warnings.push(problem);
                        None
                    }
                    None => None,
                };
                let (duration_s, duration_from) = if summary.fragmented {
                    fragmented_duration(&mut src, &summary, header.end, &mut warnings)
                } else {
                    match (summary.mvhd_duration_s, summary.track_duration_s) {
                        (Some(d), _) => (Some(d), Some(DurationFrom::Mvhd)),
                        (None, Some(d)) => (Some(d), Some(DurationFrom::TrackHeader)),
                        (None, None) => (None, None),
                    }
                };
                return Ok(Mp4Info {
                    duration_s,
                    duration_from,
                    fragmented: summary.fragmented,
                    has_mehd: summary.has_mehd,
                    camera_record,
                    created: summary.created,
                    width: summary.width,
                    height: summary.height,
                    moov_offset: pos,
                    moov_bytes: header.bytes(),
                    moov_at_end: first_mdat.is_some_and(|m| m < pos),
                    major_brand,
                    warnings,
                });
            }
            b"ftyp" if major_brand.is_none() && header.content_bytes() >= 4 => {
                let brand = boxes::fourcc_at(src.bytes(b"ftyp", header.content, 4)?, 0);
                major_brand = Some(fourcc(&brand).trim_end().to_string());
            }
            b"mdat" => {
                first_mdat.get_or_insert(pos);
            }
            _ => {}
        }
        if header.to_end || header.end > file_bytes {
            return Err(Mp4Error::NoMoov {
                detail: ends_inside(&header, file_bytes),
            });
        }
        pos = header.end;
    }
    Err(Mp4Error::TooComplex {
        reason: format!("more than {MAX_TOP_LEVEL_BOXES} top-level boxes before moov"),
    })
}

/// A camera clip's header from its last `tail_bytes` alone, in one read: dash cams end a clip
/// with `moov`, so a `moov` box that ends exactly at the end of the file, found in its tail and
/// read whole from there, is the clip's. `None` when there is none (a faststart or fragmented
/// clip, a `moov` larger than the tail, an encrypted clip, zeros past the bytes written) or it
/// cannot be read: the caller then walks the file from its start as [`read_header`] does.
/// Used where a read costs more than its bytes and the clip's start is not at hand anyway (a
/// browser reading an exFAT card, whose clusters leave the next clip's start far away).
pub(crate) fn read_moov_at_end(
    file: &mut dyn ReadSeek,
    file_bytes: u64,
    tail_bytes: u64,
) -> Option<Mp4Info> {
    let n = tail_bytes.min(file_bytes);
    if n < 16 {
        return None;
    }
    let from = file_bytes - n;
    let mut tail = vec![0u8; n as usize];
    file.seek(std::io::SeekFrom::Start(from)).ok()?;
    file.read_exact(&mut tail).ok()?;
    let at = (0..tail.len() - 8).find(|&p| {
        &tail[p + 4..p + 8] == b"moov"
            && u64::from(u32::from_be_bytes([
                tail[p],
                tail[p + 1],
                tail[p + 2],
                tail[p + 3],
            ])) == n - p as u64
    })?;
    let pos = from + at as u64;
    let mut src = Source::with_chunk(file, file_bytes, tail, from);
    let header = read_box_header(&mut src, pos, file_bytes).ok()??;
    src.limit_reads_to(header.end);
    let summary = moov::read_moov(&mut src, &header).ok()?;
    if summary.fragmented {
        return None;
    }
    let mut warnings = Vec::new();
    let camera_record = match summary.camera_record.clone() {
        Some(Ok(record)) => Some(record),
        Some(Err(problem)) => {
            warnings.push(problem);
            None
        }
        None => None,
    };
    let (duration_s, duration_from) = match (summary.mvhd_duration_s, summary.track_duration_s) {
        (Some(d), _) => (Some(d), Some(DurationFrom::Mvhd)),
        (None, Some(d)) => (Some(d), Some(DurationFrom::TrackHeader)),
        (None, None) => (None, None),
    };
    Some(Mp4Info {
        duration_s,
        duration_from,
        fragmented: false,
        has_mehd: summary.has_mehd,
        camera_record,
        created: summary.created,
        width: summary.width,
        height: summary.height,
        moov_offset: pos,
        moov_bytes: header.bytes(),
        moov_at_end: true,
        major_brand: None,
        warnings,
    })
}

/// The duration of a fragmented clip, in the order the camera makes cheapest: `mehd` (checked
/// against the camera's closing tail), else the tail, else the fragments (through ffmpeg's
/// `mfra` index, else walked one by one). A `mehd` that disagrees with what the file holds is a
/// warning, not a duration. Problems reading the fragments are warnings too: the rest of the
/// header (picture size, the camera's record) stands.
fn fragmented_duration(
    src: &mut Source<'_>,
    summary: &MoovSummary,
    moov_end: u64,
    warnings: &mut Vec<String>,
) -> (Option<f64>, Option<DurationFrom>) {
    let file_bytes = src.file_bytes();
    let seconds =
        |units: u64, timescale: u32| (timescale > 0).then(|| units as f64 / f64::from(timescale));
    let mehd = summary
        .mehd_duration
        .and_then(|d| seconds(d, summary.movie_timescale));
    let track = summary.video_track;
    let from = file_bytes.saturating_sub(END_BYTES).max(moov_end);
    src.limit_reads_to(file_bytes);
    let end = match src.bytes(b"free", from, (file_bytes - from) as usize) {
        Ok(bytes) => bytes.to_vec(),
        Err(e) => {
            warnings.push(format!("the end of the clip could not be read: {e}"));
            Vec::new()
        }
    };
    let tail = camera_tail::parse(&end, summary.tracks, summary.creation_time)
        .zip(track)
        .and_then(|(t, v)| seconds(t.video_duration, v.timescale));
    match (mehd, tail) {
        (Some(m), Some(t)) if (m - t).abs() <= AGREEING_S => {
            return (Some(m), Some(DurationFrom::Mehd));
        }
        (Some(m), Some(t)) => {
            warnings.push(format!(
                "its mehd box says {m:.2} s, but the camera's closing record says {t:.2} s: the record is used"
            ));
            return (Some(t), Some(DurationFrom::CameraTail));
        }
        (None, Some(t)) => return (Some(t), Some(DurationFrom::CameraTail)),
        _ => {}
    }
    let frags = match track {
        Some(track) => match fragments_duration(src, &end, moov_end, &track) {
            Ok(f) => f,
            Err(e) => {
                warnings.push(format!("its fragments could not be read: {e}"));
                None
            }
        },
        None => None,
    };
    if let Some(f) = frags
        && f.cut_short
    {
        warnings.push(format!(
            "the recording was cut short (the camera probably lost power): {} complete fragment(s) are counted, the one being written is left out",
            f.complete
        ));
    }
    match (mehd, frags) {
        (Some(m), Some(f)) if (m - f.seconds).abs() <= AGREEING_S => {
            (Some(m), Some(DurationFrom::Mehd))
        }
        (Some(m), Some(f)) => {
            warnings.push(format!(
                "its mehd box says {m:.2} s, but the fragments in the file last {:.2} s: the fragments are used",
                f.seconds
            ));
            (Some(f.seconds), Some(DurationFrom::Fragments))
        }
        (Some(m), None) => (Some(m), Some(DurationFrom::Mehd)),
        (None, Some(f)) => (Some(f.seconds), Some(DurationFrom::Fragments)),
        (None, None) => (None, None),
    }
}

/// The fragments' duration: through `mfra` when the file ends with one, else by walking them.
fn fragments_duration(
    src: &mut Source<'_>,
    end: &[u8],
    first_moof: u64,
    track: &fragments::VideoTrack,
) -> Result<Option<fragments::FragmentsDuration>, Mp4Error> {
    if let Some(first) = fragments::first_span(src, first_moof, track)?
        && let Some(indexed) = fragments::through_index(src, end, first, track)?
    {
        return Ok(Some(indexed));
    }
    fragments::walk(src, first_moof, track)
}

/// Refuses files that do not open with a box an MP4/MOV file can start with.
fn check_first_box(src: &mut Source<'_>) -> Result<(), Mp4Error> {
    let file_bytes = src.file_bytes();
    if file_bytes < 8 {
        return Err(Mp4Error::NotMp4 {
            found: format!("only {file_bytes} bytes"),
        });
    }
    let head = src.bytes(b"????", 0, 8)?;
    let kind = boxes::fourcc_at(head, 4);
    if FIRST_BOX_TYPES.contains(&&kind) {
        return Ok(());
    }
    let found = if head.iter().all(|&b| b == 0) {
        "zero bytes (its clusters were allocated but never written)".to_string()
    } else {
        format!("\"{}\"", fourcc(&kind))
    };
    Err(Mp4Error::NotMp4 { found })
}

/// Why the walk ended at `last`, the box that reaches the end of the file.
fn ends_inside(last: &boxes::BoxHeader, file_bytes: u64) -> String {
    let what = if last.kind == *b"mdat" {
        format!("the media data (mdat at offset {})", last.offset)
    } else {
        format!("the {} box at offset {}", fourcc(&last.kind), last.offset)
    };
    if last.to_end {
        format!("{what} runs to the end of the file: its size was never written")
    } else {
        format!(
            "{what} claims {} bytes but the file ends {} bytes after its start",
            last.bytes(),
            file_bytes - last.offset
        )
    }
}
