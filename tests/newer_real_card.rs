//! A card laid out as the newer Nexar cameras write it, made by real tools: `mkfs.fat`, mtools
//! (`mmd`, `mcopy`, `mattrib +r`) and ffmpeg fragmented clips (`-movflags
//! frag_keyframe+empty_moov`, one with an inserted `mehd`, one cut mid-fragment as a power loss
//! leaves it), encrypted copies (the factory default key and an owner's key), sidecars in the
//! firmware's formats, an SOS event and a photo. Read back through the real reader: kinds,
//! UTC names shown in the camera's zone, durations against ffprobe, encryption, locks, the
//! family, and the decrypted bytes against the plaintext.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use dashcard::block_reader::BlockReader;
use dashcard::catalog::classify::{Camera, FileKind};
use dashcard::catalog::family::FamilyCode;
use dashcard::clip_header::Keys;
use dashcard::encryption::{DecryptingReader, FACTORY_DEFAULT_KEY, Key, XorPad};
use dashcard::estimate::WhatIf;
use dashcard::extent::ExtentReader;
use dashcard::report::{FileRecord, Report};
use dashcard::scan::{ScanOptions, scan_image};

const OWNER_KEY: &str = "f626ad1ffb5159bef3e9295df34244af";

/// Host copies of what went on the card, by card path, with ffprobe's durations.
struct Card {
    image: PathBuf,
    plain: Vec<(String, Vec<u8>, f64)>,
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn imu_header(zone: i32) -> String {
    format!(
        "device=NEXAR_N1-v1.4.2; sn=N1SERIAL77; vsn=; cpuid=; wifimac=0c:8c:dc:01:02:0a; trip=; timezone={zone}; time=1728772200,5123; gsensor=1|0.000000,0.000000,0.000000,0.000000,0.000000,0.000000|12,8,0,2|bmi160; gyro=1|0.000000,0.000000,0.000000,0.000000,0.000000|0,8\n1728772200.005123|G:0.183105,-0.245361,9.812012,-1,0.061035,-0.122070,0.030518,0,34.50\n"
    )
}

fn build(dir: &Path) -> Card {
    let image = dir.join("n1.img");
    common::mkfs_fat(&image, &common::Mkfs::new(32, 96 * 1024).label("NO NAME"));
    for d in [
        "video",
        "video/.thumb",
        "video/.imu",
        "video/.gnss",
        "sos",
        "sos/.thumb",
        "photo",
    ] {
        common::mmd(&image, 0, d);
    }
    let mut plain = Vec::new();
    let mut put = |card_path: &str, bytes: &[u8], host: &Path, duration: f64| {
        common::mcopy(&image, 0, host, card_path);
        plain.push((card_path.to_string(), bytes.to_vec(), duration));
    };
    // 2024-10-12 22:30 UTC: 17:30 at the camera's UTC−5.
    let a = common::ffmpeg_fragmented(dir, "a.mp4", 6.0, "");
    let a_bytes = std::fs::read(&a).unwrap();
    put(
        "video/20241012_223000A.mp4",
        &a_bytes,
        &a,
        common::ffprobe_duration(&a),
    );
    let b = common::ffmpeg_fragmented(dir, "b.mp4", 6.0, "+skip_trailer");
    put(
        "video/20241012_223000B.mp4",
        &std::fs::read(&b).unwrap(),
        &b,
        common::ffprobe_duration(&b),
    );
    // The next segment, with a mehd box; the owner locks it.
    let m = common::ffmpeg_fragmented(dir, "m.mp4", 5.0, "+default_base_moof");
    let want_m = common::ffprobe_duration(&m);
    let m_bytes = common::insert_mehd(
        &std::fs::read(&m).unwrap(),
        (want_m * 1000.0).round() as u32,
    );
    let m_host = write(dir, "m2.mp4", &m_bytes);
    put("video/20241012_223006A.mp4", &m_bytes, &m_host, want_m);
    // A power loss: cut halfway through its fourth fragment.
    let cut_from = std::fs::read(common::ffmpeg_fragmented(dir, "c.mp4", 6.0, "")).unwrap();
    let moofs: Vec<usize> = common::top_level_boxes(&cut_from)
        .iter()
        .filter(|b| &b.0 == b"moof")
        .map(|b| b.1)
        .collect();
    let whole = write(dir, "c3.mp4", &cut_from[..moofs[3]]);
    let cut = &cut_from[..moofs[3] + (moofs[4] - moofs[3]) / 2];
    let cut_host = write(dir, "cut.mp4", cut);
    put(
        "video/20241012_223011A.mp4",
        cut,
        &cut_host,
        common::ffprobe_duration(&whole),
    );
    // Encrypted with the factory default key, and two with an owner's key.
    let e = std::fs::read(common::ffmpeg_fragmented(dir, "e.mp4", 4.0, "")).unwrap();
    let e_want = common::ffprobe_duration(&dir.join("e.mp4"));
    let factory = common::encrypt(&e, FACTORY_DEFAULT_KEY);
    put(
        "video/20241012_223300A.mp4",
        &e,
        &write(dir, "ef.mp4", &factory),
        e_want,
    );
    for (i, name) in ["20241012_223400A", "20241012_223500A"].iter().enumerate() {
        let host = common::ffmpeg_fragmented(dir, &format!("o{i}.mp4"), 3.0, "");
        let bytes = std::fs::read(&host).unwrap();
        let enc = common::encrypt(&bytes, OWNER_KEY);
        let want = common::ffprobe_duration(&host);
        put(
            &format!("video/{name}.mp4"),
            &bytes,
            &write(dir, &format!("eo{i}.mp4"), &enc),
            want,
        );
    }
    // An SOS event, named with the segment's stamp, with its thumbnail only.
    let ev = common::ffmpeg_fragmented(dir, "ev.mp4", 4.0, "");
    put(
        "sos/20241012_223000A_SOS.mp4",
        &std::fs::read(&ev).unwrap(),
        &ev,
        common::ffprobe_duration(&ev),
    );
    let jpeg = write(dir, "t.jpg", b"\xff\xd8\xff\xe0 a thumbnail \xff\xd9");
    common::mcopy(&image, 0, &jpeg, "sos/.thumb/20241012_223000A_SOS_net.jpg");
    common::mcopy(&image, 0, &jpeg, "photo/20241012_223000A.jpg");
    // Sidecars of the first segments.
    for stem in ["20241012_223000A", "20241012_223000B", "20241012_223006A"] {
        common::mcopy(&image, 0, &jpeg, &format!("video/.thumb/{stem}_net.jpg"));
        let imu = write(dir, &format!("{stem}.dat"), imu_header(-18000).as_bytes());
        common::mcopy(&image, 0, &imu, &format!("video/.imu/{stem}.dat"));
        let gnss = write(
            dir,
            &format!("{stem}.txt"),
            b"t0=1728772200.005\nts=0.001\n",
        );
        common::mcopy(&image, 0, &gnss, &format!("video/.gnss/{stem}.txt"));
    }
    common::mattrib_read_only(&image, 0, "video/20241012_223006A.mp4");
    Card { image, plain }
}

fn read(card: &Card, keys: Keys) -> Report {
    let mut reader = BlockReader::new(std::fs::File::open(&card.image).unwrap()).unwrap();
    let options = ScanOptions {
        keys,
        ..ScanOptions::default()
    };
    let listing = scan_image(&mut reader, &options).expect("scan");
    dashcard::analyze(&listing, &WhatIf::default())
}

fn file<'a>(report: &'a Report, path: &str) -> &'a FileRecord {
    report
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} missing"))
}

#[test]
fn a_card_made_by_real_tools_reads_as_the_newer_cameras_write_it() {
    let dir = common::tempdir();
    let card = build(dir.path());
    let report = read(&card, Keys::default());

    // Kinds, cameras, times: the names are UTC, the .imu header says UTC−5.
    assert_eq!(report.time_zone.utc_offset_s, Some(-18000));
    let a = file(&report, "video/20241012_223000A.mp4");
    assert_eq!((a.kind, a.camera), (FileKind::Drive, Some(Camera::Road)));
    assert_eq!(a.start.unwrap().to_string(), "2024-10-12 17:30:00");
    assert_eq!(
        a.start_utc.unwrap().to_rfc3339(),
        "2024-10-12T22:30:00+00:00"
    );
    assert_eq!(a.sidecars.len(), 3);
    let b = file(&report, "video/20241012_223000B.mp4");
    assert_eq!(b.camera, Some(Camera::Second));
    let thumb = file(&report, "video/.thumb/20241012_223000A_net.jpg");
    assert_eq!(thumb.kind, FileKind::Sidecar);
    assert_eq!(
        thumb.sidecar_of.as_deref(),
        Some("video/20241012_223000A.mp4")
    );
    assert_eq!(
        file(&report, "photo/20241012_223000A.jpg").kind,
        FileKind::Photo
    );
    assert_eq!(report.events.len(), 1);
    let event = &report.events[0];
    assert_eq!(event.path, "sos/20241012_223000A_SOS.mp4");
    assert_eq!(event.start.unwrap().to_string(), "2024-10-12 17:30:00");
    assert_eq!(event.after_drive, Some(0));

    // Durations within 0.05 s of ffprobe (of the plaintext; the cut clip: its whole fragments).
    for (path, _, want) in &card.plain {
        let f = file(&report, path);
        let got = f.duration_s.unwrap_or(f64::NAN);
        if path.ends_with("223400A.mp4") || path.ends_with("223500A.mp4") {
            continue; // the owner's key is not given yet
        }
        assert!((got - want).abs() < 0.05, "{path}: {got} vs ffprobe {want}");
    }
    let cut = file(&report, "video/20241012_223011A.mp4");
    assert!(
        cut.warnings.iter().any(|w| w.contains("cut short")),
        "{:?}",
        cut.warnings
    );
    let m = file(&report, "video/20241012_223006A.mp4");
    assert_eq!(
        serde_json::to_value(m.duration_source).unwrap(),
        serde_json::json!("mehd")
    );
    // Locked: read-only, never overwritten, and said so.
    assert!(m.read_only);
    assert_eq!(m.overwrite_after_bytes, None);
    assert_eq!(
        serde_json::to_value(m.protected).unwrap(),
        serde_json::json!("locked")
    );
    assert_eq!(
        serde_json::to_value(file(&report, &event.path).protected).unwrap(),
        serde_json::json!("kept_folder")
    );

    // Encryption: the factory key opens its clip; the owner's clips are told apart from
    // garbage by their shared start, and say a key is needed.
    let factory = file(&report, "video/20241012_223300A.mp4");
    assert!(factory.encrypted);
    assert!(
        factory
            .warnings
            .iter()
            .any(|w| w.contains("factory default key"))
    );
    for name in ["223400A", "223500A"] {
        let f = file(&report, &format!("video/20241012_{name}.mp4"));
        assert!(f.encrypted, "{name}");
        // No header to time it: at most the gap to the next segment.
        assert!(
            matches!(
                serde_json::to_value(f.duration_source).unwrap().as_str(),
                None | Some("next_segment")
            ),
            "{name}"
        );
        let error = f.video.as_ref().unwrap().error.as_deref().unwrap();
        assert!(error.contains("encrypted by the camera"), "{error}");
        assert!(!error.contains("not an MP4"));
    }
    assert_eq!(report.totals.encrypted_without_key, 2);
    // The family: an SOS event and the .imu model say N1.
    assert_eq!(
        report.family.code,
        FamilyCode::N1,
        "{:?}",
        report.family.evidence
    );
    let info = report.camera_info.as_ref().expect("camera info");
    assert_eq!(info.serial.as_deref(), Some("N1SERIAL77"));
    assert_eq!(info.software.as_deref(), Some("v1.4.2"));
    // Neither the report nor its warnings ever carry a key.
    let json = report.to_json();
    assert!(!json.contains(FACTORY_DEFAULT_KEY) && !json.contains(OWNER_KEY));

    // With the owner's key, those clips read too.
    let key = Key::new(OWNER_KEY).unwrap();
    let keyed = read(&card, Keys::new(Some(&key)));
    for (path, _, want) in card
        .plain
        .iter()
        .filter(|p| p.0.contains("2234") || p.0.contains("2235"))
    {
        let got = file(&keyed, path).duration_s.unwrap();
        assert!((got - want).abs() < 0.05, "{path}: {got} vs {want}");
    }
    assert_eq!(keyed.totals.encrypted_without_key, 0);
    assert!(!keyed.to_json().contains(OWNER_KEY));

    // Decrypted bytes streamed from the image equal the plaintext.
    let mut reader = BlockReader::new(std::fs::File::open(&card.image).unwrap()).unwrap();
    for (path, plain, _) in card
        .plain
        .iter()
        .filter(|p| p.0.contains("2233") || p.0.contains("2234"))
    {
        let f = file(&keyed, path);
        let key = if path.contains("2233") {
            Key::factory_default()
        } else {
            Key::new(OWNER_KEY).unwrap()
        };
        let stream = ExtentReader::new(&mut reader, &f.extents, f.bytes);
        let mut out = Vec::new();
        DecryptingReader::new(stream, XorPad::from_key(&key))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert!(
            out == *plain,
            "{path}: decrypted bytes differ from the plaintext"
        );
    }
}
