//! The page's side of the worker: starts it (trunk's classic-worker loader shim), sends it a
//! card, and hands every answer to a callback. Cancelling a read terminates the worker; the
//! next card gets a fresh one, so nothing of the old card lingers.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, File, MessageEvent, Worker};

use crate::protocol::{
    ClipToRead, FromWorker, MESSAGE_KEY, PARTS_KEY, ToWorker, from_js, json_part, to_js,
};

/// How long a worker may take to start before it counts as failed.
const START_TIMEOUT_MS: u32 = 30_000;

/// Where trunk puts the worker's loader, relative to the page (so any sub-path works).
const WORKER_URL: &str = "./worker_loader.js";

/// Requests sent before the worker said it is ready wait here: until its WebAssembly has
/// started, a message would reach no handler and be lost.
#[derive(Default)]
struct Outbox {
    ready: bool,
    waiting: Vec<JsValue>,
}

/// A running worker and the handlers that keep its answers flowing.
pub struct CardWorker {
    worker: Worker,
    outbox: Rc<RefCell<Outbox>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    /// Fails the worker if it has not said it is ready in time (a WebAssembly module that
    /// cannot be fetched or started fires no error event on the `Worker`).
    _start_timeout: gloo_timers::callback::Timeout,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl CardWorker {
    /// Starts a worker; `on_answer` gets each message (with the JS array of file chunks that
    /// rides along with a report), or a `Failed` when it crashes.
    pub fn spawn(on_answer: impl Fn(FromWorker, Option<Array>) + 'static) -> Result<Self, String> {
        let worker = Worker::new(WORKER_URL).map_err(|e| {
            format!(
                "this browser could not start the page's worker ({})",
                describe(&e)
            )
        })?;
        let on_answer = Rc::new(on_answer);
        let answer = on_answer.clone();
        let outbox = Rc::new(RefCell::new(Outbox::default()));
        let flush = outbox.clone();
        let sender = worker.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let parts = Reflect::get(&data, &PARTS_KEY.into())
                .ok()
                .and_then(|f| f.dyn_into::<Array>().ok());
            let message = Reflect::get(&data, &MESSAGE_KEY.into()).unwrap_or(JsValue::UNDEFINED);
            match from_js::<FromWorker>(message) {
                Ok(FromWorker::Ready) => {
                    let waiting = {
                        let mut out = flush.borrow_mut();
                        out.ready = true;
                        std::mem::take(&mut out.waiting)
                    };
                    for message in waiting {
                        if let Err(e) = sender.post_message(&message) {
                            let message =
                                format!("cannot pass the card to the reader: {}", describe(&e));
                            answer(FromWorker::Failed { message }, None);
                        }
                    }
                    answer(FromWorker::Ready, None);
                }
                Ok(message) => answer(message, parts),
                Err(message) => answer(FromWorker::Failed { message }, None),
            }
        });
        let started = outbox.clone();
        let late = on_answer.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            on_answer(
                FromWorker::Failed {
                    message: format!(
                        "the card reader stopped unexpectedly ({})",
                        if event.message().is_empty() {
                            "no reason given".to_string()
                        } else {
                            event.message()
                        }
                    ),
                },
                None,
            );
        });
        let start_timeout = gloo_timers::callback::Timeout::new(START_TIMEOUT_MS, move || {
            if !started.borrow().ready {
                late(
                    FromWorker::Failed {
                        message: "the card reader did not start (its WebAssembly could not be loaded); reload the page".to_string(),
                    },
                    None,
                );
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            outbox,
            _on_message: on_message,
            _start_timeout: start_timeout,
            _on_error: on_error,
        })
    }

    fn send(&self, request: &ToWorker, extra: &[(&str, &JsValue)]) -> Result<(), String> {
        let message = to_js(request)?;
        let object: &Object = message.unchecked_ref();
        for (key, value) in extra {
            Reflect::set(object, &(*key).into(), value)
                .map_err(|e| format!("cannot pass the card to the reader: {}", describe(&e)))?;
        }
        let mut outbox = self.outbox.borrow_mut();
        if !outbox.ready {
            outbox.waiting.push(message);
            return Ok(());
        }
        self.worker
            .post_message(&message)
            .map_err(|e| format!("cannot pass the card to the reader: {}", describe(&e)))
    }

    /// Reads a card image; with `split_headers`, only half of its video headers (a helper
    /// reads the rest).
    pub fn open_image(&self, file: &File, split_headers: bool) -> Result<(), String> {
        self.send(
            &ToWorker::OpenImage {
                name: file.name(),
                split_headers,
            },
            &[("file", file.as_ref())],
        )
    }

    /// Asks for the digests of `clips` (of `image`, or of the folder `files` in clip order).
    pub fn digest(
        &self,
        clips: &[ClipToRead],
        image: Option<&File>,
        files: &[File],
    ) -> Result<(), String> {
        let part = js_sys::Uint8Array::from(json_part(&clips)?.as_slice());
        let parts = Array::of1(&part);
        let folder: Array = files.iter().collect();
        let mut extra: Vec<(&str, &JsValue)> = vec![(PARTS_KEY, parts.as_ref())];
        if let Some(image) = image {
            extra.push(("file", image.as_ref()));
        } else {
            extra.push(("files", folder.as_ref()));
        }
        self.send(&ToWorker::Digest, &extra)
    }

    /// Passes the helper's header results (a part as it came) to the worker holding the card.
    pub fn apply_headers(&self, part: &js_sys::Uint8Array) -> Result<(), String> {
        let parts = Array::of1(part);
        self.send(&ToWorker::ApplyHeaders, &[(PARTS_KEY, parts.as_ref())])
    }

    /// Reads the MP4 headers of `clips` of a card image (the helper's half).
    pub fn read_headers(&self, file: &File, clips: &[ClipToRead]) -> Result<(), String> {
        let part = js_sys::Uint8Array::from(json_part(&clips)?.as_slice());
        let parts = Array::of1(&part);
        self.send(
            &ToWorker::ReadHeaders,
            &[("file", file.as_ref()), (PARTS_KEY, parts.as_ref())],
        )
    }

    /// Reads a card folder from its files and their paths.
    pub fn open_folder(
        &self,
        name: &str,
        files: Vec<(String, File)>,
        capacity_bytes: Option<u64>,
    ) -> Result<(), String> {
        let array = Array::new();
        let mut paths = Vec::with_capacity(files.len());
        for (path, file) in files {
            paths.push(path);
            array.push(&file);
        }
        self.send(
            &ToWorker::OpenFolder {
                name: name.to_string(),
                paths,
                capacity_bytes,
            },
            &[("files", array.as_ref())],
        )
    }

    /// Reads the simulated sample card, its clips made of `clip` (a real MP4) when given.
    pub fn open_sample(&self, clip: Option<&js_sys::Uint8Array>) -> Result<(), String> {
        match clip {
            Some(clip) => {
                let parts = Array::of1(clip);
                self.send(&ToWorker::OpenSample, &[(PARTS_KEY, parts.as_ref())])
            }
            None => self.send(&ToWorker::OpenSample, &[]),
        }
    }
}

impl Drop for CardWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// What a JS error says, in one line.
pub fn describe(e: &JsValue) -> String {
    Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}
