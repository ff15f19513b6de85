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
    /// Created timestamp (to the resolution the entry holds: FAT 10 ms, exFAT 10 ms).
    pub created: NaiveDateTime,
    /// Modified timestamp (FAT: 2 s resolution; exFAT: 10 ms).
    pub modified: NaiveDateTime,
    /// Deleted entry (FAT: 0xE5; exFAT: InUse cleared).
    pub deleted: bool,
    /// Deleted only: its bytes can still be read back from its directory entry — no cluster
    /// of it has been given to another file since, and (FAT, whose chains are cleared) it was
    /// written in one run.
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

/// What a card writer ([`crate::CardWriter::finish`]) produced.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CardTruth {
    /// "FAT32" or "exFAT".
    #[serde(default)]
    pub filesystem: String,
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
    /// One FAT.
    pub fat_bytes: u64,
    /// Every directory's clusters.
    pub directory_bytes: u64,
    /// MP4 header boxes of the clips a reader can reach (live and recoverable deleted).
    pub mp4_header_bytes: u64,
    /// What a reader must at least read: the FAT (exFAT: the FAT and the allocation bitmap),
    /// the directories and the MP4 headers.
    pub metadata_bytes: u64,
    /// Every file, live or deleted, in the order added.
    pub files: Vec<TruthFile>,
}
