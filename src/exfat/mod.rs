//! The exFAT volume, read by Dashcard's own read-only reader (the `fatfs` crate has no exFAT).
//!
//! Nexar cameras format cards larger than 32 GB as exFAT with 128, 256 or 512 KiB clusters.
//! This module reads such a volume the way the FAT layer reads FAT32: every file and folder with
//! its extents (absolute byte ranges of the image), deleted entries with a recovery verdict, and
//! free space — from the structures the exFAT specification defines, one module each:
//!
//! - `boot_region`: the main and backup boot regions and their checksum;
//! - `fat_chain`: the FAT, read lazily, and cluster chains;
//! - `allocation_bitmap`: which clusters are in use, counted a word at a time;
//! - `upcase_table`: how names fold case, for name hashes and comparisons;
//! - `entry_set`: directory entries and the File / Stream Extension / File Name sets;
//! - `timestamp`: local times with their 10 ms part and UTC offset.
//!
//! A file's bytes past its valid data length read as zeros: its extents cover only the valid
//! bytes, and [`ExtentReader::zero_filled`] (the same stream every reader of file bytes uses)
//! supplies the rest.
//!
//! Deleted files fare better on exFAT than on FAT: deleting only clears each entry's InUse bit,
//! so the full name, size and first cluster survive, and the FAT chain of a fragmented file is
//! left in place (the FAT is never cleaned on exFAT; the bitmap alone records that the clusters
//! are free). See [`ExfatEntry::recoverable`] for how the verdict is reached.
//!
//! Everything is bounded against a hostile image: chains by the clusters a size needs and by a
//! volume-wide budget, folders by size, depth and entry count, and every problem becomes a
//! per-entry or volume warning or a clear [`ExfatError`] — never a panic or a hang.

mod allocation_bitmap;
mod boot_region;
mod cluster_set;
mod entry_set;
mod fat_chain;
mod timestamp;
mod upcase_table;
mod walk;

use std::io::{Read, Seek};

use chrono::NaiveDateTime;

use crate::block_reader::BlockReader;
use crate::extent::{Extent, ExtentReader};
use crate::fat::WalkLimits;

pub use boot_region::{BootCopy, BootRegion};

/// What the volume is, as read from its boot region, root folder and allocation bitmap.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExfatVolumeInfo {
    /// Offset of the volume in the image.
    pub partition_offset: u64,
    /// Size of the volume, as its boot sector declares it.
    pub volume_bytes: u64,
    /// Bytes per sector (512–4096).
    pub sector_bytes: u32,
    /// Bytes per cluster (up to 32 MiB).
    pub cluster_bytes: u32,
    /// Clusters in the cluster heap.
    pub cluster_count: u32,
    /// Clusters × cluster size.
    pub capacity_bytes: u64,
    /// Free clusters × cluster size, counted from the allocation bitmap.
    pub free_bytes: u64,
    /// The share of the heap in use the boot sector claims (0–100), for comparison; often stale.
    pub percent_in_use: Option<u8>,
    /// Volume label, from the root folder's label entry.
    pub label: Option<String>,
    /// Volume serial number, from the boot sector (Nexar firmware writes 0).
    pub serial: u32,
    /// Volume GUID, when the root folder has one ("xxxxxxxx-xxxx-…").
    pub volume_guid: Option<String>,
    /// File system revision ("1.00").
    pub revision: String,
    /// Number of FATs (2 only on TexFAT volumes).
    pub fat_count: u8,
    /// The FAT and bitmap in use (0 or 1).
    pub active_fat: u8,
    /// Absolute offset of the FAT in use.
    pub fat_offset: u64,
    /// Size of each FAT.
    pub fat_bytes: u64,
    /// Absolute offset of the cluster heap (cluster 2).
    pub data_offset: u64,
    /// First cluster of the root folder.
    pub root_cluster: u32,
    /// The volume was not unmounted cleanly (e.g. the camera lost power while recording).
    pub dirty: bool,
    /// The medium has reported read or write failures.
    pub media_failure: bool,
    /// Which boot region was used: the backup when the main one is damaged.
    pub boot_region: BootCopy,
}

/// One file or folder, live or deleted.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExfatEntry {
    /// "/"-separated path from the volume root, no leading slash.
    pub path: String,
    /// Last path component.
    pub name: String,
    /// True for a folder.
    pub is_dir: bool,
    /// Size in bytes (DataLength); 0 for folders, as on FAT.
    pub bytes: u64,
    /// Bytes actually written (ValidDataLength, at most `bytes`): the rest of the file reads
    /// as zeros. The extents cover these bytes (fewer only when its clusters cannot all be
    /// found, with a warning); [`ExfatEntry::open`] supplies the zeros.
    pub valid_bytes: u64,
    /// Creation time, local as written.
    pub created: Option<NaiveDateTime>,
    /// Offset of `created` from UTC in seconds (east positive), when recorded.
    pub created_utc_offset_s: Option<i32>,
    /// Last modification time, local as written.
    pub modified: Option<NaiveDateTime>,
    /// Offset of `modified` from UTC in seconds (east positive), when recorded.
    pub modified_utc_offset_s: Option<i32>,
    /// True for a deleted entry set (InUse bits cleared).
    pub deleted: bool,
    /// Deleted files only: true when its bytes can still be read back. The entry set must still
    /// match its checksum (not partly overwritten), and every cluster must still be free in the
    /// allocation bitmap: for a NoFatChain file the contiguous run from its first cluster; for a
    /// FAT-chained (fragmented) file the chain the FAT still holds — exFAT drivers (Linux,
    /// Windows) clear only the bitmap when deleting, so that chain is the file's own unless a
    /// later chained file reused and rewrote it, which the end-of-chain check and the bitmap
    /// catch while that file lives. A chain whose first entry was cleared to 0 is taken as
    /// contiguous, as FAT tools do. As on FAT, data a later file wrote to clusters that are
    /// free again cannot be detected. Empty deleted files are trivially recoverable; deleted
    /// folders are listed but not recovered or walked.
    pub recoverable: Option<bool>,
    /// The read-only attribute (a locked clip).
    pub read_only: bool,
    /// First cluster, 0 for none.
    pub first_cluster: u32,
    /// NoFatChain: stored as one contiguous run the FAT does not describe.
    pub no_fat_chain: bool,
    /// Where the valid bytes lie in the image (absolute offsets; they add up to `valid_bytes`
    /// unless its chain is broken). For deleted entries, only when recoverable.
    pub extents: Vec<Extent>,
    /// Number of runs of contiguous clusters.
    pub fragments: u32,
    /// Problems with this entry, in plain words.
    pub warnings: Vec<String>,
}

impl ExfatEntry {
    /// The file's bytes: its extents up to `valid_bytes`, then zeros up to `bytes`.
    pub fn open<'a, R: Read + Seek>(
        &'a self,
        reader: &'a mut BlockReader<R>,
    ) -> ExtentReader<'a, R> {
        ExtentReader::zero_filled(reader, &self.extents, self.valid_bytes, self.bytes)
    }
}

/// Everything on the volume.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExfatListing {
    /// The volume.
    pub volume: ExfatVolumeInfo,
    /// Every entry found, folders included, in walk order (a folder, then its contents).
    pub entries: Vec<ExfatEntry>,
    /// Whole-volume problems in plain words.
    pub warnings: Vec<String>,
}

/// Why a volume cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ExfatError {
    /// Not an exFAT volume.
    #[error("not an exFAT volume: {0}")]
    NotExfat(String),
    /// Both boot regions are damaged.
    #[error("the exFAT boot region is damaged: {0}")]
    BadBootRegion(String),
    /// A revision the specification says not to mount.
    #[error("exFAT revision {0}.{1:02} is not supported (only revision 1.x is)")]
    UnsupportedRevision(u8, u8),
    /// The image ends before the file system's own structures do.
    #[error("the image is truncated: {0}")]
    Truncated(String),
    /// Reading the image failed.
    #[error("cannot read the image: {0}")]
    Io(std::io::Error),
}

impl ExfatError {
    fn from_io(e: std::io::Error, what: &str) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            ExfatError::Truncated(format!("it ends inside the {what}"))
        } else {
            ExfatError::Io(e)
        }
    }
}

/// Reads the exFAT volume that starts at `partition_offset` (spanning at most
/// `partition_bytes`; 0 when unknown), bounded by `limits`.
pub fn read_volume<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    partition_offset: u64,
    partition_bytes: u64,
    limits: &WalkLimits,
) -> Result<ExfatListing, ExfatError> {
    walk::read_volume(reader, partition_offset, partition_bytes, limits)
}
