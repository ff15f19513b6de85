//! A simulated Nexar camera recording onto a card: days of drives (road and cabin segments of
//! realistic sizes), parking incidents, the loop deleting the oldest recordings when the card is
//! full, and the `sos` folder's own limit on NEXC1/NEXS1. The output is a real FAT32 or exFAT
//! image ([`Simulation::filesystem`]) and the truth a correct catalog must find, including which
//! deletions happened when. The camera's choices depend only on the free space the card
//! reports, so the same simulation on either file system makes the same recordings.
//!
//! The file names follow each family's suffix rules (DEVELOPERS.md); the folder layout and the
//! time stamp styles differ between families on purpose, so that every name layout the catalog
//! reads is exercised. They are synthetic, not copies of a real camera's.

use std::collections::VecDeque;
use std::io::{Read, Seek, Write};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use dashcard::catalog::models::CameraModel;

use crate::rng::Rng;
use crate::{
    BuildError, CardBuilder, CardFilesystem, CardLayout, CardTruth, CardWriter, ClipHeader,
    Content, ExfatCard, FileSpec,
};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// The camera.
    pub family: CameraModel,
    /// Card size in bytes (at least about 2.2 GB: FAT32 with 32 KiB clusters).
    pub card_bytes: u64,
    /// Days of use.
    pub days: u32,
    /// The first day.
    pub first_day: NaiveDate,
    /// Seed of the deterministic generator: same seed, same card.
    pub seed: u64,
    /// Clips the `sos` folder holds before the oldest is deleted (NEXC1/NEXS1).
    pub sos_limit: usize,
    /// A real MP4 to write at the start of every recording (the rest of each stays unwritten),
    /// so the clips of a sample card really play; `None` writes generated headers only.
    pub clip: Option<Vec<u8>>,
    /// How the card is formatted (FAT32 unless chosen otherwise).
    pub filesystem: CardFilesystem,
}

impl Simulation {
    /// A month-long simulation of `family` on a card of `card_bytes`.
    pub fn new(family: CameraModel, card_bytes: u64, days: u32) -> Self {
        Self {
            family,
            card_bytes,
            days,
            first_day: NaiveDate::from_ymd_opt(2024, 10, 1).unwrap_or_default(),
            seed: 1,
            sos_limit: 20,
            clip: None,
            filesystem: CardFilesystem::Fat32,
        }
    }
}

/// What a simulated recording is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SimKind {
    /// A road-camera drive segment.
    Road,
    /// A cabin-camera drive segment.
    Cabin,
    /// A parking incident.
    Parking,
}

/// One recording the camera made.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SimRecording {
    /// Path on the card.
    pub path: String,
    /// Road, cabin or parking.
    pub kind: SimKind,
    /// When it started.
    pub start: NaiveDateTime,
    /// Length in seconds.
    pub duration_s: f64,
    /// Size in bytes.
    pub bytes: u64,
    /// Index of the drive it belongs to (segments only).
    pub drive: Option<usize>,
    /// When the camera deleted it (the start of the recording it made room for), if it did.
    pub deleted_at: Option<NaiveDateTime>,
    /// The allocation counter (see [`SimTruth::allocated_bytes`]) just before this recording
    /// was written.
    pub allocated_before: u64,
    /// Loop-pool recordings the camera deleted: the allocation counter at the instant their
    /// space was needed (what was allocated before, plus the free space left when the camera
    /// deleted it). The FIFO estimate predicts exactly this, counted from a snapshot.
    pub overwritten_at_bytes: Option<u64>,
}

/// One drive the camera recorded (whether or not its segments survive).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SimDrive {
    /// When it started.
    pub start: NaiveDateTime,
    /// When its last segment ended.
    pub end: NaiveDateTime,
}

/// The truth of a simulated card.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SimTruth {
    /// The camera.
    pub family: CameraModel,
    /// Every recording made, oldest first, with its fate.
    pub recordings: Vec<SimRecording>,
    /// Every drive made, oldest first.
    pub drives: Vec<SimDrive>,
    /// The allocation counter at the end: bytes the camera allocated on the card (recordings
    /// cluster-rounded, and the folder clusters that list them), minus what `sos` deletions gave
    /// back. Loop deletions do not count: they make room for what the counter already counts.
    pub allocated_bytes: u64,
    /// What the card builder wrote (files, live and deleted; free space).
    pub card: CardTruth,
}

impl SimTruth {
    /// Recordings still on the card.
    pub fn live(&self) -> impl Iterator<Item = &SimRecording> {
        self.recordings.iter().filter(|r| r.deleted_at.is_none())
    }
}

const MB: u64 = 1_000_000;

/// Runs the simulation onto `out` (a sparse file: nothing but metadata and headers is written),
/// formatted as [`Simulation::filesystem`] says.
pub fn simulate<W: Read + Write + Seek>(out: W, sim: &Simulation) -> Result<SimTruth, BuildError> {
    match sim.filesystem {
        CardFilesystem::Fat32 => simulate_onto(
            CardBuilder::format(out, &CardLayout::new(sim.card_bytes))?,
            sim,
        ),
        CardFilesystem::Exfat { cluster_bytes } => {
            simulate_onto(ExfatCard::format(out, sim.card_bytes, cluster_bytes)?, sim)
        }
    }
}

/// Runs the simulation onto a card already formatted (`sim.filesystem` is not consulted): for
/// callers that link one writer only, or that bring their own.
pub fn simulate_onto<C: CardWriter>(mut card: C, sim: &Simulation) -> Result<SimTruth, BuildError> {
    let mut rng = Rng::new(sim.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut recordings: Vec<SimRecording> = Vec::new();
    let mut drives: Vec<SimDrive> = Vec::new();
    let mut loop_queue: VecDeque<usize> = VecDeque::new();
    let mut sos_queue: VecDeque<usize> = VecDeque::new();
    let mut allocated = 0u64;
    let family = sim.family;
    let facts = family.facts();
    for day_index in 0..sim.days {
        let day = sim.first_day + Duration::days(i64::from(day_index));
        // A commute most days, sometimes an errand at midday or a weekend trip.
        let mut plans = vec![(7, rng.range(15, 50)), (17, rng.range(15, 60))];
        if rng.range(0, 3) == 0 {
            plans.insert(1, (12, rng.range(10, 40)));
        }
        for (hour, minutes) in plans {
            let start = day
                .and_hms_opt(hour, rng.range(0, 45) as u32, rng.range(0, 59) as u32)
                .ok_or_else(|| BuildError::Layout("bad date".into()))?;
            let drive = drives.len();
            let mut t = start;
            let mut pending = Vec::new();
            for minute in 0..minutes {
                let seconds = if minute + 1 == minutes {
                    rng.range(10, 59) as f64
                } else {
                    60.0
                };
                let cameras: &[SimKind] = if facts.dual_camera {
                    &[SimKind::Road, SimKind::Cabin]
                } else {
                    &[SimKind::Road]
                };
                for &kind in cameras {
                    let per_min = if kind == SimKind::Road { 32 } else { 14 };
                    let bytes = (per_min * MB + rng.range(0, 2 * MB)) * seconds as u64 / 60;
                    pending.push(SimRecording {
                        path: segment_path(family, t, kind),
                        kind,
                        start: t,
                        duration_s: seconds,
                        bytes,
                        drive: Some(drive),
                        deleted_at: None,
                        allocated_before: 0,
                        overwritten_at_bytes: None,
                    });
                }
                t += Duration::seconds(60);
            }
            let end = t - Duration::seconds(60)
                + Duration::seconds(pending.last().map_or(0, |r| r.duration_s as i64));
            drives.push(SimDrive { start, end });
            // Parked afterwards: sometimes a bump or someone walking past.
            if rng.range(0, 2) == 0 {
                let p = end + Duration::minutes(rng.range(20, 180) as i64);
                let seconds = facts.parking_clip_s;
                let impact = rng.range(0, 1) == 0;
                pending.push(SimRecording {
                    path: parking_path(family, p, impact),
                    kind: SimKind::Parking,
                    start: p,
                    duration_s: f64::from(seconds),
                    bytes: (32 * MB / 60) * u64::from(seconds) + rng.range(0, MB / 2),
                    drive: None,
                    deleted_at: None,
                    allocated_before: 0,
                    overwritten_at_bytes: None,
                });
            }
            for r in pending {
                record(
                    &mut card,
                    r,
                    sim,
                    &mut Queues {
                        recordings: &mut recordings,
                        loop_queue: &mut loop_queue,
                        sos_queue: &mut sos_queue,
                        allocated: &mut allocated,
                    },
                )?;
            }
        }
    }
    Ok(SimTruth {
        family,
        recordings,
        drives,
        allocated_bytes: allocated,
        card: card.finish()?,
    })
}

/// The camera's state between recordings.
struct Queues<'a> {
    recordings: &'a mut Vec<SimRecording>,
    loop_queue: &'a mut VecDeque<usize>,
    sos_queue: &'a mut VecDeque<usize>,
    allocated: &'a mut u64,
}

/// Writes one recording, first deleting what the camera would delete to make room.
fn record<C: CardWriter>(
    card: &mut C,
    mut r: SimRecording,
    sim: &Simulation,
    q: &mut Queues<'_>,
) -> Result<(), BuildError> {
    let to_sos = r.kind == SimKind::Parking && sim.family.facts().sos_folder;
    if to_sos
        && q.sos_queue.len() >= sim.sos_limit.max(1)
        && let Some(old) = q.sos_queue.pop_front()
    {
        let before = card.free_bytes();
        card.delete(&q.recordings[old].path)?;
        *q.allocated = q
            .allocated
            .saturating_sub(card.free_bytes().saturating_sub(before));
        q.recordings[old].deleted_at = Some(r.start);
    }
    // The loop: delete the oldest recordings until the new one fits, with one cluster to spare
    // for its folder to grow.
    let cluster = card.on_disk_bytes(1);
    while card.free_bytes() < card.on_disk_bytes(r.bytes) + cluster {
        let Some(old) = q.loop_queue.pop_front() else {
            return Err(BuildError::Full(r.path.clone(), 0, 0));
        };
        let free = card.free_bytes();
        card.delete(&q.recordings[old].path)?;
        q.recordings[old].deleted_at = Some(r.start);
        q.recordings[old].overwritten_at_bytes = Some(*q.allocated + free);
    }
    let end = r.start + Duration::milliseconds((r.duration_s * 1000.0) as i64);
    let (width, height) = if r.kind == SimKind::Cabin {
        (1280, 720)
    } else {
        (1920, 1080)
    };
    let spec = FileSpec {
        bytes: r.bytes,
        created: r.start,
        modified: end,
        content: match &sim.clip {
            Some(clip) if (clip.len() as u64) <= r.bytes => Content::Bytes(clip.clone()),
            _ => Content::Clip(ClipHeader {
                duration_s: r.duration_s,
                created: r.start,
                width,
                height,
                moov_at_end: true,
            }),
        },
        fragments: 1,
    };
    r.allocated_before = *q.allocated;
    let free = card.free_bytes();
    card.add_file(&r.path, &spec)?;
    *q.allocated += free.saturating_sub(card.free_bytes());
    let index = q.recordings.len();
    q.recordings.push(r);
    if to_sos {
        q.sos_queue.push_back(index);
    } else {
        q.loop_queue.push_back(index);
    }
    Ok(())
}

/// A segment's name: the model's road or cabin suffix.
fn segment_path(family: CameraModel, t: NaiveDateTime, kind: SimKind) -> String {
    let facts = family.facts();
    let suffix = if kind == SimKind::Road {
        facts.road_suffix
    } else {
        facts.cabin_suffix
    };
    recording_path(family, t, suffix, false)
}

/// A parking clip's name: the model's impact suffix when it has one and this was an impact.
fn parking_path(family: CameraModel, t: NaiveDateTime, impact: bool) -> String {
    let facts = family.facts();
    let suffix = match facts.impact_suffix {
        Some(x) if impact => x,
        _ => facts.parking_suffix,
    };
    recording_path(family, t, suffix, true)
}

/// Where each family keeps a recording started at `t`, and how it stamps the name: a folder per
/// day (Pro, Beam), one folder (NEXC2), or one for drives and `sos` for parking clips on the
/// models that keep them apart (NEXC1, NEXS1).
fn recording_path(family: CameraModel, t: NaiveDateTime, suffix: char, parking: bool) -> String {
    let (folder, stamp, extension) = match family {
        CameraModel::Pro | CameraModel::Beam => (
            format!("Nexar/Movie/{}", t.format("%Y%m%d")),
            "%Y%m%d_%H%M%S",
            "mp4",
        ),
        CameraModel::Nexc2 => ("DCIM".to_string(), "%y%m%d_%H%M%S", "MP4"),
        CameraModel::Nexc1 | CameraModel::Nexs1 => (
            if parking && family.facts().sos_folder {
                "sos"
            } else {
                "record"
            }
            .to_string(),
            "%Y-%m-%d_%H-%M-%S",
            "mp4",
        ),
    };
    format!("{folder}/{}_{suffix}.{extension}", t.format(stamp))
}
