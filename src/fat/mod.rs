//! The FAT volume: `fatfs` for the listing (long names, sizes, timestamps), and a small
//! read-only layer for what `fatfs` hides — each file's extents and fragments, deleted
//! directory entries and whether they can be recovered, and free space counted from the FAT.
//!
//! - [`dir_entry`]: the on-disk layout of directory entries, decoded and encoded in one place;
//!   [`dos_time`]: their timestamps.
//! - `raw_dir`: a directory's entries in disk order, with positions; `walk`: the walk that
//!   pairs them with `fatfs`'s listing by position; `names`: names decoded without loss (code
//!   page 437, lone surrogates kept) and made safe as path components; `folder_names`: names
//!   repeated within a folder, and invalid 8.3 names.
//! - `table`: the FAT itself; `recovery`: deleted entries' verdicts; `deleted`: which deleted
//!   slots are entries at all, and deleted folders' contents; `cross_links`: clusters claimed
//!   twice; `fsinfo`: FSInfo's (often stale) free count; `volume_flags`: what the FAT's two
//!   reserved entries say (media byte, unclean shutdown, disk error).
//!
//! Everything is bounded: chains by the cluster count, walks by depth and entry count, and a
//! broken structure gives a per-file warning or a clear [`FatError`], never a panic or a hang.

mod boot_sector;
mod cross_links;
mod deleted;
pub mod dir_entry;
pub mod dos_time;
mod fatfs_io;
mod folder_names;
mod fsinfo;
mod names;
mod raw_dir;
mod recovery;
mod table;
mod volume_flags;
mod walk;

use std::io::{Read, Seek};

use chrono::NaiveDateTime;

use crate::block_reader::BlockReader;
use crate::extent::Extent;

pub use boot_sector::{FatType, Geometry};
pub use table::{Chain, ChainProblem, FatTable, Link, Run};

/// Bounds on the directory walk, so a hostile image cannot cost unbounded time or memory.
#[derive(Clone, Debug)]
pub struct WalkLimits {
    /// Deepest folder nesting followed.
    pub max_depth: u32,
    /// Most directory entries taken from the whole volume.
    pub max_entries: u64,
}

impl Default for WalkLimits {
    fn default() -> Self {
        Self {
            max_depth: 32,
            max_entries: 2_000_000,
        }
    }
}

/// What the volume is, as read from its boot sector and FAT.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VolumeInfo {
    /// FAT12, FAT16 or FAT32 (by cluster count).
    pub fat_type: FatType,
    /// Offset of the volume in the image.
    pub partition_offset: u64,
    /// Logical sector size.
    pub sector_bytes: u32,
    /// Cluster size.
    pub cluster_bytes: u32,
    /// Number of data clusters.
    pub cluster_count: u32,
    /// Data clusters × cluster size.
    pub capacity_bytes: u64,
    /// Free clusters × cluster size, counted from the FAT itself.
    pub free_bytes: u64,
    /// The free cluster count FSInfo claims (FAT32), for comparison; often stale.
    pub fsinfo_free_clusters: Option<u32>,
    /// Volume label: the root folder's label entry (a label only in the boot sector is
    /// stale, and given in a warning instead).
    pub label: Option<String>,
    /// Absolute offset of the first FAT.
    pub fat_offset: u64,
    /// The FAT copy read (0-based): FAT32 with mirroring off may name another.
    pub active_fat: u8,
    /// Size of one FAT copy.
    pub fat_bytes: u64,
    /// Absolute offset of the data region (cluster 2).
    pub data_offset: u64,
}

/// One directory entry, live or deleted.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Entry {
    /// "/"-separated path from the volume root, long names, no leading slash.
    pub path: String,
    /// Last path component.
    pub name: String,
    /// The 8.3 name ("NAME.EXT"); for deleted entries the lost first byte as recovered, or "_".
    pub short_name: String,
    /// True for a folder.
    pub is_dir: bool,
    /// Size in bytes.
    pub bytes: u64,
    /// Creation time (camera local time).
    pub created: Option<NaiveDateTime>,
    /// Last write time (camera local time).
    pub modified: Option<NaiveDateTime>,
    /// True for a deleted entry (0xE5).
    pub deleted: bool,
    /// Deleted entries only: true when every cluster it would occupy, taken contiguously from
    /// its first cluster (as forensic tools do), is still free — so its bytes are still there
    /// unless something wrote over free space. An empty deleted file is trivially recoverable;
    /// one with data but no first cluster is not.
    pub recoverable: Option<bool>,
    /// First cluster, 0 for none.
    pub first_cluster: u32,
    /// Where the bytes lie in the image (absolute offsets; they add up to `bytes`). For deleted
    /// entries, only when recoverable.
    pub extents: Vec<Extent>,
    /// Number of runs of contiguous clusters.
    pub fragments: u32,
    /// Problems with this entry, in plain words.
    pub warnings: Vec<String>,
    /// Absolute image offset of its short directory entry: where it was read.
    pub entry_offset: u64,
    /// The read-only attribute (a clip the owner locked).
    pub read_only: bool,
}

/// Everything on the volume.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VolumeListing {
    /// The volume.
    pub volume: VolumeInfo,
    /// Every entry found, directories included, in walk order.
    pub entries: Vec<Entry>,
    /// Whole-volume problems in plain words.
    pub warnings: Vec<String>,
}

/// Why a volume cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FatError {
    /// Not a FAT volume.
    #[error("not a FAT volume: {0}")]
    NotFat(String),
    /// An exFAT volume (read by [`crate::exfat`], not here).
    #[error("this volume is exFAT, not FAT: it is read by the exFAT reader")]
    ExFat,
    /// An NTFS volume.
    #[error("this volume is NTFS, which Dashcard does not read: Nexar cameras use FAT")]
    Ntfs,
    /// A boot sector with impossible values.
    #[error("the FAT boot sector is damaged: {0}")]
    BadBootSector(String),
    /// The image ends before the file system's own structures do.
    #[error("the image is truncated: {0}")]
    Truncated(String),
    /// Reading the image failed.
    #[error("cannot read the image: {0}")]
    Io(std::io::Error),
}

impl FatError {
    fn from_io(e: std::io::Error, what: &str) -> Self {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            FatError::Truncated(format!("it ends inside the {what}"))
        } else {
            FatError::Io(e)
        }
    }
}

/// Reads the FAT volume that starts at `partition_offset` (spanning at most `partition_bytes`).
pub fn read_volume<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    partition_offset: u64,
    partition_bytes: u64,
    limits: &WalkLimits,
) -> Result<VolumeListing, FatError> {
    walk::read_volume(reader, partition_offset, partition_bytes, limits)
}
