//! Which Nexar model wrote the card, with the evidence shown — or "unknown" when the evidence is
//! thin. The facts (DEVELOPERS.md, "What Nexar cameras do"):
//!
//! - NEXC1 and NEXS1 keep parking clips apart in a `sos` folder (10 s clips on NEXC1).
//! - NEXC2 names parking clips `U` or `X`; Pro and Beam only `U`, stored among drive segments.
//! - Cabin (internal camera) segments mean a dual-camera model.
//! - Nexar One has no card at all: only the app shows its footage.
//!
//! The newer generation (Beam 2K, Zero, N1) is told by its layout (`/video`, `/sos`, `/photo`,
//! UTC-stamped names, sidecar folders, the clips' `CUST` records), then narrowed to one model
//! where the card allows, from the firmware's differences (see [`super::models`]): the `.imu`
//! header's model name; SOS events and exFAT (N1 only); a `mehd` box in each clip (Beam 2K
//! and Zero) or none (N1); a second camera's clips (not Zero).

use serde::{Deserialize, Serialize};

use super::classify::{Camera, FileKind, Pool};
use super::models::CameraModel;

/// A model family, as far as the card tells.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FamilyCode {
    /// Nexar Pro or Nexar Beam (SD card; parking clips `U` in the drive folder).
    ProBeam,
    /// NEXC2 (built-in memory read through the Nexar Memory Card Reader; parking `U`/`X`).
    Nexc2,
    /// NEXC1 (parking clips of 10 s in a `sos` folder).
    Nexc1,
    /// NEXC1 or NEXS1 (parking clips in a `sos` folder).
    Nexc1Nexs1,
    /// The newer generation, not narrowed further.
    Beam2kZeroN1,
    /// Beam 2K or Zero (clips with `mehd`).
    Beam2kZero,
    /// Beam 2K or N1 (a second camera's clips).
    Beam2kN1,
    /// Nexar Beam 2K.
    Beam2k,
    /// Nexar Zero.
    Zero,
    /// Nexar N1.
    N1,
    /// Not enough evidence.
    Unknown,
}

impl FamilyCode {
    /// The camera models the family stands for.
    pub fn models(self) -> &'static [CameraModel] {
        match self {
            FamilyCode::ProBeam => &[CameraModel::Pro, CameraModel::Beam],
            FamilyCode::Nexc2 => &[CameraModel::Nexc2],
            FamilyCode::Nexc1 => &[CameraModel::Nexc1],
            FamilyCode::Nexc1Nexs1 => &[CameraModel::Nexc1, CameraModel::Nexs1],
            FamilyCode::Beam2kZeroN1 => &CameraModel::NEWER,
            FamilyCode::Beam2kZero => &[CameraModel::Beam2k, CameraModel::Zero],
            FamilyCode::Beam2kN1 => &[CameraModel::Beam2k, CameraModel::N1],
            FamilyCode::Beam2k => &[CameraModel::Beam2k],
            FamilyCode::Zero => &[CameraModel::Zero],
            FamilyCode::N1 => &[CameraModel::N1],
            FamilyCode::Unknown => &CameraModel::ALL,
        }
    }

    /// The family of exactly these newer models; `None` for a set no family stands for.
    fn of_newer(models: &[CameraModel]) -> Option<Self> {
        use CameraModel::{Beam2k, N1, Zero};
        let has = |m| models.contains(&m);
        Some(match (has(Beam2k), has(Zero), has(N1)) {
            (true, true, true) => FamilyCode::Beam2kZeroN1,
            (true, true, false) => FamilyCode::Beam2kZero,
            (true, false, true) => FamilyCode::Beam2kN1,
            (true, false, false) => FamilyCode::Beam2k,
            (false, true, false) => FamilyCode::Zero,
            (false, false, true) => FamilyCode::N1,
            _ => return None,
        })
    }

    /// A newer-generation family: UTC names, sidecars, the 3 GiB loop.
    pub fn newer(self) -> bool {
        self.models().iter().all(|m| m.facts().newer)
    }

    /// What the family's loop keeps free (3 GiB on the newer cameras, nothing before).
    pub fn reserve_bytes(self) -> u64 {
        self.models()
            .iter()
            .map(|m| m.facts().reserve_bytes)
            .min()
            .unwrap_or(0)
    }

    /// The family in words.
    pub fn name(self) -> &'static str {
        match self {
            FamilyCode::ProBeam => "Nexar Pro or Beam",
            FamilyCode::Nexc2 => "NEXC2",
            FamilyCode::Nexc1 => "NEXC1",
            FamilyCode::Nexc1Nexs1 => "NEXC1 or NEXS1",
            FamilyCode::Beam2kZeroN1 => "Nexar Beam 2K, Zero or N1",
            FamilyCode::Beam2kZero => "Nexar Beam 2K or Zero",
            FamilyCode::Beam2kN1 => "Nexar Beam 2K or N1",
            FamilyCode::Beam2k => "Nexar Beam 2K",
            FamilyCode::Zero => "Nexar Zero",
            FamilyCode::N1 => "Nexar N1",
            FamilyCode::Unknown => "unknown",
        }
    }

    /// The parking clip length to assume where a header does not tell: the longest any of the
    /// family's models records, so an unread clip is never made shorter than it may be.
    pub fn parking_clip_s(self) -> f64 {
        let longest = self
            .models()
            .iter()
            .map(|m| m.facts().parking_clip_s)
            .max()
            .unwrap_or(0);
        f64::from(longest)
    }
}

/// The model family and why.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Family {
    /// The family in words, e.g. "Nexar Pro or Beam", or "unknown".
    pub name: String,
    /// The family as a stable code.
    pub code: FamilyCode,
    /// What on the card points there, one fact per line.
    pub evidence: Vec<String>,
    /// Whether cabin (internal camera) segments are present.
    pub dual_camera: bool,
    /// Length of a parking clip on this family, in seconds (30, 10 on NEXC1).
    pub parking_clip_s: f64,
    /// Where else this footage may exist (the Nexar app, the Nexar Cloud).
    pub footage_elsewhere: Vec<String>,
    /// Other facts worth knowing (Nexar One has no card).
    pub notes: Vec<String>,
}

/// What the catalog counted, the family's only input.
#[derive(Clone, Debug, Default)]
pub struct FamilyEvidence {
    /// Parking clips in a `sos` folder (live or deleted).
    pub sos_clips: usize,
    /// Median header duration of `sos` clips, when known.
    pub sos_median_s: Option<f64>,
    /// Parking clips named `X` outside `sos`.
    pub x_clips: usize,
    /// Parking clips named `U` outside `sos`.
    pub u_clips: usize,
    /// Road segments.
    pub road_segments: usize,
    /// Cabin segments.
    pub cabin_segments: usize,
    /// Files named as the newer cameras name them (recordings, photos, sidecars).
    pub newer_files: usize,
    /// SOS event clips (`_SOS`).
    pub events: usize,
    /// Photos in `/photo`.
    pub photos: usize,
    /// Sidecars (`.thumb`, `.imu`, `.gnss`).
    pub sidecars: usize,
    /// Segments of the newer cameras' second (external) camera, `B`.
    pub second_segments: usize,
    /// Files of streams `C`/`D`, which the firmware never writes.
    pub unwritten_streams: usize,
    /// Clips carrying the `CUST` record.
    pub camera_records: usize,
    /// Fragmented clips with a `mehd` box, and without one (headers read).
    pub with_mehd: usize,
    /// See `with_mehd`.
    pub without_mehd: usize,
    /// The model names the `.imu` headers give.
    pub imu_models: Vec<String>,
    /// The volume is exFAT.
    pub exfat: bool,
}

impl FamilyEvidence {
    /// Counts one recording.
    pub fn note(
        &mut self,
        kind: FileKind,
        camera: Option<Camera>,
        pool: Option<Pool>,
        suffix: Option<char>,
    ) {
        match (kind, pool) {
            (FileKind::Parking, Some(Pool::Sos)) => self.sos_clips += 1,
            (FileKind::Parking, _) if suffix == Some('X') => self.x_clips += 1,
            (FileKind::Parking, _) => self.u_clips += 1,
            (FileKind::Drive, _) => match camera {
                Some(Camera::Cabin) => self.cabin_segments += 1,
                Some(Camera::Second) => self.second_segments += 1,
                _ => self.road_segments += 1,
            },
            (FileKind::Event, _) => self.events += 1,
            (FileKind::Photo, _) => self.photos += 1,
            (FileKind::Sidecar, _) => self.sidecars += 1,
            (FileKind::Other, _) => {}
        }
    }
}

/// Narrows the newer generation to the models the card's evidence allows, rule by rule; a rule
/// that would leave no model is noted and skipped (the evidence disagrees).
fn identify_newer(e: &FamilyEvidence, evidence: &mut Vec<String>) -> FamilyCode {
    evidence.push(format!(
        "{} file(s) in the newer Nexar layout: video, sos and photo folders at the card's root, clips named in UTC with the camera letter after the time",
        e.newer_files
    ));
    if e.sidecars > 0 {
        evidence.push(format!(
            "{} sidecar file(s) (.thumb, .imu, .gnss) beside the clips",
            e.sidecars
        ));
    }
    if e.camera_records > 0 {
        evidence.push(format!(
            "{} clip(s) carry the camera's own record (CUST): when the segment started, the serial and the software",
            e.camera_records
        ));
    }
    if e.unwritten_streams > 0 {
        evidence.push(format!(
            "{} file(s) of streams C or D, which this firmware never writes: listed as they are",
            e.unwritten_streams
        ));
    }
    let mut models = CameraModel::NEWER.to_vec();
    let mut narrow = |keep: &dyn Fn(CameraModel) -> bool, why: String| {
        let left: Vec<CameraModel> = models.iter().copied().filter(|m| keep(*m)).collect();
        if left.is_empty() {
            evidence.push(format!(
                "{why} — but other evidence rules that out, so it is not used"
            ));
        } else {
            evidence.push(why);
            models = left;
        }
    };
    let named: Vec<CameraModel> = e
        .imu_models
        .iter()
        .filter_map(|m| CameraModel::from_imu_model(m))
        .collect();
    if let (Some(&model), Some(text)) = (named.first(), e.imu_models.first()) {
        narrow(
            &|m| m == model,
            format!("the .imu sidecar headers name the camera {text}"),
        );
    }
    if e.events > 0 {
        narrow(
            &|m| m.facts().writes_events,
            format!(
                "{} SOS event clip(s) in the sos folder: of these models only N1 records events",
                e.events
            ),
        );
    }
    if e.exfat {
        narrow(
            &|m| m.facts().exfat_on_large_cards,
            "the card is exFAT: of these models only N1 formats cards exFAT".to_string(),
        );
    }
    if e.with_mehd > 0 && e.without_mehd == 0 {
        narrow(
            &|m| m.facts().writes_mehd,
            format!(
                "{} fragmented clip(s) carry a mehd box: Beam 2K and Zero write one, N1 does not",
                e.with_mehd
            ),
        );
    } else if e.without_mehd > 0 && e.with_mehd == 0 {
        narrow(
            &|m| !m.facts().writes_mehd,
            format!(
                "{} fragmented clip(s) carry no mehd box: N1 writes none, Beam 2K and Zero do",
                e.without_mehd
            ),
        );
    }
    if e.second_segments > 0 {
        narrow(
            &|m| m.facts().dual_camera,
            format!(
                "{} clip(s) of a second (external) camera, B: Zero records its built-in camera only",
                e.second_segments
            ),
        );
    }
    FamilyCode::of_newer(&models).unwrap_or(FamilyCode::Beam2kZeroN1)
}

/// Longest median `sos` clip that still reads as NEXC1's 10-second parking clips.
const NEXC1_CLIP_MAX_S: f64 = 15.0;

/// Decides the family from what the catalog counted.
pub fn identify(e: &FamilyEvidence) -> Family {
    let segments = e.road_segments + e.cabin_segments;
    let mut evidence = Vec::new();
    let code = if e.newer_files > 0 {
        identify_newer(e, &mut evidence)
    } else if e.sos_clips > 0 {
        evidence.push(format!(
            "{} parking clip(s) kept apart in a sos folder, as NEXC1 and NEXS1 do",
            e.sos_clips
        ));
        match e.sos_median_s {
            Some(s) if s <= NEXC1_CLIP_MAX_S => {
                evidence.push(format!(
                    "sos clips last about {s:.0} s: NEXC1 records 10-second parking clips"
                ));
                FamilyCode::Nexc1
            }
            _ => FamilyCode::Nexc1Nexs1,
        }
    } else if e.x_clips > 0 {
        evidence.push(format!(
            "{} parking clip(s) named \"X\": only NEXC2 writes those",
            e.x_clips
        ));
        FamilyCode::Nexc2
    } else if e.u_clips > 0 && segments > 0 {
        evidence.push(format!(
            "{} parking clip(s) named \"U\" stored among {} drive segment(s), as Pro and Beam do (NEXC2 does too, but also writes \"X\" clips, and none are here)",
            e.u_clips, segments
        ));
        FamilyCode::ProBeam
    } else if segments > 0 {
        evidence.push(format!(
            "only drive segments ({segments}) and no parking clips: every Nexar card model records these, so the model cannot be told"
        ));
        FamilyCode::Unknown
    } else if e.u_clips > 0 {
        evidence.push(format!(
            "only parking clips ({}), no drive segments: too little to tell the model",
            e.u_clips
        ));
        FamilyCode::Unknown
    } else {
        evidence.push("no Nexar recordings found on this card".to_string());
        FamilyCode::Unknown
    };
    if e.cabin_segments > 0 {
        evidence.push(format!(
            "{} cabin (internal camera) segment(s): a dual-camera model",
            e.cabin_segments
        ));
    }
    let name = code.name();
    let mut notes = vec![
        "Nexar One keeps its footage in built-in memory with no direct access: only the Nexar app shows it, so it has no card to open here.".to_string(),
    ];
    match code {
        FamilyCode::Nexc2 => notes.push(
            "NEXC2 records to built-in memory, read through the Nexar Memory Card Reader, and overwrites it like a card."
                .to_string(),
        ),
        FamilyCode::Nexc1 | FamilyCode::Nexc1Nexs1 => notes.push(
            "Parking clips in the sos folder are overwritten separately: the oldest are deleted when that folder is full, whatever the drives do."
                .to_string(),
        ),
        FamilyCode::ProBeam => notes.push(
            "Parking clips share the drive folder and are overwritten by the same loop as drives."
                .to_string(),
        ),
        FamilyCode::Unknown => {}
        _ => {
            notes.push(
                "The camera deletes the oldest clips in the video folder, each with its sidecars, until 3 GiB of the card are free; clips locked in the app (read-only) are never deleted."
                    .to_string(),
            );
            notes.push(
                "The sos and photo folders are never cleaned: what they hold stays until removed by hand, and leaves less room for the loop as it grows."
                    .to_string(),
            );
        }
    }
    Family {
        name: name.to_string(),
        code,
        evidence,
        dual_camera: e.cabin_segments > 0 || e.second_segments > 0,
        parking_clip_s: code.parking_clip_s(),
        footage_elsewhere: vec![
            "Clips of irregular events (impacts, incidents) are also backed up to the Nexar Cloud.".to_string(),
            "Full drives go to the Nexar Cloud as timelapse on Pro, Beam, NEXC1, NEXC2 and NEXS1.".to_string(),
            "The Nexar app keeps drives on the phone in up to 50% of its storage, newest replacing oldest.".to_string(),
        ],
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_family_is_told_by_its_own_evidence() {
        let sos = FamilyEvidence {
            sos_clips: 4,
            sos_median_s: Some(10.0),
            road_segments: 9,
            ..Default::default()
        };
        assert_eq!(identify(&sos).code, FamilyCode::Nexc1);
        assert_eq!(identify(&sos).parking_clip_s, 10.0);
        let sos30 = FamilyEvidence {
            sos_median_s: Some(30.0),
            ..sos.clone()
        };
        assert_eq!(identify(&sos30).code, FamilyCode::Nexc1Nexs1);
        let x = FamilyEvidence {
            x_clips: 1,
            u_clips: 3,
            road_segments: 2,
            ..Default::default()
        };
        assert_eq!(identify(&x).code, FamilyCode::Nexc2);
        let u = FamilyEvidence {
            u_clips: 3,
            road_segments: 2,
            cabin_segments: 2,
            ..Default::default()
        };
        let pro = identify(&u);
        assert_eq!(pro.code, FamilyCode::ProBeam);
        assert!(pro.dual_camera);
        assert!(pro.evidence.iter().any(|e| e.contains("cabin")));
    }

    #[test]
    fn the_newer_generation_is_narrowed_by_the_firmwares_differences() {
        let base = FamilyEvidence {
            newer_files: 40,
            road_segments: 20,
            sidecars: 60,
            ..Default::default()
        };
        assert_eq!(identify(&base).code, FamilyCode::Beam2kZeroN1);
        assert_eq!(identify(&base).name, "Nexar Beam 2K, Zero or N1");
        let mehd = FamilyEvidence {
            with_mehd: 20,
            ..base.clone()
        };
        assert_eq!(identify(&mehd).code, FamilyCode::Beam2kZero);
        let mehd_second = FamilyEvidence {
            second_segments: 5,
            ..mehd.clone()
        };
        let f = identify(&mehd_second);
        assert_eq!(f.code, FamilyCode::Beam2k);
        assert!(f.dual_camera);
        let events = FamilyEvidence {
            events: 2,
            without_mehd: 20,
            ..base.clone()
        };
        assert_eq!(identify(&events).code, FamilyCode::N1);
        let named = FamilyEvidence {
            imu_models: vec!["NEXAR_Zero".to_string()],
            ..base.clone()
        };
        assert_eq!(identify(&named).code, FamilyCode::Zero);
        // Contradictory evidence: the rule that would leave nothing is noted, not applied.
        let odd = FamilyEvidence {
            events: 1,
            with_mehd: 3,
            ..base.clone()
        };
        let f = identify(&odd);
        assert_eq!(f.code, FamilyCode::N1);
        assert!(f.evidence.iter().any(|e| e.contains("rules that out")));
        assert!(f.notes.iter().any(|n| n.contains("never cleaned")));
        assert!(FamilyCode::N1.newer() && !FamilyCode::ProBeam.newer());
        assert_eq!(FamilyCode::Zero.reserve_bytes(), 3_221_225_472);
        assert_eq!(FamilyCode::Unknown.reserve_bytes(), 0);
    }

    #[test]
    fn thin_evidence_says_unknown_and_why() {
        let drives_only = FamilyEvidence {
            road_segments: 20,
            ..Default::default()
        };
        let f = identify(&drives_only);
        assert_eq!(f.code, FamilyCode::Unknown);
        assert!(f.evidence[0].contains("cannot be told"));
        assert_eq!(identify(&FamilyEvidence::default()).name, "unknown");
        assert!(f.notes[0].contains("Nexar One"));
    }
}
