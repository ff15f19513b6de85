//! What a built card holds, as the writer knows it: what a correct reader must find.

use chrono::NaiveDateTime;

use crate::mp4_skeleton::ClipHeader;

/// A file as the builder left it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TruthFile {
    /// Path from the volume root, long names, "/"-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Created timestamp (to the DOS resolution the entry holds).
    pub created: NaiveDateTime,
    /// Modified timestamp.
    pub modified: NaiveDateTime,
    /// Deleted (0xE5) entry.
    pub deleted: bool,
    /// Deleted only: its bytes can still be read back from its directory entry — it was
    /// written in one run and no cluster of it has been given to another file since.
    pub recoverable: Option<bool>,
    /// Runs of contiguous clusters (live files; deleted ones: 1 when recoverable, else 0).
    pub fragments: u32,
    /// First cluster (0 for an empty file).
    pub first_cluster: u32,
    /// The clip header written, if a clip.
    pub clip: Option<ClipHeader>,
    /// Bytes of MP4 header boxes written for it.
    #[serde(skip)]
    pub header_bytes: u64,
}

/// What [`crate::CardBuilder::finish`] produced.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CardTruth {
    /// Size of the card image.
    pub card_bytes: u64,
    /// Start of the volume.
    pub partition_offset: u64,
    /// Cluster size.
    pub cluster_bytes: u32,
    /// Data clusters × cluster size.
    pub capacity_bytes: u64,
    /// Free clusters × cluster size.
    pub free_bytes: u64,
    /// One FAT copy.
    pub fat_bytes: u64,
    /// Every directory's clusters.
    pub directory_bytes: u64,
    /// MP4 header boxes of the clips a reader can reach (live and recoverable deleted).
    pub mp4_header_bytes: u64,
    /// The sum of the three: what a reader must at least read.
    pub metadata_bytes: u64,
    /// Every file, live or deleted, in the order added.
    pub files: Vec<TruthFile>,
}
