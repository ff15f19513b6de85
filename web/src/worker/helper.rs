//! The helper's job: read the video headers of the clips the worker holding the card sends
//! over a `MessagePort`, and send back what they said: the card's reader and its helpers each
//! read a share in parallel (a browser's header reads mostly wait on the browser, not the CPU).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dashcard::block_reader::BlockReader;
use dashcard::clip_header::Keys;
use dashcard::listing::ClipRef;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, MessageEvent, MessagePort};

use super::image::{port_part, post_on_port, read_headers_pipelined};
use super::prefetch::{Arrived, PrefetchedSource};
use super::{HEADERS_PHASE, Page, PortHandler, Progress, memory_bytes, unreadable};
use crate::protocol::{Failure, FromWorker, encode_part, parse_part};

thread_local! {
    /// The handler of the port (kept for the life of the worker).
    static ON_CLIPS: RefCell<Option<PortHandler>> = const { RefCell::new(None) };
}

/// Waits on `port` for the clips of the image `file` to read.
pub(super) fn help(page: &Page, file: Blob, port: MessagePort, keys: Keys) -> Result<(), Failure> {
    let arrived = Rc::new(RefCell::new(Arrived::new()));
    let fallbacks = Rc::new(Cell::new(0));
    let source =
        PrefetchedSource::new(file.clone(), arrived.clone()).counting_fallbacks(fallbacks.clone());
    let reader =
        BlockReader::new(source).map_err(|e| unreadable(format!("cannot read the card: {e}")))?;
    // The reader goes to the one job the port brings.
    let mut reader = Some(reader);
    let page = page.clone();
    let reply = port.clone();
    let on_clips = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let clips = port_part(&event.data())
            .and_then(|part| parse_part::<Vec<ClipRef>>(&part).map_err(unreadable));
        let (page, reply, keys, arrived, fallbacks, file) = (
            page.clone(),
            reply.clone(),
            keys.clone(),
            arrived.clone(),
            fallbacks.clone(),
            file.clone(),
        );
        let reader = reader.take();
        wasm_bindgen_futures::spawn_local(async move {
            let read = match (clips, reader) {
                (Ok(clips), Some(mut reader)) => {
                    let mut progress = Progress::new(&page, HEADERS_PHASE);
                    read_headers_pipelined(
                        &mut reader,
                        &arrived,
                        &fallbacks,
                        &file,
                        &clips,
                        &keys,
                        |d, t| progress.tick(d, t),
                    )
                    .await
                    .map_err(|e| unreadable(format!("cannot read the video headers: {e}")))
                    .and_then(|results| {
                        post_on_port(&reply, encode_part(&results).map_err(unreadable)?)
                    })
                }
                (Err(failure), _) => Err(failure),
                (Ok(_), None) => Err(unreadable("the helper was asked twice".to_string())),
            };
            match read {
                Ok(()) => page.post(&FromWorker::HelperDone {
                    memory_bytes: memory_bytes(),
                }),
                Err(failure) => page.post(&FromWorker::Failed(failure)),
            }
        });
    });
    port.set_onmessage(Some(on_clips.as_ref().unchecked_ref()));
    ON_CLIPS.with(|h| *h.borrow_mut() = Some(on_clips));
    Ok(())
}
