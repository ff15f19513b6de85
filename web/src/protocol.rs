//! Messages between the page and its workers, and between the two workers that read a card's
//! video headers. Each crosses as `{ message, parts }`: the message in `postcard`'s compact
//! binary form in a `Uint8Array`, and anything large — the card itself, clips, results — as
//! further `postcard` parts in `Uint8Array`s whose buffers are transferred, not copied. The
//! `File`s to read and the `MessagePort`s ride along as extra properties of the same object,
//! since only the browser's structured clone can carry them. One binary form for everything
//! that crosses keeps a single deserializer in the module, which the page and its workers
//! share: JSON parts and JS-object messages took `serde_json`'s and `serde-wasm-bindgen`'s
//! deserializers, and every type's `Deserialize` once for each (README, "Hosting").

use dashcard::catalog::{Catalog, CatalogFile};
use dashcard::encryption::Key;
use dashcard::estimate::{Estimate, Overwrite};
use dashcard::export::time_range::RangeSegment;
use dashcard::listing::{ClipRef, ListedFile, Listing};
use dashcard::remux::TimeRange;
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// What the page asks a worker to do. The owner's camera key, when given, rides in the
/// request (a [`Key`] never prints itself); the worker keeps it for that job only.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum ToWorker {
    /// Read a card image (the message's `file`), answering [`FromWorker::Overview`] once
    /// listed, [`FromWorker::Sharing`] (how many helpers have a share), then
    /// [`FromWorker::Card`] twice: listed, with its files, and complete. On the other end of
    /// each of its `ports` (an array of `MessagePort`s) a helper waits for a share of the video
    /// headers to read.
    OpenImage {
        /// The file's name.
        name: String,
        /// The owner's key for clips the factory default key does not open.
        key: Option<Key>,
    },
    /// Read a card folder: list it from its files' names, sizes and times, and show it; its
    /// `File`s follow in a [`ToWorker::FolderFiles`] (passing ~10,000 `File`s to a worker takes
    /// seconds, which the overview need not wait for). As for an image, on the other end of
    /// each of its `ports` a helper waits for a share of the video headers (with their files).
    OpenFolder {
        /// The folder's name.
        name: String,
        /// "/"-separated path of each file from the folder root.
        paths: Vec<String>,
        /// Each file's size, in `paths` order.
        sizes: Vec<u64>,
        /// Each file's modification time as the browser reports it (ms since 1970), in `paths`
        /// order.
        modified_ms: Vec<f64>,
        /// Card size, if the user gave it.
        capacity_bytes: Option<u64>,
        /// The owner's key for clips the factory default key does not open.
        key: Option<Key>,
    },
    /// The `File`s of the folder just opened, in its `paths` order, as the message's `files`
    /// property: its video headers are read from them.
    FolderFiles,
    /// Simulate a sample card and read it as an image. A real MP4 for its clips may come as
    /// the one part (see `assets/`).
    OpenSample {
        /// Which camera the sample is.
        sample: Sample,
    },
    /// Be the helper of the worker on the other end of `port`: read the video headers of the
    /// clips it sends — of the image `file`, or of a folder from the `File`s that come with
    /// the clips (then no `file` is attached) — and send back what they said.
    HelpWithHeaders {
        /// The owner's key, as for the card.
        key: Option<Key>,
    },
    /// Digest files (CRC-32 and SHA-256) for an export: the clips (an array of
    /// [`ExportClip`], the one part) of the image attached as `file`, or, for a folder, the
    /// `File`s attached as `files` in the same order. Answered by [`FromWorker::Digests`].
    Digest {
        /// The owner's key, for clips the camera encrypted.
        key: Option<Key>,
    },
    /// Decrypt one clip (an [`ExportClip`], the one part) of the image `file` or the folder
    /// `files` (one) into a `Blob`, for the player. Answered by [`FromWorker::Decrypted`].
    Decrypt {
        /// The owner's key, when the factory default does not open it.
        key: Option<Key>,
    },
    /// Export a time range of one camera as one MP4: the segments (an array of
    /// [`ClipSegment`], the one part) of the image `file`, or the folder `files` in the same
    /// order. Answered by progress, then [`FromWorker::Clipped`] or [`FromWorker::ClipFailed`].
    Clip {
        /// The range (camera local time).
        range: TimeRange,
        /// The owner's key, for segments the camera encrypted.
        key: Option<Key>,
    },
}

/// One segment of a time-range export: where its bytes are, when it starts, what it is called.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClipSegment {
    /// Its bytes (`index` is its place in the request).
    pub clip: ClipRef,
    /// Which file and when its first frame was recorded.
    pub segment: RangeSegment,
    /// Its path on the card.
    pub path: String,
}

/// The sample cards the page offers.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Sample {
    /// A Nexar Pro (first generation) on a 4 GB card.
    Pro,
    /// A Nexar N1 (the newer generation) on an 8 GB card.
    N1,
}

/// A file to export or decrypt: where its bytes are, and whether the camera encrypted it
/// (then its plaintext is what is digested, archived and played).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExportClip {
    /// Its bytes.
    pub clip: ClipRef,
    /// Decrypt it on the way out.
    pub decrypt: bool,
}

/// What a worker tells the page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum FromWorker {
    /// The worker is running and waits for work.
    Ready,
    /// How far the work is.
    Progress {
        /// The step, in words ("Reading the FAT", "Reading video headers").
        phase: String,
        /// Items done in this step.
        done: u64,
        /// Items in this step, when known.
        total: Option<u64>,
    },
    /// The card's head alone (see [`head_part`]), the one part: sent as soon as it is listed,
    /// before its files are encoded (which took the worker ~50 ms of the overview's time on a
    /// 256 GB card); a [`FromWorker::Card`] with its files follows.
    Overview {
        /// Size of the worker's WebAssembly memory (its peak: it never shrinks).
        memory_bytes: u64,
    },
    /// The card: its head (what the overview needs) as the first part, its files in the parts
    /// after (see [`card_parts`]).
    Card {
        /// Every video header is read: this is the card complete.
        complete: bool,
        /// Size of the worker's WebAssembly memory (its peak: it never shrinks).
        memory_bytes: u64,
    },
    /// How many helpers the reader hands a share of the video headers to (sent before the
    /// listed card with its files; an image's right after its overview): the page starts that
    /// many once the overview shows and this has come, none on a card of few clips.
    Sharing {
        /// Helpers with a share, at most one for each port the reader was given.
        helpers: u32,
    },
    /// The card's GPS and motion telemetry (a `CardTelemetry`, the one part), read
    /// from the sidecar logs once the card is complete.
    Telemetry,
    /// The helper sent its results over the port and has nothing more to do.
    HelperDone {
        /// Size of the helper's WebAssembly memory.
        memory_bytes: u64,
    },
    /// The digests asked for: an array of `[index, FileDigest]` as the first part; the
    /// second, an array of the decrypted files as `Blob`s (in clip order; `null` for files
    /// taken out as they are).
    Digests,
    /// The decrypted clip, as a `Blob`, the one part.
    Decrypted,
    /// The exported time range: a [`RangeExport`] as the first part, the MP4 as a
    /// `Blob` the second.
    Clipped {
        /// Size of the worker's WebAssembly memory after the export (its peak).
        memory_bytes: u64,
    },
    /// The time range could not be exported.
    ClipFailed {
        /// Why, in one line.
        message: String,
    },
    /// Decrypting failed: no key at hand opens the clip, or its bytes cannot be read.
    DecryptFailed {
        /// What happened, in one line (never the key).
        message: String,
    },
    /// Digesting an export failed (the card itself is fine).
    DigestFailed {
        /// What happened, in one line.
        message: String,
    },
    /// The work failed.
    Failed(Failure),
}

/// Why something failed, as a kind the page turns into words, and the detail.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Failure {
    /// What kind of failure it is.
    pub kind: FailureKind,
    /// What happened, in one line.
    pub message: String,
}

/// The kinds of failure a card can end in.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum FailureKind {
    /// The bytes are not a card Dashcard can read (damaged, truncated, not a card).
    Unreadable,
    /// A card in a file system Dashcard does not read (NTFS).
    NotSupported(String),
    /// The browser did not give access.
    Permission,
    /// A folder that cannot be listed, or holds nothing.
    FolderUnreadable,
    /// The worker reading the card stopped or never started.
    WorkerCrashed,
}

impl Failure {
    /// A failure of `kind`.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// A message in its binary form, as a `Uint8Array` for `postMessage`.
pub fn to_js<T: Serialize>(message: &T) -> Result<JsValue, String> {
    let bytes =
        postcard::to_allocvec(message).map_err(|e| format!("cannot pass the message: {e}"))?;
    Ok(js_sys::Uint8Array::from(bytes.as_slice()).into())
}

/// Reads a message made by [`to_js`].
pub fn from_js<T: for<'de> Deserialize<'de>>(value: JsValue) -> Result<T, String> {
    let bytes = value
        .dyn_into::<js_sys::Uint8Array>()
        .map_err(|_| "unreadable message: not bytes".to_string())?
        .to_vec();
    postcard::from_bytes(&bytes).map_err(|e| format!("unreadable message: {e}"))
}

/// How a message crosses: `{ message, parts }`, where `message` is the [`ToWorker`] or
/// [`FromWorker`] made by [`to_js`] and `parts` are `postcard` bytes in `Uint8Array`s whose
/// buffers are *transferred*. As one JS object graph, a 24,000-file card took the page ~50 ms
/// to convert and ~25 ms to clone; as bytes it costs almost nothing to receive, and the page
/// parses one part per task.
pub const MESSAGE_KEY: &str = "message";
/// See [`MESSAGE_KEY`].
pub const PARTS_KEY: &str = "parts";

/// Files per part: parsing one part on the page takes well under the 50 ms a task may take.
pub const FILES_PER_PART: usize = 500;

/// What the overview needs of a card: the listing, catalog and estimate without their
/// per-file entries.
pub type CardHead = (Listing, Catalog, Estimate);

/// A run of files: as listed, as catalogued, and their fates.
pub type FilesPart = (Vec<ListedFile>, Vec<CatalogFile>, Vec<Overwrite>);

/// The card as parts, each handed to `part` as it is made (the worker moves it out of its
/// WebAssembly memory at once: a 256 GB card's ~30 parts, held together, were that memory's
/// peak): its head, then its files [`FILES_PER_PART`] at a time.
pub fn card_parts(
    listing: &Listing,
    catalog: &Catalog,
    estimate: &Estimate,
    mut part: impl FnMut(Vec<u8>),
) -> Result<(), String> {
    part(head_part(listing, catalog, estimate)?);
    let (l, c, f) = (&listing.files, &catalog.files, &estimate.files);
    let mut at = 0;
    while at < l.len() {
        let end = (at + FILES_PER_PART).min(l.len());
        // Serialized from slices, parsed on the page as a `FilesPart`.
        part(encode_part(&(
            &l[at..end],
            c.get(at..end).unwrap_or_default(),
            f.get(at..end).unwrap_or_default(),
        ))?);
        at = end;
    }
    Ok(())
}

/// The card's head (a [`CardHead`]) as one part: what the overview needs.
pub fn head_part(
    listing: &Listing,
    catalog: &Catalog,
    estimate: &Estimate,
) -> Result<Vec<u8>, String> {
    encode_part(&(
        listing.without_files(),
        catalog.without_files(),
        estimate.without_files(),
    ))
}

/// A value as one part (`postcard`).
pub fn encode_part<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_allocvec(value).map_err(|e| format!("cannot pass the data: {e}"))
}

/// Parses a part made by [`encode_part`].
pub fn parse_part<T: for<'de> Deserialize<'de>>(part: &[u8]) -> Result<T, String> {
    postcard::from_bytes(part).map_err(|e| format!("unreadable data: {e}"))
}
