//! Telemetry sidecars written the way the camera writes them, then read back from disk.
//!
//! The writers below reproduce the firmware's printf formats and arithmetic line for line
//! (aoni-dvr/nexar_82001: `cardv/record/gnss_record.c`, `imu_record.c`,
//! `peripheral_task/imu_task.c`), bugs included: the seconds-plus-milliseconds `t`, the `%d`
//! garbage of line types 2 and 7, the copy-paste of types 5 and 6, the address printed as
//! `num_sv`, `int(alt × 10)`, the 20 KiB GNSS write cache, the unsigned 32-bit IMU stamps over a
//! wrapping BMI160 counter, the frozen stamps of chips without one, and the empty `.dat` a power
//! cut leaves. A simulated car drives due north at exactly 72 km/h across UTC midnight through
//! four one-minute-ish segments; what the parsers recover is checked against that truth.

mod common;

use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Utc};
use dashcard::telemetry::export::{to_csv, to_geojson, to_gpx};
use dashcard::telemetry::geo::EARTH_RADIUS_KM;
use dashcard::telemetry::imu::MAX_SAMPLES;
use dashcard::telemetry::{
    DriveOptions, GnssLog, ImuLog, derive_drive, parse_gnss, parse_imu, summarize_clip,
};

/// 2024-10-12T23:58:30Z, the drive's first segment boundary.
const DRIVE_START_US: i64 = 1_728_777_510_000_000;
/// Segment length.
const SEGMENT_US: i64 = 60_000_000;
/// The headers are written this long after each segment boundary.
const HEADER_DELAY_US: i64 = 250_000;
/// The car's speed: 72 km/h = 20 m/s = 38.87689 knots.
const SPEED_KMH: f64 = 72.0;
/// Where the car is at the drive's start: south and west, so both signs are exercised.
const START_LAT: f64 = -34.6;
const START_LON: f64 = -58.38;
/// BMI160 counter period as the firmware scales it (2^24 × 39 µs).
const COUNTER_PERIOD: u64 = (1 << 24) * 39;
/// The GNSS logger's write cache [gnss_record.c:12].
const GNSS_CACHE: usize = 20 * 1024;
/// One second at 72 km/h in degrees of latitude (on the sphere the parser also uses; the test
/// checks distance against speed × time, not against this).
fn lat_at(us_since_start: i64) -> f64 {
    let km = SPEED_KMH * us_since_start as f64 / 3.6e9;
    START_LAT + (km / EARTH_RADIUS_KM).to_degrees()
}

fn utc(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap()
}

/// NMEA `ddmm.mmmm` text for `value` with `decimals` decimals of a minute, and the value that
/// text stands for.
fn nmea(value: f64, degree_digits: usize, decimals: usize) -> (String, f64) {
    let magnitude = value.abs();
    let degrees = magnitude.trunc();
    let minutes = (magnitude - degrees) * 60.0;
    let text = format!(
        "{:0dw$}{:0mw$.decimals$}",
        degrees as u32,
        minutes,
        dw = degree_digits,
        mw = 3 + decimals
    );
    let rounded: f64 = text[degree_digits..].parse().unwrap();
    let represented = degrees + rounded / 60.0;
    (
        text,
        if value < 0.0 {
            -represented
        } else {
            represented
        },
    )
}

/// `gnss_record.c:261-285`: the NMEA text with its dot removed, `-` for south and west.
fn dotless(text: &str, negative: bool) -> String {
    let digits: String = text.chars().filter(|c| *c != '.').collect();
    if negative {
        format!("-{digits}")
    } else {
        digits
    }
}

/// What the parser should give for a fix.
#[derive(Clone, Debug)]
struct TruthFix {
    at_s: i64,
    lat: f64,
    lon: f64,
}

/// One segment's GNSS log as the firmware writes it; returns the fixes it holds.
struct GnssWriter {
    decimals: usize,
    /// The file's bytes as flushed so far.
    file: Vec<u8>,
    /// The RAM cache [gnss_record.c:13-17].
    cache: Vec<u8>,
    t0_us: i64,
    fixes: Vec<TruthFix>,
}

impl GnssWriter {
    fn open(t0_us: i64, decimals: usize) -> Self {
        let mut w = Self {
            decimals,
            file: Vec::new(),
            cache: Vec::new(),
            t0_us,
            fixes: Vec::new(),
        };
        // "t0=%d.%.3d\nts=0.001\n" with usec / 1000.
        let header = format!(
            "t0={}.{:03}\nts=0.001\n",
            t0_us / 1_000_000,
            t0_us % 1_000_000 / 1000
        );
        w.cache.extend_from_slice(header.as_bytes());
        w
    }

    /// One pass of the logger loop at Linux time `now_us` [gnss_record.c:204-305]. `fix`: the
    /// receiver has a fix; `spike`: it reports a position 0.02° off this second.
    fn log(&mut self, now_us: i64, fix: bool, spike: bool) {
        let (sec, usec) = (now_us / 1_000_000, now_us % 1_000_000);
        let (t0_sec, t0_usec) = (self.t0_us / 1_000_000, self.t0_us % 1_000_000);
        // (linux_time.sec + linux_time.usec / 1000) - (t0_time.sec + t0_time.usec / 1000)
        let t = (sec + usec / 1000) - (t0_sec + t0_usec / 1000);
        let (ax, ay, az, gx) = (0.183_105, -0.245_361, 9.812_012, 0.457_764);
        let mut group = String::new();
        group += &format!("1,{t},{ax:.6},{ay:.6},{az:.6}\n");
        // Doubles passed to %d on ARM: the padding word, then the halves of the first double.
        let bits = (ax * 1000.0_f64).to_bits();
        group += &format!(
            "2,{t},{},{},{}\n",
            0x0000_0001,
            bits as u32 as i32,
            (bits >> 32) as u32 as i32
        );
        group += &format!("5,{t},{gx:.6},{ay:.6},{az:.6}\n");
        group += &format!("6,{t},{gx:.6},{ay:.6},{az:.6}\n");
        let gbits = (gx * 1000.0_f64).to_bits();
        group += &format!(
            "7,{t},{},{},{}\n",
            0x2000_1f40,
            gbits as u32 as i32,
            (gbits >> 32) as u32 as i32
        );
        let num_sv = -1_073_741_616_i32; // &gnss_data.m_nSatNumInView as %d
        if fix {
            // The receiver's fix for the second that just began.
            let at_s = sec;
            let since_start = at_s * 1_000_000 - DRIVE_START_US;
            let mut lat = lat_at(since_start);
            if spike {
                lat += 0.02;
            }
            let (lat_text, lat_value) = nmea(lat, 2, self.decimals);
            let (lon_text, lon_value) = nmea(START_LON, 3, self.decimals);
            let time = chrono::DateTime::from_timestamp(at_s, 0).unwrap();
            let altitude = 25.37_f64;
            group += &format!(
                "10,{t},2,{}00,{},{},{},{},ANNN,{num_sv},{:.2},{},{:.1}\n",
                time.format("%H%M%S"),
                dotless(&lat_text, lat < 0.0),
                dotless(&lon_text, START_LON < 0.0),
                "38.877",
                "0.45",
                0.9,
                (altitude * 10.0) as i32,
                16.0
            );
            if !spike {
                self.fixes.push(TruthFix {
                    at_s,
                    lat: lat_value,
                    lon: lon_value,
                });
            }
        } else {
            group += &format!("10,{t},1,00000000,,,,,ANNN,{num_sv},0.00,0,0.0\n");
        }
        self.write(group.as_bytes());
    }

    /// GNSS_RECORD_FILE_WRITE [gnss_record.c:142-155]: whole cache flushes only.
    fn write(&mut self, bytes: &[u8]) {
        if self.cache.len() + bytes.len() > GNSS_CACHE {
            self.file.append(&mut self.cache);
        }
        self.cache.extend_from_slice(bytes);
    }

    /// A clean close writes the cache; a power cut loses it.
    fn close(mut self, power_cut: bool) -> (Vec<u8>, Vec<TruthFix>) {
        if !power_cut {
            self.file.append(&mut self.cache);
        }
        let kept = String::from_utf8(self.file.clone()).unwrap();
        let kept_seconds: Vec<i64> = kept
            .lines()
            .filter(|l| l.starts_with("10,") && l.split(',').nth(2) == Some("2"))
            .map(|l| {
                let hhmmss = &l.split(',').nth(3).unwrap()[..6];
                hhmmss.parse::<i64>().unwrap()
            })
            .collect();
        let fixes = self
            .fixes
            .into_iter()
            .filter(|f| {
                let time = chrono::DateTime::from_timestamp(f.at_s, 0).unwrap();
                kept_seconds.contains(&time.format("%H%M%S").to_string().parse().unwrap())
            })
            .collect();
        (self.file, fixes)
    }
}

/// Which kind of motion chip stamps the `.imu` samples.
#[derive(Clone, Copy)]
enum Chip {
    /// 24-bit × 39 µs counter starting at this value.
    Bmi160 { counter0: u64 },
    /// No sensor time: every stamp is the header's.
    Icm42631,
}

/// One `.imu` file as the firmware writes it, samples at `times_us` with magnitudes `g` (in the
/// firmware's g of 9.8 m/s²).
fn imu_file(header_us: i64, chip: Chip, samples: &[(i64, f64)]) -> Vec<u8> {
    let (sec, usec) = (header_us / 1_000_000, header_us % 1_000_000);
    let chip_name = match chip {
        Chip::Bmi160 { .. } => "bmi160",
        Chip::Icm42631 => "icm42631",
    };
    // imu_record.c:43-66.
    let accel_line = format!(
        "{}|{:.6},{:.6},{:.6},{:.6},{:.6},{:.6}|{},{},{},{}|{}",
        1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 12, 8, 0, 2, chip_name
    );
    let gyro_line = format!(
        "{}|{:.6},{:.6},{:.6},{:.6},{:.6}|{},{}",
        1, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 8
    );
    let mut out = format!(
        "device={}-{}; sn={}; vsn={}; cpuid={}; wifimac={:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}; trip={}; \
         timezone={}; time={},{}; gsensor={}; gyro={}\n",
        "NEXAR_N1",
        "v1.1_rc1",
        "N1SERIAL0042",
        "",
        "",
        0x0c,
        0x8c,
        0xdc,
        0x01,
        0x02,
        0x0a,
        "",
        -10800,
        sec,
        usec,
        accel_line,
        gyro_line
    );
    for &(at_us, g) in samples {
        let elapsed = (at_us - header_us) as u64;
        // imu_record.c:199-203, all in unsigned 32-bit.
        let (stamp_sec, stamp_usec, sensor_ms) = match chip {
            Chip::Bmi160 { counter0 } => {
                let counter = ((counter0 + elapsed) % COUNTER_PERIOD) as u32;
                let passed = counter.wrapping_sub(counter0 as u32);
                let sum = (usec as u32).wrapping_add(passed);
                (
                    sec as u32 + sum / 1_000_000,
                    sum % 1_000_000,
                    counter / 1000,
                )
            }
            Chip::Icm42631 => (sec as u32, usec as u32, 0),
        };
        let (ay, az) = (0.35_f64, 9.78_f64);
        let ax = ((g * 9.8).powi(2) - ay * ay - az * az).max(0.0).sqrt();
        // imu_task.c:176-182.
        out += &format!(
            "{}.{:06}|G:{:.6},{:.6},{:.6},{},{:.6},{:.6},{:.6},{},{:.2}\n",
            stamp_sec as i32,
            stamp_usec,
            ax,
            ay,
            az,
            -1,
            0.061035,
            -0.122070,
            0.030518,
            sensor_ms,
            34.5
        );
    }
    out.into_bytes()
}

/// The simulated drive: four segments, their files, and the truth.
struct Drive {
    gnss: Vec<Vec<u8>>,
    imu: Vec<Vec<u8>>,
    fixes: Vec<TruthFix>,
    /// True time of every IMU sample per segment.
    imu_times: Vec<Vec<i64>>,
    impacts: Vec<(i64, f64)>,
}

fn simulate() -> Drive {
    let segments = 4;
    let headers: Vec<i64> = (0..segments)
        .map(|i| DRIVE_START_US + i * SEGMENT_US + HEADER_DELAY_US)
        .collect();
    // The last segment ran 150 s before the power was cut.
    let ends: Vec<i64> = (0..segments)
        .map(|i| {
            if i + 1 < segments {
                headers[i as usize + 1]
            } else {
                headers[i as usize] + 150_000_000
            }
        })
        .collect();
    let mut gnss = Vec::new();
    let mut fixes = Vec::new();
    // The logger loop runs every ~1.004 s of Linux time, through all segments.
    let mut now = DRIVE_START_US + 1_000_000 + 137_000;
    for (i, (&t0, &end)) in headers.iter().zip(&ends).enumerate() {
        let decimals = if i < 2 { 4 } else { 5 };
        let mut writer = GnssWriter::open(t0, decimals);
        while now < end {
            let warming_up = now < DRIVE_START_US + 5_000_000;
            let spike = i == 1 && (now - t0) / 1_000_000 == 20;
            writer.log(now, !warming_up, spike);
            now += 1_004_000;
        }
        let (bytes, kept) = writer.close(i + 1 == segments as usize);
        gnss.push(bytes);
        fixes.extend(kept);
    }
    // IMU: 50 Hz from 13 ms after each header. Segment 1 (index 0) is a BMI160 whose counter
    // wraps 30 s in; segment 2 a BMI160 with the impact; segment 3 an ICM-42631 (frozen stamps)
    // with a second impact; segment 4 lost its .dat to the power cut.
    let impact_a = headers[1] + 13_000 + 1500 * 20_000;
    let impact_b = headers[2] + 13_000 + 2000 * 20_000;
    let mut imu = Vec::new();
    let mut imu_times = Vec::new();
    for i in 0..3 {
        let header = headers[i];
        let times: Vec<i64> = (0..)
            .map(|k| header + 13_000 + k * 20_000)
            .take_while(|t| *t < ends[i])
            .collect();
        let samples: Vec<(i64, f64)> = times
            .iter()
            .map(|&t| {
                let g = match t {
                    t if t == impact_a => 3.2,
                    t if t == impact_a - 20_000 => 2.8,
                    t if t == impact_a + 20_000 => 2.9,
                    t if t == impact_a + 1_000_000 => 2.7,
                    t if t == impact_b => 2.6,
                    _ => 1.0,
                };
                (t, g)
            })
            .collect();
        let chip = match i {
            0 => Chip::Bmi160 {
                counter0: COUNTER_PERIOD - 30_000_000,
            },
            1 => Chip::Bmi160 {
                counter0: 123_456_789,
            },
            _ => Chip::Icm42631,
        };
        imu.push(imu_file(header, chip, &samples));
        imu_times.push(times);
    }
    imu.push(Vec::new());
    imu_times.push(Vec::new());
    Drive {
        gnss,
        imu,
        fixes,
        imu_times,
        impacts: vec![(impact_a, 3.2), (impact_b, 2.6)],
    }
}

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
