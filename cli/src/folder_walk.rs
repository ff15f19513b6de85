//! Walks a mounted card folder with `std::fs` for the folder source.

use std::path::{Component, Path, PathBuf};

use chrono::{DateTime, NaiveDateTime};
use dashcard::clip_header::Keys;
use dashcard::folder::{self, FolderFile};
use dashcard::listing::Listing;

/// Directory depth and entry bounds: a card folder is shallow; a symlink loop or a huge tree
/// given by mistake must not run forever.
const MAX_DEPTH: usize = 32;
const MAX_ENTRIES: usize = 2_000_000;

/// The folder's listing, with every video's header read (through `keys` where the camera
/// encrypted them) and the newest `.imu` headers.
pub fn listing(root: &Path, capacity: Option<u64>, keys: &Keys) -> Result<Listing, String> {
    let mut files = Vec::new();
    walk(root, root, 0, &mut files)?;
    let name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| root.display().to_string());
    let listing = folder::list_folder(&name, files, capacity);
    let clips = listing.folder_clips();
    let open = |p: &str| crate::input::open_nonblocking(&root.join(p));
    let headers = folder::read_headers(&listing, &clips, keys, open, |_, _| {});
    let imu = folder::read_imu_headers(&listing, open);
    Ok(listing.with_headers(headers).with_imu_headers(imu))
}

/// The host path of `path` inside `root`, refusing anything that would leave the folder.
pub fn resolve(root: &Path, path: &str) -> Result<PathBuf, String> {
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!("{path}: not a path inside the card"));
    }
    let full = root.join(rel);
    if full.is_file() {
        Ok(full)
    } else {
        Err(format!("{path}: no such file on the card"))
    }
}

fn walk(root: &Path, dir: &Path, depth: usize, out: &mut Vec<FolderFile>) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("{}: folders nested too deeply", dir.display()));
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        let kind = entry
            .file_type()
            .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?;
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, depth + 1, out)?;
        } else if kind.is_file() {
            if out.len() >= MAX_ENTRIES {
                return Err(format!("{}: more than {MAX_ENTRIES} files", root.display()));
            }
            let meta = entry
                .metadata()
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            out.push(FolderFile {
                path: rel,
                bytes: meta.len(),
                created: meta.created().ok().and_then(naive),
                modified: meta.modified().ok().and_then(naive),
                // A mounted FAT card shows the read-only attribute as a read-only file.
                read_only: meta.permissions().readonly(),
            });
        }
    }
    Ok(())
}

/// The OS reports FAT times converted as if they were UTC (Linux vfat's default without a
/// `tz=` option), so reading them back as UTC gives the camera's local time unchanged.
fn naive(time: std::time::SystemTime) -> Option<NaiveDateTime> {
    let since = time.duration_since(std::time::UNIX_EPOCH).ok()?;
    DateTime::from_timestamp(since.as_secs() as i64, since.subsec_nanos()).map(|t| t.naive_utc())
}
