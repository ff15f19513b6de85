//! One 32-byte directory entry, both ways: the one place that knows the on-disk layout of short
//! (8.3) entries and long-name (VFAT) entries, the long-name checksum and how an 8.3 name is
//! written out. The directory walk decodes with it; whatever writes cards (the simulation)
//! encodes with it, so the two can never disagree about a byte.

use chrono::NaiveDateTime;

use super::dos_time;

/// Size of one directory entry.
pub const ENTRY_BYTES: usize = 32;
/// First byte of a deleted entry (short or long).
pub const DELETED: u8 = 0xE5;
/// First byte of the end marker: no entries follow.
pub const END: u8 = 0x00;
/// First byte standing for a real 0xE5 first character (which would read as deleted).
const REALLY_E5: u8 = 0x05;

/// Attribute: read only.
pub const ATTR_READ_ONLY: u8 = 0x01;
/// Attribute: hidden.
pub const ATTR_HIDDEN: u8 = 0x02;
/// Attribute: system.
pub const ATTR_SYSTEM: u8 = 0x04;
/// Attribute: the volume label (in the root folder).
pub const ATTR_VOLUME_ID: u8 = 0x08;
/// Attribute: a folder.
pub const ATTR_DIRECTORY: u8 = 0x10;
/// Attribute: a file changed since the last backup (what drivers set on new files).
pub const ATTR_ARCHIVE: u8 = 0x20;
/// The attribute bits that mark a long-name entry.
pub const ATTR_LONG_NAME: u8 = ATTR_READ_ONLY | ATTR_HIDDEN | ATTR_SYSTEM | ATTR_VOLUME_ID;

/// Order byte flag of the last (first written) part of a long name.
const LFN_LAST: u8 = 0x40;
/// UTF-16 units in one long-name entry.
pub const LFN_UNITS: usize = 13;
/// Where those units lie in the entry.
const LFN_UNIT_OFFSETS: [usize; LFN_UNITS] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// NT case flag: the base of the 8.3 name is shown in lower case.
const CASE_LOWER_BASE: u8 = 0x08;
/// NT case flag: the extension is shown in lower case.
const CASE_LOWER_EXT: u8 = 0x10;

/// What one 32-byte slot of a directory holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The end marker: nothing after it is an entry.
    End,
    /// Part of a long name (live or deleted).
    LongName(LongNameEntry),
    /// A short entry: a file, a folder, "." or "..", or the volume label (live or deleted).
    Short(ShortEntry),
}

impl Slot {
    /// Decodes one slot. Long-name entries are told by their attribute bits as the FAT
    /// specification masks them (`attr & 0x3F == 0x0F`).
    pub fn decode(e: &[u8; ENTRY_BYTES]) -> Slot {
        if e[0] == END {
            Slot::End
        } else if e[11] & 0x3F == ATTR_LONG_NAME {
            Slot::LongName(LongNameEntry::decode(e))
        } else {
            Slot::Short(ShortEntry::decode(e))
        }
    }
}

/// A short (8.3) directory entry, field by field as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShortEntry {
    /// The 11 name bytes as stored (base padded to 8, extension to 3; 0xE5 first when deleted).
    pub name: [u8; 11],
    /// Attribute byte.
    pub attributes: u8,
    /// Windows NT case flags (lower-case base or extension).
    pub case_flags: u8,
    /// Creation time's 10 ms units (0..=199).
    pub created_tenths: u8,
    /// Creation time.
    pub created_time: u16,
    /// Creation date.
    pub created_date: u16,
    /// Last access date.
    pub accessed_date: u16,
    /// Last write time.
    pub modified_time: u16,
    /// Last write date.
    pub modified_date: u16,
    /// First cluster (high and low words together).
    pub first_cluster: u32,
    /// Size in bytes (0 for folders).
    pub size: u32,
}

fn u16_at(e: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([e[at], e[at + 1]])
}

impl ShortEntry {
    /// An entry for `name` as a FAT driver writes one: created and modified at the given
    /// times, last accessed on the day it was modified.
    pub fn new(
        name: [u8; 11],
        attributes: u8,
        first_cluster: u32,
        size: u32,
        created: NaiveDateTime,
        modified: NaiveDateTime,
    ) -> Self {
        let (created_date, created_time, created_tenths) = dos_time::encode(created);
        let (modified_date, modified_time, _) = dos_time::encode(modified);
        Self {
            name,
            attributes,
            case_flags: 0,
            created_tenths,
            created_time,
            created_date,
            accessed_date: modified_date,
            modified_time,
            modified_date,
            first_cluster,
            size,
        }
    }

    /// Reads the fields of a short entry.
    pub fn decode(e: &[u8; ENTRY_BYTES]) -> Self {
        let mut name = [0u8; 11];
        name.copy_from_slice(&e[..11]);
        Self {
            name,
            attributes: e[11],
            case_flags: e[12],
            created_tenths: e[13],
            created_time: u16_at(e, 14),
            created_date: u16_at(e, 16),
            accessed_date: u16_at(e, 18),
            modified_time: u16_at(e, 22),
            modified_date: u16_at(e, 24),
            first_cluster: (u32::from(u16_at(e, 20)) << 16) | u32::from(u16_at(e, 26)),
            size: u32::from_le_bytes([e[28], e[29], e[30], e[31]]),
        }
    }

    /// The 32 bytes of this entry.
    pub fn encode(&self) -> [u8; ENTRY_BYTES] {
        let mut e = [0u8; ENTRY_BYTES];
        e[..11].copy_from_slice(&self.name);
        e[11] = self.attributes;
        e[12] = self.case_flags;
        e[13] = self.created_tenths;
        e[14..16].copy_from_slice(&self.created_time.to_le_bytes());
        e[16..18].copy_from_slice(&self.created_date.to_le_bytes());
        e[18..20].copy_from_slice(&self.accessed_date.to_le_bytes());
        e[20..22].copy_from_slice(&((self.first_cluster >> 16) as u16).to_le_bytes());
        e[22..24].copy_from_slice(&self.modified_time.to_le_bytes());
        e[24..26].copy_from_slice(&self.modified_date.to_le_bytes());
        e[26..28].copy_from_slice(&(self.first_cluster as u16).to_le_bytes());
        e[28..32].copy_from_slice(&self.size.to_le_bytes());
        e
    }

    /// A deleted entry (its first byte overwritten with 0xE5).
    pub fn is_deleted(&self) -> bool {
        self.name[0] == DELETED
    }

    /// The volume label entry.
    pub fn is_volume_label(&self) -> bool {
        self.attributes & ATTR_VOLUME_ID != 0
    }

    /// A folder.
    pub fn is_dir(&self) -> bool {
        self.attributes & ATTR_DIRECTORY != 0
    }

    /// "." or "..".
    pub fn is_dot(&self) -> bool {
        self.name[0] == b'.'
    }

    /// Creation time (camera local time), if set and possible.
    pub fn created(&self) -> Option<NaiveDateTime> {
        dos_time::decode(self.created_date, self.created_time, self.created_tenths)
    }

    /// Last write time (camera local time), if set and possible.
    pub fn modified(&self) -> Option<NaiveDateTime> {
        dos_time::decode(self.modified_date, self.modified_time, 0)
    }

    /// The checksum of this entry's name that its long-name entries carry.
    pub fn checksum(&self) -> u8 {
        checksum(&self.name)
    }

    /// The name as shown without a long name: "NAME.EXT" with the case flags applied, decoded
    /// with code page 437 (see [`super::names`]).
    pub fn display_name(&self, key: &[u8]) -> String {
        super::names::short_name(
            key,
            self.case_flags & CASE_LOWER_BASE != 0,
            self.case_flags & CASE_LOWER_EXT != 0,
        )
    }
}

/// The 8.3 name as drivers write it out: "NAME.EXT" (no dot without an extension), padding
/// dropped, a stored 0x05 read as 0xE5 — byte for byte what `fatfs` gives as a short name.
pub fn short_key(name: &[u8; 11]) -> Vec<u8> {
    let base_len = name[..8]
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(0, |p| p + 1);
    let ext_len = name[8..]
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(0, |p| p + 1);
    let mut key = name[..base_len].to_vec();
    if ext_len > 0 {
        key.push(b'.');
        key.extend_from_slice(&name[8..8 + ext_len]);
    }
    if key.first() == Some(&REALLY_E5) {
        key[0] = 0xE5;
    }
    key
}

/// The short-name checksum long-name entries carry.
pub fn checksum(name: &[u8; 11]) -> u8 {
    name.iter().fold(0u8, |sum, &b| {
        ((sum & 1) << 7).wrapping_add(sum >> 1).wrapping_add(b)
    })
}

/// One long-name (VFAT) entry: 13 UTF-16 units of a long name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongNameEntry {
    /// The order byte: sequence number (1-based) and [`LFN_LAST`] on the last part; 0xE5
    /// when deleted.
    pub order: u8,
    /// Checksum of the short name it belongs to.
    pub checksum: u8,
    /// Its part of the name.
    pub units: [u16; LFN_UNITS],
}

impl LongNameEntry {
    /// Reads the fields of a long-name entry.
    pub fn decode(e: &[u8; ENTRY_BYTES]) -> Self {
        let mut units = [0u16; LFN_UNITS];
        for (slot, &at) in units.iter_mut().zip(LFN_UNIT_OFFSETS.iter()) {
            *slot = u16_at(e, at);
        }
        Self {
            order: e[0],
            checksum: e[13],
            units,
        }
    }

    /// The 32 bytes of this entry.
    pub fn encode(&self) -> [u8; ENTRY_BYTES] {
        let mut e = [0u8; ENTRY_BYTES];
        e[0] = self.order;
        e[11] = ATTR_LONG_NAME;
        e[13] = self.checksum;
        for (u, &at) in self.units.iter().zip(LFN_UNIT_OFFSETS.iter()) {
            e[at..at + 2].copy_from_slice(&u.to_le_bytes());
        }
        e
    }

    /// A deleted part (order byte 0xE5).
    pub fn is_deleted(&self) -> bool {
        self.order == DELETED
    }

    /// The last part of the name, which comes first on disk.
    pub fn is_last(&self) -> bool {
        self.order & LFN_LAST != 0
    }

    /// Its 1-based place in the name.
    pub fn sequence(&self) -> u8 {
        self.order & 0x1F
    }
}

/// The long-name entries for `long`, in on-disk order (last part first), each carrying the
/// checksum of `short`; the name ends with a 0 unit and is padded with 0xFFFF.
pub fn long_name_entries(long: &str, short: &[u8; 11]) -> Vec<[u8; ENTRY_BYTES]> {
    let mut units: Vec<u16> = long.encode_utf16().collect();
    if !units.len().is_multiple_of(LFN_UNITS) {
        units.push(0);
        while !units.len().is_multiple_of(LFN_UNITS) {
            units.push(0xFFFF);
        }
    }
    let parts = units.len() / LFN_UNITS;
    let sum = checksum(short);
    (0..parts)
        .rev()
        .map(|part| {
            let mut chunk = [0u16; LFN_UNITS];
            chunk.copy_from_slice(&units[part * LFN_UNITS..(part + 1) * LFN_UNITS]);
            LongNameEntry {
                order: (part as u8 + 1) | if part + 1 == parts { LFN_LAST } else { 0 },
                checksum: sum,
                units: chunk,
            }
            .encode()
        })
        .collect()
}

/// A long name from its parts in disk order (last part first): cut at the first 0 unit (a NUL
/// inside a name ends it, as mtools and The Sleuth Kit read it), the 0xFFFF padding dropped,
/// decoded without merging lone surrogates (see [`super::names`]); `None` when nothing is left.
pub fn assemble_long_name(parts: &[[u16; LFN_UNITS]]) -> Option<String> {
    let mut units = Vec::with_capacity(parts.len() * LFN_UNITS);
    for part in parts.iter().rev() {
        units.extend_from_slice(part);
    }
    if let Some(end) = units.iter().position(|&u| u == 0) {
        units.truncate(end);
    }
    while units.last() == Some(&0xFFFF) {
        units.pop();
    }
    (!units.is_empty()).then(|| super::names::utf16_name(&units))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2024, 10, 12)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .unwrap()
    }

    #[test]
    fn a_short_entry_encodes_and_decodes_to_itself() {
        let e = ShortEntry::new(
            *b"202410~1MP4",
            ATTR_ARCHIVE,
            0x0012_3456,
            73_400_320,
            at(7, 57, 1),
            at(7, 58, 0),
        );
        let bytes = e.encode();
        assert_eq!(ShortEntry::decode(&bytes), e);
        assert_eq!(Slot::decode(&bytes), Slot::Short(e.clone()));
        assert_eq!(e.created(), Some(at(7, 57, 1)));
        assert_eq!(e.modified(), Some(at(7, 58, 0)));
        assert_eq!(&bytes[20..22], &[0x12, 0x00]);
        assert_eq!(&bytes[26..28], &[0x56, 0x34]);
        assert_eq!(short_key(&e.name), b"202410~1.MP4");
    }

    #[test]
    fn long_names_encode_decode_and_carry_the_checksum_and_order() {
        let short = *b"202410~1MP4";
        let entries = long_name_entries("20241012_075700_1.mp4", &short);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0][0], 0x42);
        assert_eq!(entries[1][0], 0x01);
        assert!(
            entries
                .iter()
                .all(|x| x[13] == checksum(&short) && x[11] == 0x0F)
        );
        let parts: Vec<LongNameEntry> = entries
            .iter()
            .map(|e| match Slot::decode(e) {
                Slot::LongName(l) => l,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(parts[0].order, 0x42);
        assert!(parts[0].is_last() && !parts[1].is_last());
        assert_eq!((parts[0].sequence(), parts[1].sequence()), (2, 1));
        assert!(parts.iter().all(|p| p.checksum == checksum(&short)));
        let units: Vec<[u16; LFN_UNITS]> = parts.iter().map(|p| p.units).collect();
        assert_eq!(
            assemble_long_name(&units).as_deref(),
            Some("20241012_075700_1.mp4")
        );
        assert_eq!(parts[1].encode(), entries[1]);
    }

    #[test]
    fn a_nul_inside_a_long_name_ends_it() {
        let mut part = [0xFFFFu16; LFN_UNITS];
        for (u, c) in part.iter_mut().zip("ab\0cd".encode_utf16()) {
            *u = c;
        }
        assert_eq!(assemble_long_name(&[part]).as_deref(), Some("ab"));
        part[0] = 0;
        assert_eq!(assemble_long_name(&[part]), None);
    }

    #[test]
    fn short_names_are_written_out_as_drivers_show_them() {
        assert_eq!(short_key(b"NOEXT      "), b"NOEXT");
        assert_eq!(short_key(b"\x05BC     TXT"), b"\xE5BC.TXT");
        let mut e = ShortEntry::decode(&[0u8; 32]);
        e.case_flags = CASE_LOWER_BASE;
        assert_eq!(e.display_name(b"LOG.TXT"), "log.TXT");
        assert_eq!(e.display_name(b"LOG"), "log");
        // The checksum of the specification's example rotation.
        assert_eq!(checksum(b"FOO     BAR"), {
            let mut s = 0u8;
            for &b in b"FOO     BAR" {
                s = s.rotate_right(1).wrapping_add(b);
            }
            s
        });
    }
}
