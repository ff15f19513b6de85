//! Telemetry on a card made by real tools: `mkfs.fat` formats it, mtools (`mmd`, `mcopy`) puts
//! on it ffmpeg's fragmented clips named as the newer cameras name them, an SOS recording, and
//! beside each clip the `.gnss` and `.imu` logs written line for line as the firmware writes
//! them (`tests/firmware_logs/`: the 20 KiB GNSS cache, the garbage line types, a wrapped
//! BMI160 counter, frozen stamps, a spike, a 0-byte `.dat` from a power cut). `dashcard report
//! --json` and `dashcard track` read it back; distance, speeds, positions and impacts are
//! checked against values this test computes from the simulated truth with its own haversine.

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/firmware_logs/mod.rs"]
mod firmware_logs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use firmware_logs::{DRIVE_START_US, Drive, SEGMENT_US, SPEED_KMH, TruthFix, simulate, utc};
use serde_json::Value;

/// The camera's zone in the logs' headers: UTC−3.
const ZONE_S: i64 = -10800;

fn dashcard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashcard"))
        .args(args)
        .output()
        .expect("run dashcard")
}

fn stem(segment: usize) -> String {
    format!(
        "{}A",
        utc(DRIVE_START_US + segment as i64 * SEGMENT_US).format("%Y%m%d_%H%M%S")
    )
}

fn host(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The card: four segments with their logs, and an SOS recording named (as the camera names
/// it) with the second segment's stamp, long enough to hold that segment's impact.
fn build(dir: &Path, drive: &Drive) -> PathBuf {
    let image = dir.join("card.img");
    common::mkfs_fat(&image, &common::Mkfs::new(32, 80 * 1024).label("NO NAME"));
    for d in ["video", "video/.thumb", "video/.imu", "video/.gnss", "sos"] {
        common::mmd(&image, 0, d);
    }
    let clip = common::ffmpeg_fragmented(dir, "clip.mp4", 4.0, "");
    let sos = common::ffmpeg_fragmented(dir, "sos.mp4", 34.0, "");
    for (i, (gnss, imu)) in drive.gnss.iter().zip(&drive.imu).enumerate() {
        let stem = stem(i);
        common::mcopy(&image, 0, &clip, &format!("video/{stem}.mp4"));
        let g = host(dir, &format!("{stem}.txt"), gnss);
        common::mcopy(&image, 0, &g, &format!("video/.gnss/{stem}.txt"));
        let m = host(dir, &format!("{stem}.dat"), imu);
        common::mcopy(&image, 0, &m, &format!("video/.imu/{stem}.dat"));
    }
    common::mcopy(&image, 0, &sos, &format!("sos/{}_SOS.mp4", stem(1)));
    image
}

/// Great-circle distance in km on the IUGG mean sphere, written here rather than taken from
/// the reader.
fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0088 * h.sqrt().asin()
}

/// The truth fix nearest in time to `at_us`.
fn nearest_fix(fixes: &[TruthFix], at_us: i64) -> &TruthFix {
    fixes
        .iter()
        .min_by_key(|f| (f.at_s * 1_000_000 - at_us).abs())
        .unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

#[test]
fn a_card_made_with_mkfs_fat_and_mtools_gives_the_true_track_and_impacts() {
    let dir = common::tempdir();
    let drive = simulate();
    let image = build(dir.path(), &drive);
    let image = image.to_str().unwrap();
    let out = dashcard(&["report", "--json", image]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["time_zone"]["utc_offset_s"], ZONE_S);

    // One drive of the four segments.
    let drives = r["drives"].as_array().unwrap();
    assert_eq!(drives.len(), 1, "{drives:#?}");
    let d = &drives[0];
    assert_eq!(d["segments"], 4);

    // Distance: the truth's own fixes (the spike is not among them), step by step.
    let truth = &drive.fixes;
    let expected_km: f64 = truth
        .windows(2)
        .map(|w| haversine_km((w[0].lat, w[0].lon), (w[1].lat, w[1].lon)))
        .sum();
    let by_speed = SPEED_KMH * (truth.last().unwrap().at_s - truth[0].at_s) as f64 / 3600.0;
    assert!(
        (expected_km - by_speed).abs() < by_speed * 0.01,
        "{expected_km} vs {by_speed}"
    );
    let km = f(&d["distance_km"]);
    assert!(
        (km - expected_km).abs() < expected_km * 0.01,
        "{km} km vs {expected_km} km"
    );
    assert!((f(&d["max_speed_kmh"]) - SPEED_KMH).abs() < 0.1);

    // Impacts: the right second, g within 0.05, speed and position of the nearest fix, local
    // time in the camera's zone.
    let impacts = d["impacts"].as_array().unwrap();
    assert_eq!(impacts.len(), drive.impacts.len(), "{impacts:#?}");
    for (got, &(at_us, g)) in impacts.iter().zip(&drive.impacts) {
        let at_utc = chrono::DateTime::parse_from_rfc3339(got["at_utc"].as_str().unwrap())
            .unwrap()
            .to_utc();
        assert_eq!(at_utc.timestamp(), at_us / 1_000_000, "{got}");
        let local = (utc(at_us) + chrono::Duration::seconds(ZONE_S))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string();
        assert!(
            got["at"].as_str().unwrap().starts_with(&local),
            "{got} vs {local}"
        );
        assert!((f(&got["g"]) - g).abs() < 0.05, "{got}");
        assert!((f(&got["speed_kmh"]) - SPEED_KMH).abs() < 0.1, "{got}");
        let fix = nearest_fix(truth, at_us);
        assert!((f(&got["position"][0]) - fix.lat).abs() < 1e-6, "{got}");
        assert!((f(&got["position"][1]) - fix.lon).abs() < 1e-6, "{got}");
    }

    // The SOS recording holds the first impact (30 s into its segment) and links to it.
    let events = r["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["impact"],
        serde_json::json!({"drive": 0, "impact": 0})
    );

    // Per clip: the first segment's first fix, every clip's top speed, the peak in the second.
    let clip = |i: usize| {
        let path = format!("video/{}.mp4", stem(i));
        r["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} missing"))
            .clone()
    };
    let first = clip(0);
    let t = &first["telemetry"];
    assert!((f(&t["first_fix"][0]) - truth[0].lat).abs() < 1e-6, "{t}");
    assert!((f(&t["first_fix"][1]) - truth[0].lon).abs() < 1e-6, "{t}");
    assert_eq!(t["imu_samples"], drive.imu_times[0].len());
    let second = clip(1);
    assert!((f(&second["telemetry"]["peak_g"]) - drive.impacts[0].1).abs() < 0.05);
    assert_eq!(
        second["telemetry"]["peak_g_at_utc"].as_str().unwrap()[..19],
        utc(drive.impacts[0].0)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    );
    // The power cut's segment: its motion log is empty, its GNSS log whole cache flushes.
    let last = clip(3);
    assert_eq!(last["telemetry"]["imu_samples"], 0);
    assert!(f(&last["telemetry"]["max_speed_kmh"]) > 0.0);

    // `track` as CSV: one row per true fix, each where the truth puts it.
    let start = d["start"].as_str().unwrap();
    let out = dashcard(&["track", image, "--drive", start, "--format", "csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), truth.len());
    for (row, fix) in rows.iter().zip(truth) {
        let at = chrono::DateTime::parse_from_rfc3339(row[0]).unwrap();
        assert_eq!(at.timestamp(), fix.at_s);
        assert!(
            (row[1].parse::<f64>().unwrap() - fix.lat).abs() < 1e-6,
            "{row:?}"
        );
        assert!(
            (row[2].parse::<f64>().unwrap() - fix.lon).abs() < 1e-6,
            "{row:?}"
        );
        assert!(
            (row[3].parse::<f64>().unwrap() - SPEED_KMH).abs() < 0.1,
            "{row:?}"
        );
    }
}
