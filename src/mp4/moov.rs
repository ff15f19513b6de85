//! The walk inside `moov`: the movie header, then each track's header boxes, stopping as soon
//! as the clip's duration and the first video track's picture size are known, so the sample
//! tables (most of `moov`'s bytes) are never read. A fragmented clip's `moov` holds no sample
//! tables to speak of: it is walked whole, for `mvex` (`mehd`, `trex`) and `udta` (the newer
//! cameras' `CUST` record).

use chrono::NaiveDateTime;

use super::boxes::{BoxHeader, read_child_header};
use super::camera_record::{self, CameraRecord};
use super::error::Mp4Error;
use super::fields::{self, Mdhd, Mvhd, Tkhd};
use super::fragment_fields::{self as ff, Trex};
use super::fragments::VideoTrack;
use super::source::Source;

/// Most children looked at in one box before the walk stops.
const MAX_CHILDREN: usize = 512;
/// Most tracks looked at; cameras write two or three.
const MAX_TRACKS: usize = 64;

/// What `moov` says about the clip. Durations are left for the caller to choose between.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct MoovSummary {
    /// `mvhd`'s duration, when it gives one.
    pub mvhd_duration_s: Option<f64>,
    /// The longest track's own duration (`mdhd`, else `tkhd`).
    pub track_duration_s: Option<f64>,
    pub created: Option<NaiveDateTime>,
    /// `mvhd`'s creation time as stored (the camera's closing tail is checked against it).
    pub creation_time: u64,
    /// `mvhd`'s timescale (`mehd` counts in it).
    pub movie_timescale: u32,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// `mvex` is present: the samples are in fragments after `moov`.
    pub fragmented: bool,
    /// `mvex` holds a `mehd` box (whatever its value): Beam 2K and Zero write one, N1 not.
    pub has_mehd: bool,
    /// `mehd`'s fragment duration, when not 0.
    pub mehd_duration: Option<u64>,
    /// The first video track, as fragments name it.
    pub video_track: Option<VideoTrack>,
    /// Tracks in the clip.
    pub tracks: usize,
    /// The newer cameras' `udta/CUST` record, or why it could not be read.
    pub camera_record: Option<Result<CameraRecord, String>>,
}

/// The header boxes of one track (everything before its sample tables).
#[derive(Clone, Debug, Default)]
struct TrackHead {
    tkhd: Option<Tkhd>,
    mdhd: Option<Mdhd>,
    handler: Option<[u8; 4]>,
    coded_size: Option<(u32, u32)>,
}

impl TrackHead {
    /// A `vide` handler; without any handler, a track with a display size.
    fn is_video(&self) -> bool {
        match self.handler {
            Some(h) => h == *b"vide",
            None => self.display_size().is_some(),
        }
    }

    fn display_size(&self) -> Option<(u32, u32)> {
        self.tkhd
            .map(|t| (t.width, t.height))
            .filter(|&(w, h)| w > 0 && h > 0)
    }

    fn picture_size(&self) -> Option<(u32, u32)> {
        self.display_size()
            .or(self.coded_size.filter(|&(w, h)| w > 0 && h > 0))
    }

    /// From the media header in the track's own timescale, else from the track header in the
    /// movie's.
    fn duration_s(&self, movie_timescale: u32) -> Option<f64> {
        let from_mdhd = self.mdhd.and_then(|m| seconds(m.duration, m.timescale));
        from_mdhd.or_else(|| self.tkhd.and_then(|t| seconds(t.duration, movie_timescale)))
    }
}

fn seconds(duration: Option<u64>, timescale: u32) -> Option<f64> {
    let d = duration?;
    (timescale > 0).then(|| d as f64 / f64::from(timescale))
}

/// What `mvex` says: whether it has `mehd`, its value, and each track's defaults.
#[derive(Default)]
struct Mvex {
    has_mehd: bool,
    mehd_duration: Option<u64>,
    trex: Vec<Trex>,
}

/// Reads the fields Dashcard needs from the `moov` box `moov`. A clip whose `mvhd` gives its
/// length stops at its first video track (its sample tables are never read); a fragmented one
/// (whose `mvhd` says 0) is walked to its end, where `mvex` and `udta` are: all small boxes.
pub(crate) fn read_moov(src: &mut Source<'_>, moov: &BoxHeader) -> Result<MoovSummary, Mp4Error> {
    let mut mvhd: Option<Mvhd> = None;
    let mut video: Option<TrackHead> = None;
    let mut tracks: Vec<TrackHead> = Vec::new();
    let mut mvex: Option<Mvex> = None;
    let mut camera_record = None;
    let mut pos = moov.content;
    let mut finished = false;
    for _ in 0..MAX_CHILDREN {
        let have_duration = mvhd.is_some_and(|m| m.duration.is_some() && m.timescale > 0);
        if have_duration && video.is_some() {
            finished = true;
            break;
        }
        let Some(child) = read_child_header(src, pos, moov)? else {
            finished = true;
            break;
        };
        match &child.kind {
            b"mvhd" if mvhd.is_none() => {
                mvhd = Some(decode(src, &child, fields::MVHD_BYTES, fields::mvhd)?);
            }
            b"trak" if video.is_none() || !have_duration => {
                if tracks.len() >= MAX_TRACKS {
                    return Err(Mp4Error::TooComplex {
                        reason: format!("more than {MAX_TRACKS} tracks in one clip"),
                    });
                }
                let head = read_trak(src, &child, video.is_none())?;
                if video.is_none() && head.is_video() {
                    video = Some(head.clone());
                }
                tracks.push(head);
            }
            b"mvex" => mvex = Some(read_mvex(src, &child)?),
            b"udta" => camera_record = read_udta(src, &child)?,
            _ => {}
        }
        pos = child.end;
    }
    if !finished {
        return Err(Mp4Error::TooComplex {
            reason: format!("more than {MAX_CHILDREN} boxes inside moov"),
        });
    }
    let mvhd = mvhd.ok_or_else(|| {
        Mp4Error::malformed(&moov.kind, moov.offset, "it has no mvhd (movie header)")
    })?;
    let track_duration_s = tracks
        .iter()
        .filter_map(|t| t.duration_s(mvhd.timescale))
        .reduce(f64::max);
    let size = video.as_ref().and_then(TrackHead::picture_size);
    let mvex = mvex.unwrap_or_default();
    let video_track = video.as_ref().and_then(|v| {
        let id = v.tkhd?.track_id;
        Some(VideoTrack {
            id,
            timescale: v.mdhd?.timescale,
            default_duration: mvex
                .trex
                .iter()
                .find(|t| t.track_id == id)
                .map(|t| t.default_duration)
                .filter(|d| *d > 0),
        })
    });
    Ok(MoovSummary {
        mvhd_duration_s: seconds(mvhd.duration, mvhd.timescale),
        track_duration_s,
        created: fields::mp4_time(mvhd.creation_time),
        creation_time: mvhd.creation_time,
        movie_timescale: mvhd.timescale,
        width: size.map(|s| s.0),
        height: size.map(|s| s.1),
        fragmented: !mvex.trex.is_empty() || mvex.has_mehd,
        has_mehd: mvex.has_mehd,
        mehd_duration: mvex.mehd_duration,
        video_track,
        tracks: tracks.len(),
        camera_record,
    })
}

/// Reads up to `max` bytes of `b`'s content and decodes them with `decode`.
fn decode<T>(
    src: &mut Source<'_>,
    b: &BoxHeader,
    max: usize,
    decode: fn(&[u8]) -> Result<T, String>,
) -> Result<T, Mp4Error> {
    let len = b.content_bytes().min(max as u64) as usize;
    let content = src.bytes(&b.kind, b.content, len)?;
    decode(content).map_err(|reason| Mp4Error::malformed(&b.kind, b.offset, reason))
}

/// The first child of `parent` of type `kind`, if any.
fn find_child(
    src: &mut Source<'_>,
    parent: &BoxHeader,
    kind: &[u8; 4],
) -> Result<Option<BoxHeader>, Mp4Error> {
    let mut pos = parent.content;
    for _ in 0..MAX_CHILDREN {
        match read_child_header(src, pos, parent)? {
            Some(child) if child.kind == *kind => return Ok(Some(child)),
            Some(child) => pos = child.end,
            None => break,
        }
    }
    Ok(None)
}

/// A track's `tkhd`, `mdhd` and `hdlr`; with `want_size`, also the first sample entry's size
/// when `tkhd` gives none.
fn read_trak(
    src: &mut Source<'_>,
    trak: &BoxHeader,
    want_size: bool,
) -> Result<TrackHead, Mp4Error> {
    let mut head = TrackHead::default();
    let mut pos = trak.content;
    for _ in 0..MAX_CHILDREN {
        let Some(child) = read_child_header(src, pos, trak)? else {
            break;
        };
        match &child.kind {
            b"tkhd" if head.tkhd.is_none() => {
                head.tkhd = Some(decode(src, &child, fields::TKHD_BYTES, fields::tkhd)?);
            }
            b"mdia" => {
                read_mdia(src, &child, &mut head, want_size)?;
                if head.tkhd.is_some() {
                    break;
                }
            }
            _ => {}
        }
        pos = child.end;
    }
    Ok(head)
}

fn read_mdia(
    src: &mut Source<'_>,
    mdia: &BoxHeader,
    head: &mut TrackHead,
    want_size: bool,
) -> Result<(), Mp4Error> {
    let mut pos = mdia.content;
    for _ in 0..MAX_CHILDREN {
        if head.mdhd.is_some() && head.handler.is_some() {
            break;
        }
        let Some(child) = read_child_header(src, pos, mdia)? else {
            break;
        };
        match &child.kind {
            b"mdhd" => head.mdhd = Some(decode(src, &child, fields::MDHD_BYTES, fields::mdhd)?),
            b"hdlr" => head.handler = Some(decode(src, &child, fields::HDLR_BYTES, fields::hdlr)?),
            _ => {}
        }
        pos = child.end;
    }
    // Rare: a video track whose tkhd leaves the display size at zero. The sample description
    // comes first in the sample table, so this still reads only header bytes.
    let wants_coded_size =
        want_size && head.handler == Some(*b"vide") && head.display_size().is_none();
    if wants_coded_size
        && let Some(minf) = find_child(src, mdia, b"minf")?
        && let Some(stbl) = find_child(src, &minf, b"stbl")?
        && let Some(stsd) = find_child(src, &stbl, b"stsd")?
    {
        head.coded_size = decode(src, &stsd, fields::STSD_BYTES, fields::stsd_picture_size)?;
    }
    Ok(())
}

/// `mvex`: its `mehd` (present or not, and its value) and each track's `trex`.
fn read_mvex(src: &mut Source<'_>, mvex: &BoxHeader) -> Result<Mvex, Mp4Error> {
    let mut out = Mvex::default();
    let mut pos = mvex.content;
    for _ in 0..MAX_CHILDREN {
        let Some(child) = read_child_header(src, pos, mvex)? else {
            break;
        };
        match &child.kind {
            b"mehd" => {
                out.has_mehd = true;
                out.mehd_duration = decode(src, &child, fields::MEHD_BYTES, fields::mehd)?;
            }
            b"trex" if out.trex.len() < MAX_TRACKS => {
                out.trex
                    .push(decode(src, &child, ff::TREX_BYTES, ff::trex)?);
            }
            _ => {}
        }
        pos = child.end;
    }
    Ok(out)
}

/// `udta`: the camera's `CUST` record, when there is one.
fn read_udta(
    src: &mut Source<'_>,
    udta: &BoxHeader,
) -> Result<Option<Result<CameraRecord, String>>, Mp4Error> {
    let Some(cust) = find_child(src, udta, b"CUST")? else {
        return Ok(None);
    };
    if cust.bytes() > camera_record::MAX_RECORD_BYTES as u64 {
        return Ok(Some(Err(format!(
            "the camera's record claims {} bytes, more than any it writes",
            cust.bytes()
        ))));
    }
    let bytes = src.bytes(&cust.kind, cust.offset, cust.bytes() as usize)?;
    Ok(Some(camera_record::parse(bytes)))
}
