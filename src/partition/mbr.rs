//! The DOS partition table (MBR) in sector 0, and the chain of extended boot records.

use std::collections::HashSet;
use std::io::{Read, Seek};

use super::{
    MAX_LOGICAL_PARTITIONS, Partition, PartitionError, PartitionTable, Scheme,
    filesystem::{Filesystem, boot_sector_bytes, sniff_filesystem},
    finish,
};
use crate::block_reader::BlockReader;

/// Type byte of the protective entry that says "this card uses a GPT".
pub(super) const PROTECTIVE_GPT: u8 = 0xEE;

/// One used slot of a partition table sector.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub slot: u32,
    pub type_byte: u8,
    pub lba_start: u32,
    pub lba_count: u32,
}

fn is_extended(type_byte: u8) -> bool {
    matches!(type_byte, 0x05 | 0x0F | 0x85)
}

/// The used entries of a table sector, or `None` when the sector is not a partition table
/// (no 55 AA signature, or a status byte other than 0x00/0x80).
pub(super) fn parse_sector(sector: &[u8; 512]) -> Option<Vec<Entry>> {
    if sector[510..512] != [0x55, 0xAA] {
        return None;
    }
    let mut entries = Vec::new();
    for slot in 0..4 {
        let e = &sector[446 + slot * 16..446 + (slot + 1) * 16];
        if e[0] != 0x00 && e[0] != 0x80 {
            return None;
        }
        let entry = Entry {
            slot: slot as u32 + 1,
            type_byte: e[4],
            lba_start: u32::from_le_bytes([e[8], e[9], e[10], e[11]]),
            lba_count: u32::from_le_bytes([e[12], e[13], e[14], e[15]]),
        };
        if entry.type_byte != 0 && entry.lba_count != 0 {
            entries.push(entry);
        }
    }
    Some(entries)
}

/// The usual name of an MBR partition type.
pub(super) fn type_name(type_byte: u8) -> String {
    let name = match type_byte {
        0x01 => "FAT12",
        0x04 => "FAT16 (under 32 MB)",
        0x05 => "Extended",
        0x06 => "FAT16",
        0x07 => "NTFS or exFAT",
        0x0B => "FAT32 (CHS)",
        0x0C => "FAT32 (LBA)",
        0x0E => "FAT16 (LBA)",
        0x0F => "Extended (LBA)",
        0x11 | 0x14 | 0x16 | 0x1B | 0x1C | 0x1E => "hidden FAT",
        0x27 => "hidden NTFS (recovery)",
        0x82 => "Linux swap",
        0x83 => "Linux",
        0x85 => "Linux extended",
        0xEE => "GPT protective",
        0xEF => "EFI System",
        _ => return format!("type 0x{type_byte:02X}"),
    };
    name.to_string()
}

/// Reads the primary entries found in sector 0 and any logical partitions behind them.
pub(super) fn read<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    entries: &[Entry],
) -> Result<PartitionTable, PartitionError> {
    let sector_bytes = guess_sector_bytes(reader, entries)?;
    let ss = sector_bytes as u64;
    let mut partitions = Vec::new();
    let mut warnings = Vec::new();
    let mut next_logical = 5;
    for e in entries {
        if e.type_byte == PROTECTIVE_GPT {
            warnings
                .push("the card has a protective MBR but no readable GPT behind it".to_string());
        }
        if is_extended(e.type_byte) {
            read_logical(
                reader,
                e,
                ss,
                &mut next_logical,
                &mut partitions,
                &mut warnings,
            )?;
            continue;
        }
        partitions.push(Partition {
            index: e.slot,
            offset: e.lba_start as u64 * ss,
            bytes: e.lba_count as u64 * ss,
            type_name: type_name(e.type_byte),
            name: None,
            filesystem: Filesystem::Unknown,
        });
    }
    finish(reader, Scheme::Mbr, sector_bytes, partitions, warnings)
}

/// MBR addresses are in the card's logical sectors, which the table does not state. Cards are
/// 512-byte almost always; a 4096-byte card shows itself by a volume found only at `lba × 4096`.
fn guess_sector_bytes<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    entries: &[Entry],
) -> Result<u32, PartitionError> {
    let Some(first) = entries.iter().find(|e| !is_extended(e.type_byte)) else {
        return Ok(512);
    };
    let mut fallback = None;
    for ss in [512u32, 4096] {
        let offset = first.lba_start as u64 * ss as u64;
        if offset == 0 || offset.saturating_add(512) > reader.len() {
            continue;
        }
        let mut boot = [0u8; 512];
        reader.read_at(offset, &mut boot)?;
        if sniff_filesystem(&boot) == Filesystem::Unknown {
            continue;
        }
        if boot_sector_bytes(&boot) == Some(ss) {
            return Ok(ss);
        }
        fallback.get_or_insert(ss);
    }
    Ok(fallback.unwrap_or(512))
}

/// Follows the extended boot records of an extended partition, bounded and loop-safe.
fn read_logical<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    extended: &Entry,
    ss: u64,
    next_index: &mut u32,
    partitions: &mut Vec<Partition>,
    warnings: &mut Vec<String>,
) -> Result<(), PartitionError> {
    let base = extended.lba_start as u64;
    let mut ebr = base;
    let mut seen = HashSet::new();
    loop {
        if !seen.insert(ebr) {
            warnings.push(format!(
                "the extended partition's chain loops back to sector {ebr}; stopped there"
            ));
            return Ok(());
        }
        if seen.len() > MAX_LOGICAL_PARTITIONS {
            warnings.push(format!(
                "more than {MAX_LOGICAL_PARTITIONS} logical partitions; stopped there"
            ));
            return Ok(());
        }
        let offset = ebr * ss;
        if offset.saturating_add(512) > reader.len() {
            warnings.push(format!(
                "an extended boot record at byte {offset} lies past the end of the image"
            ));
            return Ok(());
        }
        let mut sector = [0u8; 512];
        reader.read_at(offset, &mut sector)?;
        let Some(entries) = parse_sector(&sector) else {
            warnings.push(format!(
                "the extended boot record at byte {offset} is damaged; logical partitions after it are not listed"
            ));
            return Ok(());
        };
        let mut next = None;
        for e in entries {
            if is_extended(e.type_byte) {
                next.get_or_insert(base + e.lba_start as u64);
            } else {
                partitions.push(Partition {
                    index: *next_index,
                    offset: (ebr + e.lba_start as u64) * ss,
                    bytes: e.lba_count as u64 * ss,
                    type_name: type_name(e.type_byte),
                    name: None,
                    filesystem: Filesystem::Unknown,
                });
                *next_index += 1;
            }
        }
        match next {
            Some(n) => ebr = n,
            None => return Ok(()),
        }
    }
}
