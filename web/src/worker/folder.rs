//! A card folder: the browser's `File`s listed by their paths and sent to the page at once,
//! then each video's header read from its own file and the complete card sent.

use std::collections::HashMap;

use dashcard::clip_header::Keys;
use dashcard::folder::{self, FolderFile};
use web_sys::File;

use super::image::{complete_card, send_card};
use super::{HEADERS_PHASE, Page, Progress, unreadable};
use crate::blob_source::BlobSource;
use crate::protocol::Failure;

/// Reads the folder `name` from its `files`, found at `paths`.
pub(super) fn open_folder(
    page: &Page,
    name: &str,
    paths: Vec<String>,
    files: Vec<File>,
    capacity_bytes: Option<u64>,
    keys: &Keys,
) -> Result<(), Failure> {
    if files.len() != paths.len() {
        return Err(unreadable(
            "the folder's files and names do not match".to_string(),
        ));
    }
    let found: Vec<FolderFile> = paths
        .iter()
        .zip(&files)
        .map(|(path, file)| FolderFile {
            path: path.clone(),
            bytes: file.size() as u64,
            created: None,
            modified: modified_time(file),
            // A browser does not say whether a file is read-only.
            read_only: false,
        })
        .collect();
    let by_path: HashMap<String, File> = paths.into_iter().zip(files).collect();
    let listing = folder::list_folder(name, found, capacity_bytes);
    send_card(page, &listing, false, false)?;
    let mut progress = Progress::new(page, HEADERS_PHASE);
    let open = |path: &str| {
        let file = by_path
            .get(path)
            .ok_or_else(|| std::io::Error::other("the file is gone from the folder"))?;
        BlobSource::new(file.clone().into())
    };
    let results = folder::read_headers(
        &listing,
        &listing.folder_clips(),
        keys,
        open,
        |done, total| progress.tick(done, total),
    );
    let imu = folder::read_imu_headers(&listing, open);
    let listing = listing.with_headers(results).with_imu_headers(imu);
    let files = Box::new(
        move |listing: &dashcard::listing::Listing, i: usize, max: u64| {
            let path = listing
                .files
                .get(i)
                .map(|f| f.path.as_str())
                .ok_or_else(|| format!("no file {i} in the folder"))?;
            let file = by_path
                .get(path)
                .ok_or_else(|| "the file is gone from the folder".to_string())?;
            let mut bytes = Vec::new();
            BlobSource::new(file.clone().into())
                .and_then(|f| {
                    std::io::Read::read_to_end(&mut std::io::Read::take(f, max), &mut bytes)
                })
                .map_err(|e| e.to_string())?;
            Ok(bytes)
        },
    );
    complete_card(page, &listing, files)
}

/// A file's modification time as the browser reports it. Operating systems hand FAT times
/// over as if they were UTC, so reading them as UTC gives the camera's local time back.
fn modified_time(file: &File) -> Option<chrono::NaiveDateTime> {
    let ms = file.last_modified();
    if !ms.is_finite() || ms <= 0.0 {
        return None;
    }
    chrono::DateTime::from_timestamp_millis(ms as i64).map(|t| t.naive_utc())
}
