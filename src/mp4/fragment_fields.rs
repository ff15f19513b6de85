//! The fixed-layout boxes of a fragmented MP4 that say how long its fragments last: `trex`
//! (each track's defaults, in `moov/mvex`), and in each `moof/traf` the `tfhd`, `tfdt` and
//! `trun`; at the file's end `mfro` and the last `tfra` entry of `mfra`. Each decoder takes a
//! box's content, checks its length, and says in words what is wrong otherwise.

use super::boxes::{be_u32, be_u64};

/// Content bytes of `trex`.
pub(crate) const TREX_BYTES: usize = 24;
/// Content bytes enough for any `tfhd`.
pub(crate) const TFHD_BYTES: usize = 32;
/// Content bytes enough for any `tfdt`.
pub(crate) const TFDT_BYTES: usize = 12;
/// Content bytes of `mfro`.
pub(crate) const MFRO_BYTES: usize = 8;
/// Content bytes of a `tfra` header.
pub(crate) const TFRA_HEADER_BYTES: usize = 12;
/// Most samples one `trun` may list: a fragment is a GOP (30 frames on the cameras); this is
/// a minute of 60 fps video, far past anything real, and keeps a lying count from costing.
pub(crate) const MAX_TRUN_SAMPLES: u32 = 4096;

fn need(content: &[u8], bytes: usize, what: &str) -> Result<(), String> {
    if content.len() < bytes {
        Err(format!(
            "it holds {} bytes, too few for its {what} ({bytes} needed)",
            content.len()
        ))
    } else {
        Ok(())
    }
}

/// A track's defaults for its fragments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trex {
    /// The track.
    pub track_id: u32,
    /// Sample duration when neither `tfhd` nor `trun` gives one.
    pub default_duration: u32,
}

/// Decodes `trex`.
pub(crate) fn trex(content: &[u8]) -> Result<Trex, String> {
    need(content, TREX_BYTES, "fields")?;
    Ok(Trex {
        track_id: be_u32(content, 4),
        default_duration: be_u32(content, 12),
    })
}

/// A track fragment's header: which track, and its default sample duration if it sets one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tfhd {
    /// The track.
    pub track_id: u32,
    /// Sample duration for this fragment's samples that list none.
    pub default_duration: Option<u32>,
}

/// Decodes `tfhd`: the optional fields come in flag order (base data offset, sample
/// description index, then the default duration).
pub(crate) fn tfhd(content: &[u8]) -> Result<Tfhd, String> {
    need(content, 8, "track id")?;
    let flags = be_u32(content, 0) & 0x00FF_FFFF;
    let mut at = 8;
    if flags & 0x01 != 0 {
        at += 8;
    }
    if flags & 0x02 != 0 {
        at += 4;
    }
    let default_duration = if flags & 0x08 != 0 {
        need(content, at + 4, "default sample duration")?;
        Some(be_u32(content, at))
    } else {
        None
    };
    Ok(Tfhd {
        track_id: be_u32(content, 4),
        default_duration,
    })
}

/// Decodes `tfdt`: the decode time of the fragment's first sample, in the track's timescale.
pub(crate) fn tfdt(content: &[u8]) -> Result<u64, String> {
    match content.first() {
        Some(1) => {
            need(content, 12, "version 1 decode time")?;
            Ok(be_u64(content, 4))
        }
        Some(0) => {
            need(content, 8, "version 0 decode time")?;
            Ok(u64::from(be_u32(content, 4)))
        }
        Some(v) => Err(format!("unknown version {v} (only 0 and 1 exist)")),
        None => Err("it is empty".to_string()),
    }
}

/// What a `trun` header says: how many samples, and where their table starts and how wide each
/// row is, so the durations can be summed without reading more than the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TrunHeader {
    /// Samples in the run.
    pub samples: u32,
    /// Whether each row lists its sample's duration (else the defaults apply).
    pub has_durations: bool,
    /// Offset of the first row in the box's content.
    pub table_at: usize,
    /// Bytes per row.
    pub row_bytes: usize,
}

/// Bytes of a `trun`'s content up to its sample table, at most.
pub(crate) const TRUN_HEADER_BYTES: usize = 16;

/// Decodes the start of `trun`.
pub(crate) fn trun_header(content: &[u8]) -> Result<TrunHeader, String> {
    need(content, 8, "sample count")?;
    let flags = be_u32(content, 0) & 0x00FF_FFFF;
    let samples = be_u32(content, 4);
    if samples > MAX_TRUN_SAMPLES {
        return Err(format!(
            "it lists {samples} samples, more than the {MAX_TRUN_SAMPLES} a fragment could hold"
        ));
    }
    let mut table_at = 8;
    if flags & 0x001 != 0 {
        table_at += 4;
    }
    if flags & 0x004 != 0 {
        table_at += 4;
    }
    let row_bytes = [0x100, 0x200, 0x400, 0x800]
        .iter()
        .filter(|&&f| flags & f != 0)
        .count()
        * 4;
    Ok(TrunHeader {
        samples,
        has_durations: flags & 0x100 != 0,
        table_at,
        row_bytes,
    })
}

/// The sum of the durations in a `trun`'s sample table (rows of `row_bytes`, the duration
/// first in each).
pub(crate) fn trun_durations(table: &[u8], header: &TrunHeader) -> Result<u64, String> {
    let needed = header.samples as usize * header.row_bytes;
    need(table, needed, "sample table")?;
    Ok((0..header.samples as usize)
        .map(|i| u64::from(be_u32(table, i * header.row_bytes)))
        .sum())
}

/// Decodes `mfro`: the size of the `mfra` box that ends where it ends.
pub(crate) fn mfro(content: &[u8]) -> Result<u32, String> {
    need(content, MFRO_BYTES, "fields")?;
    Ok(be_u32(content, 4))
}

/// A `tfra` header: its track, how many entries follow and how wide each is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TfraHeader {
    /// The track it indexes.
    pub track_id: u32,
    /// Entries.
    pub entries: u32,
    /// Bytes per entry.
    pub entry_bytes: usize,
    /// Version 1: 64-bit times and offsets.
    pub wide: bool,
}

/// Decodes a `tfra` header.
pub(crate) fn tfra_header(content: &[u8]) -> Result<TfraHeader, String> {
    need(content, TFRA_HEADER_BYTES + 4, "header")?;
    let wide = match content[0] {
        0 => false,
        1 => true,
        v => return Err(format!("unknown version {v} (only 0 and 1 exist)")),
    };
    let sizes = be_u32(content, 8);
    let numbers: usize = [(sizes >> 4) & 3, (sizes >> 2) & 3, sizes & 3]
        .iter()
        .map(|&s| s as usize + 1)
        .sum();
    Ok(TfraHeader {
        track_id: be_u32(content, 4),
        entries: be_u32(content, 12),
        entry_bytes: if wide { 16 } else { 8 } + numbers,
        wide,
    })
}

/// The moof offset of a `tfra` entry.
pub(crate) fn tfra_moof_offset(entry: &[u8], wide: bool) -> Result<u64, String> {
    if wide {
        need(entry, 16, "entry")?;
        Ok(be_u64(entry, 8))
    } else {
        need(entry, 8, "entry")?;
        Ok(u64::from(be_u32(entry, 4)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tfhd_finds_its_default_duration_behind_the_optional_fields() {
        // ffmpeg: flags 0x39 (base data offset, default duration, size, flags).
        let c = hex("000000390000000100000000000004e90000032a00001a1c");
        assert_eq!(
            tfhd(&c).unwrap(),
            Tfhd {
                track_id: 1,
                default_duration: Some(0x32a)
            }
        );
        let none = hex("0002000000000002");
        assert_eq!(tfhd(&none).unwrap().default_duration, None);
        assert!(tfhd(&c[..14]).is_err());
    }

    #[test]
    fn trun_rows_are_summed_and_absurd_counts_refused() {
        // flags 0x305: data offset, first sample flags, durations and sizes; 2 samples.
        let mut c = hex("000003050000000200000248020000000000020000001000");
        c.extend(hex("0000020000002000"));
        let h = trun_header(&c).unwrap();
        assert_eq!(
            (h.samples, h.has_durations, h.table_at, h.row_bytes),
            (2, true, 16, 8)
        );
        assert_eq!(trun_durations(&c[h.table_at..], &h).unwrap(), 1024);
        assert!(trun_durations(&c[h.table_at..h.table_at + 8], &h).is_err());
        let huge = hex("00000100ffffffff");
        assert!(trun_header(&huge).is_err());
    }

    #[test]
    fn tfdt_tfra_and_mfro() {
        assert_eq!(tfdt(&hex("01000000000000000000332a")).unwrap(), 0x332a);
        assert_eq!(tfdt(&hex("0000000000000010")).unwrap(), 16);
        assert!(tfdt(&hex("02000000")).is_err());
        assert_eq!(mfro(&hex("0000000000000106")).unwrap(), 262);
        let t = tfra_header(&hex("01000000000000010000000000000005")).unwrap();
        assert_eq!(
            (t.track_id, t.entries, t.entry_bytes, t.wide),
            (1, 5, 19, true)
        );
        let entry = hex("0000000000000000000000000001d6e0010101");
        assert_eq!(tfra_moof_offset(&entry, true).unwrap(), 0x1d6e0);
        assert_eq!(
            trex(&hex("000000000000000100000001000002000000000000000000"))
                .unwrap()
                .default_duration,
            512
        );
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
