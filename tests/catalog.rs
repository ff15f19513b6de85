//! The catalog and the overwrite estimate against the camera simulation's truth, for every
//! family: each card is read back by the real reader (image → FAT → MP4 headers), and the
//! simulation is then continued past the snapshot to see what the camera actually deletes.

mod common;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use dashcard::block_reader::BlockReader;
use dashcard::catalog::classify::{Camera, FileKind, Pool};
use dashcard::catalog::family::FamilyCode;
use dashcard::catalog::models::CameraModel;
use dashcard::estimate::WhatIf;
use dashcard::report::{FileRecord, Report};
use dashcard::scan::{ScanOptions, list_image, read_headers, scan_image};
use dashcard_sim::camera::{SimKind, SimTruth, Simulation, simulate};

const GB: u64 = 1_000_000_000;

/// Simulates `sim` onto a sparse file and reads it back: (truth, analysed report).
fn snapshot(dir: &std::path::Path, sim: &Simulation) -> (SimTruth, Report) {
    let path = dir.join(format!("{:?}-{}.img", sim.family, sim.days));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .expect("image");
    let truth = simulate(file, sim).expect("simulation");
    let mut reader = BlockReader::new(std::fs::File::open(&path).expect("open")).expect("reader");
    let listing = scan_image(&mut reader, &ScanOptions::default()).expect("scan");
    (truth, dashcard::analyze(&listing, &WhatIf::default()))
}

fn live_file<'a>(report: &'a Report, path: &str) -> &'a FileRecord {
    report
        .files
        .iter()
        .find(|f| !f.deleted && f.path == path)
        .unwrap_or_else(|| panic!("{path} is missing from the report"))
}

/// Every recording is classified as the simulation made it, with the start in its name (or,
/// on the newer cameras, in its CUST record, in UTC and in the camera's zone).
fn check_classification(truth: &SimTruth, report: &Report) {
    let sos = truth.family == CameraModel::Nexc1 || truth.family == CameraModel::Nexs1;
    for r in truth.live() {
        let f = live_file(report, &r.path);
        let (kind, camera) = match r.kind {
            SimKind::Road => (FileKind::Drive, Some(Camera::Road)),
            SimKind::Cabin => (FileKind::Drive, Some(Camera::Cabin)),
            SimKind::Parking => (FileKind::Parking, None),
            SimKind::Second => (FileKind::Drive, Some(Camera::Second)),
            SimKind::Event => (FileKind::Event, Some(Camera::Road)),
            SimKind::Photo => (FileKind::Photo, Some(Camera::Road)),
        };
        assert_eq!((f.kind, f.camera), (kind, camera), "{}", r.path);
        let pool = match r.kind {
            SimKind::Parking if sos => Some(Pool::Sos),
            SimKind::Event => Some(Pool::Sos),
            SimKind::Photo => None,
            _ => Some(Pool::Loop),
        };
        assert_eq!(f.pool, pool, "{}", r.path);
        assert_eq!(f.start, Some(r.start), "{}", r.path);
        assert_eq!(f.start_utc, r.start_utc, "{}", r.path);
        assert_eq!(f.read_only, r.locked, "{}", r.path);
        if r.kind != SimKind::Photo {
            assert_eq!(f.duration_s, Some(r.duration_s), "{}", r.path);
        }
        let mut sidecars = f.sidecars.clone();
        sidecars.sort();
        let mut made = r.sidecars.clone();
        made.sort();
        assert_eq!(sidecars, made, "{}", r.path);
    }
    // The totals add up to the simulation's live recordings.
    let totals = &report.totals;
    let live_bytes = |kind: SimKind| -> u64 {
        truth
            .live()
            .filter(|r| r.kind == kind)
            .map(|r| r.bytes)
            .sum()
    };
    assert_eq!(
        totals.recordings,
        truth.live().filter(|r| r.kind != SimKind::Photo).count() as u64
    );
    assert_eq!(totals.road_bytes, live_bytes(SimKind::Road));
    assert_eq!(totals.cabin_bytes, live_bytes(SimKind::Cabin));
    assert_eq!(totals.second_bytes, live_bytes(SimKind::Second));
    assert_eq!(totals.photo_bytes, live_bytes(SimKind::Photo));
    assert_eq!(
        totals.parking_loop_bytes + totals.sos_bytes,
        live_bytes(SimKind::Parking) + live_bytes(SimKind::Event)
    );
    assert_eq!(
        totals.first_start,
        truth
            .live()
            .filter(|r| r.kind != SimKind::Photo)
            .map(|r| r.start)
            .min(),
        "first start"
    );
    // Deleted entries are classified too (they are evidence of the loop).
    let deleted = report
        .files
        .iter()
        .filter(|f| f.deleted && f.kind != FileKind::Sidecar)
        .count();
    let made_deleted = truth.recordings.len() - truth.live().count();
    assert_eq!(deleted, made_deleted);
    assert!(
        report
            .files
            .iter()
            .filter(|f| f.deleted)
            .all(|f| f.kind != FileKind::Other)
    );
}

/// Drives as the card shows them: each simulated drive's surviving segments, in runs as the
/// README defines a drive (each starting at most 5 minutes after the run's end so far; on the
/// newer cameras a locked clip can survive apart from the rest of its drive). A run matches in
/// start, end, segments and cameras, and is flagged partly overwritten exactly when the loop
/// deleted some of its drive.
fn check_drives(truth: &SimTruth, report: &Report) {
    struct Run {
        start: NaiveDateTime,
        end: NaiveDateTime,
        segments: usize,
        cameras: Vec<Camera>,
        partly: bool,
    }
    let gap = chrono::Duration::minutes(5);
    let mut runs: Vec<Run> = Vec::new();
    for d in 0..truth.drives.len() {
        let made: Vec<_> = truth
            .recordings
            .iter()
            .filter(|r| r.drive == Some(d))
            .collect();
        let mut live: Vec<_> = made.iter().filter(|r| r.deleted_at.is_none()).collect();
        live.sort_by_key(|r| r.start);
        let partly = live.len() < made.len();
        let first = runs.len();
        for r in live {
            let end = r.start + chrono::Duration::milliseconds((r.duration_s * 1000.0) as i64);
            let camera = match r.kind {
                SimKind::Cabin => Camera::Cabin,
                SimKind::Second => Camera::Second,
                _ => Camera::Road,
            };
            let open = runs.len() > first;
            match runs.last_mut() {
                Some(run) if open && r.start <= run.end + gap => {
                    run.end = run.end.max(end);
                    run.segments += 1;
                    if !run.cameras.contains(&camera) {
                        run.cameras.push(camera);
                        run.cameras.sort();
                    }
                }
                _ => runs.push(Run {
                    start: r.start,
                    end,
                    segments: 1,
                    cameras: vec![camera],
                    partly,
                }),
            }
        }
    }
    assert_eq!(report.drives.len(), runs.len(), "drive count");
    for (i, (found, run)) in report.drives.iter().zip(&runs).enumerate() {
        assert_eq!(found.start, run.start, "start of drive {i}");
        assert_eq!(found.end, run.end, "end of drive {i}");
        assert_eq!(found.segments, run.segments, "segments of drive {i}");
        assert_eq!(found.cameras, run.cameras, "cameras of drive {i}");
        assert_eq!(
            found.partly_overwritten, run.partly,
            "drive {i} partly overwritten"
        );
    }
    // Whole drives show every camera the model records.
    let facts = truth.family.facts();
    let cameras = match (facts.dual_camera, facts.newer) {
        (false, _) => vec![Camera::Road],
        (true, false) => vec![Camera::Road, Camera::Cabin],
        (true, true) => vec![Camera::Road, Camera::Second],
    };
    assert!(
        runs.iter()
            .filter(|r| !r.partly && r.segments > 2)
            .all(|r| r.cameras == cameras)
    );
}

/// Parking incidents are the live parking clips, each after the drive that preceded it.
fn check_parking(truth: &SimTruth, report: &Report) {
    let mut live: Vec<_> = truth
        .live()
        .filter(|r| r.kind == SimKind::Parking)
        .collect();
    live.sort_by_key(|r| r.start);
    assert_eq!(report.parking.len(), live.len());
    for (p, r) in report.parking.iter().zip(live) {
        assert_eq!(p.path, r.path);
        assert_eq!(p.start, Some(r.start));
        // The drive that ended last before it, in the simulation.
        let sim_before = truth
            .drives
            .iter()
            .enumerate()
            .filter(|(_, d)| d.end <= r.start)
            .max_by_key(|(_, d)| d.end)
            .map(|(i, _)| i);
        let survives = |d: usize| truth.live().any(|x| x.drive == Some(d));
        match (p.after_drive, sim_before) {
            (Some(found), Some(d)) => {
                assert_eq!(report.drives[found].end, truth.drives[d].end, "{}", r.path)
            }
            // The drive it followed is gone from the card.
            (None, Some(d)) => assert!(!survives(d), "{}", r.path),
            (None, None) => {}
            (Some(_), None) => panic!("{} follows no drive", r.path),
        }
    }
}

/// Driving seconds the simulated camera recorded between two instants.
fn driving_seconds(truth: &SimTruth, from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    truth
        .drives
        .iter()
        .map(|d| {
            let a = d.start.max(from);
            let b = d.end.min(to);
            ((b - a).num_milliseconds().max(0)) as f64 / 1000.0
        })
        .sum()
}

/// When (camera time) the continued simulation's allocation counter first reached `bytes`:
/// inside the minute being recorded then, in proportion. The road and cabin segments of one
/// minute are recorded at the same time, so they count as one span. (The counter drops when a
/// sos clip is deleted, so it is walked in order, not searched.)
fn moment_of(later: &SimTruth, bytes: u64) -> NaiveDateTime {
    let cluster = u64::from(later.card.cluster_bytes);
    let recs = &later.recordings;
    // Parking clips, events and photos count as written at one instant: when they happened,
    // but never before the recording written ahead of them ended (an event during a segment is
    // written once that segment is).
    let instant = |k: SimKind| matches!(k, SimKind::Parking | SimKind::Event | SimKind::Photo);
    let mut written_until = NaiveDateTime::MIN;
    let mut i = 0;
    while i < recs.len() {
        let r = &recs[i];
        let mut last = i;
        while !instant(r.kind)
            && last + 1 < recs.len()
            && recs[last + 1].start == r.start
            && !instant(recs[last + 1].kind)
        {
            last += 1;
        }
        let start = if instant(r.kind) {
            r.start.max(written_until)
        } else {
            r.start
        };
        let from = r.allocated_before;
        let to = recs[last].allocated_before + recs[last].bytes.div_ceil(cluster) * cluster;
        if bytes < from {
            return start;
        }
        if bytes < to {
            let f = (bytes - from) as f64 / (to - from) as f64;
            let ms = if instant(r.kind) {
                0.0
            } else {
                f * r.duration_s * 1000.0
            };
            return start + chrono::Duration::milliseconds(ms as i64);
        }
        if !instant(r.kind) {
            written_until =
                r.start + chrono::Duration::milliseconds((r.duration_s * 1000.0) as i64);
        }
        i = last + 1;
    }
    recs.last().map(|r| r.start).unwrap_or_default()
}

/// The estimate against the camera continued past the snapshot: every loop recording the
/// camera deletes goes in the predicted order, at the predicted bytes (within one cluster) and
/// after the predicted driving hours (within 10 %).
fn check_estimate(truth: &SimTruth, report: &Report, later: &SimTruth) -> usize {
    let cluster = u64::from(truth.card.cluster_bytes);
    let snapshot_end = truth
        .recordings
        .iter()
        .map(|r| r.start + chrono::Duration::milliseconds((r.duration_s * 1000.0) as i64))
        .max()
        .unwrap_or_default();
    let later_by_path: HashMap<&str, _> = later
        .recordings
        .iter()
        .map(|r| (r.path.as_str(), r))
        .collect();
    let written = later.allocated_bytes - truth.allocated_bytes;
    let mut deleted_in_order = Vec::new();
    for r in truth.live() {
        let f = live_file(report, &r.path);
        let fate = later_by_path[r.path.as_str()];
        if r.locked || r.kind == SimKind::Event || r.kind == SimKind::Photo {
            // The newer cameras never delete these, and the estimate says so.
            assert_eq!(f.overwrite_after_bytes, None, "{}", r.path);
            let want = if r.locked { "locked" } else { "kept_folder" };
            assert_eq!(
                serde_json::to_value(f.protected).unwrap(),
                serde_json::json!(want),
                "{}",
                r.path
            );
            assert_eq!(fate.deleted_at, None, "{} was deleted", r.path);
            continue;
        }
        if f.pool != Some(Pool::Loop) {
            continue;
        }
        let predicted = f
            .overwrite_after_bytes
            .expect("loop recordings have a prediction");
        match fate.overwritten_at_bytes {
            Some(at) => {
                let actual = at - truth.allocated_bytes;
                assert!(
                    predicted.abs_diff(actual) <= cluster,
                    "{}: predicted {predicted} bytes, overwritten after {actual}",
                    r.path
                );
                let hours = driving_seconds(later, snapshot_end, moment_of(later, at)) / 3600.0;
                let predicted_h = f.overwrite_after_hours.expect("hours");
                assert!(
                    (predicted_h - hours).abs() <= 0.1 * hours.max(0.05),
                    "{}: predicted {predicted_h:.3} h of driving, overwritten after {hours:.3} h",
                    r.path
                );
                deleted_in_order.push((at, predicted));
            }
            None => assert!(
                predicted + cluster >= written,
                "{}: predicted to go after {predicted} bytes, but survived {written}",
                r.path
            ),
        }
    }
    deleted_in_order.sort();
    assert!(
        deleted_in_order.windows(2).all(|w| w[0].1 <= w[1].1),
        "the camera deleted in the predicted order"
    );
    deleted_in_order.len()
}

/// Simulates `family` (seed 1, or `DASHCARD_SIM_SEED` to try others) and checks the reader's
/// view of it and its estimate against what the camera did next.
fn check_family(family: CameraModel, code: FamilyCode, card_gb: u64, days: u32) {
    let dir = common::tempdir();
    let sim = Simulation {
        sos_limit: 4,
        seed: std::env::var("DASHCARD_SIM_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1),
        ..Simulation::new(family, card_gb * GB, days)
    };
    let (truth, report) = snapshot(dir.path(), &sim);
    check_classification(&truth, &report);
    check_drives(&truth, &report);
    check_parking(&truth, &report);
    let found = &report.family;
    assert_eq!(found.code, code, "{:?}: {:?}", family, found.evidence);
    assert_eq!(found.dual_camera, family.facts().dual_camera);
    let estimate = &report.estimate;
    assert!(
        estimate.looping,
        "{family:?} card should loop: {estimate:?}"
    );
    assert!(report.drives[0].partly_overwritten || truth.drives.len() > report.drives.len());

    let later_sim = Simulation {
        days: days + 2,
        ..sim.clone()
    };
    let (later, _) = snapshot(dir.path(), &later_sim);
    assert_eq!(
        later.recordings[..truth.recordings.len()]
            .iter()
            .map(|r| &r.path)
            .collect::<Vec<_>>(),
        truth.recordings.iter().map(|r| &r.path).collect::<Vec<_>>(),
        "a continued simulation repeats the snapshot's days"
    );
    let deleted = check_estimate(&truth, &report, &later);
    assert!(
        deleted > 20,
        "{family:?}: only {deleted} deletions to compare"
    );
    if family.facts().newer {
        check_newer(&truth, &report);
    }
    let exfat = report.volume.filesystem.as_deref() == Some("exFAT");
    assert_eq!(exfat, sim.filesystem != dashcard_sim::CardFilesystem::Fat32);
    if exfat {
        assert!(report.family.evidence.iter().any(|e| e.contains("exFAT")));
    }
}

/// What only the newer cameras' cards tell: the zone, the camera, events, the 3 GiB reserve.
fn check_newer(truth: &SimTruth, report: &Report) {
    assert_eq!(
        report.time_zone.utc_offset_s,
        Some(dashcard_sim::TIMEZONE_S)
    );
    let info = report.camera_info.as_ref().expect("camera info");
    assert!(info.serial.as_deref().is_some_and(|s| s.starts_with("NX")));
    assert_eq!(info.software.as_deref(), Some("v2.3.1"));
    assert_eq!(
        report.estimate.inputs.reserved_bytes.value,
        Some(3_221_225_472)
    );
    let mut events: Vec<_> = truth.live().filter(|r| r.kind == SimKind::Event).collect();
    events.sort_by_key(|r| r.start);
    assert_eq!(report.events.len(), events.len());
    for (e, r) in report.events.iter().zip(events) {
        assert_eq!(
            (&e.path, e.start, e.start_utc),
            (&r.path, Some(r.start), r.start_utc)
        );
    }
    let kept = truth
        .live()
        .filter(|r| matches!(r.kind, SimKind::Event | SimKind::Photo))
        .count();
    assert!(
        report
            .estimate
            .inputs
            .kept_bytes
            .source
            .contains("never cleans"),
        "{kept} kept"
    );
    // A stale name stamp (the session's first file) does not move the clip: the record wins.
    let stale = report
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Drive && !f.deleted)
        .filter(|f| {
            let name = f.path.rsplit('/').next().unwrap();
            f.start_utc
                .is_some_and(|t| !name.starts_with(&t.format("%Y%m%d_%H%M%S").to_string()))
        })
        .count();
    assert!(stale > 0, "some first files carry a stale stamp");
}

#[test]
fn pro_card() {
    check_family(CameraModel::Pro, FamilyCode::ProBeam, 8, 6);
}

#[test]
fn beam_card() {
    check_family(CameraModel::Beam, FamilyCode::ProBeam, 4, 6);
}

#[test]
fn nexc2_card() {
    check_family(CameraModel::Nexc2, FamilyCode::Nexc2, 8, 6);
}

#[test]
fn beam2k_card() {
    check_family(CameraModel::Beam2k, FamilyCode::Beam2k, 16, 6);
}

#[test]
fn zero_card() {
    check_family(CameraModel::Zero, FamilyCode::Zero, 8, 6);
}

#[test]
fn n1_card_with_sos_events_photos_and_locks() {
    check_family(CameraModel::N1, FamilyCode::N1, 16, 8);
}

/// An N1 formats cards over 32,895 MB exFAT (128 KiB clusters under 128 GiB): the same checks
/// on the exFAT card the simulation writes then.
#[test]
fn n1_card_over_32_gb_is_exfat() {
    let sim = Simulation::new(CameraModel::N1, 48 * GB, 9);
    assert_eq!(
        sim.filesystem,
        dashcard_sim::CardFilesystem::Exfat {
            cluster_bytes: 128 * 1024
        }
    );
    check_family(CameraModel::N1, FamilyCode::N1, 48, 9);
}

#[test]
fn nexc1_card_with_its_sos_folder() {
    check_family(CameraModel::Nexc1, FamilyCode::Nexc1, 8, 8);
}

#[test]
fn nexs1_card_with_its_sos_folder() {
    check_family(CameraModel::Nexs1, FamilyCode::Nexc1Nexs1, 4, 8);
}

/// The sos folder is its own FIFO: the oldest clip goes after the predicted number of parking
/// events, whatever the drives do.
#[test]
fn the_sos_folder_deletes_in_the_predicted_number_of_events() {
    let dir = common::tempdir();
    let sim = Simulation {
        sos_limit: 4,
        ..Simulation::new(CameraModel::Nexc1, 64 * GB, 10)
    };
    let (truth, report) = snapshot(dir.path(), &sim);
    let sos = report.estimate.sos.clone().expect("sos estimate");
    assert_eq!(sos.limit_clips.value, Some(4), "{}", sos.limit_clips.source);
    assert_eq!(sos.clips, 4);
    assert_eq!(sos.events_left, Some(0));
    // Not a looping card: 64 GB holds more than 10 days here.
    assert!(!report.estimate.looping);

    let later = snapshot(
        dir.path(),
        &Simulation {
            days: 20,
            ..sim.clone()
        },
    )
    .0;
    let new_events: Vec<_> = later.recordings[truth.recordings.len()..]
        .iter()
        .filter(|r| r.kind == SimKind::Parking)
        .collect();
    assert!(new_events.len() >= 4, "enough parking events to compare");
    for p in &report.parking {
        let events = p.overwrite_after_events.expect("sos clips count in events") as usize;
        let fate = later
            .recordings
            .iter()
            .find(|r| r.path == p.path)
            .expect("same clip");
        // It is deleted when the `events`-th new parking event is recorded.
        assert_eq!(
            fate.deleted_at,
            Some(new_events[events - 1].start),
            "{}",
            p.path
        );
    }
}

/// A card that is not looping yet says when it fills, and the first recording the camera
/// deletes is the one predicted, at the predicted moment.
#[test]
fn a_card_that_is_not_full_yet_says_when_it_fills() {
    let dir = common::tempdir();
    let sim = Simulation::new(CameraModel::Pro, 16 * GB, 2);
    let (truth, report) = snapshot(dir.path(), &sim);
    let e = &report.estimate;
    assert!(!e.looping);
    assert!(e.hours_until_full.unwrap() > 0.5);
    assert!(!report.drives[0].partly_overwritten);
    let later = snapshot(
        dir.path(),
        &Simulation {
            days: 6,
            ..sim.clone()
        },
    )
    .0;
    assert!(check_estimate(&truth, &report, &later) > 0);
    assert!(
        e.headline.contains("will be overwritten after about"),
        "{}",
        e.headline
    );
}

/// The web app analyses a card twice (names and FAT first, again once the headers are read):
/// the second pass must equal one pass over the complete listing.
#[test]
fn analysing_before_and_after_the_headers_equals_one_pass() {
    let dir = common::tempdir();
    let sim = Simulation {
        sos_limit: 4,
        ..Simulation::new(CameraModel::Nexc1, 8 * GB, 5)
    };
    let (_, once) = snapshot(dir.path(), &sim);
    let path = dir
        .path()
        .join(format!("{:?}-{}.img", sim.family, sim.days));
    let mut reader = BlockReader::new(std::fs::File::open(&path).expect("open")).expect("reader");
    let listed = list_image(&mut reader, &ScanOptions::default()).expect("list");
    let first = dashcard::analyze(&listed, &WhatIf::default());
    assert_eq!(first.files.len(), once.files.len());
    let headers = read_headers(
        &mut reader,
        &listed.image_clips(),
        0,
        &Default::default(),
        |_, _| {},
    );
    let twice = dashcard::analyze(&listed.with_headers(headers), &WhatIf::default());
    assert_eq!(twice.family, once.family);
    assert_eq!(twice.drives, once.drives);
    assert_eq!(twice.parking, once.parking);
    assert_eq!(twice.estimate, once.estimate);
    assert_eq!(twice.files, once.files);
}

/// The browser reads a clip's tail and the next clip's head in one call: the same durations,
/// about half the calls.
#[test]
fn coalesced_header_reads_give_the_same_report_in_fewer_calls() {
    let dir = common::tempdir();
    let sim = Simulation::new(CameraModel::Pro, 8 * GB, 3);
    let (_, _) = snapshot(dir.path(), &sim);
    let path = dir
        .path()
        .join(format!("{:?}-{}.img", sim.family, sim.days));
    let read = |gap: u64| {
        let mut reader =
            BlockReader::new(std::fs::File::open(&path).expect("open")).expect("reader");
        let listing = list_image(&mut reader, &ScanOptions::default()).expect("list");
        let listed = reader.stats().read_calls;
        let headers = read_headers(
            &mut reader,
            &listing.image_clips(),
            gap,
            &Default::default(),
            |_, _| {},
        );
        (
            listing.with_headers(headers),
            reader.stats().read_calls - listed,
        )
    };
    let (plain, plain_calls) = read(0);
    let (coalesced, coalesced_calls) = read(256 * 1024);
    assert_eq!(plain, coalesced);
    let clips = plain
        .files
        .iter()
        .filter(|f| f.header_duration().is_some())
        .count() as u64;
    assert!(clips > 100);
    assert!(
        plain_calls >= 2 * clips - 2,
        "{plain_calls} calls for {clips} clips"
    );
    assert!(
        coalesced_calls <= clips + clips / 10,
        "{coalesced_calls} calls for {clips} clips"
    );
}

/// On exFAT with the N1's 256 KiB clusters a clip's end and the next clip's start are often too
/// far apart to read in one call: such a clip is read from its tail alone, where its `moov`
/// lies — the same report, still about one call per clip; the N1's own fragmented clips (whose
/// `moov` is at their start) are read from their start, in no more calls than one by one.
#[test]
fn coalesced_header_reads_on_exfat_give_the_same_report_in_about_one_call_per_clip() {
    let dir = common::tempdir();
    for (family, most_calls_per_clip) in [(CameraModel::Pro, 1.1), (CameraModel::N1, 2.5)] {
        let mut sim = Simulation::new(family, 40 * GB, 3);
        sim.filesystem = dashcard_sim::CardFilesystem::Exfat {
            cluster_bytes: 256 * 1024,
        };
        let (_, _) = snapshot(dir.path(), &sim);
        let path = dir
            .path()
            .join(format!("{:?}-{}.img", sim.family, sim.days));
        let read = |gap: u64| {
            let mut reader =
                BlockReader::new(std::fs::File::open(&path).expect("open")).expect("reader");
            let listing = list_image(&mut reader, &ScanOptions::default()).expect("list");
            let listed = reader.stats().read_calls;
            let headers = read_headers(
                &mut reader,
                &listing.image_clips(),
                gap,
                &Default::default(),
                |_, _| {},
            );
            (
                listing.with_headers(headers),
                reader.stats().read_calls - listed,
            )
        };
        let (plain, plain_calls) = read(0);
        let (coalesced, coalesced_calls) = read(128 * 1024);
        assert_eq!(plain, coalesced, "{family:?}");
        let clips = plain
            .files
            .iter()
            .filter(|f| f.header_duration().is_some())
            .count() as f64;
        assert!(clips > 100.0, "{family:?}: {clips} clips");
        assert!(
            (coalesced_calls as f64) <= most_calls_per_clip * clips,
            "{family:?}: {coalesced_calls} calls for {clips} clips"
        );
        assert!(
            coalesced_calls <= plain_calls,
            "{family:?}: {coalesced_calls} calls, {plain_calls} one by one"
        );
    }
}

/// With a real clip, every simulated recording starts with that clip's bytes (the sample card's
/// recordings really play), and the reader finds its duration.
#[test]
fn a_simulation_with_a_real_clip_writes_it_into_every_recording() {
    let dir = common::tempdir();
    let clip_path = common::ffmpeg_clip(dir.path(), "clip.mp4", 3.0, false);
    let clip = std::fs::read(&clip_path).expect("clip");
    let sim = Simulation {
        clip: Some(clip.clone()),
        ..Simulation::new(CameraModel::Pro, 4 * GB, 1)
    };
    let (truth, report) = snapshot(dir.path(), &sim);
    let path = dir
        .path()
        .join(format!("{:?}-{}.img", sim.family, sim.days));
    let mut reader = BlockReader::new(std::fs::File::open(&path).expect("open")).expect("reader");
    let first = truth.live().next().expect("a recording");
    let file = live_file(&report, &first.path);
    assert_eq!(
        file.duration_s.map(|d| (d * 10.0).round() / 10.0),
        Some(3.0)
    );
    let mut head = vec![0u8; clip.len()];
    let mut stream = dashcard::extent::ExtentReader::new(&mut reader, &file.extents, file.bytes);
    std::io::Read::read_exact(&mut stream, &mut head).expect("read");
    assert_eq!(head, clip);
}
