//! Drives: consecutive segments of the road and cabin cameras, each starting within a few
//! minutes of the previous one's end. Road and cabin segments of the same moments interleave in
//! time, so grouping all cameras together in start order puts them in the same drive.
//!
//! Whether the loop has eaten the oldest drive's beginning is told here only from what the card
//! shows — deleted recordings reaching into it; when none survive to tell, the estimate decides
//! from how full the card is.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::classify::{Camera, Pool};
use super::timing::{MAX_BELIEVED_SECONDS, after};

/// A segment starting later than this after the drive's end so far begins a new drive.
pub const DRIVE_GAP_SECONDS: i64 = 5 * 60;

/// One drive.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Drive {
    /// When its first segment started (camera local time).
    pub start: NaiveDateTime,
    /// When its last segment ended, as far as durations are known.
    pub end: NaiveDateTime,
    /// `end - start`, in seconds.
    pub duration_s: f64,
    /// Number of segments, all cameras together.
    pub segments: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Cameras that recorded it ("road", "cabin").
    pub cameras: Vec<Camera>,
    /// Indices (in the listing) of its segments, oldest first.
    pub files: Vec<usize>,
    /// For the oldest drive: deleted loop recordings that reach into it or end just before
    /// it, in words — the card's own evidence that its beginning is overwritten.
    pub deleted_evidence: Option<String>,
}

/// A drive segment as the grouping needs it.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    /// Index of the file in the listing.
    pub file: usize,
    /// Start time.
    pub start: NaiveDateTime,
    /// Length in seconds, when known.
    pub duration_s: Option<f64>,
    /// Which camera.
    pub camera: Camera,
    /// Size in bytes.
    pub bytes: u64,
}

impl Segment {
    fn end(&self) -> NaiveDateTime {
        after(self.start, self.duration_s.unwrap_or(0.0))
    }
}

/// Groups live segments into drives, oldest first, each with its segments' indices.
pub fn group(mut segments: Vec<Segment>) -> Vec<Drive> {
    crate::sort::sort_by_key(&mut segments, |s| (s.start, s.camera, s.file));
    let gap = Duration::seconds(DRIVE_GAP_SECONDS);
    let mut drives: Vec<Drive> = Vec::new();
    for s in segments {
        match drives.last_mut() {
            Some(d) if s.start <= d.end.checked_add_signed(gap).unwrap_or(d.end) => {
                d.end = d.end.max(s.end());
                d.segments += 1;
                d.bytes = d.bytes.saturating_add(s.bytes);
                if !d.cameras.contains(&s.camera) {
                    d.cameras.push(s.camera);
                    crate::sort::sort(&mut d.cameras);
                }
                d.files.push(s.file);
            }
            _ => drives.push(Drive {
                start: s.start,
                end: s.end(),
                duration_s: 0.0,
                segments: 1,
                bytes: s.bytes,
                cameras: vec![s.camera],
                files: vec![s.file],
                deleted_evidence: None,
            }),
        }
    }
    for d in &mut drives {
        d.duration_s = (d.end - d.start).num_milliseconds() as f64 / 1000.0;
    }
    drives
}

/// A deleted recording, as evidence that the loop reached a drive.
#[derive(Clone, Copy, Debug)]
pub struct DeletedRecording {
    /// Start time.
    pub start: NaiveDateTime,
    /// Length in seconds, when known.
    pub duration_s: Option<f64>,
    /// Its pool.
    pub pool: Pool,
}

/// Notes on each drive the deleted loop-pool recordings that reach into it (or end just before
/// it): the loop has eaten its beginning. That is the oldest drive; on the newer cameras also
/// older drives of which only locked clips survive, where the deleted ones can follow them.
pub fn note_deleted_evidence(drives: &mut [Drive], deleted: &[DeletedRecording]) {
    let gap = Duration::seconds(DRIVE_GAP_SECONDS);
    // Each loop recording's start and how far it reaches (its end plus the gap), sorted by
    // start: a card has thousands of deleted recordings and hundreds of drives, and each drive
    // looks only at those that start within a day of it (a recording is believed to last at
    // most MAX_BELIEVED_SECONDS), instead of computing every end again for every drive.
    let mut loop_recordings: Vec<(NaiveDateTime, NaiveDateTime)> = deleted
        .iter()
        .filter(|d| d.pool == Pool::Loop)
        .map(|d| {
            let end = after(d.start, d.duration_s.unwrap_or(0.0));
            (d.start, end.checked_add_signed(gap).unwrap_or(end))
        })
        .collect();
    crate::sort::sort(&mut loop_recordings);
    let longest = Duration::seconds(MAX_BELIEVED_SECONDS as i64) + gap;
    for drive in drives.iter_mut() {
        let horizon = drive.end.checked_add_signed(gap).unwrap_or(drive.end);
        let earliest = drive
            .start
            .checked_sub_signed(longest)
            .unwrap_or(NaiveDateTime::MIN);
        let from = loop_recordings.partition_point(|r| r.0 < earliest);
        let to = loop_recordings.partition_point(|r| r.0 <= horizon.max(drive.end));
        let near = loop_recordings
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .filter(|r| r.1 >= drive.start);
        let (mut reaching, mut following) = (0usize, 0usize);
        for &(start, _) in near {
            if start <= drive.end {
                reaching += 1;
            } else if start <= horizon {
                following += 1;
            }
        }
        drive.deleted_evidence = match (reaching, following) {
            (0, 0) => None,
            (n, 0) => Some(format!(
                "{n} deleted recording(s) from just before or within this drive: the loop has overwritten its beginning"
            )),
            (n, m) => Some(format!(
                "{} deleted recording(s) from just before, within or just after this drive: the loop has overwritten part of it",
                n + m
            )),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2024, 10, 12)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .unwrap()
    }

    fn seg(file: usize, start: NaiveDateTime, camera: Camera) -> Segment {
        Segment {
            file,
            start,
            duration_s: Some(60.0),
            camera,
            bytes: 100,
        }
    }

    #[test]
    fn road_and_cabin_of_the_same_minutes_make_one_drive_and_a_pause_splits() {
        let segs = vec![
            seg(0, at(7, 57, 0), Camera::Road),
            seg(1, at(7, 57, 0), Camera::Cabin),
            seg(2, at(7, 58, 0), Camera::Road),
            seg(3, at(7, 58, 1), Camera::Cabin),
            // 4 minutes after the end: same drive (a stop at a light, a restart).
            seg(4, at(8, 3, 0), Camera::Road),
            // An hour later: a new drive.
            seg(5, at(9, 10, 0), Camera::Road),
        ];
        let drives = group(segs);
        assert_eq!(drives.len(), 2);
        let first = &drives[0];
        let files = &first.files;
        assert_eq!(first.start, at(7, 57, 0));
        assert_eq!(first.end, at(8, 4, 0));
        assert_eq!(first.duration_s, 420.0);
        assert_eq!(first.segments, 5);
        assert_eq!(first.bytes, 500);
        assert_eq!(first.cameras, vec![Camera::Road, Camera::Cabin]);
        assert_eq!(files.len(), 5);
        assert_eq!(drives[1].cameras, vec![Camera::Road]);
    }

    #[test]
    fn a_drive_gets_evidence_only_from_recordings_that_reach_it() {
        let mut drives = group(vec![
            seg(0, at(7, 0, 0), Camera::Road),
            seg(1, at(9, 0, 0), Camera::Road),
        ]);
        let long_ago = DeletedRecording {
            start: at(5, 0, 0),
            duration_s: Some(60.0),
            pool: Pool::Loop,
        };
        note_deleted_evidence(&mut drives, &[long_ago]);
        assert!(
            drives[0].deleted_evidence.is_none(),
            "a whole earlier drive was eaten, not this one"
        );
        let just_before = DeletedRecording {
            start: at(6, 59, 0),
            ..long_ago
        };
        let in_sos = DeletedRecording {
            pool: Pool::Sos,
            ..just_before
        };
        note_deleted_evidence(&mut drives, &[in_sos]);
        assert!(
            drives[0].deleted_evidence.is_none(),
            "the sos folder is not the loop"
        );
        note_deleted_evidence(&mut drives, &[just_before]);
        assert!(drives[0].deleted_evidence.is_some());
        assert!(drives[1].deleted_evidence.is_none());
        // Deleted right after a drive (its locked first clip survived the rest): part of it.
        let just_after = DeletedRecording {
            start: at(7, 3, 0),
            ..long_ago
        };
        note_deleted_evidence(&mut drives, &[just_after]);
        assert!(
            drives[0]
                .deleted_evidence
                .as_deref()
                .unwrap()
                .contains("part of it")
        );
        assert!(drives[1].deleted_evidence.is_none());
    }
}
