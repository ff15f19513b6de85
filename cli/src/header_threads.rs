//! The clips' MP4 headers read on two threads.
//!
//! Natively, reading a 256 GB card's ~10,800 headers is ~21,600 small reads at scattered
//! offsets, and each costs about 1.5 µs whatever its size: the kernel finding the page in the
//! page cache of a file that large (cache misses, not system-call overhead — a read of a page
//! just read costs 0.2 µs). That is memory latency, which a second core hides as well as the
//! first. The clips (in card order) are cut into runs of [`CLIPS_PER_TASK`] that this thread and
//! a helper take one at a time, each through its own reader on the same open file, so that a
//! thread the machine's other work holds up leaves its share to the other instead of delaying
//! both. Each header is read exactly as on one thread (`scan::read_headers` on its run, without
//! hints), and the results go into the listing by their clip's index, so the listing is the same.

use std::fs::File;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use dashcard::block_reader::{BlockReader, ReadStats};
use dashcard::clip_header::Keys;
use dashcard::listing::{ClipRef, HeaderResult};
use dashcard::scan;

use crate::positioned_file::PositionedFile;

/// Fewer clips than this are read on one thread: a thread costs more than it saves.
const MIN_CLIPS_TO_SPLIT: usize = 512;

/// Clips a thread takes at a time (~0.1 ms of reads: what this thread may wait for at the end).
const CLIPS_PER_TASK: usize = 64;

/// Reads the headers of `clips` (in card order) with `reader`, helped by a thread reading
/// through `second` (the image's handle cloned) when there is one, enough clips and a second
/// core. Returns the results (in no particular order: each names its clip) and what the helper
/// read.
pub fn read_headers(
    reader: &mut BlockReader<PositionedFile>,
    second: Option<File>,
    clips: &[ClipRef],
    keys: &Keys,
) -> (Vec<HeaderResult>, ReadStats) {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let Some(file) = second.filter(|_| cores > 1 && clips.len() >= MIN_CLIPS_TO_SPLIT) else {
        let results = scan::read_headers(reader, clips, 0, keys, |_, _| {});
        return (results, ReadStats::default());
    };
    let tasks: Vec<&[ClipRef]> = clips.chunks(CLIPS_PER_TASK).collect();
    let next = AtomicUsize::new(0);
    let work = |reader: &mut BlockReader<PositionedFile>| {
        let mut results = Vec::new();
        while let Some(task) = tasks.get(next.fetch_add(1, Ordering::Relaxed)) {
            results.extend(scan::read_headers(reader, task, 0, keys, |_, _| {}));
        }
        results
    };
    let joined = thread::scope(|scope| {
        let work = &work;
        // The helper's reader is made in the helper (a reader stays on its thread). One that
        // cannot be made leaves every run to this thread.
        let helper = scope.spawn(move || {
            let mut other = BlockReader::new(PositionedFile::new(file)).ok()?;
            let results = work(&mut other);
            Some((results, other.stats()))
        });
        let mine = work(reader);
        helper.join().map(|theirs| (mine, theirs))
    });
    match joined {
        Ok((mut results, Some((theirs, read)))) => {
            results.extend(theirs);
            (results, read)
        }
        Ok((results, None)) => (results, ReadStats::default()),
        // A helper that panicked (it cannot: the core's readers do not panic on card data)
        // leaves every clip to this thread.
        Err(_) => (
            scan::read_headers(reader, clips, 0, keys, |_, _| {}),
            ReadStats::default(),
        ),
    }
}
