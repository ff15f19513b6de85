//! Messages between the page and its worker. They cross the JS boundary as plain JS objects
//! (`serde-wasm-bindgen`); the `File`s to read ride along as extra properties of the same
//! object, since only the browser's structured clone can carry them.

use dashcard::report::Report;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;

/// What the page asks the worker to do.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    /// Read a card image; the `File` is the message's `file` property.
    OpenImage {
        /// The file's name.
        name: String,
    },
    /// Read a card folder; its `File`s are the message's `files` property, in `paths` order.
    OpenFolder {
        /// The folder's name.
        name: String,
        /// "/"-separated path of each file from the folder root.
        paths: Vec<String>,
        /// Card size, if the user gave it.
        capacity_bytes: Option<u64>,
    },
    /// Simulate a small card and read it as an image.
    OpenSample,
}

/// What the worker tells the page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// The worker is running and waits for a card.
    Ready,
    /// How far the reading is.
    Progress {
        /// The step, in words ("Reading the FAT", "Reading video headers").
        phase: String,
        /// Items done in this step.
        done: u64,
        /// Items in this step, when known.
        total: Option<u64>,
    },
    /// The card from names and the FAT (durations still coming).
    Listed {
        /// The report so far.
        report: Box<Report>,
    },
    /// Everything is read.
    Done {
        /// The complete report.
        report: Box<Report>,
        /// Size of the worker's WebAssembly memory (its peak: it never shrinks), for the
        /// benchmark and for anyone curious.
        memory_bytes: u64,
    },
    /// The card could not be read.
    Failed {
        /// What happened, in one line.
        message: String,
    },
}

/// Serializes a message for `postMessage`.
pub fn to_js<T: Serialize>(message: &T) -> Result<JsValue, String> {
    message
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| format!("cannot pass the message: {e}"))
}

/// Reads a message received from `postMessage`.
pub fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| format!("unreadable message: {e}"))
}
