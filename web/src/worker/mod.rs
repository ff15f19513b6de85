//! The worker: where cards are read, so the page never blocks. Each request is one job, and
//! each job calls one entry point of the core: list an image ([`image`]), list a folder
//! ([`folder`]), help with video headers ([`helper`]; the reader's side is [`shares`]), digest files or decrypt a clip
//! ([`digest`], through [`plaintext`]), export a time range as one MP4 ([`clip`]), simulate a
//! sample card ([`image::open_sample`]).
//! Answers go back as [`FromWorker`] messages. A key that comes with a request serves that job
//! and is dropped with it.

mod announced;
mod clip;
mod digest;
mod folder;
mod helper;
mod image;
mod plaintext;
mod prefetch;
mod shares;

use js_sys::{Array, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, DedicatedWorkerGlobalScope, MessageEvent, MessagePort};

use dashcard::clip_header::Keys;

use crate::protocol::{
    Failure, FailureKind, FromWorker, MESSAGE_KEY, PARTS_KEY, ToWorker, from_js, to_js,
};

/// Names the sample cards go by.
pub use image::{NEWER_SAMPLE_NAME, SAMPLE_NAME};

/// The handler of a `MessagePort` between the two header readers, kept for the life of the
/// worker.
type PortHandler = Closure<dyn FnMut(MessageEvent)>;

/// Progress messages are sent at most this often (ms), so the page is not flooded.
const PROGRESS_EVERY_MS: f64 = 80.0;

/// Installs the message handler on the worker's global scope and says it is ready.
pub fn start() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let page = Page(scope.clone());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Err(failure) = handle(&page, &event.data()) {
            page.post(&FromWorker::Failed(failure));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    Page(scope).post(&FromWorker::Ready);
}

fn handle(page: &Page, data: &JsValue) -> Result<(), Failure> {
    let message = Reflect::get(data, &MESSAGE_KEY.into()).unwrap_or(JsValue::UNDEFINED);
    let request: ToWorker = from_js(message).map_err(unreadable)?;
    match request {
        ToWorker::OpenImage { name, key } => {
            let file = attached::<Blob>(data, "file")?;
            image::open_image(
                page,
                &name,
                file,
                attached_list::<MessagePort>(data, "ports")?,
                &Keys::new(key.as_ref()),
            )
        }
        ToWorker::OpenFolder {
            name,
            paths,
            sizes,
            modified_ms,
            capacity_bytes,
            key,
        } => {
            let keys = Keys::new(key.as_ref());
            let found = folder::Found {
                paths,
                sizes,
                modified_ms,
            };
            let ports = attached_list::<MessagePort>(data, "ports")?;
            folder::open_folder(page, &name, found, capacity_bytes, keys, ports)
        }
        ToWorker::FolderFiles => folder::read_folder(page, attached_list(data, "files")?),
        ToWorker::OpenSample { sample } => image::open_sample(page, sample, first_part(data).ok()),
        ToWorker::HelpWithHeaders { key } => helper::help(
            page,
            attached::<Blob>(data, "file").ok(),
            attached::<MessagePort>(data, "port")?,
            Keys::new(key.as_ref()),
        ),
        ToWorker::Digest { key } => {
            let clips = first_part(data)?;
            let image = attached::<Blob>(data, "file").ok();
            let files = attached_list(data, "files").ok();
            // An export that cannot be read is the export's failure, not the card's.
            let keys = Keys::new(key.as_ref());
            if let Err(message) = digest::digest(page, &clips, image, files, &keys) {
                page.post(&FromWorker::DigestFailed { message });
            }
            Ok(())
        }
        ToWorker::Decrypt { key } => {
            let clip = first_part(data)?;
            let image = attached::<Blob>(data, "file").ok();
            let files = attached_list(data, "files").ok();
            let keys = Keys::new(key.as_ref());
            if let Err(message) = digest::decrypt(page, &clip, image, files, &keys) {
                page.post(&FromWorker::DecryptFailed { message });
            }
            Ok(())
        }
        ToWorker::Clip { range, key } => {
            let segments = first_part(data)?;
            let image = attached::<Blob>(data, "file").ok();
            let files = attached_list(data, "files").ok();
            let keys = Keys::new(key.as_ref());
            if let Err(message) = clip::export(page, &segments, range, image, files, &keys) {
                page.post(&FromWorker::ClipFailed { message });
            }
            Ok(())
        }
    }
}

/// A failure to read the card's bytes.
fn unreadable(message: String) -> Failure {
    Failure::new(FailureKind::Unreadable, message)
}

/// The page, as this worker posts to it.
#[derive(Clone)]
struct Page(DedicatedWorkerGlobalScope);

impl Page {
    fn post(&self, message: &FromWorker) {
        self.post_parts(message, Vec::new());
    }

    /// Posts `{ message, parts }`, transferring the parts' buffers (see [`MESSAGE_KEY`]).
    fn post_parts(&self, message: &FromWorker, parts: Vec<Vec<u8>>) {
        self.post_parts_with(message, parts, &[]);
    }

    /// Posts `{ message, parts }` with `extra` values (`Blob`s, which are passed by
    /// reference, not copied) as further parts after the byte parts.
    fn post_parts_with(&self, message: &FromWorker, parts: Vec<Vec<u8>>, extra: &[&JsValue]) {
        let mut arrays = JsParts::default();
        for part in parts {
            arrays.push(part);
        }
        self.post_js_parts_with(message, arrays, extra);
    }

    /// Posts `{ message, parts }` of parts already in JavaScript memory.
    fn post_js_parts(&self, message: &FromWorker, parts: JsParts) {
        self.post_js_parts_with(message, parts, &[]);
    }

    fn post_js_parts_with(&self, message: &FromWorker, parts: JsParts, extra: &[&JsValue]) {
        let (envelope, buffers) = envelope(message, parts);
        if let Ok(arrays) =
            Reflect::get(&envelope, &PARTS_KEY.into()).and_then(|a| a.dyn_into::<Array>())
        {
            for value in extra {
                arrays.push(value);
            }
        }
        // Posting only fails for values that cannot be cloned, which these plain objects are not.
        let _ = self.0.post_message_with_transfer(&envelope, &buffers);
    }
}

/// `{ message, parts }` and the parts' buffers to transfer.
fn envelope(message: &FromWorker, parts: JsParts) -> (JsValue, Array) {
    let value = to_js(message)
        .or_else(|e| to_js(&FromWorker::Failed(unreadable(e))))
        .unwrap_or(JsValue::NULL);
    let envelope = js_sys::Object::new();
    let _ = Reflect::set(&envelope, &MESSAGE_KEY.into(), &value);
    let _ = Reflect::set(&envelope, &PARTS_KEY.into(), &parts.arrays);
    (envelope.into(), parts.buffers)
}

/// Parts as `Uint8Array`s, each copied out of this worker's WebAssembly memory as it is pushed
/// (its memory never shrinks: parts held there together would stay its size for good), and
/// their buffers to transfer.
#[derive(Default)]
struct JsParts {
    arrays: Array,
    buffers: Array,
}

impl JsParts {
    fn push(&mut self, part: Vec<u8>) {
        let bytes = js_sys::Uint8Array::from(part.as_slice());
        self.buffers.push(&bytes.buffer());
        self.arrays.push(&bytes);
    }
}

/// Parts as `Uint8Array`s, and their buffers to transfer.
fn part_arrays(parts: Vec<Vec<u8>>) -> (Array, Array) {
    let mut arrays = JsParts::default();
    for part in parts {
        arrays.push(part);
    }
    (arrays.arrays, arrays.buffers)
}

/// Throttled progress for a step of `total` items.
struct Progress<'a> {
    page: &'a Page,
    phase: &'a str,
    last_ms: f64,
}

impl<'a> Progress<'a> {
    fn new(page: &'a Page, phase: &'a str) -> Self {
        Self {
            page,
            phase,
            last_ms: 0.0,
        }
    }

    /// Announces a step whose size is not known.
    fn step(page: &Page, phase: &str) {
        page.post(&FromWorker::Progress {
            phase: phase.to_string(),
            done: 0,
            total: None,
        });
    }

    fn tick(&mut self, done: usize, total: usize) {
        let now = js_sys::Date::now();
        if done == total || now - self.last_ms >= PROGRESS_EVERY_MS {
            self.last_ms = now;
            self.page.post(&FromWorker::Progress {
                phase: self.phase.to_string(),
                done: done as u64,
                total: Some(total as u64),
            });
        }
    }
}

/// The step in which video headers are read.
pub(crate) const HEADERS_PHASE: &str = "Reading video headers";

/// The bytes of the first part that came with a message (from the page, or on a port).
fn first_part(data: &JsValue) -> Result<Vec<u8>, Failure> {
    Reflect::get(data, &PARTS_KEY.into())
        .ok()
        .and_then(|p| p.dyn_into::<Array>().ok())
        .and_then(|p| p.get(0).dyn_into::<js_sys::Uint8Array>().ok())
        .map(|a| a.to_vec())
        .ok_or_else(|| unreadable("nothing came with the request".to_string()))
}

/// The object attached to a request as `key`.
fn attached<T: JsCast>(data: &JsValue, key: &str) -> Result<T, Failure> {
    Reflect::get(data, &key.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| unreadable(format!("no {key} came with the request")))
}

/// The list of values (`File`s, `MessagePort`s) attached to a request as `key`.
fn attached_list<T: JsCast>(data: &JsValue, key: &str) -> Result<Vec<T>, Failure> {
    let list: Array = attached(data, key)?;
    Ok(list.iter().filter_map(|f| f.dyn_into().ok()).collect())
}

/// Bytes of this worker's WebAssembly memory.
fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as u64
        })
        .unwrap_or(0)
}
