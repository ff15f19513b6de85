//! The MP4 boxes a dash cam clip starts and ends with, without the media: `ftyp`, the `mdat`
//! header, and a `moov` whose `mvhd`, `tkhd`, `mdhd` and `hdlr` carry the clip's duration,
//! creation time and picture size.

use chrono::NaiveDateTime;

/// What a synthetic clip's header says.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClipHeader {
    /// Movie duration in seconds (stored in milliseconds).
    pub duration_s: f64,
    /// Creation time, written as the camera's local clock (seconds since 1904).
    pub created: NaiveDateTime,
    /// Picture width.
    pub width: u16,
    /// Picture height.
    pub height: u16,
    /// `moov` after `mdat`, as cameras write it (true), or first ("faststart").
    pub moov_at_end: bool,
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(body.len() + 8);
    b.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

fn mac_time(t: NaiveDateTime) -> u32 {
    let epoch_1904 = chrono::NaiveDate::from_ymd_opt(1904, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    u32::try_from((t - epoch_1904).num_seconds()).unwrap_or(0)
}

const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

/// The `moov` box.
pub fn moov(h: &ClipHeader) -> Vec<u8> {
    let when = mac_time(h.created);
    let ms = (h.duration_s * 1000.0).round().max(0.0) as u32;
    let mut mvhd = Vec::new();
    mvhd.extend_from_slice(&[0; 4]);
    for v in [when, when, 1000, ms, 0x10000] {
        mvhd.extend_from_slice(&v.to_be_bytes());
    }
    mvhd.extend_from_slice(&[0x01, 0x00]); // volume 1.0
    mvhd.extend_from_slice(&[0; 10]);
    MATRIX
        .iter()
        .for_each(|v| mvhd.extend_from_slice(&v.to_be_bytes()));
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&2u32.to_be_bytes()); // next track id

    let mut tkhd = vec![0, 0, 0, 3]; // enabled, in movie
    for v in [when, when, 1, 0, ms, 0, 0] {
        tkhd.extend_from_slice(&v.to_be_bytes());
    }
    tkhd.extend_from_slice(&[0; 8]); // layer, alternate group, volume, reserved
    MATRIX
        .iter()
        .for_each(|v| tkhd.extend_from_slice(&v.to_be_bytes()));
    tkhd.extend_from_slice(&((h.width as u32) << 16).to_be_bytes());
    tkhd.extend_from_slice(&((h.height as u32) << 16).to_be_bytes());

    let mut mdhd = vec![0; 4];
    for v in [
        when,
        when,
        90_000,
        (h.duration_s * 90_000.0).round().max(0.0) as u32,
    ] {
        mdhd.extend_from_slice(&v.to_be_bytes());
    }
    mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]); // language "und"
    let mut hdlr = vec![0; 8];
    hdlr.extend_from_slice(b"vide");
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.extend_from_slice(b"VideoHandler\0");

    let mdia = boxed(
        b"mdia",
        &[boxed(b"mdhd", &mdhd), boxed(b"hdlr", &hdlr)].concat(),
    );
    let trak = boxed(b"trak", &[boxed(b"tkhd", &tkhd), mdia].concat());
    boxed(b"moov", &[boxed(b"mvhd", &mvhd), trak].concat())
}

/// The `ftyp` box.
pub fn ftyp() -> Vec<u8> {
    boxed(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41")
}

/// The byte runs a clip of `bytes` consists of, as (offset in file, bytes); the payload between
/// them is left unwritten (zeros). `None` when the clip is too small to hold its headers.
pub fn clip_parts(h: &ClipHeader, bytes: u64) -> Option<Vec<(u64, Vec<u8>)>> {
    let ftyp = ftyp();
    let moov = moov(h);
    let head = ftyp.len() as u64;
    let tail = moov.len() as u64;
    let mdat_bytes = bytes.checked_sub(head + tail)?;
    let mdat_header = if mdat_bytes > u32::MAX as u64 {
        let mut m = 1u32.to_be_bytes().to_vec();
        m.extend_from_slice(b"mdat");
        m.extend_from_slice(&mdat_bytes.to_be_bytes());
        m
    } else {
        let mut m = (mdat_bytes as u32).to_be_bytes().to_vec();
        m.extend_from_slice(b"mdat");
        m
    };
    if mdat_bytes < mdat_header.len() as u64 {
        return None;
    }
    Some(if h.moov_at_end {
        vec![(0, [ftyp, mdat_header].concat()), (bytes - tail, moov)]
    } else {
        vec![(0, [ftyp, moov, mdat_header].concat())]
    })
}
