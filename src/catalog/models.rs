//! What each Nexar camera model does with its card (DEVELOPERS.md, "What Nexar cameras do"):
//! one table that the catalog reads to interpret a card and the camera simulation reads to
//! write one, so the two can only agree.

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
}

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
}

impl CameraModel {
    /// Every model, in the order the README lists them.
    pub const ALL: [CameraModel; 5] = [
        CameraModel::Pro,
        CameraModel::Beam,
        CameraModel::Nexc1,
        CameraModel::Nexs1,
        CameraModel::Nexc2,
    ];

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
        }
    }

    /// Parses "pro", "beam", "nexc1", "nexs1", "nexc2" (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "pro" => Some(Self::Pro),
            "beam" => Some(Self::Beam),
            "nexc1" => Some(Self::Nexc1),
            "nexs1" => Some(Self::Nexs1),
            "nexc2" => Some(Self::Nexc2),
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
}
