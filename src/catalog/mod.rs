//! The card as a Nexar owner sees it: every file classified (drive segment, parking incident or
//! other; road or cabin; loop or sos pool), with a start time and a duration from the best
//! evidence, drives grouped from segments, parking incidents tied to the drive they followed,
//! the model family with its evidence, and the card summed.
//!
//! [`build`] reads a [`Listing`] and returns a new [`Catalog`]; building again after more is
//! known (the web app builds once on names and the FAT, again when MP4 headers are read) is a
//! new value, never a patch on the old one.

pub mod classify;
pub mod drives;
pub mod family;
pub mod models;
pub mod name_time;
pub mod parking;
pub mod timing;
pub mod totals;

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::listing::Listing;
use classify::{Camera, FileKind, Pool, classify};
use drives::{DeletedRecording, Drive, Segment};
use family::{Family, FamilyEvidence};
use parking::ParkingIncident;
use timing::{DurationSource, StartSource, start_of};
use totals::Totals;

/// What the catalog makes of a card.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Catalog {
    /// One entry per listed file, in the listing's order.
    pub files: Vec<CatalogFile>,
    /// Drives, oldest first.
    pub drives: Vec<Drive>,
    /// Parking incidents (live clips), oldest first.
    pub parking: Vec<ParkingIncident>,
    /// The model family, with its evidence.
    pub family: Family,
    /// Bytes and counts by kind, the span of dates: the card summed.
    pub totals: Totals,
    /// Deleted loop-pool recordings with a start time: the card's own evidence of the loop.
    /// When there are none, only the estimate can tell whether the card is overwriting.
    pub dated_deleted_loop_recordings: usize,
}

/// One file as the catalog sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CatalogFile {
    /// Drive segment, parking clip or other.
    pub kind: FileKind,
    /// Road or cabin, for drive segments.
    pub camera: Option<Camera>,
    /// Loop or sos, for recordings.
    pub pool: Option<Pool>,
    /// When the recording started (camera local time).
    pub start: Option<NaiveDateTime>,
    /// Where `start` came from.
    pub start_source: Option<StartSource>,
    /// Duration in seconds: the MP4 header's, else as `duration_source` says.
    pub duration_s: Option<f64>,
    /// Where `duration_s` came from.
    pub duration_source: Option<DurationSource>,
    /// Index in [`Catalog::drives`] of the drive this segment belongs to.
    pub drive: Option<usize>,
}

impl Catalog {
    /// The catalog without its per-file entries: what a view of the whole card needs first
    /// (drives and parking incidents still point at files by index).
    pub fn without_files(&self) -> Catalog {
        Catalog {
            files: Vec::new(),
            drives: self.drives.clone(),
            parking: self.parking.clone(),
            family: self.family.clone(),
            totals: self.totals.clone(),
            dated_deleted_loop_recordings: self.dated_deleted_loop_recordings,
        }
    }
}

/// Classifies every file of `listing`, groups drives and parking incidents and names the
/// family.
pub fn build(listing: &Listing) -> Catalog {
    let mut evidence = FamilyEvidence::default();
    let mut sos_durations = Vec::new();
    let mut files: Vec<CatalogFile> = listing
        .files
        .iter()
        .map(|f| {
            let c = classify(&f.path);
            let duration_s = f.header_duration();
            let mut file = CatalogFile {
                kind: c.kind,
                camera: c.camera,
                pool: c.pool,
                duration_s,
                duration_source: duration_s.map(|_| DurationSource::Mp4Header),
                ..CatalogFile::default()
            };
            if c.kind == FileKind::Other {
                return file;
            }
            let header_created = f.header.as_ref().and_then(|h| h.created);
            let start = start_of(c.stamp.map(|s| s.time), header_created, f.created);
            file.start = start.map(|s| s.0);
            file.start_source = start.map(|s| s.1);
            evidence.note(c.kind, c.camera, c.pool, c.suffix);
            if c.pool == Some(Pool::Sos) {
                sos_durations.extend(duration_s);
            }
            file
        })
        .collect();
    evidence.sos_median_s = median(&mut sos_durations);
    let family = family::identify(&evidence);

    fill_gap_durations(&mut files);
    for file in &mut files {
        if file.kind == FileKind::Parking && file.duration_s.is_none() {
            file.duration_s = Some(family.parking_clip_s);
            file.duration_source = Some(DurationSource::Typical);
        }
    }

    let segments: Vec<Segment> = files
        .iter()
        .zip(&listing.files)
        .enumerate()
        .filter(|(_, (f, l))| f.kind == FileKind::Drive && !l.deleted)
        .filter_map(|(i, (f, l))| {
            Some(Segment {
                file: i,
                start: f.start?,
                duration_s: f.duration_s,
                camera: f.camera?,
                bytes: l.bytes,
            })
        })
        .collect();
    let deleted: Vec<DeletedRecording> = files
        .iter()
        .zip(&listing.files)
        .filter(|(f, l)| l.deleted && f.kind != FileKind::Other)
        .filter_map(|(f, _)| {
            Some(DeletedRecording {
                start: f.start?,
                duration_s: f.duration_s,
                pool: f.pool?,
            })
        })
        .collect();
    let mut drives = drives::group(segments);
    drives::note_deleted_evidence(&mut drives, &deleted);
    for (index, drive) in drives.iter().enumerate() {
        for &f in &drive.files {
            files[f].drive = Some(index);
        }
    }

    let mut parking: Vec<(usize, Option<NaiveDateTime>)> = files
        .iter()
        .zip(&listing.files)
        .enumerate()
        .filter(|(_, (f, l))| f.kind == FileKind::Parking && !l.deleted)
        .map(|(i, (f, _))| (i, f.start))
        .collect();
    parking.sort_by(|a, b| {
        let path = |i: usize| &listing.files[i].path;
        (a.1.is_none(), a.1, path(a.0)).cmp(&(b.1.is_none(), b.1, path(b.0)))
    });
    let parking = parking
        .into_iter()
        .map(|(file, start)| ParkingIncident {
            file,
            after_drive: start.and_then(|t| parking::drive_before(&drives, t)),
        })
        .collect();
    let totals = totals::sum(&listing.files, &files);
    Catalog {
        files,
        drives,
        parking,
        family,
        totals,
        dated_deleted_loop_recordings: deleted.iter().filter(|d| d.pool == Pool::Loop).count(),
    }
}

/// Segments without a header duration last until the next segment of the same camera (and
/// pool) starts, when that follows closely.
fn fill_gap_durations(files: &mut [CatalogFile]) {
    let mut by_camera: BTreeMap<(u8, u8), Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        if let (FileKind::Drive, Some(camera), Some(pool), Some(_)) =
            (f.kind, f.camera, f.pool, f.start)
        {
            by_camera
                .entry((camera as u8, pool as u8))
                .or_default()
                .push(i);
        }
    }
    for mut group in by_camera.into_values() {
        group.sort_by_key(|&i| files[i].start);
        for pair in group.windows(2) {
            let (this, next) = (pair[0], pair[1]);
            if files[this].duration_s.is_some() {
                continue;
            }
            let (Some(start), Some(next_start)) = (files[this].start, files[next].start) else {
                continue;
            };
            if let Some(d) = timing::gap_duration(start, next_start) {
                files[this].duration_s = Some(d);
                files[this].duration_source = Some(DurationSource::NextSegment);
            }
        }
    }
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[values.len() / 2])
}
