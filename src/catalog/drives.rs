//! Drives: consecutive segments of the road and cabin cameras, each starting within a few
//! minutes of the previous one's end. Road and cabin segments of the same moments interleave in
//! time, so grouping all cameras together in start order puts them in the same drive.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::classify::{Camera, Pool};
use super::timing::after;

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
    /// True for the oldest drive when the loop has already overwritten its beginning.
    pub partly_overwritten: bool,
    /// Why it is flagged partly overwritten, in words; `null` when it is not.
    pub overwritten_evidence: Option<String>,
    /// More bytes written before its first segment is overwritten (from the estimate).
    pub overwrite_after_bytes: Option<u64>,
    /// The same in hours of driving.
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    pub overwrite_after_days: Option<f64>,
}

/// A drive segment as the grouping needs it.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    /// Index of the file in the report.
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

/// Groups live segments into drives, oldest first; returns the drives and, for each drive, the
/// report indices of its segments.
pub fn group(mut segments: Vec<Segment>) -> Vec<(Drive, Vec<usize>)> {
    segments.sort_by_key(|s| (s.start, s.camera, s.file));
    let gap = Duration::seconds(DRIVE_GAP_SECONDS);
    let mut drives: Vec<(Drive, Vec<usize>)> = Vec::new();
    for s in segments {
        match drives.last_mut() {
            Some((d, files)) if s.start <= d.end.checked_add_signed(gap).unwrap_or(d.end) => {
                d.end = d.end.max(s.end());
                d.segments += 1;
                d.bytes = d.bytes.saturating_add(s.bytes);
                if !d.cameras.contains(&s.camera) {
                    d.cameras.push(s.camera);
                    d.cameras.sort();
                }
                files.push(s.file);
            }
            _ => drives.push((
                Drive {
                    start: s.start,
                    end: s.end(),
                    duration_s: 0.0,
                    segments: 1,
                    bytes: s.bytes,
                    cameras: vec![s.camera],
                    partly_overwritten: false,
                    overwritten_evidence: None,
                    overwrite_after_bytes: None,
                    overwrite_after_hours: None,
                    overwrite_after_days: None,
                },
                vec![s.file],
            )),
        }
    }
    for (d, _) in &mut drives {
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

/// Flags the oldest drive when the loop has eaten its beginning: a deleted loop-pool recording
/// reaches into it (or ends just before it), or — when no deleted entries survive to tell — the
/// card is full, so the loop is deleting the oldest footage as new footage arrives.
pub fn flag_partly_overwritten(
    drives: &mut [(Drive, Vec<usize>)],
    deleted: &[DeletedRecording],
    card_full: bool,
) {
    let Some((oldest, _)) = drives.first_mut() else {
        return;
    };
    let gap = Duration::seconds(DRIVE_GAP_SECONDS);
    let loop_deleted: Vec<&DeletedRecording> =
        deleted.iter().filter(|d| d.pool == Pool::Loop).collect();
    let reaching = loop_deleted
        .iter()
        .filter(|d| {
            let end = after(d.start, d.duration_s.unwrap_or(0.0));
            end.checked_add_signed(gap).unwrap_or(end) >= oldest.start && d.start <= oldest.end
        })
        .count();
    if reaching > 0 {
        oldest.partly_overwritten = true;
        oldest.overwritten_evidence = Some(format!(
            "{reaching} deleted recording(s) from just before or within this drive: the loop has overwritten its beginning"
        ));
    } else if loop_deleted.is_empty() && card_full {
        oldest.partly_overwritten = true;
        oldest.overwritten_evidence = Some(
            "the card is full, so the camera is overwriting the oldest footage: this drive's beginning is likely gone"
                .to_string(),
        );
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
        let (first, files) = &drives[0];
        assert_eq!(first.start, at(7, 57, 0));
        assert_eq!(first.end, at(8, 4, 0));
        assert_eq!(first.duration_s, 420.0);
        assert_eq!(first.segments, 5);
        assert_eq!(first.bytes, 500);
        assert_eq!(first.cameras, vec![Camera::Road, Camera::Cabin]);
        assert_eq!(files.len(), 5);
        assert_eq!(drives[1].0.cameras, vec![Camera::Road]);
    }

    #[test]
    fn only_the_oldest_drive_is_flagged_and_only_with_evidence() {
        let mut drives = group(vec![
            seg(0, at(7, 0, 0), Camera::Road),
            seg(1, at(9, 0, 0), Camera::Road),
        ]);
        let long_ago = DeletedRecording {
            start: at(5, 0, 0),
            duration_s: Some(60.0),
            pool: Pool::Loop,
        };
        flag_partly_overwritten(&mut drives, &[long_ago], true);
        assert!(
            !drives[0].0.partly_overwritten,
            "a whole earlier drive was eaten, not this one"
        );
        let just_before = DeletedRecording {
            start: at(6, 59, 0),
            ..long_ago
        };
        flag_partly_overwritten(&mut drives, &[just_before], false);
        assert!(drives[0].0.partly_overwritten);
        assert!(!drives[1].0.partly_overwritten);

        let mut full = group(vec![seg(0, at(7, 0, 0), Camera::Road)]);
        flag_partly_overwritten(&mut full, &[], true);
        assert!(full[0].0.partly_overwritten);
        let mut not_full = group(vec![seg(0, at(7, 0, 0), Camera::Road)]);
        flag_partly_overwritten(&mut not_full, &[], false);
        assert!(!not_full[0].0.partly_overwritten);
    }
}
