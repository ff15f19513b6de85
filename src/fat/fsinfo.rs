//! The FAT32 FSInfo sector: the free-cluster count a driver last wrote there. Often stale (a
//! camera that loses power never updates it), so it is kept only for comparison; free space
//! is always counted from the FAT itself.

use std::io::{Read, Seek};

use crate::block_reader::BlockReader;

use super::boot_sector::Geometry;

/// Lead and structure signatures that make the sector an FSInfo sector.
const LEAD_SIGNATURE: u32 = 0x4161_5252;
const STRUCT_SIGNATURE: u32 = 0x6141_7272;

/// The free cluster count FSInfo claims, when the volume has a valid one.
pub fn free_clusters<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    volume_offset: u64,
    g: &Geometry,
) -> Option<u32> {
    let sector = g.fsinfo_sector? as u64;
    let mut buf = [0u8; 512];
    reader
        .read_at(volume_offset + sector * g.sector_bytes as u64, &mut buf)
        .ok()?;
    let word = |at: usize| u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]);
    if word(0) != LEAD_SIGNATURE || word(484) != STRUCT_SIGNATURE {
        return None;
    }
    let free = word(488);
    (free <= g.cluster_count).then_some(free)
}
