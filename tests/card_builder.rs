//! The card builder's output, proved by the real tools: `fsck.fat -n` finds nothing wrong,
//! `fls -r -p` lists exactly the files (live and deleted) the builder reports, `mcopy` reads
//! the bytes back, `sfdisk` reads the MBR — and Dashcard's own scan agrees with the truth.

mod common;

use std::fs::File;
use std::path::Path;
use std::process::Command;

use chrono::{NaiveDate, NaiveDateTime};
use common::*;
use dashcard::block_reader::BlockReader;
use dashcard::scan::{ScanOptions, scan_image};
use dashcard_sim::{CardBuilder, CardLayout, CardTruth, ClipHeader, Content, FileSpec};

fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 10, 12)
        .unwrap()
        .and_hms_opt(h, m, s)
        .unwrap()
}

fn clip(seconds: f64, when: NaiveDateTime, moov_at_end: bool) -> Content {
    Content::Clip(ClipHeader {
        duration_s: seconds,
        created: when,
        width: 1920,
        height: 1080,
        moov_at_end,
    })
}

/// A 300 MiB card with 4 KiB clusters: clips (moov at end and at start, one fragmented), a
/// text file, a recoverable deleted clip, and a deleted clip whose clusters a later file took.
fn build(image: &Path, partition_offset: Option<u64>) -> CardTruth {
    let mut layout = CardLayout::new(300 * 1024 * 1024);
    layout.cluster_bytes = 4096;
    layout.partition_offset = partition_offset;
    let out = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(image)
        .unwrap();
    let mut card = CardBuilder::format(out, &layout).unwrap();
    card.mkdir("Nexar/Movie", at(7, 0, 0)).unwrap();
    let mb = 1024 * 1024;
    let files = [
        (
            "Nexar/Movie/20241012_075700_1.mp4",
            9 * mb,
            clip(60.0, at(7, 57, 0), true),
            1,
        ),
        (
            "Nexar/Movie/20241012_075700_2.mp4",
            4 * mb,
            clip(59.5, at(7, 57, 0), false),
            1,
        ),
        (
            "Nexar/Movie/20241012_075800_1.mp4",
            9 * mb + 123,
            clip(60.0, at(7, 58, 0), true),
            3,
        ),
        (
            "Nexar/Movie/20241012_075900_U.mp4",
            3 * mb,
            clip(30.0, at(7, 59, 0), true),
            1,
        ),
    ];
    for (path, bytes, content, fragments) in files {
        let mut spec = FileSpec::new(bytes, at(7, 57, 1), content);
        spec.fragments = fragments;
        card.add_file(path, &spec).unwrap();
    }
    card.add_file(
        "LOG.TXT",
        &FileSpec::new(11, at(8, 0, 0), Content::Bytes(b"camera log\n".to_vec())),
    )
    .unwrap();
    // Fill the card but 2 MiB at its end, then free two clips: the next clip takes the 2 MiB
    // and wraps around (next-fit) into the first freed clip, which is then lost.
    let filler = card.free_bytes() - 2 * mb;
    card.add_file(
        "fill.bin",
        &FileSpec::new(filler, at(9, 0, 0), Content::Unwritten),
    )
    .unwrap();
    card.delete("Nexar/Movie/20241012_075700_2.mp4").unwrap();
    card.delete("Nexar/Movie/20241012_075900_U.mp4").unwrap();
    card.add_file(
        "Nexar/Movie/20241012_090000_1.mp4",
        &FileSpec::new(5 * mb, at(9, 0, 0), clip(30.0, at(9, 0, 0), true)),
    )
    .unwrap();
    card.finish().unwrap()
}

#[test]
fn fsck_fat_finds_nothing_wrong() {
    let dir = tempdir();
    let image = dir.path().join("bare.img");
    let truth = build(&image, None);
    let out = Command::new("fsck.fat")
        .arg("-n")
        .arg("-v")
        .arg(&image)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains("differ") && !text.contains("Free cluster summary"),
        "{text}"
    );
    assert!(truth.files.iter().any(|f| f.deleted));
    // A sparse file: the 300 MiB card occupies a small fraction of that on disk.
    use std::os::unix::fs::MetadataExt;
    let used = std::fs::metadata(&image).unwrap().blocks() * 512;
    assert!(used < 8 * 1024 * 1024, "{used} bytes on disk");
}

#[test]
fn fls_and_mcopy_and_sfdisk_agree_with_the_truth() {
    let dir = tempdir();
    let image = dir.path().join("card.img");
    let truth = build(&image, Some(1024 * 1024));
    let sf = run(Command::new("sfdisk").arg("--json").arg(&image));
    assert!(
        sf.contains("\"start\": 2048") && sf.contains("\"type\": \"c\""),
        "{sf}"
    );

    // fls: "r/r 12:\tpath" for live files, "r/r * 12:\tpath" for deleted ones.
    let mut listed: Vec<(bool, String)> = fls(&image, 2048)
        .iter()
        .filter(|l| l.starts_with("r/r") && !l.contains("(Volume Label Entry)"))
        .filter_map(|l| {
            let (head, path) = l.split_once(":\t")?;
            Some((head.contains('*'), path.to_string()))
        })
        .collect();
    listed.sort();
    let mut expected: Vec<(bool, String)> = truth
        .files
        .iter()
        .map(|f| (f.deleted, f.path.clone()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);

    let copy = dir.path().join("log.txt");
    run(Command::new("mcopy")
        .env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null")
        .arg("-i")
        .arg(format!("{}@@{}", image.display(), 1024 * 1024))
        .arg("::LOG.TXT")
        .arg(&copy));
    assert_eq!(std::fs::read(&copy).unwrap(), b"camera log\n");
}

#[test]
fn dashcard_reads_back_exactly_what_was_built() {
    let dir = tempdir();
    let image = dir.path().join("card.img");
    let truth = build(&image, Some(1024 * 1024));
    let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
    let report = scan_image(&mut reader, &ScanOptions::default()).unwrap();
    assert_eq!(report.volume.capacity_bytes, Some(truth.capacity_bytes));
    assert_eq!(report.volume.free_bytes, Some(truth.free_bytes));
    assert_eq!(report.volume.label.as_deref(), Some("NEXAR"));
    assert_eq!(report.files.len(), truth.files.len());
    for t in &truth.files {
        let f = report
            .files
            .iter()
            .find(|f| f.path == t.path && f.deleted == t.deleted)
            .unwrap_or_else(|| panic!("{} missing", t.path));
        assert_eq!(f.bytes, t.bytes, "{}", t.path);
        assert_eq!(f.created, Some(t.created), "{}", t.path);
        assert_eq!(f.modified, Some(t.modified), "{}", t.path);
        assert_eq!(f.recoverable, t.recoverable, "{}", t.path);
        assert_eq!(f.fragments, t.fragments, "{}", t.path);
        let readable = !t.deleted || t.recoverable == Some(true);
        match (&t.clip, readable) {
            (Some(c), true) => {
                assert_eq!(f.header_duration(), Some(c.duration_s), "{}", t.path);
                let v = f.header.as_ref().unwrap();
                assert_eq!((v.width, v.height), (Some(1920), Some(1080)));
                assert_eq!(v.created, Some(c.created));
            }
            _ => assert_eq!(f.header_duration(), None, "{}", t.path),
        }
    }
    // The fragmented clip really is in three runs, and the overwritten one is not recoverable.
    let frag = truth
        .files
        .iter()
        .find(|f| f.path.ends_with("075800_1.mp4"))
        .unwrap();
    assert_eq!(frag.fragments, 3);
    let lost = truth
        .files
        .iter()
        .find(|f| f.path.ends_with("075700_2.mp4"))
        .unwrap();
    assert_eq!(lost.recoverable, Some(false));
    let wrapped = truth
        .files
        .iter()
        .find(|f| f.path.ends_with("090000_1.mp4"))
        .unwrap();
    assert_eq!(wrapped.fragments, 2);
    let kept = truth
        .files
        .iter()
        .find(|f| f.path.ends_with("075900_U.mp4"))
        .unwrap();
    assert_eq!(kept.recoverable, Some(true));
}
