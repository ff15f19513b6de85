//! Digests for an export: each file's CRC-32 (for the ZIP) and SHA-256 (for the record),
//! streamed from the card image's extents or the folder's own file.

use dashcard::block_reader::BlockReader;
use dashcard::export::digest::digest as digest_stream;
use dashcard::listing::ClipRef;
use web_sys::{Blob, File};

use super::{Page, Progress};
use crate::blob_source::BlobSource;
use crate::protocol::{FromWorker, json_part, parse_part};

/// Bytes read per call while digesting: a `Blob` read costs about the same whatever its size.
const DIGEST_CHUNK_BYTES: usize = 4 << 20;

/// Digests each clip of `clips` (JSON) — of `image`, or of the folder's `files` in clip order —
/// and sends the results.
pub(super) fn digest(
    page: &Page,
    clips: &[u8],
    image: Option<Blob>,
    files: Option<Vec<File>>,
) -> Result<(), String> {
    let clips: Vec<ClipRef> = parse_part(clips)?;
    let mut reader = match (&files, image) {
        (None, Some(image)) => Some(
            BlockReader::new(BlobSource::new(image).map_err(|e| e.to_string())?)
                .map_err(|e| format!("cannot read the card: {e}"))?,
        ),
        _ => None,
    };
    let mut progress = Progress::new(page, "Checking the files (SHA-256)");
    let mut results = Vec::with_capacity(clips.len());
    for (n, clip) in clips.iter().enumerate() {
        let digest = match (&mut reader, &files) {
            (Some(reader), _) => digest_stream(clip.open(reader), DIGEST_CHUNK_BYTES),
            (None, Some(files)) => {
                let file = files
                    .get(n)
                    .cloned()
                    .ok_or("a file to check did not come with the request")?;
                let source = BlobSource::new(file.into()).map_err(|e| e.to_string())?;
                digest_stream(source, DIGEST_CHUNK_BYTES)
            }
            _ => return Err("no card came with the request".to_string()),
        }
        .map_err(|e| format!("cannot read {}: {e}", clip.index))?;
        results.push((clip.index, digest));
        progress.tick(n + 1, clips.len());
    }
    page.post_parts(&FromWorker::Digests, vec![json_part(&results)?]);
    Ok(())
}
