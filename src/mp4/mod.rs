//! MP4/MOV header reading: duration, creation time and picture size from `moov`, in about two
//! reads per clip and without touching the media payload.
//!
//! Dash cams write `moov` *after* a media payload (`mdat`) of several hundred MB, so the
//! top-level walk follows box sizes (32-bit, 64-bit `largesize`, 0 = "to the end of the file")
//! from one box header to the next until it reaches `moov`, then reads only the movie header and
//! the first tracks' header boxes that open it. Every read goes through a small bounded reader
//! (`source`) that fetches one chunk ahead of the field it needs, because each read call costs
//! about the same whatever its size.
//!
//! **Why not a crate.** `mp4parse` 0.17 keeps `mvhd` private (no creation time, no movie
//! duration) and, like the `mp4` crate (which does expose them but pulls `bytes`, `num-rational`,
//! `serde_json` and a second `thiserror`, and has a record of panics and huge allocations on
//! fuzzed input), parses the whole `moov` including its sample tables from a reader positioned at
//! the file's start, so neither works from the few header bytes read here; the six fixed-layout
//! boxes needed are decoded by hand in `fields`, with every length checked.
//!
//! Every bad input gets an [`Mp4Error`]: a clip whose `moov` is missing (the camera lost power
//! mid-recording) is [`Mp4Error::NoMoov`], and all loops and reads are bounded.

mod boxes;
mod error;
mod fields;
mod moov;
mod source;

use std::io::{Read, Seek};

use chrono::NaiveDateTime;

use boxes::{fourcc, is_printable, read_box_header};
pub use error::Mp4Error;
use source::Source;

/// Largest `moov` accepted. A one-hour 60 fps clip's index is a few MiB; anything near this
/// is damage, and refusing it keeps a lying size from steering the reader.
pub const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// Most top-level boxes walked before `moov` (fragmented files have a pair per fragment).
const MAX_TOP_LEVEL_BOXES: usize = 1024;

/// Types a real MP4/MOV file can start with; anything else is not a clip.
const FIRST_BOX_TYPES: [&[u8; 4]; 13] = [
    b"ftyp", b"styp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"pdin",
    b"sidx", b"moof", b"junk",
];

/// What a clip's header says.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Mp4Info {
    /// Length in seconds: `mvhd`'s duration; for fragmented files (where that is 0) the `mehd`
    /// fragment duration or else the longest track's; `None` when nothing says.
    pub duration_s: Option<f64>,
    /// `mvhd` creation time as the camera's local wall-clock time. The standard says UTC, but
    /// cameras write their local clock, so it is returned naive, unshifted. `None` when 0 or
    /// outside 1970..2100 (an unset clock, or a writer that counted from 1970, not 1904).
    pub created: Option<NaiveDateTime>,
    /// Picture width of the first video track (`tkhd` display size, rounded from 16.16 fixed
    /// point; the sample entry's coded size when `tkhd` gives none).
    pub width: Option<u32>,
    /// Picture height of the first video track, as for `width`.
    pub height: Option<u32>,
    /// Offset of the `moov` box in the file.
    pub moov_offset: u64,
    /// Size of the `moov` box in bytes.
    pub moov_bytes: u64,
    /// `moov` comes after the media payload (how cameras write; "faststart" files have it first).
    pub moov_at_end: bool,
    /// The `ftyp` major brand with trailing spaces trimmed (`isom`, `mp42`, `qt`); `None` without
    /// `ftyp` (older QuickTime files).
    pub major_brand: Option<String>,
}

/// Reads the header of the MP4/MOV file `file` of `file_bytes` bytes (its own bytes: an
/// [`crate::extent::ExtentReader`] over its extents in a card image, or a host file).
///
/// In the usual cases this costs two read calls of at most 8 KiB each: one at the start (which
/// shows `ftyp` and the `mdat` header, or the whole start of `moov` for faststart files), one at
/// `moov`. More only when `moov` opens with other boxes or the first track is not video.
pub fn read_header<S: Read + Seek>(file: &mut S, file_bytes: u64) -> Result<Mp4Info, Mp4Error> {
    if file_bytes == 0 {
        return Err(Mp4Error::Empty);
    }
    let mut src = Source::new(file, file_bytes);
    check_first_box(&mut src)?;
    let mut major_brand = None;
    let mut first_mdat: Option<u64> = None;
    let mut pos = 0u64;
    for index in 0..MAX_TOP_LEVEL_BOXES {
        let Some(header) = read_box_header(&mut src, pos, file_bytes)? else {
            return Err(Mp4Error::NoMoov {
                detail: format!("the file's {index} boxes end without one"),
            });
        };
        if header.to_end && header.kind == [0; 4] && index > 0 {
            // Zeros where the next box should start: space the camera reserved (or the card's
            // clusters) but never wrote, as when recording stopped before moov.
            return Err(Mp4Error::NoMoov {
                detail: format!(
                    "the file holds only zeros from offset {pos}, where the next box should start"
                ),
            });
        }
        if !is_printable(&header.kind) {
            return Err(Mp4Error::malformed(
                &header.kind,
                pos,
                "its type is not four printable characters: the size of the box before it is probably wrong",
            ));
        }
        match &header.kind {
            b"moov" => {
                if header.end > file_bytes {
                    return Err(Mp4Error::Truncated {
                        box_type: "moov".to_string(),
                        offset: pos,
                        needed_end: header.end,
                        file_bytes,
                    });
                }
                if header.bytes() > MAX_MOOV_BYTES {
                    return Err(Mp4Error::BoxTooLarge {
                        box_type: "moov".to_string(),
                        offset: pos,
                        bytes: header.bytes(),
                        limit: MAX_MOOV_BYTES,
                    });
                }
                src.limit_reads_to(header.end);
                let summary = moov::read_moov(&mut src, &header)?;
                return Ok(Mp4Info {
                    duration_s: summary.duration_s,
                    created: summary.created,
                    width: summary.width,
                    height: summary.height,
                    moov_offset: pos,
                    moov_bytes: header.bytes(),
                    moov_at_end: first_mdat.is_some_and(|m| m < pos),
                    major_brand,
                });
            }
            b"ftyp" if major_brand.is_none() && header.content_bytes() >= 4 => {
                let brand = boxes::fourcc_at(src.bytes(b"ftyp", header.content, 4)?, 0);
                major_brand = Some(fourcc(&brand).trim_end().to_string());
            }
            b"mdat" => {
                first_mdat.get_or_insert(pos);
            }
            _ => {}
        }
        if header.to_end || header.end > file_bytes {
            return Err(Mp4Error::NoMoov {
                detail: ends_inside(&header, file_bytes),
            });
        }
        pos = header.end;
    }
    Err(Mp4Error::TooComplex {
        reason: format!("more than {MAX_TOP_LEVEL_BOXES} top-level boxes before moov"),
    })
}

/// Refuses files that do not open with a box an MP4/MOV file can start with.
fn check_first_box<S: Read + Seek>(src: &mut Source<'_, S>) -> Result<(), Mp4Error> {
    let file_bytes = src.file_bytes();
    if file_bytes < 8 {
        return Err(Mp4Error::NotMp4 {
            found: format!("only {file_bytes} bytes"),
        });
    }
    let head = src.bytes(b"????", 0, 8)?;
    let kind = boxes::fourcc_at(head, 4);
    if FIRST_BOX_TYPES.contains(&&kind) {
        return Ok(());
    }
    let found = if head.iter().all(|&b| b == 0) {
        "zero bytes (its clusters were allocated but never written)".to_string()
    } else {
        format!("\"{}\"", fourcc(&kind))
    };
    Err(Mp4Error::NotMp4 { found })
}

/// Why the walk ended at `last`, the box that reaches the end of the file.
fn ends_inside(last: &boxes::BoxHeader, file_bytes: u64) -> String {
    let what = if last.kind == *b"mdat" {
        format!("the media data (mdat at offset {})", last.offset)
    } else {
        format!("the {} box at offset {}", fourcc(&last.kind), last.offset)
    };
    if last.to_end {
        format!("{what} runs to the end of the file: its size was never written")
    } else {
        format!(
            "{what} claims {} bytes but the file ends {} bytes after its start",
            last.bytes(),
            file_bytes - last.offset
        )
    }
}
