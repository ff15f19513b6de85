//! Raw directory entries, as they lie on disk: what `fatfs` hides (first clusters, deleted
//! entries and their long names).
//!
//! A deleted entry has its first byte overwritten with 0xE5, in the short entry and in each of
//! its long-name entries. The long-name entries still carry the checksum of the original short
//! name, so the lost first character can be found again by trying the 256 possible bytes — the
//! long name is trusted only when exactly that checksum matches.

use chrono::NaiveDateTime;

use super::dos_time;

const ATTR_VOLUME_ID: u8 = 0x08;
const ATTR_DIRECTORY: u8 = 0x10;
const ATTR_LONG_NAME: u8 = 0x0F;
const DELETED: u8 = 0xE5;

/// One short (8.3) directory entry, with its long name when one precedes it.
#[derive(Clone, Debug, PartialEq)]
pub struct RawEntry {
    /// The 8.3 name as `fatfs` formats it ("NAME.EXT", 0x05 read as 0xE5); for a deleted entry
    /// the first byte is the recovered one, or b'_' when it could not be recovered.
    pub short_key: Vec<u8>,
    /// The long name, if its entries survive and their checksum matches.
    pub long_name: Option<String>,
    /// Attribute byte.
    pub attributes: u8,
    /// First cluster (high and low words).
    pub first_cluster: u32,
    /// Size in bytes (0 for directories).
    pub size: u32,
    /// Creation time.
    pub created: Option<NaiveDateTime>,
    /// Last write time.
    pub modified: Option<NaiveDateTime>,
    /// True when the entry is deleted (0xE5).
    pub deleted: bool,
    /// True when the 8.3 name asks for a lowercase base name (Windows NT flag).
    lower_base: bool,
    /// True when the 8.3 name asks for a lowercase extension.
    lower_ext: bool,
}

impl RawEntry {
    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        self.attributes & ATTR_DIRECTORY != 0
    }

    /// The name to show: the long name, else the 8.3 name with its case flags applied.
    pub fn display_name(&self) -> String {
        if let Some(long) = &self.long_name {
            return long.clone();
        }
        let text: String = self
            .short_key
            .iter()
            .map(|&b| if b.is_ascii() { b as char } else { '\u{FFFD}' })
            .collect();
        match text.split_once('.') {
            Some((base, ext)) => format!(
                "{}.{}",
                if self.lower_base {
                    base.to_ascii_lowercase()
                } else {
                    base.to_string()
                },
                if self.lower_ext {
                    ext.to_ascii_lowercase()
                } else {
                    ext.to_string()
                }
            ),
            None if self.lower_base => text.to_ascii_lowercase(),
            None => text,
        }
    }
}

/// The short-name checksum long-name entries carry.
fn checksum(name: &[u8; 11]) -> u8 {
    name.iter().fold(0u8, |sum, &b| {
        ((sum & 1) << 7).wrapping_add(sum >> 1).wrapping_add(b)
    })
}

/// Formats an 11-byte 8.3 name as "NAME.EXT".
fn short_key(raw: &[u8; 11]) -> Vec<u8> {
    let base_len = raw[..8]
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(0, |p| p + 1);
    let ext_len = raw[8..]
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(0, |p| p + 1);
    let mut key = raw[..base_len].to_vec();
    if ext_len > 0 {
        key.push(b'.');
        key.extend_from_slice(&raw[8..8 + ext_len]);
    }
    if key.first() == Some(&0x05) {
        key[0] = 0xE5;
    }
    key
}

/// A long-name entry's 13 UTF-16 units.
fn lfn_units(e: &[u8]) -> [u16; 13] {
    let mut out = [0u16; 13];
    let offsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
    for (slot, &at) in out.iter_mut().zip(offsets.iter()) {
        *slot = u16::from_le_bytes([e[at], e[at + 1]]);
    }
    out
}

/// Assembles a long name from its entries in disk order (last part first).
fn assemble(parts: &[[u16; 13]]) -> Option<String> {
    let mut units = Vec::with_capacity(parts.len() * 13);
    for part in parts.iter().rev() {
        units.extend_from_slice(part);
    }
    if let Some(end) = units.iter().position(|&u| u == 0) {
        units.truncate(end);
    }
    while units.last() == Some(&0xFFFF) {
        units.pop();
    }
    let name = String::from_utf16_lossy(&units);
    (!name.is_empty()).then_some(name)
}

/// Long-name entries seen since the last short entry.
#[derive(Default)]
struct PendingLfn {
    parts: Vec<[u16; 13]>,
    checksum: u8,
    deleted: bool,
    /// For a live chain: the order number the next part must carry (0 once complete).
    next_order: u8,
    broken: bool,
}

impl PendingLfn {
    /// Adds one long-name entry `e`, starting over when it cannot continue the chain.
    fn push(&mut self, e: &[u8]) {
        let deleted = e[0] == DELETED;
        let order = e[0] & 0x1F;
        let continues = !self.parts.is_empty()
            && self.checksum == e[13]
            && self.deleted == deleted
            && (deleted || (e[0] & 0x40 == 0 && order == self.next_order));
        if !continues {
            *self = PendingLfn {
                checksum: e[13],
                deleted,
                broken: !deleted && (e[0] & 0x40 == 0 || order == 0),
                ..PendingLfn::default()
            };
        }
        self.next_order = order.saturating_sub(1);
        self.parts.push(lfn_units(e));
    }

    /// Whether the chain is whole and may name the short entry that follows.
    fn usable(&self, deleted: bool) -> bool {
        !self.parts.is_empty()
            && !self.broken
            && self.deleted == deleted
            && (deleted || self.next_order == 0)
    }
}

/// Parses a directory's bytes into its entries, stopping at the end marker (0x00).
/// "." and "..", volume labels and orphaned long-name entries are skipped. Also returns the
/// volume label entry's text, if the directory has one (the root does).
pub fn parse_directory(bytes: &[u8]) -> (Vec<RawEntry>, Option<String>) {
    let mut entries = Vec::new();
    let mut label = None;
    let mut lfn = PendingLfn::default();
    for e in bytes.chunks_exact(32) {
        let first = e[0];
        if first == 0x00 {
            break;
        }
        let attributes = e[11];
        if attributes & 0x3F == ATTR_LONG_NAME {
            lfn.push(e);
            continue;
        }
        let pending = std::mem::take(&mut lfn);
        if attributes & ATTR_VOLUME_ID != 0 {
            if first != DELETED {
                let mut raw = [0u8; 11];
                raw.copy_from_slice(&e[..11]);
                label = super::boot_sector::clean_label(&raw);
            }
            continue;
        }
        if first == b'.' {
            continue;
        }
        let mut raw = [0u8; 11];
        raw.copy_from_slice(&e[..11]);
        let deleted = first == DELETED;
        let mut long_name = None;
        if pending.usable(deleted) {
            let want = Some(pending.checksum);
            if deleted {
                // Find the lost first byte: the one that makes the checksum match.
                let found = (0u8..=255).find(|&b| {
                    let mut trial = raw;
                    trial[0] = b;
                    b != DELETED && b != 0 && Some(checksum(&trial)) == want
                });
                if let Some(b) = found {
                    raw[0] = b;
                    long_name = assemble(&pending.parts);
                }
            } else if Some(checksum(&raw)) == want {
                long_name = assemble(&pending.parts);
            }
        }
        let mut key = short_key(&raw);
        if deleted && raw[0] == DELETED {
            if let Some(k) = key.first_mut() {
                *k = b'_';
            }
        }
        let hi = u16::from_le_bytes([e[20], e[21]]) as u32;
        let lo = u16::from_le_bytes([e[26], e[27]]) as u32;
        entries.push(RawEntry {
            short_key: key,
            long_name,
            attributes,
            first_cluster: (hi << 16) | lo,
            size: u32::from_le_bytes([e[28], e[29], e[30], e[31]]),
            created: dos_time::decode(
                u16::from_le_bytes([e[16], e[17]]),
                u16::from_le_bytes([e[14], e[15]]),
                e[13],
            ),
            modified: dos_time::decode(
                u16::from_le_bytes([e[24], e[25]]),
                u16::from_le_bytes([e[22], e[23]]),
                0,
            ),
            deleted,
            lower_base: e[12] & 0x08 != 0,
            lower_ext: e[12] & 0x10 != 0,
        });
    }
    (entries, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(name: &[u8; 11], attr: u8, cluster: u32, size: u32) -> [u8; 32] {
        let mut e = [0u8; 32];
        e[..11].copy_from_slice(name);
        e[11] = attr;
        e[20..22].copy_from_slice(&((cluster >> 16) as u16).to_le_bytes());
        e[26..28].copy_from_slice(&(cluster as u16).to_le_bytes());
        e[28..32].copy_from_slice(&size.to_le_bytes());
        e
    }

    fn lfn(order: u8, sum: u8, text: &str) -> [u8; 32] {
        let mut units: Vec<u16> = text.encode_utf16().collect();
        units.resize(13, 0xFFFF);
        let mut e = [0u8; 32];
        e[0] = order;
        e[11] = ATTR_LONG_NAME;
        e[13] = sum;
        let offsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
        for (u, at) in units.iter().zip(offsets) {
            e[at..at + 2].copy_from_slice(&u.to_le_bytes());
        }
        e
    }

    #[test]
    fn long_names_live_and_deleted() {
        let name = *b"VIDEO~1 MP4";
        let sum = checksum(&name);
        let mut dir = Vec::new();
        dir.extend_from_slice(&lfn(0x41, sum, "video-one.mp4\0"));
        dir.extend_from_slice(&short(&name, 0x20, 5, 1000));
        let mut gone = *b"CLIP~1  MP4";
        let gone_sum = checksum(&gone);
        let mut l = lfn(0x41, gone_sum, "clip.mp4\0");
        l[0] = DELETED;
        dir.extend_from_slice(&l);
        gone[0] = DELETED;
        dir.extend_from_slice(&short(&gone, 0x20, 9, 10));
        dir.extend_from_slice(&short(b"NOLFN   TXT", 0x20, 0, 0));
        let mut lost = *b"OLD     TXT";
        lost[0] = DELETED;
        dir.extend_from_slice(&short(&lost, 0x20, 12, 5));
        dir.extend_from_slice(&[0u8; 32]);
        dir.extend_from_slice(&short(b"AFTERENDTXT", 0x20, 0, 0));

        let (entries, _) = parse_directory(&dir);
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].display_name(), "video-one.mp4");
        assert_eq!(entries[0].short_key, b"VIDEO~1.MP4");
        assert_eq!(entries[0].first_cluster, 5);
        assert!(entries[1].deleted);
        assert_eq!(entries[1].display_name(), "clip.mp4");
        assert_eq!(entries[1].short_key, b"CLIP~1.MP4");
        assert_eq!(entries[2].display_name(), "NOLFN.TXT");
        assert!(entries[3].deleted);
        assert_eq!(entries[3].display_name(), "_LD.TXT");
    }

    #[test]
    fn a_long_name_whose_checksum_does_not_match_is_ignored() {
        let mut dir = Vec::new();
        dir.extend_from_slice(&lfn(0x41, 0x12, "stale-name.mp4\0"));
        dir.extend_from_slice(&short(b"REAL    MP4", 0x20, 3, 1));
        let (entries, _) = parse_directory(&dir);
        assert_eq!(entries[0].display_name(), "REAL.MP4");
    }
}
