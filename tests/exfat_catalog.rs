//! The same recordings on a FAT32 card and on an exFAT card give the same catalog: the catalog,
//! the estimate and the report must not know which file system they read.
//!
//! The camera simulation records onto both cards at once — every folder, recording and loop
//! deletion goes to the FAT32 builder and to the exFAT writer (N1 layout: MBR, 128 KiB
//! clusters) — with the camera's choices made from the FAT32 card's free space, so the two
//! cards hold exactly the same live and deleted recordings. Each is then read back through the
//! real path (image → partition table → file system → MP4 headers → catalog → estimate).

mod common;

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use chrono::NaiveDateTime;
use dashcard::block_reader::BlockReader;
use dashcard::catalog::models::CameraModel;
use dashcard::estimate::WhatIf;
use dashcard::report::Report;
use dashcard::scan::{ScanOptions, scan_image};
use dashcard_sim::camera::{Simulation, simulate_onto};
use dashcard_sim::{
    BuildError, CardBuilder, CardFilesystem, CardLayout, CardTruth, CardWriter, ExfatCard, FileSpec,
};
use serde_json::Value;

const GB: u64 = 1_000_000_000;

/// Two cards written as one: the first decides (free space), both receive every operation.
struct Both<A, B> {
    first: A,
    second: B,
    second_truth: Rc<RefCell<Option<CardTruth>>>,
}

impl<A: CardWriter, B: CardWriter> CardWriter for Both<A, B> {
    fn free_bytes(&self) -> u64 {
        self.first.free_bytes()
    }

    fn on_disk_bytes(&self, bytes: u64) -> u64 {
        self.first.on_disk_bytes(bytes)
    }

    fn mkdir(&mut self, path: &str, when: NaiveDateTime) -> Result<(), BuildError> {
        self.first.mkdir(path, when)?;
        self.second.mkdir(path, when)
    }

    fn add_file(&mut self, path: &str, spec: &FileSpec) -> Result<(), BuildError> {
        self.first.add_file(path, spec)?;
        self.second.add_file(path, spec)
    }

    fn delete(&mut self, path: &str) -> Result<(), BuildError> {
        self.first.delete(path)?;
        self.second.delete(path)
    }

    fn finish(self) -> Result<CardTruth, BuildError> {
        *self.second_truth.borrow_mut() = Some(self.second.finish()?);
        self.first.finish()
    }
}

fn create(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .expect("image")
}

fn report_of(path: &Path) -> Report {
    let mut reader = BlockReader::new(std::fs::File::open(path).expect("open")).expect("reader");
    let listing = scan_image(&mut reader, &ScanOptions::default()).expect("scan");
    dashcard::analyze(&listing, &WhatIf::default())
}

/// Simulates `sim` onto a FAT32 card and, with the same operations, an exFAT card 5 % larger
/// (its larger clusters round every recording up further, and the FAT32 card's free space
/// decides when the camera deletes); returns both reports and both truths.
fn both_cards(dir: &Path, sim: &Simulation) -> [(Report, CardTruth); 2] {
    let fat_path = dir.join("fat32.img");
    let exfat_path = dir.join("exfat.img");
    let exfat_bytes = sim.card_bytes + sim.card_bytes / 20;
    let CardFilesystem::Exfat { cluster_bytes } = CardFilesystem::n1_exfat(exfat_bytes) else {
        unreachable!()
    };
    let second_truth = Rc::new(RefCell::new(None));
    let card = Both {
        first: CardBuilder::format(create(&fat_path), &CardLayout::new(sim.card_bytes))
            .expect("FAT32 card"),
        second: ExfatCard::format(create(&exfat_path), exfat_bytes, cluster_bytes)
            .expect("exFAT card"),
        second_truth: second_truth.clone(),
    };
    let truth = simulate_onto(card, sim).expect("simulation");
    let exfat_truth = second_truth.borrow_mut().take().expect("exFAT truth");
    [
        (report_of(&fat_path), truth.card),
        (report_of(&exfat_path), exfat_truth),
    ]
}

/// The parts of a report that describe the recordings rather than the file system: every
/// file's classification, start, duration and drive; drives; parking incidents; the family;
/// the totals. Left out: the volume, and per file its times (FAT keeps a modified time to 2 s,
/// exFAT to 10 ms), extents, fragments and recovery verdict, and every overwrite figure (the
/// estimate is compared on its own).
fn catalog_parts(report: &Report) -> Value {
    let mut v = serde_json::to_value(report).expect("JSON");
    let strip = |items: &mut Value, keys: &[&str]| {
        for item in items.as_array_mut().expect("array") {
            let object = item.as_object_mut().expect("object");
            for key in keys {
                object.remove(*key);
            }
        }
    };
    let overwrite = [
        "overwrite_after_bytes",
        "overwrite_after_hours",
        "overwrite_after_days",
        "overwrite_after_events",
    ];
    let mut file_keys = vec!["created", "modified", "extents", "fragments", "recoverable"];
    file_keys.extend(overwrite);
    strip(&mut v["files"], &file_keys);
    // A deleted recording's header can be read only when its bytes are recoverable, which
    // exFAT allows far more often (see the recovery check below): header-derived fields of
    // deleted files differ for that reason alone.
    for f in v["files"].as_array_mut().expect("files") {
        if f["deleted"] == true {
            let object = f.as_object_mut().expect("file");
            for key in ["duration_s", "duration_source", "video"] {
                object.remove(key);
            }
        }
    }
    strip(&mut v["drives"], &overwrite);
    strip(&mut v["parking"], &overwrite);
    v["files"]
        .as_array_mut()
        .expect("files")
        .sort_by_key(|f| (f["path"].to_string(), f["deleted"].to_string()));
    let totals = v["totals"].as_object_mut().expect("totals");
    totals.remove("recoverable_files");
    totals.remove("fragmented_recordings");
    serde_json::json!({
        "files": v["files"],
        "drives": v["drives"],
        "parking": v["parking"],
        "family": v["family"],
        "totals": v["totals"],
        "warnings": v["warnings"],
    })
}

/// Where two JSON values first differ, in words (`None`: they are equal).
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| {
                first_difference(
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    &format!("{at}.{k}"),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{at}: FAT32 {} / exFAT {}", short(a), short(b))),
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Array(items) => format!("an array of {}", items.len()),
        other => {
            let text = other.to_string();
            text.chars().take(300).collect()
        }
    }
}

fn round_up(bytes: u64, cluster: u64) -> u64 {
    bytes.div_ceil(cluster) * cluster
}

/// The estimate on both cards: the same rates and the same order of overwriting; the bytes
/// until each recording goes differ only by what the file systems count differently — the free
/// space, and each older recording rounded up to its card's cluster (32 KiB or 128 KiB).
fn check_estimates(fat: &Report, exfat: &Report) {
    let (a, b) = (&fat.estimate, &exfat.estimate);
    assert_eq!(a.bytes_per_driving_hour, b.bytes_per_driving_hour);
    assert_eq!(a.driving_hours_per_day, b.driving_hours_per_day);
    assert_eq!(a.parking_bytes_per_day, b.parking_bytes_per_day);
    assert_eq!(a.looping, b.looping);
    let queue = |r: &Report| {
        let mut q: Vec<(u64, String, u64)> = r
            .files
            .iter()
            .filter_map(|f| Some((f.overwrite_after_bytes?, f.path.clone(), f.bytes)))
            .collect();
        q.sort();
        q
    };
    let (qa, qb) = (queue(fat), queue(exfat));
    let paths = |q: &[(u64, String, u64)]| q.iter().map(|e| e.1.clone()).collect::<Vec<_>>();
    assert_eq!(paths(&qa), paths(&qb), "the same overwrite order");
    assert!(qa.len() > 100, "a real queue: {}", qa.len());
    let cluster = |r: &Report| r.volume.cluster_bytes.expect("cluster") as u64;
    let free = |r: &Report| r.volume.free_bytes.expect("free");
    for (q, r) in [(&qa, fat), (&qb, exfat)] {
        assert_eq!(
            q[0].0,
            free(r),
            "the oldest goes right after the free space"
        );
        for pair in q.windows(2) {
            assert_eq!(
                pair[1].0 - pair[0].0,
                round_up(pair[0].2, cluster(r)),
                "{}: the next goes one cluster-rounded recording later",
                pair[1].1
            );
        }
    }
}

fn check(family: CameraModel, card_gb: u64, days: u32) {
    let dir = common::tempdir();
    let sim = Simulation {
        sos_limit: 4,
        ..Simulation::new(family, card_gb * GB, days)
    };
    let [(fat, fat_truth), (exfat, exfat_truth)] = both_cards(dir.path(), &sim);
    assert_eq!(fat.volume.filesystem.as_deref(), Some("FAT32"));
    assert_eq!(exfat.volume.filesystem.as_deref(), Some("exFAT"));
    assert_eq!(exfat.volume.cluster_bytes, Some(128 * 1024));
    assert_eq!(
        (
            fat_truth.filesystem.as_str(),
            exfat_truth.filesystem.as_str()
        ),
        ("FAT32", "exFAT")
    );
    assert!(
        fat.totals.deleted_files > 50,
        "{family:?}: the loop deleted"
    );
    if let Some(difference) = first_difference(&catalog_parts(&fat), &catalog_parts(&exfat), "") {
        panic!("{family:?}: the catalogs differ at {difference}");
    }
    check_estimates(&fat, &exfat);
    // Recovery: exFAT keeps every deleted recording's full name, size and first cluster, so
    // at least as many are recoverable as on FAT32 (where a fragmented one never is).
    assert!(exfat.totals.recoverable_files >= fat.totals.recoverable_files);
    // What each writer did is what its reader found: every file, and no recording the writer
    // left intact called lost. (The other way round is allowed: clusters a later recording
    // took and freed again look untouched to any reader.)
    for (report, truth) in [(&fat, &fat_truth), (&exfat, &exfat_truth)] {
        assert_eq!(report.volume.free_bytes, Some(truth.free_bytes));
        assert_eq!(report.files.len(), truth.files.len());
        for t in &truth.files {
            let f = report
                .files
                .iter()
                .find(|f| f.path == t.path && f.deleted == t.deleted)
                .unwrap_or_else(|| panic!("{} missing", t.path));
            if t.recoverable == Some(true) {
                assert_eq!(f.recoverable, Some(true), "{}", t.path);
            }
        }
    }
}

#[test]
fn a_pro_card_gives_the_same_catalog_on_fat32_and_exfat() {
    check(CameraModel::Pro, 16, 8);
}

#[test]
fn a_nexc1_card_with_its_sos_folder_gives_the_same_catalog_on_fat32_and_exfat() {
    check(CameraModel::Nexc1, 8, 6);
}

#[test]
fn a_nexc2_card_in_one_folder_gives_the_same_catalog_on_fat32_and_exfat() {
    check(CameraModel::Nexc2, 8, 5);
}
