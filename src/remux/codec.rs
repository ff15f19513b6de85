//! Sample descriptions (`stsd`): which codecs are copied, and when two segments' descriptions
//! are the same stream configuration.
//!
//! Two segments join only if a decoder set up for the first can go on decoding the second: the
//! same codec, picture size or audio format, and byte-identical decoder configuration (`avcC`,
//! `hvcC`, or the AAC `AudioSpecificConfig` inside `esds`). Fields that only describe a file
//! (`btrt`, the bit rates in `esds`, `pasp`, `colr`) are ignored: encoders write per-file values
//! there. A segment that differs is refused rather than given a second sample description:
//! browsers play one description per track reliably, and a camera does not change its encoder
//! settings mid-drive, so a difference means the segments do not belong together.

use super::boxes::{Child, be_u16, be_u32, children, find};
use super::error::{RemuxError, fourcc};

/// The two kinds of track exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TrackKind {
    Video,
    Audio,
}

impl TrackKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
        }
    }
}

/// A track's single sample description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SampleDescription {
    /// The whole `stsd` box as the camera wrote it, copied into the output unchanged.
    pub stsd: Vec<u8>,
    /// The sample entry type: `avc1`, `avc3`, `hvc1`, `hev1` or `mp4a`.
    pub codec: [u8; 4],
    /// What must match for two segments to join (see the module documentation).
    pub key: Vec<u8>,
}

/// Bytes of a visual sample entry's fixed fields (after its box header).
const VISUAL_FIXED: usize = 78;
/// Bytes of an audio sample entry's fixed fields, version 0 (versions 1 and 2 add more).
const AUDIO_FIXED: usize = 28;

/// Reads the `stsd` box of a track of `kind`, refusing codecs that are not copied and tracks
/// with more than one sample description.
pub(crate) fn describe(
    stsd: &Child<'_>,
    kind: TrackKind,
    segment: usize,
) -> Result<SampleDescription, RemuxError> {
    let body = stsd.body;
    if body.len() < 8 {
        return Err(RemuxError::malformed(
            segment,
            b"stsd",
            stsd.offset,
            "it is too short for its entry count",
        ));
    }
    let count = be_u32(body, 4);
    if count != 1 {
        return Err(RemuxError::Unsupported {
            segment,
            what: format!(
                "a {} track with {count} sample descriptions (one is expected)",
                kind.name()
            ),
        });
    }
    let entries = children(
        body.get(8..).unwrap_or_default(),
        stsd.offset + 16,
        segment,
        b"stsd",
    )?;
    let entry = entries.first().ok_or_else(|| {
        RemuxError::malformed(
            segment,
            b"stsd",
            stsd.offset,
            "its sample description is missing",
        )
    })?;
    let codec = entry.kind;
    let allowed: &[&[u8; 4]] = match kind {
        TrackKind::Video => &[b"avc1", b"avc3", b"hvc1", b"hev1"],
        TrackKind::Audio => &[b"mp4a"],
    };
    if !allowed.contains(&&codec) {
        return Err(RemuxError::UnsupportedCodec {
            segment,
            track: kind.name().to_string(),
            codec: fourcc(&codec),
        });
    }
    let key = match kind {
        TrackKind::Video => visual_key(entry, segment)?,
        TrackKind::Audio => audio_key(entry, segment)?,
    };
    Ok(SampleDescription {
        stsd: stsd.whole.to_vec(),
        codec,
        key,
    })
}

/// Codec, coded picture size and the decoder configuration box.
fn visual_key(entry: &Child<'_>, segment: usize) -> Result<Vec<u8>, RemuxError> {
    let body = entry.body;
    if body.len() < VISUAL_FIXED {
        return Err(RemuxError::malformed(
            segment,
            &entry.kind,
            entry.offset,
            "it is too short for a visual sample entry",
        ));
    }
    let mut key = entry.kind.to_vec();
    key.extend_from_slice(body.get(24..28).unwrap_or_default());
    let boxes = children(
        body.get(VISUAL_FIXED..).unwrap_or_default(),
        entry.offset + 8 + VISUAL_FIXED as u64,
        segment,
        &entry.kind,
    )?;
    let config_kind = if entry.kind.starts_with(b"avc") {
        b"avcC"
    } else {
        b"hvcC"
    };
    let config = find(&boxes, config_kind).ok_or_else(|| {
        RemuxError::malformed(
            segment,
            &entry.kind,
            entry.offset,
            format!("it has no {} (decoder configuration)", fourcc(config_kind)),
        )
    })?;
    key.extend_from_slice(config.whole);
    Ok(key)
}

/// Codec, channel count, sample size and rate, and the AAC object type and
/// `AudioSpecificConfig` from `esds`.
fn audio_key(entry: &Child<'_>, segment: usize) -> Result<Vec<u8>, RemuxError> {
    let body = entry.body;
    if body.len() < AUDIO_FIXED {
        return Err(RemuxError::malformed(
            segment,
            &entry.kind,
            entry.offset,
            "it is too short for an audio sample entry",
        ));
    }
    // QuickTime sound descriptions version 1 and 2 add 16 and 36 bytes of fields.
    let fixed = match be_u16(body, 8) {
        0 => AUDIO_FIXED,
        1 => AUDIO_FIXED + 16,
        2 => AUDIO_FIXED + 36,
        v => {
            return Err(RemuxError::malformed(
                segment,
                &entry.kind,
                entry.offset,
                format!("unknown sound description version {v}"),
            ));
        }
    };
    let mut key = entry.kind.to_vec();
    key.extend_from_slice(body.get(16..20).unwrap_or_default());
    key.extend_from_slice(body.get(24..28).unwrap_or_default());
    let rest = body.get(fixed..).ok_or_else(|| {
        RemuxError::malformed(
            segment,
            &entry.kind,
            entry.offset,
            "it is too short for its sound description version",
        )
    })?;
    let boxes = children(rest, entry.offset + 8 + fixed as u64, segment, &entry.kind)?;
    let esds = find(&boxes, b"esds").ok_or_else(|| {
        RemuxError::malformed(
            segment,
            &entry.kind,
            entry.offset,
            "it has no esds (decoder configuration)",
        )
    })?;
    match aac_config(esds.body.get(4..).unwrap_or_default()) {
        Some((object_type, config)) => {
            key.push(object_type);
            key.extend_from_slice(config);
        }
        // Not the usual layout: compare the whole box instead, bit rates included.
        None => key.extend_from_slice(esds.whole),
    }
    Ok(key)
}

/// One MPEG-4 descriptor at the start of `bytes`: its tag, its content and what follows it.
fn descriptor(bytes: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *bytes.first()?;
    let mut len = 0usize;
    let mut at = 1;
    // The length is 1 to 4 bytes of 7 bits, high bit = "more".
    for _ in 0..4 {
        let b = *bytes.get(at)?;
        at += 1;
        len = (len << 7) | usize::from(b & 0x7f);
        if b & 0x80 == 0 {
            break;
        }
    }
    let content = bytes.get(at..at.checked_add(len)?)?;
    let rest = bytes.get(at + len..)?;
    Some((tag, content, rest))
}

/// The object type indication and decoder specific info of an `ES_Descriptor`.
fn aac_config(esds_content: &[u8]) -> Option<(u8, &[u8])> {
    let (tag, es, _) = descriptor(esds_content)?;
    if tag != 3 {
        return None;
    }
    let flags = *es.get(2)?;
    let mut at = 3;
    if flags & 0x80 != 0 {
        at += 2;
    }
    if flags & 0x40 != 0 {
        at += 1 + usize::from(*es.get(at)?);
    }
    if flags & 0x20 != 0 {
        at += 2;
    }
    let (tag, config, _) = descriptor(es.get(at..)?)?;
    if tag != 4 {
        return None;
    }
    let object_type = *config.first()?;
    let mut rest = config.get(13..)?;
    while !rest.is_empty() {
        let (tag, content, next) = descriptor(rest)?;
        if tag == 5 {
            return Some((object_type, content));
        }
        rest = next;
    }
    Some((object_type, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aac_config_is_found_whatever_the_bit_rates() {
        // ES_Descriptor(ES_ID 1, no flags) > DecoderConfig(0x40, bit rates) > DSI 11 90.
        let esds = |rate: u8| {
            vec![
                3, 25, 0, 1, 0, 4, 17, 0x40, 0x15, 0, 0, 0, 0, 0, 0, rate, 0, 0, 0, rate, 5, 2,
                0x11, 0x90, 6, 1, 2,
            ]
        };
        let a = esds(1);
        let b = esds(9);
        assert_eq!(aac_config(&a), Some((0x40, &[0x11u8, 0x90][..])));
        assert_eq!(aac_config(&a), aac_config(&b));
        assert_eq!(aac_config(&[3, 200, 0]), None);
        assert_eq!(aac_config(&[]), None);
    }
}
