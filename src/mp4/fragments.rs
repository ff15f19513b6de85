//! How long a fragmented clip's fragments last, from the fragments themselves: through the
//! `mfra` index to the last `moof` (what ffmpeg writes), or by walking every `moof` (a file cut
//! by a power loss, which has neither an index nor the camera's closing tail). Only complete
//! fragments count: a `moof` whose `mdat` runs past the file's end was being written when the
//! power went.
//!
//! Durations are the video track's: the decode time of the first fragment to the end of the
//! last one's samples (`tfdt` + the `trun` durations, defaulting to `tfhd`, then `trex`).

use super::boxes::{BoxHeader, read_box_header, read_child_header};
use super::error::Mp4Error;
use super::fragment_fields::{self as ff, TrunHeader};
use super::source::Source;

/// Most fragments walked in one file: a GOP each, so over an hour of one-second GOPs.
pub(crate) const MAX_FRAGMENTS: usize = 4096;
/// Largest `moof` read: a GOP of a few dozen samples takes a few hundred bytes.
const MAX_MOOF_BYTES: u64 = 256 * 1024;
/// Largest `mfra` followed.
const MAX_MFRA_BYTES: u64 = 16 * 1024 * 1024;
/// Most children looked at in one `moof` or `traf`.
const MAX_CHILDREN: usize = 64;
/// Bytes read at each fragment while walking: its `moof` (a few hundred bytes) and the `mdat`
/// header after it, in one read.
const WALK_PEEK_BYTES: u64 = 2048;

/// The video track as fragments name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VideoTrack {
    /// Its `tkhd` id.
    pub id: u32,
    /// Its `mdhd` timescale (fragment times are in it).
    pub timescale: u32,
    /// Its `trex` default sample duration, when `mvex` gives one.
    pub default_duration: Option<u32>,
}

/// The video samples of one fragment: when they start and how long they last, in the track's
/// timescale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FragmentSpan {
    pub start: u64,
    pub duration: u64,
}

impl FragmentSpan {
    fn end(&self) -> u64 {
        self.start.saturating_add(self.duration)
    }
}

/// What the fragments say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FragmentsDuration {
    /// Seconds from the first fragment's start to the last complete one's end.
    pub seconds: f64,
    /// Complete fragments counted (walk only; 0 through `mfra`).
    pub complete: usize,
    /// A fragment that was still being written was left out.
    pub cut_short: bool,
}

/// The video track's span in the `moof` box `moof`; `None` when it has no fragment of it.
pub(crate) fn read_moof(
    src: &mut Source<'_>,
    moof: &BoxHeader,
    track: &VideoTrack,
) -> Result<Option<FragmentSpan>, Mp4Error> {
    if moof.bytes() > MAX_MOOF_BYTES {
        return Err(Mp4Error::BoxTooLarge {
            box_type: "moof".to_string(),
            offset: moof.offset,
            bytes: moof.bytes(),
            limit: MAX_MOOF_BYTES,
        });
    }
    // The fragment's header and the media header after it, in one read.
    src.limit_reads_to(moof.end.saturating_add(16));
    let mut pos = moof.content;
    for _ in 0..MAX_CHILDREN {
        let Some(child) = read_child_header(src, pos, moof)? else {
            break;
        };
        if child.kind == *b"traf"
            && let Some(span) = read_traf(src, &child, track)?
        {
            return Ok(Some(span));
        }
        pos = child.end;
    }
    Ok(None)
}

fn read_traf(
    src: &mut Source<'_>,
    traf: &BoxHeader,
    track: &VideoTrack,
) -> Result<Option<FragmentSpan>, Mp4Error> {
    let mut default_duration = track.default_duration;
    let mut start = None;
    let mut duration = 0u64;
    let mut pos = traf.content;
    for _ in 0..MAX_CHILDREN {
        let Some(child) = read_child_header(src, pos, traf)? else {
            break;
        };
        match &child.kind {
            b"tfhd" => {
                let tfhd = decode(src, &child, ff::TFHD_BYTES, ff::tfhd)?;
                if tfhd.track_id != track.id {
                    return Ok(None);
                }
                default_duration = tfhd.default_duration.or(default_duration);
            }
            b"tfdt" => start = Some(decode(src, &child, ff::TFDT_BYTES, ff::tfdt)?),
            b"trun" => {
                duration = duration.saturating_add(run_duration(src, &child, default_duration)?)
            }
            _ => {}
        }
        pos = child.end;
    }
    // Without tfdt, a fragment's start is where the previous one ended; only the first can be
    // read that way, from 0.
    Ok(Some(FragmentSpan {
        start: start.unwrap_or(0),
        duration,
    }))
}

fn run_duration(
    src: &mut Source<'_>,
    trun: &BoxHeader,
    default_duration: Option<u32>,
) -> Result<u64, Mp4Error> {
    let header: TrunHeader = decode(src, trun, ff::TRUN_HEADER_BYTES, ff::trun_header)?;
    if !header.has_durations {
        let each = default_duration.ok_or_else(|| {
            Mp4Error::malformed(
                &trun.kind,
                trun.offset,
                "its samples have no duration and no default is given",
            )
        })?;
        return Ok(u64::from(header.samples) * u64::from(each));
    }
    let len = header.samples as usize * header.row_bytes;
    if (header.table_at + len) as u64 > trun.content_bytes() {
        return Err(Mp4Error::malformed(
            &trun.kind,
            trun.offset,
            "its sample table runs past its end",
        ));
    }
    let table = src.bytes(&trun.kind, trun.content + header.table_at as u64, len)?;
    ff::trun_durations(table, &header).map_err(|r| Mp4Error::malformed(&trun.kind, trun.offset, r))
}

/// Reads up to `max` bytes of `b`'s content and decodes them with `decode`.
fn decode<T>(
    src: &mut Source<'_>,
    b: &BoxHeader,
    max: usize,
    decode: fn(&[u8]) -> Result<T, String>,
) -> Result<T, Mp4Error> {
    let len = b.content_bytes().min(max as u64) as usize;
    let content = src.bytes(&b.kind, b.content, len)?;
    decode(content).map_err(|reason| Mp4Error::malformed(&b.kind, b.offset, reason))
}

/// The span of the first fragment, at `first_moof` (the box right after `moov`).
pub(crate) fn first_span(
    src: &mut Source<'_>,
    first_moof: u64,
    track: &VideoTrack,
) -> Result<Option<FragmentSpan>, Mp4Error> {
    let file_bytes = src.file_bytes();
    match read_box_header(src, first_moof, file_bytes)? {
        Some(moof) if moof.kind == *b"moof" && moof.end <= file_bytes => {
            read_moof(src, &moof, track)
        }
        _ => Ok(None),
    }
}

/// The duration through the `mfra` index, whose `mfro` is in `end` (the file's last bytes):
/// the last fragment `tfra` points at, read for its end. `None` without an index.
pub(crate) fn through_index(
    src: &mut Source<'_>,
    end: &[u8],
    first: FragmentSpan,
    track: &VideoTrack,
) -> Result<Option<FragmentsDuration>, Mp4Error> {
    let file_bytes = src.file_bytes();
    let Some(mfro) = end.get(end.len().saturating_sub(16)..) else {
        return Ok(None);
    };
    if mfro.len() < 16 || &mfro[4..8] != b"mfro" {
        return Ok(None);
    }
    let mfra_bytes =
        ff::mfro(&mfro[8..]).map_err(|r| Mp4Error::malformed(b"mfro", file_bytes - 16, r))?;
    let mfra_bytes = u64::from(mfra_bytes);
    if !(16..=MAX_MFRA_BYTES).contains(&mfra_bytes) || mfra_bytes > file_bytes {
        return Ok(None);
    }
    let at = file_bytes - mfra_bytes;
    src.limit_reads_to(file_bytes);
    let Some(mfra) = read_box_header(src, at, file_bytes)? else {
        return Ok(None);
    };
    if mfra.kind != *b"mfra" || mfra.end != file_bytes {
        return Ok(None);
    }
    let mut pos = mfra.content;
    for _ in 0..MAX_CHILDREN {
        let Some(tfra) = read_child_header(src, pos, &mfra)? else {
            break;
        };
        pos = tfra.end;
        if tfra.kind != *b"tfra" {
            continue;
        }
        let header = decode(src, &tfra, ff::TFRA_HEADER_BYTES + 4, ff::tfra_header)?;
        if header.track_id != track.id || header.entries == 0 {
            continue;
        }
        let last_at = tfra.content
            + (ff::TFRA_HEADER_BYTES + 4) as u64
            + u64::from(header.entries - 1) * header.entry_bytes as u64;
        if last_at + header.entry_bytes as u64 > tfra.end {
            return Err(Mp4Error::malformed(
                b"tfra",
                tfra.offset,
                "its entries run past its end",
            ));
        }
        let entry = src.bytes(b"tfra", last_at, header.entry_bytes)?;
        let moof_at = ff::tfra_moof_offset(entry, header.wide)
            .map_err(|r| Mp4Error::malformed(b"tfra", tfra.offset, r))?;
        let Some(moof) = read_box_header(src, moof_at, file_bytes)? else {
            return Ok(None);
        };
        if moof.kind != *b"moof" || moof.end > file_bytes {
            return Ok(None);
        }
        let Some(last) = read_moof(src, &moof, track)? else {
            return Ok(None);
        };
        return Ok(Some(FragmentsDuration {
            seconds: seconds(last.end().saturating_sub(first.start), track.timescale),
            complete: 0,
            cut_short: false,
        }));
    }
    Ok(None)
}

/// The duration by walking every fragment from `first_moof`: each `moof` and the `mdat` after
/// it, counted only when that `mdat` ends inside the file. Bounded by [`MAX_FRAGMENTS`].
pub(crate) fn walk(
    src: &mut Source<'_>,
    first_moof: u64,
    track: &VideoTrack,
) -> Result<Option<FragmentsDuration>, Mp4Error> {
    let file_bytes = src.file_bytes();
    src.allow_reads(MAX_FRAGMENTS as u32 * 2);
    let mut pos = first_moof;
    let mut first: Option<u64> = None;
    let mut end: Option<u64> = None;
    let mut complete = 0usize;
    let mut cut_short = false;
    for _ in 0..MAX_FRAGMENTS {
        src.limit_reads_to(pos.saturating_add(WALK_PEEK_BYTES));
        let Some(moof) = read_box_header(src, pos, file_bytes)? else {
            break;
        };
        if moof.kind != *b"moof" {
            break;
        }
        if moof.end > file_bytes {
            cut_short = true;
            break;
        }
        let span = read_moof(src, &moof, track)?;
        let mdat = read_box_header(src, moof.end, file_bytes)?;
        let Some(mdat) = mdat.filter(|m| m.kind == *b"mdat") else {
            cut_short = true;
            break;
        };
        if mdat.to_end || mdat.end > file_bytes {
            cut_short = true;
            break;
        }
        if let Some(span) = span {
            first.get_or_insert(span.start);
            end = Some(end.map_or(span.end(), |e: u64| e.max(span.end())));
        }
        complete += 1;
        pos = mdat.end;
    }
    Ok(match (first, end) {
        (Some(first), Some(end)) => Some(FragmentsDuration {
            seconds: seconds(end.saturating_sub(first), track.timescale),
            complete,
            cut_short,
        }),
        _ => None,
    })
}

fn seconds(units: u64, timescale: u32) -> f64 {
    if timescale == 0 {
        0.0
    } else {
        units as f64 / f64::from(timescale)
    }
}
