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
    /// Read a card image; the `File` is the message's `file` property. With `split_headers`,
    /// read only the first half of the video headers (see `dashcard::scan::split_header_order`)
    /// and answer `Headers`: the page has a second worker read the other half.
    OpenImage {
        /// The file's name.
        name: String,
        /// Whether another worker reads half of the headers.
        split_headers: bool,
    },
    /// What the helper read of the other half of the headers (a JSON array of
    /// [`HeaderResult`] as the one part): apply it to the card read with `split_headers`,
    /// then send the complete card.
    ApplyHeaders,
    /// Digest files (CRC-32 and SHA-256) for an export: the clips ([`ClipToRead`] JSON, the one
    /// part) of the image attached as `file`, or, for a folder, the `File`s attached as
    /// `files` in the same order. Answered by `Digests`.
    Digest,
    /// Read the MP4 headers of these clips of a card image (the `File` is the message's `file`
    /// property; the clips, a JSON array of [`ClipToRead`], its one part) and answer `Headers`.
    ReadHeaders,
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
    /// A real MP4 for its clips may come as the one part (see `assets/sample-clip.mp4`).
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
    /// The card from names and the FAT (durations still coming): the report without its
    /// files rides along as the envelope's one part (see [`MESSAGE_KEY`]); its files follow
    /// in a `Files` message, so the overview can show before they arrive.
    Listed,
    /// The files of the report last sent, as parts of [`FILES_PER_CHUNK`] files.
    Files,
    /// Everything is read; the report rides along as in `Listed`, its files follow.
    Done {
        /// Size of the worker's WebAssembly memory (its peak: it never shrinks), for the
        /// benchmark and for anyone curious.
        memory_bytes: u64,
    },
    /// What the headers of a share of the clips said; the results (a JSON array of
    /// [`HeaderResult`]) ride along as the one part.
    Headers {
        /// Size of the worker's WebAssembly memory.
        memory_bytes: u64,
    },
    /// The digests asked for: a JSON array of `[index, FileDigest]` as the one part.
    Digests,
    /// Digesting an export failed (the card itself is fine).
    DigestFailed {
        /// What happened, in one line.
        message: String,
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

/// How a message crosses: `{ message, parts }`, where `message` is the [`FromWorker`] as a plain
/// JS object and `parts` the report as UTF-8 JSON in `Uint8Array`s whose buffers are
/// *transferred*, not copied. As one JS object graph, a 24,000-file report took the page
/// ~50 ms to convert and ~25 ms to clone; as bytes it costs almost nothing to receive, and the
/// page parses one part per task.
pub const MESSAGE_KEY: &str = "message";
/// See [`MESSAGE_KEY`].
pub const PARTS_KEY: &str = "parts";

/// Files per part: parsing one part on the page takes well under the 50 ms a task may take.
pub const FILES_PER_CHUNK: usize = 500;

/// The report without its files, as UTF-8 JSON.
pub fn head_part(report: &Report) -> Result<Vec<u8>, String> {
    serde_json::to_vec(&report.clone_without_files())
        .map_err(|e| format!("cannot pass the report: {e}"))
}

/// The report's files in chunks of [`FILES_PER_CHUNK`], each UTF-8 JSON.
pub fn file_parts(report: &Report) -> Result<Vec<Vec<u8>>, String> {
    report
        .files
        .chunks(FILES_PER_CHUNK)
        .map(|chunk| serde_json::to_vec(chunk).map_err(|e| format!("cannot pass the files: {e}")))
        .collect()
}

/// Parses a part made by [`head_part`].
pub fn parse_head(part: &[u8]) -> Result<Report, String> {
    serde_json::from_slice(part).map_err(|e| format!("unreadable report: {e}"))
}

/// Parses a part made by [`file_parts`].
pub fn parse_files(part: &[u8]) -> Result<Vec<dashcard::report::FileRecord>, String> {
    serde_json::from_slice(part).map_err(|e| format!("unreadable file list: {e}"))
}

/// A clip whose MP4 header a helper worker reads.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClipToRead {
    /// Index of the file in the report.
    pub index: usize,
    /// Its size.
    pub bytes: u64,
    /// Where its bytes lie in the image.
    pub extents: Vec<dashcard::extent::Extent>,
}

/// What one clip's header said.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HeaderResult {
    /// Index of the file in the report.
    pub index: usize,
    /// Duration from the header.
    pub duration_s: Option<f64>,
    /// The rest of what the header said (or why it could not be read).
    pub video: Option<dashcard::report::VideoInfo>,
}

impl HeaderResult {
    /// What file `index` of `report` now knows from its header.
    pub fn of(report: &Report, index: usize) -> Option<Self> {
        let f = report.files.get(index)?;
        Some(Self {
            index,
            duration_s: f.duration_s,
            video: f.video.clone(),
        })
    }

    /// Writes the result into its file of `report` (as `dashcard::scan::apply_header` does).
    pub fn apply(&self, report: &mut Report) {
        if let Some(f) = report.files.get_mut(self.index) {
            f.duration_s = self.duration_s;
            f.duration_source = self
                .duration_s
                .map(|_| dashcard::catalog::timing::DurationSource::Mp4Header);
            f.video = self.video.clone();
        }
    }
}

/// A value as one UTF-8 JSON part.
pub fn json_part<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    serde_json::to_vec(value).map_err(|e| format!("cannot pass the data: {e}"))
}

/// Parses a part made by [`json_part`].
pub fn parse_part<T: for<'de> Deserialize<'de>>(part: &[u8]) -> Result<T, String> {
    serde_json::from_slice(part).map_err(|e| format!("unreadable data: {e}"))
}
