//! The key a camera encrypts with: held in memory only, never shown.

use serde::{Deserialize, Serialize};

/// The firmware's factory default key: set whenever no key was stored
/// (`cardv/system/handler.c:666-668` in aoni-dvr/nexar_82001).
pub const FACTORY_DEFAULT_KEY: &str = "16709222346338273533791789265665";

/// Characters in a key (Nexar's tool takes exactly this many bytes of it).
const KEY_CHARS: usize = 32;

/// A camera's encryption key: 32 printable ASCII characters, compared in lower case as Nexar's
/// tool does. Its `Debug` never shows it and it has no `Display`; it serializes (as its text)
/// only so the page can hand it to its worker.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Key(String);

/// Why some text is not a key, without repeating the text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not 32 characters long.
    #[error(
        "a camera key has {KEY_CHARS} characters (Nexar support gives it as 32 letters and digits); this one has {0}"
    )]
    Length(usize),
    /// Spaces or characters outside printable ASCII.
    #[error("a camera key holds only letters and digits; this one holds other characters")]
    Characters,
}

impl Key {
    /// The key in `text` (surrounding spaces ignored).
    pub fn new(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(KeyError::Characters);
        }
        if text.len() != KEY_CHARS {
            return Err(KeyError::Length(text.chars().count()));
        }
        Ok(Self(text.to_ascii_lowercase()))
    }

    /// The factory default key.
    pub fn factory_default() -> Self {
        Self(FACTORY_DEFAULT_KEY.to_string())
    }

    /// The key's bytes, as the pad is derived from them.
    pub(super) fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// True for the factory default key.
    pub fn is_factory_default(&self) -> bool {
        self.0 == FACTORY_DEFAULT_KEY
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(hidden)")
    }
}

impl TryFrom<String> for Key {
    type Error = KeyError;
    fn try_from(text: String) -> Result<Self, KeyError> {
        Key::new(&text)
    }
}

impl From<Key> for String {
    fn from(key: Key) -> String {
        key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_32_printable_characters_and_never_shown() {
        let key = Key::new("  F626AD1FFB5159BEF3E9295DF34244AF ").unwrap();
        assert_eq!(key.bytes(), b"f626ad1ffb5159bef3e9295df34244af");
        assert_eq!(format!("{key:?}"), "Key(hidden)");
        assert_eq!(Key::new("abc"), Err(KeyError::Length(3)));
        let spaced = "f626ad1ffb5159be f3e9295df34244af";
        assert_eq!(Key::new(spaced), Err(KeyError::Characters));
        assert!(!KeyError::Length(3).to_string().contains("abc"));
        assert!(Key::factory_default().is_factory_default());
    }
}
