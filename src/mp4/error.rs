//! Why a clip's header could not be read, in words an owner can act on.

/// What went wrong reading an MP4/MOV header. Every message is plain English because it is shown
/// next to the clip it concerns.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum Mp4Error {
    /// The file holds no bytes at all.
    #[error("the file is empty (0 bytes)")]
    Empty,
    /// The first bytes are not an MP4/MOV box.
    #[error("not an MP4 or MOV file: it starts with {found}, not with an ftyp, moov or mdat box")]
    NotMp4 {
        /// What the file starts with instead, e.g. `box type "\x00\x00\x00\x00"`.
        found: String,
    },
    /// The file's boxes end without a `moov` (the index that says how long the clip is).
    #[error(
        "no moov box: the recording was interrupted before its index was written (the camera probably lost power); {detail}"
    )]
    NoMoov {
        /// Where the walk ended, e.g. "the media data (mdat at offset 40) runs to the end of the file".
        detail: String,
    },
    /// A header box needs bytes beyond the end of the file.
    #[error(
        "the file is truncated: the {box_type} box at offset {offset} needs bytes up to {needed_end}, but the file is only {file_bytes} bytes long"
    )]
    Truncated {
        /// Type of the box being read, e.g. `moov`.
        box_type: String,
        /// Where that box starts in the file.
        offset: u64,
        /// The end of the bytes it needs.
        needed_end: u64,
        /// The file's size.
        file_bytes: u64,
    },
    /// A box is larger than any real clip's would be; reading it could exhaust memory.
    #[error(
        "the {box_type} box at offset {offset} claims {bytes} bytes, more than the {limit}-byte limit for a clip's header"
    )]
    BoxTooLarge {
        /// Type of the box, e.g. `moov`.
        box_type: String,
        /// Where it starts in the file.
        offset: u64,
        /// The size it claims.
        bytes: u64,
        /// The largest size accepted.
        limit: u64,
    },
    /// A box's header or fields contradict themselves or their parent.
    #[error("malformed {box_type} box at offset {offset}: {reason}")]
    Malformed {
        /// Type of the box, e.g. `mvhd`.
        box_type: String,
        /// Where it starts in the file.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The file has more structure than any camera writes; the reader stopped rather than read on.
    #[error("gave up reading the header: {reason}")]
    TooComplex {
        /// Which bound was reached.
        reason: String,
    },
    /// The underlying reader failed, or its bytes ended before the stated file size (clusters
    /// that end early).
    #[error("could not read the file: {message}")]
    Io {
        /// The reader's own message.
        message: String,
    },
}

impl Mp4Error {
    /// A `Malformed` error for the box of type `kind` at `offset`.
    pub(crate) fn malformed(kind: &[u8; 4], offset: u64, reason: impl Into<String>) -> Self {
        Self::Malformed {
            box_type: super::boxes::fourcc(kind),
            offset,
            reason: reason.into(),
        }
    }
}
