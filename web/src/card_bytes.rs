//! Where an open card's bytes are, and a file's bytes as a `Blob` without copying them: from an
//! image, slices of the image over the file's extents (fragments too), then zeros for the
//! bytes an exFAT file was sized for but never written; from a folder, the file itself; from
//! the sample card, its clip followed by zeros, as the simulation wrote it.

use std::collections::HashMap;

use dashcard::listing::{ListedFile, is_video_name};
use web_sys::{Blob, BlobPropertyBag, File};

use crate::worker_client::describe;

/// The bytes behind an open card.
pub enum CardBytes {
    /// A card image.
    Image(File),
    /// A card folder's files, by their paths from the folder.
    Folder(HashMap<String, File>),
    /// The simulated sample card: each recording is this real clip, then zeros (`None` until
    /// the clip is fetched, or when it could not be).
    Sample(Option<js_sys::Uint8Array>),
}

impl CardBytes {
    /// The bytes of `file` as a `Blob`, or why they cannot be had.
    pub fn blob_of(&self, file: &ListedFile) -> Result<Blob, String> {
        if file.deleted && file.recoverable != Some(true) {
            return Err(format!(
                "{} was deleted and its clusters have since been reused or damaged, so its bytes cannot be recovered",
                file.path
            ));
        }
        match self {
            CardBytes::Folder(files) => files
                .get(&file.path)
                .map(|f| f.clone().into())
                .ok_or_else(|| unavailable(file)),
            CardBytes::Sample(Some(clip)) => sample_blob(clip, file.bytes),
            CardBytes::Sample(None) => Err(unavailable(file)),
            CardBytes::Image(image) => image_slices(image, file),
        }
    }

    /// Whether files can be digested and archived from here (the sample card has no real
    /// bytes behind its recordings).
    pub fn can_export(&self) -> bool {
        !matches!(self, CardBytes::Sample(_))
    }

    /// The image, when the card is one.
    pub fn image(&self) -> Option<&File> {
        match self {
            CardBytes::Image(file) => Some(file),
            _ => None,
        }
    }

    /// The folder's own file for each of `files`, when the card is a folder (missing ones left
    /// out).
    pub fn folder_files(&self, files: &[ListedFile]) -> Vec<File> {
        match self {
            CardBytes::Folder(map) => files
                .iter()
                .filter_map(|f| map.get(&f.path).cloned())
                .collect(),
            _ => Vec::new(),
        }
    }
}

fn unavailable(file: &ListedFile) -> String {
    format!("{}: its bytes are not available here", file.path)
}

fn blob_options(path: &str) -> BlobPropertyBag {
    let options = BlobPropertyBag::new();
    options.set_type(if is_video_name(path) {
        "video/mp4"
    } else {
        "application/octet-stream"
    });
    options
}

/// The slices of `image` that hold `file`.
fn image_slices(image: &File, file: &ListedFile) -> Result<Blob, String> {
    let image_bytes = image.size() as u64;
    if file
        .extents
        .iter()
        .any(|e| e.offset.saturating_add(e.bytes) > image_bytes)
    {
        return Err(format!(
            "{}: part of it lies past the end of this image (it is truncated), so it cannot be taken out whole",
            file.path
        ));
    }
    let covered: u64 = file.extents.iter().map(|e| e.bytes).sum();
    let written = file.written_bytes();
    if covered != written {
        return Err(format!(
            "{}: where its bytes lie on the card is not fully known ({covered} of {written} bytes)",
            file.path
        ));
    }
    let parts = js_sys::Array::new();
    for e in &file.extents {
        let slice = image
            .slice_with_f64_and_f64(e.offset as f64, (e.offset + e.bytes) as f64)
            .map_err(|e| describe(&e))?;
        parts.push(&slice);
    }
    push_zeros(&parts, file.bytes - written);
    Blob::new_with_blob_sequence_and_options(&parts, &blob_options(&file.path))
        .map_err(|e| describe(&e))
}

/// A sample recording's bytes: the clip, then zeros to its size.
fn sample_blob(clip: &js_sys::Uint8Array, bytes: u64) -> Result<Blob, String> {
    let parts = js_sys::Array::of1(clip);
    push_zeros(&parts, bytes.saturating_sub(u64::from(clip.length())));
    let options = BlobPropertyBag::new();
    options.set_type("video/mp4");
    Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(|e| describe(&e))
}

/// Appends `bytes` zeros to a `Blob`'s parts, as views of one zeroed buffer.
fn push_zeros(parts: &js_sys::Array, bytes: u64) {
    const ZEROS: u32 = 1 << 20;
    if bytes == 0 {
        return;
    }
    let zeros = js_sys::Uint8Array::new_with_length(ZEROS);
    let mut left = bytes;
    while left > 0 {
        let n = left.min(u64::from(ZEROS)) as u32;
        parts.push(&zeros.subarray(0, n));
        left -= u64::from(n);
    }
}
