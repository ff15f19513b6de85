//! Directory entry sets as the writer records them: File, Stream Extension and File Name
//! entries with their checksum, and the root folder's volume entries.

use chrono::{Datelike, NaiveDateTime, Timelike};

use super::upcase::Upcase;

/// One 32-byte directory entry.
pub type RawEntry = [u8; 32];

/// InUse bit of the entry type.
pub const IN_USE: u8 = 0x80;
/// Entry types.
pub const ALLOCATION_BITMAP: u8 = 0x81;
/// Up-case table entry type.
pub const UPCASE_TABLE: u8 = 0x82;
/// Volume label entry type.
pub const VOLUME_LABEL: u8 = 0x83;
/// File entry type.
pub const FILE: u8 = 0x85;
/// Stream extension entry type.
pub const STREAM_EXTENSION: u8 = 0xC0;
/// File name entry type.
pub const FILE_NAME: u8 = 0xC1;

const ATTR_READ_ONLY: u16 = 0x01;
const ATTR_DIRECTORY: u16 = 0x10;
const ATTR_ARCHIVE: u16 = 0x20;
const ALLOCATION_POSSIBLE: u8 = 0x01;
const NO_FAT_CHAIN: u8 = 0x02;

/// When a file or folder was created and last written, in local time, and the UTC offset of
/// that local time when known (seconds east of UTC, a multiple of 15 minutes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Times {
    /// Creation time.
    pub created: NaiveDateTime,
    /// Last modification (and access) time.
    pub modified: NaiveDateTime,
    /// Offset from UTC of both, when recorded.
    pub utc_offset_s: Option<i32>,
}

impl Times {
    /// Created and modified at the same moment.
    pub fn at(when: NaiveDateTime, utc_offset_s: Option<i32>) -> Self {
        Self {
            created: when,
            modified: when,
            utc_offset_s,
        }
    }
}

/// What a stream extension records about the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    /// First cluster, 0 for none.
    pub first_cluster: u32,
    /// DataLength.
    pub bytes: u64,
    /// ValidDataLength.
    pub valid_bytes: u64,
    /// One contiguous run the FAT does not describe.
    pub no_fat_chain: bool,
}

/// Checks a name against exFAT's rules and returns its UTF-16 units.
pub fn name_units(name: &str) -> Result<Vec<u16>, String> {
    let units: Vec<u16> = name.encode_utf16().collect();
    if units.is_empty() || units.len() > 255 {
        return Err(format!("{name:?}: a name has 1 to 255 UTF-16 units"));
    }
    if name == "." || name == ".." {
        return Err(format!("{name:?} is reserved"));
    }
    if let Some(bad) = units
        .iter()
        .find(|&&u| u < 0x20 || "\"*/:<>?\\|".encode_utf16().any(|x| x == u))
    {
        return Err(format!(
            "{name:?} holds {bad:#06x}, which exFAT forbids in names"
        ));
    }
    Ok(units)
}

/// A timestamp, its 10 ms increment and UTC offset byte.
fn encode_time(t: NaiveDateTime, utc_offset_s: Option<i32>) -> (u32, u8, u8) {
    let year = (t.year() - 1980).clamp(0, 127) as u32;
    let stamp = (year << 25)
        | (t.month() << 21)
        | (t.day() << 16)
        | (t.hour() << 11)
        | (t.minute() << 5)
        | (t.second() / 2);
    let increment = ((t.second() % 2) * 100 + t.nanosecond().min(999_999_999) / 10_000_000) as u8;
    let offset = match utc_offset_s {
        Some(s) => 0x80 | (((s / 900) as i8) as u8 & 0x7F),
        None => 0,
    };
    (stamp, increment, offset)
}

/// The SetChecksum over an entry set (bytes 2–3 of the first entry left out). Entries are
/// summed as in use, so a deleted set keeps matching its checksum.
pub fn set_checksum(set: &[RawEntry]) -> u16 {
    let mut sum = 0u16;
    for (index, entry) in set.iter().enumerate() {
        for (at, &byte) in entry.iter().enumerate() {
            if index == 0 && (at == 2 || at == 3) {
                continue;
            }
            let byte = if at == 0 { byte | IN_USE } else { byte };
            sum = sum.rotate_right(1).wrapping_add(byte as u16);
        }
    }
    sum
}

/// Writes `set`'s checksum into its File entry.
pub fn seal(set: &mut [RawEntry]) {
    let sum = set_checksum(set);
    if let Some(file) = set.first_mut() {
        file[2..4].copy_from_slice(&sum.to_le_bytes());
    }
}

/// A file or folder's entry set.
pub fn file_set(
    units: &[u16],
    upcase: &Upcase,
    is_dir: bool,
    read_only: bool,
    times: &Times,
    stream: &Stream,
) -> Vec<RawEntry> {
    let names = units.len().div_ceil(15);
    let mut file = [0u8; 32];
    file[0] = FILE;
    file[1] = 1 + names as u8;
    let mut attributes = if is_dir { ATTR_DIRECTORY } else { ATTR_ARCHIVE };
    if read_only {
        attributes |= ATTR_READ_ONLY;
    }
    file[4..6].copy_from_slice(&attributes.to_le_bytes());
    let (created, created_10ms, created_offset) = encode_time(times.created, times.utc_offset_s);
    let (modified, modified_10ms, modified_offset) =
        encode_time(times.modified, times.utc_offset_s);
    file[8..12].copy_from_slice(&created.to_le_bytes());
    file[12..16].copy_from_slice(&modified.to_le_bytes());
    file[16..20].copy_from_slice(&modified.to_le_bytes());
    file[20] = created_10ms;
    file[21] = modified_10ms;
    file[22] = created_offset;
    file[23] = modified_offset;
    file[24] = modified_offset;

    let mut set = vec![file, stream_entry(units, upcase, stream)];
    for chunk in units.chunks(15) {
        let mut e = [0u8; 32];
        e[0] = FILE_NAME;
        for (k, u) in chunk.iter().enumerate() {
            e[2 + 2 * k..4 + 2 * k].copy_from_slice(&u.to_le_bytes());
        }
        set.push(e);
    }
    seal(&mut set);
    set
}

fn stream_entry(units: &[u16], upcase: &Upcase, stream: &Stream) -> RawEntry {
    let mut e = [0u8; 32];
    e[0] = STREAM_EXTENSION;
    e[1] = ALLOCATION_POSSIBLE
        | if stream.no_fat_chain && stream.first_cluster != 0 {
            NO_FAT_CHAIN
        } else {
            0
        };
    e[3] = units.len() as u8;
    e[4..6].copy_from_slice(&upcase.name_hash(units).to_le_bytes());
    e[8..16].copy_from_slice(&stream.valid_bytes.to_le_bytes());
    e[20..24].copy_from_slice(&stream.first_cluster.to_le_bytes());
    e[24..32].copy_from_slice(&stream.bytes.to_le_bytes());
    e
}

/// Rewrites the stream extension of a sealed set (a folder that grew) and re-seals it.
pub fn restream(set: &mut [RawEntry], stream: &Stream) {
    if let Some(e) = set.get_mut(1) {
        e[1] = ALLOCATION_POSSIBLE
            | if stream.no_fat_chain && stream.first_cluster != 0 {
                NO_FAT_CHAIN
            } else {
                0
            };
        e[8..16].copy_from_slice(&stream.valid_bytes.to_le_bytes());
        e[20..24].copy_from_slice(&stream.first_cluster.to_le_bytes());
        e[24..32].copy_from_slice(&stream.bytes.to_le_bytes());
    }
    seal(set);
}

/// The volume label entry (at most 11 UTF-16 units).
pub fn label_entry(label: &str) -> Result<RawEntry, String> {
    let units: Vec<u16> = label.encode_utf16().collect();
    if units.len() > 11 {
        return Err(format!(
            "the label {label:?} is longer than 11 UTF-16 units"
        ));
    }
    let mut e = [0u8; 32];
    e[0] = VOLUME_LABEL;
    e[1] = units.len() as u8;
    for (k, u) in units.iter().enumerate() {
        e[2 + 2 * k..4 + 2 * k].copy_from_slice(&u.to_le_bytes());
    }
    Ok(e)
}

/// The allocation bitmap entry (first bitmap).
pub fn bitmap_entry(first_cluster: u32, bytes: u64) -> RawEntry {
    let mut e = [0u8; 32];
    e[0] = ALLOCATION_BITMAP;
    e[20..24].copy_from_slice(&first_cluster.to_le_bytes());
    e[24..32].copy_from_slice(&bytes.to_le_bytes());
    e
}

/// The up-case table entry.
pub fn upcase_entry(checksum: u32, first_cluster: u32, bytes: u64) -> RawEntry {
    let mut e = [0u8; 32];
    e[0] = UPCASE_TABLE;
    e[4..8].copy_from_slice(&checksum.to_le_bytes());
    e[20..24].copy_from_slice(&first_cluster.to_le_bytes());
    e[24..32].copy_from_slice(&bytes.to_le_bytes());
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn times_encode_with_increment_and_offset() {
        let t = NaiveDate::from_ymd_opt(2024, 10, 12)
            .unwrap()
            .and_hms_milli_opt(7, 57, 1, 250)
            .unwrap();
        let (stamp, inc, off) = encode_time(t, Some(-5 * 3600));
        assert_eq!(stamp & 0x1F, 0);
        assert_eq!((stamp >> 5) & 0x3F, 57);
        assert_eq!(inc, 125);
        assert_eq!(off, 0x80 | 0x6C);
    }

    #[test]
    fn forbidden_names_are_refused() {
        assert!(name_units("ok name.mp4").is_ok());
        for bad in ["", ".", "a/b", "a:b", "tab\there"] {
            assert!(name_units(bad).is_err(), "{bad:?}");
        }
        assert!(name_units(&"x".repeat(256)).is_err());
    }
}
