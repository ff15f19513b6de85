//! Fuzzes the IMU sidecar parser and the impact search: any bytes must give a log (never a
//! panic, a hang or a huge allocation) whose samples run forward in time.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;

use dashcard::telemetry::{DriveOptions, derive_drive, parse_imu, summarize_clip};

fuzz_target!(|data: &[u8]| {
    let fallback = DateTime::from_timestamp(1_728_719_820, 0);
    let log = parse_imu(data, fallback);
    assert!(log.samples.len() <= dashcard::telemetry::imu::MAX_SAMPLES);
    assert!(log.samples.windows(2).all(|w| w[0].at_utc < w[1].at_utc));
    let _ = summarize_clip(None, Some(&log));
    let drive = derive_drive([(None, Some(&log))], DriveOptions::default());
    assert!(
        drive
            .impacts
            .windows(2)
            .all(|w| w[0].to_utc < w[1].from_utc)
    );
});
