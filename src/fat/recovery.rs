//! Whether a deleted file's bytes can still be read back. Deleting frees the file's cluster
//! chain, so where its bytes were is lost except for the first cluster; forensic tools (and
//! this reader) take the clusters its size needs contiguously from there, which is right for
//! the contiguous files cameras write — as long as none of them has been reused since.

use super::boot_sector::Geometry;
use super::table::{FatTable, Run};

/// The verdict on one deleted entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recovery {
    /// Every cluster it would occupy, taken contiguously from its first cluster, is still
    /// free (an empty file trivially so; one with data but no first cluster is not).
    pub recoverable: bool,
    /// Where its bytes are, when recoverable and not empty: one run.
    pub runs: Vec<Run>,
}

/// The verdict on a deleted entry of `bytes` starting at `first_cluster` (folders are never
/// recovered: their clusters say nothing about the files they listed).
pub fn recover(
    is_dir: bool,
    bytes: u64,
    first_cluster: u32,
    geometry: &Geometry,
    table: &FatTable,
) -> Recovery {
    let needed = bytes.div_ceil(geometry.cluster_bytes as u64);
    let first = first_cluster;
    let recoverable = if is_dir {
        false
    } else if bytes == 0 {
        true
    } else if first < 2 || first as u64 + needed - 1 > geometry.max_cluster() as u64 {
        false
    } else {
        let last = (first as u64 + needed - 1) as u32;
        (first..=last).all(|c| table.is_free(c))
    };
    let runs = if recoverable && bytes > 0 {
        vec![Run {
            start: first,
            len: needed as u32,
        }]
    } else {
        Vec::new()
    };
    Recovery { recoverable, runs }
}
