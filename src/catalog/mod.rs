//! The card as a Nexar owner sees it: every file classified (drive segment, parking incident or
//! other; road or cabin; loop or sos pool), with a start time and a duration from the best
//! evidence, drives grouped from segments, parking incidents tied to the drive they followed, and
//! the model family with its evidence.
//!
//! [`annotate`] works on a [`Report`] the reader made and writes its findings back into it, so
//! the one JSON document carries everything. It can run again after more is known (the web app
//! runs it once on names and the FAT, again when MP4 durations arrive): what it derived before
//! is recomputed, never mistaken for what the card said.

pub mod classify;
pub mod drives;
pub mod family;
pub mod name_time;
pub mod parking;
pub mod timing;
pub mod totals;

use std::collections::BTreeMap;

use crate::report::Report;
use classify::{FileKind, Pool, classify};
use drives::{DeletedRecording, Segment};
use family::FamilyEvidence;
use parking::ParkingIncident;
use timing::{DurationSource, start_of};

/// Classifies every file of `report`, groups drives and parking incidents and names the family.
/// `card_full` says the loop pool has no room left (see [`crate::estimate::card_full`]).
pub fn annotate(report: &mut Report, card_full: bool) {
    let mut evidence = FamilyEvidence::default();
    let mut sos_durations = Vec::new();
    for file in &mut report.files {
        let c = classify(&file.path);
        file.kind = c.kind;
        file.camera = c.camera;
        file.pool = c.pool;
        file.drive = None;
        // Forget durations an earlier pass derived; keep the header's.
        if matches!(
            file.duration_source,
            Some(DurationSource::NextSegment | DurationSource::Typical)
        ) {
            file.duration_s = None;
        }
        file.duration_source = file.duration_s.map(|_| DurationSource::Mp4Header);
        if c.kind == FileKind::Other {
            file.start = None;
            file.start_source = None;
            continue;
        }
        let header_created = file.video.as_ref().and_then(|v| v.created);
        let start = start_of(c.stamp.map(|s| s.time), header_created, file.created);
        file.start = start.map(|s| s.0);
        file.start_source = start.map(|s| s.1);
        evidence.note(c.kind, c.camera, c.pool, c.suffix);
        if c.pool == Some(Pool::Sos) {
            sos_durations.extend(file.duration_s);
        }
    }
    evidence.sos_median_s = median(&mut sos_durations);
    let family = family::identify(&evidence);

    fill_gap_durations(report);
    for file in &mut report.files {
        if file.kind == FileKind::Parking && file.duration_s.is_none() {
            file.duration_s = Some(family.parking_clip_s);
            file.duration_source = Some(DurationSource::Typical);
        }
    }

    let segments: Vec<Segment> = report
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FileKind::Drive && !f.deleted)
        .filter_map(|(i, f)| {
            Some(Segment {
                file: i,
                start: f.start?,
                duration_s: f.duration_s,
                camera: f.camera?,
                bytes: f.bytes,
            })
        })
        .collect();
    let deleted: Vec<DeletedRecording> = report
        .files
        .iter()
        .filter(|f| f.deleted && f.kind != FileKind::Other)
        .filter_map(|f| {
            Some(DeletedRecording {
                start: f.start?,
                duration_s: f.duration_s,
                pool: f.pool?,
            })
        })
        .collect();
    let mut grouped = drives::group(segments);
    drives::flag_partly_overwritten(&mut grouped, &deleted, card_full);
    for (index, (_, files)) in grouped.iter().enumerate() {
        for &f in files {
            report.files[f].drive = Some(index);
        }
    }
    report.drives = grouped.into_iter().map(|(d, _)| d).collect();

    let mut parking: Vec<ParkingIncident> = report
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Parking && !f.deleted)
        .map(|f| ParkingIncident {
            path: f.path.clone(),
            start: f.start,
            duration_s: f.duration_s,
            pool: f.pool.unwrap_or(Pool::Loop),
            bytes: f.bytes,
            after_drive: f
                .start
                .and_then(|t| parking::drive_before(&report.drives, t)),
            overwrite_after_bytes: None,
            overwrite_after_hours: None,
            overwrite_after_days: None,
            overwrite_after_events: None,
        })
        .collect();
    parking.sort_by(|a, b| {
        (a.start.is_none(), a.start, &a.path).cmp(&(b.start.is_none(), b.start, &b.path))
    });
    report.parking = parking;
    report.family = Some(family);
    report.totals = Some(totals::sum(&report.files));
}

/// Segments without a header duration last until the next segment of the same camera (and
/// pool) starts, when that follows closely.
fn fill_gap_durations(report: &mut Report) {
    let mut by_camera: BTreeMap<(u8, u8), Vec<usize>> = BTreeMap::new();
    for (i, f) in report.files.iter().enumerate() {
        if let (FileKind::Drive, Some(camera), Some(pool), Some(_)) =
            (f.kind, f.camera, f.pool, f.start)
        {
            by_camera
                .entry((camera as u8, pool as u8))
                .or_default()
                .push(i);
        }
    }
    for mut files in by_camera.into_values() {
        files.sort_by_key(|&i| report.files[i].start);
        for pair in files.windows(2) {
            let (this, next) = (pair[0], pair[1]);
            if report.files[this].duration_s.is_some() {
                continue;
            }
            let (Some(start), Some(next_start)) =
                (report.files[this].start, report.files[next].start)
            else {
                continue;
            };
            if let Some(d) = timing::gap_duration(start, next_start) {
                report.files[this].duration_s = Some(d);
                report.files[this].duration_source = Some(DurationSource::NextSegment);
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
