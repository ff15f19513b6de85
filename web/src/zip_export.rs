//! A stored ZIP archive of files taken out of a card, as a `Blob` assembled around each file's
//! own `Blob` (slices of the card image, or an encrypted clip's decrypted copy): the archive's
//! headers come from the core's layout, the data is never copied.

use dashcard::export::digest::FileDigest;
use dashcard::export::zip_layout::{Piece, ZipEntry, layout};
use web_sys::Blob;

use crate::export_queue::{ExportRecord, Takeout};
use crate::player::file_name;
use crate::worker_client::describe;

/// The archive `zip_name` of `files` (with the `digests` the worker computed, by index), each
/// put on `records`; `data(i)` gives file `i`'s bytes.
pub fn archive(
    zip_name: &str,
    files: &[Takeout],
    digests: &[(usize, FileDigest)],
    records: &mut Vec<ExportRecord>,
    data: impl Fn(usize) -> Result<Blob, String>,
) -> Result<Blob, String> {
    let folder = zip_name.trim_end_matches(".zip");
    let mut entries = Vec::with_capacity(files.len());
    for (i, Takeout { file: f, time, .. }) in files.iter().enumerate() {
        let d = digests
            .iter()
            .find(|(n, _)| *n == i)
            .map(|(_, d)| d)
            .ok_or_else(|| format!("{} was not checked", f.path))?;
        if d.bytes != f.bytes {
            return Err(format!("{}: read {} of {} bytes", f.path, d.bytes, f.bytes));
        }
        records.push(ExportRecord {
            saved_as: format!("{zip_name} › {}", file_name(&f.path)),
            path: f.path.clone(),
            bytes: d.bytes,
            sha256: d.sha256.clone(),
        });
        entries.push(ZipEntry {
            name: format!("{folder}/{}", file_name(&f.path)),
            bytes: f.bytes,
            crc32: d.crc32,
            modified: *time,
        });
    }
    let parts = js_sys::Array::new();
    for piece in layout(&entries) {
        match piece {
            Piece::Bytes(b) => {
                parts.push(&js_sys::Uint8Array::from(b.as_slice()));
            }
            Piece::Data(i) => {
                let blob = data(i)?;
                parts.push(&blob);
            }
        }
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/zip");
    Blob::new_with_blob_sequence_and_options(&parts, &options).map_err(|e| describe(&e))
}
