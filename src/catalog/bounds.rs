//! Sanity bounds on what one file claims, so that a single corrupt entry cannot flip the card's
//! story: a directory entry claiming 4 GiB over one cluster would make a free card "full", an
//! `mvhd` claiming 9.2e18 s would make "quadrillions of hours of footage".
//!
//! A file fails the bounds when its size is more than its clusters hold or more than the whole
//! card, or when its header's duration is not a length, is over a day, or is far from its
//! neighbours' (longer than the time to the next recording of the same camera allows, or many
//! times the usual length of its kind). Such a file stays listed, with a warning saying why; the
//! catalog leaves it out of drives and totals, and the estimate out of its rates and sums.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::CatalogFile;
use super::timing::{MAX_BELIEVED_SECONDS, MAX_SEGMENT_SECONDS};
use crate::listing::{ListedFile, Listing, SourceKind};

/// Why a file's size or duration cannot be true.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Implausible {
    /// The directory entry claims more bytes than the whole card holds.
    SizeBeyondCard {
        /// Size claimed.
        bytes: u64,
        /// The card's capacity.
        capacity_bytes: u64,
        /// What its clusters hold (0 where the source shows no clusters: a folder).
        held_bytes: u64,
    },
    /// The directory entry claims more bytes than its cluster chain holds.
    SizeBeyondChain {
        /// Size claimed (exFAT: the bytes written, its valid data length, when smaller).
        bytes: u64,
        /// What its clusters hold.
        held_bytes: u64,
    },
    /// The header's duration is not a length (not a number, or negative).
    DurationNotALength,
    /// The header's duration is over a day: no dash cam segment lasts that long.
    DurationBeyondDay {
        /// Duration claimed, in seconds.
        duration_s: f64,
    },
    /// The header's duration is far from its neighbours': the next recording of the same camera
    /// starts sooner than it would end, or it is many times its kind's usual length.
    DurationFarFromNeighbours {
        /// Duration claimed, in seconds.
        duration_s: f64,
        /// What its neighbours say it should be about, in seconds.
        expected_s: f64,
    },
}

/// A header duration longer than the gap to the next recording of the same camera by more than
/// this (and than the gap itself) cannot be: one camera writes one clip at a time.
const OVERLAP_SLACK_SECONDS: f64 = 60.0;

/// With no close neighbour to compare with, a duration over this many times its kind's median
/// (and over the median by [`MAX_SEGMENT_SECONDS`]) is far from its neighbours.
const MEDIAN_FACTOR: f64 = 10.0;

/// Fewest durations of a kind for their median to say what is usual.
const MEDIAN_MIN_COUNT: usize = 4;

impl Implausible {
    /// What is wrong, in plain words, and what is done about it.
    pub fn describe(&self) -> String {
        let what = match self {
            Self::SizeBeyondCard {
                bytes,
                capacity_bytes,
                ..
            } => format!(
                "its size ({bytes} bytes) is larger than the whole card ({capacity_bytes} bytes)"
            ),
            Self::SizeBeyondChain { bytes, held_bytes } => format!(
                "its size ({bytes} bytes) is more than its clusters hold ({held_bytes} bytes)"
            ),
            Self::DurationNotALength => "its header's duration is not a length".to_string(),
            Self::DurationBeyondDay { duration_s } => {
                format!("its header claims {duration_s:.0} s, more than a day")
            }
            Self::DurationFarFromNeighbours {
                duration_s,
                expected_s,
            } => format!(
                "its header claims {duration_s:.0} s, far from its neighbours' (about {expected_s:.0} s)"
            ),
        };
        format!("{what}: left out of the totals and the estimate")
    }

    /// For a size that cannot be true, the bytes its clusters do hold (what deleting it frees).
    pub fn held_bytes(&self) -> Option<u64> {
        match self {
            Self::SizeBeyondCard { held_bytes, .. } | Self::SizeBeyondChain { held_bytes, .. } => {
                Some(*held_bytes)
            }
            _ => None,
        }
    }

    /// True when it is the duration, not the size, that cannot be true.
    pub fn is_duration(&self) -> bool {
        self.held_bytes().is_none()
    }
}

/// The bytes of `listed` that count: its size, or for a size that cannot be true what its
/// clusters hold.
pub fn counted_bytes(listed: &ListedFile, file: &CatalogFile) -> u64 {
    file.excluded
        .as_ref()
        .and_then(Implausible::held_bytes)
        .unwrap_or(listed.bytes)
}

/// The size check of one listed file: beyond the card, or (an image's live file) beyond its
/// cluster chain.
fn size_check(listing: &Listing, l: &ListedFile) -> Option<Implausible> {
    let held_bytes = l
        .extents
        .iter()
        .fold(0u64, |sum, e| sum.saturating_add(e.bytes));
    if let Some(capacity_bytes) = listing.volume.capacity_bytes
        && l.bytes > capacity_bytes
    {
        return Some(Implausible::SizeBeyondCard {
            bytes: l.bytes,
            capacity_bytes,
            held_bytes,
        });
    }
    // A folder shows no clusters, and a deleted file's chain is gone from the FAT.
    if listing.source.kind != SourceKind::Image || l.deleted {
        return None;
    }
    let bytes = l.valid_bytes.unwrap_or(l.bytes).min(l.bytes);
    (held_bytes < bytes).then_some(Implausible::SizeBeyondChain { bytes, held_bytes })
}

/// The duration check that needs no neighbours.
fn duration_check(duration_s: f64) -> Option<Implausible> {
    if !duration_s.is_finite() || duration_s < 0.0 {
        Some(Implausible::DurationNotALength)
    } else if duration_s > MAX_BELIEVED_SECONDS {
        Some(Implausible::DurationBeyondDay { duration_s })
    } else {
        None
    }
}

/// Marks every file of `files` (parallel to `listing.files`) whose size or header duration
/// cannot be true, and forgets such a duration (the catalog then treats the clip as one whose
/// header gives none). Durations are read from `files` as the header gave them; starts must
/// be set.
pub fn check(listing: &Listing, files: &mut [CatalogFile]) {
    for (i, f) in files.iter_mut().enumerate() {
        f.excluded = listing
            .files
            .get(i)
            .and_then(|l| size_check(listing, l))
            .or_else(|| f.duration_s.and_then(duration_check));
    }
    far_from_neighbours(files);
    for f in files.iter_mut() {
        if f.excluded.as_ref().is_some_and(Implausible::is_duration) {
            f.duration_s = None;
            f.duration_source = None;
        }
    }
}

/// Marks recordings whose duration is far from their neighbours': per kind, camera and pool,
/// in start order, a duration longer than twice the gap to the next later start (plus a
/// minute) when that start is within a segment's reach; else one over ten times the group's
/// median and ten minutes past it.
fn far_from_neighbours(files: &mut [CatalogFile]) {
    let mut groups: BTreeMap<(u8, u8, u8), Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if f.kind.is_recording()
            && f.excluded.is_none()
            && f.duration_s.is_some()
            && f.start.is_some()
        {
            let key = (
                f.kind as u8,
                f.camera.map_or(u8::MAX, |c| c as u8),
                f.pool.map_or(u8::MAX, |p| p as u8),
            );
            groups.entry(key).or_default().push(i);
        }
    }
    for mut group in groups.into_values() {
        crate::sort::sort_by_key(&mut group, |&i| files[i].start);
        let mut durations: Vec<f64> = group.iter().filter_map(|&i| files[i].duration_s).collect();
        crate::sort::sort_by(&mut durations, f64::total_cmp);
        let median = (durations.len() >= MEDIAN_MIN_COUNT).then(|| durations[durations.len() / 2]);
        let mut found = Vec::new();
        for (at, &i) in group.iter().enumerate() {
            let (Some(start), Some(d)) = (files[i].start, files[i].duration_s) else {
                continue;
            };
            let next_gap = group[at + 1..]
                .iter()
                .filter_map(|&n| files[n].start)
                .find(|&s| s > start)
                .map(|s| (s - start).num_milliseconds() as f64 / 1000.0)
                .filter(|&g| g <= MAX_SEGMENT_SECONDS as f64);
            let expected = match (next_gap, median) {
                (Some(gap), _) => (d > 2.0 * gap + OVERLAP_SLACK_SECONDS).then_some(gap),
                (None, Some(m)) => {
                    (d > (MEDIAN_FACTOR * m).max(m + MAX_SEGMENT_SECONDS as f64)).then_some(m)
                }
                (None, None) => None,
            };
            if let Some(expected_s) = expected {
                found.push((
                    i,
                    Implausible::DurationFarFromNeighbours {
                        duration_s: d,
                        expected_s,
                    },
                ));
            }
        }
        for (i, why) in found {
            files[i].excluded = Some(why);
        }
    }
}

/// True for a file the catalog and the estimate count.
pub fn counts(file: &CatalogFile) -> bool {
    file.excluded.is_none()
}

/// Files left out of the totals and the estimate.
pub fn excluded_count(files: &[CatalogFile]) -> u64 {
    files.iter().filter(|f| f.excluded.is_some()).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::classify::{Camera, FileKind, Pool};
    use chrono::NaiveDate;

    fn segment(minute: u32, duration_s: f64) -> CatalogFile {
        CatalogFile {
            kind: FileKind::Drive,
            camera: Some(Camera::Road),
            pool: Some(Pool::Loop),
            start: NaiveDate::from_ymd_opt(2024, 10, 12).and_then(|d| d.and_hms_opt(7, minute, 0)),
            duration_s: Some(duration_s),
            ..CatalogFile::default()
        }
    }

    #[test]
    fn a_duration_longer_than_the_gap_to_the_next_segment_or_a_day_is_left_out() {
        let mut files = vec![
            segment(0, 60.0),
            segment(1, 3000.0),
            segment(2, 60.0),
            segment(3, 9.2e18),
            segment(4, 60.0),
            segment(5, f64::NAN),
            segment(30, 900.0),
        ];
        check(&Listing::default(), &mut files);
        let excluded: Vec<bool> = files.iter().map(|f| f.excluded.is_some()).collect();
        assert_eq!(
            excluded,
            [false, true, false, true, false, true, true],
            "{files:#?}"
        );
        assert!(matches!(
            files[1].excluded,
            Some(Implausible::DurationFarFromNeighbours { expected_s, .. }) if expected_s == 60.0
        ));
        assert!(matches!(
            files[3].excluded,
            Some(Implausible::DurationBeyondDay { .. })
        ));
        // The last segment has no close neighbour: the median (60 s) says 900 s is far off.
        assert!(matches!(
            files[6].excluded,
            Some(Implausible::DurationFarFromNeighbours { expected_s, .. }) if expected_s == 60.0
        ));
        assert_eq!(
            files[1].duration_s, None,
            "a duration not believed is forgotten"
        );
        assert_eq!(files[0].duration_s, Some(60.0));
        assert_eq!(excluded_count(&files), 4);
    }

    #[test]
    fn a_lone_long_clip_is_kept_when_nothing_says_it_is_wrong() {
        let mut files = vec![segment(0, 600.0), segment(30, 60.0)];
        check(&Listing::default(), &mut files);
        assert!(files.iter().all(|f| f.excluded.is_none()));
    }
}
