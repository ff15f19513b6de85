//! The `dashcard` CLI end to end on card images made by the real tools: sfdisk partitions,
//! mkfs.fat formats, mtools writes and deletes, ffmpeg records.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

fn dashcard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashcard"))
        .args(args)
        .output()
        .expect("run dashcard")
}

fn json(args: &[&str]) -> Value {
    let out = dashcard(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

fn file<'a>(report: &'a Value, path: &str, deleted: bool) -> &'a Value {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path && f["deleted"] == deleted)
        .unwrap_or_else(|| panic!("{path} (deleted {deleted}) not in report"))
}

/// An MBR card: a FAT32 partition at 1 MiB holding two ffmpeg clips (moov at the end, as dash
/// cams write them), a deleted one, and a note; returns the image and the host clip paths.
fn card(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let volume = dir.join("volume.img");
    mkfs_fat(
        &volume,
        &Mkfs::new(32, 80 * 1024).cluster_sectors(1).label("NEXAR"),
    );
    mmd(&volume, 0, "Nexar");
    let clips = vec![
        ffmpeg_clip(dir, "20241012_075700_1.mp4", 2.0, false),
        ffmpeg_clip(dir, "20241012_075700_2.mp4", 3.0, false),
        ffmpeg_clip(dir, "20241012_075900_1.mp4", 1.0, true),
    ];
    for c in &clips {
        let name = c.file_name().unwrap().to_str().unwrap();
        mcopy(&volume, 0, c, &format!("Nexar/{name}"));
    }
    mcopy(
        &volume,
        0,
        &host_file(dir, "notes.txt", 100, 7),
        "notes.txt",
    );
    mdel(&volume, 0, "Nexar/20241012_075900_1.mp4");
    let image = dir.join("card.img");
    sparse_file(&image, 1024 * 1024 + 80 * 1024 * 1024);
    sfdisk(&image, "label: dos\nstart=2048, type=c\n");
    place_volume(&image, 1024 * 1024, &volume);
    (image, clips)
}

#[test]
fn report_json_describes_an_mbr_card() {
    let dir = tempdir();
    let (image, clips) = card(dir.path());
    let r = json(&["report", "--json", image.to_str().unwrap()]);
    assert_eq!(r["report_format"], 2);
    // First-generation names: camera local time, no zone known.
    assert_eq!(r["time_zone"]["utc_offset_s"], serde_json::Value::Null);
    assert!(
        r["time_zone"]["source"]
            .as_str()
            .unwrap()
            .starts_with("camera local time")
    );
    let v = &r["volume"];
    assert_eq!(v["filesystem"], "FAT32");
    assert_eq!(v["partition_offset"], 1024 * 1024);
    assert_eq!(v["cluster_bytes"], 512);
    assert_eq!(v["label"], "NEXAR");
    assert!(v["free_bytes"].as_u64().unwrap() < v["capacity_bytes"].as_u64().unwrap());
    assert_eq!(r["partition_table"]["scheme"], "MBR");
    for (clip, path) in clips
        .iter()
        .zip(["Nexar/20241012_075700_1.mp4", "Nexar/20241012_075700_2.mp4"])
    {
        let f = file(&r, path, false);
        let want = ffprobe_duration(clip);
        let got = f["duration_s"].as_f64().expect("duration");
        assert!((got - want).abs() < 0.05, "{path}: {got} vs ffprobe {want}");
        assert_eq!(f["bytes"], std::fs::metadata(clip).unwrap().len());
        assert_eq!(f["fragments"], 1);
        assert_eq!(f["recoverable"], Value::Null);
        assert_eq!(f["video"]["width"], 320);
        // ISO 8601 without zone.
        let modified = f["modified"].as_str().unwrap();
        assert_eq!(modified.len(), 19, "{modified}");
        assert!(!modified.ends_with('Z'));
    }
    let gone = file(&r, "Nexar/20241012_075900_1.mp4", true);
    assert_eq!(gone["recoverable"], true);
    let want = ffprobe_duration(&clips[2]);
    assert!(
        (gone["duration_s"].as_f64().unwrap() - want).abs() < 0.05,
        "a recoverable clip's duration is read too"
    );
    let note = file(&r, "notes.txt", false);
    assert_eq!(note["duration_s"], Value::Null);
}

#[test]
fn cat_writes_live_and_recoverable_deleted_files_byte_for_byte() {
    let dir = tempdir();
    let (image, clips) = card(dir.path());
    let img = image.to_str().unwrap();
    for (path, clip) in [
        ("Nexar/20241012_075700_2.mp4", &clips[1]),
        ("/nexar/20241012_075900_1.MP4", &clips[2]),
    ] {
        let out = dashcard(&["cat", img, path]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, std::fs::read(clip).unwrap(), "{path}");
    }
    let missing = dashcard(&["cat", img, "Nexar/nope.mp4"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such file"));
}

#[test]
fn stats_count_bytes_read_and_calls() {
    let dir = tempdir();
    let (image, _) = card(dir.path());
    let out = dashcard(&["report", "--json", "--stats", image.to_str().unwrap()]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("read: "))
        .expect("stats line");
    let calls: u64 = line
        .split(" in ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(calls > 0 && calls < 100, "{line}");
}

#[test]
fn the_summary_tells_the_story_in_words() {
    let dir = tempdir();
    let (image, _) = card(dir.path());
    let out = dashcard(&["report", "--list", image.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAT32 \"NEXAR\""), "{text}");
    assert!(
        text.contains("Deleted entries: 1 (1 recoverable, 0 lost)"),
        "{text}"
    );
    assert!(text.contains("camera local time"), "{text}");
    assert!(text.contains("Nexar/20241012_075700_2.mp4"), "{text}");
}

/// An `mvhd` claiming 4.3e9 s (patched into the image) is left out of the footage and the
/// estimate, and the summary says how many files were left out and why (issue 14, item 5).
#[test]
fn the_summary_says_how_many_files_were_left_out() {
    let dir = tempdir();
    let image = dir.path().join("card.img");
    mkfs_fat(&image, &Mkfs::new(32, 80 * 1024).label("NEXAR"));
    mmd(&image, 0, "Nexar");
    let clip = ffmpeg_clip(dir.path(), "clip.mp4", 1.0, false);
    for name in [
        "20241012_075700_1.mp4",
        "20241012_075800_1.mp4",
        "20241012_075900_1.mp4",
    ] {
        mcopy(&image, 0, &clip, &format!("Nexar/{name}"));
    }
    let path = image.to_str().unwrap();
    let before = json(&["report", "--json", path]);
    let bad = file(&before, "Nexar/20241012_075800_1.mp4", false);
    let offset = bad["extents"][0]["offset"].as_u64().unwrap();
    patch_mvhd(
        &image,
        offset,
        bad["bytes"].as_u64().unwrap(),
        1,
        0xFFFF_FFF0,
    );

    let out = dashcard(&["report", path]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Left out of these totals and the estimate: 1 file(s)"),
        "{text}"
    );
    assert!(
        text.contains(
            "Nexar/20241012_075800_1.mp4: its header claims 4294967280 s, more than a day"
        ),
        "{text}"
    );
    assert!(text.contains("3 videos with 0:00:02 of footage"), "{text}");
    let after = json(&["report", "--json", path]);
    assert_eq!(after["estimate"]["excluded_files"], 1);
    assert_eq!(after["totals"]["excluded_files"], 1);
    assert_eq!(after["estimate"]["looping"], false);
    let headline = after["estimate"]["headline"].as_str().unwrap();
    assert!(
        headline.contains("will be overwritten after about"),
        "{headline}"
    );
    let bad = file(&after, "Nexar/20241012_075800_1.mp4", false);
    assert!(
        bad["excluded"]
            .as_str()
            .unwrap()
            .contains("more than a day")
    );
    assert!(bad["duration_s"].is_null());
}

#[test]
fn a_folder_source_gives_the_same_files_without_deleted_entries() {
    let dir = tempdir();
    let (image, _) = card(dir.path());
    let mounted = dir.path().join("mounted");
    std::fs::create_dir(&mounted).unwrap();
    // Copy the card's contents out with mtools, as an OS would show a mounted card.
    run(Command::new("mcopy")
        .env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null")
        .args(["-s", "-n", "-i"])
        .arg(format!("{}@@{}", image.display(), 1024 * 1024))
        .arg("::*")
        .arg(&mounted));
    let from_image = json(&["report", "--json", image.to_str().unwrap()]);
    let from_folder = json(&[
        "report",
        "--json",
        "--capacity",
        "64G",
        mounted.to_str().unwrap(),
    ]);
    assert_eq!(from_folder["source"]["kind"], "folder");
    assert_eq!(from_folder["volume"]["capacity_bytes"], 64_000_000_000u64);
    let live = |r: &Value| -> Vec<(String, u64, Option<f64>)> {
        let mut v: Vec<_> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["deleted"] == false)
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_string(),
                    f["bytes"].as_u64().unwrap(),
                    f["duration_s"]
                        .as_f64()
                        .map(|d| (d * 100.0).round() / 100.0),
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    assert_eq!(live(&from_image), live(&from_folder));
    let out = dashcard(&["cat", mounted.to_str().unwrap(), "notes.txt"]);
    assert_eq!(out.stdout.len(), 100);
}

#[test]
fn unreadable_inputs_exit_2_with_one_line() {
    let dir = tempdir();
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, vec![0x5Au8; 100_000]).unwrap();
    let empty = dir.path().join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    // FAT volumes whose boot sector names another file system: a damaged exFAT volume, and
    // NTFS, which Dashcard does not read.
    let renamed = |name: &str, oem: &[u8]| {
        use std::io::{Seek, SeekFrom, Write};
        let path = dir.path().join(name);
        mkfs_fat(&path, &Mkfs::new(16, 32 * 1024));
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(3)).unwrap();
        f.write_all(oem).unwrap();
        path
    };
    let exfat = renamed("exfat.img", b"EXFAT   ");
    let ntfs = renamed("ntfs.img", b"NTFS    ");
    for (path, words) in [
        (garbage.to_str().unwrap(), "does not look like a card image"),
        (empty.to_str().unwrap(), "empty"),
        (exfat.to_str().unwrap(), "exFAT boot region is damaged"),
        (ntfs.to_str().unwrap(), "holds an NTFS volume"),
        ("/nonexistent/card.img", "cannot open"),
    ] {
        let out = dashcard(&["report", path]);
        assert_eq!(out.status.code(), Some(2), "{path}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("dashcard: "), "{err}");
        assert!(err.contains(words), "{err}");
    }
}

/// `dashcard simulate` makes a card the reader reads back; the summary tells its story; what-if
/// inputs change the figures and say so; it never overwrites an existing file.
#[test]
fn simulate_then_report_tells_the_story() {
    let dir = tempdir();
    let img = dir.path().join("pro.img");
    let truth = dir.path().join("truth.json");
    let p = img.to_str().unwrap();
    let args = [
        "simulate",
        "--family",
        "pro",
        "--size",
        "8G",
        "--days",
        "5",
        "--truth",
        truth.to_str().unwrap(),
        p,
    ];
    let out = dashcard(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
    assert_eq!(truth["family"], "pro");

    let again = dashcard(&args);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force"));
    let bad = dashcard(&["simulate", "--family", "one", "--size", "8G", "x.img"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown family"));
    // A newer camera keeps 3 GiB free: a smaller card is refused in words, not a panic.
    let small = dir.path().join("small.img");
    let tiny = dashcard(&[
        "simulate",
        "--family",
        "n1",
        "--size",
        "2300M",
        small.to_str().unwrap(),
    ]);
    assert_eq!(tiny.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&tiny.stderr);
    assert!(
        stderr.contains("keeps 3221225472 bytes free") && !stderr.contains("panicked"),
        "{stderr}"
    );

    let summary = String::from_utf8(dashcard(&["report", p]).stdout).unwrap();
    assert!(
        summary.contains("Camera: Nexar Pro or Beam (road + cabin)"),
        "{summary}"
    );
    assert!(summary.contains("The oldest footage ("), "{summary}");
    assert!(summary.contains("[partly overwritten]"), "{summary}");
    assert!(
        summary.contains("Where else this footage may be"),
        "{summary}"
    );

    let measured = json(&["report", "--json", p]);
    let what_if = json(&[
        "report",
        "--json",
        "--driving-hours-per-day",
        "4",
        "--reserve",
        "1G",
        p,
    ]);
    let (m, w) = (&measured["estimate"], &what_if["estimate"]);
    assert_eq!(w["driving_hours_per_day"], 4.0);
    assert_eq!(w["inputs"]["driving_hours_per_day"]["source"], "what-if");
    assert_eq!(w["inputs"]["reserved_bytes"]["value"], 1_000_000_000u64);
    assert!(
        m["inputs"]["driving_hours_per_day"]["source"]
            .as_str()
            .unwrap()
            .starts_with("measured")
    );
    // More driving a day: the oldest footage goes sooner in days.
    let days = |e: &Value| e["oldest"]["overwrite_after_days"].as_f64().unwrap();
    assert!(days(w) < days(m));
    let bad_hours = dashcard(&["report", "--driving-hours-per-day", "30", p]);
    assert_eq!(bad_hours.status.code(), Some(2));
}

/// Clips the camera encrypted: `cat --decrypt` writes the plaintext with the factory key or the
/// owner's (`--key`), says which is missing when neither opens a clip, and no output ever
/// carries a key.
#[test]
fn encrypted_clips_come_out_decrypted_and_keys_stay_unprinted() {
    let dir = tempfile::tempdir().unwrap();
    let owner = "f626ad1ffb5159bef3e9295df34244af";
    let image = dir.path().join("enc.img");
    mkfs_fat(&image, &Mkfs::new(32, 80 * 1024).label("NO NAME"));
    mmd(&image, 0, "video");
    let plain = std::fs::read(ffmpeg_fragmented(dir.path(), "p.mp4", 2.0, "")).unwrap();
    for (name, key) in [
        (
            "20241012_223000A",
            dashcard::encryption::FACTORY_DEFAULT_KEY,
        ),
        ("20241012_223100A", owner),
        ("20241012_223200A", owner),
    ] {
        let host = dir.path().join(format!("{name}.mp4"));
        std::fs::write(&host, encrypt(&plain, key)).unwrap();
        mcopy(&image, 0, &host, &format!("video/{name}.mp4"));
    }
    let plain_host = dir.path().join("plain.mp4");
    std::fs::write(&plain_host, &plain).unwrap();
    mcopy(&image, 0, &plain_host, "video/20241012_223300A.mp4");
    let img = image.to_str().unwrap();

    let out = dashcard(&["cat", "--decrypt", img, "video/20241012_223000A.mp4"]);
    assert!(out.status.success());
    assert!(
        out.stdout == plain,
        "the factory key's clip decrypts to the plaintext"
    );
    let out = dashcard(&["cat", "--decrypt", img, "video/20241012_223100A.mp4"]);
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(
        message.contains("--key") && !message.contains(owner),
        "{message}"
    );
    let out = dashcard(&["cat", "--key", owner, img, "video/20241012_223100A.mp4"]);
    assert!(out.status.success());
    assert!(
        out.stdout == plain,
        "the owner's key decrypts to the plaintext"
    );
    let wrong = "00112233445566778899aabbccddeeff";
    let out = dashcard(&["cat", "--key", wrong, img, "video/20241012_223100A.mp4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(wrong));
    let out = dashcard(&["cat", "--decrypt", img, "video/20241012_223300A.mp4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not encrypted"));

    let r = json(&["report", "--json", img]);
    assert_eq!(r["totals"]["encrypted_without_key"], 2);
    let keyed = dashcard(&["report", "--json", "--key", owner, img]);
    assert!(keyed.status.success());
    let text = String::from_utf8_lossy(&keyed.stdout);
    assert!(!text.contains(owner) && !String::from_utf8_lossy(&keyed.stderr).contains(owner));
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["totals"]["encrypted_without_key"], 0);
    assert_eq!(r["totals"]["encrypted_recordings"], 3);
    let summary = dashcard(&["report", "--key", owner, img]);
    assert!(!String::from_utf8_lossy(&summary.stdout).contains(owner));
}
