//! The 4096-byte XOR pad a key stands for, exactly as Nexar's decrypt tool derives it
//! (`src/lib/crypto.ts`, `generateXorPad`).

use super::key::Key;

/// Bytes in the pad; it repeats every this many bytes of the file.
pub const PAD_BYTES: usize = 4096;

/// The pad: byte `o` of a file is XORed with `pad[o % 4096]`.
#[derive(Clone)]
pub struct XorPad([u8; PAD_BYTES]);

impl XorPad {
    /// The pad of `key`: its 32 ASCII bytes fold into a seed (`seed = seed × 17 XOR byte`, in
    /// 32 bits), then a linear congruential generator (`seed = (1103515245 · seed + 12345) mod
    /// 2³¹`) gives each byte as the XOR of the seed's four bytes.
    pub fn from_key(key: &Key) -> Self {
        let mut padded = [0u8; 32];
        for (slot, &b) in padded.iter_mut().zip(key.bytes()) {
            *slot = b;
        }
        let mut seed: u32 = 0;
        for &b in &padded {
            seed = seed.wrapping_mul(17) ^ u32::from(b);
        }
        let mut pad = [0u8; PAD_BYTES];
        let mut s = u64::from(seed);
        for byte in pad.iter_mut() {
            s = (1_103_515_245 * s + 12_345) % (1 << 31);
            *byte = ((s >> 24) ^ (s >> 16) ^ (s >> 8) ^ s) as u8;
        }
        Self(pad)
    }

    /// A pad of zeros: XOR with it changes nothing (plain files through the same code path).
    pub fn zero() -> Self {
        Self([0; PAD_BYTES])
    }

    /// XORs `buf`, which holds the file's bytes from `offset`, with the pad (in place: the
    /// caller's own copy, never the card).
    pub fn apply(&self, offset: u64, buf: &mut [u8]) {
        let mut at = (offset % PAD_BYTES as u64) as usize;
        for b in buf.iter_mut() {
            *b ^= self.0[at];
            at = (at + 1) % PAD_BYTES;
        }
    }
}

impl std::fmt::Debug for XorPad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("XorPad(hidden)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_16(key: &str) -> [u8; 16] {
        let pad = XorPad::from_key(&Key::new(key).unwrap());
        let mut out = [0u8; 16];
        out.copy_from_slice(&pad.0[..16]);
        out
    }

    /// The fact sheet's two test vectors (checked there against `crypto.ts` in Node).
    #[test]
    fn the_pad_matches_nexars_tool() {
        assert_eq!(
            first_16("00112233445566778899aabbccddeeff"),
            [
                0x28, 0xb1, 0x18, 0x2c, 0xfa, 0xc0, 0x33, 0x86, 0xc4, 0x5e, 0x03, 0xb6, 0xaa, 0x1c,
                0x68, 0x7f
            ]
        );
        assert_eq!(
            first_16("f626ad1ffb5159bef3e9295df34244af"),
            [
                0xc8, 0xe2, 0x6c, 0x4c, 0x55, 0xf5, 0x73, 0xfb, 0x8b, 0x56, 0xff, 0x83, 0xc6, 0x2a,
                0xaf, 0xbb
            ]
        );
        // Case does not matter, as in the tool.
        assert_eq!(
            first_16("F626AD1FFB5159BEF3E9295DF34244AF"),
            first_16("f626ad1ffb5159bef3e9295df34244af")
        );
    }

    #[test]
    fn the_pad_repeats_every_4096_bytes_and_undoes_itself() {
        let pad = XorPad::from_key(&Key::factory_default());
        let plain: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
        let mut data = plain.clone();
        pad.apply(0, &mut data);
        assert_ne!(data, plain);
        // Applying from an offset inside the file gives the same bytes as from the start.
        let mut tail = plain[5000..].to_vec();
        pad.apply(5000, &mut tail);
        assert_eq!(tail, data[5000..]);
        assert_eq!(data[4096] ^ plain[4096], data[0] ^ plain[0]);
        pad.apply(0, &mut data);
        assert_eq!(data, plain);
    }
}
