//! The media payload: where each sample goes in the output's `mdat`, and the copy that streams
//! it there straight from the segments.
//!
//! Within each segment the kept samples keep the order they have in the file, so the output
//! interleaves video and audio as the camera did, and samples that lie next to each other in
//! the source become one copy (for a whole middle segment, its payload in a few large reads).
//! A track's consecutive samples that land next to each other form one chunk of the output's
//! sample tables. Memory is one copy buffer, whatever the size of the clip.

use std::io::{Read, Seek, Write};

use super::SegmentInput;
use super::boxes::read_error;
use super::error::RemuxError;
use super::timeline::OutTrack;

/// Bytes moved per read and write.
const COPY_BUFFER_BYTES: usize = 256 * 1024;

/// One chunk of a track in the output: where it starts in the payload and how many samples it
/// holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub position: u64,
    pub samples: u32,
}

/// One contiguous copy from a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub segment: usize,
    pub offset: u64,
    pub len: u64,
}

/// Where everything goes in the payload.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layout {
    /// Per output track, its chunks in decode order.
    pub chunks: Vec<Vec<Chunk>>,
    /// The copies that make the payload, in order.
    pub runs: Vec<Run>,
    /// Bytes of payload.
    pub data_bytes: u64,
}

/// Lays out the samples of `tracks`, taking the segments in the order `order`. Each track
/// holds its samples segment after segment; within a segment the tracks are merged by source
/// offset (each track's samples normally lie in increasing order in the file, so this keeps
/// the file's own order; when they do not, the layout is still right, with more chunks).
pub(crate) fn layout(tracks: &[OutTrack], order: &[usize]) -> Layout {
    let mut positions: Vec<Vec<u64>> = tracks.iter().map(|t| vec![0; t.samples.len()]).collect();
    let mut runs: Vec<Run> = Vec::new();
    let mut position = 0u64;
    // Per track, the next sample to place.
    let mut next: Vec<usize> = vec![0; tracks.len()];
    for &segment in order {
        loop {
            // The track whose next sample of this segment comes first in the file.
            let mut pick: Option<(usize, u64)> = None;
            for (t, track) in tracks.iter().enumerate() {
                let i = next.get(t).copied().unwrap_or(0);
                if let Some(s) = track.samples.get(i).filter(|s| s.segment == segment)
                    && pick.is_none_or(|(_, o)| s.offset < o)
                {
                    pick = Some((t, s.offset));
                }
            }
            let Some((t, offset)) = pick else { break };
            let i = next.get(t).copied().unwrap_or(0);
            if let Some(n) = next.get_mut(t) {
                *n += 1;
            }
            let Some(s) = tracks.get(t).and_then(|tr| tr.samples.get(i)) else {
                break;
            };
            if let Some(p) = positions.get_mut(t).and_then(|v| v.get_mut(i)) {
                *p = position;
            }
            position += u64::from(s.size);
            match runs.last_mut() {
                Some(run)
                    if run.segment == segment
                        && run.offset.checked_add(run.len) == Some(offset) =>
                {
                    run.len += u64::from(s.size);
                }
                _ => runs.push(Run {
                    segment,
                    offset,
                    len: u64::from(s.size),
                }),
            }
        }
    }
    let chunks = tracks
        .iter()
        .zip(&positions)
        .map(|(track, pos)| {
            let mut chunks: Vec<Chunk> = Vec::new();
            let mut expected: Option<u64> = None;
            for (s, &p) in track.samples.iter().zip(pos) {
                match chunks.last_mut() {
                    Some(c) if expected == Some(p) => c.samples += 1,
                    _ => chunks.push(Chunk {
                        position: p,
                        samples: 1,
                    }),
                }
                expected = Some(p + u64::from(s.size));
            }
            chunks
        })
        .collect();
    runs.retain(|r| r.len > 0);
    Layout {
        chunks,
        runs,
        data_bytes: position,
    }
}

/// Progress of [`super::write`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Bytes written so far.
    pub bytes_done: u64,
    /// Bytes the whole file will have.
    pub bytes_total: u64,
}

/// Counts what was written and reports it.
pub(crate) struct Counter<'a, W, P> {
    pub out: W,
    pub done: u64,
    pub total: u64,
    pub progress: &'a mut P,
}

impl<W: Write, P: FnMut(Progress)> Counter<'_, W, P> {
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), RemuxError> {
        self.out.write_all(bytes).map_err(|e| RemuxError::Write {
            message: e.to_string(),
        })?;
        self.done += bytes.len() as u64;
        (self.progress)(Progress {
            bytes_done: self.done,
            bytes_total: self.total,
        });
        Ok(())
    }
}

/// Copies every run from its segment to the output.
pub(crate) fn copy_runs<R: Read + Seek, W: Write, P: FnMut(Progress)>(
    runs: &[Run],
    segments: &mut [SegmentInput<R>],
    out: &mut Counter<'_, W, P>,
) -> Result<(), RemuxError> {
    let largest = runs.iter().map(|r| r.len).max().unwrap_or(0);
    let mut buf = vec![0u8; largest.min(COPY_BUFFER_BYTES as u64) as usize];
    for run in runs {
        let Some(seg) = segments.get_mut(run.segment) else {
            return Err(RemuxError::SegmentsChanged {
                segment: run.segment,
                reason: "it is missing from the segments given".to_string(),
            });
        };
        let bytes = seg.bytes;
        seg.source
            .seek(std::io::SeekFrom::Start(run.offset))
            .map_err(|e| read_error(run.segment, bytes, e))?;
        let mut left = run.len;
        while left > 0 {
            let n = left.min(buf.len() as u64) as usize;
            let Some(part) = buf.get_mut(..n) else { break };
            seg.source
                .read_exact(part)
                .map_err(|e| read_error(run.segment, bytes, e))?;
            out.write(part)?;
            left -= n as u64;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remux::timeline::OutSample;

    fn sample(segment: usize, offset: u64, size: u32) -> OutSample {
        OutSample {
            segment,
            offset,
            size,
            duration: 1,
            cts: 0,
            sync: true,
        }
    }

    #[test]
    fn adjacent_samples_become_one_copy_and_one_chunk() {
        let mut video = crate::remux::tests::track_stub();
        let mut audio = crate::remux::tests::track_stub();
        // Video 0..10 10..30 | audio 30..35 | video 35..40; then segment 1 from 100.
        video.samples = vec![
            sample(0, 0, 10),
            sample(0, 10, 20),
            sample(0, 35, 5),
            sample(1, 100, 7),
        ];
        audio.samples = vec![sample(0, 30, 5), sample(1, 107, 3)];
        let l = layout(&[video, audio], &[0, 1]);
        assert_eq!(l.data_bytes, 50);
        assert_eq!(
            l.runs,
            vec![
                Run {
                    segment: 0,
                    offset: 0,
                    len: 40
                },
                Run {
                    segment: 1,
                    offset: 100,
                    len: 10
                }
            ]
        );
        assert_eq!(
            l.chunks[0],
            vec![
                Chunk {
                    position: 0,
                    samples: 2
                },
                // The next segment's first frame lands right after: same chunk.
                Chunk {
                    position: 35,
                    samples: 2
                }
            ]
        );
        assert_eq!(
            l.chunks[1],
            vec![
                Chunk {
                    position: 30,
                    samples: 1
                },
                Chunk {
                    position: 47,
                    samples: 1
                }
            ]
        );
    }
}
