//! The up-case table a formatted volume carries, and name hashing with it.
//!
//! The table maps every UTF-16 code unit to its upper case. It is generated here from Rust's
//! Unicode data (single-character upper cases inside the Basic Multilingual Plane), so its
//! mandatory ASCII range is exact, and stored compressed: FFFFh followed by a count stands for
//! that many identity mappings. A volume adopted from another formatter keeps its own table.

/// Code units the table maps.
const UNITS: usize = 0x1_0000;

/// A case-folding table.
#[derive(Clone, Debug)]
pub struct Upcase {
    map: Vec<u16>,
}

/// The rotating 32-bit checksum exFAT uses for the boot region and the up-case table.
pub fn checksum32(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0u32, |sum, &b| sum.rotate_right(1).wrapping_add(b as u32))
}

impl Upcase {
    /// The table generated from Unicode's case mappings.
    pub fn generated() -> Self {
        let map = (0..UNITS as u32)
            .map(|u| {
                let Some(c) = char::from_u32(u) else {
                    return u as u16;
                };
                let mut upper = c.to_uppercase();
                match (upper.next(), upper.next()) {
                    (Some(up), None) if (up as u32) < UNITS as u32 => up as u16,
                    _ => u as u16,
                }
            })
            .collect();
        Self { map }
    }

    /// Reads an on-disk table, compressed or not (entries it does not cover map to themselves).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut map: Vec<u16> = Vec::with_capacity(UNITS);
        let mut values = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .peekable();
        while let Some(value) = values.next() {
            if map.len() >= UNITS {
                break;
            }
            match (value, values.peek().copied()) {
                (0xFFFF, Some(count)) => {
                    values.next();
                    let end = (map.len() + count as usize).min(UNITS);
                    map.extend((map.len()..end).map(|u| u as u16));
                }
                _ => map.push(value),
            }
        }
        let len = map.len();
        map.extend((len..UNITS).map(|u| u as u16));
        Self { map }
    }

    /// The table in compressed on-disk form: identity runs as FFFFh, count.
    pub fn compressed(&self) -> Vec<u8> {
        let mut out: Vec<u16> = Vec::new();
        let mut u = 0usize;
        while u < UNITS {
            let run = self.map[u..]
                .iter()
                .enumerate()
                .take_while(|&(k, &m)| m as usize == u + k)
                .count();
            // A run is worth a marker when it is longer than the marker, and must use one when
            // it reaches FFFFh (a literal FFFFh would read as a marker).
            if run > 2 || (run > 0 && u + run == UNITS) {
                let run = run.min(0xFFFF);
                out.extend([0xFFFF, run as u16]);
                u += run;
            } else {
                out.push(self.map[u]);
                u += 1;
            }
        }
        out.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// The upper case of one code unit.
    pub fn upcase(&self, unit: u16) -> u16 {
        self.map.get(unit as usize).copied().unwrap_or(unit)
    }

    /// The name up-cased, for comparisons.
    pub fn key(&self, name: &[u16]) -> Vec<u16> {
        name.iter().map(|&u| self.upcase(u)).collect()
    }

    /// The NameHash of a name.
    pub fn name_hash(&self, name: &[u16]) -> u16 {
        name.iter()
            .flat_map(|&u| self.upcase(u).to_le_bytes())
            .fold(0u16, |hash, b| hash.rotate_right(1).wrapping_add(b as u16))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_table_round_trips_compressed() {
        let table = Upcase::generated();
        assert_eq!(table.upcase(b'a' as u16), b'A' as u16);
        assert_eq!(table.upcase(0xE9), 0xC9);
        assert_eq!(table.upcase(0x3C9), 0x3A9);
        assert_eq!(table.upcase(b'[' as u16), b'[' as u16);
        let bytes = table.compressed();
        assert!(bytes.len() < 8 * 1024, "{}", bytes.len());
        let back = Upcase::from_bytes(&bytes);
        assert_eq!(back.map, table.map);
    }
}
