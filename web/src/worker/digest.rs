//! Digests for an export: each file's CRC-32 (for the ZIP) and SHA-256 (for the record),
//! streamed from the card image's extents or the folder's own file.

use dashcard::block_reader::BlockReader;
use dashcard::clip_header::Keys;
use js_sys::Array;
use wasm_bindgen::JsValue;
use web_sys::{Blob, File};

use super::plaintext::{decrypted, digest_keeping};
use super::{Page, Progress};
use crate::blob_source::BlobSource;
use crate::protocol::{ExportClip, FromWorker, encode_part, parse_part};

/// Digests each clip of `clips` — of `image`, or of the folder's `files` in clip order —
/// and sends the results; clips the camera encrypted are digested (and handed back as `Blob`s)
/// decrypted with `keys`.
pub(super) fn digest(
    page: &Page,
    clips: &[u8],
    image: Option<Blob>,
    files: Option<Vec<File>>,
    keys: &Keys,
) -> Result<(), String> {
    let clips: Vec<ExportClip> = parse_part(clips)?;
    let mut reader = match (&files, image) {
        (None, Some(image)) => Some(
            BlockReader::new(BlobSource::new(image).map_err(|e| e.to_string())?)
                .map_err(|e| format!("cannot read the card: {e}"))?,
        ),
        _ => None,
    };
    let mut progress = Progress::new(page, "Checking the files (SHA-256)");
    let mut results = Vec::with_capacity(clips.len());
    let blobs = Array::new();
    for (n, ExportClip { clip, decrypt }) in clips.iter().enumerate() {
        let read = match (&mut reader, &files) {
            (Some(reader), _) => {
                let stream = clip.open(reader);
                if *decrypt {
                    digest_keeping(decrypted(stream, keys)?, true)
                } else {
                    digest_keeping(stream, false)
                }
            }
            (None, Some(files)) => {
                let file = files
                    .get(n)
                    .cloned()
                    .ok_or("a file to check did not come with the request")?;
                let source = BlobSource::new(file.into()).map_err(|e| e.to_string())?;
                if *decrypt {
                    digest_keeping(decrypted(source, keys)?, true)
                } else {
                    digest_keeping(source, false)
                }
            }
            _ => return Err("no card came with the request".to_string()),
        }
        .map_err(|e| format!("cannot read file {}: {e}", clip.index))?;
        results.push((clip.index, read.0));
        blobs.push(&read.1.map_or(JsValue::NULL, JsValue::from));
        progress.tick(n + 1, clips.len());
    }
    page.post_parts_with(
        &FromWorker::Digests,
        vec![encode_part(&results)?],
        &[blobs.as_ref()],
    );
    Ok(())
}

/// Decrypts the one clip of `part` (an [`ExportClip`]) of `image` or of the folder's one file,
/// and sends its plaintext as a `Blob`.
pub(super) fn decrypt(
    page: &Page,
    part: &[u8],
    image: Option<Blob>,
    files: Option<Vec<File>>,
    keys: &Keys,
) -> Result<(), String> {
    let ExportClip { clip, .. } = parse_part(part)?;
    let blob = match (image, files.and_then(|f| f.into_iter().next())) {
        (Some(image), _) => {
            let source = BlobSource::new(image).map_err(|e| e.to_string())?;
            let mut reader =
                BlockReader::new(source).map_err(|e| format!("cannot read the card: {e}"))?;
            let stream = clip.open(&mut reader);
            digest_keeping(decrypted(stream, keys)?, true)?.1
        }
        (None, Some(file)) => {
            let source = BlobSource::new(file.into()).map_err(|e| e.to_string())?;
            digest_keeping(decrypted(source, keys)?, true)?.1
        }
        _ => return Err("no card came with the request".to_string()),
    }
    .ok_or("nothing was decrypted")?;
    page.post_parts_with(&FromWorker::Decrypted, Vec::new(), &[blob.as_ref()]);
    Ok(())
}
