//! The page's side of one worker: starts it (a module worker running the page's own
//! WebAssembly module, see `web/worker-boot.js`), sends it
//! requests, and hands every answer to whoever holds it now — a card being read, an export
//! queue, or the pool that keeps it spare. Dropping it terminates the worker, so nothing of an
//! old card lingers.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, File, MessageEvent, MessagePort, Worker};

use dashcard::encryption::Key;

use crate::protocol::{
    Failure, FailureKind, FromWorker, MESSAGE_KEY, PARTS_KEY, Sample, ToWorker, encode_part,
    from_js, to_js,
};

/// How long a worker may take to start before it counts as failed.
const START_TIMEOUT_MS: u32 = 30_000;

/// The worker's start script, relative to the page (so any sub-path works).
const WORKER_BOOT: &str = "worker-boot.js";

/// The worker's start script and the page's own module (its JS glue and wasm, the URLs Trunk
/// hashed into the page's `<script data-js data-wasm>`), all made absolute against the page so
/// the worker resolves them as the page does.
fn worker_urls() -> Result<(String, js_sys::Object), JsValue> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| JsValue::from_str("no document"))?;
    let base = document.base_uri()?.unwrap_or_default();
    let script = document
        .query_selector("script[data-js][data-wasm]")?
        .ok_or_else(|| JsValue::from_str("the page's start script is missing"))?;
    let module = Object::new();
    for (attr, key) in [("data-js", "js"), ("data-wasm", "wasm")] {
        let relative = script.get_attribute(attr).unwrap_or_default();
        let url = web_sys::Url::new_with_base(&relative, &base)?.href();
        Reflect::set(&module, &key.into(), &url.into())?;
    }
    Ok((
        web_sys::Url::new_with_base(WORKER_BOOT, &base)?.href(),
        module,
    ))
}

/// Who hears a worker's answers: each message, with the JS array of parts that rides along.
pub type Handler = Rc<dyn Fn(FromWorker, Option<Array>)>;

/// Requests sent before the worker said it is ready wait here: until its WebAssembly has
/// started, a message would reach no handler and be lost.
#[derive(Default)]
struct Outbox {
    ready: bool,
    waiting: Vec<(JsValue, Array)>,
}

/// A running worker and the handlers that keep its answers flowing.
pub struct CardWorker {
    worker: Worker,
    outbox: Rc<RefCell<Outbox>>,
    handler: Rc<RefCell<Handler>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    /// Fails the worker if it has not said it is ready in time (a WebAssembly module that
    /// cannot be fetched or started fires no error event on the `Worker`).
    _start_timeout: gloo_timers::callback::Timeout,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

fn crashed(message: String) -> FromWorker {
    FromWorker::Failed(Failure::new(FailureKind::WorkerCrashed, message))
}

impl CardWorker {
    /// Starts a worker; its answers go to `handler` until [`CardWorker::hand_to`] says
    /// otherwise.
    pub fn spawn(handler: Handler) -> Result<Self, Failure> {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        // The first message tells the start script where the module is.
        let worker = worker_urls()
            .and_then(|(url, module)| {
                let worker = Worker::new_with_options(&url, &options)?;
                // The page's compiled module, so the worker need not fetch and compile it again
                // (a browser that cannot pass it on gets the URL alone).
                let compiled = wasm_bindgen::module();
                if !compiled.is_instance_of::<js_sys::WebAssembly::Module>()
                    || Reflect::set(&module, &"compiled".into(), &compiled).is_err()
                    || worker.post_message(&module).is_err()
                {
                    let _ = Reflect::delete_property(&module, &"compiled".into());
                    worker.post_message(&module)?;
                }
                Ok(worker)
            })
            .map_err(|e| {
                Failure::new(
                    FailureKind::WorkerCrashed,
                    format!(
                        "this browser could not start the page's worker ({})",
                        describe(&e)
                    ),
                )
            })?;
        let handler = Rc::new(RefCell::new(handler));
        let outbox = Rc::new(RefCell::new(Outbox::default()));
        // The handler is taken out before each call, so a handler may hand the worker on.
        let current = {
            let handler = handler.clone();
            move || handler.borrow().clone()
        };
        let answer = current.clone();
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
                    for (message, transfer) in waiting {
                        if let Err(e) = sender.post_message_with_transfer(&message, &transfer) {
                            let message =
                                format!("cannot pass the card to the reader: {}", describe(&e));
                            answer()(crashed(message), None);
                        }
                    }
                    answer()(FromWorker::Ready, None);
                }
                Ok(message) => answer()(message, parts),
                Err(message) => answer()(crashed(message), None),
            }
        });
        let started = outbox.clone();
        let late = current.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let reason = if event.message().is_empty() {
                "no reason given".to_string()
            } else {
                event.message()
            };
            current()(
                crashed(format!("the card reader stopped unexpectedly ({reason})")),
                None,
            );
        });
        let start_timeout = gloo_timers::callback::Timeout::new(START_TIMEOUT_MS, move || {
            if !started.borrow().ready {
                late()(
                    crashed("the card reader did not start (its WebAssembly could not be loaded); reload the page".to_string()),
                    None,
                );
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            outbox,
            handler,
            _on_message: on_message,
            _start_timeout: start_timeout,
            _on_error: on_error,
        })
    }

    /// From now on, answers go to `handler`.
    pub fn hand_to(&self, handler: Handler) {
        *self.handler.borrow_mut() = handler;
    }

    /// Sends `request` with `extra` properties (files, ports, parts), transferring `transfer`.
    fn send(
        &self,
        request: &ToWorker,
        extra: &[(&str, &JsValue)],
        transfer: Array,
    ) -> Result<(), Failure> {
        let cannot = |e: JsValue| {
            Failure::new(
                FailureKind::WorkerCrashed,
                format!("cannot pass the card to the reader: {}", describe(&e)),
            )
        };
        let bytes = to_js(request).map_err(|e| cannot(e.into()))?;
        let object = Object::new();
        Reflect::set(&object, &MESSAGE_KEY.into(), &bytes).map_err(cannot)?;
        for (key, value) in extra {
            Reflect::set(&object, &(*key).into(), value).map_err(cannot)?;
        }
        let message: JsValue = object.into();
        let mut outbox = self.outbox.borrow_mut();
        if !outbox.ready {
            outbox.waiting.push((message, transfer));
            return Ok(());
        }
        self.worker
            .post_message_with_transfer(&message, &transfer)
            .map_err(cannot)
    }

    /// Reads a card image; the helper on the other end of each of `ports` reads a share of its
    /// headers.
    pub fn open_image(
        &self,
        file: &File,
        ports: &[MessagePort],
        key: Option<Key>,
    ) -> Result<(), Failure> {
        let ports: Array = ports.iter().collect();
        self.send(
            &ToWorker::OpenImage {
                name: file.name(),
                key,
            },
            &[("file", file.as_ref()), ("ports", ports.as_ref())],
            ports.clone(),
        )
    }

    /// Reads the image `file`'s video headers that the worker on the other end of `port` sends.
    pub fn help_with_headers(
        &self,
        file: &File,
        port: &MessagePort,
        key: Option<Key>,
    ) -> Result<(), Failure> {
        self.send(
            &ToWorker::HelpWithHeaders { key },
            &[("file", file.as_ref()), ("port", port.as_ref())],
            Array::of1(port),
        )
    }

    /// Reads a card folder from its files and their paths: first their names, sizes and times
    /// (`stats`, in the files' order: the overview), then the files themselves (the video headers).
    pub fn open_folder(
        &self,
        name: &str,
        files: &[(String, File)],
        stats: FolderStats,
        key: Option<Key>,
    ) -> Result<(), Failure> {
        let array = Array::new();
        let mut paths = Vec::with_capacity(files.len());
        for (path, file) in files {
            paths.push(path.clone());
            array.push(file);
        }
        let FolderStats { sizes, modified_ms } = stats;
        let request = ToWorker::OpenFolder {
            name: name.to_string(),
            paths,
            sizes,
            modified_ms,
            capacity_bytes: None,
            key,
        };
        self.send(&request, &[], Array::new())?;
        self.send(
            &ToWorker::FolderFiles,
            &[("files", array.as_ref())],
            Array::new(),
        )
    }

    /// Reads a simulated sample card, its clips made of `clip` (a real MP4) when given.
    pub fn open_sample(
        &self,
        sample: Sample,
        clip: Option<&js_sys::Uint8Array>,
    ) -> Result<(), Failure> {
        let request = ToWorker::OpenSample { sample };
        match clip {
            Some(clip) => {
                let parts = Array::of1(clip);
                self.send(&request, &[(PARTS_KEY, parts.as_ref())], Array::new())
            }
            None => self.send(&request, &[], Array::new()),
        }
    }

    /// Sends `request` with `part` and the card's bytes: `image`, or the folder `files`.
    fn send_with_bytes<T: serde::Serialize>(
        &self,
        request: &ToWorker,
        part: &T,
        image: Option<&File>,
        files: &[File],
    ) -> Result<(), String> {
        let part = js_sys::Uint8Array::from(encode_part(part)?.as_slice());
        let parts = Array::of1(&part);
        let folder: Array = files.iter().collect();
        let mut extra: Vec<(&str, &JsValue)> = vec![(PARTS_KEY, parts.as_ref())];
        match image {
            Some(image) => extra.push(("file", image.as_ref())),
            None => extra.push(("files", folder.as_ref())),
        }
        self.send(request, &extra, Array::new())
            .map_err(|f| f.message)
    }

    /// Asks for the digests of `clips` (`ExportClip`s) of `image`, or of the folder
    /// `files` in clip order; encrypted ones are decrypted with `key` or the factory default.
    pub fn digest<T: serde::Serialize>(
        &self,
        clips: &T,
        image: Option<&File>,
        files: &[File],
        key: Option<Key>,
    ) -> Result<(), String> {
        self.send_with_bytes(&ToWorker::Digest { key }, clips, image, files)
    }

    /// Asks for `range` of the segments `segments` (`ClipSegment`s) of `image`, or of the
    /// folder `files` in segment order, as one MP4.
    pub fn clip<T: serde::Serialize>(
        &self,
        segments: &T,
        range: dashcard::remux::TimeRange,
        image: Option<&File>,
        files: &[File],
        key: Option<Key>,
    ) -> Result<(), String> {
        self.send_with_bytes(&ToWorker::Clip { range, key }, segments, image, files)
    }

    /// Asks for the plaintext of one encrypted clip (an `ExportClip`) as a `Blob`.
    pub fn decrypt<T: serde::Serialize>(
        &self,
        clip: &T,
        image: Option<&File>,
        files: &[File],
        key: Option<Key>,
    ) -> Result<(), String> {
        self.send_with_bytes(&ToWorker::Decrypt { key }, clip, image, files)
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

/// A folder's files' sizes and modification times, in the files' order. Asking a `File` from a
/// folder input either is a synchronous call to the browser (it is stat'ed on first use), so
/// the page gathers them a few at a time.
#[derive(Default)]
pub struct FolderStats {
    sizes: Vec<u64>,
    modified_ms: Vec<f64>,
}

impl FolderStats {
    pub fn with_capacity(files: usize) -> Self {
        Self {
            sizes: Vec::with_capacity(files),
            modified_ms: Vec::with_capacity(files),
        }
    }

    /// Adds `file`'s size and time.
    pub fn push(&mut self, file: &File) {
        self.sizes.push(file.size() as u64);
        self.modified_ms.push(file.last_modified());
    }
}
