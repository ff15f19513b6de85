//! Directory entries and the entry sets they form.
//!
//! Every entry is 32 bytes whose first byte is its type: bit 7 InUse, bit 6 secondary, bit 5
//! benign, bits 0–4 the code. A file or folder is a set: a File entry (85h), its Stream
//! Extension (C0h: size, valid size, first cluster, NoFatChain) and File Name entries (C1h, 15
//! UTF-16 units each), guarded by a 16-bit checksum over the whole set.
//!
//! Deleting a file on exFAT only clears the InUse bit of each entry of its set (85h → 05h,
//! C0h → 40h, C1h → 41h): name, size, first cluster and the checksum all stay. So a deleted
//! file is read exactly like a live one — its whole long name, its size, where it started —
//! and the checksum, recomputed with the InUse bits set again, says whether the entries are
//! still the ones deleted or were partly overwritten since. That is much more than FAT keeps.
//!
//! What the specification says to do with entries it does not define is followed: unknown
//! benign entries are skipped silently, an unknown critical secondary makes its set's data
//! uninterpretable, an unknown critical primary is skipped with a warning.

use super::timestamp::{self, Timestamp};

/// Size of one directory entry.
pub const ENTRY_BYTES: usize = 32;

const IN_USE: u8 = 0x80;
const SECONDARY: u8 = 0x40;
const BENIGN: u8 = 0x20;

const END_OF_DIRECTORY: u8 = 0x00;
const ALLOCATION_BITMAP: u8 = 0x81;
const UPCASE_TABLE: u8 = 0x82;
const VOLUME_LABEL: u8 = 0x83;
const FILE: u8 = 0x85;
const VOLUME_GUID: u8 = 0xA0;
const STREAM_EXTENSION: u8 = 0xC0;
const FILE_NAME: u8 = 0xC1;

/// FileAttributes bits.
const ATTR_READ_ONLY: u16 = 0x01;
const ATTR_DIRECTORY: u16 = 0x10;
/// GeneralSecondaryFlags bits.
const ALLOCATION_POSSIBLE: u8 = 0x01;
const NO_FAT_CHAIN: u8 = 0x02;

/// Name units one File Name entry holds.
const NAME_UNITS_PER_ENTRY: usize = 15;

type RawEntry = [u8; ENTRY_BYTES];

fn u16_at(e: &RawEntry, at: usize) -> u16 {
    u16::from_le_bytes([e[at], e[at + 1]])
}

fn u32_at(e: &RawEntry, at: usize) -> u32 {
    u32::from_le_bytes([e[at], e[at + 1], e[at + 2], e[at + 3]])
}

fn u64_at(e: &RawEntry, at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&e[at..at + 8]);
    u64::from_le_bytes(v)
}

/// The SetChecksum of an entry set, over every byte but the checksum field itself. Entries of
/// a deleted set are summed with their InUse bit set again, as they were when it was written.
pub fn set_checksum(entries: &[RawEntry]) -> u16 {
    let mut sum = 0u16;
    for (index, entry) in entries.iter().enumerate() {
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

/// A file or folder's entry set, decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct FileSet {
    /// Index of the File entry in its directory.
    pub index: usize,
    /// True when the set's InUse bits are cleared.
    pub deleted: bool,
    /// The name's UTF-16 units, exactly NameLength of them when the set is whole.
    pub name_units: Vec<u16>,
    /// NameHash as recorded.
    pub name_hash: u16,
    /// FileAttributes.
    pub attributes: u16,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// Last modification time.
    pub modified: Option<Timestamp>,
    /// NoFatChain: the allocation is one contiguous run and the FAT says nothing about it.
    pub no_fat_chain: bool,
    /// AllocationPossible.
    pub allocation_possible: bool,
    /// First cluster of the data (0: none).
    pub first_cluster: u32,
    /// DataLength: bytes allocated to the data.
    pub data_length: u64,
    /// ValidDataLength: bytes written; the rest reads as zeros.
    pub valid_data_length: u64,
    /// The SetChecksum matches (always true for live sets, which are skipped otherwise).
    pub checksum_ok: bool,
    /// An unrecognized critical secondary entry: the data must not be interpreted.
    pub unrecognized_critical: bool,
    /// Problems with this set, in plain words.
    pub warnings: Vec<String>,
}

impl FileSet {
    /// True for a folder.
    pub fn is_dir(&self) -> bool {
        self.attributes & ATTR_DIRECTORY != 0
    }

    /// True when the read-only attribute is set.
    pub fn read_only(&self) -> bool {
        self.attributes & ATTR_READ_ONLY != 0
    }

    /// The name as text; units exFAT forbids in names ('/', NUL and other controls) shown as
    /// U+FFFD so a hostile name cannot fake a path.
    pub fn name(&self) -> String {
        char::decode_utf16(self.name_units.iter().copied())
            .map(|c| match c {
                Ok(c) if c != '/' && !c.is_control() => c,
                _ => char::REPLACEMENT_CHARACTER,
            })
            .collect()
    }
}

/// One thing a directory holds.
#[derive(Clone, Debug, PartialEq)]
pub enum DirItem {
    /// A file or folder, live or deleted.
    File(FileSet),
    /// The allocation bitmap (root only): which one (0 first, 1 second), where, how long.
    AllocationBitmap {
        /// BitmapIdentifier: 0 for the first FAT's bitmap, 1 for the second's.
        which: u8,
        /// First cluster.
        first_cluster: u32,
        /// Bytes.
        data_length: u64,
    },
    /// The up-case table (root only).
    UpcaseTable {
        /// TableChecksum.
        checksum: u32,
        /// First cluster.
        first_cluster: u32,
        /// Bytes.
        data_length: u64,
    },
    /// The volume label (root only); `None` for an entry that holds no label.
    VolumeLabel(Option<String>),
    /// The volume GUID (root only).
    VolumeGuid([u8; 16]),
}

/// A directory's entries, parsed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedDirectory {
    /// What it holds, in entry order.
    pub items: Vec<DirItem>,
    /// Problems with the directory itself, in plain words (the caller names the folder).
    pub warnings: Vec<String>,
}

/// Parses a directory's bytes, stopping at the end-of-directory mark. `root` says whether the
/// volume's own entries (bitmap, up-case table, label, GUID) belong here.
pub fn parse_directory(bytes: &[u8], root: bool) -> ParsedDirectory {
    let entries: Vec<RawEntry> = bytes
        .chunks_exact(ENTRY_BYTES)
        .map(|c| {
            let mut e = [0u8; ENTRY_BYTES];
            e.copy_from_slice(c);
            e
        })
        .collect();
    let mut out = ParsedDirectory::default();
    let mut stray_secondaries = 0usize;
    let mut i = 0usize;
    while let Some(entry) = entries.get(i) {
        let kind = entry[0];
        if kind == END_OF_DIRECTORY {
            break;
        }
        if kind & IN_USE == 0 {
            // Unused; a deleted File entry starts a deleted set worth reading.
            if kind == FILE & !IN_USE
                && let Some((set, used)) = deleted_set(&entries, i)
            {
                out.items.push(DirItem::File(set));
                i += used;
                continue;
            }
            i += 1;
            continue;
        }
        if kind & SECONDARY != 0 {
            stray_secondaries += 1;
            i += 1;
            continue;
        }
        match kind {
            FILE => i += live_set(&entries, i, &mut out),
            ALLOCATION_BITMAP | UPCASE_TABLE | VOLUME_LABEL | VOLUME_GUID if !root => {
                out.warnings.push(format!(
                    "entry {i} is a volume entry ({kind:#04x}) outside the root folder, where exFAT does not allow it; ignored"
                ));
                i += 1 + following_secondaries(&entries, i);
            }
            ALLOCATION_BITMAP => {
                out.items.push(DirItem::AllocationBitmap {
                    which: entry[1] & 1,
                    first_cluster: u32_at(entry, 20),
                    data_length: u64_at(entry, 24),
                });
                i += 1;
            }
            UPCASE_TABLE => {
                out.items.push(DirItem::UpcaseTable {
                    checksum: u32_at(entry, 4),
                    first_cluster: u32_at(entry, 20),
                    data_length: u64_at(entry, 24),
                });
                i += 1;
            }
            VOLUME_LABEL => {
                let count = (entry[1] as usize).min(11);
                let units: Vec<u16> = (0..count).map(|k| u16_at(entry, 2 + 2 * k)).collect();
                let label = String::from_utf16_lossy(&units).trim_end().to_string();
                out.items
                    .push(DirItem::VolumeLabel((!label.is_empty()).then_some(label)));
                if entry[1] > 11 {
                    out.warnings.push(format!(
                        "the volume label claims {} characters (at most 11); the first 11 were kept",
                        entry[1]
                    ));
                }
                i += 1;
            }
            VOLUME_GUID => {
                let used = 1 + following_secondaries(&entries, i);
                let set = entries.get(i..i + used).unwrap_or_default();
                if set_checksum(set) == u16_at(entry, 2) {
                    let mut guid = [0u8; 16];
                    guid.copy_from_slice(&entry[6..22]);
                    out.items.push(DirItem::VolumeGuid(guid));
                } else {
                    out.warnings
                        .push("the volume GUID entry does not match its checksum; ignored".into());
                }
                i += used;
            }
            _ if kind & BENIGN != 0 => {
                // Unrecognized benign primary (TexFAT padding, access control…): its whole set
                // is unrecognized and skipped.
                i += 1 + following_secondaries(&entries, i);
            }
            _ => {
                out.warnings.push(format!(
                    "entry {i} has a type exFAT 1.0 does not define ({kind:#04x}, critical); it and its secondary entries were skipped"
                ));
                i += 1 + following_secondaries(&entries, i);
            }
        }
    }
    if stray_secondaries > 0 {
        out.warnings.push(format!(
            "{stray_secondaries} secondary entries belong to no file (damaged entry sets); ignored"
        ));
    }
    out
}

/// How many in-use secondary entries directly follow the primary at `i`, up to its
/// SecondaryCount.
fn following_secondaries(entries: &[RawEntry], i: usize) -> usize {
    let Some(primary) = entries.get(i) else {
        return 0;
    };
    let claimed = primary[1] as usize;
    entries
        .iter()
        .skip(i + 1)
        .take(claimed)
        .take_while(|e| e[0] & (IN_USE | SECONDARY) == IN_USE | SECONDARY)
        .count()
}

/// Decodes the File, Stream Extension and File Name entries of `set` (checksum already
/// judged). `None` when there is no stream extension to say where the data is.
fn decode_set(set: &[RawEntry], index: usize, deleted: bool, checksum_ok: bool) -> Option<FileSet> {
    let (file, rest) = set.split_first()?;
    let (stream, rest) = rest.split_first()?;
    if stream[0] | IN_USE != STREAM_EXTENSION {
        return None;
    }
    let mut warnings = Vec::new();
    let name_length = stream[3] as usize;
    let mut name_units = Vec::with_capacity(name_length);
    let mut unrecognized_critical = false;
    for (k, entry) in rest.iter().enumerate() {
        let kind = entry[0] | IN_USE;
        let is_name_slot = k < name_length.div_ceil(NAME_UNITS_PER_ENTRY);
        if kind == FILE_NAME && is_name_slot {
            let wanted = (name_length - name_units.len()).min(NAME_UNITS_PER_ENTRY);
            name_units.extend((0..wanted).map(|u| u16_at(entry, 2 + 2 * u)));
        } else if kind & BENIGN == 0 && kind != FILE_NAME {
            unrecognized_critical = true;
        }
    }
    if name_length == 0 {
        warnings.push("its name is empty".to_string());
    } else if name_units.len() < name_length {
        warnings.push(format!(
            "only {} of the {name_length} characters of its name survive",
            name_units.len()
        ));
    }
    if unrecognized_critical {
        warnings.push(
            "its entry set holds a critical entry exFAT 1.0 does not define, so its data cannot be interpreted"
                .to_string(),
        );
    }
    let created = timestamp::decode(u32_at(file, 8), file[20], file[22]);
    let modified = timestamp::decode(u32_at(file, 12), file[21], file[23]);
    let flags = stream[1];
    Some(FileSet {
        index,
        deleted,
        name_units,
        name_hash: u16_at(stream, 4),
        attributes: u16_at(file, 4),
        created,
        modified,
        no_fat_chain: flags & NO_FAT_CHAIN != 0,
        allocation_possible: flags & ALLOCATION_POSSIBLE != 0,
        first_cluster: u32_at(stream, 20),
        data_length: u64_at(stream, 24),
        valid_data_length: u64_at(stream, 8),
        checksum_ok,
        unrecognized_critical,
        warnings,
    })
}

/// A live File entry set at `i`: decoded into `out` when sound, skipped with a warning when
/// not. Returns how many entries to advance.
fn live_set(entries: &[RawEntry], i: usize, out: &mut ParsedDirectory) -> usize {
    let Some(file) = entries.get(i) else {
        return 1;
    };
    let secondary_count = file[1] as usize;
    let present = following_secondaries(entries, i);
    let skip = 1 + present;
    if secondary_count < 2 {
        out.warnings.push(format!(
            "entry {i} is a file entry with {secondary_count} secondary entries (at least 2 are needed); skipped"
        ));
        return skip;
    }
    let Some(set) = entries.get(i..=i + secondary_count) else {
        out.warnings.push(format!(
            "the file entry set at entry {i} is cut off by the end of the folder; skipped"
        ));
        return skip;
    };
    if set_checksum(set) != u16_at(file, 2) {
        out.warnings.push(format!(
            "the file entry set at entry {i} does not match its checksum (damaged); skipped"
        ));
        return skip;
    }
    if present < secondary_count {
        out.warnings.push(format!(
            "the file entry set at entry {i} has {present} of its {secondary_count} secondary entries; skipped"
        ));
        return skip;
    }
    match decode_set(set, i, false, true) {
        Some(file_set) => out.items.push(DirItem::File(file_set)),
        None => out.warnings.push(format!(
            "the file entry set at entry {i} has no stream extension; skipped"
        )),
    }
    1 + secondary_count
}

/// A deleted File entry set at `i` (types 05h, 40h, 41h…), read as far as its entries are
/// still deleted ones. Returns the set and how many entries it spans, or `None` when not even
/// the stream extension survives.
fn deleted_set(entries: &[RawEntry], i: usize) -> Option<(FileSet, usize)> {
    let file = entries.get(i)?;
    let secondary_count = file[1] as usize;
    if secondary_count < 2 {
        return None;
    }
    // Entries still deleted secondaries: a live entry (a later set that took the slots) or a new
    // primary ends the remains.
    let surviving = entries
        .iter()
        .skip(i + 1)
        .take(secondary_count)
        .take_while(|e| e[0] & (IN_USE | SECONDARY) == SECONDARY)
        .count();
    let set = entries.get(i..=i + surviving)?;
    let checksum_ok = surviving == secondary_count && set_checksum(set) == u16_at(file, 2);
    let mut decoded = decode_set(set, i, true, checksum_ok)?;
    if !checksum_ok {
        decoded.warnings.push(
            "its entries no longer match their checksum: they were partly overwritten, so its name, size or clusters may be wrong"
                .to_string(),
        );
    }
    Some((decoded, 1 + surviving))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A live entry set for `name` with the given stream fields; checksum filled in.
    fn file_set(name: &str, attributes: u16, first: u32, length: u64) -> Vec<RawEntry> {
        let units: Vec<u16> = name.encode_utf16().collect();
        let names = units.len().div_ceil(15);
        let mut file = [0u8; 32];
        file[0] = FILE;
        file[1] = 1 + names as u8;
        file[4..6].copy_from_slice(&attributes.to_le_bytes());
        let mut stream = [0u8; 32];
        stream[0] = STREAM_EXTENSION;
        stream[1] = ALLOCATION_POSSIBLE | NO_FAT_CHAIN;
        stream[3] = units.len() as u8;
        stream[8..16].copy_from_slice(&length.to_le_bytes());
        stream[20..24].copy_from_slice(&first.to_le_bytes());
        stream[24..32].copy_from_slice(&length.to_le_bytes());
        let mut set = vec![file, stream];
        for chunk in units.chunks(15) {
            let mut e = [0u8; 32];
            e[0] = FILE_NAME;
            for (k, u) in chunk.iter().enumerate() {
                e[2 + 2 * k..4 + 2 * k].copy_from_slice(&u.to_le_bytes());
            }
            set.push(e);
        }
        let sum = set_checksum(&set);
        set[0][2..4].copy_from_slice(&sum.to_le_bytes());
        set
    }

    fn bytes(sets: &[Vec<RawEntry>]) -> Vec<u8> {
        sets.iter().flatten().flatten().copied().collect()
    }

    fn files(parsed: &ParsedDirectory) -> Vec<&FileSet> {
        parsed
            .items
            .iter()
            .filter_map(|i| match i {
                DirItem::File(f) => Some(f),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn live_and_deleted_sets_keep_their_whole_names() {
        let long = "20241012_075700_1 — road camera.mp4";
        let live = file_set(long, 0x20, 10, 5000);
        let mut gone = file_set("clip.mp4", 0x21, 20, 70_000);
        for e in &mut gone {
            e[0] &= !IN_USE;
        }
        let parsed = parse_directory(&bytes(&[live, gone, vec![[0u8; 32]]]), false);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let f = files(&parsed);
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].name(), f[0].deleted), (long.to_string(), false));
        assert_eq!((f[0].first_cluster, f[0].data_length), (10, 5000));
        assert_eq!((f[1].name().as_str(), f[1].deleted), ("clip.mp4", true));
        assert!(f[1].checksum_ok && f[1].read_only() && f[1].no_fat_chain);
    }

    #[test]
    fn a_deleted_set_partly_overwritten_is_flagged() {
        let mut gone = file_set("a-long-name-over-two-entries.mp4", 0x20, 20, 10);
        for e in &mut gone {
            e[0] &= !IN_USE;
        }
        let parsed = parse_directory(&bytes(&[gone.clone()]), false);
        let f = files(&parsed);
        assert!(f[0].deleted && f[0].checksum_ok, "{f:?}");
        // A later, shorter live set took its first three slots: the rest is debris, not a file.
        let mut later = file_set("new.mp4", 0x20, 30, 10);
        later.extend_from_slice(&gone[3..]);
        let parsed = parse_directory(&bytes(&[later]), false);
        let names: Vec<String> = files(&parsed).iter().map(|f| f.name()).collect();
        assert_eq!(names, ["new.mp4"]);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        // Damage inside a deleted set: still listed, but not trusted.
        let mut damaged = gone;
        damaged[1][24] ^= 0xFF;
        let parsed = parse_directory(&bytes(&[damaged]), false);
        let f = files(&parsed);
        assert!(!f[0].checksum_ok && !f[0].warnings.is_empty());
    }

    #[test]
    fn damaged_and_unknown_entries_are_skipped_with_a_reason() {
        let mut bad = file_set("bad.bin", 0x20, 10, 1);
        bad[1][24] ^= 1;
        let mut unknown = [0u8; 32];
        unknown[0] = 0x8F; // critical primary, undefined
        let mut benign = [0u8; 32];
        benign[0] = 0xA1; // TexFAT padding
        let ok = file_set("ok.bin", 0x20, 11, 1);
        let cut = file_set("cut-off.bin", 0x20, 12, 1);
        let mut dir = bytes(&[bad, vec![unknown, benign], ok]);
        dir.extend_from_slice(&bytes(&[cut])[..64]);
        let parsed = parse_directory(&dir, false);
        let names: Vec<String> = files(&parsed).iter().map(|f| f.name()).collect();
        assert_eq!(names, ["ok.bin"]);
        let w = parsed.warnings.join(" | ");
        assert!(
            w.contains("checksum") && w.contains("0x8f") && w.contains("cut off"),
            "{w}"
        );
    }

    #[test]
    fn volume_entries_belong_to_the_root() {
        let mut label = [0u8; 32];
        label[0] = VOLUME_LABEL;
        label[1] = 5;
        for (k, u) in "NEXAR".encode_utf16().enumerate() {
            label[2 + 2 * k..4 + 2 * k].copy_from_slice(&u.to_le_bytes());
        }
        let root = parse_directory(&bytes(&[vec![label]]), true);
        assert_eq!(root.items, [DirItem::VolumeLabel(Some("NEXAR".into()))]);
        let sub = parse_directory(&bytes(&[vec![label]]), false);
        assert!(sub.items.is_empty() && !sub.warnings.is_empty());
    }

    #[test]
    fn names_cannot_fake_a_path() {
        let set = file_set("a/b", 0x20, 0, 0);
        let parsed = parse_directory(&bytes(&[set]), false);
        assert_eq!(files(&parsed)[0].name(), "a\u{FFFD}b");
    }
}
