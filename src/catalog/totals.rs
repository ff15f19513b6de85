//! What the card holds, summed: bytes and counts by kind, the span of dates, and the problems
//! worth a line in a summary. Small enough to travel ahead of the file list, so a view can
//! show the card before its tens of thousands of files arrive.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::CatalogFile;
use super::classify::{Camera, FileKind, Pool};
use crate::listing::ListedFile;

/// Sums over the card's files.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    /// Bytes of live road-camera segments.
    pub road_bytes: u64,
    /// Bytes of live cabin-camera segments.
    pub cabin_bytes: u64,
    /// Bytes of live second-camera segments (newer cameras' external camera).
    pub second_bytes: u64,
    /// Bytes of live parking clips in the loop pool.
    pub parking_loop_bytes: u64,
    /// Bytes of live recordings in the sos pool.
    pub sos_bytes: u64,
    /// Bytes of live photos.
    pub photo_bytes: u64,
    /// Bytes of live sidecars (thumbnails, motion and GNSS logs).
    pub sidecar_bytes: u64,
    /// Bytes of live files that are none of these.
    pub other_bytes: u64,
    /// Live files.
    pub live_files: u64,
    /// Live recordings (drive segments, parking clips and events).
    pub recordings: u64,
    /// Live recordings locked (read-only): the newer cameras never delete them.
    pub locked_recordings: u64,
    /// Recordings the camera encrypted, and of those, the ones no key at hand opens.
    pub encrypted_recordings: u64,
    /// See `encrypted_recordings`.
    pub encrypted_without_key: u64,
    /// Deleted entries.
    pub deleted_files: u64,
    /// Deleted entries whose bytes can still be read back.
    pub recoverable_files: u64,
    /// Live recordings stored in more than one run of clusters.
    pub fragmented_recordings: u64,
    /// Files (live or deleted) with a problem noted.
    pub files_with_warnings: u64,
    /// Files whose size or header duration cannot be true: listed with a warning, left out of
    /// every sum here and of the estimate.
    #[serde(default)]
    pub excluded_files: u64,
    /// Start of the oldest live recording.
    pub first_start: Option<NaiveDateTime>,
    /// Start of the newest live recording.
    pub last_start: Option<NaiveDateTime>,
}

/// Sums the listed files with their classification (`classified` is parallel to `listed`).
pub fn sum(listed: &[ListedFile], classified: &[CatalogFile]) -> Totals {
    let mut t = Totals::default();
    for (l, f) in listed.iter().zip(classified) {
        if !l.warnings.is_empty() || f.excluded.is_some() {
            t.files_with_warnings += 1;
        }
        if f.excluded.is_some() {
            t.excluded_files += 1;
        }
        if l.deleted {
            t.deleted_files += 1;
            if l.recoverable == Some(true) {
                t.recoverable_files += 1;
            }
            continue;
        }
        t.live_files += 1;
        if f.excluded.is_some() {
            continue;
        }
        let slot = match (f.kind, f.camera, f.pool) {
            (FileKind::Other, _, _) => &mut t.other_bytes,
            (FileKind::Photo, _, _) => &mut t.photo_bytes,
            (FileKind::Sidecar, _, _) => &mut t.sidecar_bytes,
            (_, _, Some(Pool::Sos)) => &mut t.sos_bytes,
            (FileKind::Drive, Some(Camera::Cabin), _) => &mut t.cabin_bytes,
            (FileKind::Drive, Some(Camera::Second), _) => &mut t.second_bytes,
            (FileKind::Drive | FileKind::Event, _, _) => &mut t.road_bytes,
            (FileKind::Parking, _, _) => &mut t.parking_loop_bytes,
        };
        *slot = slot.saturating_add(l.bytes);
        if !f.kind.is_recording() {
            continue;
        }
        t.recordings += 1;
        t.locked_recordings += u64::from(l.read_only);
        if let Some(e) = f.encrypted {
            t.encrypted_recordings += 1;
            t.encrypted_without_key += u64::from(e == super::encryption::Encrypted::KeyNeeded);
        }
        if l.fragments > 1 {
            t.fragmented_recordings += 1;
        }
        if let Some(start) = f.start {
            t.first_start = Some(t.first_start.map_or(start, |s| s.min(start)));
            t.last_start = Some(t.last_start.map_or(start, |s| s.max(start)));
        }
    }
    t
}
