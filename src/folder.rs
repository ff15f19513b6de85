//! A mounted card folder as a source: the same [`Listing`] as an image, with what the
//! operating system tells — no extents, no deleted entries, and no capacity unless the user
//! gives it. The walk itself belongs to the front end (`std::fs` in the CLI, the File System
//! Access API in the browser); this module turns what it found into a listing, and reads the
//! videos' headers through whatever opens a file by its path.

use std::io::{Read, Seek};

use chrono::NaiveDateTime;

use crate::clip_header::{Keys, read_clip};
use crate::imu_headers;
use crate::listing::{
    ClipRef, HeaderResult, ImuHeaderAt, ListedFile, Listing, Source, SourceKind, VideoHeader,
    Volume,
};
use crate::mp4;

/// One file found in the folder.
#[derive(Clone, Debug, PartialEq)]
pub struct FolderFile {
    /// "/"-separated path from the folder root.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Creation time as the OS reports it, if it does.
    pub created: Option<NaiveDateTime>,
    /// Modification time as the OS reports it.
    pub modified: Option<NaiveDateTime>,
    /// The OS shows it read-only (a locked clip, on a mounted FAT card); false when unknown.
    pub read_only: bool,
}

/// The listing of a folder, before any video header is read.
pub fn list_folder(name: &str, mut files: Vec<FolderFile>, capacity_bytes: Option<u64>) -> Listing {
    crate::sort::sort_by(&mut files, |a, b| a.path.cmp(&b.path));
    let mut warnings = vec![
        "opened as a folder: deleted recordings and exact free space are only visible in a card image"
            .to_string(),
    ];
    if capacity_bytes.is_none() {
        warnings.push(
            "card size unknown: give it to estimate when recordings are overwritten".to_string(),
        );
    }
    Listing {
        source: Source {
            kind: SourceKind::Folder,
            name: name.to_string(),
            bytes: None,
        },
        partition_table: None,
        volume: Volume {
            capacity_bytes,
            ..Volume::default()
        },
        warnings,
        files: files
            .into_iter()
            .map(|f| ListedFile {
                path: f.path,
                bytes: f.bytes,
                created: f.created,
                modified: f.modified,
                read_only: f.read_only,
                ..ListedFile::default()
            })
            .collect(),
        imu_headers: Vec::new(),
    }
}

/// Reads the MP4 header of each of `clips` (see [`Listing::folder_clips`]) of `listing`;
/// `open` opens a file by its path, and `progress(done, total)` follows each.
pub fn read_headers<F: Read + Seek>(
    listing: &Listing,
    clips: &[ClipRef],
    keys: &Keys,
    mut open: impl FnMut(&str) -> std::io::Result<F>,
    mut progress: impl FnMut(usize, usize),
) -> Vec<HeaderResult> {
    let total = clips.len();
    let mut results = Vec::with_capacity(total);
    for (done, clip) in clips.iter().enumerate() {
        let Some(file) = listing.files.get(clip.index) else {
            continue;
        };
        let header = match open(&file.path) {
            Ok(mut stream) => read_clip(&mut stream, clip.bytes, keys),
            Err(e) => VideoHeader::from(Err(mp4::Mp4Error::Io {
                message: e.to_string(),
            })),
        };
        results.push(HeaderResult {
            index: clip.index,
            header,
        });
        progress(done + 1, total);
    }
    results
}

/// Reads the headers of the few `.imu` sidecars [`imu_headers::chosen`] picks; `open` opens a
/// file by its path.
pub fn read_imu_headers<F: Read>(
    listing: &Listing,
    mut open: impl FnMut(&str) -> std::io::Result<F>,
) -> Vec<ImuHeaderAt> {
    imu_headers::chosen(listing)
        .into_iter()
        .filter_map(|index| {
            let file = open(&listing.files.get(index)?.path).ok()?;
            let header = imu_headers::read_header(file)?;
            Some(ImuHeaderAt { index, header })
        })
        .collect()
}
