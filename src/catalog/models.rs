//! What each Nexar camera model does with its card: one table that the catalog reads to
//! interpret a card and the camera simulation reads to write one, so the two can only agree.
//!
//! The first generation (Pro, Beam, NEXC1, NEXS1, NEXC2) follows Nexar's help article
//! (DEVELOPERS.md, "What Nexar cameras do"). The newer one (Beam 2K, Zero, N1) follows the
//! public firmware source (aoni-dvr/nexar_82001, boards D080, D081 and D161; the fact sheet in
//! `shared/reference/nexar-firmware.md` cites each line): UTC names in `/video` and `/sos`,
//! fragmented MP4, sidecars, and a loop that keeps 3 GiB free.

use serde::{Deserialize, Serialize};

/// The Nexar models that record to a card (or to memory read like one).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum CameraModel {
    /// Nexar Pro: road + cabin, parking `U` in the drive folder.
    Pro,
    /// Nexar Beam: road only, parking `U` in the drive folder.
    Beam,
    /// NEXC1: road + cabin, 10-second parking clips in `sos`.
    Nexc1,
    /// NEXS1: road only, 30-second parking clips in `sos`.
    Nexs1,
    /// NEXC2: road + cabin (`A`/`B`), parking `U` (movement) and `X` (impact).
    Nexc2,
    /// Nexar Beam 2K (board D080): built-in camera `A`, optional external camera `B`.
    Beam2k,
    /// Nexar Zero (board D081): the built-in camera only.
    Zero,
    /// Nexar N1 (boards D161, D161V2): like Beam 2K, plus SOS event clips and exFAT on large
    /// cards.
    N1,
}

/// 3 GiB: what the newer cameras keep free (`SD_FREE_SPACE_THRESOLD`, SvcRecMain.c:1119).
pub const NEWER_RESERVE_BYTES: u64 = 3 * 1024 * 1024 * 1024;

/// Cards up to this size are formatted FAT32; N1 formats larger ones exFAT
/// (AmbaFS_Format.c:1172-1312: 32,895 MB).
pub const FAT32_UP_TO_BYTES: u64 = 32_895 * 1024 * 1024;

/// The facts of one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelFacts {
    /// The model's name.
    pub name: &'static str,
    /// Records the cabin (internal camera) as well as the road.
    pub dual_camera: bool,
    /// Keeps parking clips apart, in a `sos` folder with its own limit.
    pub sos_folder: bool,
    /// Length of a parking clip, in seconds.
    pub parking_clip_s: u32,
    /// Suffix of road-camera segments.
    pub road_suffix: char,
    /// Suffix of cabin-camera segments.
    pub cabin_suffix: char,
    /// Suffix of parking clips recorded on movement.
    pub parking_suffix: char,
    /// Suffix of parking clips recorded on impact, when the model tells them apart.
    pub impact_suffix: Option<char>,
    /// Writes parking clips at all (the newer cameras store a parking level only).
    pub parking_clips: bool,
    /// The newer generation: `/video`, `/sos`, `/photo`, UTC names, fragmented MP4, sidecars.
    pub newer: bool,
    /// Space the loop keeps free: it deletes the oldest clip until this much is free.
    pub reserve_bytes: u64,
    /// Writes a `mehd` box into each fragmented clip (patched with its length at close).
    pub writes_mehd: bool,
    /// Records SOS event clips into `/sos`.
    pub writes_events: bool,
    /// Formats cards over [`FAT32_UP_TO_BYTES`] as exFAT.
    pub exfat_on_large_cards: bool,
    /// The model as the `.imu` sidecar header's `device=` names it.
    pub imu_model: Option<&'static str>,
}

impl CameraModel {
    /// Every first-generation model, in the order the README lists them.
    pub const ALL: [CameraModel; 5] = [
        CameraModel::Pro,
        CameraModel::Beam,
        CameraModel::Nexc1,
        CameraModel::Nexs1,
        CameraModel::Nexc2,
    ];

    /// The newer generation.
    pub const NEWER: [CameraModel; 3] = [CameraModel::Beam2k, CameraModel::Zero, CameraModel::N1];

    /// The model's facts.
    pub const fn facts(self) -> ModelFacts {
        let base = ModelFacts {
            name: "Nexar Pro",
            dual_camera: true,
            sos_folder: false,
            parking_clip_s: 30,
            road_suffix: '1',
            cabin_suffix: '2',
            parking_suffix: 'U',
            impact_suffix: None,
            parking_clips: true,
            newer: false,
            reserve_bytes: 0,
            writes_mehd: false,
            writes_events: false,
            exfat_on_large_cards: false,
            imu_model: None,
        };
        let newer = ModelFacts {
            name: "Nexar Beam 2K",
            dual_camera: true,
            parking_clip_s: 0,
            road_suffix: 'A',
            cabin_suffix: 'B',
            parking_clips: false,
            newer: true,
            reserve_bytes: NEWER_RESERVE_BYTES,
            writes_mehd: true,
            imu_model: Some("NEXAR_BEAM2K"),
            ..base
        };
        match self {
            CameraModel::Pro => base,
            CameraModel::Beam => ModelFacts {
                name: "Nexar Beam",
                dual_camera: false,
                ..base
            },
            CameraModel::Nexc1 => ModelFacts {
                name: "NEXC1",
                sos_folder: true,
                parking_clip_s: 10,
                ..base
            },
            CameraModel::Nexs1 => ModelFacts {
                name: "NEXS1",
                dual_camera: false,
                sos_folder: true,
                ..base
            },
            CameraModel::Nexc2 => ModelFacts {
                name: "NEXC2",
                road_suffix: 'A',
                cabin_suffix: 'B',
                impact_suffix: Some('X'),
                ..base
            },
            CameraModel::Beam2k => newer,
            CameraModel::Zero => ModelFacts {
                name: "Nexar Zero",
                dual_camera: false,
                imu_model: Some("NEXAR_Zero"),
                ..newer
            },
            CameraModel::N1 => ModelFacts {
                name: "Nexar N1",
                writes_mehd: false,
                writes_events: true,
                exfat_on_large_cards: true,
                imu_model: Some("NEXAR_N1"),
                ..newer
            },
        }
    }

    /// The newer model an `.imu` header's `device=` names (`NEXAR_N1V2` is an N1).
    pub fn from_imu_model(model: &str) -> Option<Self> {
        if model.to_ascii_uppercase().starts_with("NEXAR_N1") {
            return Some(Self::N1);
        }
        Self::NEWER.into_iter().find(|c| {
            c.facts()
                .imu_model
                .is_some_and(|name| name.eq_ignore_ascii_case(model))
        })
    }

    /// Parses "pro", "beam", "nexc1", "nexs1", "nexc2", "beam2k", "zero", "n1" (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "pro" => Some(Self::Pro),
            "beam" => Some(Self::Beam),
            "nexc1" => Some(Self::Nexc1),
            "nexs1" => Some(Self::Nexs1),
            "nexc2" => Some(Self::Nexc2),
            "beam2k" => Some(Self::Beam2k),
            "zero" => Some(Self::Zero),
            "n1" => Some(Self::N1),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_what_the_readme_says() {
        let dual: Vec<_> = CameraModel::ALL
            .iter()
            .filter(|m| m.facts().dual_camera)
            .collect();
        assert_eq!(
            dual,
            [&CameraModel::Pro, &CameraModel::Nexc1, &CameraModel::Nexc2]
        );
        let sos: Vec<_> = CameraModel::ALL
            .iter()
            .filter(|m| m.facts().sos_folder)
            .collect();
        assert_eq!(sos, [&CameraModel::Nexc1, &CameraModel::Nexs1]);
        assert_eq!(CameraModel::Nexc1.facts().parking_clip_s, 10);
        assert_eq!(CameraModel::parse("NEXC2"), Some(CameraModel::Nexc2));
        assert_eq!(CameraModel::parse("one"), None);
    }

    #[test]
    fn the_newer_models_follow_the_firmware() {
        use CameraModel::*;
        assert_eq!(CameraModel::parse("n1"), Some(N1));
        for m in CameraModel::NEWER {
            let f = m.facts();
            assert!(f.newer && !f.parking_clips);
            assert_eq!(f.reserve_bytes, 3_221_225_472);
            assert_eq!((f.road_suffix, f.cabin_suffix), ('A', 'B'));
        }
        // mehd on D080 and D081, not D161; events and exFAT on D161 only; D081 records A only.
        assert!(Beam2k.facts().writes_mehd && Zero.facts().writes_mehd && !N1.facts().writes_mehd);
        assert!(N1.facts().writes_events && !Beam2k.facts().writes_events);
        assert!(N1.facts().exfat_on_large_cards && !Zero.facts().exfat_on_large_cards);
        assert!(!Zero.facts().dual_camera && Beam2k.facts().dual_camera);
        assert_eq!(CameraModel::from_imu_model("NEXAR_BEAM2K"), Some(Beam2k));
        assert_eq!(CameraModel::from_imu_model("NEXAR_Zero"), Some(Zero));
        assert_eq!(CameraModel::from_imu_model("NEXAR_N1V2"), Some(N1));
        assert_eq!(CameraModel::from_imu_model("NEXAR_N1"), Some(N1));
        assert_eq!(CameraModel::from_imu_model("OTHER"), None);
    }
}
