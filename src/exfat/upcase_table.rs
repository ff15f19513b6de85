//! The up-case table: how this volume folds case, for comparing names.
//!
//! exFAT names are case-insensitive but case-preserving, and the folding is whatever the table
//! on the volume says (it is written once, at format time), not what today's Unicode says. The
//! stream extension's NameHash is computed over the up-cased name, and two names in one folder
//! must differ after up-casing; both checks use this table.
//!
//! On disk the table is an array of UTF-16 mappings, usually compressed: FFFFh followed by a
//! count stands for that many identity mappings. Its checksum is verified before use; a missing
//! or damaged table falls back to the 128 mandatory ASCII mappings, as the specification allows
//! for implementations that only know that range.

/// Number of UTF-16 code units a table can map.
const UNITS: usize = 0x1_0000;
/// Largest valid table: every unit mapped, uncompressed.
pub const MAX_TABLE_BYTES: u64 = UNITS as u64 * 2;

/// A case-folding table for UTF-16 code units.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpcaseTable {
    /// `map[u]` is the upper case of `u`; shorter than 65,536 means identity beyond.
    map: Vec<u16>,
}

/// The table checksum the up-case table entry records (same rotation as the boot checksum).
pub fn table_checksum(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0u32, |sum, &b| sum.rotate_right(1).wrapping_add(b as u32))
}

impl UpcaseTable {
    /// The mandatory mappings only: ASCII a–z to A–Z, everything else unchanged.
    pub fn ascii() -> Self {
        Self {
            map: (0..128u16)
                .map(|u| (u as u8).to_ascii_uppercase() as u16)
                .collect(),
        }
    }

    /// Parses an on-disk table (compressed or not) whose recorded checksum is `checksum`.
    pub fn parse(bytes: &[u8], checksum: u32) -> Result<Self, String> {
        if bytes.len() as u64 > MAX_TABLE_BYTES || !bytes.len().is_multiple_of(2) {
            return Err(format!("its length, {} bytes, is impossible", bytes.len()));
        }
        let actual = table_checksum(bytes);
        if actual != checksum {
            return Err(format!(
                "its checksum is {actual:#010x} but its directory entry records {checksum:#010x}"
            ));
        }
        let mut map: Vec<u16> = Vec::with_capacity(UNITS);
        let mut values = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        while let Some(value) = values.next() {
            if map.len() >= UNITS {
                break;
            }
            match (value, values.clone().next()) {
                // FFFFh then a count: that many identity mappings.
                (0xFFFF, Some(count)) => {
                    values.next();
                    let end = (map.len() + count as usize).min(UNITS);
                    map.extend((map.len()..end).map(|u| u as u16));
                }
                _ => map.push(value),
            }
        }
        let table = Self { map };
        let bad = (0..128u16).find(|&u| table.upcase(u) != (u as u8).to_ascii_uppercase() as u16);
        if let Some(u) = bad {
            return Err(format!(
                "it maps character {u:#06x} differently from the mandatory ASCII mappings"
            ));
        }
        Ok(table)
    }

    /// The upper case of one UTF-16 code unit.
    pub fn upcase(&self, unit: u16) -> u16 {
        self.map.get(unit as usize).copied().unwrap_or(unit)
    }

    /// A name up-cased unit by unit.
    pub fn upcase_name(&self, name: &[u16]) -> Vec<u16> {
        name.iter().map(|&u| self.upcase(u)).collect()
    }

    /// The NameHash of a name: a 16-bit rotation sum over its up-cased UTF-16 bytes.
    pub fn name_hash(&self, name: &[u16]) -> u16 {
        name.iter()
            .flat_map(|&u| self.upcase(u).to_le_bytes())
            .fold(0u16, |hash, b| hash.rotate_right(1).wrapping_add(b as u16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_bytes(units: &[u16]) -> Vec<u8> {
        units.iter().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn the_specification_example_decompresses() {
        // 97 identity mappings, then a, b, c → A, B, C; then identity to 'z' and beyond.
        let mut units = vec![0xFFFF, 0x61, 0x41, 0x42, 0x43];
        units.extend((0x44..=0x5A).collect::<Vec<u16>>());
        units.extend([0xFFFF, 0x100, 0x0100]);
        let bytes = to_bytes(&units);
        let table = UpcaseTable::parse(&bytes, table_checksum(&bytes)).unwrap();
        assert_eq!(table.upcase(b'a' as u16), b'A' as u16);
        assert_eq!(table.upcase(b'z' as u16), b'Z' as u16);
        assert_eq!(table.upcase(0x7B), 0x7B);
        assert_eq!(table.upcase(0x17A), 0x17A);
        assert_eq!(table.upcase(0x17B), 0x0100);
        assert_eq!(table.upcase(0xE9), 0xE9);
    }

    #[test]
    fn a_wrong_checksum_or_a_broken_ascii_range_is_refused() {
        let bytes = to_bytes(&[0xFFFF, 0x80]);
        assert!(
            UpcaseTable::parse(&bytes, 0)
                .unwrap_err()
                .contains("checksum")
        );
        // Identity for 'a'..'z' breaks the mandatory range.
        let err = UpcaseTable::parse(&bytes, table_checksum(&bytes)).unwrap_err();
        assert!(err.contains("0x0061"), "{err}");
    }

    #[test]
    fn names_compare_and_hash_after_up_casing() {
        let t = UpcaseTable::ascii();
        let a: Vec<u16> = "Clip.mp4".encode_utf16().collect();
        let b: Vec<u16> = "CLIP.MP4".encode_utf16().collect();
        assert_eq!(t.upcase_name(&a), b);
        assert_eq!(t.name_hash(&a), t.name_hash(&b));
        assert_ne!(t.upcase_name(&a), b[..7]);
    }
}
