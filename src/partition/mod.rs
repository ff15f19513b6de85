//! Partition tables: where on a card the volumes lie, and what each one holds.
//!
//! A card image is one of three things: a whole card with an MBR (DOS) table — how SD cards
//! leave the factory and how cameras format them — a whole card with a GPT (a card reformatted
//! on a computer), or a bare volume with no table at all ("superfloppy"). [`read_partition_table`]
//! tells which, lists every partition, and sniffs each one's boot sector so the caller can pick
//! the volume it reads (FAT or exFAT) and name the others (NTFS) in its error message. An exFAT
//! volume whose main boot sector is damaged is still recognised by its backup boot region, so
//! that the exFAT reader can fall back on it.
//!
//! The tables are small fixed layouts, read here through the [`BlockReader`] (so they cost one or
//! two cached reads) with every count and offset bounded: an extended-partition chain stops at
//! [`MAX_LOGICAL_PARTITIONS`] or at the first loop, a GPT's entry array at
//! [`MAX_GPT_ENTRY_BYTES`]. Problems that leave the layout usable become `warnings`.

mod filesystem;
mod gpt;
mod mbr;

use std::io::{Read, Seek};

use crate::block_reader::BlockReader;

pub use filesystem::{Filesystem, sniff_filesystem};

/// Longest chain of extended boot records followed before giving up (a loop or garbage).
pub const MAX_LOGICAL_PARTITIONS: usize = 128;
/// Largest GPT partition-entry array read (the usual one is 16 KiB).
pub const MAX_GPT_ENTRY_BYTES: u64 = 1024 * 1024;

/// How the card is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// A DOS partition table in sector 0.
    Mbr,
    /// A GUID partition table (protective MBR, header in sector 1).
    Gpt,
    /// No table: the image is one volume from byte 0.
    None,
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scheme::Mbr => "MBR",
            Scheme::Gpt => "GPT",
            Scheme::None => "none",
        })
    }
}

/// One partition (or, for [`Scheme::None`], the whole image).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// 1-based number as `fdisk` shows it (logical MBR partitions start at 5).
    pub index: u32,
    /// First byte in the image.
    pub offset: u64,
    /// Length in bytes as the table declares it.
    pub bytes: u64,
    /// The table's type, in words ("FAT32 (LBA)", "Microsoft basic data", …).
    pub type_name: String,
    /// GPT partition name, when it has one.
    pub name: Option<String>,
    /// What its first sector says it holds.
    pub filesystem: Filesystem,
}

/// What [`read_partition_table`] found.
#[derive(Clone, Debug)]
pub struct PartitionTable {
    /// MBR, GPT or none.
    pub scheme: Scheme,
    /// Logical sector size the table's addresses are in.
    pub sector_bytes: u32,
    /// Every partition with a non-zero size, in table order.
    pub partitions: Vec<Partition>,
    /// Problems that did not stop the read (a damaged GPT header, a partition past the end…).
    pub warnings: Vec<String>,
}

impl PartitionTable {
    /// Partitions holding a FAT12/16/32 volume, in table order.
    pub fn fat_partitions(&self) -> impl Iterator<Item = &Partition> {
        self.partitions
            .iter()
            .filter(|p| p.filesystem == Filesystem::Fat)
    }

    /// Partitions holding a volume Dashcard reads (FAT12/16/32 or exFAT), in table order.
    pub fn readable_partitions(&self) -> impl Iterator<Item = &Partition> {
        self.partitions
            .iter()
            .filter(|p| matches!(p.filesystem, Filesystem::Fat | Filesystem::ExFat))
    }
}

/// Where an exFAT backup boot region may start, by sector size: 12 sectors into the volume.
const EXFAT_BACKUP_SECTOR: u64 = 12;

/// What the volume at `offset` holds: its first sector's word, or — when that sector says
/// nothing — exFAT if a backup exFAT boot sector sits 12 sectors in (for any sector size), so a
/// volume whose main boot sector was damaged still reaches the exFAT reader, which warns.
fn sniff_volume<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    offset: u64,
    first: &[u8; 512],
) -> Result<(Filesystem, Option<u32>), PartitionError> {
    let found = sniff_filesystem(first);
    if found != Filesystem::Unknown {
        return Ok((found, filesystem::boot_sector_bytes(first)));
    }
    for sector_bytes in [512u32, 1024, 2048, 4096] {
        let at = offset.saturating_add(EXFAT_BACKUP_SECTOR * sector_bytes as u64);
        if at.saturating_add(512) > reader.len() {
            break;
        }
        let mut backup = [0u8; 512];
        reader.read_at(at, &mut backup)?;
        if sniff_filesystem(&backup) == Filesystem::ExFat
            && filesystem::boot_sector_bytes(&backup) == Some(sector_bytes)
        {
            return Ok((Filesystem::ExFat, Some(sector_bytes)));
        }
    }
    Ok((Filesystem::Unknown, None))
}

/// Why the image's layout could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    /// The image is empty.
    #[error("the image is empty")]
    Empty,
    /// The image is shorter than one sector.
    #[error("the image is only {0} bytes long: too short to be a card")]
    TooShort(u64),
    /// Reading failed.
    #[error("cannot read the image: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the partition table of a card image (or recognises a bare volume).
///
/// Never fails on a garbage table: an image with neither a table nor a recognisable volume comes
/// back as [`Scheme::None`] with no partitions, so the caller can say "not a card image".
pub fn read_partition_table<R: Read + Seek>(
    reader: &mut BlockReader<R>,
) -> Result<PartitionTable, PartitionError> {
    let len = reader.len();
    if len == 0 {
        return Err(PartitionError::Empty);
    }
    if len < 512 {
        return Err(PartitionError::TooShort(len));
    }
    let mut sector0 = [0u8; 512];
    reader.read_at(0, &mut sector0)?;

    // A volume boot sector in sector 0 means no table, even though it also ends in 55 AA.
    let bare = sniff_filesystem(&sector0);
    if bare != Filesystem::Unknown {
        let sector_bytes = filesystem::boot_sector_bytes(&sector0).unwrap_or(512);
        return Ok(bare_volume(len, bare, sector_bytes));
    }

    let mbr = mbr::parse_sector(&sector0);
    if let Some(entries) = &mbr {
        if entries.iter().any(|e| e.type_byte == mbr::PROTECTIVE_GPT)
            && let Some(table) = gpt::read(reader)?
        {
            return Ok(table);
        }
        // A protective MBR whose GPT is gone: fall through and say so below.
    } else if let Some(table) = gpt::read(reader)? {
        // A GPT whose protective MBR was wiped.
        return Ok(table);
    }

    match mbr {
        Some(entries) if !entries.is_empty() => mbr::read(reader, &entries),
        _ => match sniff_volume(reader, 0, &sector0)? {
            // A bare exFAT volume whose main boot sector is damaged: its backup says what it is.
            (Filesystem::ExFat, sector_bytes) => Ok(bare_volume(
                len,
                Filesystem::ExFat,
                sector_bytes.unwrap_or(512),
            )),
            _ => Ok(PartitionTable {
                scheme: Scheme::None,
                sector_bytes: 512,
                partitions: Vec::new(),
                warnings: Vec::new(),
            }),
        },
    }
}

/// The whole image as one volume of `filesystem`.
fn bare_volume(len: u64, filesystem: Filesystem, sector_bytes: u32) -> PartitionTable {
    PartitionTable {
        scheme: Scheme::None,
        sector_bytes,
        partitions: vec![Partition {
            index: 1,
            offset: 0,
            bytes: len,
            type_name: "whole image (no partition table)".to_string(),
            name: None,
            filesystem,
        }],
        warnings: Vec::new(),
    }
}

/// Sniffs the first sector of each partition and warns about ones that do not fit the image.
fn finish(
    reader: &mut BlockReader<impl Read + Seek>,
    scheme: Scheme,
    sector_bytes: u32,
    mut partitions: Vec<Partition>,
    mut warnings: Vec<String>,
) -> Result<PartitionTable, PartitionError> {
    let len = reader.len();
    for p in &mut partitions {
        if p.offset.saturating_add(512) > len {
            warnings.push(format!(
                "partition {} starts at byte {} but the image ends at byte {len}: the image is truncated or the table is wrong",
                p.index, p.offset
            ));
            continue;
        }
        let mut boot = [0u8; 512];
        reader.read_at(p.offset, &mut boot)?;
        p.filesystem = sniff_volume(reader, p.offset, &boot)?.0;
        if p.offset.saturating_add(p.bytes) > len {
            warnings.push(format!(
                "partition {} ends {} bytes past the end of the image: the image is truncated (files near the end may be unreadable)",
                p.index,
                p.offset.saturating_add(p.bytes) - len
            ));
        }
    }
    let mut sorted: Vec<&Partition> = partitions.iter().collect();
    crate::sort::sort_by_key(&mut sorted, |p| p.offset);
    for pair in sorted.windows(2) {
        if pair[0].offset.saturating_add(pair[0].bytes) > pair[1].offset {
            warnings.push(format!(
                "partitions {} and {} overlap",
                pair[0].index, pair[1].index
            ));
        }
    }
    Ok(PartitionTable {
        scheme,
        sector_bytes,
        partitions,
        warnings,
    })
}
