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

/// Every recording is classified as the simulation made it, with the start in its name.
fn check_classification(truth: &SimTruth, report: &Report) {
    let sos = truth.family == CameraModel::Nexc1 || truth.family == CameraModel::Nexs1;
    for r in truth.live() {
        let f = live_file(report, &r.path);
        let (kind, camera) = match r.kind {
            SimKind::Road => (FileKind::Drive, Some(Camera::Road)),
            SimKind::Cabin => (FileKind::Drive, Some(Camera::Cabin)),
            SimKind::Parking => (FileKind::Parking, None),
        };
        assert_eq!((f.kind, f.camera), (kind, camera), "{}", r.path);
        let pool = if sos && r.kind == SimKind::Parking {
            Pool::Sos
        } else {
            Pool::Loop
        };
        assert_eq!(f.pool, Some(pool), "{}", r.path);
        assert_eq!(f.start, Some(r.start), "{}", r.path);
        assert_eq!(f.duration_s, Some(r.duration_s), "{}", r.path);
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
    assert_eq!(totals.recordings, truth.live().count() as u64);
    assert_eq!(totals.road_bytes, live_bytes(SimKind::Road));
    assert_eq!(totals.cabin_bytes, live_bytes(SimKind::Cabin));
    assert_eq!(
        totals.parking_loop_bytes + totals.sos_bytes,
        live_bytes(SimKind::Parking)
    );
    assert_eq!(
        totals.first_start,
        truth.live().map(|r| r.start).min(),
        "first start"
    );
    // Deleted entries are classified too (they are evidence of the loop).
    let deleted = report.files.iter().filter(|f| f.deleted).count();
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

/// Drives whose segments survive whole match the simulation's start and end; the oldest
/// surviving drive is flagged partly overwritten exactly when the loop ate its beginning.
fn check_drives(truth: &SimTruth, report: &Report) {
    let mut live_per_drive: HashMap<usize, (usize, usize)> = HashMap::new();
    for r in &truth.recordings {
        if let Some(d) = r.drive {
            let e = live_per_drive.entry(d).or_default();
            e.0 += 1;
            if r.deleted_at.is_none() {
                e.1 += 1;
            }
        }
    }
    let mut surviving: Vec<usize> = live_per_drive
        .iter()
        .filter(|(_, (_, live))| *live > 0)
        .map(|(&d, _)| d)
        .collect();
    surviving.sort();
    assert_eq!(report.drives.len(), surviving.len(), "drive count");
    for (found, &d) in report.drives.iter().zip(&surviving) {
        let (made, live) = live_per_drive[&d];
        let sim = &truth.drives[d];
        assert_eq!(found.end, sim.end, "end of drive {d}");
        assert_eq!(found.segments, live, "segments of drive {d}");
        if made == live {
            assert_eq!(found.start, sim.start, "start of drive {d}");
            assert!(!found.partly_overwritten, "drive {d} is whole");
        } else {
            assert!(found.start > sim.start);
            assert!(found.partly_overwritten, "drive {d} lost its beginning");
        }
        let cameras = if truth.family == CameraModel::Beam || truth.family == CameraModel::Nexs1 {
            vec![Camera::Road]
        } else {
            vec![Camera::Road, Camera::Cabin]
        };
        assert_eq!(found.cameras, cameras);
    }
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
    let mut i = 0;
    while i < recs.len() {
        let r = &recs[i];
        let mut last = i;
        while r.kind != SimKind::Parking
            && last + 1 < recs.len()
            && recs[last + 1].start == r.start
            && recs[last + 1].kind != SimKind::Parking
        {
            last += 1;
        }
        let from = r.allocated_before;
        let to = recs[last].allocated_before + recs[last].bytes.div_ceil(cluster) * cluster;
        if bytes < from {
            return r.start;
        }
        if bytes < to {
            let f = (bytes - from) as f64 / (to - from) as f64;
            let ms = if r.kind == SimKind::Parking {
                0.0
            } else {
                f * r.duration_s * 1000.0
            };
            return r.start + chrono::Duration::milliseconds(ms as i64);
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
        if f.pool != Some(Pool::Loop) {
            continue;
        }
        let predicted = f
            .overwrite_after_bytes
            .expect("loop recordings have a prediction");
        let fate = later_by_path[r.path.as_str()];
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

fn check_family(family: CameraModel, code: FamilyCode, card_gb: u64, days: u32) {
    let dir = common::tempdir();
    let sim = Simulation {
        sos_limit: 4,
        ..Simulation::new(family, card_gb * GB, days)
    };
    let (truth, report) = snapshot(dir.path(), &sim);
    check_classification(&truth, &report);
    check_drives(&truth, &report);
    check_parking(&truth, &report);
    let found = &report.family;
    assert_eq!(found.code, code, "{:?}: {:?}", family, found.evidence);
    assert_eq!(
        found.dual_camera,
        !matches!(family, CameraModel::Beam | CameraModel::Nexs1)
    );
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
