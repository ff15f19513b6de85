//! A directory's entries as they lie on disk, in order, with what `fatfs` hides: first
//! clusters, deleted entries and their long names, and each entry's position.
//!
//! A deleted entry has its first byte overwritten with 0xE5, in the short entry and in each of
//! its long-name entries. The long-name entries still carry the checksum of the original short
//! name, so the lost first character can be found again by trying the 256 possible bytes — the
//! long name is trusted only when exactly that checksum matches.

use super::dir_entry::{
    DELETED, ENTRY_BYTES, LFN_UNITS, LongNameEntry, ShortEntry, Slot, assemble_long_name, checksum,
    short_key,
};

/// One short (8.3) directory entry, with its long name when one precedes it.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEntry {
    /// The entry as stored (for a deleted entry, with the recovered first byte when found).
    pub entry: ShortEntry,
    /// The 8.3 name as `fatfs` formats it ("NAME.EXT", 0x05 read as 0xE5); for a deleted entry
    /// the first byte is the recovered one, or b'_' when it could not be recovered.
    pub short_key: Vec<u8>,
    /// The long name, if its entries survive and their checksum matches.
    pub long_name: Option<String>,
    /// True when the entry is deleted (0xE5).
    pub deleted: bool,
    /// Index of its 32-byte slot in the directory.
    pub slot: usize,
    /// For a live entry: its place among the entries `fatfs` lists for this directory (every
    /// live short entry but the volume label, "." and ".." included), the key that pairs the
    /// two readings. `None` for deleted entries, which `fatfs` skips.
    pub fatfs_position: Option<usize>,
}

impl RawEntry {
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.entry.is_dir()
    }

    /// The name to show, as a path component: the long name, else the 8.3 name with its case
    /// flags applied; never empty, "." or ".." (see [`super::names::path_component`]).
    pub fn display_name(&self) -> String {
        super::names::path_component(match &self.long_name {
            Some(long) => long.clone(),
            None => self.entry.display_name(&self.short_key),
        })
    }
}

/// A directory read from its bytes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawDirectory {
    /// Files and folders, live and deleted, in disk order ("." and ".." left out).
    pub entries: Vec<RawEntry>,
    /// The volume label entry's text, if the directory has one (the root does).
    pub label: Option<String>,
}

/// Long-name entries seen since the last short entry.
#[derive(Default)]
struct PendingLongName {
    parts: Vec<[u16; LFN_UNITS]>,
    checksum: u8,
    deleted: bool,
    /// For a live chain: the sequence number the next part must carry (0 once complete).
    next_sequence: u8,
    broken: bool,
}

impl PendingLongName {
    /// Adds one long-name entry, starting over when it cannot continue the chain.
    fn push(&mut self, e: &LongNameEntry) {
        let deleted = e.is_deleted();
        let sequence = e.sequence();
        let continues = !self.parts.is_empty()
            && self.checksum == e.checksum
            && self.deleted == deleted
            && (deleted || (!e.is_last() && sequence == self.next_sequence));
        if !continues {
            *self = PendingLongName {
                checksum: e.checksum,
                deleted,
                broken: !deleted && (!e.is_last() || sequence == 0),
                ..PendingLongName::default()
            };
        }
        self.next_sequence = sequence.saturating_sub(1);
        self.parts.push(e.units);
    }

    /// Whether the chain is whole and may name the short entry that follows.
    fn usable(&self, deleted: bool) -> bool {
        !self.parts.is_empty()
            && !self.broken
            && self.deleted == deleted
            && (deleted || self.next_sequence == 0)
    }

    /// The long name for `entry`, recovering a deleted entry's lost first byte from the
    /// checksum (written into `entry.name`).
    fn name_for(&self, entry: &mut ShortEntry) -> Option<String> {
        let deleted = entry.is_deleted();
        if !self.usable(deleted) {
            return None;
        }
        if deleted {
            // Find the lost first byte: the one that makes the checksum match.
            let found = (0u8..=255).find(|&b| {
                let mut trial = entry.name;
                trial[0] = b;
                b != DELETED && b != 0 && checksum(&trial) == self.checksum
            })?;
            entry.name[0] = found;
        } else if entry.checksum() != self.checksum {
            return None;
        }
        assemble_long_name(&self.parts)
    }
}

/// Parses a directory's bytes into its entries, stopping at the end marker (0x00). Volume
/// labels and orphaned long-name entries are not entries; "." and ".." are counted (for
/// [`RawEntry::fatfs_position`]) but not listed.
pub fn parse_directory(bytes: &[u8]) -> RawDirectory {
    let mut out = RawDirectory::default();
    let mut pending = PendingLongName::default();
    let mut fatfs_seen = 0usize;
    for (slot, raw) in bytes.chunks_exact(ENTRY_BYTES).enumerate() {
        let mut e = [0u8; ENTRY_BYTES];
        e.copy_from_slice(raw);
        let mut entry = match Slot::decode(&e) {
            Slot::End => break,
            Slot::LongName(part) => {
                pending.push(&part);
                continue;
            }
            Slot::Short(entry) => entry,
        };
        let long = std::mem::take(&mut pending);
        let deleted = entry.is_deleted();
        if entry.is_volume_label() {
            if !deleted {
                out.label = super::boot_sector::label_text(&entry.name);
            }
            continue;
        }
        let fatfs_position = (!deleted).then(|| {
            fatfs_seen += 1;
            fatfs_seen - 1
        });
        if entry.is_dot() {
            continue;
        }
        let long_name = long.name_for(&mut entry);
        let mut key = short_key(&entry.name);
        if deleted
            && entry.name[0] == DELETED
            && let Some(k) = key.first_mut()
        {
            *k = b'_';
        }
        out.entries.push(RawEntry {
            entry,
            short_key: key,
            long_name,
            deleted,
            slot,
            fatfs_position,
        });
    }
    out
}

/// Whether a subfolder's bytes start as every FAT driver writes a folder: "." then "..".
/// (Where they do not, the folder is damaged, though its other entries may still be read.)
pub fn starts_with_dot_entries(bytes: &[u8]) -> bool {
    let name = |slot: usize| bytes.get(slot * ENTRY_BYTES..slot * ENTRY_BYTES + 11);
    name(0) == Some(b".          ") && name(1) == Some(b"..         ")
}

#[cfg(test)]
mod tests {
    use super::super::dir_entry::{ATTR_ARCHIVE, ATTR_DIRECTORY, long_name_entries};
    use super::*;

    fn short(name: &[u8; 11], attr: u8, cluster: u32, size: u32) -> [u8; 32] {
        let when = chrono::NaiveDateTime::default();
        ShortEntry::new(*name, attr, cluster, size, when, when).encode()
    }

    #[test]
    fn long_names_live_and_deleted() {
        let name = *b"VIDEO~1 MP4";
        let mut dir = Vec::new();
        dir.extend_from_slice(&short(b".          ", ATTR_DIRECTORY, 3, 0));
        dir.extend(long_name_entries("video-one.mp4", &name).concat());
        dir.extend_from_slice(&short(&name, ATTR_ARCHIVE, 5, 1000));
        let mut gone = *b"CLIP~1  MP4";
        let mut l = long_name_entries("clip.mp4", &gone).concat();
        l[0] = DELETED;
        dir.extend(l);
        gone[0] = DELETED;
        dir.extend_from_slice(&short(&gone, ATTR_ARCHIVE, 9, 10));
        dir.extend_from_slice(&short(b"NOLFN   TXT", ATTR_ARCHIVE, 0, 0));
        let mut lost = *b"OLD     TXT";
        lost[0] = DELETED;
        dir.extend_from_slice(&short(&lost, ATTR_ARCHIVE, 12, 5));
        dir.extend_from_slice(&[0u8; 32]);
        dir.extend_from_slice(&short(b"AFTERENDTXT", ATTR_ARCHIVE, 0, 0));

        let entries = parse_directory(&dir).entries;
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].display_name(), "video-one.mp4");
        assert_eq!(entries[0].short_key, b"VIDEO~1.MP4");
        assert_eq!(entries[0].entry.first_cluster, 5);
        assert_eq!((entries[0].slot, entries[0].fatfs_position), (2, Some(1)));
        assert!(entries[1].deleted);
        assert_eq!(entries[1].display_name(), "clip.mp4");
        assert_eq!(entries[1].short_key, b"CLIP~1.MP4");
        assert_eq!(entries[1].fatfs_position, None);
        assert_eq!(entries[2].display_name(), "NOLFN.TXT");
        assert_eq!(entries[2].fatfs_position, Some(2));
        assert!(entries[3].deleted);
        assert_eq!(entries[3].display_name(), "_LD.TXT");
    }

    #[test]
    fn a_long_name_whose_checksum_does_not_match_is_ignored() {
        let mut dir = long_name_entries("stale-name.mp4", b"OTHER   MP4").concat();
        dir.extend_from_slice(&short(b"REAL    MP4", ATTR_ARCHIVE, 3, 1));
        assert_eq!(parse_directory(&dir).entries[0].display_name(), "REAL.MP4");
    }
}
