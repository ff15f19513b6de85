//! The GUID partition table: header in sector 1 (backup in the last sector), entry array.

use std::io::{Read, Seek};

use super::{
    MAX_GPT_ENTRY_BYTES, Partition, PartitionError, PartitionTable, Scheme, filesystem::Filesystem,
    finish,
};
use crate::block_reader::BlockReader;

const SIGNATURE: &[u8; 8] = b"EFI PART";

/// A header that passed its checks.
struct Header {
    entries_lba: u64,
    entry_count: u32,
    entry_bytes: u32,
    entries_crc: u32,
    alternate_lba: u64,
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// Reads the GPT, trying 512- then 4096-byte sectors. `None` when there is no GPT signature
/// at all; a table with a warning and no partitions when both headers are damaged.
pub(super) fn read<R: Read + Seek>(
    reader: &mut BlockReader<R>,
) -> Result<Option<PartitionTable>, PartitionError> {
    for ss in [512u32, 4096] {
        let ss64 = ss as u64;
        if reader.len() < 2 * ss64 {
            continue;
        }
        let mut sig = [0u8; 8];
        reader.read_at(ss64, &mut sig)?;
        if &sig != SIGNATURE {
            continue;
        }
        let mut warnings = Vec::new();
        let primary = read_header(reader, ss, 1);
        let last_lba = reader.len() / ss64 - 1;
        let found = match primary {
            Ok((header, entries)) => Some((header, entries)),
            Err(why) => {
                let backup = read_header(reader, ss, last_lba);
                match backup {
                    Ok(found) => {
                        warnings.push(format!(
                            "the primary GPT is damaged ({why}); the backup GPT at the end of the card was used"
                        ));
                        Some(found)
                    }
                    Err(backup_why) => {
                        warnings.push(format!(
                            "the GPT is damaged: primary ({why}), backup ({backup_why})"
                        ));
                        None
                    }
                }
            }
        };
        let Some((header, entries)) = found else {
            return Ok(Some(PartitionTable {
                scheme: Scheme::Gpt,
                sector_bytes: ss,
                partitions: Vec::new(),
                warnings,
            }));
        };
        if header.alternate_lba != 0 && header.alternate_lba > last_lba {
            warnings.push(format!(
                "the GPT says the card has {} sectors but the image holds {}: the image is truncated",
                header.alternate_lba.saturating_add(1),
                last_lba + 1
            ));
        }
        let partitions = parse_entries(&entries, &header, ss64, &mut warnings);
        return finish(reader, Scheme::Gpt, ss, partitions, warnings).map(Some);
    }
    Ok(None)
}

/// Reads and checks the header at `lba` and its entry array (both CRC32s).
fn read_header<R: Read + Seek>(
    reader: &mut BlockReader<R>,
    ss: u32,
    lba: u64,
) -> Result<(Header, Vec<u8>), String> {
    let ss64 = ss as u64;
    let mut raw = vec![0u8; ss as usize];
    reader
        .read_at(lba * ss64, &mut raw)
        .map_err(|e| format!("cannot read sector {lba}: {e}"))?;
    if &raw[0..8] != SIGNATURE {
        return Err(format!("no GPT signature in sector {lba}"));
    }
    let header_bytes = u32_at(&raw, 12) as usize;
    if !(92..=ss as usize).contains(&header_bytes) {
        return Err(format!("header size {header_bytes} is impossible"));
    }
    let stored_crc = u32_at(&raw, 16);
    let mut copy = raw[..header_bytes].to_vec();
    copy[16..20].fill(0);
    if crate::crc32::hash(&copy) != stored_crc {
        return Err("header checksum mismatch".to_string());
    }
    let my_lba = u64_at(&raw, 24);
    if my_lba != lba {
        return Err(format!(
            "header in sector {lba} says it is in sector {my_lba}"
        ));
    }
    let header = Header {
        alternate_lba: u64_at(&raw, 32),
        entries_lba: u64_at(&raw, 72),
        entry_count: u32_at(&raw, 80),
        entry_bytes: u32_at(&raw, 84),
        entries_crc: u32_at(&raw, 88),
    };
    let entry_bytes = header.entry_bytes as u64;
    if entry_bytes < 128 || !entry_bytes.is_multiple_of(8) || entry_bytes > ss64 {
        return Err(format!("partition entry size {entry_bytes} is impossible"));
    }
    let array_bytes = entry_bytes * header.entry_count as u64;
    if array_bytes > MAX_GPT_ENTRY_BYTES {
        return Err(format!(
            "{} partition entries is more than any card has",
            header.entry_count
        ));
    }
    let start = header
        .entries_lba
        .checked_mul(ss64)
        .filter(|s| s.saturating_add(array_bytes) <= reader.len())
        .ok_or_else(|| "the partition entries lie outside the image".to_string())?;
    let mut entries = vec![0u8; array_bytes as usize];
    reader
        .read_at(start, &mut entries)
        .map_err(|e| format!("cannot read the partition entries: {e}"))?;
    if crate::crc32::hash(&entries) != header.entries_crc {
        return Err("partition entries checksum mismatch".to_string());
    }
    Ok((header, entries))
}

fn parse_entries(
    entries: &[u8],
    header: &Header,
    ss: u64,
    warnings: &mut Vec<String>,
) -> Vec<Partition> {
    let mut partitions = Vec::new();
    for (i, e) in entries
        .chunks_exact(header.entry_bytes as usize)
        .enumerate()
    {
        let type_guid = &e[0..16];
        if type_guid.iter().all(|&b| b == 0) {
            continue;
        }
        let index = i as u32 + 1;
        let first = u64_at(e, 32);
        let last = u64_at(e, 40);
        let bytes = last
            .checked_sub(first)
            .and_then(|n| n.checked_add(1))
            .and_then(|n| n.checked_mul(ss));
        let (Some(offset), Some(bytes)) = (first.checked_mul(ss), bytes) else {
            warnings.push(format!(
                "GPT partition {index} has impossible bounds (sectors {first} to {last}); skipped"
            ));
            continue;
        };
        let name: Vec<u16> = e[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&c| c != 0)
            .collect();
        let name = String::from_utf16_lossy(&name);
        partitions.push(Partition {
            index,
            offset,
            bytes,
            type_name: type_name(type_guid),
            name: (!name.is_empty()).then_some(name),
            filesystem: Filesystem::Unknown,
        });
    }
    partitions
}

/// A GUID as text (the first three fields are stored little-endian).
fn guid_text(g: &[u8]) -> String {
    format!(
        "{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        g[3],
        g[2],
        g[1],
        g[0],
        g[5],
        g[4],
        g[7],
        g[6],
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    )
}

fn type_name(guid: &[u8]) -> String {
    let text = guid_text(guid);
    let name = match text.as_str() {
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7" => "Microsoft basic data",
        "C12A7328-F81F-11D2-BA4B-00A0C93EC93B" => "EFI System",
        "E3C9E316-0B5C-4DB8-817D-F92DF00215AE" => "Microsoft reserved",
        "DE94BBA4-06D1-4D40-A16A-BFD50179D6AC" => "Windows recovery",
        "0FC63DAF-8483-4772-8E79-3D69D8477DE4" => "Linux filesystem",
        "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F" => "Linux swap",
        "48465300-0000-11AA-AA11-00306543ECAC" => "Apple HFS+",
        "7C3457EF-0000-11AA-AA11-00306543ECAC" => "Apple APFS",
        _ => return format!("GUID {text}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_data_guid_reads_as_its_name() {
        // EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 as stored on disk.
        let stored = [
            0xA2, 0xA0, 0xD0, 0xEB, 0xE5, 0xB9, 0x33, 0x44, 0x87, 0xC0, 0x68, 0xB6, 0xB7, 0x26,
            0x99, 0xC7,
        ];
        assert_eq!(type_name(&stored), "Microsoft basic data");
    }
}
