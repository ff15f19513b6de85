//! A clip's thumbnail, from its `.thumb` sidecar (the newer cameras grab one at each segment's
//! start): the sidecar's own bytes as a `Blob` under an object URL, freed when the row goes.

use leptos::prelude::*;
use web_sys::Url;

use crate::card::{Card, Shown};

/// The thumbnail of file `index` of `shown`, or nothing when it has none.
#[component]
pub fn Thumb(shown: Shown, index: usize) -> impl IntoView {
    let card = expect_context::<Card>();
    let thumb = shown
        .catalog
        .files
        .get(index)
        .into_iter()
        .flat_map(|f| f.sidecars.iter().copied())
        .filter_map(|s| shown.listing.files.get(s))
        // The catalog linked the clip's sidecars; the thumbnail is the one in `.thumb`.
        .find(|s| !s.deleted && s.path.to_ascii_lowercase().contains("/.thumb/"))
        .cloned();
    let url = thumb.and_then(|file| {
        card.bytes
            .try_with_value(|bytes| bytes.blob_of(&file).ok())
            .flatten()
            .and_then(|blob| Url::create_object_url_with_blob(&blob).ok())
    });
    if let Some(url) = url.clone() {
        on_cleanup(move || {
            let _ = Url::revoke_object_url(&url);
        });
    }
    url.map(|url| view! { <img class="thumb" src=url alt="" width="80" height="45" /> })
}
