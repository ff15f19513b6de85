//! Export a time range of a drive as one MP4, across segments, without re-encoding (issue #12).
//!
//! A drive is a sequence of one-minute segment files per camera. [`plan`] reads the sample
//! tables of the segments the range touches (only their `moov` and `moof` boxes), picks the
//! keyframe at or before the range's start and the last frame before its end, and lays out one
//! progressive MP4 with `moov` first; [`write()`] then streams it: the header, then the media
//! payload copied in slices straight from the segments. The exact original frames come out;
//! nothing is decoded.
//!
//! ```no_run
//! use std::fs::File;
//! use chrono::NaiveDate;
//! use dashcard::remux::{self, RemuxOptions, SegmentInput, TimeRange};
//!
//! let at = |h, m, s| NaiveDate::from_ymd_opt(2024, 10, 12).unwrap().and_hms_opt(h, m, s).unwrap();
//! let open = |name: &str, start| -> std::io::Result<SegmentInput<File>> {
//!     let source = File::open(name)?;
//!     let bytes = source.metadata()?.len();
//!     Ok(SegmentInput { source, bytes, start })
//! };
//! let mut segments = vec![
//!     open("20241012_174000_1.mp4", at(17, 40, 0))?,
//!     open("20241012_174100_1.mp4", at(17, 41, 0))?,
//! ];
//! let range = TimeRange { start: at(17, 40, 45), end: at(17, 41, 20) };
//! let plan = remux::plan(&mut segments, range, &RemuxOptions::default())?;
//! let out = File::create("clip.mp4")?;
//! let summary = remux::write(&plan, &mut segments, out, |p| eprintln!("{}/{}", p.bytes_done, p.bytes_total))?;
//! println!("{} to {}, {:.1} s", summary.start, summary.end, summary.duration_s);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Inputs.** Classic MP4 (`moov` at the start or at the end, sample tables `stts`, `ctts`,
//! `stsc`, `stsz`/`stz2`, `stco`/`co64`, `stss`) and fragmented MP4 (`moov` with `mvex`, then
//! `moof`/`mdat` pairs), H.264 or H.265 video with AAC audio. Every read goes through the
//! `Read + Seek` given for the segment and uses the segment's own offsets, so a clip inside a
//! card image (an [`crate::extent::ExtentReader`]), a browser `Blob` or an XOR-decrypting
//! wrapper all work the same. A fragmented recording cut off in its last fragment is exported
//! up to the cut (and the summary says so); a classic one that lost its index cannot be.
//!
//! **Timeline.** See the `timeline` module: segments are placed by their wall-clock starts but joined
//! back to back (segment N+1's first frame right after segment N's last), with video as the
//! reference and audio kept in sync at every join.
//!
//! **Sample descriptions.** Later segments must have the same codec configuration as the first
//! (compared without per-file fields such as bit rates); a segment that differs is refused with
//! [`RemuxError::IncompatibleSegments`] rather than given a second sample description (see
//! the `codec` module).
//!
//! **Memory and reads.** Plan holds the sample tables of the segments read (bounded by
//! [`RemuxOptions::max_samples`]) and the output's index; write holds one 256 KiB copy buffer.
//! The output writer needs only `std::io::Write` (no seeking): everything in `moov`, the
//! payload's size included, is computed before the first byte is written.
//!
//! **Box library.** Leaf boxes are decoded and encoded with `mp4-atom` (kixelated): the sample
//! tables, `mvhd`, `tkhd`, `mdhd`, `elst`, and the fragment headers `tfhd`, `tfdt`, `trun`,
//! `trex`. It is maintained, reads fragmented MP4 correctly (per-sample and default values, the
//! first-sample flags, signed and unsigned composition offsets), bounds its allocations by the
//! bytes it was given (0.17 stores a `trun` without per-sample fields as a count, not as
//! billions of entries), and decodes any single box from a byte slice, so it fits reading header
//! bytes piecemeal. The box tree is walked here (`boxes`), not by the library's `Moov` decoder,
//! for code size. Measured on `wasm32-unknown-unknown` (release, `opt-level = "z"`, fat LTO,
//! gzip -9) in a cdylib that already holds the rest of the core: the leaf boxes used here cost
//! about 11 KiB; decoding the whole tree with `mp4-atom` pulls every codec it knows (about
//! 90 KiB); the `mp4` crate (alfg), 0.14, about 30 KiB, and it parses the whole file's tree from
//! a reader at its start and has had no release since 2023. The whole remuxer, `plan` and
//! `write` included, adds about 35 KiB. The sample descriptions (`stsd`) are copied as the
//! camera wrote them and compared by hand (`codec`); `stz2`, which `mp4-atom` does not read, is
//! unpacked by hand. `mp4-atom` 0.17 needs Rust 1.88.

mod boxes;
mod codec;
mod copy;
mod error;
mod fragments;
mod input;
mod moov;
mod timeline;

use std::io::{Read, Seek, Write};

use chrono::NaiveDateTime;

pub use copy::Progress;
pub use error::RemuxError;

use input::{Budget, Limits, read_clip};
use timeline::{Placed, Timeline, build, check_joinable, keyframe, video_cut, video_end};

/// One segment file of the drive: its bytes and where it sits on the wall clock.
#[derive(Debug)]
pub struct SegmentInput<R> {
    /// The segment's bytes (a host file, an extent reader over a card image, a `Blob` reader,
    /// a decrypting wrapper).
    pub source: R,
    /// Its size in bytes.
    pub bytes: u64,
    /// Wall-clock time of its first frame (normally the stamp in its file name).
    pub start: NaiveDateTime,
}

/// The wall-clock range to export; the end is exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeRange {
    /// First moment wanted (the export starts at the keyframe at or before it).
    pub start: NaiveDateTime,
    /// First moment not wanted.
    pub end: NaiveDateTime,
}

/// Bounds on what [`plan`] reads and holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemuxOptions {
    /// Most samples (video frames plus audio frames) read over all segments; each costs about
    /// 24 bytes of memory. The default, two million, is about ten hours of 30 fps video with
    /// 48 kHz AAC.
    pub max_samples: u64,
    /// Most header bytes (`moov`, `moof`s, box headers) read from one segment.
    pub max_header_bytes: u64,
}

impl Default for RemuxOptions {
    fn default() -> Self {
        Self {
            max_samples: 2_000_000,
            max_header_bytes: input::MAX_MOOV_BYTES + 32 * 1024 * 1024,
        }
    }
}

/// What the export holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Wall-clock time of the first frame: the keyframe at or before the range's start.
    pub start: NaiveDateTime,
    /// Wall-clock time just after the last frame (in its own segment's clock).
    pub end: NaiveDateTime,
    /// Length of the output in seconds (joins are back to back, so this can differ from
    /// `end - start` when the segments' stamps leave gaps).
    pub duration_s: f64,
    /// Size of the output file.
    pub bytes: u64,
    /// The segments used, as indices into the slice given to [`plan`], in output order.
    pub segments: Vec<usize>,
    /// Video frames shown (the file may hold a few more after them, that the last ones shown
    /// are decoded from; its edit list hides them).
    pub video_frames: usize,
    /// Things worth telling the owner: tracks left out, a recording cut short.
    pub notes: Vec<String>,
}

/// Everything [`write()`] needs: the output's header bytes and the copies that make its payload.
#[derive(Clone, Debug)]
pub struct RemuxPlan {
    /// `ftyp`, `moov` and the `mdat` header.
    header: Vec<u8>,
    runs: Vec<copy::Run>,
    /// Each source segment used and its size, to check `write` is given the same ones.
    sources: Vec<(usize, u64)>,
    summary: Summary,
}

impl RemuxPlan {
    /// What the export will hold (before writing it).
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Size of the output file in bytes.
    pub fn bytes(&self) -> u64 {
        self.summary.bytes
    }
}

/// Plans the export of `range` from `segments` (one camera's segments of a drive, in any
/// order): reads only their headers and indexes, through bounded reads.
///
/// `creation_time` in `mvhd`, `tkhd` and `mdhd` is set to the export's real start (the
/// keyframe's wall-clock time, from the segments' `start`), written as given: Dashcard treats
/// MP4 times as the camera's wall clock, as cameras do; a caller that knows the zone can pass
/// UTC starts instead.
pub fn plan<R: Read + Seek>(
    segments: &mut [SegmentInput<R>],
    range: TimeRange,
    options: &RemuxOptions,
) -> Result<RemuxPlan, RemuxError> {
    let TimeRange { start, end } = range;
    if end <= start {
        return Err(RemuxError::EmptyRange { start, end });
    }
    // The segments in wall-clock order (a drive has tens of them: an insertion sort, stable).
    let mut order: Vec<usize> = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let at = order
            .iter()
            .rposition(|&j| segments.get(j).is_some_and(|o| o.start <= seg.start))
            .map_or(0, |p| p + 1);
        order.insert(at, i);
    }
    let starts: Vec<NaiveDateTime> = order
        .iter()
        .filter_map(|&i| segments.get(i).map(|s| s.start))
        .collect();
    let uncovered = || RemuxError::NoSegmentCoversRange {
        start,
        end,
        detail: match (starts.first(), starts.last()) {
            (Some(a), Some(b)) => format!("; the segments given start from {a} to {b}"),
            _ => "; no segments were given".to_string(),
        },
    };
    let mut budget = Budget::new(options.max_samples);
    let limits = Limits {
        header_bytes: options.max_header_bytes,
    };
    let mut load = |pos: usize, budget: &mut Budget| -> Result<Placed, RemuxError> {
        let i = order.get(pos).copied().unwrap_or(0);
        let seg = segments.get_mut(i).ok_or_else(uncovered)?;
        let clip = read_clip(&mut seg.source, seg.bytes, i, limits, budget)?;
        Ok(Placed {
            clip,
            start: seg.start,
        })
    };
    // The segment holding the start: the last one starting at or before it, unless it ends
    // before the start (a gap), then the next one.
    let mut pos = match starts.iter().rposition(|&s| s <= start) {
        Some(p) => p,
        None => starts.iter().position(|&s| s < end).ok_or_else(uncovered)?,
    };
    let first = loop {
        let placed = load(pos, &mut budget)?;
        if placed.start > start || video_end(&placed) > start {
            break placed;
        }
        pos += 1;
        if starts.get(pos).is_none_or(|&s| s >= end) {
            return Err(uncovered());
        }
    };
    let key = keyframe(&first, start)?;
    let mut placed = vec![first];
    for next in pos + 1..starts.len() {
        if starts.get(next).is_none_or(|&s| s >= end) {
            break;
        }
        let p = load(next, &mut budget)?;
        if let Some(f) = placed.first() {
            check_joinable(&f.clip, &p.clip)?;
        }
        placed.push(p);
    }
    // The last segment's frames up to the end; one without any is not used.
    let cut = loop {
        let Some(last) = placed.last() else {
            return Err(uncovered());
        };
        let cut = video_cut(last, end);
        if cut.0 == 0 && placed.len() > 1 {
            placed.pop();
            continue;
        }
        if placed.len() == 1 && cut.0 <= key.0 {
            return Err(uncovered());
        }
        break cut;
    };
    let timeline = build(&placed, key, cut)?;
    let order: Vec<usize> = placed.iter().map(|p| p.clip.segment).collect();
    let sources = placed
        .iter()
        .map(|p| (p.clip.segment, p.clip.bytes))
        .collect();
    drop(placed);
    assemble(timeline, &order, sources)
}

/// Lays out the payload and writes the header bytes.
fn assemble(
    timeline: Timeline,
    order: &[usize],
    sources: Vec<(usize, u64)>,
) -> Result<RemuxPlan, RemuxError> {
    let layout = copy::layout(&timeline.tracks, order);
    let ftyp = moov::ftyp(&timeline)?;
    let mdat_header: u64 = if layout.data_bytes + 8 > u64::from(u32::MAX) {
        16
    } else {
        8
    };
    let head = |moov_bytes: usize| ftyp.len() as u64 + moov_bytes as u64 + mdat_header;
    // The index's size does not depend on where the payload starts, only on the offsets' width.
    let mut wide = false;
    let mut data_start = head(moov::moov(&timeline, &layout, 0, false)?.len());
    if data_start + layout.data_bytes > u64::from(u32::MAX) {
        wide = true;
        data_start = head(moov::moov(&timeline, &layout, 0, true)?.len());
    }
    let moov = moov::moov(&timeline, &layout, data_start, wide)?;
    let mut header = ftyp;
    header.extend_from_slice(&moov);
    if mdat_header == 16 {
        header.extend_from_slice(&1u32.to_be_bytes());
        header.extend_from_slice(b"mdat");
        header.extend_from_slice(&(layout.data_bytes + 16).to_be_bytes());
    } else {
        header.extend_from_slice(&((layout.data_bytes + 8) as u32).to_be_bytes());
        header.extend_from_slice(b"mdat");
    }
    let video_ts = timeline.tracks.first().map_or(1, |t| t.source.timescale);
    let summary = Summary {
        start: timeline.start,
        end: timeline.end,
        duration_s: timeline.duration as f64 / f64::from(video_ts.max(1)),
        bytes: header.len() as u64 + layout.data_bytes,
        segments: timeline.segments.clone(),
        video_frames: timeline.shown,
        notes: timeline.notes.clone(),
    };
    Ok(RemuxPlan {
        header,
        runs: layout.runs,
        sources,
        summary,
    })
}

/// Writes the planned export to `out`, copying the media from `segments` (the same slice, in
/// the same order, as given to [`plan`]). `progress` is told the bytes written after each
/// piece. Returns the plan's summary once every byte is written.
pub fn write<R: Read + Seek, W: Write>(
    plan: &RemuxPlan,
    segments: &mut [SegmentInput<R>],
    out: W,
    mut progress: impl FnMut(Progress),
) -> Result<Summary, RemuxError> {
    for &(i, bytes) in &plan.sources {
        let Some(seg) = segments.get(i) else {
            return Err(RemuxError::SegmentsChanged {
                segment: i,
                reason: "it is missing from the segments given".to_string(),
            });
        };
        if seg.bytes != bytes {
            return Err(RemuxError::SegmentsChanged {
                segment: i,
                reason: format!("it holds {} bytes, the plan expected {bytes}", seg.bytes),
            });
        }
    }
    let mut counter = copy::Counter {
        out,
        done: 0,
        total: plan.summary.bytes,
        progress: &mut progress,
    };
    counter.write(&plan.header)?;
    copy::copy_runs(&plan.runs, segments, &mut counter)?;
    counter.out.flush().map_err(|e| RemuxError::Write {
        message: e.to_string(),
    })?;
    Ok(plan.summary.clone())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::codec::{SampleDescription, TrackKind};
    use super::input::Track;
    use super::timeline::OutTrack;

    /// An output track with no samples, for layout tests.
    pub(crate) fn track_stub() -> OutTrack {
        OutTrack {
            source: Track {
                kind: TrackKind::Video,
                track_id: 1,
                timescale: 1000,
                description: SampleDescription {
                    stsd: Vec::new(),
                    codec: *b"avc1",
                    key: Vec::new(),
                },
                tkhd: Default::default(),
                language: "und".to_string(),
                hdlr: Vec::new(),
                media_header: Vec::new(),
                origin: 0,
                edited: false,
                samples: Vec::new(),
                next_dts: 0,
            },
            samples: Vec::new(),
            empty: 0,
            media_time: 0,
            presented: 0,
        }
    }
}
