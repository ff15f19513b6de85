//! Samples of fragmented files: each `moof` holds one `traf` per track, and each `traf` a
//! `tfhd` (defaults and where the data is counted from), an optional `tfdt` (the fragment's
//! first decode time) and `trun`s (the samples).
//!
//! Each sample's duration, size and flags come from the `trun` entry, else the `tfhd` default,
//! else the `trex` default in `moov/mvex`; the first sample may carry its own flags. A sample is
//! a keyframe when its flags do not set `sample_is_non_sync_sample`. Data offsets count from the
//! `tfhd` base data offset when given; else from the `moof` (`default-base-is-moof`, or for the
//! first `traf`); else from the end of the previous `traf`'s data. A `trun` without a data offset
//! continues where the previous one ended.

use mp4_atom::{Tfdt, Tfhd, Trex, Trun};

use super::boxes::{be_u32, children, decode, find};
use super::error::RemuxError;
use super::input::{Budget, Clip, MAX_MEDIA_TIME, Sample, composition_offset};

/// The `sample_is_non_sync_sample` bit of sample flags.
const NON_SYNC: u32 = 0x0001_0000;

/// Adds the samples of the `moof` box `moof` (read whole, at segment offset `offset`) to the
/// clip's tracks. Samples whose bytes lie past the end of the file (a recording cut off) end the
/// clip there.
pub(crate) fn read_moof(
    moof: &[u8],
    offset: u64,
    clip: &mut Clip,
    budget: &mut Budget,
) -> Result<(), RemuxError> {
    let segment = clip.segment;
    if clip.cut_short {
        return Ok(());
    }
    let header = if be_u32(moof, 0) == 1 { 16 } else { 8 };
    let kids = children(
        moof.get(header..).unwrap_or_default(),
        offset + header as u64,
        segment,
        b"moof",
    )?;
    // Where the previous traf's data ended (the default base of the next one).
    let mut previous_end = offset;
    for traf in kids.iter().filter(|c| c.kind == *b"traf") {
        let parts = children(traf.body, traf.offset + 8, segment, b"traf")?;
        let tfhd_box = find(&parts, b"tfhd").ok_or_else(|| {
            RemuxError::malformed(segment, b"traf", traf.offset, "it has no tfhd")
        })?;
        let tfhd: Tfhd = decode(tfhd_box, segment)?;
        let trex = clip
            .trexes
            .iter()
            .find(|t| t.track_id == tfhd.track_id)
            .cloned()
            .unwrap_or(Trex {
                track_id: tfhd.track_id,
                default_sample_description_index: 1,
                ..Default::default()
            });
        let base = match tfhd.base_data_offset {
            Some(b) => b,
            None if tfhd.default_base_is_moof => offset,
            None => previous_end,
        };
        let description = tfhd
            .sample_description_index
            .unwrap_or(trex.default_sample_description_index);
        let track_index = clip.tracks.iter().position(|t| t.track_id == tfhd.track_id);
        if track_index.is_some() && description > 1 {
            return Err(RemuxError::Unsupported {
                segment,
                what: format!("a fragment using sample description {description}"),
            });
        }
        if let (Some(i), Some(tfdt_box)) = (track_index, find(&parts, b"tfdt")) {
            let tfdt: Tfdt = decode(tfdt_box, segment)?;
            let base_time = tfdt.base_media_decode_time;
            if base_time > MAX_MEDIA_TIME {
                return Err(RemuxError::malformed(
                    segment,
                    b"tfdt",
                    tfdt_box.offset,
                    format!("its decode time {base_time} is beyond any recording's length"),
                ));
            }
            if let Some(track) = clip.tracks.get_mut(i) {
                start_fragment(track, base_time);
            }
        }
        let mut data = base;
        for trun_box in parts.iter().filter(|c| c.kind == *b"trun") {
            let trun: Trun = decode(trun_box, segment)?;
            if let Some(d) = trun.data_offset {
                data = base.checked_add_signed(i64::from(d)).ok_or_else(|| {
                    RemuxError::malformed(
                        segment,
                        b"trun",
                        trun_box.offset,
                        "its data offset points before the file",
                    )
                })?;
            }
            budget.spend(trun.samples.len() as u64)?;
            for entry in trun.samples.iter() {
                let size = entry
                    .size
                    .or(tfhd.default_sample_size)
                    .unwrap_or(trex.default_sample_size);
                let duration = entry
                    .duration
                    .or(tfhd.default_sample_duration)
                    .unwrap_or(trex.default_sample_duration);
                let flags = entry
                    .flags
                    .or(tfhd.default_sample_flags)
                    .unwrap_or(trex.default_sample_flags);
                let sample = Sample {
                    offset: data,
                    size,
                    duration,
                    cts: entry.cts.map_or(0, composition_offset),
                    sync: flags & NON_SYNC == 0,
                };
                data = data.saturating_add(u64::from(size));
                let Some(track) = track_index.and_then(|i| clip.tracks.get_mut(i)) else {
                    continue;
                };
                if data > clip.bytes {
                    clip.cut_short = true;
                    return Ok(());
                }
                track.next_dts = track.next_dts.saturating_add(u64::from(duration));
                track.samples.push(sample);
            }
        }
        previous_end = data;
    }
    Ok(())
}

/// A fragment of `track` starts at decode time `base`. A gap after the previous fragment
/// lengthens its last sample; the first fragment sets where the edit list (if any) counts from.
fn start_fragment(track: &mut super::input::Track, base: u64) {
    if track.samples.is_empty() {
        if track.edited {
            track.origin = track
                .origin
                .saturating_sub(i64::try_from(base).unwrap_or(i64::MAX));
        }
        track.next_dts = base;
        return;
    }
    if base > track.next_dts {
        let gap = base - track.next_dts;
        if let Some(last) = track.samples.last_mut()
            && let Some(d) = u32::try_from(gap)
                .ok()
                .and_then(|g| last.duration.checked_add(g))
        {
            last.duration = d;
            track.next_dts = base;
        }
    }
}
