//! The boxes of a clip as the newer Nexar cameras write it (a fragmented MP4, one fragment per
//! one-second GOP), without the media: `ftyp`; a `moov` whose `mvhd` and tracks say 0, with
//! `mvex` (`mehd` on Beam 2K and Zero, patched with the length at close; `trex`) and `udta`
//! (an `AMBA` box, then the `CUST` record: segment start in UTC, serial, software, CRC-32);
//! each fragment's `moof` and `mdat` header; and on a clean close a `free` box ending in the
//! `AMBA` tail (fragment count, per-track duration and frames, CRC-32 with the `mvhd` creation
//! time, validity byte). A clip cut by a power loss keeps its complete fragments and the start
//! of the one being written, has no tail, and its `mehd` still says 0.
//!
//! Written from the firmware's layout (aoni-dvr/nexar_82001: `SvcRecMain.c:866-933`,
//! `Fmp4MuxImpl.c:1994-2082`, `AmbaRbxMP4.c:246-251,519-527`), not from the reader's parsers.

use chrono::{DateTime, Utc};

/// Video timescale (90 kHz, one frame of a 30 fps GOP = 3000).
const VIDEO_TIMESCALE: u32 = 90_000;
/// Audio timescale (48 kHz AAC).
const AUDIO_TIMESCALE: u32 = 48_000;
/// Frames per fragment (a one-second GOP).
const GOP_FRAMES: u32 = 30;

/// Who wrote the clip, as the `CUST` record says.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CameraIdentity {
    /// Serial number.
    pub serial: String,
    /// Firmware version.
    pub software: String,
    /// Firmware build time.
    pub build: String,
}

/// What a fragmented clip's boxes say.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FragmentedClip {
    /// The segment's true start (the `CUST` record's).
    pub start_utc: DateTime<Utc>,
    /// Complete one-second fragments.
    pub fragments: u32,
    /// Picture size.
    pub width: u16,
    /// Picture size.
    pub height: u16,
    /// The model writes a `mehd` box.
    pub mehd: bool,
    /// Closed cleanly (`mehd` patched, tail written); false: cut by a power loss.
    pub closed: bool,
    /// The camera.
    pub camera: CameraIdentity,
}

impl FragmentedClip {
    /// Its length in seconds: its complete fragments.
    pub fn duration_s(&self) -> f64 {
        f64::from(self.fragments)
    }
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(body.len() + 8);
    b.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

fn full(kind: &[u8; 4], version: u8, flags: u32, body: &[u8]) -> Vec<u8> {
    let mut b = vec![version];
    b.extend_from_slice(&flags.to_be_bytes()[1..]);
    b.extend_from_slice(body);
    boxed(kind, &b)
}

fn be32s(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// Seconds since 1904 (the `mvhd` creation time), low 32 bits as the firmware keeps them.
fn mac_time(t: DateTime<Utc>) -> u32 {
    (t.timestamp() + 2_082_844_800) as u32
}

const MATRIX: [u32; 9] = [0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x4000_0000];

fn track(id: u32, handler: &[u8; 4], timescale: u32, size: (u16, u16), when: u32) -> Vec<u8> {
    let mut tkhd = be32s(&[when, when, id, 0, 0, 0, 0]);
    tkhd.extend_from_slice(&[0; 8]);
    tkhd.extend(be32s(&MATRIX));
    tkhd.extend(be32s(&[u32::from(size.0) << 16, u32::from(size.1) << 16]));
    let mut mdhd = be32s(&[when, when, timescale, 0]);
    mdhd.extend_from_slice(&[0x55, 0xC4, 0, 0]);
    let mut hdlr = vec![0; 4];
    hdlr.extend_from_slice(handler);
    hdlr.extend_from_slice(&[0; 12]);
    hdlr.extend_from_slice(b"Ambarella\0");
    let mdia = boxed(
        b"mdia",
        &[full(b"mdhd", 0, 0, &mdhd), full(b"hdlr", 0, 0, &hdlr)].concat(),
    );
    boxed(b"trak", &[full(b"tkhd", 0, 3, &tkhd), mdia].concat())
}

/// The `CUST` record (`UpdateVideoMetadata`).
fn cust(clip: &FragmentedClip) -> Vec<u8> {
    let millis = clip.start_utc.timestamp_subsec_millis();
    let mut body = vec![8u8];
    body.extend_from_slice(&(clip.start_utc.timestamp() as u32).to_be_bytes());
    body.extend_from_slice(&millis.to_be_bytes());
    for s in [
        &clip.camera.serial,
        &clip.camera.software,
        &clip.camera.build,
    ] {
        let bytes = &s.as_bytes()[..s.len().min(255)];
        body.push(bytes.len() as u8);
        body.extend_from_slice(bytes);
    }
    let crc = dashcard::crc32::hash(&body);
    let mut out = ((body.len() + 12) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(b"CUST");
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn moov(clip: &FragmentedClip) -> Vec<u8> {
    let when = mac_time(clip.start_utc);
    let movie_timescale = if clip.mehd { VIDEO_TIMESCALE } else { 1000 };
    let mut mvhd = be32s(&[when, when, movie_timescale, 0, 0x10000]);
    mvhd.extend_from_slice(&[0x01, 0x00]);
    mvhd.extend_from_slice(&[0; 10]);
    mvhd.extend(be32s(&MATRIX));
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&3u32.to_be_bytes());
    let mut mvex = Vec::new();
    if clip.mehd {
        let duration = if clip.closed {
            clip.fragments * VIDEO_TIMESCALE
        } else {
            0
        };
        mvex.extend(full(b"mehd", 0, 0, &duration.to_be_bytes()));
    }
    mvex.extend(full(
        b"trex",
        0,
        0,
        &be32s(&[1, 1, VIDEO_TIMESCALE / GOP_FRAMES, 0, 0]),
    ));
    mvex.extend(full(b"trex", 0, 0, &be32s(&[2, 1, 1024, 0, 0])));
    let udta = boxed(b"udta", &[boxed(b"AMBA", &[0; 16]), cust(clip)].concat());
    boxed(
        b"moov",
        &[
            full(b"mvhd", 0, 0, &mvhd),
            track(1, b"vide", VIDEO_TIMESCALE, (clip.width, clip.height), when),
            track(2, b"soun", AUDIO_TIMESCALE, (0, 0), when),
            boxed(b"mvex", &mvex),
            udta,
        ]
        .concat(),
    )
}

/// Fragment `index`'s `moof` (the video track's one-second GOP).
fn moof(index: u32) -> Vec<u8> {
    let mfhd = full(b"mfhd", 0, 0, &(index + 1).to_be_bytes());
    let tfhd = full(b"tfhd", 0, 0x02_0000, &1u32.to_be_bytes());
    let mut tfdt = Vec::new();
    tfdt.extend_from_slice(&(u64::from(index) * u64::from(VIDEO_TIMESCALE)).to_be_bytes());
    let tfdt = full(b"tfdt", 1, 0, &tfdt);
    // The data offset is patched below once the moof's size is known.
    let trun = full(b"trun", 0, 0x01, &be32s(&[GOP_FRAMES, 0]));
    let traf = boxed(b"traf", &[tfhd, tfdt, trun].concat());
    let mut moof = boxed(b"moof", &[mfhd, traf].concat());
    let len = moof.len();
    moof[len - 4..].copy_from_slice(&(len as u32 + 8).to_be_bytes());
    moof
}

/// The tail (`Fmp4Mux_PutTail`, version 3.1) for the clip's two tracks.
fn tail(clip: &FragmentedClip) -> Vec<u8> {
    let secs = u64::from(clip.fragments);
    let size = 12 + 12 * 2 + 4 + 1;
    let mut t = be32s(&[size, u32::from_be_bytes(*b"AMBA"), clip.fragments]);
    t.extend_from_slice(&(secs * u64::from(VIDEO_TIMESCALE)).to_be_bytes());
    t.extend_from_slice(&(clip.fragments * GOP_FRAMES).to_be_bytes());
    t.extend_from_slice(&(secs * u64::from(AUDIO_TIMESCALE)).to_be_bytes());
    t.extend_from_slice(&((secs * u64::from(AUDIO_TIMESCALE) / 1024) as u32).to_be_bytes());
    let mut covered = t.clone();
    covered.extend_from_slice(&mac_time(clip.start_utc).to_be_bytes());
    t.extend_from_slice(&dashcard::crc32::hash(&covered).to_be_bytes());
    t.push(1);
    t
}

/// The byte runs a clip of `bytes` is made of, as (offset, bytes); the media between them is
/// left unwritten. A closed clip writes its first fragment's header and its tail (all a reader
/// needs); a clip cut by a power loss writes every fragment's header, as only they can tell
/// its length. `None` when `bytes` cannot hold the boxes.
pub fn clip_parts(clip: &FragmentedClip, bytes: u64) -> Option<Vec<(u64, Vec<u8>)>> {
    let head = [boxed(b"ftyp", b"mp42\0\0\0\0mp42isom"), moov(clip)].concat();
    let tail = if clip.closed { tail(clip) } else { Vec::new() };
    let free = if clip.closed {
        8 + tail.len() as u64
    } else {
        0
    };
    let slots = u64::from(clip.fragments) + u64::from(!clip.closed);
    let media = bytes.checked_sub(head.len() as u64 + free)?;
    // A cut clip ends halfway through the fragment being written.
    let slot = if clip.closed {
        media.checked_div(slots.max(1))?
    } else {
        (media * 2).checked_div(2 * slots - 1)?
    };
    let moof_len = moof(0).len() as u64;
    if slots == 0 || slot < moof_len + 8 + 1 {
        return None;
    }
    let mut parts = vec![(0u64, head.clone())];
    let mut at = head.len() as u64;
    for f in 0..slots as u32 {
        let last = u64::from(f) + 1 == slots;
        // A closed clip's last fragment takes the remainder; a cut one claims a whole slot.
        let size = if last && clip.closed {
            bytes - free - at
        } else {
            slot
        };
        let mdat = (size - moof_len) as u32;
        let header = [moof(f), mdat.to_be_bytes().to_vec(), b"mdat".to_vec()].concat();
        if f == 0 || !clip.closed {
            match parts.last_mut() {
                Some((start, data)) if start.saturating_add(data.len() as u64) == at => {
                    data.extend_from_slice(&header)
                }
                _ => parts.push((at, header)),
            }
        }
        at += size;
    }
    if clip.closed {
        let free_at = bytes - free;
        let mut end = (free as u32).to_be_bytes().to_vec();
        end.extend_from_slice(b"free");
        end.extend_from_slice(&tail);
        parts.push((free_at, end));
    }
    Some(parts)
}
