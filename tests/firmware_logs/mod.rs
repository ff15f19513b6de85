//! The camera's GNSS and motion loggers, reproduced line for line for tests (shared by
//! `tests/telemetry.rs` and `cli/tests/track_real_card.rs`): the printf formats and arithmetic
//! of aoni-dvr/nexar_82001 `cardv/record/gnss_record.c`, `imu_record.c` and
//! `peripheral_task/imu_task.c`, bugs included (see `tests/telemetry.rs`), and a simulated
//! drive with its truth: four segments across UTC midnight due north at 72 km/h, one GNSS
//! spike, two impacts, a wrapped counter, frozen stamps and a 0-byte `.dat`.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use dashcard::telemetry::geo::EARTH_RADIUS_KM;

/// 2024-10-12T23:58:30Z, the drive's first segment boundary.
pub const DRIVE_START_US: i64 = 1_728_777_510_000_000;
/// Segment length.
pub const SEGMENT_US: i64 = 60_000_000;
/// The headers are written this long after each segment boundary.
pub const HEADER_DELAY_US: i64 = 250_000;
/// The car's speed: 72 km/h = 20 m/s = 38.87689 knots.
pub const SPEED_KMH: f64 = 72.0;
/// Where the car is at the drive's start: south and west, so both signs are exercised.
pub const START_LAT: f64 = -34.6;
pub const START_LON: f64 = -58.38;
/// BMI160 counter period as the firmware scales it (2^24 × 39 µs).
pub const COUNTER_PERIOD: u64 = (1 << 24) * 39;
/// The GNSS logger's write cache [gnss_record.c:12].
pub const GNSS_CACHE: usize = 20 * 1024;
/// One second at 72 km/h in degrees of latitude (on the sphere the parser also uses; the test
/// checks distance against speed × time, not against this).
pub fn lat_at(us_since_start: i64) -> f64 {
    let km = SPEED_KMH * us_since_start as f64 / 3.6e9;
    START_LAT + (km / EARTH_RADIUS_KM).to_degrees()
}

pub fn utc(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap()
}

/// NMEA `ddmm.mmmm` text for `value` with `decimals` decimals of a minute, and the value that
/// text stands for.
pub fn nmea(value: f64, degree_digits: usize, decimals: usize) -> (String, f64) {
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
pub fn dotless(text: &str, negative: bool) -> String {
    let digits: String = text.chars().filter(|c| *c != '.').collect();
    if negative {
        format!("-{digits}")
    } else {
        digits
    }
}

/// What the parser should give for a fix.
#[derive(Clone, Debug)]
pub struct TruthFix {
    pub at_s: i64,
    pub lat: f64,
    pub lon: f64,
}

/// One segment's GNSS log as the firmware writes it; returns the fixes it holds.
pub struct GnssWriter {
    decimals: usize,
    /// The file's bytes as flushed so far.
    file: Vec<u8>,
    /// The RAM cache [gnss_record.c:13-17].
    cache: Vec<u8>,
    t0_us: i64,
    pub fixes: Vec<TruthFix>,
}

impl GnssWriter {
    pub fn open(t0_us: i64, decimals: usize) -> Self {
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
    pub fn log(&mut self, now_us: i64, fix: bool, spike: bool) {
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
    pub fn close(mut self, power_cut: bool) -> (Vec<u8>, Vec<TruthFix>) {
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
pub enum Chip {
    /// 24-bit × 39 µs counter starting at this value.
    Bmi160 { counter0: u64 },
    /// No sensor time: every stamp is the header's.
    Icm42631,
}

/// One `.imu` file as the firmware writes it, samples at `times_us` with magnitudes `g` (in the
/// firmware's g of 9.8 m/s²).
pub fn imu_file(header_us: i64, chip: Chip, samples: &[(i64, f64)]) -> Vec<u8> {
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
pub struct Drive {
    pub gnss: Vec<Vec<u8>>,
    pub imu: Vec<Vec<u8>>,
    pub fixes: Vec<TruthFix>,
    /// True time of every IMU sample per segment.
    pub imu_times: Vec<Vec<i64>>,
    pub impacts: Vec<(i64, f64)>,
}

pub fn simulate() -> Drive {
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
