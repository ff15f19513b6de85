//! What deleted entries still tell, and what they cannot.
//!
//! A deleted slot is only a 0xE5 in front of whatever bytes were there: a file's entry, but
//! also a leftover long-name slot, a zero-filled slot, a deleted volume label, or noise. Only
//! slots that look like a real 8.3 entry are listed ([`plausible`]), so garbage never shows up
//! as a deleted recording of 4,294,967,295 bytes.
//!
//! A deleted folder's entries stay in its clusters until they are reused. As forensic tools do
//! (The Sleuth Kit's `fls`), its clusters are taken contiguously from its first cluster while
//! the FAT still marks them free ([`folder_run`]), and only while they still hold that folder:
//! its first slot must be the "." entry pointing back at it ([`still_holds_folder`]).

use super::boot_sector::Geometry;
use super::dir_entry::{ATTR_DIRECTORY, ENTRY_BYTES, ShortEntry};
use super::table::{FatTable, Run};

/// Bytes that can never be in a stored 8.3 name: control characters, DEL, the characters the
/// FAT specification forbids, and lower-case letters (drivers store 8.3 names upper-cased and
/// mark lower case in the NT case flags instead).
fn valid_short_byte(b: u8) -> bool {
    b >= 0x20 && b != 0x7F && !b"\"*+,./:;<=>?[\\]|".contains(&b) && !b.is_ascii_lowercase()
}

/// Whether a deleted short entry is plausibly a file or folder that existed: valid 8.3
/// characters (after the first byte, which deletion overwrote, unless `name_intact`), no
/// reserved attribute bits, a size the volume could hold, and a first cluster in range — or 0
/// for an empty file.
pub fn plausible(entry: &ShortEntry, name_intact: bool, geometry: &Geometry) -> bool {
    let from = if name_intact { 0 } else { 1 };
    let name_ok = entry.name[from..].iter().all(|&b| valid_short_byte(b))
        && (from == 1 || entry.name[0] != b' ');
    let first = entry.first_cluster;
    let cluster_ok = if first == 0 {
        entry.size == 0 && !entry.is_dir()
    } else {
        (2..=geometry.max_cluster()).contains(&first)
    };
    name_ok
        && entry.attributes & 0xC0 == 0
        && entry.size as u64 <= geometry.capacity_bytes()
        && cluster_ok
}

/// Why a deleted folder's entries cannot be read any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderGone {
    /// The FAT gives its first cluster to something else now.
    Reused,
    /// Its first cluster is free but holds something else (written over, then freed again).
    Overwritten,
}

impl FolderGone {
    /// Whole-volume warning for the deleted folder at `path`.
    pub fn describe(self, path: &str) -> String {
        let why = match self {
            FolderGone::Reused => "its first cluster has been reused",
            FolderGone::Overwritten => "its first cluster no longer holds a folder",
        };
        format!("deleted folder {path}: {why}, so the files it listed cannot be found")
    }
}

/// The clusters a deleted folder starting at `first` may still occupy: contiguous, all free,
/// at most `max_bytes` worth. `Err` when its first cluster is in use again.
pub fn folder_run(
    first: u32,
    geometry: &Geometry,
    table: &FatTable,
    max_bytes: u64,
) -> Result<Run, FolderGone> {
    if !table.is_free(first) {
        return Err(FolderGone::Reused);
    }
    let most = (max_bytes / geometry.cluster_bytes as u64).max(1);
    let last = (first as u64 + most - 1).min(geometry.max_cluster() as u64) as u32;
    let end = match first
        .checked_add(1)
        .filter(|&next| next <= last)
        .and_then(|next| first_used_in(table, next, last))
    {
        Some(used) => used - 1,
        None => last,
    };
    Ok(Run {
        start: first,
        len: end - first + 1,
    })
}

/// The first cluster in `start..=end` the FAT does not mark free.
fn first_used_in(table: &FatTable, start: u32, end: u32) -> Option<u32> {
    (start..=end).find(|&c| !table.is_free(c))
}

/// Whether a folder's first cluster, whose bytes begin with `head`, still holds the folder
/// that started at `first`: its first slot is "." pointing back at it. A cluster that starts
/// with a "." entry is a folder's first cluster, so it also ends the previous folder's run.
pub fn still_holds_folder(head: &[u8], first: u32) -> bool {
    dot_entry_cluster(head) == Some(first)
}

/// The cluster a "." entry at the start of `bytes` points at, if `bytes` starts with one.
pub fn dot_entry_cluster(bytes: &[u8]) -> Option<u32> {
    let slot: &[u8; ENTRY_BYTES] = bytes.get(..ENTRY_BYTES)?.try_into().ok()?;
    let e = ShortEntry::decode(slot);
    (e.name == *b".          " && e.attributes & ATTR_DIRECTORY != 0).then_some(e.first_cluster)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry() -> Geometry {
        let mut sector = [0u8; 512];
        sector[0] = 0xEB;
        sector[11..13].copy_from_slice(&512u16.to_le_bytes());
        sector[13] = 1;
        sector[14..16].copy_from_slice(&1u16.to_le_bytes());
        sector[16] = 2;
        sector[17..19].copy_from_slice(&512u16.to_le_bytes());
        sector[19..21].copy_from_slice(&20_000u16.to_le_bytes());
        sector[22..24].copy_from_slice(&80u16.to_le_bytes());
        sector[510] = 0x55;
        sector[511] = 0xAA;
        Geometry::parse(&sector).unwrap()
    }

    fn deleted(name: &[u8; 11], attr: u8, cluster: u32, size: u32) -> ShortEntry {
        let mut e = ShortEntry::new(
            *name,
            attr,
            cluster,
            size,
            Default::default(),
            Default::default(),
        );
        e.name[0] = 0xE5;
        e
    }

    #[test]
    fn only_plausible_deleted_slots_are_entries() {
        let g = geometry();
        assert!(plausible(
            &deleted(b"XCLIP   MP4", 0x20, 10, 5000),
            false,
            &g
        ));
        assert!(plausible(&deleted(b"XEMPTY  TXT", 0x20, 0, 0), false, &g));
        assert!(plausible(&deleted(b"XDIR       ", 0x10, 10, 0), false, &g));
        // A zero-filled slot, a lower-case leftover, a forbidden character.
        assert!(!plausible(&deleted(&[0; 11], 0, 0, 0), false, &g));
        assert!(!plausible(&deleted(b"Xabel1     ", 0, 0, 0), false, &g));
        assert!(!plausible(&deleted(b"XA*B    TXT", 0x20, 10, 1), false, &g));
        // A size beyond the volume, a cluster out of range, data without a cluster.
        assert!(!plausible(
            &deleted(b"XBIG    BIN", 0x20, 10, u32::MAX),
            false,
            &g
        ));
        assert!(!plausible(
            &deleted(b"XFAR    BIN", 0x20, 1_000_000, 1),
            false,
            &g
        ));
        assert!(!plausible(&deleted(b"XLOST   BIN", 0x20, 0, 1), false, &g));
        assert!(!plausible(&deleted(b"XDIR       ", 0x10, 0, 0), false, &g));
        // Reserved attribute bits.
        assert!(!plausible(&deleted(b"XODD    BIN", 0xE0, 10, 1), false, &g));
        // With its name intact, the first byte is checked too.
        let mut intact = deleted(b"XCLIP   MP4", 0x20, 10, 1);
        intact.name[0] = b'C';
        assert!(plausible(&intact, true, &g));
        intact.name[0] = 0x01;
        assert!(!plausible(&intact, true, &g));
    }

    #[test]
    fn a_dot_entry_names_the_folder_it_opens() {
        let dot = ShortEntry::new(
            *b".          ",
            ATTR_DIRECTORY,
            77,
            0,
            Default::default(),
            Default::default(),
        )
        .encode();
        assert!(still_holds_folder(&dot, 77));
        assert!(!still_holds_folder(&dot, 78));
        assert!(!still_holds_folder(&[0u8; 32], 0));
        assert!(!still_holds_folder(&dot[..10], 77));
    }
}
