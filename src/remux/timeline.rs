//! Time mapping: which samples of which segments the export holds, and where each lands on the
//! output's timeline.
//!
//! **Where segments sit.** The caller's wall-clock start of each segment (normally its file
//! name's stamp) says which segments the range touches and where the range starts and ends
//! inside them. On the output's timeline the segments are then laid **back to back**: the
//! first video sample of segment N+1 follows the last video sample of segment N without a gap,
//! whatever their wall-clock stamps say (the stamps have a one-second resolution; the frames'
//! own durations are exact). So a gap in the recording is not reproduced, and the summary's
//! duration can differ from end minus start by that gap.
//!
//! **Times inside a segment.** A sample's presentation time in its segment is its decode time
//! plus its composition offset, less the track's *origin* (the media time its edit list shows
//! first: the decoder delay of B-frames, AAC's priming samples; 0 without an edit list). The
//! segment's wall-clock start is its presentation time 0.
//!
//! **Video is the reference.** The output starts at the keyframe at or before the range's start
//! (`movie time 0` = that keyframe) and ends with the last frame shown before the range's end
//! (in decode order, so every frame it needs to be decoded is kept). Each segment's place on
//! the movie timeline (`offset`) follows from the video's back-to-back join. Every other track
//! is placed on the same offsets, so audio stays in sync at every join; its samples are kept
//! when they overlap the video's span. Where a segment's audio runs longer than its video (AAC
//! pads its last frame), the next segment's audio would overlap it: the overlapping tail is
//! dropped and the last kept sample shortened so that decode times still increase — a
//! few milliseconds of audio at a join, never a drift. Each output track gets an edit list: an
//! empty edit if it starts after the video, else the media time shown at movie time 0.

use chrono::{NaiveDateTime, TimeDelta};

use super::codec::TrackKind;
use super::error::RemuxError;
use super::input::{Clip, Track, rescale};

/// A segment whose tables were read, with the wall-clock time of its presentation start.
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    pub clip: Clip,
    pub start: NaiveDateTime,
}

/// One sample of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OutSample {
    /// Index of its segment in the caller's slice.
    pub segment: usize,
    pub offset: u64,
    pub size: u32,
    pub duration: u32,
    pub cts: i32,
    pub sync: bool,
}

/// One track of the output.
#[derive(Clone, Debug)]
pub(crate) struct OutTrack {
    /// The first segment's track: codec, headers and handler are taken from it.
    pub source: Track,
    pub samples: Vec<OutSample>,
    /// Length of an initial empty edit, in the track's timescale.
    pub empty: i64,
    /// Media time shown at the end of the empty edit (movie time 0 when there is none).
    pub media_time: i64,
    /// Length of the media edit, in the track's timescale.
    pub presented: i64,
}

impl OutTrack {
    pub(crate) fn media_duration(&self) -> u64 {
        self.samples.iter().map(|s| u64::from(s.duration)).sum()
    }
}

/// The whole output's timing.
#[derive(Clone, Debug)]
pub(crate) struct Timeline {
    /// The video track first.
    pub tracks: Vec<OutTrack>,
    /// Length of the output in the video's timescale.
    pub duration: i64,
    /// Video frames shown (the track may hold a few more, needed to decode them).
    pub shown: usize,
    /// Wall-clock time of the first frame (the keyframe at or before the range's start).
    pub start: NaiveDateTime,
    /// Wall-clock time just after the last frame, in the last segment's own clock.
    pub end: NaiveDateTime,
    /// Segments that contributed video frames, in output order.
    pub segments: Vec<usize>,
    /// Things the owner may want to know (tracks left out, a recording cut short).
    pub notes: Vec<String>,
}

/// `t - origin` in `timescale` units, rounded down (`up` = rounded up).
pub(crate) fn units_since(
    origin: NaiveDateTime,
    t: NaiveDateTime,
    timescale: u32,
    up: bool,
) -> i64 {
    let ns = (t - origin).num_nanoseconds().map_or_else(
        || {
            if t < origin {
                i128::from(i64::MIN)
            } else {
                i128::from(i64::MAX)
            }
        },
        i128::from,
    );
    let num = ns * i128::from(timescale);
    let den = 1_000_000_000i128;
    let q = num.div_euclid(den);
    let q = if up && num.rem_euclid(den) != 0 {
        q + 1
    } else {
        q
    };
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// `origin` plus `units` of `timescale`.
pub(crate) fn after(origin: NaiveDateTime, units: i64, timescale: u32) -> NaiveDateTime {
    let ns = i128::from(units) * 1_000_000_000 / i128::from(timescale.max(1));
    let delta = i64::try_from(ns).ok().map(TimeDelta::nanoseconds);
    delta
        .and_then(|d| origin.checked_add_signed(d))
        .unwrap_or(origin)
}

/// Decode times of a track's samples (running sum of durations from 0).
fn decode_times(track: &Track) -> Vec<i64> {
    let mut t = 0i64;
    track
        .samples
        .iter()
        .map(|s| {
            let now = t;
            t = t.saturating_add(i64::from(s.duration));
            now
        })
        .collect()
}

/// Presentation time of sample `i` in its segment.
fn presentation(track: &Track, dts: &[i64], i: usize) -> i64 {
    let d = dts.get(i).copied().unwrap_or(0);
    let c = track.samples.get(i).map_or(0, |s| i64::from(s.cts));
    d.saturating_add(c).saturating_sub(track.origin)
}

/// Wall-clock end of a segment's video.
pub(crate) fn video_end(placed: &Placed) -> NaiveDateTime {
    match placed.clip.tracks.first() {
        Some(v) => after(
            placed.start,
            i64::try_from(v.duration()).unwrap_or(i64::MAX),
            v.timescale,
        ),
        None => placed.start,
    }
}

/// Refuses a segment whose tracks could not continue the first segment's.
pub(crate) fn check_joinable(first: &Clip, other: &Clip) -> Result<(), RemuxError> {
    let refuse = |reason: String| RemuxError::IncompatibleSegments {
        first: first.segment,
        segment: other.segment,
        reason,
    };
    let kinds = |c: &Clip| {
        c.tracks
            .iter()
            .map(|t| t.kind.name())
            .collect::<Vec<_>>()
            .join(" + ")
    };
    if kinds(first) != kinds(other) {
        return Err(refuse(format!(
            "its tracks are {}, not {}",
            kinds(other),
            kinds(first)
        )));
    }
    for (a, b) in first.tracks.iter().zip(&other.tracks) {
        if a.timescale != b.timescale {
            return Err(refuse(format!(
                "its {} timescale is {}, not {}",
                a.kind.name(),
                b.timescale,
                a.timescale
            )));
        }
        if a.description.key != b.description.key {
            let what = if a.description.codec != b.description.codec {
                format!(
                    "its {} codec is {}, not {}",
                    a.kind.name(),
                    super::error::fourcc(&b.description.codec),
                    super::error::fourcc(&a.description.codec)
                )
            } else {
                format!(
                    "its {} format or decoder configuration differs",
                    a.kind.name()
                )
            };
            return Err(refuse(what));
        }
    }
    Ok(())
}

/// The keyframe at or before `at` in the first segment: its index and presentation time.
pub(crate) fn keyframe(placed: &Placed, at: NaiveDateTime) -> Result<(usize, i64), RemuxError> {
    let video = placed.clip.tracks.first().ok_or(RemuxError::Unsupported {
        segment: placed.clip.segment,
        what: "a clip without video".to_string(),
    })?;
    let dts = decode_times(video);
    let target = units_since(placed.start, at, video.timescale, false);
    let mut best: Option<(usize, i64)> = None;
    let mut first: Option<(usize, i64)> = None;
    for (i, s) in video.samples.iter().enumerate() {
        if !s.sync {
            continue;
        }
        let q = presentation(video, &dts, i);
        if first.is_none_or(|(_, fq)| q < fq) {
            first = Some((i, q));
        }
        if q <= target && best.is_none_or(|(_, bq)| q >= bq) {
            best = Some((i, q));
        }
    }
    if let Some(k) = best {
        return Ok(k);
    }
    match first {
        // The range starts before the segment's first keyframe but before the segment too:
        // the export starts with the footage.
        Some(k) if at <= placed.start => Ok(k),
        other => Err(RemuxError::NoKeyframe {
            segment: placed.clip.segment,
            at,
            first_keyframe: other.map_or_else(
                || "none".to_string(),
                |(_, q)| after(placed.start, q, video.timescale).to_string(),
            ),
        }),
    }
}

/// Number of the last segment's video samples (in decode order) needed to show every frame
/// before `end` (one past the last sample shown before it), and `end` in the segment's
/// presentation time.
pub(crate) fn video_cut(placed: &Placed, end: NaiveDateTime) -> (usize, i64) {
    let Some(video) = placed.clip.tracks.first() else {
        return (0, 0);
    };
    let dts = decode_times(video);
    let limit = units_since(placed.start, end, video.timescale, true);
    let cut = (0..video.samples.len())
        .rev()
        .find(|&i| presentation(video, &dts, i) < limit)
        .map_or(0, |i| i + 1);
    (cut, limit)
}

/// Lays out the output: `placed` are the segments used in order (the first holds the start,
/// the last the end), `key` the keyframe from [`keyframe`] and `cut` what [`video_cut`] says
/// of the last segment.
pub(crate) fn build(
    placed: &[Placed],
    key: (usize, i64),
    cut: (usize, i64),
) -> Result<Timeline, RemuxError> {
    let Some(first) = placed.first() else {
        return Err(RemuxError::Unsupported {
            segment: 0,
            what: "an export without segments".to_string(),
        });
    };
    let video_ts = first.clip.tracks.first().map_or(1, |t| t.timescale);
    let last = placed.len() - 1;
    // Each segment's offset on the movie timeline (video units): the keyframe at 0, then
    // back-to-back video.
    let mut offsets = Vec::with_capacity(placed.len());
    let mut offset = -key.1;
    for (k, p) in placed.iter().enumerate() {
        offsets.push(offset);
        if let (Some(v), Some(next)) = (p.clip.tracks.first(), placed.get(k + 1)) {
            let next_origin = next.clip.tracks.first().map_or(0, |t| t.origin);
            let d = i64::try_from(v.duration()).unwrap_or(i64::MAX);
            offset = offset
                .saturating_add(d)
                .saturating_add(next_origin)
                .saturating_sub(v.origin);
        }
    }
    let mut tracks = Vec::new();
    let mut notes = Vec::new();
    // The video first: it fixes the output's length.
    let mut video = OutTrack {
        source: first
            .clip
            .tracks
            .first()
            .cloned()
            .ok_or(RemuxError::Unsupported {
                segment: first.clip.segment,
                what: "a clip without video".to_string(),
            })?,
        samples: Vec::new(),
        empty: 0,
        media_time: 0,
        presented: 0,
    };
    let mut video_first_ideal: Option<i64> = None;
    // The output ends where the last frame shown before the range's end ends (movie time);
    // frames kept only because later-shown frames are decoded from them lie past it.
    let mut duration = 0i64;
    let mut shown = 0usize;
    for (k, p) in placed.iter().enumerate() {
        let Some(v) = p.clip.tracks.first() else {
            continue;
        };
        let lo = if k == 0 { key.0 } else { 0 };
        let hi = if k == last { cut.0 } else { v.samples.len() };
        let dts = decode_times(v);
        let offset = offsets.get(k).copied().unwrap_or(0);
        for i in lo..hi.min(v.samples.len()) {
            let Some(s) = v.samples.get(i) else { break };
            let ideal = dts.get(i).copied().unwrap_or(0) + offset - v.origin;
            video_first_ideal.get_or_insert(ideal);
            let q = presentation(v, &dts, i);
            let before_end = k != last || q < cut.1;
            if before_end && offset + q >= 0 {
                duration = duration.max(offset + q + i64::from(s.duration));
                shown += 1;
            }
            video
                .samples
                .push(out_sample(p.clip.segment, s, s.duration));
        }
    }
    set_edit(&mut video, video_first_ideal.unwrap_or(0), duration);
    tracks.push(video);
    // Then every other track, on the same offsets.
    let other_tracks = first.clip.tracks.len();
    for t in 1..other_tracks {
        let Some(source) = first.clip.tracks.get(t).cloned() else {
            continue;
        };
        let ts = source.timescale;
        let end = rescale(duration, video_ts, ts);
        let mut out = OutTrack {
            source,
            samples: Vec::new(),
            empty: 0,
            media_time: 0,
            presented: 0,
        };
        // Ideal decode time (movie time of the track's units, less the composition offset) of
        // each output sample, for the joins.
        let mut ideals: Vec<i64> = Vec::new();
        for (k, p) in placed.iter().enumerate() {
            let Some(track) = p.clip.tracks.get(t) else {
                continue;
            };
            let shift = rescale(offsets.get(k).copied().unwrap_or(0), video_ts, ts) - track.origin;
            let dts = decode_times(track);
            let mut first_of_segment = true;
            for (i, s) in track.samples.iter().enumerate() {
                let ideal = dts.get(i).copied().unwrap_or(0) + shift;
                let pts = ideal + i64::from(s.cts);
                if pts + i64::from(s.duration) <= 0 || pts >= end {
                    continue;
                }
                if first_of_segment {
                    first_of_segment = false;
                    // Drop what the previous segment has from here on, and close the gap.
                    while ideals.last().is_some_and(|&t| t >= ideal) {
                        ideals.pop();
                        out.samples.pop();
                    }
                    if let (Some(&tail), Some(prev)) = (ideals.last(), out.samples.last_mut()) {
                        prev.duration =
                            u32::try_from(ideal - tail).map_err(|_| RemuxError::TooLarge {
                                what: format!(
                                    "a gap of {} units in the {} track at a join",
                                    ideal - tail,
                                    track.kind.name()
                                ),
                                limit: u64::from(u32::MAX),
                            })?;
                    }
                }
                ideals.push(ideal);
                out.samples.push(out_sample(p.clip.segment, s, s.duration));
            }
        }
        let Some(&first_ideal) = ideals.first() else {
            notes.push(format!(
                "the {} track has no samples in the range and was left out",
                out.source.kind.name()
            ));
            continue;
        };
        set_edit(&mut out, first_ideal, end);
        tracks.push(out);
    }
    for p in placed {
        notes.extend(
            p.clip
                .skipped
                .iter()
                .map(|s| format!("segment {}: {s} was left out", p.clip.segment)),
        );
        if p.clip.cut_short {
            notes.push(format!(
                "segment {}: the recording was cut off in its last fragment; it was exported up to the cut",
                p.clip.segment
            ));
        }
    }
    let start = after(first.start, key.1, video_ts);
    let last_placed = placed.get(last).unwrap_or(first);
    let end = after(
        last_placed.start,
        duration - offsets.get(last).copied().unwrap_or(0),
        video_ts,
    );
    let segments = placed
        .iter()
        .filter(|p| {
            tracks
                .first()
                .is_some_and(|v| v.samples.iter().any(|s| s.segment == p.clip.segment))
        })
        .map(|p| p.clip.segment)
        .collect();
    Ok(Timeline {
        tracks,
        duration,
        shown,
        start,
        end,
        segments,
        notes,
    })
}

fn out_sample(segment: usize, s: &super::input::Sample, duration: u32) -> OutSample {
    OutSample {
        segment,
        offset: s.offset,
        size: s.size,
        duration,
        cts: s.cts,
        sync: s.sync,
    }
}

/// The edit list of a track whose first sample's ideal decode time is `first_ideal` and which
/// must stop at movie time `end` (both in the track's units).
fn set_edit(track: &mut OutTrack, first_ideal: i64, end: i64) {
    // Output decode time = ideal - first_ideal, so movie time 0 is media time -first_ideal.
    if first_ideal <= 0 {
        track.empty = 0;
        track.media_time = -first_ideal;
    } else {
        track.empty = first_ideal;
        track.media_time = 0;
    }
    let mut t = 0i64;
    let mut media_end = 0i64;
    for s in &track.samples {
        media_end = media_end.max(t + i64::from(s.cts) + i64::from(s.duration));
        t += i64::from(s.duration);
    }
    let shown = media_end - track.media_time;
    track.presented = shown.min(end - track.empty).max(0);
    if track.source.kind == TrackKind::Video {
        // The video decides the end; frames past it stay in the track, hidden.
        track.presented = (end - track.empty).max(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(s: u32, ms: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2024, 10, 12)
            .and_then(|d| d.and_hms_milli_opt(17, 41, s, ms))
            .unwrap()
    }

    /// A segment starting at `start` s with a video track of `frames` frames of 250 ms and an
    /// audio track of `audio` frames of 300 ms whose edit list skips `priming` ms.
    fn segment(index: usize, start: u32, frames: usize, audio: usize, priming: i64) -> Placed {
        let track = |kind, n: usize, duration: u32, origin: i64| {
            let mut t = crate::remux::tests::track_stub().source;
            t.kind = kind;
            t.origin = origin;
            t.samples = (0..n)
                .map(|i| super::super::input::Sample {
                    offset: (index * 100_000 + i * 1000) as u64,
                    size: 10,
                    duration,
                    cts: 0,
                    sync: true,
                })
                .collect();
            t
        };
        Placed {
            clip: Clip {
                segment: index,
                bytes: 1 << 20,
                movie_timescale: 1000,
                tracks: vec![
                    track(TrackKind::Video, frames, 250, 0),
                    track(TrackKind::Audio, audio, 300, priming),
                ],
                skipped: Vec::new(),
                trexes: Vec::new(),
                fragmented: false,
                cut_short: false,
            },
            start: at(start, 0),
        }
    }

    fn durations(t: &OutTrack) -> Vec<u32> {
        t.samples.iter().map(|s| s.duration).collect()
    }

    #[test]
    fn audio_is_joined_on_the_video_s_timeline() {
        // Audio runs 1.2 s per 1 s of video: its last frame before a join is shortened...
        let placed = [segment(0, 0, 4, 4, 0), segment(1, 1, 4, 4, 0)];
        let key = keyframe(&placed[0], at(0, 0)).unwrap();
        let cut = video_cut(&placed[1], at(2, 0));
        let t = build(&placed, key, cut).unwrap();
        assert_eq!((t.duration, t.shown), (2000, 8));
        assert_eq!(durations(&t.tracks[0]), vec![250; 8]);
        assert_eq!(
            durations(&t.tracks[1]),
            vec![300, 300, 300, 100, 300, 300, 300, 300]
        );
        assert_eq!((t.tracks[1].media_time, t.tracks[1].presented), (0, 2000));
        // ...and when the next segment's audio starts earlier (priming), the overlapped frame
        // goes, so that audio never drifts from video at a join.
        let placed = [segment(0, 0, 4, 4, 0), segment(1, 1, 4, 4, 100)];
        let t = build(&placed, key, video_cut(&placed[1], at(2, 0))).unwrap();
        assert_eq!(
            durations(&t.tracks[1]),
            vec![300, 300, 300, 300, 300, 300, 300]
        );
        assert_eq!(t.tracks[1].samples[3].segment, 1);
    }

    #[test]
    fn the_output_starts_at_the_keyframe_before_the_start() {
        let mut first = segment(0, 0, 8, 8, 0);
        for (i, s) in first.clip.tracks[0].samples.iter_mut().enumerate() {
            s.sync = i % 4 == 0;
        }
        // 1.6 s falls in the second GOP (1.0 s to 2.0 s).
        let key = keyframe(&first, at(1, 600)).unwrap();
        assert_eq!(key, (4, 1000));
        let t = build(
            std::slice::from_ref(&first),
            key,
            video_cut(&first, at(1, 800)),
        )
        .unwrap();
        assert_eq!((t.start, t.end, t.shown), (at(1, 0), at(2, 0), 4));
        // The audio frame straddling the keyframe (0.9 s to 1.2 s) is kept, its first 100 ms
        // hidden by the edit list.
        assert_eq!(t.tracks[1].samples[0].offset, 3000);
        assert_eq!((t.tracks[1].media_time, t.tracks[1].empty), (100, 0));
        // A range inside the segment but before its first keyframe has none to start from.
        first.clip.tracks[0].samples[0].sync = false;
        assert!(matches!(
            keyframe(&first, at(0, 500)),
            Err(RemuxError::NoKeyframe { .. })
        ));
    }

    #[test]
    fn wall_clock_to_units_and_back() {
        assert_eq!(units_since(at(0, 0), at(1, 500), 1000, false), 1500);
        assert_eq!(units_since(at(1, 0), at(0, 0), 90_000, false), -90_000);
        // 1 ms in 48 kHz is 48 units; a third of a unit rounds down or up.
        assert_eq!(units_since(at(0, 0), at(0, 1), 48_000, false), 48);
        assert_eq!(units_since(at(0, 0), at(0, 1), 1001, false), 1);
        assert_eq!(units_since(at(0, 0), at(0, 1), 1001, true), 2);
        assert_eq!(after(at(0, 0), 1500, 1000), at(1, 500));
    }
}
