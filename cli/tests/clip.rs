//! `dashcard clip` end to end: drive segments recorded by ffmpeg (H.264 + AAC, classic MP4
//! with `moov` at the end and fragmented MP4), copied onto a FAT32 card by mtools after
//! mkfs.fat, exported across a segment join and checked by ffprobe and ffmpeg — the duration,
//! a clean decode, every frame bit-identical to the source frame at the same wall-clock time,
//! audio in step — from the image and from the same files as a folder; encrypted segments come
//! out decrypted; bad requests exit 2 with one line.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

const SEGMENT_S: u32 = 4;
const FPS: u32 = 25;

fn dashcard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashcard"))
        .args(args)
        .output()
        .expect("run dashcard")
}

/// Seconds `index * SEGMENT_S ..` of one continuous test picture and tone, as one segment.
/// Runs `dashcard` with `args`, which must succeed; what it printed.
fn exported(args: &[&str]) -> String {
    let run = dashcard(args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}

fn segment(dir: &Path, name: &str, index: u32, fragmented: bool) -> PathBuf {
    let path = dir.join(name);
    let from = (index * SEGMENT_S).to_string();
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-y", "-ss", &from])
        .args(["-f", "lavfi", "-i"])
        .arg(format!("testsrc=size=320x240:rate={FPS}"))
        .args([
            "-ss",
            &from,
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
        ])
        .args(["-t", &SEGMENT_S.to_string(), "-pix_fmt", "yuv420p"])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-g", "25", "-bf", "2",
        ])
        .args(["-sc_threshold", "0", "-c:a", "aac", "-b:a", "64k"]);
    if fragmented {
        cmd.args(["-movflags", "frag_keyframe+empty_moov+default_base_moof"]);
    }
    cmd.arg(&path);
    run(&mut cmd);
    path
}

/// The frames' MD5s, in presentation order.
fn frame_md5s(path: &Path) -> Vec<String> {
    let out = run(Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-map",
            "0:v:0",
            "-fps_mode",
            "passthrough",
            "-f",
            "framemd5",
            "-",
        ]));
    out.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|s| s.trim().to_string()))
        .collect()
}

fn decode_errors(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A stream's duration as ffprobe reads it.
fn stream_duration(path: &Path, stream: &str) -> f64 {
    run(Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", stream, "-show_entries"])
        .args(["stream=duration", "-of", "default=nw=1:nk=1"])
        .arg(path))
    .trim()
    .parse()
    .unwrap()
}

/// A card whose `Nexar` folder holds a three-segment road drive from 17:41:00 (classic MP4,
/// the middle one fragmented) and one cabin segment; returns the image and the volume image
/// (the same files, for the folder check) and the host segments.
fn card(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let volume = dir.join("volume.img");
    mkfs_fat(&volume, &Mkfs::new(32, 80 * 1024).label("NEXAR"));
    mmd(&volume, 0, "Nexar");
    let segments = vec![
        segment(dir, "20241012_174100_1.mp4", 0, false),
        segment(dir, "20241012_174104_1.mp4", 1, true),
        segment(dir, "20241012_174108_1.mp4", 2, false),
    ];
    let cabin = segment(dir, "20241012_174100_2.mp4", 0, false);
    // A parking clip, after the drive: not on any drive's timeline.
    let parking = segment(dir, "20241012_180000_U.mp4", 0, false);
    for c in segments.iter().chain([&cabin, &parking]) {
        let name = c.file_name().unwrap().to_str().unwrap();
        mcopy(&volume, 0, c, &format!("Nexar/{name}"));
    }
    let image = dir.join("card.img");
    sparse_file(&image, 1024 * 1024 + 80 * 1024 * 1024);
    sfdisk(&image, "label: dos\nstart=2048, type=c\n");
    place_volume(&image, 1024 * 1024, &volume);
    (image, segments)
}

/// Checks an export of seconds `from..to` of the drive against the source segments.
fn check(out: &Path, segments: &[PathBuf], from: u32, to: u32) {
    assert_eq!(decode_errors(out), "", "ffmpeg decodes the export cleanly");
    let video = stream_duration(out, "v:0");
    let expected = f64::from(to - from);
    assert!(
        (video - expected).abs() <= 1.0,
        "video {video} s, expected {expected} s within one GOP"
    );
    let audio = stream_duration(out, "a:0");
    assert!(
        (audio - video).abs() <= 1.0 / f64::from(FPS) + 0.025,
        "audio {audio} s and video {video} s stay within a frame"
    );
    // Keyframes every second: the export starts exactly at `from` and ends before `to`. Each
    // segment gives its own frames of the range (ffmpeg may end one a frame short).
    let mut want = Vec::new();
    for (k, s) in segments.iter().enumerate() {
        let frames = frame_md5s(s);
        let at = k as u32 * SEGMENT_S;
        let first = (from.saturating_sub(at) * FPS) as usize;
        let last = ((to.saturating_sub(at)).min(SEGMENT_S) * FPS) as usize;
        want.extend(frames.iter().take(last).skip(first).cloned());
    }
    let exported = frame_md5s(out);
    assert_eq!(exported.len(), want.len(), "one frame per source frame");
    assert!(
        exported == want,
        "every frame is bit-identical to the source frame at the same time"
    );
}

#[test]
fn a_range_across_segment_joins_comes_out_as_the_original_frames() {
    let dir = tempdir();
    let (image, segments) = card(dir.path());
    let img = image.to_str().unwrap();
    let out = dir.path().join("clip.mp4");
    let o = out.to_str().unwrap();
    let run = dashcard(&[
        "clip",
        img,
        "--from",
        "2024-10-12T17:41:02",
        "--to",
        "2024-10-12T17:41:10",
        "-o",
        o,
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    check(&out, &segments, 2, 10);
    assert!(
        stdout.contains(
            "Nexar/20241012_174100_1.mp4, Nexar/20241012_174104_1.mp4, Nexar/20241012_174108_1.mp4"
        ),
        "{stdout}"
    );
    let bytes = std::fs::read(&out).unwrap();
    let sha = dashcard::export::digest::digest(&bytes[..], 4096)
        .unwrap()
        .sha256;
    assert!(stdout.contains(&format!("SHA-256 {sha}")), "{stdout}");
    // moov first: it plays while it downloads.
    assert_eq!(&bytes[4..8], b"ftyp");
    let moov = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
    assert_eq!(&bytes[moov + 4..moov + 8], b"moov");

    // The same files as a mounted folder give the same bytes.
    let folder = dir.path().join("mounted");
    std::fs::create_dir_all(folder.join("Nexar")).unwrap();
    for s in &segments {
        std::fs::copy(s, folder.join("Nexar").join(s.file_name().unwrap())).unwrap();
    }
    let from_folder = dir.path().join("folder.mp4");
    let run = dashcard(&[
        "clip",
        folder.to_str().unwrap(),
        "--from",
        "2024-10-12 17:41:02",
        "--to",
        "2024-10-12 17:41:10",
        "-o",
        from_folder.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(std::fs::read(&from_folder).unwrap() == bytes);

    // A range starting between keyframes starts at the keyframe before it.
    let mid = dir.path().join("mid.mp4");
    let run = dashcard(&[
        "clip",
        img,
        "--from",
        "2024-10-12T17:41:05.5",
        "--to",
        "2024-10-12T17:41:07",
        "-o",
        mid.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    check(&mid, &segments, 5, 7);
}

#[test]
fn the_cabin_camera_and_bad_requests() {
    let dir = tempdir();
    let (image, _) = card(dir.path());
    let img = image.to_str().unwrap();
    let out = dir.path().join("cabin.mp4");
    let o = out.to_str().unwrap();
    let run = dashcard(&[
        "clip",
        img,
        "--from",
        "2024-10-12T17:41:01",
        "--to",
        "2024-10-12T17:41:03",
        "--camera",
        "cabin",
        "-o",
        o,
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("Nexar/20241012_174100_2.mp4"));
    assert_eq!(decode_errors(&out), "");

    let fails = |args: &[&str], words: &str| {
        let run = dashcard(args);
        let err = String::from_utf8_lossy(&run.stderr).into_owned();
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
        // Our own messages are one line (clap's usage errors add a hint).
        assert!(
            err.starts_with("error:") || err.trim().lines().count() == 1,
            "one line: {err}"
        );
    };
    let other = dir.path().join("other.mp4");
    let other = other.to_str().unwrap();
    fails(
        &[
            "clip",
            img,
            "--from",
            "yesterday",
            "--to",
            "2024-10-12T17:41:03",
            "-o",
            other,
        ],
        "is not a local time",
    );
    fails(
        &[
            "clip",
            img,
            "--from",
            "2024-10-12T17:41:05",
            "--to",
            "2024-10-12T17:41:03",
            "-o",
            other,
        ],
        "the range is empty",
    );
    fails(
        &[
            "clip",
            img,
            "--from",
            "2024-10-12T18:00:00",
            "--to",
            "2024-10-12T18:01:00",
            "-o",
            other,
        ],
        "no road camera footage from 2024-10-12 18:00:00 to 2024-10-12 18:01:00 on this card; its footage runs from 2024-10-12 17:41:00",
    );
    fails(
        &[
            "clip",
            img,
            "--from",
            "2024-10-12T17:41:05+02:00",
            "--to",
            "2024-10-12T17:41:06",
            "-o",
            other,
        ],
        "does not say which zone",
    );
    fails(
        &[
            "clip",
            img,
            "--from",
            "2024-10-12T17:41:01",
            "--to",
            "2024-10-12T17:41:03",
            "-o",
            o,
        ],
        "exists; add --force",
    );
    fails(
        &[
            "clip",
            img,
            "--from",
            "2024-10-12T17:41:01",
            "--to",
            "2024-10-12T17:41:03",
            "--camera",
            "roof",
            "-o",
            other,
        ],
        "unknown camera",
    );
    assert!(!Path::new(other).exists(), "a failed export leaves no file");
}

/// Newer-camera segments the camera encrypted (one with the factory key, one with the
/// owner's): exported decrypted with --key, refused with a clear line without it.
#[test]
fn encrypted_segments_come_out_decrypted() {
    let dir = tempdir();
    let owner = "f626ad1ffb5159bef3e9295df34244af";
    let image = dir.path().join("enc.img");
    mkfs_fat(&image, &Mkfs::new(32, 80 * 1024).label("NO NAME"));
    mmd(&image, 0, "video");
    let plain = [
        segment(dir.path(), "a.mp4", 0, true),
        segment(dir.path(), "b.mp4", 1, true),
    ];
    for (p, name, key) in [
        (
            &plain[0],
            "20241012_223000A",
            dashcard::encryption::FACTORY_DEFAULT_KEY,
        ),
        (&plain[1], "20241012_223004A", owner),
    ] {
        let host = dir.path().join(format!("{name}.mp4"));
        std::fs::write(&host, encrypt(&std::fs::read(p).unwrap(), key)).unwrap();
        mcopy(&image, 0, &host, &format!("video/{name}.mp4"));
    }
    let img = image.to_str().unwrap();
    let out = dir.path().join("plain.mp4");
    let o = out.to_str().unwrap();
    // UTC names and no zone on the card: local time is UTC.
    let args = [
        "clip",
        img,
        "--from",
        "2024-10-12T22:30:01",
        "--to",
        "2024-10-12T22:30:06",
        "-o",
        o,
    ];
    let run = dashcard(&args);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("20241012_223004A.mp4") && err.contains("key") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!out.exists());
    let mut keyed = args.to_vec();
    keyed.extend(["--key", owner]);
    let run = dashcard(&keyed);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("(decrypted)") && !stdout.contains(owner),
        "{stdout}"
    );
    check(&out, &plain, 1, 6);
}

#[test]
fn around_a_recording_a_parking_clip_alone_or_a_drive_segment_across_its_drive() {
    let dir = tempdir();
    let (image, segments) = card(dir.path());
    let img = image.to_str().unwrap();
    let parking = dir.path().join("20241012_180000_U.mp4");

    // A parking clip: the range is cut from it alone.
    let out = dir.path().join("parking.mp4");
    let stdout = exported(&[
        "clip",
        img,
        "--file",
        "Nexar/20241012_180000_U.mp4",
        "--from",
        "2024-10-12T18:00:01",
        "--to",
        "2024-10-12T18:00:03",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("from Nexar/20241012_180000_U.mp4\n"),
        "{stdout}"
    );
    check(&out, &[parking], 1, 3);

    // A drive segment: its camera across the drive, into the segment before it.
    let out = dir.path().join("around-drive.mp4");
    let stdout = exported(&[
        "clip",
        img,
        "--file",
        "/Nexar/20241012_174104_1.mp4",
        "--from",
        "2024-10-12T17:41:02",
        "--to",
        "2024-10-12T17:41:06",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("road camera")
            && stdout.contains("Nexar/20241012_174100_1.mp4, Nexar/20241012_174104_1.mp4"),
        "{stdout}"
    );
    check(&out, &segments, 2, 6);

    let fails = |args: &[&str], words: &str| {
        let run = dashcard(args);
        let err = String::from_utf8_lossy(&run.stderr).into_owned();
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    };
    let other = dir.path().join("other.mp4");
    let other = other.to_str().unwrap();
    fails(
        &[
            "clip",
            img,
            "--file",
            "Nexar/20241012_190000_U.mp4",
            "--from",
            "2024-10-12T19:00:01",
            "--to",
            "2024-10-12T19:00:03",
            "-o",
            other,
        ],
        "is not on this card",
    );
    fails(
        &[
            "clip",
            img,
            "--file",
            "Nexar/20241012_180000_U.mp4",
            "--from",
            "2024-10-12T18:10:00",
            "--to",
            "2024-10-12T18:10:30",
            "-o",
            other,
        ],
        "Nexar/20241012_180000_U.mp4 runs from 2024-10-12 18:00:00",
    );
    fails(
        &[
            "clip",
            img,
            "--file",
            "Nexar/20241012_180000_U.mp4",
            "--camera",
            "cabin",
            "--from",
            "2024-10-12T18:00:01",
            "--to",
            "2024-10-12T18:00:03",
            "-o",
            other,
        ],
        "cannot be used with",
    );
    assert!(
        !Path::new(other).exists(),
        "a refused export writes nothing"
    );
}

#[test]
fn a_range_over_a_deleted_but_recoverable_segment_and_a_live_one_is_one_drive() {
    // The camera deleted the drive's first segment and nothing reused its clusters yet: the
    // range from it into the live segment after it is one drive, recovered bytes and all.
    let dir = tempdir();
    let volume = dir.path().join("volume.img");
    mkfs_fat(&volume, &Mkfs::new(32, 80 * 1024).label("NEXAR"));
    mmd(&volume, 0, "Nexar");
    let segments = vec![
        segment(dir.path(), "20241012_174100_1.mp4", 0, false),
        segment(dir.path(), "20241012_174104_1.mp4", 1, false),
    ];
    for c in &segments {
        let name = c.file_name().unwrap().to_str().unwrap();
        mcopy(&volume, 0, c, &format!("Nexar/{name}"));
    }
    mdel(&volume, 0, "Nexar/20241012_174100_1.mp4");
    let out = dir.path().join("over-deleted.mp4");
    let stdout = exported(&[
        "clip",
        volume.to_str().unwrap(),
        "--from",
        "2024-10-12T17:41:02",
        "--to",
        "2024-10-12T17:41:06",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("from Nexar/20241012_174100_1.mp4, Nexar/20241012_174104_1.mp4"),
        "{stdout}"
    );
    check(&out, &segments, 2, 6);
    // Around the live segment, the same minute reaches back into the deleted one.
    let around = dir.path().join("around.mp4");
    exported(&[
        "clip",
        volume.to_str().unwrap(),
        "--file",
        "Nexar/20241012_174104_1.mp4",
        "--from",
        "2024-10-12T17:40:35",
        "--to",
        "2024-10-12T17:41:35",
        "-o",
        around.to_str().unwrap(),
    ]);
    check(&around, &segments, 0, 8);
}
