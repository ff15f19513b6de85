//! From a source to a [`Report`]: the one path every front end (CLI, web worker) takes.
//!
//! Opening an image is two phases so that a user sees the card at once on a huge card:
//! [`list_image`] reads the partition table, the FAT and the directories (cheap: a few large
//! reads), then [`read_durations`] visits each video's MP4 header (a couple of small reads per
//! clip). [`scan_image`] does both.

use std::io::{Read, Seek};

use crate::block_reader::BlockReader;
use crate::extent::ExtentReader;
use crate::fat::{self, FatError, WalkLimits};
use crate::mp4;
use crate::partition::{self, Filesystem, PartitionError, PartitionTable};
use crate::report::{
    FileRecord, PartitionInfo, PartitionTableInfo, REPORT_FORMAT, Report, Source, SourceKind,
    VideoInfo, Volume, is_video_name,
};

/// What to read, and the bounds that keep a hostile image from costing too much.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Bounds on the directory walk.
    pub limits: WalkLimits,
    /// Name to show for the source (a file name); defaults to "card image".
    pub source_name: Option<String>,
}

/// Why a card could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The image could not be read, or its layout makes no sense.
    #[error("{0}")]
    Partition(#[from] PartitionError),
    /// The FAT volume could not be read.
    #[error("{0}")]
    Fat(#[from] FatError),
    /// No volume Dashcard can read.
    #[error("{0}")]
    NoFatVolume(String),
}

/// Reads partitions, FAT and directories (no MP4 headers yet: `duration_s` stays `null`).
pub fn list_image<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    options: &ScanOptions,
) -> Result<Report, ScanError> {
    let table = partition::read_partition_table(reader)?;
    let target = table
        .fat_partitions()
        .next()
        .cloned()
        .ok_or_else(|| ScanError::NoFatVolume(no_fat_message(&table)))?;
    let listing = fat::read_volume(reader, target.offset, target.bytes, &options.limits)?;
    let mut warnings = table.warnings.clone();
    if table.fat_partitions().count() > 1 {
        warnings.push(format!(
            "this card has {} FAT partitions; only partition {} (the first) is shown",
            table.fat_partitions().count(),
            target.index
        ));
    }
    warnings.extend(listing.warnings.iter().cloned());
    let info = &listing.volume;
    let files = listing
        .entries
        .into_iter()
        .filter(|e| !e.is_dir)
        .map(|e| FileRecord {
            path: e.path,
            bytes: e.bytes,
            created: e.created,
            modified: e.modified,
            deleted: e.deleted,
            recoverable: e.recoverable,
            fragments: e.fragments,
            duration_s: None,
            video: None,
            extents: e.extents,
            warnings: e.warnings,
            ..FileRecord::default()
        })
        .collect();
    Ok(Report {
        report_format: REPORT_FORMAT,
        dashcard_version: env!("CARGO_PKG_VERSION").to_string(),
        source: Source {
            kind: SourceKind::Image,
            name: options
                .source_name
                .clone()
                .unwrap_or_else(|| "card image".to_string()),
            bytes: Some(reader.len()),
        },
        partition_table: Some(partition_table_info(&table)),
        volume: Volume {
            filesystem: Some(info.fat_type.to_string()),
            partition_offset: Some(info.partition_offset),
            cluster_bytes: Some(info.cluster_bytes),
            capacity_bytes: Some(info.capacity_bytes),
            free_bytes: Some(info.free_bytes),
            label: info.label.clone(),
        },
        time_zone: "camera local time, no zone".to_string(),
        files,
        warnings,
        drives: Vec::new(),
        parking: Vec::new(),
        family: None,
        estimate: None,
        totals: None,
    })
}

/// Fills in `duration_s` and `video` for every video whose bytes can be read (live files and
/// recoverable deleted ones), calling `progress(done, total)` after each. Reads only the bytes
/// the headers need (what the CLI wants: bytes read are the cost that counts natively).
pub fn read_durations<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    report: &mut Report,
    progress: impl FnMut(usize, usize),
) {
    read_durations_coalesced(reader, report, 0, progress);
}

/// Bytes from the end of a clip that its `moov` tail read covers (the MP4 reader's read-ahead).
const TAIL_BYTES: u64 = 8 * 1024;
/// Bytes of a clip's start that its head read covers (`ftyp` and the `mdat` header).
const HEAD_BYTES: u64 = 1024;

/// [`read_durations`], visiting clips in the order they lie on the card and, where one clip's
/// end and the next one's start are at most `max_gap` bytes apart, reading the first clip's
/// tail and the next clip's head in one call. For sources where a call costs more than the
/// bytes (a browser `Blob`): about one call per clip instead of two.
pub fn read_durations_coalesced<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    report: &mut Report,
    max_gap: u64,
    progress: impl FnMut(usize, usize),
) {
    let order = header_order(report);
    read_durations_of(reader, report, &order, max_gap, progress);
}

/// The files whose MP4 headers can be read (videos with known extents: live files and
/// recoverable deleted ones), in the order they lie on the card.
pub fn header_order(report: &Report) -> Vec<usize> {
    let mut order: Vec<usize> = report
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| is_video_name(&f.path) && !f.extents.is_empty())
        .map(|(i, _)| i)
        .collect();
    order.sort_by_key(|&i| report.files[i].extents.first().map_or(0, |e| e.offset));
    order
}

/// Fewest clips worth splitting between two readers (see [`split_header_order`]).
pub const SPLIT_MIN_CLIPS: usize = 64;

/// The [`header_order`] cut in two halves of neighbouring clips, so two readers (two workers,
/// two cores) can each read one with their reads still coalesced; `None` when there are too
/// few clips to be worth it. Both sides of a split call this and get the same halves.
pub fn split_header_order(report: &Report) -> Option<(Vec<usize>, Vec<usize>)> {
    let mut order = header_order(report);
    if order.len() < SPLIT_MIN_CLIPS {
        return None;
    }
    let second = order.split_off(order.len().div_ceil(2));
    Some((order, second))
}

/// [`read_durations_coalesced`] for the files at `order` only (in the order given).
pub fn read_durations_of<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    report: &mut Report,
    order: &[usize],
    max_gap: u64,
    mut progress: impl FnMut(usize, usize),
) {
    let todo: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| i < report.files.len())
        .collect();
    let total = todo.len();
    for (done, &index) in todo.iter().enumerate() {
        if max_gap > 0 {
            let end = report.files[index]
                .extents
                .last()
                .map(|e| e.offset + e.bytes);
            let next = todo
                .get(done + 1)
                .and_then(|&n| report.files[n].extents.first())
                .map(|e| e.offset);
            match (end, next) {
                (Some(end), Some(next)) if next >= end && next - end <= max_gap => {
                    reader.hint_span(end.saturating_sub(TAIL_BYTES), next + HEAD_BYTES)
                }
                _ => reader.hint_span(0, 0),
            }
        }
        let file = &mut report.files[index];
        let mut stream = ExtentReader::new(reader, &file.extents, file.bytes);
        apply_header(file, mp4::read_header(&mut stream, file.bytes));
        progress(done + 1, total);
    }
    reader.hint_span(0, 0);
}

/// Records what an MP4 header read gave (or why it failed) on a file.
pub fn apply_header(file: &mut FileRecord, header: Result<mp4::Mp4Info, mp4::Mp4Error>) {
    // What the header says replaces whatever an earlier catalog pass derived.
    file.duration_source = None;
    match header {
        Ok(info) => {
            file.duration_s = info.duration_s;
            file.duration_source = info
                .duration_s
                .map(|_| crate::catalog::timing::DurationSource::Mp4Header);
            file.video = Some(VideoInfo {
                created: info.created,
                width: info.width,
                height: info.height,
                error: None,
            });
        }
        Err(e) => {
            file.duration_s = None;
            file.video = Some(VideoInfo {
                error: Some(e.to_string()),
                ..VideoInfo::default()
            });
        }
    }
}

/// Lists the image and reads every video header.
pub fn scan_image<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    options: &ScanOptions,
) -> Result<Report, ScanError> {
    let mut report = list_image(reader, options)?;
    read_durations(reader, &mut report, |_, _| {});
    Ok(report)
}

fn partition_table_info(table: &PartitionTable) -> PartitionTableInfo {
    PartitionTableInfo {
        scheme: table.scheme.to_string(),
        sector_bytes: table.sector_bytes,
        partitions: table
            .partitions
            .iter()
            .map(|p| PartitionInfo {
                index: p.index,
                offset: p.offset,
                bytes: p.bytes,
                type_name: p.type_name.clone(),
                filesystem: p.filesystem.to_string(),
            })
            .collect(),
    }
}

/// The clearest thing to say when no partition holds FAT.
fn no_fat_message(table: &PartitionTable) -> String {
    if table
        .partitions
        .iter()
        .any(|p| p.filesystem == Filesystem::ExFat)
    {
        return "exFAT is not supported yet: this card holds an exFAT volume, and Dashcard reads FAT12/16/32 (what Nexar cameras use)".to_string();
    }
    if table
        .partitions
        .iter()
        .any(|p| p.filesystem == Filesystem::Ntfs)
    {
        return "this card holds an NTFS volume; Dashcard reads FAT12/16/32 cards (what Nexar cameras use)".to_string();
    }
    if table.partitions.is_empty() && !table.warnings.is_empty() {
        return format!("no readable partition table: {}", table.warnings.join("; "));
    }
    if table.partitions.is_empty() {
        return "no partition table and no FAT volume found: this does not look like a card image"
            .to_string();
    }
    let kinds: Vec<String> = table
        .partitions
        .iter()
        .map(|p| format!("partition {}: {}", p.index, p.type_name))
        .collect();
    format!("no FAT volume found ({})", kinds.join(", "))
}
