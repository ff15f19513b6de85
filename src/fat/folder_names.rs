//! Names within one folder that another system, or damage, left wrong: two live entries with
//! the same name (a path, looked up without regard to ASCII case as FAT does, reaches only the
//! first), two sharing one 8.3 name (systems that go by 8.3 names may open the other), and 8.3
//! names no FAT driver writes. All are legal on disk and every entry keeps its own size and
//! clusters; these only say so, per file.
//!
//! Names are remembered as 32-bit hashes in a `HashSet<u32>`, the set type the FAT layer
//! already uses, rather than a map of strings, which would add code to the web worker; a hash
//! seen before is confirmed against the folder's earlier entries before anything is said.

use std::collections::HashSet;

use super::Entry;
use super::names;

/// FNV-1a over `bytes`, ASCII letters folded to lower case.
fn folded_hash(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |h, &b| {
        (h ^ b.to_ascii_lowercase() as u32).wrapping_mul(0x0100_0193)
    })
}

/// The folder an entry's path is in ("" for the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(p, _)| p)
}

/// The live names seen so far in one folder.
#[derive(Default)]
pub struct FolderNames {
    names: HashSet<u32>,
    short_names: HashSet<u32>,
}

impl FolderNames {
    /// What is wrong with the name of `entries[index]`, a live entry whose stored 8.3 name is
    /// `stored`, given the folder's entries listed before it (from `start` on; a subfolder's
    /// entries in between are skipped).
    pub fn problems(
        &mut self,
        entries: &[Entry],
        start: usize,
        index: usize,
        stored: &[u8; 11],
    ) -> Vec<String> {
        let mut out = Vec::new();
        let Some(this) = entries.get(index) else {
            return out;
        };
        if !names::short_name_is_valid(stored) {
            out.push(if this.short_name.is_empty() {
                "its 8.3 name is blank (a damaged entry, or one written by another system)"
                    .to_string()
            } else {
                format!(
                    "its 8.3 name \"{}\" is not a valid FAT name (a damaged entry, or one written by another system)",
                    this.short_name
                )
            });
        }
        let folder = parent(&this.path);
        let earlier = || {
            entries
                .get(start..index)
                .unwrap_or_default()
                .iter()
                .filter(move |e| !e.deleted && parent(&e.path) == folder)
        };
        if !self.names.insert(folded_hash(this.name.as_bytes()))
            && let Some(first) = earlier().find(|e| e.name.eq_ignore_ascii_case(&this.name))
        {
            out.push(format!(
                "an earlier entry in this folder has the same name ({}): this one has its own size and clusters, but a path reaches only the first",
                first.name
            ));
        } else if !self
            .short_names
            .insert(folded_hash(this.short_name.as_bytes()))
            && let Some(first) = earlier().find(|e| e.short_name == this.short_name)
        {
            out.push(format!(
                "its 8.3 name {} is also that of {} in this folder (a damaged folder): systems that go by 8.3 names may open the other file",
                this.short_name, first.name
            ));
        }
        out
    }
}
