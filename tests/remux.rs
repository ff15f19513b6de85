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

/// Per track of the output's own index: handler, and each sample's presentation start on the
/// movie timeline in seconds (edit lists applied) with its data offset.
fn output_times(path: &Path) -> (Moov, Vec<(String, Vec<(f64, u64)>)>) {
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
