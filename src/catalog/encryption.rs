//! Which clips the camera encrypted: those a key opened (the reader says which), and those no
//! key at hand opens — told from damaged files by the first bytes they share: every clip of one
//! camera starts with the same `ftyp` box, XORed with the same pad.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::encryption::KeySource;
use crate::listing::ListedFile;

/// A clip the camera encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encrypted {
    /// Read through this key.
    OpenedWith(KeySource),
    /// No key at hand opens it: the owner's key (from Nexar support) is needed.
    KeyNeeded,
}

/// Least clips that must share their first bytes to be taken as encrypted by one camera.
const SHARED_BY: usize = 2;

/// Each file's encryption (parallel to `files`).
pub fn of(files: &[ListedFile]) -> Vec<Option<Encrypted>> {
    let mut sharing: HashMap<&str, usize> = HashMap::new();
    for f in files {
        if let Some(prefix) = f.header.as_ref().and_then(|h| h.prefix.as_deref()) {
            *sharing.entry(prefix).or_default() += 1;
        }
    }
    files
        .iter()
        .map(|f| {
            let h = f.header.as_ref()?;
            if let Some(source) = h.encryption {
                return Some(Encrypted::OpenedWith(source));
            }
            let prefix = h.prefix.as_deref()?;
            (sharing.get(prefix).copied().unwrap_or(0) >= SHARED_BY).then_some(Encrypted::KeyNeeded)
        })
        .collect()
}
