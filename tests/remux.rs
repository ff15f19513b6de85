//! The remuxer on real segments made by ffmpeg at test time: classic MP4 with `moov` at the end
//! and at the start, fragmented MP4 (moof-relative and explicit base offsets, with and without
//! `mehd`), H.264 and H.265 with B-frames and AAC audio, chained into drives. Each export is
//! checked by ffprobe and ffmpeg: its duration, a clean decode, every frame bit-identical to
//! the source frame at the same wall-clock time, and audio in sync at every join. Then damaged
//! and hostile inputs, which must give clear errors and never panic.

mod common;

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use dashcard::remux::{self, RemuxError, RemuxOptions, SegmentInput, Summary, TimeRange};
use mp4_atom::{Decode, Moov};

const SEGMENT_S: u32 = 4;
const FPS: u32 = 25;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// `moov` after `mdat`, as ffmpeg and cameras write.
    MoovAtEnd,
    Faststart,
    /// `frag_keyframe+empty_moov+default_base_moof`: no `mehd`, offsets from each `moof`.
    Fragmented,
    /// As `Fragmented`, with an `mehd` patched into `moov/mvex`.
    FragmentedMehd,
    /// `frag_keyframe+empty_moov`: explicit base data offsets in `tfhd`.
    FragmentedBaseOffset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Codec {
    H264,
    H265,
}

fn wall(seconds: f64) -> NaiveDateTime {
    let base = NaiveDate::from_ymd_opt(2024, 10, 12)
        .unwrap()
        .and_hms_opt(17, 41, 0)
        .unwrap();
    base + TimeDelta::milliseconds((seconds * 1000.0).round() as i64)
}

fn has_encoder(name: &str) -> bool {
    let out = common::run(Command::new("ffmpeg").args(["-hide_banner", "-encoders"]));
    out.lines()
        .any(|l| l.split_whitespace().nth(1) == Some(name))
}

/// Segment `index` of a drive: seconds `index * SEGMENT_S ..` of a test picture and a tone.
fn segment(dir: &Path, layout: Layout, codec: Codec, index: u32, size: &str) -> PathBuf {
    let path = dir.join(format!("{layout:?}_{codec:?}_{index}_{size}.mp4"));
    let from = (index * SEGMENT_S).to_string();
    let mut cmd = Command::new("ffmpeg");
    cmd.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-ss",
        &from,
        "-f",
        "lavfi",
        "-i",
    ])
    .arg(format!("testsrc=size={size}:rate={FPS}"))
    .args([
        "-ss",
        &from,
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=48000",
    ])
    .args([
        "-t",
        &SEGMENT_S.to_string(),
        "-pix_fmt",
        "yuv420p",
        "-g",
        "25",
        "-bf",
        "2",
    ]);
    match codec {
        Codec::H264 => cmd.args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-sc_threshold",
            "0",
        ]),
        Codec::H265 => cmd.args([
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error:scenecut=0:bframes=2",
            "-tag:v",
            "hvc1",
        ]),
    };
    cmd.args(["-c:a", "aac", "-b:a", "64k"]);
    match layout {
        Layout::MoovAtEnd => {}
        Layout::Faststart => {
            cmd.args(["-movflags", "+faststart"]);
        }
        Layout::Fragmented | Layout::FragmentedMehd => {
            cmd.args([
                "-movflags",
                "frag_keyframe+empty_moov+default_base_moof+skip_trailer",
            ]);
        }
        Layout::FragmentedBaseOffset => {
            cmd.args(["-movflags", "frag_keyframe+empty_moov+skip_trailer"]);
        }
    }
    cmd.arg(&path);
    common::run(&mut cmd);
    if layout == Layout::FragmentedMehd {
        insert_mehd(&path, SEGMENT_S * 1000);
    }
    path
}

fn be32(d: &[u8], at: usize) -> usize {
    u32::from_be_bytes(d[at..at + 4].try_into().unwrap()) as usize
}

/// Offset of the first child of type `kind` inside the box at `parent`.
fn child(d: &[u8], parent: usize, kind: &[u8; 4]) -> usize {
    let end = parent + be32(d, parent);
    let mut pos = parent + 8;
    while pos + 8 <= end {
        if &d[pos + 4..pos + 8] == kind {
            return pos;
        }
        pos += be32(d, pos);
    }
    panic!("no {} box", String::from_utf8_lossy(kind));
}

fn top(d: &[u8], kind: &[u8; 4]) -> usize {
    let mut pos = 0;
    while pos + 8 <= d.len() {
        if &d[pos + 4..pos + 8] == kind {
            return pos;
        }
        pos += be32(d, pos);
    }
    panic!("no top-level {} box", String::from_utf8_lossy(kind));
}

/// Adds `mehd` (fragment duration in the movie timescale) at the start of `moov/mvex`, growing
/// both; the fragments' offsets count from their `moof`, so nothing else moves.
fn insert_mehd(path: &Path, duration: u32) {
    let mut d = std::fs::read(path).unwrap();
    let moov = top(&d, b"moov");
    let mvex = child(&d, moov, b"mvex");
    let mut mehd = vec![0, 0, 0, 16];
    mehd.extend_from_slice(b"mehd");
    mehd.extend_from_slice(&[0, 0, 0, 0]);
    mehd.extend_from_slice(&duration.to_be_bytes());
    d.splice(mvex + 8..mvex + 8, mehd);
    for at in [moov, mvex] {
        let size = be32(&d, at) as u32 + 16;
        d[at..at + 4].copy_from_slice(&size.to_be_bytes());
    }
    std::fs::write(path, d).unwrap();
}

/// A drive of `n` consecutive segments, each starting where the previous ends.
fn drive(dir: &Path, layout: Layout, codec: Codec, n: u32) -> Vec<(PathBuf, NaiveDateTime)> {
    (0..n)
        .map(|i| {
            (
                segment(dir, layout, codec, i, "320x240"),
                wall(f64::from(i * SEGMENT_S)),
            )
        })
        .collect()
}

fn inputs(drive: &[(PathBuf, NaiveDateTime)]) -> Vec<SegmentInput<std::fs::File>> {
    drive
        .iter()
        .map(|(p, start)| {
            let source = std::fs::File::open(p).unwrap();
            let bytes = source.metadata().unwrap().len();
            SegmentInput {
                source,
                bytes,
                start: *start,
            }
        })
        .collect()
}

/// Plans and writes an export of `from..to` seconds of the drive into `out`.
fn export(drive: &[(PathBuf, NaiveDateTime)], from: f64, to: f64, out: &Path) -> Summary {
    let mut segs = inputs(drive);
    let range = TimeRange {
        start: wall(from),
        end: wall(to),
    };
    let plan = remux::plan(&mut segs, range, &RemuxOptions::default()).unwrap();
    let file = io::BufWriter::new(std::fs::File::create(out).unwrap());
    let mut last = (0, 0);
    let summary = remux::write(&plan, &mut segs, file, |p| {
        assert!(p.bytes_done >= last.0 && p.bytes_done <= p.bytes_total);
        last = (p.bytes_done, p.bytes_total);
    })
    .unwrap();
    assert_eq!(
        last,
        (summary.bytes, summary.bytes),
        "progress ends at the total"
    );
    assert_eq!(std::fs::metadata(out).unwrap().len(), summary.bytes);
    summary
}

/// One MD5 per decoded video frame, in presentation order.
fn frame_md5s(path: &Path) -> Vec<String> {
    let out = common::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-v", "error", "-i"])
            .arg(path)
            .args([
                "-map",
                "0:v",
                "-fps_mode",
                "passthrough",
                "-f",
                "framemd5",
                "-",
            ]),
    );
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit(',').next().unwrap().trim().to_string())
        .collect()
}

/// What a full decode of `path` prints on stderr at level error.
fn decode_errors(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A track's handler and its samples' (presentation start in seconds, data offset).
type TrackTimes = (String, Vec<(f64, u64)>);

/// Per track of the output's own index: handler, and each sample's presentation start on the
/// movie timeline in seconds (edit lists applied) with its data offset.
fn output_times(path: &Path) -> (Moov, Vec<TrackTimes>) {
    let d = std::fs::read(path).unwrap();
    let at = top(&d, b"moov");
    let moov = Moov::decode(&mut &d[at..at + be32(&d, at)]).unwrap();
    let movie_ts = f64::from(moov.mvhd.timescale);
    let mut tracks = Vec::new();
    for trak in &moov.trak {
        let ts = f64::from(trak.mdia.mdhd.timescale);
        let elst = &trak.edts.as_ref().unwrap().elst.as_ref().unwrap().entries;
        let (empty, media_time) = match elst.as_slice() {
            [e, m] if e.media_time.is_none() => {
                (e.segment_duration as f64 / movie_ts, m.media_time.unwrap())
            }
            [m] => (0.0, m.media_time.unwrap()),
            other => panic!("unexpected edit list {other:?}"),
        };
        let stbl = &trak.mdia.minf.stbl;
        let mut dts = Vec::new();
        let mut t = 0u64;
        for e in &stbl.stts.entries {
            for _ in 0..e.sample_count {
                dts.push(t);
                t += u64::from(e.sample_delta);
            }
        }
        let mut cts = vec![0i64; dts.len()];
        if let Some(ctts) = &stbl.ctts {
            let mut i = 0;
            for e in &ctts.entries {
                for _ in 0..e.sample_count {
                    cts[i] = e.sample_offset;
                    i += 1;
                }
            }
        }
        let sizes: Vec<u64> = match &stbl.stsz.samples {
            mp4_atom::StszSamples::Identical { count, size } => {
                vec![u64::from(*size); *count as usize]
            }
            mp4_atom::StszSamples::Different { sizes } => {
                sizes.iter().map(|&s| u64::from(s)).collect()
            }
        };
        let chunks: Vec<u64> = match (&stbl.stco, &stbl.co64) {
            (Some(s), _) => s.entries.iter().map(|&o| u64::from(o)).collect(),
            (_, Some(c)) => c.entries.clone(),
            _ => panic!("no chunk offsets"),
        };
        let mut offsets = Vec::new();
        let stsc = &stbl.stsc.entries;
        for (ci, &chunk_offset) in chunks.iter().enumerate() {
            let e = stsc
                .iter()
                .rev()
                .find(|e| e.first_chunk as usize <= ci + 1)
                .unwrap();
            let mut o = chunk_offset;
            for _ in 0..e.samples_per_chunk {
                if offsets.len() < sizes.len() {
                    o += sizes[offsets.len()];
                    offsets.push(o - sizes[offsets.len()]);
                }
            }
        }
        assert_eq!(offsets.len(), sizes.len());
        let samples = (0..dts.len())
            .map(|i| {
                let pts = dts[i] as f64 + cts[i] as f64;
                (empty + (pts - media_time as f64) / ts, offsets[i])
            })
            .collect();
        tracks.push((trak.mdia.hdlr.handler.to_string(), samples));
    }
    (moov, tracks)
}

/// Checks an export of `from..to` s of `drive` against ffprobe, ffmpeg and the sources.
fn check_export(
    dir: &Path,
    drive: &[(PathBuf, NaiveDateTime)],
    from: f64,
    to: f64,
    name: &str,
) -> Summary {
    let out = dir.join(format!("{name}.mp4"));
    let summary = export(drive, from, to, &out);
    if let Ok(keep) = std::env::var("REMUX_KEEP") {
        for (p, _) in drive {
            std::fs::copy(p, Path::new(&keep).join(p.file_name().unwrap())).unwrap();
        }
        std::fs::copy(&out, Path::new(&keep).join(out.file_name().unwrap())).unwrap();
    }
    let gop = 1.0;
    // It starts at the keyframe at or before the start, less than a GOP before it.
    let start_s = (summary.start - wall(0.0)).as_seconds_f64();
    assert!(
        start_s <= from + 1e-9 && from - start_s < gop,
        "{name}: starts at {start_s} for {from}"
    );
    // ffprobe agrees on the length: the range plus the lead-in to the keyframe.
    let probed = common::ffprobe_duration(&out);
    assert!(
        (probed - (to - start_s)).abs() < 0.1 && (probed - (to - from)).abs() < gop + 0.1,
        "{name}: ffprobe says {probed} s for {from}..{to} from {start_s}"
    );
    assert!(
        (summary.duration_s - (to - start_s)).abs() < 0.05,
        "{name}: {summary:?}"
    );
    assert_eq!(
        decode_errors(&out),
        "",
        "{name}: decoding the export printed errors"
    );
    // Every frame is the source frame at the same wall-clock time.
    // Where each later segment's frames start in the output (joins are back to back).
    let mut want = Vec::new();
    let mut joins = Vec::new();
    for (k, (path, seg_start)) in drive.iter().enumerate() {
        let frames = frame_md5s(path);
        let seg_from = ((summary.start - *seg_start).as_seconds_f64() * f64::from(FPS))
            .round()
            .max(0.0) as usize;
        let seg_to = ((wall(to) - *seg_start).as_seconds_f64() * f64::from(FPS) - 1e-6)
            .ceil()
            .max(0.0) as usize;
        let taken: Vec<String> = frames
            .iter()
            .skip(seg_from)
            .take(seg_to.saturating_sub(seg_from))
            .cloned()
            .collect();
        if k > 0 && !want.is_empty() && !taken.is_empty() {
            joins.push((k, want.len()));
        }
        want.extend(taken);
    }
    let got = frame_md5s(&out);
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: {} frames, want {}",
        got.len(),
        want.len()
    );
    assert!(got == want, "{name}: frames differ from the sources'");
    assert_eq!(summary.video_frames, got.len());
    // Audio is in sync with the video at every join and at both ends.
    let (moov, tracks) = output_times(&out);
    assert_eq!(
        crate_time(moov.mvhd.creation_time),
        summary.start.and_utc().timestamp()
    );
    assert_eq!(tracks.len(), 2, "{name}: video and audio");
    let (video, audio) = (&tracks[0].1, &tracks[1].1);
    assert_eq!(tracks[0].0, "vide");
    let frame = 1.0 / f64::from(FPS);
    assert_eq!(joins.len(), summary.segments.len() - 1, "{name}: joins");
    for &(k, index) in &joins {
        // The first frame and audio frame of the segment: the ones whose data comes from it,
        // which the layout puts after everything from the segments before.
        let boundary = video[index].1;
        let v = video
            .iter()
            .filter(|s| s.1 >= boundary)
            .map(|s| s.0)
            .fold(f64::MAX, f64::min);
        let a = audio
            .iter()
            .filter(|s| s.1 >= boundary)
            .map(|s| s.0)
            .fold(f64::MAX, f64::min);
        let expect_v = index as f64 * frame;
        assert!(
            (v - expect_v).abs() < 1e-6,
            "{name}: segment {k}'s first frame at {v}, want {expect_v}"
        );
        // As far from each other as in the source segment.
        let lag = audio_lead(&drive[k].0);
        assert!(
            (a - v - lag).abs() < frame,
            "{name}: at join {k}, audio starts at {a} and video at {v}; in the source audio starts {lag} s after video"
        );
    }
    let v_first = video.iter().map(|s| s.0).fold(f64::MAX, f64::min);
    let a_first = audio.iter().map(|s| s.0).fold(f64::MAX, f64::min);
    assert!(
        v_first.abs() < 1e-6 && a_first.abs() < frame,
        "{name}: starts {v_first} {a_first}"
    );
    // At the end: the index's duration ends with the last frame shown, and the audio reaches it.
    let end = moov.mvhd.duration as f64 / f64::from(moov.mvhd.timescale);
    let v_end = video
        .iter()
        .map(|s| s.0)
        .filter(|&t| t < end - 1e-9)
        .fold(f64::MIN, f64::max)
        + frame;
    let a_last = audio.iter().map(|s| s.0).fold(f64::MIN, f64::max);
    let aac_frame = 1024.0 / 48_000.0;
    assert!(
        (v_end - end).abs() < 1e-6,
        "{name}: the last frame shown ends at {v_end}, the clip at {end}"
    );
    assert!(
        a_last < end && a_last + aac_frame > end - frame,
        "{name}: audio's last frame starts at {a_last}, the clip ends at {end}"
    );
    assert!((end - summary.duration_s).abs() < 1e-6);
    summary
}

/// How much later the audio starts than the video in a source segment, by ffprobe.
fn audio_lead(path: &Path) -> f64 {
    let start = |stream: &str| -> f64 {
        common::run(
            Command::new("ffprobe")
                .args([
                    "-v",
                    "error",
                    "-select_streams",
                    stream,
                    "-show_entries",
                    "stream=start_time",
                    "-of",
                    "csv=p=0",
                ])
                .arg(path),
        )
        .trim()
        .parse()
        .unwrap()
    };
    start("a:0") - start("v:0")
}

/// An MP4 time (seconds since 1904) as seconds since 1970.
fn crate_time(mp4: u64) -> i64 {
    mp4 as i64 - 2_082_844_800
}

fn check_layout(layout: Layout, codec: Codec) {
    let dir = common::tempdir();
    let d = drive(dir.path(), layout, codec, 3);
    let name = format!("{layout:?}_{codec:?}");
    // Across the first join, and across both joins.
    let s = check_export(dir.path(), &d, 2.3, 6.5, &format!("{name}_one_join"));
    assert_eq!(s.segments, vec![0, 1]);
    let s = check_export(dir.path(), &d, 1.5, 10.2, &format!("{name}_two_joins"));
    assert_eq!(s.segments, vec![0, 1, 2]);
    // Inside one segment, starting on a keyframe.
    let s = check_export(dir.path(), &d, 5.0, 7.0, &format!("{name}_inside"));
    assert_eq!(s.segments, vec![1]);
}

#[test]
fn classic_moov_at_end_h264() {
    check_layout(Layout::MoovAtEnd, Codec::H264);
}

#[test]
fn classic_faststart_h264() {
    check_layout(Layout::Faststart, Codec::H264);
}

#[test]
fn fragmented_h264() {
    check_layout(Layout::Fragmented, Codec::H264);
}

#[test]
fn fragmented_with_mehd_h264() {
    check_layout(Layout::FragmentedMehd, Codec::H264);
}

#[test]
fn fragmented_with_base_data_offsets_h264() {
    check_layout(Layout::FragmentedBaseOffset, Codec::H264);
}

#[test]
fn classic_h265() {
    if !has_encoder("libx265") {
        eprintln!("SKIPPED: this ffmpeg has no libx265 encoder, so the H.265 case cannot run");
        return;
    }
    check_layout(Layout::MoovAtEnd, Codec::H265);
}

#[test]
fn fragmented_h265() {
    if !has_encoder("libx265") {
        eprintln!("SKIPPED: this ffmpeg has no libx265 encoder, so the H.265 case cannot run");
        return;
    }
    check_layout(Layout::Fragmented, Codec::H265);
}

// ---- Inputs read through other readers, odd ranges, damaged and hostile inputs ----

/// Segments held in memory, starting at the given wall-clock seconds.
fn memory(segments: Vec<(Vec<u8>, f64)>) -> Vec<SegmentInput<Cursor<Vec<u8>>>> {
    segments
        .into_iter()
        .map(|(data, at)| SegmentInput {
            bytes: data.len() as u64,
            source: Cursor::new(data),
            start: wall(at),
        })
        .collect()
}

fn plan_memory(
    segments: Vec<(Vec<u8>, f64)>,
    from: f64,
    to: f64,
) -> Result<remux::RemuxPlan, RemuxError> {
    let mut segs = memory(segments);
    remux::plan(
        &mut segs,
        TimeRange {
            start: wall(from),
            end: wall(to),
        },
        &RemuxOptions::default(),
    )
}

/// Plans and writes into memory.
fn export_memory(
    segments: Vec<(Vec<u8>, f64)>,
    from: f64,
    to: f64,
) -> Result<(Summary, Vec<u8>), RemuxError> {
    let mut segs = memory(segments);
    let plan = remux::plan(
        &mut segs,
        TimeRange {
            start: wall(from),
            end: wall(to),
        },
        &RemuxOptions::default(),
    )?;
    let mut out = Vec::new();
    let summary = remux::write(&plan, &mut segs, &mut out, |_| {})?;
    Ok((summary, out))
}

/// A clip XORed with a 4096-byte pad, read back through a wrapper that undoes it: offsets in
/// the file are the clip's offsets, but every byte passes through the wrapper.
struct Xor {
    inner: Cursor<Vec<u8>>,
    pad: Vec<u8>,
}

impl Read for Xor {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let at = self.inner.position();
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b ^= self.pad[((at + i as u64) % 4096) as usize];
        }
        Ok(n)
    }
}

impl Seek for Xor {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn pad() -> Vec<u8> {
    (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[test]
fn encrypted_segments_read_through_a_wrapper_give_the_same_export() {
    let dir = common::tempdir();
    let d = drive(dir.path(), Layout::MoovAtEnd, Codec::H264, 2);
    let plain: Vec<(Vec<u8>, f64)> = d
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (std::fs::read(p).unwrap(), f64::from(i as u32 * SEGMENT_S)))
        .collect();
    let (want_summary, want) = export_memory(plain.clone(), 2.3, 6.5).unwrap();
    let pad = pad();
    let mut segs: Vec<SegmentInput<Xor>> = plain
        .into_iter()
        .map(|(data, at)| {
            let enc: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ pad[i % 4096])
                .collect();
            SegmentInput {
                bytes: enc.len() as u64,
                source: Xor {
                    inner: Cursor::new(enc),
                    pad: pad.clone(),
                },
                start: wall(at),
            }
        })
        .collect();
    let range = TimeRange {
        start: wall(2.3),
        end: wall(6.5),
    };
    let plan = remux::plan(&mut segs, range, &RemuxOptions::default()).unwrap();
    let mut out = Vec::new();
    let summary = remux::write(&plan, &mut segs, &mut out, |_| {}).unwrap();
    assert_eq!(summary, want_summary);
    assert!(
        out == want,
        "the export through the decrypting reader differs"
    );
}

#[test]
fn ranges_outside_or_around_the_footage() {
    let dir = common::tempdir();
    let d = drive(dir.path(), Layout::Faststart, Codec::H264, 2);
    let data: Vec<(Vec<u8>, f64)> = d
        .iter()
        .enumerate()
        .map(|(i, (p, _))| (std::fs::read(p).unwrap(), f64::from(i as u32 * SEGMENT_S)))
        .collect();
    // Before and after the drive, and an empty range.
    let err = plan_memory(data.clone(), -20.0, -10.0).unwrap_err();
    assert!(
        matches!(err, RemuxError::NoSegmentCoversRange { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("no recording covers"), "{err}");
    let err = plan_memory(data.clone(), 30.0, 40.0).unwrap_err();
    assert!(
        matches!(err, RemuxError::NoSegmentCoversRange { .. }),
        "{err}"
    );
    let err = plan_memory(data.clone(), 5.0, 5.0).unwrap_err();
    assert!(matches!(err, RemuxError::EmptyRange { .. }), "{err}");
    // A range starting before the footage starts with it; one ending after it ends with it.
    let plan = plan_memory(data.clone(), -3.0, 100.0).unwrap();
    let s = plan.summary();
    assert_eq!((s.start, s.segments.clone()), (wall(0.0), vec![0, 1]));
    assert_eq!(s.end, wall(8.0));
    // Segments given out of order are put in order by their starts.
    let mut reversed = data.clone();
    reversed.reverse();
    let plan = plan_memory(reversed, 2.3, 6.5).unwrap();
    assert_eq!(plan.summary().segments, vec![1, 0]);
    // A gap between segments: the range starting in it starts with the next segment.
    let gapped = vec![(data[0].0.clone(), 0.0), (data[1].0.clone(), 10.0)];
    let plan = plan_memory(gapped.clone(), 5.0, 12.0).unwrap();
    assert_eq!(
        (plan.summary().start, plan.summary().segments.clone()),
        (wall(10.0), vec![1])
    );
    let err = plan_memory(gapped, 4.5, 9.5).unwrap_err();
    assert!(
        matches!(err, RemuxError::NoSegmentCoversRange { .. }),
        "{err}"
    );
}

#[test]
fn segments_with_another_picture_size_are_refused() {
    let dir = common::tempdir();
    let a = segment(dir.path(), Layout::MoovAtEnd, Codec::H264, 0, "320x240");
    let b = segment(dir.path(), Layout::MoovAtEnd, Codec::H264, 1, "640x480");
    let err = plan_memory(
        vec![
            (std::fs::read(a).unwrap(), 0.0),
            (std::fs::read(b).unwrap(), 4.0),
        ],
        2.0,
        6.0,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            RemuxError::IncompatibleSegments {
                first: 0,
                segment: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("video"), "{err}");
}

#[test]
fn a_segment_that_changed_since_planning_is_refused() {
    let dir = common::tempdir();
    let a = std::fs::read(segment(
        dir.path(),
        Layout::Faststart,
        Codec::H264,
        0,
        "320x240",
    ))
    .unwrap();
    let mut segs = memory(vec![(a.clone(), 0.0)]);
    let plan = remux::plan(
        &mut segs,
        TimeRange {
            start: wall(1.0),
            end: wall(2.0),
        },
        &RemuxOptions::default(),
    )
    .unwrap();
    let mut shorter = memory(vec![(a[..a.len() - 10].to_vec(), 0.0)]);
    let err = remux::write(&plan, &mut shorter, Vec::new(), |_| {}).unwrap_err();
    assert!(
        matches!(err, RemuxError::SegmentsChanged { segment: 0, .. }),
        "{err}"
    );
}

#[test]
fn truncated_segments_give_clear_errors() {
    let dir = common::tempdir();
    let end = std::fs::read(segment(
        dir.path(),
        Layout::MoovAtEnd,
        Codec::H264,
        0,
        "320x240",
    ))
    .unwrap();
    let fast = std::fs::read(segment(
        dir.path(),
        Layout::Faststart,
        Codec::H264,
        0,
        "320x240",
    ))
    .unwrap();
    // The index at the end is lost with the tail.
    let err = plan_memory(vec![(end[..end.len() / 2].to_vec(), 0.0)], 1.0, 2.0).unwrap_err();
    assert!(
        matches!(err, RemuxError::NoMoov { segment: 0, .. }),
        "{err}"
    );
    // The index at the start points past the end.
    let err = plan_memory(vec![(fast[..fast.len() / 2].to_vec(), 0.0)], 1.0, 2.0).unwrap_err();
    assert!(
        matches!(err, RemuxError::Truncated { segment: 0, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("truncated"), "{err}");
    // Cut inside moov.
    let moov = top(&fast, b"moov");
    let err = plan_memory(vec![(fast[..moov + 100].to_vec(), 0.0)], 1.0, 2.0).unwrap_err();
    assert!(matches!(err, RemuxError::Truncated { .. }), "{err}");
    // A stream shorter than its stated size.
    let mut segs = vec![SegmentInput {
        bytes: fast.len() as u64 + 1000,
        source: Cursor::new(fast.clone()),
        start: wall(0.0),
    }];
    let plan = remux::plan(
        &mut segs,
        TimeRange {
            start: wall(3.0),
            end: wall(4.0),
        },
        &RemuxOptions::default(),
    );
    if let Ok(plan) = plan {
        segs[0].source.get_mut().truncate(fast.len() / 2);
        let err = remux::write(&plan, &mut segs, Vec::new(), |_| {}).unwrap_err();
        assert!(matches!(err, RemuxError::Read { segment: 0, .. }), "{err}");
    }
}

#[test]
fn a_fragmented_recording_cut_off_is_exported_up_to_the_cut() {
    let dir = common::tempdir();
    let path = segment(dir.path(), Layout::Fragmented, Codec::H264, 0, "320x240");
    let data = std::fs::read(&path).unwrap();
    let cut = data[..data.len() - 3000].to_vec();
    let (summary, out) = export_memory(vec![(cut, 0.0)], 0.0, 4.0).unwrap();
    assert!(
        summary.notes.iter().any(|n| n.contains("cut off")),
        "{summary:?}"
    );
    assert!(
        summary.duration_s > 3.0 && summary.duration_s < 4.0,
        "{summary:?}"
    );
    let file = dir.path().join("cut.mp4");
    std::fs::write(&file, out).unwrap();
    assert_eq!(decode_errors(&file), "");
}

#[test]
fn garbage_gives_clear_errors() {
    let noise: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    let err = plan_memory(vec![(noise, 0.0)], 0.0, 1.0).unwrap_err();
    assert!(matches!(err, RemuxError::NotMp4 { .. }), "{err}");
    let err = plan_memory(vec![(vec![0u8; 5000], 0.0)], 0.0, 1.0).unwrap_err();
    assert!(err.to_string().contains("zero bytes"), "{err}");
    let err = plan_memory(vec![(b"ftyp".to_vec(), 0.0)], 0.0, 1.0).unwrap_err();
    assert!(matches!(err, RemuxError::NotMp4 { .. }), "{err}");
    // A box header claiming a size smaller than itself.
    let err = plan_memory(
        vec![(vec![0, 0, 0, 3, b'f', b't', b'y', b'p', 0, 0, 0, 0], 0.0)],
        0.0,
        1.0,
    )
    .unwrap_err();
    assert!(matches!(err, RemuxError::Malformed { .. }), "{err}");
}

/// Offset of the content of the `kind` box in the first track's sample table.
fn stbl_box(d: &[u8], kind: &[u8; 4]) -> usize {
    let moov = top(d, b"moov");
    let trak = child(d, moov, b"trak");
    let stbl = child(d, child(d, child(d, trak, b"mdia"), b"minf"), b"stbl");
    child(d, stbl, kind) + 8
}

#[test]
fn absurd_counts_give_clear_errors() {
    let dir = common::tempdir();
    let clip = std::fs::read(segment(
        dir.path(),
        Layout::MoovAtEnd,
        Codec::H264,
        0,
        "320x240",
    ))
    .unwrap();
    let patched = |kind: &[u8; 4], at: usize, value: u32| {
        let mut d = clip.clone();
        let o = stbl_box(&d, kind) + at;
        d[o..o + 4].copy_from_slice(&value.to_be_bytes());
        plan_memory(vec![(d, 0.0)], 1.0, 2.0).unwrap_err()
    };
    // Four billion samples of one size: refused before anything is allocated for them.
    // (stsz becomes 20 bytes, "every sample is 100 bytes"; a free box takes the rest.)
    let mut d = clip.clone();
    let o = stbl_box(&d, b"stsz");
    let old_size = be32(&d, o - 8);
    d[o - 8..o - 4].copy_from_slice(&20u32.to_be_bytes());
    d[o + 4..o + 8].copy_from_slice(&100u32.to_be_bytes());
    d[o + 8..o + 12].copy_from_slice(&u32::MAX.to_be_bytes());
    d[o + 12..o + 16].copy_from_slice(&(old_size as u32 - 20).to_be_bytes());
    d[o + 16..o + 20].copy_from_slice(b"free");
    let err = plan_memory(vec![(d, 0.0)], 1.0, 2.0).unwrap_err();
    assert!(matches!(err, RemuxError::TooLarge { .. }), "{err}");
    // Counts larger than their boxes.
    for (kind, at) in [
        (b"stsz", 8),
        (b"stts", 4),
        (b"stsc", 4),
        (b"stco", 4),
        (b"stss", 4),
    ] {
        let err = patched(kind, at, u32::MAX);
        assert!(
            matches!(err, RemuxError::Malformed { .. }),
            "{}: {err}",
            String::from_utf8_lossy(kind)
        );
    }
    // Tables that disagree: stts times fewer samples than stsz lists.
    let err = patched(b"stts", 8, 10);
    assert!(
        matches!(err, RemuxError::Malformed { .. }) && err.to_string().contains("stts"),
        "{err}"
    );
    // A chunk offset past the end of the file.
    let err = patched(b"stco", 8, u32::MAX - 10);
    assert!(matches!(err, RemuxError::Truncated { .. }), "{err}");
    // Sample sizes that run past the end.
    let err = patched(b"stsz", 12, u32::MAX);
    assert!(matches!(err, RemuxError::Truncated { .. }), "{err}");
    // A fragment claiming four billion samples.
    let frag = std::fs::read(segment(
        dir.path(),
        Layout::Fragmented,
        Codec::H264,
        0,
        "320x240",
    ))
    .unwrap();
    let mut d = frag.clone();
    let moof = top(&d, b"moof");
    let trun = child(&d, child(&d, moof, b"traf"), b"trun");
    d[trun + 12..trun + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = plan_memory(vec![(d, 0.0)], 1.0, 2.0).unwrap_err();
    assert!(
        matches!(
            err,
            RemuxError::TooLarge { .. } | RemuxError::Malformed { .. }
        ),
        "{err}"
    );
    // The same without per-sample fields: stored as a count, refused by the sample bound.
    let mut d = frag;
    d[trun + 11] &= 0x01; // keep data offset, drop per-sample duration/size/flags/cts
    d[trun + 10] = 0;
    d[trun + 12..trun + 16].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = plan_memory(vec![(d, 0.0)], 1.0, 2.0).unwrap_err();
    assert!(
        matches!(
            err,
            RemuxError::TooLarge { .. } | RemuxError::Malformed { .. }
        ),
        "{err}"
    );
}

/// A small deterministic generator for the corruption test.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn corrupted_indexes_never_panic() {
    let dir = common::tempdir();
    let classic = std::fs::read(segment(
        dir.path(),
        Layout::MoovAtEnd,
        Codec::H264,
        0,
        "320x240",
    ))
    .unwrap();
    let frag = std::fs::read(segment(
        dir.path(),
        Layout::Fragmented,
        Codec::H264,
        1,
        "320x240",
    ))
    .unwrap();
    let mut rng = Lcg(12_345);
    let mut outcomes = (0, 0);
    for round in 0..300 {
        let (base, region) = if round % 2 == 0 {
            let m = top(&classic, b"moov");
            (&classic, m..classic.len())
        } else {
            let m = top(&frag, b"moov");
            (&frag, m..(m + 4000).min(frag.len()))
        };
        let mut d = base.clone();
        for _ in 0..1 + rng.next() % 8 {
            let at = region.start + (rng.next() as usize) % (region.end - region.start);
            d[at] = rng.next() as u8;
        }
        match export_memory(vec![(d, 0.0)], 0.5, 3.5) {
            Ok(_) => outcomes.0 += 1,
            Err(e) => {
                assert!(!e.to_string().is_empty());
                outcomes.1 += 1;
            }
        }
    }
    assert!(outcomes.0 > 0 && outcomes.1 > 0, "{outcomes:?}");
}
