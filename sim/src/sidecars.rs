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

/// The `.imu` log of a clip that started at `start` and lasted `seconds` (imu_record.c:43-66,
/// imu_task.c:176-183).
pub fn imu_log(ctx: &LogContext, start: DateTime<Utc>, seconds: u32) -> Vec<u8> {
    let (sec, usec) = (start.timestamp(), start.timestamp_subsec_micros());
    let mut out = format!(
        "device={}-{}; sn={}; vsn=; cpuid=; wifimac=0c:8c:dc:01:02:0a; trip=; timezone={}; time={},{}; \
         gsensor=1|0.000000,0.000000,0.000000,0.000000,0.000000,0.000000|12,8,0,2|bmi160; \
         gyro=1|0.000000,0.000000,0.000000,0.000000,0.000000|0,8\n",
        ctx.model, ctx.software, ctx.serial, ctx.timezone_s, sec, usec
    );
    for s in 0..i64::from(seconds) {
        out += &format!(
            "{}.{:06}|G:{:.6},{:.6},{:.6},-1,{:.6},{:.6},{:.6},0,{:.2}\n",
            sec + s,
            usec,
            0.183_105,
            -0.245_361,
            9.812_012,
            0.061_035,
            -0.122_070,
            0.030_518,
            34.5
        );
    }
    out.into_bytes()
}

/// The `.gnss` log of the same clip (gnss_record.c:29, 204-305): `t0`, `ts`, then a second's
/// accelerometer line and fix.
pub fn gnss_log(start: DateTime<Utc>, seconds: u32) -> Vec<u8> {
    let (sec, ms) = (start.timestamp(), start.timestamp_subsec_millis());
    let mut out = format!("t0={sec}.{ms:03}\nts=0.001\n");
    for s in 0..i64::from(seconds) {
        let at = start + chrono::TimeDelta::seconds(s);
        out += &format!("1,{s},0.183105,-0.245361,9.812012\n");
        out += &format!(
            "10,{s},2,{}00,4047{:04},-07358{:04},18.2,84.4,ANNN,-1073741616,0.90,254,-34.2\n",
            at.format("%H%M%S"),
            (s * 7) % 10_000,
            (s * 11) % 10_000
        );
    }
    out.into_bytes()
}
