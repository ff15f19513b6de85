//! Where the formatter put things: the layout `fatfs::format_volume` chose, read back from the
//! boot sector it wrote. The writer needs it to place FATs, folders and clusters; it is the
//! writer's own knowledge of what it made, not the reader's validating parser.

use dashcard::fat::FatType;

use crate::builder::BuildError;

/// The layout of a freshly formatted FAT32 volume, in bytes from the volume's start.
#[derive(Clone, Debug)]
pub struct Formatted {
    /// Bytes per sector.
    pub sector_bytes: u32,
    /// Bytes per cluster.
    pub cluster_bytes: u32,
    /// FAT copies.
    pub fat_count: u8,
    /// Offset of the first FAT.
    pub fat_offset: u64,
    /// Size of one FAT copy.
    pub fat_bytes: u64,
    /// Offset of cluster 2.
    pub data_offset: u64,
    /// Data clusters.
    pub cluster_count: u32,
    /// The root folder's first cluster.
    pub root_cluster: u32,
    /// The FSInfo sector.
    pub fsinfo_sector: u32,
}

fn u16_at(b: &[u8], at: usize) -> u64 {
    u64::from(u16::from_le_bytes([b[at], b[at + 1]]))
}

fn u32_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]))
}

impl Formatted {
    /// Reads the layout from the boot sector just written; refuses a volume whose cluster
    /// count does not make FAT32.
    pub fn read(boot: &[u8; 512]) -> Result<Self, BuildError> {
        let sector_bytes = u16_at(boot, 11);
        let sectors_per_cluster = u64::from(boot[13]);
        let reserved = u16_at(boot, 14);
        let fat_count = boot[16];
        let total = u32_at(boot, 32);
        let fat_sectors = u32_at(boot, 36);
        let data_sector = reserved + u64::from(fat_count) * fat_sectors;
        let clusters = total
            .checked_sub(data_sector)
            .map(|c| c / sectors_per_cluster.max(1))
            .ok_or_else(|| BuildError::Layout("the FATs fill the volume".into()))?;
        let cluster_count =
            u32::try_from(clusters).map_err(|_| BuildError::Layout("too many clusters".into()))?;
        let fat_type = FatType::from_cluster_count(cluster_count);
        if fat_type != FatType::Fat32 {
            return Err(BuildError::Layout(format!(
                "{cluster_count} clusters make {fat_type}, not FAT32: use a larger card or smaller clusters"
            )));
        }
        Ok(Self {
            sector_bytes: sector_bytes as u32,
            cluster_bytes: (sector_bytes * sectors_per_cluster) as u32,
            fat_count,
            fat_offset: reserved * sector_bytes,
            fat_bytes: fat_sectors * sector_bytes,
            data_offset: data_sector * sector_bytes,
            cluster_count,
            root_cluster: u32_at(boot, 44) as u32,
            fsinfo_sector: u16_at(boot, 48) as u32,
        })
    }
}
