//! What a card is opened from: an image file, a folder's files, or a sample card simulated in
//! the worker — kept with the card, so it can be read again with the owner's key.

use web_sys::File;

use crate::folder_pick::PickedFolder;
use crate::protocol::Sample;

/// A way to open a card.
#[derive(Clone)]
pub enum OpenSource {
    /// A card image file.
    Image(File),
    /// A card folder's files.
    Folder(PickedFolder),
    /// A simulated sample card.
    Sample(Sample),
}

impl OpenSource {
    /// The name the card goes by.
    pub fn name(&self) -> String {
        match self {
            OpenSource::Image(file) => file.name(),
            OpenSource::Folder(folder) => folder.name.clone(),
            OpenSource::Sample(Sample::Pro) => crate::worker::SAMPLE_NAME.to_string(),
            OpenSource::Sample(Sample::N1) => crate::worker::NEWER_SAMPLE_NAME.to_string(),
        }
    }
}

/// The real clip a sample card's recordings are made of (copied into `dist/` by trunk): a
/// plain MP4 for the first generation, a fragmented one (as the newer cameras write) for N1.
pub fn sample_clip_url(sample: Sample) -> &'static str {
    match sample {
        Sample::Pro => "./sample-clip.mp4",
        Sample::N1 => "./sample-clip-fragmented.mp4",
    }
}

/// The bytes at `url` of the page's own origin, or `None`.
pub async fn fetch_bytes(url: &str) -> Option<js_sys::Uint8Array> {
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url))
            .await
            .ok()?
            .dyn_into()
            .ok()?;
    if !response.ok() {
        return None;
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().ok()?)
        .await
        .ok()?;
    Some(js_sys::Uint8Array::new(&buffer))
}
