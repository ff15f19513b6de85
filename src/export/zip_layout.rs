//! The layout of a stored ZIP archive (APPNOTE 6.3.x): local headers, the entries' data
//! (referenced, not copied), the central directory and its end records, with ZIP64 records
//! when offsets pass 4 GiB or entries pass 65,535.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// One file to put in the archive.
#[derive(Clone, Debug, PartialEq)]
pub struct ZipEntry {
    /// Name inside the archive ("/"-separated, UTF-8).
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// CRC-32 of its bytes.
    pub crc32: u32,
    /// Modification time (camera local time, as ZIP's DOS time has no zone either).
    pub modified: Option<NaiveDateTime>,
}

/// A piece of the archive, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// Bytes made here (headers and directory).
    Bytes(Vec<u8>),
    /// The data of entry `n`, as it is.
    Data(usize),
}

const MAX32: u64 = 0xFFFF_FFFF;

fn dos_time(t: Option<NaiveDateTime>) -> (u16, u16) {
    match t {
        Some(t) if (1980..=2107).contains(&t.year()) => {
            let time = ((t.hour() << 11) | (t.minute() << 5) | (t.second() / 2)) as u16;
            let date = ((((t.year() - 1980) as u32) << 9) | (t.month() << 5) | t.day()) as u16;
            (time, date)
        }
        // 1980-01-01 00:00, ZIP's earliest.
        _ => (0, 0x21),
    }
}

/// The pieces of a stored archive holding `entries`, in their order.
pub fn layout(entries: &[ZipEntry]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut central = Vec::new();
    let mut offset = 0u64;
    for (i, e) in entries.iter().enumerate() {
        let (time, date) = dos_time(e.modified);
        let name = e.name.as_bytes();
        // Local header: sizes are known up front (stored, CRC computed), so no descriptor. File
        // sizes never reach 4 GiB on FAT32; a ZIP64 extra is written if one ever does.
        let big = e.bytes >= MAX32;
        let mut local = Vec::with_capacity(30 + name.len() + 20);
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&(if big { 45u16 } else { 20 }).to_le_bytes());
        local.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
        local.extend_from_slice(&0u16.to_le_bytes()); // stored
        local.extend_from_slice(&time.to_le_bytes());
        local.extend_from_slice(&date.to_le_bytes());
        local.extend_from_slice(&e.crc32.to_le_bytes());
        let size32 = if big { MAX32 as u32 } else { e.bytes as u32 };
        local.extend_from_slice(&size32.to_le_bytes());
        local.extend_from_slice(&size32.to_le_bytes());
        local.extend_from_slice(&(name.len() as u16).to_le_bytes());
        local.extend_from_slice(&(if big { 20u16 } else { 0 }).to_le_bytes());
        local.extend_from_slice(name);
        if big {
            local.extend_from_slice(&1u16.to_le_bytes());
            local.extend_from_slice(&16u16.to_le_bytes());
            local.extend_from_slice(&e.bytes.to_le_bytes());
            local.extend_from_slice(&e.bytes.to_le_bytes());
        }
        let local_offset = offset;
        offset += local.len() as u64 + e.bytes;
        pieces.push(Piece::Bytes(local));
        pieces.push(Piece::Data(i));

        // Its central directory record, with a ZIP64 extra for what does not fit 32 bits.
        let mut extra = Vec::new();
        if big {
            extra.extend_from_slice(&e.bytes.to_le_bytes());
            extra.extend_from_slice(&e.bytes.to_le_bytes());
        }
        if local_offset >= MAX32 {
            extra.extend_from_slice(&local_offset.to_le_bytes());
        }
        let zip64 = !extra.is_empty();
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&(if zip64 { 45u16 } else { 20 }).to_le_bytes()); // made by
        central.extend_from_slice(&(if zip64 { 45u16 } else { 20 }).to_le_bytes()); // needed
        central.extend_from_slice(&0x0800u16.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&time.to_le_bytes());
        central.extend_from_slice(&date.to_le_bytes());
        central.extend_from_slice(&e.crc32.to_le_bytes());
        central.extend_from_slice(&size32.to_le_bytes());
        central.extend_from_slice(&size32.to_le_bytes());
        central.extend_from_slice(&(name.len() as u16).to_le_bytes());
        central.extend_from_slice(&(if zip64 { extra.len() as u16 + 4 } else { 0 }).to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes()); // comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&(local_offset.min(MAX32) as u32).to_le_bytes());
        central.extend_from_slice(name);
        if zip64 {
            central.extend_from_slice(&1u16.to_le_bytes());
            central.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            central.extend_from_slice(&extra);
        }
    }
    let cd_offset = offset;
    let cd_size = central.len() as u64;
    let count = entries.len() as u64;
    let mut end = Vec::new();
    if cd_offset >= MAX32 || count >= 0xFFFF || cd_size >= MAX32 {
        // ZIP64 end of central directory record and its locator.
        let zip64_end_offset = cd_offset + cd_size;
        end.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        end.extend_from_slice(&44u64.to_le_bytes());
        end.extend_from_slice(&45u16.to_le_bytes());
        end.extend_from_slice(&45u16.to_le_bytes());
        end.extend_from_slice(&0u32.to_le_bytes());
        end.extend_from_slice(&0u32.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&count.to_le_bytes());
        end.extend_from_slice(&cd_size.to_le_bytes());
        end.extend_from_slice(&cd_offset.to_le_bytes());
        end.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        end.extend_from_slice(&0u32.to_le_bytes());
        end.extend_from_slice(&zip64_end_offset.to_le_bytes());
        end.extend_from_slice(&1u32.to_le_bytes());
    }
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    end.extend_from_slice(&(count.min(0xFFFF) as u16).to_le_bytes());
    end.extend_from_slice(&(count.min(0xFFFF) as u16).to_le_bytes());
    end.extend_from_slice(&(cd_size.min(MAX32) as u32).to_le_bytes());
    end.extend_from_slice(&(cd_offset.min(MAX32) as u32).to_le_bytes());
    end.extend_from_slice(&0u16.to_le_bytes());
    central.extend_from_slice(&end);
    pieces.push(Piece::Bytes(central));
    pieces
}

/// Total size of the archive the pieces make.
pub fn archive_bytes(pieces: &[Piece], entries: &[ZipEntry]) -> u64 {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Bytes(b) => b.len() as u64,
            Piece::Data(i) => entries.get(*i).map_or(0, |e| e.bytes),
        })
        .sum()
}
