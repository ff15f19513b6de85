//! A simulated Nexar of the newer generation (Beam 2K, Zero, N1) recording onto a card, as its
//! firmware does (aoni-dvr/nexar_82001; the fact sheet cites each line):
//!
//! - Folders `video`, `sos`, `photo` at the root; `video` and `sos` get `.thumb`, `.imu` and
//!   `.gnss`, made at mount.
//! - One-minute segments (whole one-second GOPs; a drive's last one shorter), named
//!   `YYYYMMDD_HHMMSS{A|B}.mp4` with the segment's UTC start; `A` the built-in camera, `B` the
//!   external one (not on Zero). The first file of a session carries the RTOS clock's reading,
//!   a few seconds stale; the `CUST` record in each clip has the true start.
//! - Each segment with its thumbnail, motion log and GNSS log: the car goes round a circle at a
//!   steady speed (see [`crate::sidecars`]), and is hit a few seconds into each SOS recording.
//! - Sometimes a drive ends in a power cut: its last clip keeps its complete fragments only,
//!   without the closing tail.
//! - SOS events (N1 only: `sos/…A_SOS.mp4`, 20 s, a thumbnail only), photos (`photo/…A.jpg`),
//!   both named with the current segment's stamp; clips the owner locked (read-only).
//! - After every closed file, the loop deletes the oldest `video` clip by name (then letter),
//!   with its sidecars, skipping locked ones, until 3 GiB are free. `sos` and `photo` are never
//!   cleaned.
//!
//! Local time is what the owner lives by (drives at 7:00 and 17:00); names and records are UTC,
//! [`TIMEZONE_S`] apart. The truth is what this camera did, decided here, never by the reader.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::camera::{SimDrive, SimKind, SimRecording, SimTruth, Simulation};
use crate::fmp4_skeleton::{CameraIdentity, FragmentedClip, clip_parts};
use crate::rng::Rng;
use crate::sidecars::{
    IMPACT_AFTER_EVENT_START_S, LogContext, PHOTO_JPEG, THUMB_JPEG, gnss_log, imu_log,
};
use crate::{BuildError, CardWriter, Content, FileSpec};

/// The simulated camera's zone setting: UTC−5, seconds east of UTC.
pub const TIMEZONE_S: i32 = -5 * 3600;

const MB: u64 = 1_000_000;

/// One file the camera wrote, as the loop's index knows it.
struct Written {
    /// Index in the truth's recordings.
    recording: usize,
    /// Its path and its sidecars' paths.
    path: String,
    sidecars: Vec<String>,
}

/// The camera between files.
struct Camera<'a, C> {
    card: C,
    sim: &'a Simulation,
    recordings: Vec<SimRecording>,
    /// Unlocked `video` clips by upper-cased file name: the loop's order.
    index: BTreeMap<String, Written>,
    allocated: u64,
    reserve: u64,
    identity: CameraIdentity,
    logs: LogContext,
    /// When the car was hit (each drive's SOS moment): the motion logs show the jolts.
    impacts: Vec<DateTime<Utc>>,
}

impl<C: CardWriter> Camera<'_, C> {
    /// Writes one file and counts what it allocated.
    fn write(&mut self, path: &str, spec: &FileSpec) -> Result<(), BuildError> {
        let free = self.card.free_bytes();
        self.card.add_file(path, spec)?;
        self.allocated += free.saturating_sub(self.card.free_bytes());
        Ok(())
    }

    /// The loop after a file closed at `now`: delete the oldest unlocked `video` clip (with
    /// its sidecars) until the reserve is free.
    fn clean(&mut self, now: NaiveDateTime) -> Result<(), BuildError> {
        while self.card.free_bytes() < self.reserve {
            let Some((_, victim)) = self.index.pop_first() else {
                return Err(BuildError::Full(
                    "the loop has nothing left to delete".into(),
                    0,
                    0,
                ));
            };
            let free = self.card.free_bytes();
            // Where the counter stood when the free space first fell under the reserve.
            let at = self.allocated + free - self.reserve;
            self.card.delete(&victim.path)?;
            for s in &victim.sidecars {
                self.card.delete(s)?;
            }
            let r = &mut self.recordings[victim.recording];
            r.deleted_at = Some(now);
            r.overwritten_at_bytes = Some(at);
        }
        Ok(())
    }

    /// Records a clip (and its sidecars), then lets the loop clean.
    #[allow(clippy::too_many_arguments)]
    fn record_clip(
        &mut self,
        mut r: SimRecording,
        clip: FragmentedClip,
        folder: &str,
        stem: &str,
        logs: bool,
        locked: bool,
    ) -> Result<(), BuildError> {
        let start_utc = clip.start_utc;
        let end = r.start + Duration::milliseconds((r.duration_s * 1000.0) as i64);
        let content =
            match &self.sim.clip {
                Some(real) if (real.len() as u64) <= r.bytes => Content::Bytes(real.clone()),
                _ => Content::Parts(clip_parts(&clip, r.bytes).ok_or_else(|| {
                    BuildError::Path(format!("{}: too small for its boxes", r.path))
                })?),
            };
        r.allocated_before = self.allocated;
        let spec = FileSpec {
            read_only: locked,
            ..FileSpec {
                modified: end,
                ..FileSpec::new(r.bytes, r.start, content)
            }
        };
        self.write(&r.path, &spec)?;
        let mut sidecars = vec![format!("{folder}/.thumb/{stem}_net.jpg")];
        self.write(
            &sidecars[0],
            &FileSpec::new(
                THUMB_JPEG.len() as u64,
                r.start,
                Content::Bytes(THUMB_JPEG.to_vec()),
            ),
        )?;
        if logs {
            let seconds = clip.fragments;
            for (path, bytes) in [
                (
                    format!("{folder}/.imu/{stem}.dat"),
                    imu_log(&self.logs, start_utc, seconds, &self.impacts),
                ),
                (
                    format!("{folder}/.gnss/{stem}.txt"),
                    gnss_log(start_utc, seconds),
                ),
            ] {
                self.write(
                    &path,
                    &FileSpec::new(bytes.len() as u64, end, Content::Bytes(bytes)),
                )?;
                sidecars.push(path);
            }
        }
        r.sidecars = sidecars.clone();
        let index = self.recordings.len();
        let loops = folder == "video" && !locked;
        let name = r.path.rsplit('/').next().unwrap_or(&r.path).to_uppercase();
        let path = r.path.clone();
        self.recordings.push(r);
        if loops {
            self.index.insert(
                name,
                Written {
                    recording: index,
                    path,
                    sidecars,
                },
            );
        }
        self.clean(end)
    }

    fn clip(
        &self,
        start_utc: DateTime<Utc>,
        fragments: u32,
        second: bool,
        closed: bool,
    ) -> FragmentedClip {
        let (width, height) = if second { (1280, 720) } else { (2560, 1440) };
        FragmentedClip {
            start_utc,
            fragments,
            width,
            height,
            mehd: self.sim.family.facts().writes_mehd,
            closed,
            camera: self.identity.clone(),
        }
    }
}

fn utc_of(local: NaiveDateTime) -> DateTime<Utc> {
    (local - Duration::seconds(i64::from(TIMEZONE_S))).and_utc()
}

fn local_of(utc: DateTime<Utc>) -> NaiveDateTime {
    utc.naive_utc() + Duration::seconds(i64::from(TIMEZONE_S))
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y%m%d_%H%M%S").to_string()
}

/// Runs the simulation of a newer model onto `card` (formatted as the camera formats it: see
/// [`crate::camera::simulate`]).
pub fn simulate_onto<C: CardWriter>(mut card: C, sim: &Simulation) -> Result<SimTruth, BuildError> {
    let facts = sim.family.facts();
    // The loop keeps the reserve free: a card without room beyond it cannot hold a recording.
    if card.free_bytes() <= facts.reserve_bytes {
        return Err(BuildError::Layout(format!(
            "a {} keeps {} bytes free; a card of {} bytes has no room for its loop",
            facts.name, facts.reserve_bytes, sim.card_bytes
        )));
    }
    let mount = sim
        .first_day
        .and_hms_opt(6, 0, 0)
        .ok_or_else(|| BuildError::Layout("bad date".into()))?;
    for folder in ["video", "sos"] {
        for side in [".thumb", ".imu", ".gnss"] {
            card.mkdir(&format!("{folder}/{side}"), mount)?;
        }
    }
    card.mkdir("photo", mount)?;
    let mut rng = Rng::new(sim.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let serial = format!("NX{}{:06}", facts.name.len(), sim.seed % 1_000_000);
    let software = "v2.3.1".to_string();
    let mut cam = Camera {
        card,
        sim,
        recordings: Vec::new(),
        index: BTreeMap::new(),
        allocated: 0,
        reserve: facts.reserve_bytes,
        identity: CameraIdentity {
            serial: serial.clone(),
            software: software.clone(),
            build: "2024-09-02 10:11:12".to_string(),
        },
        impacts: Vec::new(),
        logs: LogContext {
            model: facts.imu_model.unwrap_or("NEXAR"),
            software,
            serial,
            timezone_s: TIMEZONE_S,
        },
    };
    let mut drives: Vec<SimDrive> = Vec::new();
    for day_index in 0..sim.days {
        let day = sim.first_day + Duration::days(i64::from(day_index));
        let mut plans = vec![(7, rng.range(15, 50)), (17, rng.range(15, 60))];
        if rng.range(0, 3) == 0 {
            plans.insert(1, (12, rng.range(10, 40)));
        }
        for (hour, minutes) in plans {
            let start = day
                .and_hms_opt(hour, rng.range(0, 45) as u32, rng.range(0, 59) as u32)
                .ok_or_else(|| BuildError::Layout("bad date".into()))?;
            let drive = drives.len();
            let power_cut = rng.range(0, 6) == 0;
            let rtc_lag = rng.range(3, 40) as i64;
            let event_at =
                (facts.writes_events && rng.range(0, 2) == 0).then(|| rng.range(0, minutes - 1));
            let photo_at = (rng.range(0, 3) == 0).then(|| rng.range(0, minutes - 1));
            let lock_at = (rng.range(0, 4) == 0).then(|| rng.range(0, minutes - 1));
            let mut first = None;
            let mut end = start;
            for minute in 0..minutes {
                let last = minute + 1 == minutes;
                let seconds = if last { rng.range(10, 59) as u32 } else { 60 };
                let local = start + Duration::seconds(60 * minute as i64);
                let start_utc = utc_of(local) + Duration::milliseconds(rng.range(0, 400) as i64);
                // The session's first name comes from the RTOS clock, a little behind.
                let named_utc = if minute == 0 {
                    start_utc - Duration::seconds(rtc_lag)
                } else {
                    start_utc
                };
                let name_utc = stamp(named_utc.naive_utc());
                let closed = !(last && power_cut);
                first.get_or_insert(local_of(start_utc));
                let cameras: &[(char, SimKind)] = if facts.dual_camera {
                    &[('A', SimKind::Road), ('B', SimKind::Second)]
                } else {
                    &[('A', SimKind::Road)]
                };
                let event_utc = (event_at == Some(minute))
                    .then(|| utc_of(local + Duration::seconds(i64::from(seconds / 2))));
                if let Some(at) = event_utc {
                    cam.impacts
                        .push(at + Duration::seconds(IMPACT_AFTER_EVENT_START_S));
                }
                for &(letter, kind) in cameras {
                    let per_min = if kind == SimKind::Road { 48 } else { 16 };
                    let bytes = (per_min * MB + rng.range(0, 2 * MB)) * u64::from(seconds) / 60;
                    let stem = format!("{name_utc}{letter}");
                    let clip = cam.clip(start_utc, seconds, kind == SimKind::Second, closed);
                    let locked = kind == SimKind::Road && lock_at == Some(minute);
                    let r = SimRecording {
                        path: format!("video/{stem}.mp4"),
                        kind,
                        start: local_of(start_utc),
                        start_utc: Some(start_utc),
                        duration_s: clip.duration_s(),
                        bytes,
                        drive: Some(drive),
                        locked,
                        ..SimRecording::default()
                    };
                    cam.record_clip(r, clip, "video", &stem, true, locked)?;
                }
                if let Some(at) = event_utc {
                    let stem = format!("{name_utc}A_SOS");
                    let clip = FragmentedClip {
                        mehd: facts.writes_mehd,
                        ..cam.clip(at, 20, false, true)
                    };
                    let r = SimRecording {
                        path: format!("sos/{stem}.mp4"),
                        kind: SimKind::Event,
                        start: local_of(at),
                        start_utc: Some(at),
                        duration_s: 20.0,
                        bytes: 16 * MB + rng.range(0, MB),
                        ..SimRecording::default()
                    };
                    cam.record_clip(r, clip, "sos", &stem, false, false)?;
                }
                if photo_at == Some(minute) {
                    let taken = local + Duration::seconds(i64::from(seconds / 3));
                    // Named with the segment's stamp, as its start says (not when it was taken).
                    let named =
                        DateTime::from_timestamp(named_utc.timestamp(), 0).unwrap_or(named_utc);
                    let r = SimRecording {
                        path: format!("photo/{name_utc}A.jpg"),
                        kind: SimKind::Photo,
                        start: local_of(named),
                        start_utc: Some(named),
                        bytes: 300_000 + rng.range(0, 200_000),
                        allocated_before: cam.allocated,
                        ..SimRecording::default()
                    };
                    let spec = FileSpec::new(r.bytes, taken, Content::Bytes(PHOTO_JPEG.to_vec()));
                    cam.write(&r.path, &spec)?;
                    cam.recordings.push(r);
                    cam.clean(taken)?;
                }
                end = local_of(start_utc) + Duration::seconds(i64::from(seconds));
            }
            drives.push(SimDrive {
                start: first.unwrap_or(start),
                end,
            });
        }
    }
    Ok(SimTruth {
        family: sim.family,
        recordings: cam.recordings,
        drives,
        allocated_bytes: cam.allocated,
        card: cam.card.finish()?,
    })
}
