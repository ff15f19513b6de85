//! Why a clip could not be exported, in words an owner can act on.

use chrono::NaiveDateTime;

/// What went wrong planning or writing a clip. `segment` is always the index of the segment in
/// the slice the caller passed, so the page can name the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum RemuxError {
    /// The range is empty or reversed.
    #[error("the time range is empty: it ends at {end}, not after its start {start}")]
    EmptyRange {
        /// The range's start.
        start: NaiveDateTime,
        /// The range's end.
        end: NaiveDateTime,
    },
    /// No segment has footage inside the range.
    #[error("no recording covers {start} to {end}{detail}")]
    NoSegmentCoversRange {
        /// The range's start.
        start: NaiveDateTime,
        /// The range's end.
        end: NaiveDateTime,
        /// What the segments do cover, e.g. "; the segments run from … to …".
        detail: String,
    },
    /// The video has no keyframe at or before the start, so the first frames could not be
    /// decoded.
    #[error(
        "segment {segment} has no keyframe at or before {at}: its first keyframe is at {first_keyframe}"
    )]
    NoKeyframe {
        /// The segment holding the range's start.
        segment: usize,
        /// The range's start.
        at: NaiveDateTime,
        /// The segment's first keyframe, as a wall-clock time, or "none" when it has none.
        first_keyframe: String,
    },
    /// A track uses a codec the remuxer does not copy.
    #[error(
        "segment {segment}: its {track} track uses the {codec} codec; only H.264 or H.265 video and AAC audio can be exported"
    )]
    UnsupportedCodec {
        /// The segment.
        segment: usize,
        /// `video` or `audio`.
        track: String,
        /// The sample entry type, e.g. `mp4v`.
        codec: String,
    },
    /// A structure the remuxer does not handle (several sample descriptions, external data, …).
    #[error("segment {segment}: {what} is not supported")]
    Unsupported {
        /// The segment.
        segment: usize,
        /// What it has.
        what: String,
    },
    /// A later segment cannot be joined to the first one without re-encoding.
    #[error("segment {segment} cannot be joined to segment {first}: {reason}")]
    IncompatibleSegments {
        /// The first segment of the export.
        first: usize,
        /// The segment that differs.
        segment: usize,
        /// How it differs, e.g. "its video codec configuration (avcC) differs".
        reason: String,
    },
    /// The segment does not start like an MP4 file.
    #[error("segment {segment} is not an MP4 file: it starts with {found}")]
    NotMp4 {
        /// The segment.
        segment: usize,
        /// What it starts with instead.
        found: String,
    },
    /// The segment has no `moov` (its index), so its frames cannot be found.
    #[error("segment {segment} has no moov box (its index was never written): {detail}")]
    NoMoov {
        /// The segment.
        segment: usize,
        /// Where the walk ended.
        detail: String,
    },
    /// A box's fields contradict themselves, their parent or the file.
    #[error("segment {segment}: malformed {box_type} box at offset {offset}: {reason}")]
    Malformed {
        /// The segment.
        segment: usize,
        /// The box type, e.g. `stsc`.
        box_type: String,
        /// Where the box starts in the segment's own bytes.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The segment's bytes end before what its index points to.
    #[error(
        "segment {segment} is truncated: {what} needs bytes up to {needed_end}, but it holds only {bytes} bytes"
    )]
    Truncated {
        /// The segment.
        segment: usize,
        /// What lies past the end, e.g. "sample 1200 of the video track".
        what: String,
        /// The end of the bytes needed.
        needed_end: u64,
        /// The segment's size.
        bytes: u64,
    },
    /// A bound that keeps memory and time in check was reached.
    #[error("too large to export: {what} (the limit is {limit})")]
    TooLarge {
        /// What is too large, e.g. "3,000,000 samples in the segments read".
        what: String,
        /// The limit.
        limit: u64,
    },
    /// [`super::write`] was given segments that are not the ones the plan was made from.
    #[error("segment {segment} changed since the export was planned: {reason}")]
    SegmentsChanged {
        /// The segment.
        segment: usize,
        /// How, e.g. "it holds 100 bytes, the plan expected 200".
        reason: String,
    },
    /// Reading a segment failed (or its bytes ended before its stated size).
    #[error("could not read segment {segment}: {message}")]
    Read {
        /// The segment.
        segment: usize,
        /// The reader's own message.
        message: String,
    },
    /// Writing the output failed (a full disk, a cancelled download).
    #[error("could not write the exported clip: {message}")]
    Write {
        /// The writer's own message.
        message: String,
    },
}

impl RemuxError {
    /// The segment the error is about (an index into the slice given to `plan`), if one.
    pub fn segment(&self) -> Option<usize> {
        match self {
            Self::NoKeyframe { segment, .. }
            | Self::UnsupportedCodec { segment, .. }
            | Self::Unsupported { segment, .. }
            | Self::IncompatibleSegments { segment, .. }
            | Self::NotMp4 { segment, .. }
            | Self::NoMoov { segment, .. }
            | Self::Malformed { segment, .. }
            | Self::Truncated { segment, .. }
            | Self::SegmentsChanged { segment, .. }
            | Self::Read { segment, .. } => Some(*segment),
            _ => None,
        }
    }

    /// A `Malformed` error for box `kind` at `offset` of `segment`.
    pub(crate) fn malformed(
        segment: usize,
        kind: &[u8; 4],
        offset: u64,
        reason: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            segment,
            box_type: fourcc(kind),
            offset,
            reason: reason.into(),
        }
    }
}

/// A box type for messages: printable characters as they are, others as `\xNN`.
pub(crate) fn fourcc(kind: &[u8; 4]) -> String {
    let mut s = String::with_capacity(4);
    for &b in kind {
        if (0x20..0x7f).contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}
