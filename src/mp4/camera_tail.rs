//! The record the newer Nexar cameras append when they close a fragmented clip cleanly: a
//! `free` box whose last bytes are the `AMBA` tail (`Fmp4Mux_PutTail`,
//! `svc/comsvc/codec/lib/src/common/dataflow/container/iso/Fmp4MuxImpl.c:2012-2082`, version
//! 3.1, and the firmware's own check in `Fmp4DmxImpl.c:52-112`). Big-endian:
//!
//! `u32 size · "AMBA" · u32 fragments · per track (video, then audio): u64 duration, u32 frames ·
//! u32 CRC-32 · u8 1`
//!
//! Durations are in each track's own timescale. The CRC covers the size through the last track
//! *followed by the `mvhd` creation time* (which is not stored): the firmware computes it over
//! that buffer and then writes the CRC over those four bytes. A file cut by a power loss has no
//! tail; one read of the file's last bytes tells, and costs nothing in the browser, where that
//! read is the one that also fetches the next clip's head.

/// Bytes of the tail for `tracks` tracks.
pub(crate) fn tail_bytes(tracks: usize) -> usize {
    12 + 12 * tracks + 4 + 1
}

/// What the tail says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CameraTail {
    /// Fragments written.
    pub fragments: u32,
    /// The first (video) track's duration, in its timescale.
    pub video_duration: u64,
}

/// Reads the tail from `end`, the file's last bytes, for a clip with `tracks` tracks and `mvhd`
/// creation time `created` (its low 32 bits, as the firmware keeps it). `None` when the file
/// does not end with a valid tail.
pub(crate) fn parse(end: &[u8], tracks: usize, created: u64) -> Option<CameraTail> {
    let size = tail_bytes(tracks);
    let tail = end.get(end.len().checked_sub(size)?..)?;
    let be32 = |at: usize| u32::from_be_bytes([tail[at], tail[at + 1], tail[at + 2], tail[at + 3]]);
    if be32(0) as usize != size || &tail[4..8] != b"AMBA" || tail[size - 1] != 1 {
        return None;
    }
    let mut covered = tail[..size - 5].to_vec();
    covered.extend_from_slice(&(created as u32).to_be_bytes());
    if crate::crc32::hash(&covered) != be32(size - 5) {
        return None;
    }
    let mut duration = [0u8; 8];
    duration.copy_from_slice(tail.get(12..20)?);
    Some(CameraTail {
        fragments: be32(8),
        video_duration: u64::from_be_bytes(duration),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tail(tracks: &[(u64, u32)], fragments: u32, created: u32) -> Vec<u8> {
        let size = tail_bytes(tracks.len());
        let mut t = (size as u32).to_be_bytes().to_vec();
        t.extend_from_slice(b"AMBA");
        t.extend_from_slice(&fragments.to_be_bytes());
        for (d, n) in tracks {
            t.extend_from_slice(&d.to_be_bytes());
            t.extend_from_slice(&n.to_be_bytes());
        }
        let mut covered = t.clone();
        covered.extend_from_slice(&created.to_be_bytes());
        t.extend_from_slice(&crate::crc32::hash(&covered).to_be_bytes());
        t.push(1);
        t
    }

    #[test]
    fn a_clean_close_gives_the_video_duration() {
        let mut end = vec![0u8; 100];
        end.extend(tail(
            &[(5_400_000, 1800), (2_880_000, 2812)],
            60,
            3_811_564_620,
        ));
        let t = parse(&end, 2, 3_811_564_620).unwrap();
        assert_eq!((t.fragments, t.video_duration), (60, 5_400_000));
        // Another creation time: the CRC fails.
        assert_eq!(parse(&end, 2, 1), None);
        // Another track count: the size field does not match.
        assert_eq!(parse(&end, 3, 3_811_564_620), None);
        let mut cut = end.clone();
        cut.pop();
        assert_eq!(parse(&cut, 2, 3_811_564_620), None);
        assert_eq!(parse(&[0u8; 10], 2, 0), None);
    }
}
