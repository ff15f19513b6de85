//! The `dashcard` CLI on exFAT cards: a volume `mkfs.exfat` made, filled by the project's exFAT
//! writer with ffmpeg clips (one fragmented, one sized ahead of what was written, deleted ones
//! recoverable and lost), read back with `report --json` and `cat` and held against The Sleuth
//! Kit (`fls`, `istat`, `icat`) and the writer's own record; and `simulate --filesystem exfat`.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/exfat_common/mod.rs"]
mod exfat_common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use chrono::NaiveDateTime;
use exfat_common::exfat_writer::{AllocationOrder, ExfatWriter, NewFile, Placement, Truth};
use exfat_common::{
    at, fsck_ok, mkfs_exfat, open_image, pattern, runs_in, times, tsk_bytes, tsk_listing,
    tsk_seconds, tsk_sectors,
};
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

fn time(v: &Value) -> Option<NaiveDateTime> {
    v.as_str()
        .map(|t| NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").unwrap())
}

/// Every file's expected bytes, by path.
type Expected = HashMap<String, Vec<u8>>;

/// Small clusters, so that short real clips span several (the N1's 128–512 KiB clusters are
/// covered by `simulate` below and by the core's exFAT tests).
const CLUSTER: u64 = 4096;

/// A card laid out as a Nexar N1 lays one out (`video/`, `sos/`), filled with real clips.
fn fill(dir: &Path, w: &mut ExfatWriter<std::fs::File>) -> Expected {
    let mut expected = Expected::new();
    // Freed clusters are reused at once (so a clip fragments over a hole), entry slots are
    // not (so every deleted clip stays listable).
    w.set_allocation_order(AllocationOrder::FirstFit);
    w.set_reuse_deleted_entries(false);
    let t = |min: u32, sec: u32| times(at(2024, 10, 12, 7, min, sec, 0), Some(2 * 3600));
    w.mkdir("video", &t(50, 0)).unwrap();
    let clip = |name: &str, seconds: f64| {
        std::fs::read(common::ffmpeg_clip(dir, name, seconds, false)).unwrap()
    };
    let mut add = |w: &mut ExfatWriter<_>, path: &str, file: NewFile| {
        let mut whole = vec![0u8; file.bytes as usize];
        for (at, data) in &file.content {
            whole[*at as usize..*at as usize + data.len()].copy_from_slice(data);
        }
        w.add_file(path, &file).unwrap();
        expected.insert(path.to_string(), whole);
    };
    // A clip that will be deleted and then reused; a gap-maker; the road and cabin clips.
    add(
        w,
        "video/20241012_075500A.mp4",
        NewFile::with_data(pattern(3 * CLUSTER as usize, 1), t(55, 0)),
    );
    add(
        w,
        "video/20241012_075600A.mp4",
        NewFile::with_data(pattern(CLUSTER as usize, 2), t(56, 0)),
    );
    w.delete("video/20241012_075500A.mp4").unwrap();
    // Fragmented: fills the deleted clip's three clusters, then continues after the gap-maker.
    let mut fragmented = NewFile::with_data(clip("road.mp4", 2.0), t(57, 0));
    fragmented.placement = Placement::Chained;
    add(w, "video/20241012_075700A.mp4", fragmented);
    add(
        w,
        "video/20241012_075700B.mp4",
        NewFile::with_data(clip("cabin.mp4", 3.0), t(57, 1)),
    );
    // Sized for a minute, written for 2 s: the camera lost power. Past the valid length the
    // clusters would hold the stale clip beneath; the card must read zeros there.
    let cut = clip("cut.mp4", 2.0);
    let mut prealloc = NewFile::new(cut.len() as u64 + 3 * CLUSTER, t(58, 0));
    prealloc.valid_bytes = Some(cut.len() as u64);
    prealloc.content.push((0, cut));
    add(w, "video/20241012_075800A.mp4", prealloc);
    // Deleted last, so its clusters are still free: recoverable with its full name.
    add(
        w,
        "sos/20241012_075900A_SOS.mp4",
        NewFile::with_data(clip("sos.mp4", 1.0), t(59, 0)),
    );
    w.delete("sos/20241012_075900A_SOS.mp4").unwrap();
    expected
}

fn card(dir: &Path) -> (std::path::PathBuf, Truth, Expected) {
    let image = dir.join("n1.img");
    mkfs_exfat(&image, 64 << 20, "4K", Some("Nexar N1"));
    let mut w = ExfatWriter::open(open_image(&image), 0).unwrap();
    w.mkdir("sos", &times(at(2024, 10, 12, 7, 50, 0, 0), None))
        .unwrap();
    let expected = fill(dir, &mut w);
    let (_, truth) = w.finish().unwrap();
    fsck_ok(&image);
    (image, truth, expected)
}

#[test]
fn report_and_cat_on_an_exfat_card_agree_with_the_sleuth_kit() {
    let dir = common::tempdir();
    let (image, truth, expected) = card(dir.path());
    let path = image.to_str().unwrap();
    let report = json(&["report", "--json", path]);
    assert_eq!(report["volume"]["filesystem"], "exFAT");
    assert_eq!(report["volume"]["cluster_bytes"], CLUSTER);
    assert_eq!(report["volume"]["label"], "Nexar N1");
    assert_eq!(
        report["volume"]["free_bytes"],
        truth.free_clusters * CLUSTER
    );
    assert_eq!(
        report["estimate"]["inputs"]["free_bytes"]["source"],
        "card: counted from the allocation bitmap"
    );
    let files = report["files"].as_array().unwrap();
    let tsk: Vec<_> = tsk_listing(&image, 0)
        .into_iter()
        .filter(|t| !t.is_dir)
        .collect();
    let ours: BTreeSet<(String, bool)> = files
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["deleted"] == true,
            )
        })
        .collect();
    let theirs: BTreeSet<(String, bool)> =
        tsk.iter().map(|t| (t.path.clone(), t.deleted)).collect();
    assert_eq!(ours, theirs, "report --json and fls list different files");
    assert!(ours.contains(&("video/20241012_075500A.mp4".to_string(), true)));

    for f in files {
        let p = f["path"].as_str().unwrap();
        let deleted = f["deleted"] == true;
        let t = tsk
            .iter()
            .find(|t| t.path == p && t.deleted == deleted)
            .unwrap();
        let w = truth
            .entries
            .iter()
            .rev()
            .find(|e| e.path == p && e.deleted == deleted)
            .unwrap();
        assert_eq!(f["bytes"], t.size, "{p}: size");
        assert_eq!(tsk_seconds(time(&f["modified"])), t.mtime, "{p}: modified");
        assert_eq!(tsk_seconds(time(&f["created"])), t.crtime, "{p}: created");
        assert_eq!(time(&f["created"]), Some(w.times.created), "{p}: 10 ms");
        assert_eq!(
            f["recoverable"].as_bool(),
            w.recoverable,
            "{p}: recoverable"
        );
        let cat = dashcard(&["cat", path, p]);
        if deleted && w.recoverable != Some(true) {
            assert_eq!(cat.status.code(), Some(2), "{p}");
            assert!(
                String::from_utf8_lossy(&cat.stderr).contains("cannot be recovered"),
                "{p}"
            );
            continue;
        }
        assert!(cat.status.success(), "{p}");
        assert_eq!(cat.stdout, expected[p], "{p}: cat bytes");
        let sectors = tsk_sectors(&image, 0, t.inode);
        let extents: Vec<u64> = f["extents"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| {
                let offset = e["offset"].as_u64().unwrap();
                let bytes = e["bytes"].as_u64().unwrap();
                offset / 512..(offset + bytes).div_ceil(512)
            })
            .collect();
        if w.valid_bytes == w.bytes {
            assert_eq!(extents, sectors, "{p}: extents and istat sectors");
            assert_eq!(f["fragments"], runs_in(&sectors), "{p}: fragments");
            assert_eq!(
                cat.stdout,
                tsk_bytes(&image, 0, t.inode, deleted),
                "{p}: icat"
            );
        } else {
            // TSK reads the stale clusters past the valid length; the report covers only the
            // written bytes, and cat gives zeros after them.
            assert!(sectors.starts_with(&extents), "{p}: istat sectors");
            let valid = w.valid_bytes as usize;
            assert!(cat.stdout[valid..].iter().all(|&b| b == 0), "{p}: zeros");
        }
    }
    let file = |p: &str| files.iter().find(|f| f["path"] == p).unwrap();
    let fragmented = file("video/20241012_075700A.mp4");
    assert_eq!(fragmented["fragments"], 2);
    assert_eq!(fragmented["kind"], "drive");
    assert_eq!(fragmented["camera"], "road");
    assert_eq!(fragmented["duration_source"], "mp4_header");
    assert!((fragmented["duration_s"].as_f64().unwrap() - 2.0).abs() < 0.1);
    let cabin = file("video/20241012_075700B.mp4");
    assert_eq!(cabin["camera"], "cabin");
    assert!((cabin["duration_s"].as_f64().unwrap() - 3.0).abs() < 0.1);
    assert_eq!(report["drives"].as_array().unwrap().len(), 1);
    let sos = file("sos/20241012_075900A_SOS.mp4");
    assert_eq!(sos["recoverable"], true);
    assert!((sos["duration_s"].as_f64().unwrap() - 1.0).abs() < 0.1);
}

#[test]
fn simulate_writes_an_exfat_card_the_reader_and_fsck_accept() {
    let dir = common::tempdir();
    let image = dir.path().join("n1.img");
    let out = dashcard(&[
        "simulate",
        "--family",
        "pro",
        "--size",
        "64G",
        "--days",
        "3",
        "--filesystem",
        "exfat",
        "--cluster",
        "256K",
        image.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("exFAT, 256 KiB clusters"));
    let report = json(&["report", "--json", image.to_str().unwrap()]);
    assert_eq!(report["volume"]["filesystem"], "exFAT");
    assert_eq!(report["volume"]["cluster_bytes"], 256 * 1024);
    assert_eq!(report["partition_table"]["scheme"], "MBR");
    assert_eq!(
        report["partition_table"]["partitions"][0]["filesystem"],
        "exfat"
    );
    assert!(report["warnings"].as_array().unwrap().is_empty());
    assert!(!report["drives"].as_array().unwrap().is_empty());
    assert_eq!(report["family"]["code"], "pro_beam");
    // The N1's choice when no cluster is given: 128 KiB under 128 GiB.
    let small = dir.path().join("n1-small.img");
    let out = dashcard(&[
        "simulate",
        "--family",
        "pro",
        "--size",
        "8G",
        "--days",
        "1",
        "--filesystem",
        "exfat",
        small.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&["report", "--json", small.to_str().unwrap()]);
    assert_eq!(report["volume"]["cluster_bytes"], 128 * 1024);
    // Flags that make no card: a clear message, exit 2.
    for (args, words) in [
        (
            vec!["--filesystem", "exfat", "--cluster", "100K"],
            "not a cluster size",
        ),
        (vec!["--cluster", "128K"], "applies to exFAT"),
        (vec!["--filesystem", "ntfs"], "unknown file system"),
    ] {
        let bad = dir.path().join("bad.img");
        let mut all = vec!["simulate", "--family", "pro", "--size", "8G"];
        all.extend(args);
        all.push(bad.to_str().unwrap());
        let out = dashcard(&all);
        assert_eq!(out.status.code(), Some(2), "{all:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(words),
            "{all:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
