//! A time range of one camera written as one MP4 (issue #12): the segments [`time_range`]
//! chose, each read as plaintext ([`Plaintext`]), planned and written by the remuxer, with the
//! SHA-256 of what was written taken on the way out. The CLI and the web worker both call
//! [`write_range`]; only where the bytes come from and go to differs.
//!
//! [`time_range`]: super::time_range

use std::io::{Read, Seek, Write};

use serde::{Deserialize, Serialize};

use super::clip_source::Plaintext;
use super::digest::{DigestingWriter, FileDigest};
use super::time_range::RangeSegment;
use crate::clip_header::Keys;
use crate::remux::{self, Progress, RemuxError, RemuxOptions, SegmentInput, Summary, TimeRange};

/// One segment's bytes, as the export reads them.
pub struct RangeSource<R> {
    /// Which file, and its start.
    pub segment: RangeSegment,
    /// Its path on the card (for messages).
    pub path: String,
    /// Its bytes, from its first.
    pub source: R,
    /// Its size.
    pub bytes: u64,
}

/// What was exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RangeExport {
    /// The range asked for.
    pub range: TimeRange,
    /// The remuxer's account: the real start and end, the duration, frames, notes.
    pub summary: ExportSummary,
    /// The source segments used, in output order (their paths on the card).
    pub sources: Vec<String>,
    /// The listing indices of those segments.
    pub files: Vec<usize>,
    /// Some of them were decrypted on the way out.
    pub decrypted: bool,
    /// The exported file's size, CRC-32 and SHA-256.
    pub digest: FileDigest,
}

/// The parts of [`Summary`] a record keeps (it crosses to the page as JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportSummary {
    /// Wall-clock time of the first frame (the keyframe at or before the range's start).
    pub start: chrono::NaiveDateTime,
    /// Wall-clock time just after the last frame.
    pub end: chrono::NaiveDateTime,
    /// Length of the output in seconds.
    pub duration_s: f64,
    /// Video frames shown.
    pub video_frames: usize,
    /// Things worth telling the owner.
    pub notes: Vec<String>,
}

impl From<&Summary> for ExportSummary {
    fn from(s: &Summary) -> Self {
        Self {
            start: s.start,
            end: s.end,
            duration_s: s.duration_s,
            video_frames: s.video_frames,
            notes: s.notes.clone(),
        }
    }
}

/// Why nothing (or not everything) could be exported, in one line naming the file at fault.
fn described(e: &RemuxError, paths: &[String]) -> String {
    match e.segment().and_then(|i| paths.get(i)) {
        Some(path) => format!("{e} (segment {}: {path})", e.segment().unwrap_or(0)),
        None => e.to_string(),
    }
}

/// Plans the export of `range` from `sources` and, once it is known to work, writes it to the
/// writer `open_out` gives (called only then, so a failed plan leaves nothing behind).
/// `progress` hears bytes written of the total.
pub fn write_range<R: Read + Seek, W: Write>(
    sources: Vec<RangeSource<R>>,
    range: TimeRange,
    keys: &Keys,
    open_out: impl FnOnce(u64) -> Result<W, String>,
    progress: impl FnMut(Progress),
) -> Result<(RangeExport, W), String> {
    let mut paths = Vec::with_capacity(sources.len());
    let mut files = Vec::with_capacity(sources.len());
    let mut inputs = Vec::with_capacity(sources.len());
    let mut decrypted = Vec::with_capacity(sources.len());
    for s in sources {
        let plain = Plaintext::open(s.source, keys).map_err(|e| format!("{}: {e}", s.path))?;
        decrypted.push(plain.is_decrypted());
        inputs.push(SegmentInput {
            source: plain,
            bytes: s.bytes,
            start: s.segment.start,
        });
        paths.push(s.path);
        files.push(s.segment.file);
    }
    let plan = remux::plan(&mut inputs, range, &RemuxOptions::default())
        .map_err(|e| described(&e, &paths))?;
    let mut out = DigestingWriter::new(open_out(plan.bytes())?);
    let summary =
        remux::write(&plan, &mut inputs, &mut out, progress).map_err(|e| described(&e, &paths))?;
    let (out, digest) = out.finish();
    let used = &summary.segments;
    let export = RangeExport {
        range,
        summary: ExportSummary::from(&summary),
        sources: used.iter().filter_map(|&i| paths.get(i).cloned()).collect(),
        files: used.iter().filter_map(|&i| files.get(i).copied()).collect(),
        decrypted: used.iter().any(|&i| decrypted.get(i) == Some(&true)),
        digest,
    };
    Ok((export, out))
}
