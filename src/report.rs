//! The report: one JSON document describing a card, shared by `dashcard report --json` and the
//! web app's "Download report (JSON)". The only module that knows the document: it assembles
//! it from the three stages' values ([`Listing`], [`Catalog`], [`Estimate`]) into its own types,
//! so that the format stays stable while the stages evolve; `REPORT_FORMAT` changes when it
//! must break. Field order is the document's order.
//!
//! Local timestamps (`start`, `created`, …) are camera local time without a zone, written as
//! ISO 8601 `YYYY-MM-DDTHH:MM:SS`; `time_zone` says what zone that is, where the card tells
//! (newer cameras), and `start_utc` gives the same instant in UTC with a `Z`.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde::{Serialize, Serializer};

use crate::catalog::Catalog;
use crate::catalog::camera_info::CameraInfo;
use crate::catalog::classify::{Camera, FileKind, Pool};
use crate::catalog::family::Family;
use crate::catalog::time_zone::TimeZone;
use crate::catalog::timing::{DurationSource, StartSource};
use crate::catalog::totals::Totals;
use crate::estimate::{Estimate, Inputs, Overwrite, Protection, SosEstimate};
use crate::extent::Extent;
use crate::listing::{ListedFile, Listing, PartitionTableInfo, Source, Volume};
use crate::telemetry::card::CardTelemetry;
use crate::telemetry::{ClipSummary, DriveTelemetry, Impact};

pub use crate::listing::is_video_name;

/// Version of the JSON layout; bumped only for incompatible changes.
pub const REPORT_FORMAT: u32 = 2;

/// A UTC instant as ISO 8601 with a `Z` ("2024-10-12T22:30:00Z", milliseconds when there are
/// any), or `null`.
fn utc_iso<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::telemetry::utc::format(*t)),
        None => s.serialize_none(),
    }
}

/// Everything known about one card.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    /// Layout version of this document ([`REPORT_FORMAT`]).
    pub report_format: u32,
    /// Version of the dashcard core that made it.
    pub dashcard_version: String,
    /// What was opened.
    pub source: Source,
    /// The partition table of an image; `null` for a folder.
    pub partition_table: Option<PartitionTableInfo>,
    /// The FAT volume that was read.
    pub volume: Volume,
    /// The zone every local timestamp in this document is in, where the card tells.
    pub time_zone: TimeZoneRecord,
    /// Every file, live or deleted (directories are not listed).
    pub files: Vec<FileRecord>,
    /// Whole-card problems in plain words (corruption, unreadable parts).
    pub warnings: Vec<String>,
    /// Drives, oldest first: segments of the road and cabin cameras grouped by time.
    pub drives: Vec<DriveRecord>,
    /// Parking incidents (live clips), oldest first.
    pub parking: Vec<ParkingRecord>,
    /// SOS events (live clips of the newer cameras' `sos` folder), oldest first.
    pub events: Vec<EventRecord>,
    /// The camera's serial and software, where the card tells (newer cameras).
    pub camera_info: Option<CameraInfo>,
    /// The model family, with its evidence.
    pub family: Family,
    /// How soon recordings will be overwritten, and every input behind it.
    pub estimate: EstimateRecord,
    /// Bytes and counts by kind, the span of dates, problems: the card summed.
    pub totals: Totals,
}

/// One file, live or deleted.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FileRecord {
    /// "/"-separated path from the volume root, with long names.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Creation time (camera local time).
    #[serde(serialize_with = "crate::json_time::local_or_null")]
    pub created: Option<NaiveDateTime>,
    /// Last modification time (camera local time).
    #[serde(serialize_with = "crate::json_time::local_or_null")]
    pub modified: Option<NaiveDateTime>,
    /// True for a deleted directory entry.
    pub deleted: bool,
    /// Deleted entries only: whether its bytes can still be read back (`null` for live files).
    pub recoverable: Option<bool>,
    /// Number of separate runs of clusters (1 = contiguous; 0 = empty or unknown).
    pub fragments: u32,
    /// Duration in seconds: from the MP4 header, or for recordings whose header gives none, as
    /// `duration_source` says; `null` when unknown.
    pub duration_s: Option<f64>,
    /// Where `duration_s` came from: "mvhd", "track_header", "mehd", "camera_tail",
    /// "fragments", "next_segment" or "typical".
    pub duration_source: Option<DurationSource>,
    /// What the MP4 header says, when the file is a video whose header was read.
    pub video: Option<VideoInfo>,
    /// Where the file's bytes lie in the image (absolute offsets).
    pub extents: Vec<Extent>,
    /// Problems with this file, in plain words.
    pub warnings: Vec<String>,
    /// Why the file is left out of drives, totals and the estimate — a size or header duration
    /// that cannot be true — in words (also among `warnings`); `null` when it counts.
    pub excluded: Option<String>,
    /// "drive", "parking", "event", "photo", "sidecar" or "other".
    pub kind: FileKind,
    /// "road", "cabin" or "second" (the newer cameras' external camera).
    pub camera: Option<Camera>,
    /// "loop" or "sos" for recordings.
    pub pool: Option<Pool>,
    /// When the recording started (camera local time).
    #[serde(serialize_with = "crate::json_time::local_or_null")]
    pub start: Option<NaiveDateTime>,
    /// The same instant in UTC, where the card tells it (newer cameras).
    #[serde(serialize_with = "utc_iso")]
    pub start_utc: Option<DateTime<Utc>>,
    /// Where `start` came from: "camera_record", "file_name", "mp4_header" or "fat_created".
    pub start_source: Option<StartSource>,
    /// Index in `drives` of the drive this segment belongs to.
    pub drive: Option<usize>,
    /// Locked: the read-only attribute is set.
    pub read_only: bool,
    /// The camera encrypted it (whether or not a key at hand opened it).
    pub encrypted: bool,
    /// For a clip: the paths of its sidecars.
    pub sidecars: Vec<String>,
    /// For a sidecar: the path of its clip.
    pub sidecar_of: Option<String>,
    /// For a clip with `.gnss`/`.imu` sidecars (newer cameras): what they hold. Absent on
    /// other files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<TelemetryRecord>,
    /// Why the camera never overwrites it: "locked" or "kept_folder"; `null` otherwise.
    pub protected: Option<Protection>,
    /// More bytes the camera writes before it overwrites this recording (loop pool).
    pub overwrite_after_bytes: Option<u64>,
    /// The same in hours of driving.
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    pub overwrite_after_days: Option<f64>,
    /// Parking events before this clip is deleted (sos pool).
    pub overwrite_after_events: Option<u64>,
}

/// What a clip's sidecar logs hold.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TelemetryRecord {
    /// GNSS lines read (one a second while recording).
    pub gnss_points: usize,
    /// Of those, the ones with a position.
    pub gnss_fixes: usize,
    /// The first position, `[lat, lon]` in decimal degrees.
    pub first_fix: Option<[f64; 2]>,
    /// The highest speed over ground, km/h.
    pub max_speed_kmh: Option<f64>,
    /// Accelerometer samples read (about 50 a second).
    pub imu_samples: usize,
    /// The strongest acceleration, |a| in g (1 at rest).
    pub peak_g: Option<f64>,
    /// When it was.
    #[serde(serialize_with = "utc_iso")]
    pub peak_g_at_utc: Option<DateTime<Utc>>,
}

impl From<&ClipSummary> for TelemetryRecord {
    fn from(s: &ClipSummary) -> Self {
        Self {
            gnss_points: s.gnss_points,
            gnss_fixes: s.gnss_fixes,
            first_fix: s.first_fix.map(|p| [p.lat, p.lon]),
            max_speed_kmh: s.max_speed_kmh.map(round_2),
            imu_samples: s.imu_samples,
            peak_g: s.peak_g.map(round_3),
            peak_g_at_utc: s.peak_g_at_utc,
        }
    }
}

/// A hard jolt in a drive.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ImpactRecord {
    /// When (camera local time, milliseconds kept).
    #[serde(serialize_with = "crate::json_time::local")]
    pub at: NaiveDateTime,
    /// The same instant in UTC.
    #[serde(serialize_with = "utc_iso")]
    pub at_utc: Option<DateTime<Utc>>,
    /// Its peak |a| in g.
    pub g: f64,
    /// Speed at the nearest fix, km/h.
    pub speed_kmh: Option<f64>,
    /// Position at the nearest fix, `[lat, lon]`.
    pub position: Option<[f64; 2]>,
}

impl ImpactRecord {
    fn new(i: &Impact, utc_offset_s: Option<i32>) -> Self {
        let offset = Duration::seconds(i64::from(utc_offset_s.unwrap_or(0)));
        Self {
            at: i.at_utc.naive_utc() + offset,
            at_utc: Some(i.at_utc),
            g: round_3(i.peak_g),
            speed_kmh: i.speed_kmh.map(round_2),
            position: i.position.map(|p| [p.lat, p.lon]),
        }
    }
}

/// An SOS event's impact: where it is listed.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct ImpactLink {
    /// Index in `drives`.
    pub drive: usize,
    /// Index in that drive's `impacts`.
    pub impact: usize,
}

fn round_2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round_3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// What a video's `moov` header says.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct VideoInfo {
    /// Creation time written by the camera (`mvhd`), if plausible.
    #[serde(serialize_with = "crate::json_time::local_or_null")]
    pub created: Option<NaiveDateTime>,
    /// Picture width in pixels.
    pub width: Option<u32>,
    /// Picture height in pixels.
    pub height: Option<u32>,
    /// Why the header could not be read, when it could not.
    pub error: Option<String>,
}

/// One drive.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DriveRecord {
    /// When its first segment started (camera local time).
    #[serde(serialize_with = "crate::json_time::local")]
    pub start: NaiveDateTime,
    /// When its last segment ended, as far as durations are known.
    #[serde(serialize_with = "crate::json_time::local")]
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
    /// More bytes written before its first segment is overwritten.
    pub overwrite_after_bytes: Option<u64>,
    /// The same in hours of driving.
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    pub overwrite_after_days: Option<f64>,
    /// Distance along its GPS track in km (jumps over 200 km/h left out); `null` without fixes.
    pub distance_km: Option<f64>,
    /// Its highest speed over ground, km/h; `null` without fixes.
    pub max_speed_kmh: Option<f64>,
    /// Hard jolts (|a| − 1 g over 1.5 g, merged within 2 s), oldest first.
    pub impacts: Vec<ImpactRecord>,
}

/// One parking incident.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ParkingRecord {
    /// Path of the clip on the card.
    pub path: String,
    /// When it started (camera local time); `null` when nothing tells.
    #[serde(serialize_with = "crate::json_time::local_or_null")]
    pub start: Option<NaiveDateTime>,
    /// Length in seconds (the header's, else the family's typical 30 s or 10 s).
    pub duration_s: Option<f64>,
    /// "loop" (in the drive folder) or "sos" (NEXC1/NEXS1's own folder).
    pub pool: Pool,
    /// Size in bytes.
    pub bytes: u64,
    /// Index in `drives` of the drive it followed, if any.
    pub after_drive: Option<usize>,
    /// More bytes written before it is overwritten (loop pool).
    pub overwrite_after_bytes: Option<u64>,
    /// The same in hours of driving.
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    pub overwrite_after_days: Option<f64>,
    /// Parking events still to come before it is deleted (sos pool).
    pub overwrite_after_events: Option<u64>,
}

/// The zone local timestamps are in.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimeZoneRecord {
    /// Seconds east of UTC (local = UTC + this); `null` when not known.
    pub utc_offset_s: Option<i32>,
    /// Where it came from, in words.
    pub source: String,
}

impl From<&TimeZone> for TimeZoneRecord {
    fn from(tz: &TimeZone) -> Self {
        Self {
            utc_offset_s: tz.utc_offset_s,
            source: tz.source.clone(),
        }
    }
}

/// One SOS event.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EventRecord {
    /// Path of the clip on the card.
    pub path: String,
    /// When it started (camera local time).
    #[serde(serialize_with = "crate::json_time::local_or_null")]
    pub start: Option<NaiveDateTime>,
    /// The same instant in UTC.
    #[serde(serialize_with = "utc_iso")]
    pub start_utc: Option<DateTime<Utc>>,
    /// "road" or "second".
    pub camera: Option<Camera>,
    /// Length in seconds, when known.
    pub duration_s: Option<f64>,
    /// Size in bytes.
    pub bytes: u64,
    /// Index in `drives` of the drive it happened in or last followed.
    pub after_drive: Option<usize>,
    /// The strongest impact inside its time window, if any.
    pub impact: Option<ImpactLink>,
}

/// The estimate's card-wide figures.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EstimateRecord {
    /// The model in words.
    pub model: String,
    /// Every input, with its source.
    pub inputs: Inputs,
    /// Bytes of drive footage per driving hour (all cameras).
    pub bytes_per_driving_hour: Option<f64>,
    /// Hours of driving per day.
    pub driving_hours_per_day: Option<f64>,
    /// Parking bytes per day (loop pool).
    pub parking_bytes_per_day: Option<f64>,
    /// Hours of driving the loop pool holds when full.
    pub capacity_hours: Option<f64>,
    /// Whether the camera is already overwriting old footage.
    pub looping: bool,
    /// Why `looping` is what it is, in words.
    pub looping_evidence: String,
    /// Hours of driving until the card is full (0 when looping).
    pub hours_until_full: Option<f64>,
    /// Calendar days until the card is full (0 when looping).
    pub days_until_full: Option<f64>,
    /// The oldest loop-pool recording: the next to go.
    pub oldest: Option<OldestRecord>,
    /// The story in one sentence.
    pub headline: String,
    /// The `sos` folder, when the card has one.
    pub sos: Option<SosEstimate>,
    /// Files left out of every rate and sum because a size or header duration they claim
    /// cannot be true (each file says why in `excluded`).
    pub excluded_files: u64,
}

/// The next recording to be overwritten.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OldestRecord {
    /// Its path.
    pub path: String,
    /// When it started.
    #[serde(serialize_with = "crate::json_time::local")]
    pub start: NaiveDateTime,
    /// More bytes written before it goes.
    pub overwrite_after_bytes: u64,
    /// The same in hours of driving.
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    pub overwrite_after_days: Option<f64>,
}

impl Report {
    /// The document for a card: what was read, what the catalog makes of it, the estimate, and
    /// what its sidecar logs hold (`CardTelemetry::default()` when they were not read).
    pub fn assemble(
        listing: &Listing,
        catalog: &Catalog,
        estimate: &Estimate,
        telemetry: &CardTelemetry,
    ) -> Report {
        let offset = catalog.time_zone.utc_offset_s;
        let fate = |i: usize| estimate.files.get(i).copied().unwrap_or_default();
        let path_of = |i: usize| listing.files.get(i).map(|f| f.path.clone());
        let files = listing
            .files
            .iter()
            .zip(&catalog.files)
            .enumerate()
            .map(|(i, (l, c))| {
                let mut record = file_record(l, c, fate(i));
                record.sidecars = c.sidecars.iter().filter_map(|&s| path_of(s)).collect();
                record.sidecar_of = c.sidecar_of.and_then(path_of);
                record.telemetry = telemetry.clip(i).map(TelemetryRecord::from);
                record
            })
            .collect();
        let drives = catalog
            .drives
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let f = estimate.drives.get(i).cloned().unwrap_or_default();
                let t = telemetry.drives.get(i);
                let fixed = t.filter(|t| !t.track.is_empty());
                DriveRecord {
                    start: d.start,
                    end: d.end,
                    duration_s: d.duration_s,
                    segments: d.segments,
                    bytes: d.bytes,
                    cameras: d.cameras.clone(),
                    partly_overwritten: f.partly_overwritten.is_some(),
                    overwritten_evidence: f.partly_overwritten,
                    overwrite_after_bytes: f.overwrite.after_bytes(),
                    overwrite_after_hours: f.overwrite.after_hours(),
                    overwrite_after_days: f.overwrite.after_days(),
                    distance_km: fixed.map(|t| round_3(t.distance_km)),
                    max_speed_kmh: fixed.and_then(|t| t.max_speed_kmh).map(round_2),
                    impacts: t
                        .map_or(&[][..], |t: &DriveTelemetry| &t.impacts)
                        .iter()
                        .map(|i| ImpactRecord::new(i, offset))
                        .collect(),
                }
            })
            .collect();
        let parking = catalog
            .parking
            .iter()
            .filter_map(|p| {
                let (l, c) = (listing.files.get(p.file)?, catalog.files.get(p.file)?);
                let o = fate(p.file);
                Some(ParkingRecord {
                    path: l.path.clone(),
                    start: c.start,
                    duration_s: c.duration_s,
                    pool: c.pool.unwrap_or(Pool::Loop),
                    bytes: l.bytes,
                    after_drive: p.after_drive,
                    overwrite_after_bytes: o.after_bytes(),
                    overwrite_after_hours: o.after_hours(),
                    overwrite_after_days: o.after_days(),
                    overwrite_after_events: o.after_events(),
                })
            })
            .collect();
        let events = catalog
            .events
            .iter()
            .enumerate()
            .filter_map(|(n, e)| {
                let (l, c) = (listing.files.get(e.file)?, catalog.files.get(e.file)?);
                Some(EventRecord {
                    path: l.path.clone(),
                    start: c.start,
                    start_utc: c.start_utc,
                    camera: c.camera,
                    duration_s: c.duration_s,
                    bytes: l.bytes,
                    after_drive: e.after_drive,
                    impact: telemetry.event_impact(n).map(|l| ImpactLink {
                        drive: l.drive,
                        impact: l.impact,
                    }),
                })
            })
            .collect();
        let oldest = estimate.oldest.as_ref().and_then(|o| {
            Some(OldestRecord {
                path: listing.files.get(o.file)?.path.clone(),
                start: o.start,
                overwrite_after_bytes: o.position.after_bytes,
                overwrite_after_hours: o.position.after_hours,
                overwrite_after_days: o.position.after_days,
            })
        });
        Report {
            report_format: REPORT_FORMAT,
            dashcard_version: env!("CARGO_PKG_VERSION").to_string(),
            source: listing.source.clone(),
            partition_table: listing.partition_table.clone(),
            volume: listing.volume.clone(),
            time_zone: TimeZoneRecord::from(&catalog.time_zone),
            files,
            warnings: listing.warnings.clone(),
            drives,
            parking,
            events,
            camera_info: catalog.camera_info.clone(),
            family: catalog.family.clone(),
            estimate: EstimateRecord {
                model: estimate.model.clone(),
                inputs: estimate.inputs.clone(),
                bytes_per_driving_hour: estimate.bytes_per_driving_hour,
                driving_hours_per_day: estimate.driving_hours_per_day,
                parking_bytes_per_day: estimate.parking_bytes_per_day,
                capacity_hours: estimate.capacity_hours,
                looping: estimate.looping,
                looping_evidence: estimate.looping_evidence.clone(),
                hours_until_full: estimate.hours_until_full,
                days_until_full: estimate.days_until_full,
                oldest,
                headline: estimate.headline.clone(),
                sos: estimate.sos.clone(),
                excluded_files: estimate.excluded_files,
            },
            totals: catalog.totals.clone(),
        }
    }

    /// Writes the report as pretty-printed JSON (the same bytes as [`Report::to_json`]) straight
    /// to `out`: a large card's report is several MB, and building it as one `String` first
    /// costs an allocation and a copy of all of it.
    pub fn write_json(&self, out: impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer_pretty(out, self).map_err(std::io::Error::from)
    }

    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing these plain types cannot fail; fall back to an explicit error document.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize report: {e}\"}}"))
    }
}

/// Problems with a file in plain words: the file system's, the header's, and what the catalog
/// says of an encrypted clip.
fn file_warnings(l: &ListedFile, c: &crate::catalog::CatalogFile) -> Vec<String> {
    use crate::catalog::encryption::Encrypted;
    use crate::encryption::KeySource;
    let mut warnings = l.warnings.clone();
    if let Some(h) = &l.header {
        warnings.extend(h.warnings.iter().cloned());
    }
    match c.encrypted {
        Some(Encrypted::OpenedWith(KeySource::FactoryDefault)) => warnings.push(
            "encrypted by the camera; read with the firmware's factory default key".to_string(),
        ),
        Some(Encrypted::OpenedWith(KeySource::Owner)) => {
            warnings.push("encrypted by the camera; read with the key given".to_string())
        }
        Some(Encrypted::KeyNeeded) => warnings.push(
            "encrypted by the camera: the factory default key does not open it; ask Nexar support for this camera's key".to_string(),
        ),
        None => {}
    }
    if let Some(why) = &c.excluded {
        warnings.push(why.describe());
    }
    warnings
}

fn file_record(l: &ListedFile, c: &crate::catalog::CatalogFile, o: Overwrite) -> FileRecord {
    let key_needed = c.encrypted == Some(crate::catalog::encryption::Encrypted::KeyNeeded);
    FileRecord {
        path: l.path.clone(),
        bytes: l.bytes,
        created: l.created,
        modified: l.modified,
        deleted: l.deleted,
        recoverable: l.recoverable,
        fragments: l.fragments,
        duration_s: c.duration_s,
        duration_source: c.duration_source,
        video: l.header.as_ref().map(|h| VideoInfo {
            created: h.created,
            width: h.width,
            height: h.height,
            error: if key_needed {
                Some("encrypted by the camera; no key at hand opens it".to_string())
            } else {
                h.error.clone()
            },
        }),
        extents: l.extents.clone(),
        warnings: file_warnings(l, c),
        excluded: c.excluded.as_ref().map(|why| why.describe()),
        kind: c.kind,
        camera: c.camera,
        pool: c.pool,
        start: c.start,
        start_utc: c.start_utc,
        start_source: c.start_source,
        drive: c.drive,
        read_only: l.read_only,
        encrypted: c.encrypted.is_some(),
        sidecars: Vec::new(),
        sidecar_of: None,
        telemetry: None,
        protected: o.protection(),
        overwrite_after_bytes: o.after_bytes(),
        overwrite_after_hours: o.after_hours(),
        overwrite_after_days: o.after_days(),
        overwrite_after_events: o.after_events(),
    }
}
