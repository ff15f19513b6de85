//! Directory entries as a FAT driver writes them: 8.3 short names with `~N` tails, long-name
//! (VFAT) entries, DOS timestamps.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDateTime, Timelike};

/// Attribute byte of a directory.
pub const ATTR_DIRECTORY: u8 = 0x10;
/// Attribute byte of a file.
pub const ATTR_ARCHIVE: u8 = 0x20;
/// Attribute byte of the volume label entry.
pub const ATTR_VOLUME_ID: u8 = 0x08;
const ATTR_LONG_NAME: u8 = 0x0F;

/// Short names already used in one directory, and the next `~N` tail for each basis.
#[derive(Default)]
pub struct ShortNames {
    used: HashSet<[u8; 11]>,
    next_tail: HashMap<([u8; 6], [u8; 3]), u32>,
}

fn short_char(c: char) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    (c.is_ascii_alphanumeric() || "$%'-_@~`!(){}^#&".contains(c)).then_some(c as u8)
}

/// The name itself when it already is a valid upper-case 8.3 name (no long entries needed).
fn exact_short_name(name: &str) -> Option<[u8; 11]> {
    if name == "." || name == ".." || name != name.to_ascii_uppercase() {
        return None;
    }
    let (base, ext) = name.split_once('.').unwrap_or((name, ""));
    if base.is_empty() || base.len() > 8 || ext.len() > 3 || ext.contains('.') {
        return None;
    }
    let mut out = [b' '; 11];
    for (i, c) in base.chars().enumerate() {
        out[i] = short_char(c)?;
    }
    for (i, c) in ext.chars().enumerate() {
        out[8 + i] = short_char(c)?;
    }
    Some(out)
}

impl ShortNames {
    /// Picks the short name for `long`; `true` when long-name entries must precede it.
    pub fn assign(&mut self, long: &str) -> ([u8; 11], bool) {
        if let Some(exact) = exact_short_name(long) {
            if self.used.insert(exact) {
                return (exact, false);
            }
        }
        let (stem, ext) = match long.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s, e),
            _ => (long, ""),
        };
        let clean = |s: &str, n: usize| -> Vec<u8> {
            s.chars()
                .filter(|&c| c != ' ' && c != '.')
                .map(|c| short_char(c).unwrap_or(b'_'))
                .take(n)
                .collect()
        };
        let mut basis = [b'_'; 6];
        let stem_chars = clean(stem, 6);
        let basis_len = stem_chars.len().max(1);
        basis[..stem_chars.len()].copy_from_slice(&stem_chars);
        let mut ext3 = [b' '; 3];
        let ext_chars = clean(ext, 3);
        ext3[..ext_chars.len()].copy_from_slice(&ext_chars);
        let counter = self.next_tail.entry((basis, ext3)).or_insert(1);
        loop {
            let tail = format!("~{counter}");
            *counter += 1;
            let keep = basis_len.min(8 - tail.len());
            let mut name = [b' '; 11];
            name[..keep].copy_from_slice(&basis[..keep]);
            name[keep..keep + tail.len()].copy_from_slice(tail.as_bytes());
            name[8..].copy_from_slice(&ext3);
            if self.used.insert(name) {
                return (name, true);
            }
        }
    }
}

/// The checksum of a short name that each of its long-name entries carries.
pub fn checksum(short: &[u8; 11]) -> u8 {
    short.iter().fold(0u8, |sum, &b| {
        (sum >> 1).wrapping_add(sum << 7).wrapping_add(b)
    })
}

/// The long-name entries for `long`, in on-disk order (last part first).
pub fn long_name_entries(long: &str, short: &[u8; 11]) -> Vec<[u8; 32]> {
    let mut units: Vec<u16> = long.encode_utf16().collect();
    if units.len() % 13 != 0 {
        units.push(0);
        while units.len() % 13 != 0 {
            units.push(0xFFFF);
        }
    }
    let parts = units.len() / 13;
    let sum = checksum(short);
    let mut entries = Vec::with_capacity(parts);
    for part in (0..parts).rev() {
        let mut e = [0u8; 32];
        e[0] = (part as u8 + 1) | if part + 1 == parts { 0x40 } else { 0 };
        e[11] = ATTR_LONG_NAME;
        e[13] = sum;
        let chunk = &units[part * 13..part * 13 + 13];
        let at = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];
        for (u, &pos) in chunk.iter().zip(at.iter()) {
            e[pos..pos + 2].copy_from_slice(&u.to_le_bytes());
        }
        entries.push(e);
    }
    entries
}

/// DOS (date, time, 10 ms units) for a camera-local timestamp; clamped to 1980..=2107.
pub fn dos_time(t: NaiveDateTime) -> (u16, u16, u8) {
    let year = t.year().clamp(1980, 2107) as u16;
    let date = ((year - 1980) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    let tenths = ((t.second() % 2) * 100 + t.nanosecond() / 10_000_000).min(199) as u8;
    (date, time, tenths)
}

/// A short (8.3) directory entry.
pub fn short_entry(
    short: &[u8; 11],
    attr: u8,
    first_cluster: u32,
    bytes: u32,
    created: NaiveDateTime,
    modified: NaiveDateTime,
) -> [u8; 32] {
    let mut e = [0u8; 32];
    e[..11].copy_from_slice(short);
    e[11] = attr;
    let (cdate, ctime, ctenths) = dos_time(created);
    let (mdate, mtime, _) = dos_time(modified);
    e[13] = ctenths;
    e[14..16].copy_from_slice(&ctime.to_le_bytes());
    e[16..18].copy_from_slice(&cdate.to_le_bytes());
    e[18..20].copy_from_slice(&mdate.to_le_bytes());
    e[20..22].copy_from_slice(&((first_cluster >> 16) as u16).to_le_bytes());
    e[22..24].copy_from_slice(&mtime.to_le_bytes());
    e[24..26].copy_from_slice(&mdate.to_le_bytes());
    e[26..28].copy_from_slice(&(first_cluster as u16).to_le_bytes());
    e[28..32].copy_from_slice(&bytes.to_le_bytes());
    e
}

/// `t` as a short entry's created field keeps it (10 ms resolution).
pub fn round_created(t: NaiveDateTime) -> NaiveDateTime {
    let ns = t.nanosecond() / 10_000_000 * 10_000_000;
    t.with_nanosecond(ns).unwrap_or(t)
}

/// `t` as a short entry's modified field keeps it (2 s resolution).
pub fn round_modified(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(0)
        .and_then(|t| t.with_second(t.second() / 2 * 2))
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_case_8_3_names_need_no_long_entries() {
        let mut n = ShortNames::default();
        assert_eq!(n.assign("NEXAR"), (*b"NEXAR      ", false));
        assert_eq!(n.assign("LOG.TXT"), (*b"LOG     TXT", false));
    }

    #[test]
    fn long_names_get_numbered_tails() {
        let mut n = ShortNames::default();
        assert_eq!(n.assign("20241012_075700_1.mp4"), (*b"202410~1MP4", true));
        assert_eq!(n.assign("20241012_075700_2.mp4"), (*b"202410~2MP4", true));
        for _ in 3..10 {
            n.assign("20241012_0757xx.mp4");
        }
        assert_eq!(n.assign("20241012_080000_1.mp4"), (*b"20241~10MP4", true));
        assert_eq!(n.assign("sos"), (*b"SOS~1      ", true));
    }

    #[test]
    fn long_entries_carry_the_checksum_and_order() {
        let short = *b"202410~1MP4";
        let e = long_name_entries("20241012_075700_1.mp4", &short);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0][0], 0x42);
        assert_eq!(e[1][0], 0x01);
        assert!(e.iter().all(|x| x[13] == checksum(&short) && x[11] == 0x0F));
    }
}
