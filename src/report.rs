//! The report: one JSON document describing a card, shared by `dashcard report --json` and the
//! web app's "Download report (JSON)". Its own types (not the reader's internals) so that the
//! format stays stable while the readers evolve; `REPORT_FORMAT` changes when it must break.
//!
//! Timestamps are camera local time without a zone (FAT stores no zone), written as ISO 8601
//! `YYYY-MM-DDTHH:MM:SS`.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use crate::catalog::classify::{Camera, FileKind, Pool};
use crate::catalog::drives::Drive;
use crate::catalog::family::Family;
use crate::catalog::parking::ParkingIncident;
use crate::catalog::timing::{DurationSource, StartSource};
use crate::catalog::totals::Totals;
use crate::estimate::Estimate;
use crate::extent::Extent;

/// Version of the JSON layout; bumped only for incompatible changes.
pub const REPORT_FORMAT: u32 = 1;

/// Everything known about one card.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
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
    /// Always "camera local time, no zone": how to read every timestamp in this document.
    pub time_zone: String,
    /// Every file, live or deleted (directories are not listed).
    pub files: Vec<FileRecord>,
    /// Whole-card problems in plain words (corruption, unreadable parts).
    pub warnings: Vec<String>,
    /// Drives, oldest first: segments of the road and cabin cameras grouped by time.
    #[serde(default)]
    pub drives: Vec<Drive>,
    /// Parking incidents (live clips), oldest first.
    #[serde(default)]
    pub parking: Vec<ParkingIncident>,
    /// The model family, with its evidence.
    #[serde(default)]
    pub family: Option<Family>,
    /// How soon recordings will be overwritten, and every input behind it.
    #[serde(default)]
    pub estimate: Option<Estimate>,
    /// Bytes and counts by kind, the span of dates, problems: the card summed.
    #[serde(default)]
    pub totals: Option<Totals>,
}

/// Where the report came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Source {
    /// "image" (a raw card image) or "folder" (a mounted card).
    pub kind: SourceKind,
    /// File or folder name as given.
    pub name: String,
    /// Size of the image in bytes; `null` for a folder.
    pub bytes: Option<u64>,
}

/// The two ways a card can be opened.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A raw image of the card (or of one volume).
    #[default]
    Image,
    /// A mounted card folder: what the OS shows, without extents or deleted entries.
    Folder,
}

/// The partition table of an image.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartitionTableInfo {
    /// "MBR", "GPT" or "none" (a bare volume).
    pub scheme: String,
    /// Logical sector size the table uses.
    pub sector_bytes: u32,
    /// Every partition found, FAT or not.
    pub partitions: Vec<PartitionInfo>,
}

/// One partition.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartitionInfo {
    /// Number in the table, from 1.
    pub index: u32,
    /// Offset of the partition in the image, in bytes.
    pub offset: u64,
    /// Size of the partition in bytes.
    pub bytes: u64,
    /// The table's type for it, in words.
    pub type_name: String,
    /// What its first sector says it holds: "fat", "exfat", "ntfs" or "unknown".
    pub filesystem: String,
}

/// The FAT volume. Fields that a folder source cannot know are `null`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Volume {
    /// "FAT12", "FAT16" or "FAT32"; `null` for a folder.
    pub filesystem: Option<String>,
    /// Byte offset of the volume in the image (0 for a bare volume); `null` for a folder.
    pub partition_offset: Option<u64>,
    /// Cluster size in bytes; `null` for a folder.
    pub cluster_bytes: Option<u32>,
    /// Data clusters × cluster size (for a folder: the capacity given by the user, if any).
    pub capacity_bytes: Option<u64>,
    /// Free space counted from the FAT itself (not from FSInfo).
    pub free_bytes: Option<u64>,
    /// Volume label, if any.
    pub label: Option<String>,
}

/// One file, live or deleted.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FileRecord {
    /// "/"-separated path from the volume root, with long names.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Creation time (camera local time).
    pub created: Option<NaiveDateTime>,
    /// Last modification time (camera local time).
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
    /// Where `duration_s` came from: "mp4_header", "next_segment" or "typical".
    #[serde(default)]
    pub duration_source: Option<DurationSource>,
    /// What the MP4 header says, when the file is a video.
    pub video: Option<VideoInfo>,
    /// Where the file's bytes lie in the image (absolute offsets); empty for a folder source
    /// and for deleted files that cannot be recovered.
    pub extents: Vec<Extent>,
    /// Problems with this file, in plain words.
    pub warnings: Vec<String>,
    /// "drive", "parking" or "other".
    #[serde(default)]
    pub kind: FileKind,
    /// "road" or "cabin" for drive segments.
    #[serde(default)]
    pub camera: Option<Camera>,
    /// "loop" or "sos" for recordings.
    #[serde(default)]
    pub pool: Option<Pool>,
    /// When the recording started (camera local time).
    #[serde(default)]
    pub start: Option<NaiveDateTime>,
    /// Where `start` came from: "file_name", "mp4_header" or "fat_created".
    #[serde(default)]
    pub start_source: Option<StartSource>,
    /// Index in `drives` of the drive this segment belongs to.
    #[serde(default)]
    pub drive: Option<usize>,
    /// More bytes the camera writes before it overwrites this recording (loop pool).
    #[serde(default)]
    pub overwrite_after_bytes: Option<u64>,
    /// The same in hours of driving.
    #[serde(default)]
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    #[serde(default)]
    pub overwrite_after_days: Option<f64>,
    /// Parking events before this clip is deleted (sos pool).
    #[serde(default)]
    pub overwrite_after_events: Option<u64>,
}

/// What a video's `moov` header says.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct VideoInfo {
    /// Creation time written by the camera (`mvhd`), if plausible.
    pub created: Option<NaiveDateTime>,
    /// Picture width in pixels.
    pub width: Option<u32>,
    /// Picture height in pixels.
    pub height: Option<u32>,
    /// Why the header could not be read, when it could not.
    pub error: Option<String>,
}

impl Report {
    /// The report as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // Serializing these plain types cannot fail; fall back to an explicit error document.
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize report: {e}\"}}"))
    }

    /// A copy of everything but the files (cheap: the files are most of a report).
    pub fn clone_without_files(&self) -> Report {
        Report {
            report_format: self.report_format,
            dashcard_version: self.dashcard_version.clone(),
            source: self.source.clone(),
            partition_table: self.partition_table.clone(),
            volume: self.volume.clone(),
            time_zone: self.time_zone.clone(),
            files: Vec::new(),
            warnings: self.warnings.clone(),
            drives: self.drives.clone(),
            parking: self.parking.clone(),
            family: self.family.clone(),
            estimate: self.estimate.clone(),
            totals: self.totals.clone(),
        }
    }

    /// Files that are not deleted.
    pub fn live_files(&self) -> impl Iterator<Item = &FileRecord> {
        self.files.iter().filter(|f| !f.deleted)
    }

    /// The file at `path` (live first, then deleted), compared case-insensitively as FAT does.
    pub fn find(&self, path: &str) -> Option<&FileRecord> {
        let want = path.trim_start_matches('/');
        self.files
            .iter()
            .filter(|f| f.path.eq_ignore_ascii_case(want))
            .min_by_key(|f| f.deleted)
    }
}

/// True for names of MP4-family videos (MP4, MOV, M4V, 3GP), whose headers give a duration.
pub fn is_video_name(path: &str) -> bool {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    matches!(ext.as_deref(), Some("mp4" | "mov" | "m4v" | "3gp"))
}
