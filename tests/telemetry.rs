//! Telemetry sidecars written the way the camera writes them, then read back from disk.
//!
//! The writers (`firmware_logs/`) reproduce the firmware's printf formats and arithmetic line for line
//! (aoni-dvr/nexar_82001: `cardv/record/gnss_record.c`, `imu_record.c`,
//! `peripheral_task/imu_task.c`), bugs included: the seconds-plus-milliseconds `t`, the `%d`
//! garbage of line types 2 and 7, the copy-paste of types 5 and 6, the address printed as
//! `num_sv`, `int(alt × 10)`, the 20 KiB GNSS write cache, the unsigned 32-bit IMU stamps over a
//! wrapping BMI160 counter, the frozen stamps of chips without one, and the empty `.dat` a power
//! cut leaves. A simulated car drives due north at exactly 72 km/h across UTC midnight through
//! four one-minute-ish segments; what the parsers recover is checked against that truth.

mod common;
mod firmware_logs;

use std::path::Path;
use std::process::Command;

use chrono::DateTime;
use dashcard::telemetry::export::{to_csv, to_geojson, to_gpx};
use dashcard::telemetry::imu::MAX_SAMPLES;
use dashcard::telemetry::{
    DriveOptions, GnssLog, ImuLog, derive_drive, parse_gnss, parse_imu, summarize_clip,
};
use firmware_logs::*;

/// Writes the drive's sidecars as the camera lays them out and reads them back.
fn write_and_read(drive: &Drive, dir: &Path) -> Vec<(GnssLog, ImuLog)> {
    let (gnss_dir, imu_dir) = (dir.join("video/.gnss"), dir.join("video/.imu"));
    std::fs::create_dir_all(&gnss_dir).unwrap();
    std::fs::create_dir_all(&imu_dir).unwrap();
    let mut logs = Vec::new();
    for (i, (gnss, imu)) in drive.gnss.iter().zip(&drive.imu).enumerate() {
        let start = utc(DRIVE_START_US + i as i64 * SEGMENT_US);
        let stem = format!("{}A", start.format("%Y%m%d_%H%M%S"));
        std::fs::write(gnss_dir.join(format!("{stem}.txt")), gnss).unwrap();
        std::fs::write(imu_dir.join(format!("{stem}.dat")), imu).unwrap();
        let gnss = std::fs::read(gnss_dir.join(format!("{stem}.txt"))).unwrap();
        let imu = std::fs::read(imu_dir.join(format!("{stem}.dat"))).unwrap();
        logs.push((parse_gnss(&gnss, Some(start)), parse_imu(&imu, Some(start))));
    }
    logs
}

#[test]
fn a_drive_across_midnight_is_recovered() {
    let drive = simulate();
    let dir = common::tempdir();
    let logs = write_and_read(&drive, dir.path());

    // GNSS: every fix at its own second, in place, at 72 km/h; nothing unreadable.
    let all_fixes: Vec<_> = logs.iter().flat_map(|(g, _)| g.fixes.iter()).collect();
    assert_eq!(
        all_fixes.len(),
        drive.fixes.len() + 1,
        "the spike is parsed, and dropped later"
    );
    let mut checked = 0;
    for truth in &drive.fixes {
        let fix = all_fixes
            .iter()
            .find(|f| {
                f.at_utc.timestamp() == truth.at_s && (f.position.lat - truth.lat).abs() < 0.01
            })
            .unwrap_or_else(|| panic!("no fix at {}", truth.at_s));
        assert!(
            (fix.position.lat - truth.lat).abs() < 1e-6,
            "{} vs {}",
            fix.position.lat,
            truth.lat
        );
        assert!((fix.position.lon - truth.lon).abs() < 1e-6);
        assert!((fix.speed_kmh.unwrap() - SPEED_KMH).abs() < 0.1);
        assert_eq!(fix.course_deg, Some(0.45));
        assert_eq!(fix.altitude_m, Some(25.3), "int(25.37 × 10) truncates");
        checked += 1;
    }
    assert!(checked > 200, "{checked}");
    assert!(
        all_fixes
            .iter()
            .any(|f| f.at_utc.format("%F").to_string() == "2024-10-12")
    );
    assert!(
        all_fixes
            .iter()
            .any(|f| f.at_utc.format("%F").to_string() == "2024-10-13")
    );
    for (i, (g, _)) in logs.iter().enumerate() {
        assert_eq!(g.skipped_lines, 0, "segment {i}");
        assert_eq!(g.motion_lines, g.points * 5, "segment {i}");
        assert_eq!(
            g.t0_utc,
            Some(utc(DRIVE_START_US
                + i as i64 * SEGMENT_US
                + HEADER_DELAY_US))
        );
    }
    assert_eq!((logs[0].0.no_fix, logs[0].0.no_receiver), (4, 0));
    // The power cut kept the whole 20 KiB cache flushes only: fewer than the 150 seconds
    // recorded, and no line cut short (skipped_lines is 0 above).
    assert!(drive.gnss[3].len() <= 3 * GNSS_CACHE);
    assert!(
        !logs[3].0.fixes.is_empty() && logs[3].0.points < 140,
        "{}",
        logs[3].0.points
    );

    // IMU: the wrap in segment 1 is undone to the microsecond; frozen stamps advance at 50 Hz.
    let (imu0, imu1, imu2, imu3) = (&logs[0].1, &logs[1].1, &logs[2].1, &logs[3].1);
    assert_eq!(imu0.counter_wraps, 1);
    assert_eq!(imu0.estimated_times, 0);
    assert_eq!(imu0.samples.len(), drive.imu_times[0].len());
    for (sample, &truth) in imu0.samples.iter().zip(&drive.imu_times[0]) {
        assert_eq!(sample.at_utc, utc(truth));
    }
    assert!(imu0.samples.windows(2).all(|w| w[0].at_utc < w[1].at_utc));
    assert_eq!((imu1.counter_wraps, imu1.estimated_times), (0, 0));
    assert_eq!(imu2.estimated_times, imu2.samples.len() - 1);
    for (sample, &truth) in imu2.samples.iter().zip(&drive.imu_times[2]) {
        assert!((sample.at_utc - utc(truth)).num_milliseconds().abs() <= 13);
    }
    let header = imu0.header.as_ref().unwrap();
    assert_eq!(
        (
            header.model.as_deref(),
            header.software.as_deref(),
            header.serial.as_deref()
        ),
        (Some("NEXAR_N1"), Some("v1.1_rc1"), Some("N1SERIAL0042"))
    );
    assert_eq!(header.timezone_offset_s, Some(-10800));
    assert_eq!(
        imu2.header.as_ref().unwrap().imu_chip.as_deref(),
        Some("icm42631")
    );
    assert_eq!(*imu3, ImuLog::default(), "a 0-byte .dat is an empty log");
    assert!(
        logs.iter()
            .all(|(_, i)| i.skipped_lines == 0 && !i.start_from_fallback)
    );

    // Clip summary.
    let summary = summarize_clip(Some(&logs[1].0), Some(imu1));
    assert!((summary.peak_g.unwrap() - 3.2).abs() < 0.05);
    assert_eq!(summary.peak_g_at_utc, Some(utc(drive.impacts[0].0)));
    assert!((summary.max_speed_kmh.unwrap() - SPEED_KMH).abs() < 0.1);

    // The drive: distance against speed × time, one spike dropped, two impacts.
    let telemetry = derive_drive(
        logs.iter().map(|(g, i)| (Some(g), Some(i))),
        DriveOptions::default(),
    );
    assert_eq!(telemetry.dropped_jumps, 1);
    assert_eq!(telemetry.duplicate_fixes, 0);
    let hours = (telemetry.end_utc().unwrap() - telemetry.start_utc().unwrap()).num_seconds()
        as f64
        / 3600.0;
    let expected_km = SPEED_KMH * hours;
    assert!(
        (telemetry.distance_km - expected_km).abs() < expected_km * 0.01,
        "{} km vs {expected_km} km",
        telemetry.distance_km
    );
    assert!((telemetry.max_speed_kmh.unwrap() - SPEED_KMH).abs() < 0.1);
    assert_eq!(telemetry.impacts.len(), 2, "{:#?}", telemetry.impacts);
    for (impact, &(truth_us, g)) in telemetry.impacts.iter().zip(&drive.impacts) {
        assert_eq!(
            impact.at_utc.timestamp(),
            truth_us / 1_000_000,
            "the right second"
        );
        assert!((impact.peak_g - g).abs() < 0.05, "{} vs {g}", impact.peak_g);
        assert!((impact.speed_kmh.unwrap() - SPEED_KMH).abs() < 0.1);
        let position = impact.position.unwrap();
        assert!((position.lat - lat_at(truth_us - DRIVE_START_US)).abs() < 3.0 * 20.0 / 111_000.0);
        assert!(impact.is_within(utc(truth_us - 10_000_000), utc(truth_us + 10_000_000)));
    }
    assert_eq!(
        telemetry.impacts[0].samples_over, 4,
        "four jolts within 2 s are one impact"
    );
    let window = (
        utc(drive.impacts[1].0 - 5_000_000),
        utc(drive.impacts[1].0 + 5_000_000),
    );
    assert_eq!(telemetry.impacts_within(window.0, window.1).count(), 1);
    // A higher threshold leaves only the 3.2 g impact.
    let strict = derive_drive(
        logs.iter().map(|(g, i)| (Some(g), Some(i))),
        DriveOptions {
            impact_threshold_g: 2.0,
        },
    );
    assert_eq!(strict.impacts.len(), 1);

    // Exports, checked by independent parsers.
    check_gpx(
        &to_gpx(&telemetry, "Drive <12 Oct> & \"night\""),
        &telemetry,
        dir.path(),
    );
    check_geojson(&to_geojson(&telemetry, "Drive"), &telemetry, dir.path());
    let csv = to_csv(&telemetry);
    assert_eq!(csv.lines().count(), telemetry.track.len() + 1);
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row.len(), 6);
    assert_eq!(
        row[0],
        dashcard::telemetry::utc::format(telemetry.track[0].at_utc)
    );
    assert!((row[1].parse::<f64>().unwrap() - telemetry.track[0].position.lat).abs() < 1e-6);
    assert!((row[3].parse::<f64>().unwrap() - SPEED_KMH).abs() < 0.1);
}

/// Runs a Python script on `input` (a file path) and returns what it prints.
fn python(script: &str, input: &Path) -> String {
    common::run(Command::new("python3").arg("-c").arg(script).arg(input))
}

fn check_gpx(gpx: &str, telemetry: &dashcard::telemetry::DriveTelemetry, dir: &Path) {
    let path = dir.join("drive.gpx");
    std::fs::write(&path, gpx).unwrap();
    let script = r#"
import sys, xml.etree.ElementTree as ET
ns = {"g": "http://www.topografix.com/GPX/1/1", "x": "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"}
root = ET.parse(sys.argv[1]).getroot()
print(root.find("g:metadata/g:name", ns).text)
print(len(root.findall("g:wpt", ns)))
for p in root.findall("g:trk/g:trkseg/g:trkpt", ns):
    speed = p.find("g:extensions/x:TrackPointExtension/x:speed", ns).text
    print(p.get("lat"), p.get("lon"), p.find("g:time", ns).text, speed)
"#;
    let out = python(script, &path);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("Drive <12 Oct> & \"night\""));
    assert_eq!(lines.next(), Some("2"));
    let points: Vec<&str> = lines.collect();
    assert_eq!(points.len(), telemetry.track.len());
    for (line, fix) in points.iter().zip(&telemetry.track) {
        let f: Vec<&str> = line.split(' ').collect();
        assert!((f[0].parse::<f64>().unwrap() - fix.position.lat).abs() < 1e-6);
        assert!((f[1].parse::<f64>().unwrap() - fix.position.lon).abs() < 1e-6);
        assert_eq!(DateTime::parse_from_rfc3339(f[2]).unwrap(), fix.at_utc);
        assert!((f[3].parse::<f64>().unwrap() * 3.6 - SPEED_KMH).abs() < 0.1);
    }
}

fn check_geojson(geojson: &str, telemetry: &dashcard::telemetry::DriveTelemetry, dir: &Path) {
    let path = dir.join("drive.geojson");
    std::fs::write(&path, geojson).unwrap();
    let script = r#"
import sys, json
doc = json.load(open(sys.argv[1]))
assert doc["type"] == "FeatureCollection"
for feature in doc["features"]:
    geometry = feature["geometry"]
    coords = geometry["coordinates"] if geometry["type"] == "LineString" else [geometry["coordinates"]]
    for lon, lat in coords:
        print(feature["properties"]["kind"], lat, lon)
"#;
    let out = python(script, &path);
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split(' ').collect()).collect();
    let track: Vec<_> = rows.iter().filter(|r| r[0] == "track").collect();
    let impacts: Vec<_> = rows.iter().filter(|r| r[0] == "impact").collect();
    assert_eq!(track.len(), telemetry.track.len());
    for (row, fix) in track.iter().zip(&telemetry.track) {
        assert!((row[1].parse::<f64>().unwrap() - fix.position.lat).abs() < 1e-9);
        assert!((row[2].parse::<f64>().unwrap() - fix.position.lon).abs() < 1e-9);
    }
    assert_eq!(impacts.len(), telemetry.impacts.len());
}

#[test]
fn garbage_sidecars_cost_bounded_time_and_memory() {
    // 10 MB of noise (a damaged card) and 10 MB of valid-looking lines (a lying file).
    let mut noise = Vec::with_capacity(10_000_000);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while noise.len() < 10_000_000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        noise.extend_from_slice(&state.to_le_bytes());
    }
    let gnss = parse_gnss(&noise, None);
    let imu = parse_imu(&noise, None);
    assert!(gnss.fixes.is_empty() && imu.samples.is_empty());
    assert!(gnss.skipped_lines > 10_000 && imu.skipped_lines > 10_000);

    let line =
        "1728777510.000000|G:0.000000,0.000000,9.800000,-1,0.000000,0.000000,0.000000,0,30.00\n";
    let lying = line.repeat(10_000_000 / line.len());
    let imu = parse_imu(lying.as_bytes(), None);
    assert_eq!(imu.samples.len(), MAX_SAMPLES);
    assert_eq!(imu.dropped_samples, 10_000_000 / line.len() - MAX_SAMPLES);

    let fix = "10,1,2,07570000,4807038,01131000,1.0,1.0,ANNN,0,1.00,0,0.0\n";
    let lying = format!("t0=1728719820.000\n{}", fix.repeat(10_000_000 / fix.len()));
    let gnss = parse_gnss(lying.as_bytes(), None);
    assert_eq!(gnss.fixes.len(), dashcard::telemetry::gnss::MAX_FIXES);
    assert!(gnss.dropped_fixes > 0);
}

#[test]
fn damaged_lines_are_skipped_and_counted() {
    let drive = simulate();
    let mut gnss = drive.gnss[1].clone();
    let cut = gnss.len() / 2;
    let tail = gnss.split_off(cut);
    let newline = tail.iter().position(|&b| b == b'\n').unwrap() + 1;
    gnss.extend_from_slice(&tail[..newline]);
    gnss.extend_from_slice(b"\x00\xff\xfe garbage\n10,5,2,0757\n");
    gnss.extend_from_slice(&tail[newline..]);
    let clean = parse_gnss(&drive.gnss[1], None);
    let damaged = parse_gnss(&gnss, None);
    assert_eq!(damaged.skipped_lines, 2);
    assert_eq!(damaged.fixes, clean.fixes);

    let mut imu = drive.imu[1].clone();
    imu.extend_from_slice(b"1728777570.000000|G:1,2\n\xff\n1728777571.00");
    let clean = parse_imu(&drive.imu[1], None);
    let damaged = parse_imu(&imu, None);
    assert_eq!(damaged.skipped_lines, 3);
    assert_eq!(damaged.samples, clean.samples);
}
