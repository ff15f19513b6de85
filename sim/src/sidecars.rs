//! What the newer cameras write beside each clip, in the firmware's formats (see
//! `dashcard::telemetry` for what each field means and the source lines): a thumbnail, the
//! motion log (`.imu/<stem>.dat`) and the GNSS log (`.gnss/<stem>.txt`). The logs are thinned
//! to one sample a second (the camera writes motion at about 50 Hz): the formats are exact, the
//! sizes smaller, so a month of simulated driving stays cheap to write.

use chrono::{DateTime, Utc};

/// A small real JPEG (160×90, made by ffmpeg) for thumbnails.
pub const THUMB_JPEG: &[u8] = include_bytes!("../assets/thumb.jpg");
/// A small real JPEG (320×180, made by ffmpeg) that photos start with.
pub const PHOTO_JPEG: &[u8] = include_bytes!("../assets/photo.jpg");

/// Who and where, as the logs' headers say.
#[derive(Clone, Debug)]
pub struct LogContext {
    /// `device=` model (`PROJECT_MODEL`).
    pub model: &'static str,
    /// Firmware version.
    pub software: String,
    /// Serial number.
    pub serial: String,
    /// Zone setting, seconds east of UTC.
    pub timezone_s: i32,
}

/// The simulated car's speed: the receiver's RMC text, in knots (33.7 km/h).
pub const SPEED_KNOTS: f64 = 18.2;
/// Radius of the circle the car drives round, in km; its centre is [`CIRCLE_CENTRE`].
pub const CIRCLE_RADIUS_KM: f64 = 1.0;
/// Centre of that circle (Central Park, New York), decimal degrees.
pub const CIRCLE_CENTRE: (f64, f64) = (40.7833, -73.9667);
/// Earth radius the path is laid out with (the IUGG mean, as the reader's haversine uses).
const EARTH_RADIUS_KM: f64 = 6371.0088;
/// An impact's strongest |a| in g. The simulated car is hit this hard once in each drive with
/// an SOS event, [`IMPACT_AFTER_EVENT_START_S`] seconds after the SOS recording starts.
pub const IMPACT_G: f64 = 3.2;
/// Seconds from an SOS recording's start to its impact.
pub const IMPACT_AFTER_EVENT_START_S: i64 = 3;
/// Gravity as the firmware's conversions use it, m/s².
const G: f64 = 9.8;
/// The resting reading (m/s²): gravity on z, a little tilt, |a| ≈ 1 g.
const REST: [f64; 3] = [0.183_105, -0.245_361, 9.812_012];

/// Where the car is at `at`: it goes anticlockwise round the circle at [`SPEED_KNOTS`], its
/// angle a function of the time alone, so consecutive clips of a drive join up. Returns
/// (lat, lon) in decimal degrees and the course over ground in degrees.
pub fn position_at(at: DateTime<Utc>) -> (f64, f64, f64) {
    let speed_km_s = SPEED_KNOTS * 1.852 / 3600.0;
    let omega = speed_km_s / CIRCLE_RADIUS_KM;
    let period_s = (std::f64::consts::TAU / omega).round() as i64;
    let t = at.timestamp().rem_euclid(period_s) as f64
        + f64::from(at.timestamp_subsec_millis()) / 1000.0;
    let theta = omega * t;
    let (north_km, east_km) = (
        CIRCLE_RADIUS_KM * theta.sin(),
        CIRCLE_RADIUS_KM * theta.cos(),
    );
    let lat = CIRCLE_CENTRE.0 + (north_km / EARTH_RADIUS_KM).to_degrees();
    let lon = CIRCLE_CENTRE.1
        + (east_km / (EARTH_RADIUS_KM * CIRCLE_CENTRE.0.to_radians().cos())).to_degrees();
    // Velocity (north, east) ∝ (cos θ, −sin θ).
    let course = (-theta.sin())
        .atan2(theta.cos())
        .to_degrees()
        .rem_euclid(360.0);
    (lat, lon, course)
}

/// A coordinate as the firmware prints it: NMEA `ddmm.mmmmm` (`dddmm.mmmmm` for longitude) with
/// the dot removed and `-` for S/W (five decimals of minutes, as the better receivers send).
pub fn nmea_digits(degrees: f64, degree_digits: usize) -> String {
    let sign = if degrees < 0.0 { "-" } else { "" };
    let hundred_thousandths = (degrees.abs() * 60.0 * 100_000.0).round() as i64;
    let (whole_minutes, fraction) = (hundred_thousandths / 100_000, hundred_thousandths % 100_000);
    format!(
        "{sign}{:0w$}{:02}{:05}",
        whole_minutes / 60,
        whole_minutes % 60,
        fraction,
        w = degree_digits
    )
}

/// One `.imu` data line (imu_task.c:176-183).
fn imu_line(at: DateTime<Utc>, accel: [f64; 3]) -> String {
    format!(
        "{}.{:06}|G:{:.6},{:.6},{:.6},-1,{:.6},{:.6},{:.6},0,{:.2}\n",
        at.timestamp(),
        at.timestamp_subsec_micros(),
        accel[0],
        accel[1],
        accel[2],
        0.061_035,
        -0.122_070,
        0.030_518,
        34.5
    )
}

/// The `.imu` log of a clip that started at `start` and lasted `seconds` (imu_record.c:43-66,
/// imu_task.c:176-183): one resting sample a second, and around each of `impacts` inside the
/// clip a second at 50 Hz with a hard longitudinal jolt peaking at [`IMPACT_G`] on the dot.
pub fn imu_log(
    ctx: &LogContext,
    start: DateTime<Utc>,
    seconds: u32,
    impacts: &[DateTime<Utc>],
) -> Vec<u8> {
    let (sec, usec) = (start.timestamp(), start.timestamp_subsec_micros());
    let mut out = format!(
        "device={}-{}; sn={}; vsn=; cpuid=; wifimac=0c:8c:dc:01:02:0a; trip=; timezone={}; time={},{}; \
         gsensor=1|0.000000,0.000000,0.000000,0.000000,0.000000,0.000000|12,8,0,2|bmi160; \
         gyro=1|0.000000,0.000000,0.000000,0.000000,0.000000|0,8\n",
        ctx.model, ctx.software, ctx.serial, ctx.timezone_s, sec, usec
    );
    let end = start + chrono::TimeDelta::seconds(i64::from(seconds));
    let mut jolts: Vec<DateTime<Utc>> = impacts
        .iter()
        .copied()
        .filter(|&at| at >= start && at < end)
        .collect();
    dashcard::sort::sort(&mut jolts);
    for s in 0..i64::from(seconds) {
        let at = start + chrono::TimeDelta::seconds(s);
        let next = at + chrono::TimeDelta::seconds(1);
        match jolts.iter().find(|&&j| j >= at && j < next) {
            None => out += &imu_line(at, REST),
            Some(&jolt) => {
                // 50 samples 20 ms apart from `at`, the jolt's sample among them: a triangle
                // 200 ms each side of it, up to IMPACT_G.
                let offset_ms = (jolt - at).num_milliseconds();
                for k in 0..50i64 {
                    let t_ms = (offset_ms % 20) + 20 * k;
                    let when = at + chrono::TimeDelta::milliseconds(t_ms);
                    let from_jolt = ((when - jolt).num_milliseconds() as f64).abs();
                    let share = (1.0 - from_jolt / 200.0).max(0.0);
                    let g = 1.0 + (IMPACT_G - 1.0) * share;
                    // Braking along −x; gravity stays on z.
                    let ax = -((g * G).powi(2) - REST[2].powi(2)).max(0.0).sqrt();
                    let accel = if share > 0.0 {
                        [ax, 0.0, REST[2]]
                    } else {
                        REST
                    };
                    out += &imu_line(when, accel);
                }
            }
        }
    }
    out.into_bytes()
}

/// The `.gnss` log of the same clip (gnss_record.c:29, 204-305): `t0`, `ts`, then a second's
/// accelerometer line and fix, the car on its circle ([`position_at`]).
pub fn gnss_log(start: DateTime<Utc>, seconds: u32) -> Vec<u8> {
    let (sec, ms) = (start.timestamp(), start.timestamp_subsec_millis());
    let mut out = format!("t0={sec}.{ms:03}\nts=0.001\n");
    for s in 0..i64::from(seconds) {
        let at = start + chrono::TimeDelta::seconds(s);
        // The receiver's second: its fix is for the whole UTC second.
        let second = DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at);
        let (lat, lon, course) = position_at(second);
        out += &format!("1,{s},0.183105,-0.245361,9.812012\n");
        out += &format!(
            "10,{s},2,{}00,{},{},{SPEED_KNOTS:.2},{course:.2},ANNN,-1073741616,0.90,254,-34.2\n",
            at.format("%H%M%S"),
            nmea_digits(lat, 2),
            nmea_digits(lon, 3),
        );
    }
    out.into_bytes()
}
