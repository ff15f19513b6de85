//! What a file is, from its name and folder: a drive segment of the road or cabin camera, a
//! parking incident, or anything else.
//!
//! Nexar names recordings with a one-character suffix on the stem: `1`/`A` road, `2`/`B` cabin
//! (internal) camera, `U`/`X` parking incident. Only video files are recordings; everything else
//! (logs, settings, thumbnails) is listed as "other" and never guessed at. Recordings under a
//! folder named `sos` (any case, any depth) are the NEXC1/NEXS1 parking pool, which the camera
//! overwrites on its own; every other recording is in the loop pool.

use serde::{Deserialize, Serialize};

use super::name_time::{NameStamp, stamp_in_name};

/// What a file is to a Nexar owner.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A segment of a drive recording.
    Drive,
    /// A clip recorded on impact or movement while parked.
    Parking,
    /// Anything else: listed, not interpreted.
    #[default]
    Other,
}

/// Which camera of a drive recorded a segment.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Camera {
    /// The road-facing camera (suffix `1` or `A`).
    Road,
    /// The internal, cabin-facing camera (suffix `2` or `B`).
    Cabin,
}

/// Which overwrite queue a recording is in.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Pool {
    /// Drive recordings (and, on Pro/Beam/NEXC2, parking clips): oldest overwritten first.
    Loop,
    /// The `sos` folder of NEXC1/NEXS1: parking clips, deleted oldest first when it is full.
    Sos,
}

/// What [`classify`] concludes about one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Classified {
    /// Drive, parking or other.
    pub kind: FileKind,
    /// Road or cabin for drive segments.
    pub camera: Option<Camera>,
    /// The overwrite queue, for recordings.
    pub pool: Option<Pool>,
    /// The suffix letter as written (upper case), for recordings: tells `U` from `X`.
    pub suffix: Option<char>,
    /// The start time in the name, if any.
    pub stamp: Option<NameStamp>,
}

/// Extensions of the video files a dash cam records.
const VIDEO_EXTENSIONS: &[&str] = &["mp4", "mov", "m4v", "3gp", "avi", "ts", "mkv"];

/// True when `path` names a video file by its extension.
pub fn is_recording_extension(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| VIDEO_EXTENSIONS.iter().any(|v| v.eq_ignore_ascii_case(ext)))
}

/// True when a folder on the way to the file is named `sos`, in any case.
pub fn in_sos_folder(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.iter().any(|p| p.eq_ignore_ascii_case("sos"))
}

/// Classifies one file by its "/"-separated path.
pub fn classify(path: &str) -> Classified {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stamp = stamp_in_name(stem);
    let other = Classified {
        kind: FileKind::Other,
        camera: None,
        pool: None,
        suffix: None,
        stamp,
    };
    if !is_recording_extension(path) {
        return other;
    }
    // The suffix is the stem's last character, unless that character is the stamp's own last
    // digit ("20241012_075701" has no camera suffix).
    let Some(last) = stem.chars().last() else {
        return other;
    };
    if stamp.is_some_and(|s| s.end >= stem.len()) {
        return other;
    }
    let suffix = last.to_ascii_uppercase();
    let (kind, camera) = match suffix {
        '1' | 'A' => (FileKind::Drive, Some(Camera::Road)),
        '2' | 'B' => (FileKind::Drive, Some(Camera::Cabin)),
        'U' | 'X' => (FileKind::Parking, None),
        _ => return other,
    };
    let pool = if in_sos_folder(path) {
        Pool::Sos
    } else {
        Pool::Loop
    };
    Classified {
        kind,
        camera,
        pool: Some(pool),
        suffix: Some(suffix),
        stamp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &str) -> (FileKind, Option<Camera>, Option<Pool>) {
        let c = classify(path);
        (c.kind, c.camera, c.pool)
    }

    #[test]
    fn suffixes_name_the_camera_or_a_parking_clip_in_any_case() {
        use Camera::*;
        use FileKind::*;
        let l = Some(Pool::Loop);
        assert_eq!(kind("Movie/20241012_075700_1.MP4"), (Drive, Some(Road), l));
        assert_eq!(kind("Movie/20241012_075700_2.mp4"), (Drive, Some(Cabin), l));
        assert_eq!(kind("Movie/20241012_075700a.mov"), (Drive, Some(Road), l));
        assert_eq!(kind("Movie/20241012_075700_B.MP4"), (Drive, Some(Cabin), l));
        assert_eq!(kind("Movie/20241012_075700_u.mp4"), (Parking, None, l));
        assert_eq!(kind("Movie/20241012_075700_X.mp4"), (Parking, None, l));
        assert_eq!(
            kind("A/SOS/20241012_075700_U.mp4"),
            (Parking, None, Some(Pool::Sos))
        );
        assert_eq!(classify("Movie/x_X.MP4").suffix, Some('X'));
    }

    #[test]
    fn everything_else_is_other_and_never_guessed_at() {
        for path in [
            "LOG.TXT",
            "Movie/20241012_075700_1.jpg",
            "Movie/20241012_075701.mp4",
            "Movie/20241012_075700_Z.mp4",
            "Movie/.mp4",
            "sos",
            "Movie/20241012_075700_1",
        ] {
            assert_eq!(kind(path), (FileKind::Other, None, None), "{path}");
        }
        // A file named sos is not a folder named sos.
        assert!(!in_sos_folder("Movie/sos"));
        assert!(in_sos_folder("x/Sos/y/clip_U.mp4"));
    }
}
