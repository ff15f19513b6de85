//! Telemetry end to end: a newer camera's card simulated with its sidecar logs (the car drives
//! a known circle at a known speed and is hit 3 s into each SOS recording), read by `report
//! --json` and `track`; the numbers are checked against the simulated path, not the reader's.

use std::path::Path;
use std::process::{Command, Output};

use dashcard_sim::sidecars::{IMPACT_AFTER_EVENT_START_S, IMPACT_G, SPEED_KNOTS, position_at};
use serde_json::Value;

fn dashcard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashcard"))
        .args(args)
        .output()
        .expect("run dashcard")
}

fn simulated(dir: &Path) -> String {
    let image = dir.join("n1.img");
    let image = image.to_str().unwrap().to_string();
    let out = dashcard(&[
        "simulate", "--family", "n1", "--size", "8G", "--days", "2", "--seed", "1", &image,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    image
}

fn utc(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn the_report_and_track_match_the_simulated_drive() {
    let dir = tempfile::tempdir().unwrap();
    let image = simulated(dir.path());
    let out = dashcard(&["report", "--json", &image]);
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kmh = SPEED_KNOTS * 1.852;

    // Every live road clip with sidecars: its fixes where the simulated car was.
    let clips: Vec<&Value> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["telemetry"].is_null())
        .collect();
    assert!(clips.len() > 50, "{}", clips.len());
    for c in &clips {
        let t = &c["telemetry"];
        assert_eq!(t["gnss_points"], t["gnss_fixes"]);
        assert!((t["max_speed_kmh"].as_f64().unwrap() - kmh).abs() < 0.1);
        let start = utc(c["start_utc"].as_str().unwrap());
        let second = chrono::DateTime::from_timestamp(start.timestamp(), 0).unwrap();
        let (lat, lon, _) = position_at(second);
        let fix = t["first_fix"].as_array().unwrap();
        assert!((fix[0].as_f64().unwrap() - lat).abs() < 1e-6, "{c}");
        assert!((fix[1].as_f64().unwrap() - lon).abs() < 1e-6, "{c}");
    }

    // Each drive: its distance is speed × time between its first and last fix (within 1 %).
    let drives = r["drives"].as_array().unwrap();
    let mut with_distance = 0;
    for d in drives {
        let Some(km) = d["distance_km"].as_f64() else {
            continue;
        };
        with_distance += 1;
        let seconds = d["duration_s"].as_f64().unwrap();
        let expected = kmh * seconds / 3600.0;
        // Fixes are whole seconds inside the drive: up to two seconds short.
        assert!(
            km <= expected * 1.01 && km >= (kmh * (seconds - 2.0) / 3600.0) * 0.99,
            "{km} km against {expected} km over {seconds} s"
        );
        assert!((d["max_speed_kmh"].as_f64().unwrap() - kmh).abs() < 0.1);
    }
    assert!(with_distance >= 1);

    // The SOS event during a drive links its impact, 3 s after the event starts, at 3.2 g.
    let linked: Vec<&Value> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["impact"].is_null())
        .collect();
    assert!(!linked.is_empty());
    for e in linked {
        let d = e["impact"]["drive"].as_u64().unwrap() as usize;
        let i = e["impact"]["impact"].as_u64().unwrap() as usize;
        let impact = &drives[d]["impacts"][i];
        let expected = utc(e["start_utc"].as_str().unwrap())
            + chrono::Duration::seconds(IMPACT_AFTER_EVENT_START_S);
        let at = utc(impact["at_utc"].as_str().unwrap());
        assert!(
            (at - expected).num_milliseconds().abs() < 20,
            "{at} vs {expected}"
        );
        assert!((impact["g"].as_f64().unwrap() - IMPACT_G).abs() < 0.05);
        assert!((impact["speed_kmh"].as_f64().unwrap() - kmh).abs() < 0.1);
        let (lat, lon, _) =
            position_at(chrono::DateTime::from_timestamp(at.timestamp(), 0).unwrap());
        let p = impact["position"].as_array().unwrap();
        assert!((p[0].as_f64().unwrap() - lat).abs() < 1e-5);
        assert!((p[1].as_f64().unwrap() - lon).abs() < 1e-5);
        // Local time: the card's zone applied.
        let offset = r["time_zone"]["utc_offset_s"].as_i64().unwrap();
        let local = (at + chrono::Duration::seconds(offset)).naive_utc();
        assert!(
            impact["at"]
                .as_str()
                .unwrap()
                .starts_with(&local.format("%Y-%m-%dT%H:%M:%S").to_string())
        );

        // The drive's track: GPX parses as XML with one point per fix; GeoJSON with Python.
        let start = drives[d]["start"].as_str().unwrap();
        let gpx = dashcard(&["track", &image, "--drive", start, "--format", "gpx"]);
        assert!(
            gpx.status.success(),
            "{}",
            String::from_utf8_lossy(&gpx.stderr)
        );
        let gpx_path = Path::new(&image).with_extension("gpx");
        std::fs::write(&gpx_path, &gpx.stdout).unwrap();
        let count = Command::new("python3")
            .args([
                "-c",
                "import sys, xml.etree.ElementTree as E; t = E.parse(sys.argv[1]); \
                 ns = {'g': 'http://www.topografix.com/GPX/1/1'}; \
                 print(len(t.findall('.//g:trkpt', ns)), len(t.findall('.//g:trkpt/g:time', ns)))",
                gpx_path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(
            count.status.success(),
            "{}",
            String::from_utf8_lossy(&count.stderr)
        );
        let counts = String::from_utf8_lossy(&count.stdout);
        let mut n = counts.split_whitespace().map(|x| x.parse::<f64>().unwrap());
        let (points, times) = (n.next().unwrap(), n.next().unwrap());
        assert_eq!(points, times);
        let seconds = drives[d]["duration_s"].as_f64().unwrap();
        assert!(
            (points - seconds).abs() <= 2.0,
            "{points} points over {seconds} s"
        );
        let geojson = dashcard(&["track", &image, "--drive", start, "--format", "geojson"]);
        let gj_path = Path::new(&image).with_extension("geojson");
        std::fs::write(&gj_path, &geojson.stdout).unwrap();
        let parsed = Command::new("python3")
            .args([
                "-c",
                "import json, sys; d = json.load(open(sys.argv[1])); print(d['type'])",
                gj_path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&parsed.stdout).trim(),
            "FeatureCollection"
        );
        let csv = dashcard(&["track", &image, "--drive", start, "--format", "csv"]);
        assert_eq!(
            String::from_utf8_lossy(&csv.stdout).lines().count() as f64,
            points + 1.0
        );
    }
}

#[test]
fn track_errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let image = simulated(dir.path());
    let out = dashcard(&["track", &image, "--drive", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a start time"));
    let out = dashcard(&["track", &image, "--drive", "2001-01-01T00:00:00"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no drive starts at") && err.contains("2024-10-02T"),
        "{err}"
    );
    let out = dashcard(&[
        "track",
        "/nonexistent.img",
        "--drive",
        "2001-01-01T00:00:00",
    ]);
    assert_eq!(out.status.code(), Some(2));
}
