//! A card's video headers shared between its reader and helper workers, image and folder
//! alike: the reader cuts its clips into shares, sends each helper its share over a
//! `MessagePort` (for a folder, with each clip's own `File`: a helper has no folder), reads its
//! own, and completes the card once every share's results are in. The results merge by file
//! index, whoever read them, so the card is the same as one worker reading them all.

use std::cell::RefCell;

use dashcard::listing::{ClipRef, HeaderResult, Listing, split_clips};
use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{File, MessageEvent, MessagePort};

use super::image::{FileReader, complete_card};
use super::{Page, PortHandler, first_part, part_arrays, unreadable};
use crate::protocol::{Failure, FailureKind, FromWorker, PARTS_KEY, encode_part, parse_part};

/// The property of a share's message that carries its clips' `File`s (a folder's share).
const FILES_KEY: &str = "files";

/// The header results of this worker and its helpers, gathered until every share is in, and
/// the card waiting for them (once this worker's own share is read).
#[derive(Default)]
struct Gathering {
    /// Helpers whose results have not come yet.
    helpers_left: usize,
    results: Vec<HeaderResult>,
    card: Option<(Listing, FileReader)>,
}

impl Gathering {
    /// The card and every result, once this worker's share and every helper's are in.
    fn complete(&mut self) -> Option<(Listing, Vec<HeaderResult>, FileReader)> {
        if self.helpers_left > 0 {
            return None;
        }
        let (listing, files) = self.card.take()?;
        Some((listing, std::mem::take(&mut self.results), files))
    }
}

thread_local! {
    /// What this worker and its helpers have read of the card being read.
    static GATHERING: RefCell<Gathering> = RefCell::new(Gathering::default());
    /// The handlers of the helpers' ports (kept for the life of the worker).
    static PORT_HANDLERS: RefCell<Vec<PortHandler>> = const { RefCell::new(Vec::new()) };
}

/// `clips` cut into this worker's share and one for each of at most `helpers` helpers that
/// gets any: a card of few clips is read by this worker alone. The page hears how many helpers
/// to start (before the card's files: it starts them once the overview shows and it knows).
pub(super) fn split(
    page: &Page,
    clips: Vec<ClipRef>,
    helpers: usize,
) -> (Vec<ClipRef>, Vec<Vec<ClipRef>>) {
    let mut shares = split_clips(clips, helpers + 1).into_iter();
    let mine = shares.next().unwrap_or_default();
    let theirs: Vec<Vec<ClipRef>> = shares.filter(|s| !s.is_empty()).collect();
    page.post(&FromWorker::Sharing {
        helpers: theirs.len() as u32,
    });
    (mine, theirs)
}

/// Sends each of `theirs` to the helper on the port of `ports` in its place, with the share's
/// `File`s (`files_of`, one for each clip, for a folder), and from now on gathers their results
/// for the card this worker reads.
pub(super) fn hand_over(
    page: &Page,
    ports: &[MessagePort],
    theirs: &[Vec<ClipRef>],
    files_of: impl Fn(&[ClipRef]) -> Option<Vec<Option<File>>>,
) -> Result<(), Failure> {
    GATHERING.with(|g| {
        *g.borrow_mut() = Gathering {
            helpers_left: theirs.len().min(ports.len()),
            ..Gathering::default()
        }
    });
    for (port, share) in ports.iter().zip(theirs) {
        listen(page, port);
        let files = files_of(share).map(|files| {
            files
                .iter()
                .map(|f| f.as_ref().map_or(JsValue::UNDEFINED, |f| f.into()))
                .collect::<Array>()
        });
        post_on_port(
            port,
            encode_part(share).map_err(unreadable)?,
            files.as_ref(),
        )?;
    }
    Ok(())
}

/// This worker's share of the headers is read: the card (its `.imu` headers read, `files` to
/// read its telemetry) is completed now, or when the helpers' results are in.
pub(super) fn gather(
    page: &Page,
    listing: Listing,
    results: Vec<HeaderResult>,
    files: FileReader,
) -> Result<(), Failure> {
    let complete = GATHERING.with(|g| {
        let mut g = g.borrow_mut();
        g.results.extend(results);
        g.card = Some((listing, files));
        g.complete()
    });
    complete_if_all_in(page, complete)
}

/// Completes the card when the last share is in (else a share is still being read).
fn complete_if_all_in(
    page: &Page,
    complete: Option<(Listing, Vec<HeaderResult>, FileReader)>,
) -> Result<(), Failure> {
    match complete {
        Some((listing, results, files)) => {
            complete_card(page, &listing.with_headers(results), files)
        }
        None => Ok(()),
    }
}

/// Gathers the results the helper on `port` sends back.
fn listen(page: &Page, port: &MessagePort) {
    let page = page.clone();
    let on_results = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let done = first_part(&event.data())
            .and_then(|part| parse_part::<Vec<HeaderResult>>(&part).map_err(unreadable))
            .and_then(|theirs| {
                let complete = GATHERING.with(|g| {
                    let mut g = g.borrow_mut();
                    g.results.extend(theirs);
                    g.helpers_left = g.helpers_left.saturating_sub(1);
                    g.complete()
                });
                complete_if_all_in(&page, complete)
            });
        if let Err(failure) = done {
            page.post(&FromWorker::Failed(failure));
        }
    });
    port.set_onmessage(Some(on_results.as_ref().unchecked_ref()));
    PORT_HANDLERS.with(|h| h.borrow_mut().push(on_results));
}

/// Posts one part on `port` as `{ parts }` (and `files`, when given), transferring its buffer.
pub(super) fn post_on_port(
    port: &MessagePort,
    part: Vec<u8>,
    files: Option<&Array>,
) -> Result<(), Failure> {
    let (arrays, buffers) = part_arrays(vec![part]);
    let message = js_sys::Object::new();
    let _ = Reflect::set(&message, &PARTS_KEY.into(), &arrays);
    if let Some(files) = files {
        let _ = Reflect::set(&message, &FILES_KEY.into(), files);
    }
    port.post_message_with_transferable(&message, &buffers)
        .map_err(|_| {
            Failure::new(
                FailureKind::WorkerCrashed,
                "the two card readers cannot talk",
            )
        })
}

/// The `File`s that came with a share (a folder's), one for each clip in its order (`None`
/// where the reader had none); `None` for an image's share.
pub(super) fn port_files(data: &JsValue) -> Option<Vec<Option<File>>> {
    let files: Array = Reflect::get(data, &FILES_KEY.into())
        .ok()?
        .dyn_into()
        .ok()?;
    Some(files.iter().map(|f| f.dyn_into::<File>().ok()).collect())
}
