//! The output's `ftyp` and `moov`: a plain progressive MP4 index written before the payload, so
//! the clip plays while it downloads.
//!
//! Leaf boxes are encoded by `mp4-atom` (`mvhd`, `tkhd`, `elst`, `mdhd` and the sample tables);
//! containers are written around them here. What only describes the codec is copied as the
//! camera wrote it: the whole `stsd` (sample description), `hdlr` and `vmhd`/`smhd`.

use chrono::{NaiveDate, NaiveDateTime};
use mp4_atom::{
    BufMut, Co64, Ctts, CttsEntry, Elst, ElstEntry, Encode, FourCC, Ftyp, Mdhd, Mvhd, Smhd, Stco,
    Stsc, StscEntry, Stss, Stsz, StszSamples, Stts, SttsEntry, Vmhd,
};

use super::codec::TrackKind;
use super::copy::Layout;
use super::error::RemuxError;
use super::input::rescale;
use super::timeline::{OutTrack, Timeline};

/// A self-contained data reference (`dinf` > `dref` > `url ` with flag 1: "in this file").
const DINF: [u8; 36] = [
    0, 0, 0, 36, b'd', b'i', b'n', b'f', 0, 0, 0, 28, b'd', b'r', b'e', b'f', 0, 0, 0, 0, 0, 0, 0,
    1, 0, 0, 0, 12, b'u', b'r', b'l', b' ', 0, 0, 0, 1,
];

/// `ftyp`: ISO base media, with the brand of the video codec.
pub(crate) fn ftyp(timeline: &Timeline) -> Result<Vec<u8>, RemuxError> {
    let mut brands: Vec<FourCC> = vec![b"isom".into(), b"iso2".into()];
    if let Some(v) = timeline.tracks.first() {
        let codec = v.source.description.codec;
        brands.push(if codec.starts_with(b"avc") {
            b"avc1".into()
        } else {
            b"hvc1".into()
        });
    }
    brands.push(b"mp41".into());
    let ftyp = Ftyp {
        major_brand: b"isom".into(),
        minor_version: 512,
        compatible_brands: brands,
    };
    let mut out = Vec::new();
    ftyp.encode(&mut out).map_err(encode_error)?;
    Ok(out)
}

/// `moov` for `timeline` whose payload starts at file offset `data_start`, laid out as
/// `layout` says; chunk offsets are 64-bit when `wide`.
pub(crate) fn moov(
    timeline: &Timeline,
    layout: &Layout,
    data_start: u64,
    wide: bool,
) -> Result<Vec<u8>, RemuxError> {
    let created = mp4_seconds(timeline.start);
    let movie_ts = timeline.tracks.first().map_or(1000, |t| t.source.timescale);
    let mut out = Vec::new();
    out.encode_atom(b"moov", |buf| {
        Mvhd {
            creation_time: created,
            modification_time: created,
            timescale: movie_ts,
            duration: u64::try_from(timeline.duration).unwrap_or(0),
            rate: 1.into(),
            volume: 1.into(),
            matrix: Default::default(),
            next_track_id: timeline.tracks.len() as u32 + 1,
        }
        .encode(buf)?;
        for (i, track) in timeline.tracks.iter().enumerate() {
            let chunks = layout.chunks.get(i).map(Vec::as_slice).unwrap_or_default();
            trak(
                buf,
                track,
                i as u32 + 1,
                created,
                movie_ts,
                chunks,
                data_start,
                wide,
            )?;
        }
        Ok(())
    })
    .map_err(encode_error)?;
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn trak(
    buf: &mut Vec<u8>,
    track: &OutTrack,
    id: u32,
    created: u64,
    movie_ts: u32,
    chunks: &[super::copy::Chunk],
    data_start: u64,
    wide: bool,
) -> mp4_atom::Result<()> {
    let ts = track.source.timescale;
    let to_movie = |v: i64| u64::try_from(rescale(v, ts, movie_ts)).unwrap_or(0);
    let empty = to_movie(track.empty);
    let presented = to_movie(track.presented);
    buf.encode_atom(b"trak", |buf| {
        let mut tkhd = track.source.tkhd.clone();
        tkhd.track_id = id;
        tkhd.creation_time = created;
        tkhd.modification_time = created;
        tkhd.duration = empty + presented;
        tkhd.enabled = true;
        tkhd.in_movie = true;
        tkhd.encode(buf)?;
        buf.encode_atom(b"edts", |buf| {
            let mut entries = Vec::new();
            if empty > 0 {
                entries.push(ElstEntry {
                    segment_duration: empty,
                    media_time: None,
                    media_rate: 1.into(),
                });
            }
            entries.push(ElstEntry {
                segment_duration: presented,
                media_time: Some(u64::try_from(track.media_time).unwrap_or(0)),
                media_rate: 1.into(),
            });
            Elst { entries }.encode(buf)
        })?;
        buf.encode_atom(b"mdia", |buf| {
            Mdhd {
                creation_time: created,
                modification_time: created,
                timescale: ts,
                duration: track.media_duration(),
                language: track.source.language.clone(),
            }
            .encode(buf)?;
            buf.append_slice(&track.source.hdlr);
            buf.encode_atom(b"minf", |buf| {
                if !track.source.media_header.is_empty() {
                    buf.append_slice(&track.source.media_header);
                } else if track.source.kind == TrackKind::Video {
                    Vmhd::default().encode(buf)?;
                } else {
                    Smhd::default().encode(buf)?;
                }
                buf.append_slice(&DINF);
                buf.encode_atom(b"stbl", |buf| {
                    sample_tables(buf, track, chunks, data_start, wide)
                })
            })
        })
    })
}

/// `stsd`, `stts`, `ctts`, `stsc`, `stsz`, `stco`/`co64` and `stss`.
fn sample_tables(
    buf: &mut Vec<u8>,
    track: &OutTrack,
    chunks: &[super::copy::Chunk],
    data_start: u64,
    wide: bool,
) -> mp4_atom::Result<()> {
    buf.append_slice(&track.source.description.stsd);
    let samples = &track.samples;
    let mut stts: Vec<SttsEntry> = Vec::new();
    for s in samples {
        match stts.last_mut() {
            Some(e) if e.sample_delta == s.duration => e.sample_count += 1,
            _ => stts.push(SttsEntry {
                sample_count: 1,
                sample_delta: s.duration,
            }),
        }
    }
    Stts { entries: stts }.encode(buf)?;
    if samples.iter().any(|s| s.cts != 0) {
        let mut ctts: Vec<CttsEntry> = Vec::new();
        for s in samples {
            match ctts.last_mut() {
                Some(e) if e.sample_offset == i64::from(s.cts) => e.sample_count += 1,
                _ => ctts.push(CttsEntry {
                    sample_count: 1,
                    sample_offset: i64::from(s.cts),
                }),
            }
        }
        Ctts { entries: ctts }.encode(buf)?;
    }
    let mut stsc: Vec<StscEntry> = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        if stsc.last().is_none_or(|e| e.samples_per_chunk != c.samples) {
            stsc.push(StscEntry {
                first_chunk: i as u32 + 1,
                samples_per_chunk: c.samples,
                sample_description_index: 1,
            });
        }
    }
    Stsc { entries: stsc }.encode(buf)?;
    let first_size = samples.first().map_or(0, |s| s.size);
    let sizes = if !samples.is_empty() && samples.iter().all(|s| s.size == first_size) {
        StszSamples::Identical {
            count: samples.len() as u32,
            size: first_size,
        }
    } else {
        StszSamples::Different {
            sizes: samples.iter().map(|s| s.size).collect(),
        }
    };
    Stsz { samples: sizes }.encode(buf)?;
    let offsets = chunks.iter().map(|c| data_start + c.position);
    if wide {
        Co64 {
            entries: offsets.collect(),
        }
        .encode(buf)?;
    } else {
        Stco {
            entries: offsets.map(|o| o as u32).collect(),
        }
        .encode(buf)?;
    }
    if track.source.kind == TrackKind::Video && samples.iter().any(|s| !s.sync) {
        let entries = samples
            .iter()
            .enumerate()
            .filter(|(_, s)| s.sync)
            .map(|(i, _)| i as u32 + 1)
            .collect();
        Stss { entries }.encode(buf)?;
    }
    Ok(())
}

/// Seconds since 1904-01-01, the MP4 epoch; the time is written as given (see
/// [`super::plan`]).
pub(crate) fn mp4_seconds(t: NaiveDateTime) -> u64 {
    let epoch = NaiveDate::from_ymd_opt(1904, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    epoch.map_or(0, |e| u64::try_from((t - e).num_seconds()).unwrap_or(0))
}

fn encode_error(e: mp4_atom::Error) -> RemuxError {
    RemuxError::TooLarge {
        what: format!("the exported clip's index could not be written: {e}"),
        limit: u64::from(u32::MAX),
    }
}
