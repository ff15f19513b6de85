//! What the writer did, entry by entry: the record tests and simulations check a reader against.
//!
//! Every field comes from the writer's own actions — the clusters it allocated, the slots it
//! reused, the clusters later files took from deleted ones — never from a rule a reader applies
//! to the finished image.

use super::allocator::Run;
use super::entries::Times;

/// One file or folder the writer created (deleted ones included), in creation order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TruthEntry {
    /// "/"-separated path, no leading slash.
    pub path: String,
    /// True for a folder.
    pub is_dir: bool,
    /// DataLength (for folders: the clusters they span).
    pub bytes: u64,
    /// ValidDataLength.
    pub valid_bytes: u64,
    /// First cluster (0 for an empty file).
    pub first_cluster: u32,
    /// Its clusters, in file order.
    pub runs: Vec<Run>,
    /// Number of runs.
    pub fragments: u32,
    /// Stored with NoFatChain (one run, no FAT chain written).
    pub no_fat_chain: bool,
    /// Read-only attribute.
    pub read_only: bool,
    /// Times as recorded.
    pub times: Times,
    /// Deleted (its entry set's InUse bits cleared, its clusters freed).
    pub deleted: bool,
    /// Its directory entries were reused by a later entry set, so no reader can list it.
    pub entry_overwritten: bool,
    /// Deleted entries: none of its clusters was allocated again and its entry set is intact,
    /// so its bytes are exactly as written. `None` for live entries.
    pub recoverable: Option<bool>,
    /// Deleted entries: clusters of it that later allocations took.
    pub clusters_reused: u64,
    /// Deleted files whose clusters this one took, with how many.
    pub reused_from: Vec<(String, u64)>,
}

/// Everything the writer did, for checking a reader.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truth {
    /// Where the volume starts in the image.
    pub volume_offset: u64,
    /// Bytes per cluster.
    pub cluster_bytes: u32,
    /// Clusters in the heap.
    pub cluster_count: u32,
    /// Absolute offset of cluster 2 in the image.
    pub heap_offset: u64,
    /// Bytes of the FAT.
    pub fat_bytes: u64,
    /// Bytes of the allocation bitmap.
    pub bitmap_bytes: u64,
    /// Bytes of every folder's clusters, the root folder's included.
    pub directory_bytes: u64,
    /// Clusters the final bitmap marks free.
    pub free_clusters: u64,
    /// Every file and folder, in creation order.
    pub entries: Vec<TruthEntry>,
}

impl Truth {
    /// The last entry created at `path` (a path can be reused after a deletion).
    pub fn find(&self, path: &str) -> Option<&TruthEntry> {
        self.entries.iter().rev().find(|e| e.path == path)
    }

    /// Absolute byte ranges of an entry's first `bytes` bytes.
    pub fn byte_ranges(&self, entry: &TruthEntry, bytes: u64) -> Vec<(u64, u64)> {
        let cluster = self.cluster_bytes as u64;
        let mut left = bytes;
        let mut out = Vec::new();
        for run in &entry.runs {
            if left == 0 {
                break;
            }
            let len = (run.len as u64 * cluster).min(left);
            out.push((self.heap_offset + (run.start as u64 - 2) * cluster, len));
            left -= len;
        }
        out
    }
}
