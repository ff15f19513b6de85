//! A clip's plaintext in the worker: the camera's encryption undone as the bytes are read (the
//! card's bytes are never changed), and a decrypted copy built as a `Blob` a chunk at a time —
//! one clip (~40 MB a minute) at a time, never the card.

use std::io::{Read, Seek};

use dashcard::clip_header::Keys;
use dashcard::encryption::{DecryptingReader, PREFIX_BYTES, XorPad, opens_with};
use dashcard::export::digest::{FileDigest, digest};
use web_sys::{Blob, BlobPropertyBag};

/// Bytes per part of a decrypted `Blob` (and per read of the card while decrypting).
pub(super) const CHUNK_BYTES: usize = 4 << 20;

/// The pad that opens `stream` (an encrypted clip, read from its start); an error that says
/// why not: a plain MP4, or no key at hand opens it. The stream is back at its start after.
pub(super) fn pad_for<R: Read + Seek>(stream: &mut R, keys: &Keys) -> Result<XorPad, String> {
    let mut head = [0u8; PREFIX_BYTES];
    let n = stream
        .read(&mut head)
        .and_then(|n| stream.rewind().map(|()| n))
        .map_err(|e| format!("cannot read the clip: {e}"))?;
    if opens_with(&head[..n], &XorPad::zero()) {
        return Err("this clip is not encrypted".to_string());
    }
    keys.opening(&head[..n])
        .map(|(pad, _)| pad.clone())
        .ok_or_else(|| {
            "neither the factory default key nor the key given opens this clip".to_string()
        })
}

/// Reads `source` to its end, returning its digest and (when `keep`) its bytes as a `Blob`.
pub(super) fn digest_keeping(
    source: impl Read,
    keep: bool,
) -> Result<(FileDigest, Option<Blob>), String> {
    let parts = js_sys::Array::new();
    let collected = Collect {
        inner: source,
        parts: keep.then_some(&parts),
    };
    let d = digest(collected, CHUNK_BYTES).map_err(|e| e.to_string())?;
    if !keep {
        return Ok((d, None));
    }
    let options = BlobPropertyBag::new();
    options.set_type("video/mp4");
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| crate::worker_client::describe(&e))?;
    Ok((d, Some(blob)))
}

/// The plaintext of the clip `stream`: decrypted through `keys` (see [`pad_for`]).
pub(super) fn decrypted<R: Read + Seek>(
    mut stream: R,
    keys: &Keys,
) -> Result<DecryptingReader<R>, String> {
    let pad = pad_for(&mut stream, keys)?;
    DecryptingReader::new(stream, pad).map_err(|e| format!("cannot read the clip: {e}"))
}

/// Passes reads through, keeping a copy of each as a part of the `Blob` to be.
struct Collect<'a, R> {
    inner: R,
    parts: Option<&'a js_sys::Array>,
}

impl<R: Read> Read for Collect<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(parts) = self.parts
            && n > 0
        {
            parts.push(&js_sys::Uint8Array::from(&buf[..n]));
        }
        Ok(n)
    }
}
