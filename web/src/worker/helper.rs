//! The helper's job: read the video headers of the clips the worker holding the card sends
//! over a `MessagePort`, and send back what they said — on two cores, about half the time.

use std::cell::RefCell;

use dashcard::block_reader::BlockReader;
use dashcard::clip_header::Keys;
use dashcard::listing::ClipRef;
use dashcard::scan;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, MessageEvent, MessagePort};

use super::image::{COALESCE_GAP_BYTES, port_part, post_on_port};
use super::{HEADERS_PHASE, Page, PortHandler, Progress, memory_bytes, unreadable};
use crate::blob_source::BlobSource;
use crate::protocol::{Failure, FromWorker, json_part, parse_part};

thread_local! {
    /// The handler of the port (kept for the life of the worker).
    static ON_CLIPS: RefCell<Option<PortHandler>> = const { RefCell::new(None) };
}

/// Waits on `port` for the clips of the image `file` to read.
pub(super) fn help(page: &Page, file: Blob, port: MessagePort, keys: Keys) -> Result<(), Failure> {
    let source = BlobSource::new(file).map_err(|e| unreadable(e.to_string()))?;
    let mut reader =
        BlockReader::new(source).map_err(|e| unreadable(format!("cannot read the card: {e}")))?;
    let page = page.clone();
    let reply = port.clone();
    let on_clips = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let read = port_part(&event.data())
            .and_then(|part| parse_part::<Vec<ClipRef>>(&part).map_err(unreadable))
            .and_then(|clips| {
                let mut progress = Progress::new(&page, HEADERS_PHASE);
                let results = scan::read_headers(
                    &mut reader,
                    &clips,
                    COALESCE_GAP_BYTES,
                    &keys,
                    |done, total| progress.tick(done, total),
                );
                post_on_port(&reply, json_part(&results).map_err(unreadable)?)
            });
        match read {
            Ok(()) => page.post(&FromWorker::HelperDone {
                memory_bytes: memory_bytes(),
            }),
            Err(failure) => page.post(&FromWorker::Failed(failure)),
        }
    });
    port.set_onmessage(Some(on_clips.as_ref().unchecked_ref()));
    ON_CLIPS.with(|h| *h.borrow_mut() = Some(on_clips));
    Ok(())
}
