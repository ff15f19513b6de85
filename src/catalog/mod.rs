//! The card as a Nexar owner sees it: every file classified (drive segment, parking incident, SOS
//! event, photo, sidecar or other; road, cabin or second camera; loop or sos pool), with a start
//! time (local, and UTC where the card tells it) and a duration from the best evidence, drives
//! grouped from segments, incidents tied to the drive they followed, sidecars tied to their
//! clips, the camera's time zone, the model family with its evidence, and the card summed.
//!
//! [`build`] reads a [`Listing`] and returns a new [`Catalog`]; building again after more is
//! known (the web app builds once on names and the FAT, again when MP4 headers are read) is a
//! new value, never a patch on the old one.

pub mod bounds;
pub mod camera_info;
pub mod classify;
pub mod drives;
pub mod encryption;
pub mod events;
pub mod family;
pub mod models;
pub mod name_time;
pub mod parking;
pub mod time_zone;
pub mod timing;
pub mod totals;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::listing::Listing;
use bounds::Implausible;
use camera_info::CameraInfo;
use classify::{Camera, Classified, FileKind, Pool, classify};
use drives::{DeletedRecording, Drive, Segment};
use encryption::Encrypted;
use events::EventIncident;
use family::{Family, FamilyEvidence};
use parking::ParkingIncident;
use time_zone::TimeZone;
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
    /// SOS events (live clips of the newer cameras' `/sos`), oldest first.
    pub events: Vec<EventIncident>,
    /// The model family, with its evidence.
    pub family: Family,
    /// The zone local times are in.
    pub time_zone: TimeZone,
    /// The camera's serial and software, where the card tells.
    pub camera_info: Option<CameraInfo>,
    /// Bytes and counts by kind, the span of dates: the card summed.
    pub totals: Totals,
    /// Deleted loop-pool recordings with a start time: the card's own evidence of the loop.
    /// When there are none, only the estimate can tell whether the card is overwriting.
    pub dated_deleted_loop_recordings: usize,
}

/// One file as the catalog sees it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct CatalogFile {
    /// Drive segment, parking clip, event, photo, sidecar or other.
    pub kind: FileKind,
    /// Road, cabin or second, for drive segments, events and photos.
    pub camera: Option<Camera>,
    /// Loop or sos, for recordings.
    pub pool: Option<Pool>,
    /// When the recording started, camera local time (see [`Catalog::time_zone`]).
    pub start: Option<NaiveDateTime>,
    /// The same instant in UTC, where the card tells it (newer cameras).
    pub start_utc: Option<DateTime<Utc>>,
    /// Where `start` came from.
    pub start_source: Option<StartSource>,
    /// Duration in seconds: the MP4 header's, else as `duration_source` says.
    pub duration_s: Option<f64>,
    /// Where `duration_s` came from.
    pub duration_source: Option<DurationSource>,
    /// Index in [`Catalog::drives`] of the drive this segment belongs to.
    pub drive: Option<usize>,
    /// The camera encrypted it.
    pub encrypted: Option<Encrypted>,
    /// For a clip: its sidecars (indices in the listing).
    pub sidecars: Vec<usize>,
    /// For a sidecar: its clip (index in the listing), when on the card.
    pub sidecar_of: Option<usize>,
    /// Why its size or header duration cannot be true: such a file stays listed but is left
    /// out of drives, totals and the estimate (see [`bounds`]).
    pub excluded: Option<Implausible>,
}

impl Catalog {
    /// The catalog without its per-file entries: what a view of the whole card needs first
    /// (drives and incidents still point at files by index).
    pub fn without_files(&self) -> Catalog {
        Catalog {
            files: Vec::new(),
            drives: self.drives.clone(),
            parking: self.parking.clone(),
            events: self.events.clone(),
            family: self.family.clone(),
            time_zone: self.time_zone.clone(),
            camera_info: self.camera_info.clone(),
            totals: self.totals.clone(),
            dated_deleted_loop_recordings: self.dated_deleted_loop_recordings,
        }
    }

    /// `t`, a local time of this card, with its zone: "2024-10-12 17:30 (UTC−5)".
    pub fn show_time(&self, t: NaiveDateTime, format: &str) -> String {
        self.time_zone.show(t, format)
    }
}

/// The start of a file, in local time and (newer cameras) UTC, and where it came from.
fn start_in(
    c: &Classified,
    header: Option<&crate::listing::VideoHeader>,
    fat_created: Option<NaiveDateTime>,
    tz: &TimeZone,
) -> (
    Option<NaiveDateTime>,
    Option<DateTime<Utc>>,
    Option<StartSource>,
) {
    if c.utc_name {
        let record = header
            .and_then(|h| h.camera_record.as_ref())
            .map(|r| (r.start_utc, StartSource::CameraRecord));
        let named = c.stamp.map(|s| (s.time.and_utc(), StartSource::FileName));
        return match record.or(named) {
            Some((utc, source)) => (Some(tz.local(utc)), Some(utc), Some(source)),
            None => (None, None, None),
        };
    }
    let header_created = header.and_then(|h| h.created);
    let start = start_of(c.stamp.map(|s| s.time), header_created, fat_created);
    (start.map(|s| s.0), None, start.map(|s| s.1))
}

/// Classifies every file of `listing`, groups drives and incidents, links sidecars to their
/// clips, and names the family.
pub fn build(listing: &Listing) -> Catalog {
    let classes: Vec<Classified> = listing.files.iter().map(|f| classify(&f.path)).collect();
    let utc_names = classes.iter().any(|c| c.utc_name);
    let time_zone = TimeZone::of(listing, utc_names);
    let encrypted = encryption::of(&listing.files);
    let mut evidence = FamilyEvidence {
        exfat: listing
            .volume
            .filesystem
            .as_deref()
            .is_some_and(|f| f.eq_ignore_ascii_case("exfat")),
        imu_models: listing
            .imu_headers
            .iter()
            .filter_map(|h| h.header.model.clone())
            .collect(),
        ..FamilyEvidence::default()
    };
    let mut sos_durations = Vec::new();
    let mut files: Vec<CatalogFile> = listing
        .files
        .iter()
        .zip(&classes)
        .zip(&encrypted)
        .map(|((f, c), encrypted)| {
            let header = f.header.as_ref();
            let duration_s = f.header_duration();
            let duration_source = duration_s.map(|_| {
                header
                    .and_then(|h| h.duration_from)
                    .map_or(DurationSource::Mvhd, DurationSource::from)
            });
            let mut file = CatalogFile {
                kind: c.kind,
                camera: c.camera,
                pool: c.pool,
                duration_s,
                duration_source,
                encrypted: *encrypted,
                ..CatalogFile::default()
            };
            if c.utc_name {
                evidence.newer_files += 1;
                if c.kind == FileKind::Other && c.suffix.is_some() {
                    evidence.unwritten_streams += 1;
                }
            }
            if let Some(h) = header.filter(|_| !f.deleted) {
                evidence.camera_records += usize::from(h.camera_record.is_some());
                if h.fragmented {
                    if h.has_mehd {
                        evidence.with_mehd += 1;
                    } else {
                        evidence.without_mehd += 1;
                    }
                }
            }
            if matches!(c.kind, FileKind::Other | FileKind::Sidecar) {
                evidence.note(c.kind, c.camera, c.pool, c.suffix);
                return file;
            }
            let (start, start_utc, start_source) = start_in(c, header, f.created, &time_zone);
            file.start = start;
            file.start_utc = start_utc;
            file.start_source = start_source;
            evidence.note(c.kind, c.camera, c.pool, c.suffix);
            if c.kind == FileKind::Parking && c.pool == Some(Pool::Sos) {
                sos_durations.extend(duration_s);
            }
            file
        })
        .collect();
    bounds::check(listing, &mut files);
    evidence.sos_median_s = median(&mut sos_durations);
    let family = family::identify(&evidence);
    link_sidecars(listing, &classes, &mut files);

    fill_gap_durations(&mut files);
    for file in &mut files {
        if file.kind == FileKind::Parking && file.duration_s.is_none() && bounds::counts(file) {
            file.duration_s = Some(family.parking_clip_s);
            file.duration_source = Some(DurationSource::Typical);
        }
    }

    let segments: Vec<Segment> = files
        .iter()
        .zip(&listing.files)
        .enumerate()
        .filter(|(_, (f, l))| f.kind == FileKind::Drive && !l.deleted && bounds::counts(f))
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
        .filter(|(f, l)| l.deleted && f.kind.is_recording() && bounds::counts(f))
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

    let live_of = |kind: FileKind| -> Vec<(usize, Option<NaiveDateTime>)> {
        let mut found: Vec<(usize, Option<NaiveDateTime>)> = files
            .iter()
            .zip(&listing.files)
            .enumerate()
            .filter(|(_, (f, l))| f.kind == kind && !l.deleted)
            .map(|(i, (f, _))| (i, f.start))
            .collect();
        crate::sort::sort_by(&mut found, |a, b| {
            let path = |i: usize| &listing.files[i].path;
            (a.1.is_none(), a.1, path(a.0)).cmp(&(b.1.is_none(), b.1, path(b.0)))
        });
        found
    };
    let parking = live_of(FileKind::Parking)
        .into_iter()
        .map(|(file, start)| ParkingIncident {
            file,
            after_drive: start.and_then(|t| parking::drive_before(&drives, t)),
        })
        .collect();
    let events = live_of(FileKind::Event)
        .into_iter()
        .map(|(file, start)| EventIncident {
            file,
            after_drive: start.and_then(|t| events::drive_at_or_before(&drives, t)),
        })
        .collect();
    let totals = totals::sum(&listing.files, &files);
    Catalog {
        files,
        drives,
        parking,
        events,
        family,
        time_zone,
        camera_info: camera_info::of(listing),
        totals,
        dated_deleted_loop_recordings: deleted.iter().filter(|d| d.pool == Pool::Loop).count(),
    }
}

/// Ties each sidecar to its clip (same path, live with live, deleted with deleted: the camera
/// deletes them together), and lists each clip's sidecars.
fn link_sidecars(listing: &Listing, classes: &[Classified], files: &mut [CatalogFile]) {
    // First-generation cards have none: no need to index every clip's path.
    if classes.iter().all(|c| c.sidecar.is_none()) {
        return;
    }
    let mut clips: HashMap<(String, bool), usize> = HashMap::new();
    for (i, (l, f)) in listing.files.iter().zip(files.iter()).enumerate() {
        if f.kind.is_recording() {
            clips
                .entry((l.path.to_ascii_lowercase(), l.deleted))
                .or_insert(i);
        }
    }
    for (i, (l, c)) in listing.files.iter().zip(classes).enumerate() {
        let Some((_, clip)) = &c.sidecar else {
            continue;
        };
        let key = clip.to_ascii_lowercase();
        let found = clips
            .get(&(key.clone(), l.deleted))
            .or_else(|| clips.get(&(key, !l.deleted)))
            .copied();
        if let Some(clip) = found {
            files[i].sidecar_of = Some(clip);
            files[clip].sidecars.push(i);
        }
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
        crate::sort::sort_by_key(&mut group, |&i| files[i].start);
        for pair in group.windows(2) {
            let (this, next) = (pair[0], pair[1]);
            if files[this].duration_s.is_some() || !bounds::counts(&files[this]) {
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
    crate::sort::sort_by(values, f64::total_cmp);
    Some(values[values.len() / 2])
}
