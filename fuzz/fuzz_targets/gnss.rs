//! Fuzzes the GNSS sidecar parser and everything downstream of it: any bytes must give a log
//! (never a panic, a hang or a huge allocation), and the drive, summary and exports built from
//! it must be well-formed.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;

use dashcard::telemetry::{DriveOptions, derive_drive, export, parse_gnss, summarize_clip};

fuzz_target!(|data: &[u8]| {
    let fallback = DateTime::from_timestamp(1_728_719_820, 0);
    let log = parse_gnss(data, fallback);
    assert!(log.fixes.len() <= dashcard::telemetry::gnss::MAX_FIXES);
    assert!(log.fixes.len() <= log.points);
    for fix in &log.fixes {
        assert!(fix.position.lat.abs() <= 90.0 && fix.position.lon.abs() <= 180.0);
    }
    let _ = summarize_clip(Some(&log), None);
    let drive = derive_drive([(Some(&log), None)], DriveOptions::default());
    assert!(drive.distance_km.is_finite() && drive.distance_km >= 0.0);
    let _ = export::to_gpx(&drive, "fuzz");
    let _ = export::to_csv(&drive);
    let geojson = export::to_geojson(&drive, "fuzz");
    assert!(geojson.starts_with('{'));
});
