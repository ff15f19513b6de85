//! One clip's header as the reader records it: read plain, or — when the file does not start
//! with an MP4 box — through the camera's encryption with each key at hand (the owner's first,
//! then the firmware's factory default). A clip no key opens keeps its first bytes, so the
//! catalog can tell "encrypted by the camera" (clips sharing them) from "not an MP4".

use std::io::{Read, Seek, SeekFrom};

use crate::encryption::{DecryptingReader, Key, KeySource, PREFIX_BYTES, XorPad, opens_with};
use crate::listing::VideoHeader;
use crate::mp4::{self, Mp4Error, ReadSeek};

/// The keys to try on clips that are not plain MP4s, as pads (the key text itself is not kept).
#[derive(Clone, Debug)]
pub struct Keys {
    pads: Vec<(XorPad, KeySource)>,
}

impl Keys {
    /// The owner's key when given, then the factory default.
    pub fn new(owner: Option<&Key>) -> Self {
        let mut pads = Vec::with_capacity(2);
        if let Some(key) = owner.filter(|k| !k.is_factory_default()) {
            pads.push((XorPad::from_key(key), KeySource::Owner));
        }
        pads.push((
            XorPad::from_key(&Key::factory_default()),
            KeySource::FactoryDefault,
        ));
        Self { pads }
    }

    /// The first key (as its pad) that opens a file starting with `head`.
    pub fn opening(&self, head: &[u8]) -> Option<(&XorPad, KeySource)> {
        self.pads
            .iter()
            .find(|(pad, _)| opens_with(head, pad))
            .map(|(pad, source)| (pad, *source))
    }

    /// The pad of the key that opened a clip.
    pub fn pad(&self, source: KeySource) -> Option<&XorPad> {
        self.pads.iter().find(|(_, s)| *s == source).map(|(p, _)| p)
    }
}

impl Default for Keys {
    /// The factory default key only.
    fn default() -> Self {
        Self::new(None)
    }
}

/// The header of the clip `stream` (its own bytes, `bytes` long).
pub fn read_clip<S: Read + Seek>(stream: &mut S, bytes: u64, keys: &Keys) -> VideoHeader {
    read_any(stream, bytes, keys)
}

/// The header of a plain clip read from its last `tail_bytes` alone, when its `moov` lies there
/// whole (see [`mp4::read_moov_at_end`]); `None` otherwise, and the caller reads it with
/// [`read_clip`].
pub fn read_clip_from_end<S: Read + Seek>(
    stream: &mut S,
    bytes: u64,
    tail_bytes: u64,
) -> Option<VideoHeader> {
    mp4::read_moov_at_end(stream, bytes, tail_bytes).map(|info| VideoHeader::from(Ok(info)))
}

/// [`read_clip`] on a trait object: compiled once for every kind of source.
fn read_any(stream: &mut dyn ReadSeek, bytes: u64, keys: &Keys) -> VideoHeader {
    let plain = mp4::read_any(stream, bytes);
    if !matches!(plain, Err(Mp4Error::NotMp4 { .. })) {
        return VideoHeader::from(plain);
    }
    let mut head = [0u8; PREFIX_BYTES];
    let len = (bytes as usize).min(PREFIX_BYTES);
    let read = stream
        .seek(SeekFrom::Start(0))
        .and_then(|_| stream.read_exact(&mut head[..len]));
    if read.is_err() {
        return VideoHeader::from(plain);
    }
    if let Some((pad, source)) = keys.opening(&head[..len])
        && let Ok(mut decrypted) = DecryptingReader::new(&mut *stream, pad.clone())
    {
        return VideoHeader {
            encryption: Some(source),
            ..VideoHeader::from(mp4::read_header(&mut decrypted, bytes))
        };
    }
    let mut header = VideoHeader::from(plain);
    if len == PREFIX_BYTES && head.iter().any(|&b| b != 0) {
        header.prefix = Some(head.iter().map(|b| format!("{b:02x}")).collect());
    }
    header
}
