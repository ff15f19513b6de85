//! A segment's sample tables: every sample of its video and audio tracks (where its bytes are,
//! how long it lasts, its composition offset, whether it is a keyframe), read from `moov`'s
//! sample tables (`stts`, `ctts`, `stsc`, `stsz`/`stz2`, `stco`/`co64`, `stss`) and, for
//! fragmented files, from each `moof` (see [`super::fragments`]).
//!
//! Only header boxes are read: `moov` in one read, each `moof` in one read, and one 16-byte
//! header read per top-level box on the way. The media payload is never touched here.

use std::io::{Read, Seek};

use mp4_atom::{
    Co64, Ctts, Elst, Mdhd, Mvhd, Stco, Stsc, Stss, Stsz, StszSamples, Stts, Tkhd, Trex,
};

use super::boxes::{Child, SegmentBytes, be_u32, children, decode, find};
use super::codec::{SampleDescription, TrackKind, describe};
use super::error::{RemuxError, fourcc};
use super::fragments;

/// Largest `moov` read (the same bound as the header reader's).
pub(crate) const MAX_MOOV_BYTES: u64 = crate::mp4::MAX_MOOV_BYTES;
/// Largest `moof` read; a one-minute clip's whole index is far smaller.
pub(crate) const MAX_MOOF_BYTES: u64 = 16 * 1024 * 1024;
/// Largest media time accepted from an edit list or a fragment's decode time: a century at
/// 90 kHz. Larger values are damage, and refusing them keeps every time sum far from overflow.
pub(crate) const MAX_MEDIA_TIME: u64 = 1 << 48;
/// Most top-level boxes walked in one segment (fragmented files have two per fragment).
const MAX_TOP_LEVEL_BOXES: usize = 100_000;
/// Types a real MP4 file can start with.
const FIRST_BOX_TYPES: [&[u8; 4]; 11] = [
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"uuid", b"pdin", b"sidx",
    b"moof",
];

/// One sample: where its bytes are in its segment and how it is timed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sample {
    pub offset: u64,
    pub size: u32,
    /// Decode duration in the track's timescale.
    pub duration: u32,
    /// Composition offset (presentation time minus decode time).
    pub cts: i32,
    pub sync: bool,
}

/// One video or audio track of a segment.
#[derive(Clone, Debug)]
pub(crate) struct Track {
    pub kind: TrackKind,
    pub track_id: u32,
    pub timescale: u32,
    pub description: SampleDescription,
    pub tkhd: Tkhd,
    pub language: String,
    /// The whole `hdlr` box, copied into the output.
    pub hdlr: Vec<u8>,
    /// The whole `vmhd` or `smhd` box, copied into the output.
    pub media_header: Vec<u8>,
    /// Media time (counted from the first sample's decode time) shown at the segment's time 0,
    /// which is its first video frame: from the edit list (its start, less any initial empty
    /// edit; 0 without one), moved to where the first frame is shown.
    pub origin: i64,
    /// The track has an edit list (`origin` then counts from media time 0, not from the
    /// first sample: fragments move it by their first decode time).
    pub edited: bool,
    /// Every sample, in decode order; decode times are the running sum of durations.
    pub samples: Vec<Sample>,
    /// The decode time the next fragment's samples are expected at (fragmented files).
    pub next_dts: u64,
}

impl Clip {
    /// The file's samples are (also) in fragments.
    pub(crate) fn is_fragmented(&self) -> bool {
        self.fragmented
    }
}

impl Track {
    /// Sum of all sample durations.
    pub(crate) fn duration(&self) -> u64 {
        self.samples.iter().map(|s| u64::from(s.duration)).sum()
    }
}

/// What plan needs from one segment.
#[derive(Clone, Debug)]
pub(crate) struct Clip {
    pub segment: usize,
    pub bytes: u64,
    /// `mvhd` timescale (edit lists are in it).
    pub movie_timescale: u32,
    /// The video track first, then the audio tracks in file order.
    pub tracks: Vec<Track>,
    /// Tracks that are not copied, e.g. "a text track".
    pub skipped: Vec<String>,
    /// Fragment defaults of every track (`mvex`), for fragmented files.
    pub trexes: Vec<Trex>,
    /// The file has `mvex`: its samples (or more of them) are in fragments.
    pub fragmented: bool,
    /// A fragmented file whose last fragment runs past its end (recording cut off): its
    /// samples up to the cut were kept.
    pub cut_short: bool,
}

/// Bounds on what one plan reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_bytes: u64,
}

/// Reads the sample tables of segment `segment` (`bytes` bytes), counting its samples against
/// `budget`.
pub(crate) fn read_clip<R: Read + Seek>(
    src: &mut R,
    bytes: u64,
    segment: usize,
    limits: Limits,
    budget: &mut Budget,
) -> Result<Clip, RemuxError> {
    let mut file = SegmentBytes::new(src, bytes, segment, limits.header_bytes);
    check_first_box(&mut file)?;
    let mut clip: Option<Clip> = None;
    let mut pos = 0u64;
    for index in 0..MAX_TOP_LEVEL_BOXES {
        let Some(top) = file.top_box(pos)? else {
            return finish(clip, segment, || {
                format!("the file's {index} boxes end without one")
            });
        };
        if top.end > bytes {
            // The box runs past the end of the file. A fragmented recording cut off in its
            // last fragment keeps what is whole; anything else has lost part of its index.
            if let Some(c) = clip.as_mut()
                && c.is_fragmented()
                && (top.kind == *b"mdat" || top.kind == *b"moof")
            {
                c.cut_short = true;
                return finish(clip, segment, String::new);
            }
            if top.kind == *b"moov" {
                return Err(RemuxError::Truncated {
                    segment,
                    what: format!("the moov box at offset {}", top.offset),
                    needed_end: top.end,
                    bytes,
                });
            }
            return finish(clip, segment, || {
                format!(
                    "the {} box at offset {} runs past the end of the file",
                    fourcc(&top.kind),
                    top.offset
                )
            });
        }
        match &top.kind {
            b"moov" if clip.is_none() => {
                let len = top.end - top.offset;
                if len > MAX_MOOV_BYTES {
                    return Err(RemuxError::TooLarge {
                        what: format!("segment {segment}'s moov box of {len} bytes"),
                        limit: MAX_MOOV_BYTES,
                    });
                }
                let moov = file.read_at(top.offset, len, "the moov box")?;
                clip = Some(read_moov(&moov, top.offset, segment, bytes, budget)?);
            }
            b"moof" => {
                let Some(c) = clip.as_mut() else {
                    return Err(RemuxError::malformed(
                        segment,
                        b"moof",
                        top.offset,
                        "it comes before the moov box",
                    ));
                };
                let len = top.end - top.offset;
                if len > MAX_MOOF_BYTES {
                    return Err(RemuxError::TooLarge {
                        what: format!(
                            "segment {segment}'s moof box of {len} bytes at offset {}",
                            top.offset
                        ),
                        limit: MAX_MOOF_BYTES,
                    });
                }
                let moof = file.read_at(top.offset, len, "a moof box")?;
                fragments::read_moof(&moof, top.offset, c, budget)?;
            }
            _ => {}
        }
        if top.to_end {
            return finish(clip, segment, String::new);
        }
        pos = top.end;
    }
    Err(RemuxError::TooLarge {
        what: format!("segment {segment} has more than {MAX_TOP_LEVEL_BOXES} top-level boxes"),
        limit: MAX_TOP_LEVEL_BOXES as u64,
    })
}

/// The clip once the walk is over, or why there is none.
fn finish(
    clip: Option<Clip>,
    segment: usize,
    detail: impl FnOnce() -> String,
) -> Result<Clip, RemuxError> {
    let mut clip = clip.ok_or_else(|| RemuxError::NoMoov {
        segment,
        detail: detail(),
    })?;
    for track in &mut clip.tracks {
        // A last sample of zero duration (some writers leave it so) would put the next
        // segment's first sample at the same time: give it its predecessor's.
        let n = track.samples.len();
        if n >= 2 && track.samples.get(n - 1).is_some_and(|s| s.duration == 0) {
            let before = track.samples.get(n - 2).map_or(1, |s| s.duration.max(1));
            if let Some(last) = track.samples.last_mut() {
                last.duration = before;
            }
        }
    }
    let (video_ts, lead) = match clip.tracks.first() {
        Some(t) if t.kind == TrackKind::Video && !t.samples.is_empty() => {
            (t.timescale, first_frame(t))
        }
        _ => {
            return Err(RemuxError::Unsupported {
                segment,
                what: "a clip without video frames".to_string(),
            });
        }
    };
    // The segment's wall-clock start is its first frame: count every track's presentation
    // times from there (an initial empty edit or a late first frame moves them all alike).
    for track in &mut clip.tracks {
        track.origin = track
            .origin
            .saturating_add(rescale(lead, video_ts, track.timescale));
    }
    Ok(clip)
}

/// Presentation time of a video track's first frame (its earliest), counted from its origin.
fn first_frame(video: &Track) -> i64 {
    let mut dts = 0i64;
    let mut first = i64::MAX;
    for s in &video.samples {
        first = first.min(dts.saturating_add(i64::from(s.cts)));
        dts = dts.saturating_add(i64::from(s.duration));
    }
    first.saturating_sub(video.origin)
}

/// Refuses files that do not open with a box an MP4 file can start with.
fn check_first_box<R: Read + Seek>(file: &mut SegmentBytes<'_, R>) -> Result<(), RemuxError> {
    if file.bytes < 8 {
        return Err(RemuxError::NotMp4 {
            segment: file.segment,
            found: format!("only {} bytes", file.bytes),
        });
    }
    let head = file.read_at(0, 8, "the first box header")?;
    let kind = super::boxes::fourcc_at(&head, 4);
    if FIRST_BOX_TYPES.contains(&&kind) {
        return Ok(());
    }
    let found = if head.iter().all(|&b| b == 0) {
        "zero bytes".to_string()
    } else {
        format!("\"{}\"", fourcc(&kind))
    };
    Err(RemuxError::NotMp4 {
        segment: file.segment,
        found,
    })
}

/// The tracks of `moov` (read whole, at segment offset `offset`).
fn read_moov(
    moov: &[u8],
    offset: u64,
    segment: usize,
    bytes: u64,
    budget: &mut Budget,
) -> Result<Clip, RemuxError> {
    let header = if be_u32(moov, 0) == 1 { 16 } else { 8 };
    let body = moov.get(header..).unwrap_or_default();
    let kids = children(body, offset + header as u64, segment, b"moov")?;
    let mvhd_box = find(&kids, b"mvhd").ok_or_else(|| {
        RemuxError::malformed(segment, b"moov", offset, "it has no mvhd (movie header)")
    })?;
    let mvhd: Mvhd = decode(mvhd_box, segment)?;
    if mvhd.timescale == 0 {
        return Err(RemuxError::malformed(
            segment,
            b"mvhd",
            mvhd_box.offset,
            "its timescale is 0",
        ));
    }
    let trexes: Vec<Trex> = match find(&kids, b"mvex") {
        Some(mvex) => children(mvex.body, mvex.offset + 8, segment, b"mvex")?
            .iter()
            .filter(|c| c.kind == *b"trex")
            .map(|c| decode::<Trex>(c, segment))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let fragmented = find(&kids, b"mvex").is_some();
    let mut clip = Clip {
        segment,
        bytes,
        movie_timescale: mvhd.timescale,
        tracks: Vec::new(),
        skipped: Vec::new(),
        trexes,
        fragmented,
        cut_short: false,
    };
    for trak in kids.iter().filter(|c| c.kind == *b"trak") {
        if let Some(track) = read_trak(trak, &mut clip, budget)? {
            clip.tracks.push(track);
        }
    }
    let videos = clip
        .tracks
        .iter()
        .filter(|t| t.kind == TrackKind::Video)
        .count();
    if videos > 1 {
        return Err(RemuxError::Unsupported {
            segment,
            what: format!("a clip with {videos} video tracks"),
        });
    }
    // The video track first (the others keep their order).
    if let Some(v) = clip.tracks.iter().position(|t| t.kind == TrackKind::Video) {
        let video = clip.tracks.remove(v);
        clip.tracks.insert(0, video);
    }
    Ok(clip)
}

/// One track, or `None` (noted in `clip.skipped`) when it is neither video nor audio.
fn read_trak(
    trak: &Child<'_>,
    clip: &mut Clip,
    budget: &mut Budget,
) -> Result<Option<Track>, RemuxError> {
    let segment = clip.segment;
    let kids = children(trak.body, trak.offset + 8, segment, b"trak")?;
    let missing = |what: &str| {
        RemuxError::malformed(segment, b"trak", trak.offset, format!("it has no {what}"))
    };
    let mdia = find(&kids, b"mdia").ok_or_else(|| missing("mdia"))?;
    let mdia_kids = children(mdia.body, mdia.offset + 8, segment, b"mdia")?;
    let hdlr = find(&mdia_kids, b"hdlr").ok_or_else(|| missing("hdlr"))?;
    let handler = super::boxes::fourcc_at(hdlr.body, 8);
    let kind = match &handler {
        b"vide" => TrackKind::Video,
        b"soun" => TrackKind::Audio,
        other => {
            clip.skipped.push(format!("a {} track", fourcc(other)));
            return Ok(None);
        }
    };
    let tkhd: Tkhd = decode(
        find(&kids, b"tkhd").ok_or_else(|| missing("tkhd"))?,
        segment,
    )?;
    let mdhd_box = find(&mdia_kids, b"mdhd").ok_or_else(|| missing("mdhd"))?;
    let mdhd: Mdhd = decode(mdhd_box, segment)?;
    if mdhd.timescale == 0 {
        return Err(RemuxError::malformed(
            segment,
            b"mdhd",
            mdhd_box.offset,
            "its timescale is 0",
        ));
    }
    let minf = find(&mdia_kids, b"minf").ok_or_else(|| missing("minf"))?;
    let minf_kids = children(minf.body, minf.offset + 8, segment, b"minf")?;
    let header_kind = if kind == TrackKind::Video {
        b"vmhd"
    } else {
        b"smhd"
    };
    let media_header = find(&minf_kids, header_kind)
        .map(|c| c.whole.to_vec())
        .unwrap_or_default();
    let stbl = find(&minf_kids, b"stbl").ok_or_else(|| missing("stbl"))?;
    let stbl_kids = children(stbl.body, stbl.offset + 8, segment, b"stbl")?;
    let stsd = find(&stbl_kids, b"stsd").ok_or_else(|| missing("stsd"))?;
    let description = describe(stsd, kind, segment)?;
    let origin = match find(&kids, b"edts") {
        Some(edts) => edit_origin(edts, segment, clip.movie_timescale, mdhd.timescale)?,
        None => 0,
    };
    let samples = read_sample_tables(&stbl_kids, stbl, segment, clip.bytes, kind, budget)?;
    Ok(Some(Track {
        kind,
        track_id: tkhd.track_id,
        timescale: mdhd.timescale,
        description,
        tkhd,
        language: mdhd.language,
        hdlr: hdlr.whole.to_vec(),
        media_header,
        origin,
        edited: find(&kids, b"edts").is_some(),
        next_dts: samples.iter().map(|s| u64::from(s.duration)).sum(),
        samples,
    }))
}

/// The media time shown at the segment's time 0, from the edit list: the first real edit's
/// start, less the length of any empty edit before it.
fn edit_origin(
    edts: &Child<'_>,
    segment: usize,
    movie_timescale: u32,
    timescale: u32,
) -> Result<i64, RemuxError> {
    let kids = children(edts.body, edts.offset + 8, segment, b"edts")?;
    let Some(elst) = find(&kids, b"elst") else {
        return Ok(0);
    };
    let elst_box = elst;
    let elst: Elst = decode(elst_box, segment)?;
    let too_far = |what: &str, v: u64| {
        RemuxError::malformed(
            segment,
            b"elst",
            elst_box.offset,
            format!("its {what} {v} is beyond any recording's length"),
        )
    };
    let mut empty: i64 = 0;
    for entry in elst.entries.iter().take(64) {
        match entry.media_time {
            None => {
                if entry.segment_duration > MAX_MEDIA_TIME {
                    return Err(too_far("empty edit", entry.segment_duration));
                }
                let d = rescale(entry.segment_duration as i64, movie_timescale, timescale);
                empty = empty.saturating_add(d);
            }
            Some(t) if t > MAX_MEDIA_TIME => return Err(too_far("media time", t)),
            Some(t) => return Ok((t as i64).saturating_sub(empty)),
        }
    }
    Ok(-empty)
}

/// `value` in timescale `from` converted to timescale `to`, rounded to the nearest (halves away
/// from zero).
pub(crate) fn rescale(value: i64, from: u32, to: u32) -> i64 {
    if from == to || from == 0 {
        return value;
    }
    let num = i128::from(value) * i128::from(to);
    let den = i128::from(from);
    let q = (num.abs() * 2 + den) / (den * 2);
    let q = if num < 0 { -q } else { q };
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// Takes `n` samples off the budget, or says the export is too large.
/// How many more samples the plan may read (every table is expanded into memory).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Budget {
    pub left: u64,
    pub max: u64,
}

impl Budget {
    pub(crate) fn new(max: u64) -> Self {
        Self { left: max, max }
    }

    /// Takes `n` samples off the budget, or says the export is too large.
    pub(crate) fn spend(&mut self, n: u64) -> Result<(), RemuxError> {
        if n > self.left {
            return Err(RemuxError::TooLarge {
                what: format!(
                    "the segments read hold more than {} samples (or a table claims more than the recording has)",
                    self.max
                ),
                limit: self.max,
            });
        }
        self.left -= n;
        Ok(())
    }
}

/// Every sample of a track from its sample tables.
fn read_sample_tables(
    kids: &[Child<'_>],
    stbl: &Child<'_>,
    segment: usize,
    bytes: u64,
    kind: TrackKind,
    budget: &mut Budget,
) -> Result<Vec<Sample>, RemuxError> {
    let missing = |what: &str| {
        RemuxError::malformed(segment, b"stbl", stbl.offset, format!("it has no {what}"))
    };
    let sizes = sample_sizes(kids, segment).ok_or_else(|| missing("stsz or stz2"))??;
    let n = sizes.count();
    if n == 0 {
        return Ok(Vec::new());
    }
    budget.spend(n as u64)?;
    let mut samples = vec![Sample::default(); n];
    for (i, s) in samples.iter_mut().enumerate() {
        s.size = sizes.get(i);
        s.sync = true;
    }
    // Decode durations.
    let stts_box = find(kids, b"stts").ok_or_else(|| missing("stts"))?;
    let stts: Stts = decode(stts_box, segment)?;
    let mut i = 0usize;
    for e in &stts.entries {
        let take = (e.sample_count as usize).min(n - i);
        for s in samples.iter_mut().skip(i).take(take) {
            s.duration = e.sample_delta;
        }
        i += take;
    }
    if i < n {
        return Err(RemuxError::malformed(
            segment,
            b"stts",
            stts_box.offset,
            format!("it times {i} samples, stsz lists {n}"),
        ));
    }
    // Composition offsets.
    if let Some(ctts_box) = find(kids, b"ctts") {
        let ctts: Ctts = decode(ctts_box, segment)?;
        let mut i = 0usize;
        for e in &ctts.entries {
            let take = (e.sample_count as usize).min(n - i);
            let cts = composition_offset(e.sample_offset);
            for s in samples.iter_mut().skip(i).take(take) {
                s.cts = cts;
            }
            i += take;
        }
    }
    // Keyframes (all samples are when there is no stss).
    if let Some(stss_box) = find(kids, b"stss") {
        let stss: Stss = decode(stss_box, segment)?;
        samples.iter_mut().for_each(|s| s.sync = false);
        for &number in &stss.entries {
            if let Some(s) = (number as usize)
                .checked_sub(1)
                .and_then(|i| samples.get_mut(i))
            {
                s.sync = true;
            }
        }
    }
    // Where each sample's bytes are: chunks of consecutive samples.
    let chunk_offsets: Vec<u64> = if let Some(c) = find(kids, b"stco") {
        decode::<Stco>(c, segment)?
            .entries
            .into_iter()
            .map(u64::from)
            .collect()
    } else if let Some(c) = find(kids, b"co64") {
        decode::<Co64>(c, segment)?.entries
    } else {
        return Err(missing("stco or co64"));
    };
    let stsc_box = find(kids, b"stsc").ok_or_else(|| missing("stsc"))?;
    let stsc: Stsc = decode(stsc_box, segment)?;
    let mut next = 0usize;
    for (e_index, e) in stsc.entries.iter().enumerate() {
        if e.sample_description_index != 1 {
            return Err(RemuxError::Unsupported {
                segment,
                what: format!(
                    "a chunk using sample description {}",
                    e.sample_description_index
                ),
            });
        }
        let first = (e.first_chunk as usize).saturating_sub(1);
        let last = stsc
            .entries
            .get(e_index + 1)
            .map_or(chunk_offsets.len(), |n| {
                (n.first_chunk as usize).saturating_sub(1)
            })
            .min(chunk_offsets.len());
        for chunk in first..last {
            let Some(&chunk_offset) = chunk_offsets.get(chunk) else {
                break;
            };
            let mut offset = chunk_offset;
            for _ in 0..e.samples_per_chunk {
                let Some(s) = samples.get_mut(next) else {
                    break;
                };
                s.offset = offset;
                offset = offset.saturating_add(u64::from(s.size));
                next += 1;
            }
            if next >= n {
                break;
            }
        }
    }
    if next < n {
        return Err(RemuxError::malformed(
            segment,
            b"stsc",
            stsc_box.offset,
            format!("its chunks hold {next} samples, stsz lists {n}"),
        ));
    }
    for (i, s) in samples.iter().enumerate() {
        let end = s.offset.saturating_add(u64::from(s.size));
        if end > bytes {
            return Err(RemuxError::Truncated {
                segment,
                what: format!("{} sample {} of {n}", kind.name(), i + 1),
                needed_end: end,
                bytes,
            });
        }
    }
    Ok(samples)
}

/// A composition offset as a signed value: version 0 boxes are unsigned, but writers that need
/// negative offsets wrap them, and every reader takes them as signed.
pub(crate) fn composition_offset(v: i64) -> i32 {
    if (0..=i64::from(u32::MAX)).contains(&v) {
        v as u32 as i32
    } else {
        i32::try_from(v).unwrap_or(0)
    }
}

/// Sample sizes from `stsz`, or from `stz2` (compact sizes, which `mp4-atom` does not read).
enum Sizes {
    Same { count: usize, size: u32 },
    Each(Vec<u32>),
}

impl Sizes {
    fn count(&self) -> usize {
        match self {
            Self::Same { count, .. } => *count,
            Self::Each(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> u32 {
        match self {
            Self::Same { size, .. } => *size,
            Self::Each(v) => v.get(i).copied().unwrap_or(0),
        }
    }
}

fn sample_sizes(kids: &[Child<'_>], segment: usize) -> Option<Result<Sizes, RemuxError>> {
    if let Some(stsz) = find(kids, b"stsz") {
        return Some(decode::<Stsz>(stsz, segment).map(|s| match s.samples {
            StszSamples::Identical { count, size } => Sizes::Same {
                count: count as usize,
                size,
            },
            StszSamples::Different { sizes } => Sizes::Each(sizes),
        }));
    }
    let stz2 = find(kids, b"stz2")?;
    Some(compact_sizes(stz2, segment))
}

/// `stz2`: version and flags, 3 reserved bytes, the field size in bits (4, 8 or 16), the count,
/// then the packed sizes.
fn compact_sizes(stz2: &Child<'_>, segment: usize) -> Result<Sizes, RemuxError> {
    let body = stz2.body;
    let bad = |reason: String| RemuxError::malformed(segment, b"stz2", stz2.offset, reason);
    if body.len() < 12 {
        return Err(bad("it is too short for its count".to_string()));
    }
    let field_bits = body.get(7).copied().unwrap_or(0);
    let count = be_u32(body, 8) as usize;
    let packed = body.get(12..).unwrap_or_default();
    let needed = match field_bits {
        4 => count.div_ceil(2),
        8 => count,
        16 => count.saturating_mul(2),
        other => return Err(bad(format!("its field size {other} is not 4, 8 or 16"))),
    };
    if packed.len() < needed {
        return Err(bad(format!(
            "it lists {count} sizes but holds only {} bytes of them",
            packed.len()
        )));
    }
    let sizes = (0..count)
        .map(|i| match field_bits {
            4 => {
                let b = packed.get(i / 2).copied().unwrap_or(0);
                u32::from(if i % 2 == 0 { b >> 4 } else { b & 0x0f })
            }
            8 => u32::from(packed.get(i).copied().unwrap_or(0)),
            _ => u32::from(super::boxes::be_u16(packed, i * 2)),
        })
        .collect();
    Ok(Sizes::Each(sizes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescaling_rounds_to_the_nearest_both_ways() {
        assert_eq!(rescale(1024, 48_000, 1000), 21);
        assert_eq!(rescale(-1024, 48_000, 1000), -21);
        assert_eq!(rescale(1, 2, 1), 1);
        assert_eq!(rescale(-1, 2, 1), -1);
        assert_eq!(rescale(i64::MAX, 1, 1_000_000), i64::MAX);
        assert_eq!(rescale(5, 0, 10), 5);
    }

    #[test]
    fn wrapped_composition_offsets_are_negative() {
        assert_eq!(composition_offset(1024), 1024);
        assert_eq!(composition_offset(0xffff_fc00), -1024);
        assert_eq!(composition_offset(-5), -5);
    }

    #[test]
    fn compact_sizes_unpack() {
        let mut body = vec![0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 3, 0x12, 0x30];
        let mut whole = vec![0, 0, 0, (8 + body.len()) as u8];
        whole.extend_from_slice(b"stz2");
        whole.append(&mut body);
        let kids = children(&whole, 0, 0, b"stbl").unwrap();
        let Sizes::Each(v) = compact_sizes(&kids[0], 0).unwrap() else {
            panic!("sizes")
        };
        assert_eq!(v, vec![1, 2, 3]);
    }
}
