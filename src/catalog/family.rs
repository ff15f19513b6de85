//! Which Nexar model wrote the card, with the evidence shown — or "unknown" when the evidence is
//! thin. The facts (DEVELOPERS.md, "What Nexar cameras do"):
//!
//! - NEXC1 and NEXS1 keep parking clips apart in a `sos` folder (10 s clips on NEXC1).
//! - NEXC2 names parking clips `U` or `X`; Pro and Beam only `U`, stored among drive segments.
//! - Cabin (internal camera) segments mean a dual-camera model.
//! - Nexar One has no card at all: only the app shows its footage.

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
            FamilyCode::Unknown => &CameraModel::ALL,
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
                _ => self.road_segments += 1,
            },
            (FileKind::Other, _) => {}
        }
    }
}

/// Longest median `sos` clip that still reads as NEXC1's 10-second parking clips.
const NEXC1_CLIP_MAX_S: f64 = 15.0;

/// Decides the family from what the catalog counted.
pub fn identify(e: &FamilyEvidence) -> Family {
    let segments = e.road_segments + e.cabin_segments;
    let mut evidence = Vec::new();
    let code = if e.sos_clips > 0 {
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
    let name = match code {
        FamilyCode::ProBeam => "Nexar Pro or Beam",
        FamilyCode::Nexc2 => "NEXC2",
        FamilyCode::Nexc1 => "NEXC1",
        FamilyCode::Nexc1Nexs1 => "NEXC1 or NEXS1",
        FamilyCode::Unknown => "unknown",
    };
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
    }
    Family {
        name: name.to_string(),
        code,
        evidence,
        dual_camera: e.cabin_segments > 0,
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
