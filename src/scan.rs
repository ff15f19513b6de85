//! A card image as a source: from its bytes to a [`Listing`], the one path every front end
//! (CLI, web worker) takes.
//!
//! Opening an image is two phases so that a user sees the card at once on a huge card:
//! [`list_image`] reads the partition table, the volume's allocation structures and the
//! directories (cheap: a few large reads), then [`read_headers`] visits each video's MP4 header
//! (a couple of small reads per clip) and its results go into the listing
//! ([`Listing::with_headers`]). [`scan_image`] does both.
//!
//! The volume is FAT12/16/32 (read by [`crate::fat`]) or exFAT (read by [`crate::exfat`]); both
//! end here in the same [`Listing`], so nothing after this module knows which it was.

use std::io::{Read, Seek};

use crate::block_reader::BlockReader;
use crate::clip_header::{Keys, read_clip, read_clip_from_end};
use crate::exfat::{self, ExfatError, ExfatListing};
use crate::fat::{self, FatError, VolumeListing, WalkLimits};
use crate::imu_headers;
use crate::listing::{
    ClipRef, HeaderResult, ImuHeaderAt, ListedFile, Listing, PartitionInfo, PartitionTableInfo,
    Source, SourceKind, Volume,
};
use crate::partition::{self, Filesystem, Partition, PartitionError, PartitionTable};

/// What to read, and the bounds that keep a hostile image from costing too much.
#[derive(Clone, Debug, Default)]
pub struct ScanOptions {
    /// Bounds on the directory walk.
    pub limits: WalkLimits,
    /// Name to show for the source (a file name); defaults to "card image".
    pub source_name: Option<String>,
    /// Keys to try on clips the camera encrypted (the factory default always).
    pub keys: Keys,
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
    /// The exFAT volume could not be read.
    #[error("{0}")]
    Exfat(#[from] ExfatError),
    /// The card holds a volume in a file system Dashcard does not read.
    #[error("{}", unsupported_message(*.0))]
    Unsupported(Filesystem),
    /// No volume Dashcard can read.
    #[error("{0}")]
    NoVolume(String),
}

impl ScanError {
    /// The file system that stopped the read, when the card is fine but holds one Dashcard
    /// does not read: "NTFS".
    pub fn unsupported_filesystem(&self) -> Option<&'static str> {
        match self {
            ScanError::Unsupported(Filesystem::Ntfs) | ScanError::Fat(FatError::Ntfs) => {
                Some("NTFS")
            }
            _ => None,
        }
    }
}

fn unsupported_message(filesystem: Filesystem) -> &'static str {
    match filesystem {
        Filesystem::Ntfs => {
            "this card holds an NTFS volume; Dashcard reads FAT12/16/32 and exFAT cards (what Nexar cameras use)"
        }
        Filesystem::Fat | Filesystem::ExFat | Filesystem::Unknown => {
            "Dashcard cannot read this volume"
        }
    }
}

/// Reads partitions, the volume and its directories (no MP4 headers yet: every `header` is
/// `None`). The first partition holding FAT or exFAT is read; others are named in a warning.
pub fn list_image<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    options: &ScanOptions,
) -> Result<Listing, ScanError> {
    let table = partition::read_partition_table(reader)?;
    let Some(target) = table.readable_partitions().next().cloned() else {
        return Err(no_volume(&table));
    };
    let mut warnings = table.warnings.clone();
    if let Some(warning) = other_volumes(&table, &target) {
        warnings.push(warning);
    }
    let (volume, files, volume_warnings) = match target.filesystem {
        Filesystem::ExFat => exfat_listing(exfat::read_volume(
            reader,
            target.offset,
            target.bytes,
            &options.limits,
        )?),
        _ => fat_listing(fat::read_volume(
            reader,
            target.offset,
            target.bytes,
            &options.limits,
        )?),
    };
    warnings.extend(volume_warnings);
    Ok(Listing {
        source: Source {
            kind: SourceKind::Image,
            name: options
                .source_name
                .clone()
                .unwrap_or_else(|| "card image".to_string()),
            bytes: Some(reader.len()),
        },
        partition_table: Some(partition_table_info(&table)),
        volume,
        warnings,
        files,
        imu_headers: Vec::new(),
    })
}

/// The warning for a card with more than one readable volume: which one is shown.
fn other_volumes(table: &PartitionTable, shown: &Partition) -> Option<String> {
    let readable: Vec<&Partition> = table.readable_partitions().collect();
    if readable.len() < 2 {
        return None;
    }
    let has = |f: Filesystem| readable.iter().any(|p| p.filesystem == f);
    let kinds = match (has(Filesystem::Fat), has(Filesystem::ExFat)) {
        (true, true) => "FAT and exFAT",
        (false, true) => "exFAT",
        _ => "FAT",
    };
    Some(format!(
        "this card has {} {kinds} partitions; only partition {} (the first) is shown",
        readable.len(),
        shown.index
    ))
}

/// A FAT volume as the listing's volume, files and warnings.
fn fat_listing(volume: VolumeListing) -> (Volume, Vec<ListedFile>, Vec<String>) {
    let info = &volume.volume;
    let summary = Volume {
        filesystem: Some(info.fat_type.to_string()),
        partition_offset: Some(info.partition_offset),
        cluster_bytes: Some(info.cluster_bytes),
        capacity_bytes: Some(info.capacity_bytes),
        free_bytes: Some(info.free_bytes),
        label: info.label.clone(),
    };
    let files = listed_files(
        volume.entries,
        |e| e.is_dir,
        |e| ListedFile {
            path: e.path,
            bytes: e.bytes,
            created: e.created,
            modified: e.modified,
            deleted: e.deleted,
            recoverable: e.recoverable,
            fragments: e.fragments,
            extents: e.extents,
            valid_bytes: None,
            warnings: e.warnings,
            read_only: e.read_only,
            header: None,
        },
    );
    (summary, files, volume.warnings)
}

/// An exFAT volume as the listing's volume, files and warnings. The listing has no room for
/// what else exFAT adds (UTC offsets, the serial number): the report format would have to grow
/// for them.
fn exfat_listing(volume: ExfatListing) -> (Volume, Vec<ListedFile>, Vec<String>) {
    let info = &volume.volume;
    let summary = Volume {
        filesystem: Some("exFAT".to_string()),
        partition_offset: Some(info.partition_offset),
        cluster_bytes: Some(info.cluster_bytes),
        capacity_bytes: Some(info.capacity_bytes),
        free_bytes: Some(info.free_bytes),
        label: info.label.clone(),
    };
    let files = listed_files(
        volume.entries,
        |e| e.is_dir,
        |e| ListedFile {
            valid_bytes: (e.valid_bytes < e.bytes).then_some(e.valid_bytes),
            path: e.path,
            bytes: e.bytes,
            created: e.created,
            modified: e.modified,
            deleted: e.deleted,
            recoverable: e.recoverable,
            fragments: e.fragments,
            extents: e.extents,
            warnings: e.warnings,
            read_only: e.read_only,
            header: None,
        },
    );
    (summary, files, volume.warnings)
}

/// A walk's entries that are not folders, as listed files: the vector sized once (growing one
/// of ~14,000 files by doubling copies it again and again).
fn listed_files<E>(
    entries: Vec<E>,
    is_dir: impl Fn(&E) -> bool,
    listed: impl FnMut(E) -> ListedFile,
) -> Vec<ListedFile> {
    let mut files = Vec::with_capacity(entries.iter().filter(|e| !is_dir(e)).count());
    files.extend(entries.into_iter().filter(|e| !is_dir(e)).map(listed));
    files
}

/// Bytes from the end of a clip that its `moov` tail read covers (the MP4 reader's read-ahead).
const TAIL_BYTES: u64 = 8 * 1024;

/// While clips are read from their tails, a clip's tail and the next clip's head are read in
/// one call only across gaps up to this: a browser reads 64 KiB at a time, and a larger read
/// costs more than the next clip's own one-call tail read.
pub const PROBE_GAP_BYTES: u64 = 32 * 1024;

/// Tail reads tried before they are given up when they fail at least as often as they work.
const PROBE_TRIALS: u32 = 8;
/// Bytes of a clip's start that its head read covers: `ftyp` and the `mdat` header, or a
/// fragmented clip's whole `moov` (the newer cameras' is under 2 KiB).
const HEAD_BYTES: u64 = 4096;

/// Reads the MP4 header of each of `clips` (see [`Listing::image_clips`]), in the order given,
/// calling `progress(done, total)` after each. Reads only the bytes the headers need. Where
/// one clip's end and the next one's start are at most `max_gap` bytes apart, the first clip's
/// tail and the next clip's head are read in one call: for sources where a call costs more
/// than the bytes (a browser `Blob`), about one call per clip instead of two. `max_gap` 0
/// reads each clip on its own (what the CLI wants: natively, bytes read are the cost).
///
/// With `max_gap` set, a clip whose start was not read with the clip before it is first read
/// from its tail alone: a camera's clip ends with its `moov`, and found there whole it gives
/// the header in that one call; otherwise the clip is read from its start as usual. While
/// that works (first-generation clips), a clip's tail and the next one's head are read
/// together only across gaps of up to [`PROBE_GAP_BYTES`] (a larger gap costs more than the
/// next clip's own tail read: the slack of a 256 KiB exFAT cluster is up to 256 KiB); once it
/// mostly fails (fragmented clips, whose `moov` is at their start), across `max_gap`.
pub fn read_headers<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    clips: &[ClipRef],
    max_gap: u64,
    keys: &Keys,
    mut progress: impl FnMut(usize, usize),
) -> Vec<HeaderResult> {
    let total = clips.len();
    let mut results = Vec::with_capacity(total);
    let mut head_held = false;
    let (mut hits, mut misses) = (0u32, 0u32);
    for (done, clip) in clips.iter().enumerate() {
        let mut close_to_next = false;
        let probing = max_gap > 0 && (misses < PROBE_TRIALS || hits >= misses);
        let max_gap = if probing {
            max_gap.min(PROBE_GAP_BYTES)
        } else {
            max_gap
        };
        if max_gap > 0 {
            let end = clip.extents.last().map(|e| e.offset + e.bytes);
            let next = clips
                .get(done + 1)
                .and_then(|n| n.extents.first())
                .map(|e| e.offset);
            match (end, next) {
                (Some(end), Some(next)) if next >= end && next - end <= max_gap => {
                    close_to_next = true;
                    reader.hint_span(end.saturating_sub(TAIL_BYTES), next + HEAD_BYTES)
                }
                // The tail alone, so that a clip read from its start after all (a fragmented
                // one) finds its tail already read.
                (Some(end), _) => reader.hint_span(end.saturating_sub(TAIL_BYTES), end),
                _ => reader.hint_span(0, 0),
            }
        }
        let mut stream = clip.open(reader);
        let mut from_end = None;
        if probing && !head_held {
            from_end = read_clip_from_end(&mut stream, clip.bytes, TAIL_BYTES);
            match from_end {
                Some(_) => hits += 1,
                None => misses += 1,
            }
        }
        let header = from_end.unwrap_or_else(|| read_clip(&mut stream, clip.bytes, keys));
        results.push(HeaderResult {
            index: clip.index,
            header,
        });
        head_held = close_to_next;
        progress(done + 1, total);
    }
    reader.hint_span(0, 0);
    results
}

/// Reads the headers of the few `.imu` sidecars [`imu_headers::chosen`] picks.
pub fn read_imu_headers<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    listing: &Listing,
) -> Vec<ImuHeaderAt> {
    imu_headers::chosen(listing)
        .into_iter()
        .filter_map(|index| {
            let f = listing.files.get(index)?;
            let stream = f.open(reader);
            let header = imu_headers::read_header(stream)?;
            Some(ImuHeaderAt { index, header })
        })
        .collect()
}

/// Lists the image and reads every video header (and the few `.imu` headers).
pub fn scan_image<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    options: &ScanOptions,
) -> Result<Listing, ScanError> {
    let listing = list_image(reader, options)?;
    let headers = read_headers(reader, &listing.image_clips(), 0, &options.keys, |_, _| {});
    let imu = read_imu_headers(reader, &listing);
    Ok(listing.with_headers(headers).with_imu_headers(imu))
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

/// The clearest thing to say when no partition holds a volume Dashcard reads.
fn no_volume(table: &PartitionTable) -> ScanError {
    if table
        .partitions
        .iter()
        .any(|p| p.filesystem == Filesystem::Ntfs)
    {
        return ScanError::Unsupported(Filesystem::Ntfs);
    }
    let message = if table.partitions.is_empty() && !table.warnings.is_empty() {
        format!("no readable partition table: {}", table.warnings.join("; "))
    } else if table.partitions.is_empty() {
        "no partition table and no FAT or exFAT volume found: this does not look like a card image"
            .to_string()
    } else {
        let kinds: Vec<String> = table
            .partitions
            .iter()
            .map(|p| format!("partition {}: {}", p.index, p.type_name))
            .collect();
        format!("no FAT or exFAT volume found ({})", kinds.join(", "))
    };
    ScanError::NoVolume(message)
}
