//! Clips the camera encrypted, and reading them as plaintext.
//!
//! Nexar's own decrypt tool (github.com/getnexar/decrypt-tool, `src/lib/crypto.ts`) says the
//! cameras can XOR whole clip files, from offset 0, with a 4096-byte pad derived from a
//! 32-character key ([`XorPad`]). The firmware of the newer cameras (Beam 2K, Zero, N1) keeps a
//! factory default key ([`FACTORY_DEFAULT_KEY`]) that applies until the owner's camera is given
//! another one; the owner can get that one from Nexar support.
//!
//! Nothing is ever decrypted in place: [`DecryptingReader`] wraps any `Read + Seek` and hands out
//! plaintext as it is read. A [`Key`] lives in memory only: it has no `Display`, its `Debug` is
//! redacted, and no report type holds one.

mod key;
mod pad;
mod reader;

pub use key::{FACTORY_DEFAULT_KEY, Key, KeyError};
pub use pad::{PAD_BYTES, XorPad};
pub use reader::DecryptingReader;

use serde::{Deserialize, Serialize};

/// Bytes of a clip's start kept to recognise encrypted clips by their shared prefix: the same
/// `ftyp` box XORed with the same pad starts every clip of one camera.
pub const PREFIX_BYTES: usize = 16;

/// Which key opened an encrypted clip (never the key itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The firmware's factory default key, tried on every clip that is not a plain MP4.
    FactoryDefault,
    /// The key the owner gave (from Nexar support).
    Owner,
}

/// True when `head` (a file's first bytes, at least 8) decrypted with `pad` starts with the
/// `ftyp` box every camera clip starts with, of a plausible size (8 to 1024 bytes, as Nexar's
/// tool checks). A wrong key gives random bytes here: the chance of a false match is 2⁻³².
pub fn opens_with(head: &[u8], pad: &XorPad) -> bool {
    let Some(first) = head.get(..8) else {
        return false;
    };
    let mut plain = [0u8; 8];
    plain.copy_from_slice(first);
    pad.apply(0, &mut plain);
    let size = u32::from_be_bytes([plain[0], plain[1], plain[2], plain[3]]);
    &plain[4..8] == b"ftyp" && (8..=1024).contains(&size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_encrypted_with_a_key_opens_with_that_key_only() {
        let mut head = *b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00";
        let right = XorPad::from_key(&Key::new(FACTORY_DEFAULT_KEY).unwrap());
        let wrong = XorPad::from_key(&Key::new("00112233445566778899aabbccddeeff").unwrap());
        assert!(opens_with(&head, &XorPad::zero()));
        right.apply(0, &mut head);
        assert!(opens_with(&head, &right));
        assert!(!opens_with(&head, &wrong));
        assert!(!opens_with(&head[..7], &right));
    }
}
