//! The helper's job: read the video headers of the clips the worker holding the card sends
//! over a `MessagePort`, and send back what they said: the card's reader and its helpers each
//! read a share in parallel (a browser's header reads mostly wait on the browser, not the CPU).
//! An image's clips are read from the image the helper is given; a folder's from the `File`s
//! that come with them.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use dashcard::block_reader::BlockReader;
use dashcard::clip_header::Keys;
use dashcard::listing::{ClipRef, HeaderResult};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, File, MessageEvent, MessagePort};

use super::prefetch::{Arrived, PrefetchedSource};
use super::shares::{port_files, post_on_port};
use super::{
    HEADERS_PHASE, Page, PortHandler, Progress, first_part, folder, image, memory_bytes, unreadable,
};
use crate::protocol::{Failure, FromWorker, encode_part, parse_part};

thread_local! {
    /// The handler of the port (kept for the life of the worker).
    static ON_CLIPS: RefCell<Option<PortHandler>> = const { RefCell::new(None) };
}

/// An image, and what reads it: its reader, and the ranges that arrived for it.
struct ImageReader {
    blob: Blob,
    reader: BlockReader<PrefetchedSource>,
    arrived: Rc<RefCell<Arrived>>,
    fallbacks: Rc<Cell<u32>>,
}

impl ImageReader {
    fn new(blob: Blob) -> Result<Self, Failure> {
        let arrived = Rc::new(RefCell::new(Arrived::new()));
        let fallbacks = Rc::new(Cell::new(0));
        let source = PrefetchedSource::new(blob.clone(), arrived.clone())
            .counting_fallbacks(fallbacks.clone());
        let reader = BlockReader::new(source)
            .map_err(|e| unreadable(format!("cannot read the card: {e}")))?;
        Ok(Self {
            blob,
            reader,
            arrived,
            fallbacks,
        })
    }

    async fn read(
        mut self,
        clips: &[ClipRef],
        keys: &Keys,
        progress: impl FnMut(usize, usize),
    ) -> std::io::Result<Vec<HeaderResult>> {
        image::read_headers_pipelined(
            &mut self.reader,
            &self.arrived,
            &self.fallbacks,
            &self.blob,
            clips,
            keys,
            progress,
        )
        .await
    }
}

/// Waits on `port` for the clips to read: of the image `image`, or of a folder (their files
/// come with them).
pub(super) fn help(
    page: &Page,
    image: Option<Blob>,
    port: MessagePort,
    keys: Keys,
) -> Result<(), Failure> {
    // The reader goes to the one job the port brings.
    let mut image = image.map(ImageReader::new).transpose()?;
    let page = page.clone();
    let reply = port.clone();
    let on_clips = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let clips = first_part(&data)
            .and_then(|part| parse_part::<Vec<ClipRef>>(&part).map_err(unreadable));
        let files = port_files(&data);
        let (page, reply, keys, image) = (page.clone(), reply.clone(), keys.clone(), image.take());
        wasm_bindgen_futures::spawn_local(async move {
            let read = match clips {
                Ok(clips) => read_share(&page, &clips, files, image, &keys)
                    .await
                    .and_then(|results| {
                        post_on_port(&reply, encode_part(&results).map_err(unreadable)?, None)
                    }),
                Err(failure) => Err(failure),
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

/// Reads the headers of `clips`: from their `files` (a folder's share), else from `image`.
async fn read_share(
    page: &Page,
    clips: &[ClipRef],
    files: Option<Vec<Option<File>>>,
    image: Option<ImageReader>,
    keys: &Keys,
) -> Result<Vec<HeaderResult>, Failure> {
    let mut progress = Progress::new(page, HEADERS_PHASE);
    let progress = |d, t| progress.tick(d, t);
    let read = match (files, image) {
        (Some(files), _) => folder::read_headers_pipelined(clips, &files, keys, progress).await,
        (None, Some(image)) => image.read(clips, keys, progress).await,
        (None, None) => {
            return Err(unreadable(
                "the helper has no card to read the clips from (or was asked twice)".to_string(),
            ));
        }
    };
    read.map_err(|e| unreadable(format!("cannot read the video headers: {e}")))
}
