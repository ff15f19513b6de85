//! The boot sector (BIOS parameter block): where the FATs, the root directory and the data
//! region are, checked before anything else touches the volume.
//!
//! `fatfs` trusts the BPB and can divide by zero or loop on impossible values, so every field
//! is validated here first. The FAT type is decided by the cluster count, as the Microsoft FAT
//! specification says, never by the "FAT32   " label string — except for a volume laid out as
//! FAT32 (no fixed root directory, no 16-bit FAT size) with too few clusters for FAT32: cameras
//! and `mkfs.fat -F 32` make those, and they are read as the FAT32 they are, with a warning, as
//! `fsck.fat` reads them.
//!
//! Two more things real volumes get slightly wrong are read rather than refused, with a
//! warning: a FAT a little shorter than the cluster count (the clusters without an entry cannot
//! hold data, so they are left out), and FAT32's "active FAT" index naming a FAT that does not
//! exist. What is read differently from the specification is marked in
//! [`Geometry::spec_layout`], so `fatfs` (which follows the specification) is not asked.

use std::fmt;

use super::FatError;

/// FAT12, FAT16 or FAT32.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FatType {
    /// Fewer than 4085 clusters.
    #[serde(rename = "FAT12")]
    Fat12,
    /// Fewer than 65525 clusters.
    #[serde(rename = "FAT16")]
    Fat16,
    /// 65525 clusters or more.
    #[serde(rename = "FAT32")]
    Fat32,
}

impl FatType {
    /// The type a volume with `clusters` data clusters has, per the FAT specification.
    pub fn from_cluster_count(clusters: u32) -> Self {
        if clusters < 4085 {
            FatType::Fat12
        } else if clusters < 65525 {
            FatType::Fat16
        } else {
            FatType::Fat32
        }
    }
}

impl fmt::Display for FatType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FatType::Fat12 => "FAT12",
            FatType::Fat16 => "FAT16",
            FatType::Fat32 => "FAT32",
        })
    }
}

/// The volume's layout, in bytes relative to the start of the volume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Bytes per logical sector (512..=4096).
    pub sector_bytes: u32,
    /// Bytes per cluster.
    pub cluster_bytes: u32,
    /// Number of FAT copies.
    pub fat_count: u8,
    /// The media descriptor byte, which the FAT's first entry repeats.
    pub media: u8,
    /// Offset of the first FAT.
    pub fat_offset: u64,
    /// Size of one FAT copy.
    pub fat_bytes: u64,
    /// Offset and size of the fixed root directory (FAT12/16); zero size on FAT32.
    pub root_dir_offset: u64,
    /// Size of the fixed root directory region.
    pub root_dir_bytes: u64,
    /// First cluster of the root directory (FAT32 only).
    pub root_cluster: u32,
    /// Offset of cluster 2, the first data cluster.
    pub data_offset: u64,
    /// Number of data clusters.
    pub cluster_count: u32,
    /// FAT type: from the cluster count, or FAT32 for a volume laid out as FAT32.
    pub fat_type: FatType,
    /// The FAT copy in use (0-based): FAT32 with mirroring disabled names one in `ExtFlags`
    /// (bits 0–3 when bit 7 is set); otherwise 0, and all copies are kept the same.
    pub active_fat: u8,
    /// Total bytes the BPB says the volume spans.
    pub volume_bytes: u64,
    /// Sector of the FSInfo structure (FAT32), if any.
    pub fsinfo_sector: Option<u32>,
    /// Label stored in the boot sector, if not blank or "NO NAME". Only a fallback: the
    /// volume's label is the root folder's label entry (what fatlabel, mtools and Windows show).
    pub label: Option<String>,
    /// False when the volume was read in a way the FAT specification does not allow (forced
    /// FAT32, a short FAT, an impossible active FAT): then `fatfs`, which would read it
    /// differently, is not used, and the listing comes from the raw directory entries alone.
    pub spec_layout: bool,
    /// What was read leniently, in plain words.
    pub warnings: Vec<String>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// An 11-byte space-padded label as text (code page 437, like 8.3 names); `None` when blank.
/// A root-folder label entry reading "NO NAME" is a label (fatlabel and mtools show it).
pub fn label_text(raw: &[u8]) -> Option<String> {
    let text: String = raw.iter().map(|&b| super::names::oem_char(b)).collect();
    let text = text.trim_end_matches(' ').to_string();
    (!text.is_empty()).then_some(text)
}

/// The boot sector's label field: "NO NAME" there is what formatters write for no label.
fn boot_label(raw: &[u8]) -> Option<String> {
    label_text(raw).filter(|t| t != "NO NAME")
}

impl Geometry {
    /// Parses and validates the first 512 bytes of a volume.
    pub fn parse(sector: &[u8; 512]) -> Result<Self, FatError> {
        let oem = &sector[3..11];
        if oem == b"EXFAT   " {
            return Err(FatError::ExFat);
        }
        if oem == b"NTFS    " {
            return Err(FatError::Ntfs);
        }
        if !matches!(sector[0], 0xEB | 0xE9) && sector[510..512] != [0x55, 0xAA] {
            return Err(FatError::NotFat(
                "no boot sector: neither a jump instruction nor the 0x55AA signature".into(),
            ));
        }
        let bad = |what: String| Err(FatError::BadBootSector(what));

        let sector_bytes = u16_at(sector, 11) as u32;
        if !(512..=4096).contains(&sector_bytes) || !sector_bytes.is_power_of_two() {
            return bad(format!(
                "bytes per sector is {sector_bytes} (must be 512, 1024, 2048 or 4096)"
            ));
        }
        let sectors_per_cluster = sector[13] as u32;
        if sectors_per_cluster == 0 || !sectors_per_cluster.is_power_of_two() {
            return bad(format!(
                "sectors per cluster is {sectors_per_cluster} (must be a power of two)"
            ));
        }
        let cluster_bytes = sector_bytes * sectors_per_cluster;
        if cluster_bytes > 256 * 1024 {
            return bad(format!(
                "cluster size {cluster_bytes} bytes is larger than 256 KiB"
            ));
        }
        let reserved = u16_at(sector, 14) as u64;
        if reserved == 0 {
            return bad("reserved sector count is 0".into());
        }
        let fat_count = sector[16];
        if fat_count == 0 || fat_count > 4 {
            return bad(format!("number of FATs is {fat_count}"));
        }
        let root_entries = u16_at(sector, 17) as u64;
        let total16 = u16_at(sector, 19) as u64;
        let fat16_sectors = u16_at(sector, 22) as u64;
        let total32 = u32_at(sector, 32) as u64;
        let fat32_sectors = u32_at(sector, 36) as u64;
        let total_sectors = if total16 != 0 { total16 } else { total32 };
        if total_sectors == 0 {
            return bad("total sector count is 0".into());
        }
        let fat_sectors = if fat16_sectors != 0 {
            fat16_sectors
        } else {
            fat32_sectors
        };
        if fat_sectors == 0 {
            return bad("sectors per FAT is 0".into());
        }
        let sb = sector_bytes as u64;
        let root_dir_sectors = (root_entries * 32).div_ceil(sb);
        let meta_sectors = reserved + fat_count as u64 * fat_sectors + root_dir_sectors;
        if meta_sectors >= total_sectors {
            return bad(format!(
                "the FATs and root directory ({meta_sectors} sectors) fill the whole volume ({total_sectors} sectors)"
            ));
        }
        let clusters = (total_sectors - meta_sectors) / sectors_per_cluster as u64;
        let cluster_count = u32::try_from(clusters.min(0x0FFF_FFF5)).unwrap_or(0x0FFF_FFF5);
        if cluster_count == 0 {
            return bad("the volume has no data clusters".into());
        }
        let mut cluster_count = cluster_count;
        let mut warnings = Vec::new();
        let by_count = FatType::from_cluster_count(cluster_count);
        let fat32_layout = root_entries == 0 && fat16_sectors == 0;
        let fat_type = if fat32_layout {
            FatType::Fat32
        } else {
            by_count
        };
        if fat_type != by_count {
            warnings.push(format!(
                "the volume is laid out as FAT32 but has only {cluster_count} clusters, which the FAT specification makes {by_count} (a formatter forced FAT32 on a volume too small for it); it is read as FAT32, as fsck.fat reads it (mtools and some systems refuse it)"
            ));
        }
        // The FAT must have an entry for every cluster (plus the two reserved ones). A FAT
        // short by less than one sector of entries is a formatter's rounding: the clusters
        // without an entry cannot be in any chain, so they are left out. Shorter than that,
        // the FAT size in the boot sector is wrong — and with it where the data region
        // starts, so no chain could be found.
        let entry_bits: u64 = match fat_type {
            FatType::Fat12 => 12,
            FatType::Fat16 => 16,
            FatType::Fat32 => 32,
        };
        let fat_entries = fat_sectors * sb * 8 / entry_bits;
        let needed = cluster_count as u64 + 2;
        if fat_entries < needed {
            let missing = needed - fat_entries;
            if missing > sb * 8 / entry_bits || fat_entries <= 2 {
                return bad(format!(
                    "each FAT ({} bytes) is too small for {cluster_count} clusters",
                    fat_sectors * sb
                ));
            }
            let covered = (fat_entries - 2) as u32;
            warnings.push(format!(
                "each FAT has entries for only {covered} of the volume's {cluster_count} clusters; the last {missing} cannot hold data and are left out"
            ));
            cluster_count = covered;
        }
        let mut active_fat = 0;
        if fat_type == FatType::Fat32 {
            let ext_flags = u16_at(sector, 40);
            if ext_flags & 0x80 != 0 {
                let index = (ext_flags & 0x0F) as u8;
                if index < fat_count {
                    active_fat = index;
                } else {
                    warnings.push(format!(
                        "the boot sector says only FAT {index} (counting from 0) is in use, but the volume has {fat_count} FAT(s); FAT 0 is read instead"
                    ));
                }
            }
        }
        let (root_cluster, fsinfo_sector, label_at) = match fat_type {
            FatType::Fat32 => {
                if root_entries != 0 {
                    return bad("a FAT32 volume with a fixed root directory".into());
                }
                let root = u32_at(sector, 44);
                if root < 2 || root > cluster_count + 1 {
                    return bad(format!("root directory cluster {root} is out of range"));
                }
                let fsinfo = u16_at(sector, 48) as u32;
                let fsinfo = (fsinfo != 0 && fsinfo != 0xFFFF && (fsinfo as u64) < reserved)
                    .then_some(fsinfo);
                (root, fsinfo, 71)
            }
            _ => {
                if root_entries == 0 {
                    return bad(format!(
                        "a {fat_type} volume without root directory entries"
                    ));
                }
                (0, None, 43)
            }
        };
        // The extended boot signature (0x29) says the label field is present.
        let sig_at = if fat_type == FatType::Fat32 { 66 } else { 38 };
        let label = if sector[sig_at] == 0x29 {
            boot_label(&sector[label_at..label_at + 11])
        } else {
            None
        };
        let fat_offset = reserved * sb;
        let fat_bytes = fat_sectors * sb;
        let root_dir_offset = fat_offset + fat_count as u64 * fat_bytes;
        let root_dir_bytes = root_dir_sectors * sb;
        Ok(Geometry {
            sector_bytes,
            cluster_bytes,
            fat_count,
            media: sector[21],
            fat_offset,
            fat_bytes,
            root_dir_offset,
            root_dir_bytes: if fat_type == FatType::Fat32 {
                0
            } else {
                root_dir_bytes
            },
            root_cluster,
            data_offset: root_dir_offset + root_dir_bytes,
            cluster_count,
            fat_type,
            active_fat,
            volume_bytes: total_sectors * sb,
            fsinfo_sector,
            label,
            spec_layout: warnings.is_empty(),
            warnings,
        })
    }

    /// Offset of the FAT copy in use, relative to the volume start.
    pub fn active_fat_offset(&self) -> u64 {
        self.fat_offset + self.active_fat as u64 * self.fat_bytes
    }

    /// Highest valid cluster number.
    pub fn max_cluster(&self) -> u32 {
        self.cluster_count + 1
    }

    /// Offset of `cluster` relative to the volume start (cluster must be in range).
    pub fn cluster_offset(&self, cluster: u32) -> u64 {
        self.data_offset + (cluster as u64 - 2) * self.cluster_bytes as u64
    }

    /// Bytes of the data region: capacity for files.
    pub fn capacity_bytes(&self) -> u64 {
        self.cluster_count as u64 * self.cluster_bytes as u64
    }
}
