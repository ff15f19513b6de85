//! Short names as a FAT driver picks them: the long name itself when it already is a valid
//! upper-case 8.3 name, else a basis of its first characters with a `~N` tail unique in the
//! folder (and then long-name entries carry the real name). Also what an entry keeps of a
//! time: 10 ms for a creation time, 2 s for a write time.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Timelike};

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
        if let Some(exact) = exact_short_name(long)
            && self.used.insert(exact)
        {
            return (exact, false);
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
}
