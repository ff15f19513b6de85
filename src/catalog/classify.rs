//! What a file is, from its name and folder: a drive segment of the road, cabin or second
//! camera, a parking incident, an SOS event, a photo, a clip's sidecar, or anything else.
//!
//! First generation: Nexar names recordings with a one-character suffix on the stem: `1`/`A`
//! road, `2`/`B` cabin (internal) camera, `U`/`X` parking incident. Only video files are
//! recordings; everything else (logs, settings, thumbnails) is listed as "other" and never
//! guessed at. Recordings under a folder named `sos` (any case, any depth) are the NEXC1/NEXS1
//! parking pool, which the camera overwrites on its own; every other recording is in the loop
//! pool.
//!
//! Newer generation (Beam 2K, Zero, N1; `AmbaDCF_Dashcam.c:972-1012`): directly under the root,
//! `video/YYYYMMDD_HHMMSS{A|B}.mp4` (the loop), `sos/YYYYMMDD_HHMMSS{A|B}_SOS.mp4` (events),
//! `photo/YYYYMMDD_HHMMSS{A|B}.jpg`, and beside each clip `.thumb/<stem>_net.jpg`,
//! `.imu/<stem>.dat` and `.gnss/<stem>.txt`. The stamp is UTC and the letter follows it with no
//! separator: `A` the built-in (road) camera, `B` the external plug-in camera, whose facing is
//! not recorded (the "second" camera). `C` and `D` name the secondary streams, which the
//! firmware never writes to a file: such files are listed as "other".

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
    /// An SOS event clip (newer cameras' `/sos`).
    Event,
    /// A still photo (newer cameras' `/photo`).
    Photo,
    /// A clip's thumbnail, motion log or GNSS log (newer cameras).
    Sidecar,
    /// Anything else: listed, not interpreted.
    #[default]
    Other,
}

impl FileKind {
    /// A video recording: what the loop and the incident lists are made of.
    pub fn is_recording(self) -> bool {
        matches!(self, FileKind::Drive | FileKind::Parking | FileKind::Event)
    }
}

/// Which camera of a drive recorded a segment.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Camera {
    /// The road-facing camera (suffix `1` or `A`).
    Road,
    /// The internal, cabin-facing camera (suffix `2` or `B`, first generation).
    Cabin,
    /// The newer cameras' external plug-in camera (`B`): its facing is not recorded.
    Second,
}

impl Camera {
    /// "road", "cabin" or "second".
    pub fn name(self) -> &'static str {
        match self {
            Camera::Road => "road",
            Camera::Cabin => "cabin",
            Camera::Second => "second",
        }
    }
}

/// Which of a clip's sidecars a file is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum SidecarKind {
    /// `.thumb/<stem>_net.jpg`: a picture grabbed at the clip's start.
    Thumb,
    /// `.imu/<stem>.dat`: the motion log.
    Imu,
    /// `.gnss/<stem>.txt`: the GNSS log.
    Gnss,
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Named as the newer cameras name files: the stamp is UTC, not camera local time.
    pub utc_name: bool,
    /// For a sidecar: which one, and the path its clip has (or had).
    pub sidecar: Option<(SidecarKind, String)>,
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
    if let Some(newer) = classify_newer(path) {
        return newer;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let stamp = stamp_in_name(stem);
    let other = Classified {
        kind: FileKind::Other,
        camera: None,
        pool: None,
        suffix: None,
        stamp,
        utc_name: false,
        sidecar: None,
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
        utc_name: false,
        sidecar: None,
    }
}

/// `YYYYMMDD_HHMMSS` + one letter at the start of `stem`: the stamp and the letter, and what
/// follows them.
fn newer_stamp(stem: &str) -> Option<(NameStamp, char, &str)> {
    let stamp = stamp_in_name(stem).filter(|s| s.end == 15 && stem.get(8..9) == Some("_"))?;
    let letter = stem[15..].chars().next()?.to_ascii_uppercase();
    ('A'..='D')
        .contains(&letter)
        .then(|| (stamp, letter, &stem[16..]))
}

/// The newer cameras' layout (see the module docs), or `None` for any other path.
fn classify_newer(path: &str) -> Option<Classified> {
    let parts: Vec<&str> = path.split('/').collect();
    let top = parts.first()?.to_ascii_lowercase();
    if !matches!(top.as_str(), "video" | "sos" | "photo") {
        return None;
    }
    let name = parts.last()?;
    let (stem, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    let base = Classified {
        kind: FileKind::Other,
        camera: None,
        pool: None,
        suffix: None,
        stamp: None,
        utc_name: true,
        sidecar: None,
    };
    match parts.len() {
        2 => {
            let (stamp, letter, rest) = newer_stamp(stem)?;
            let camera = match letter {
                'A' => Camera::Road,
                'B' => Camera::Second,
                // Streams C and D: never written by the firmware; listed, not interpreted.
                _ => {
                    return Some(Classified {
                        stamp: Some(stamp),
                        suffix: Some(letter),
                        ..base
                    });
                }
            };
            let (kind, pool) = match (top.as_str(), ext.as_str(), rest) {
                ("video", "mp4", "") => (FileKind::Drive, Some(Pool::Loop)),
                ("sos", "mp4", r) if r.eq_ignore_ascii_case("_SOS") => {
                    (FileKind::Event, Some(Pool::Sos))
                }
                ("photo", "jpg", "") => (FileKind::Photo, None),
                _ => return None,
            };
            Some(Classified {
                kind,
                camera: Some(camera),
                pool,
                suffix: Some(letter),
                stamp: Some(stamp),
                ..base
            })
        }
        3 => {
            let folder = parts[1].to_ascii_lowercase();
            let (sidecar, clip_stem) = match (folder.as_str(), ext.as_str()) {
                (".thumb", "jpg") => {
                    let cut = stem.len().checked_sub(4)?;
                    let (clip, suffix) = (stem.get(..cut)?, stem.get(cut..)?);
                    suffix
                        .eq_ignore_ascii_case("_net")
                        .then_some((SidecarKind::Thumb, clip))?
                }
                (".imu", "dat") => (SidecarKind::Imu, stem),
                (".gnss", "txt") => (SidecarKind::Gnss, stem),
                _ => return None,
            };
            let (stamp, _, rest) = newer_stamp(clip_stem)?;
            let own_rest = match top.as_str() {
                "video" => rest.is_empty(),
                "sos" => rest.eq_ignore_ascii_case("_SOS"),
                _ => false,
            };
            if !own_rest {
                return None;
            }
            Some(Classified {
                kind: FileKind::Sidecar,
                stamp: Some(stamp),
                sidecar: Some((sidecar, format!("{}/{clip_stem}.mp4", parts[0]))),
                ..base
            })
        }
        _ => None,
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

    #[test]
    fn the_newer_layout_has_events_photos_sidecars_and_a_second_camera() {
        use Camera::*;
        use FileKind::*;
        let c = classify("video/20241012_075700A.mp4");
        assert_eq!(
            (c.kind, c.camera, c.pool),
            (Drive, Some(Road), Some(Pool::Loop))
        );
        assert!(c.utc_name);
        assert_eq!(
            kind("video/20241012_075700B.mp4"),
            (Drive, Some(Second), Some(Pool::Loop))
        );
        assert_eq!(
            kind("sos/20241012_075700A_SOS.mp4"),
            (Event, Some(Road), Some(Pool::Sos))
        );
        assert_eq!(
            kind("photo/20241012_075700B.jpg"),
            (Photo, Some(Second), None)
        );
        for (path, side) in [
            ("video/.thumb/20241012_075700A_net.jpg", SidecarKind::Thumb),
            ("video/.imu/20241012_075700A.dat", SidecarKind::Imu),
            ("video/.gnss/20241012_075700A.txt", SidecarKind::Gnss),
        ] {
            let c = classify(path);
            assert_eq!(c.kind, Sidecar, "{path}");
            assert_eq!(
                c.sidecar,
                Some((side, "video/20241012_075700A.mp4".to_string()))
            );
        }
        // An event gets a thumbnail only, named after the event.
        assert_eq!(
            classify("sos/.thumb/20241012_075700A_SOS_net.jpg").sidecar,
            Some((
                SidecarKind::Thumb,
                "sos/20241012_075700A_SOS.mp4".to_string()
            ))
        );
        assert_eq!(classify("video/.imu/20241012_075700A_SOS.dat").kind, Other);
        // Streams C and D are listed, not interpreted; wrong places and names fall through.
        assert_eq!(kind("video/20241012_075700C.mp4"), (Other, None, None));
        assert_eq!(kind("video/x/20241012_075700A.mp4").0, Drive);
        assert!(!classify("video/x/20241012_075700A.mp4").utc_name);
        assert_eq!(kind("photo/20241012_075700A.mp4").0, Drive);
        // The first generation is untouched, sos folder included.
        assert_eq!(
            kind("sos/20241012_075700_U.mp4"),
            (Parking, None, Some(Pool::Sos))
        );
        assert_eq!(
            kind("DCIM/241012_075700_B.MP4"),
            (Drive, Some(Cabin), Some(Pool::Loop))
        );
    }
}
