//! The clips' MP4 headers read on two threads.
//!
//! Natively, reading a 256 GB card's ~10,800 headers is ~21,600 small reads at scattered
//! offsets, and each costs about 1.5 µs whatever its size: the kernel finding the page in the
//! page cache of a file that large (cache misses, not system-call overhead — a read of a page
//! just read costs 0.2 µs). That is memory latency, which a second core hides as well as the
//! first: the clips (in card order) are split in two halves, the second read by a helper thread
//! through its own reader on the same open file, and the results put together. Each header is
//! read exactly as on one thread (`scan::read_headers` on its half), so the listing is the same.

use std::fs::File;
use std::thread;

use dashcard::block_reader::{BlockReader, ReadStats};
use dashcard::clip_header::Keys;
use dashcard::listing::{ClipRef, HeaderResult};
use dashcard::scan;

use crate::positioned_file::PositionedFile;

/// Fewer clips than this are read on one thread: a thread costs more than it saves.
const MIN_CLIPS_TO_SPLIT: usize = 512;

/// Reads the headers of `clips` (in card order) with `reader`, and with a second reader on
/// `second` (the same image opened again, or a clone of its handle) for the second half when
/// there is one and the machine has a second core. Returns the results, in `clips`' order, and
/// what the second reader read.
pub fn read_headers(
    reader: &mut BlockReader<PositionedFile>,
    second: Option<File>,
    clips: &[ClipRef],
    keys: &Keys,
) -> (Vec<HeaderResult>, ReadStats) {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let second = second
        .filter(|_| cores > 1 && clips.len() >= MIN_CLIPS_TO_SPLIT)
        .and_then(|file| BlockReader::new(PositionedFile::new(file)).ok());
    let Some(mut other) = second else {
        let results = scan::read_headers(reader, clips, 0, keys, |_, _| {});
        return (results, ReadStats::default());
    };
    let (first_half, second_half) = clips.split_at(clips.len() / 2);
    let (mut results, rest) = thread::scope(|scope| {
        let helper =
            scope.spawn(|| scan::read_headers(&mut other, second_half, 0, keys, |_, _| {}));
        let mine = scan::read_headers(reader, first_half, 0, keys, |_, _| {});
        // A helper that panicked (it cannot: the core's readers do not panic on card data)
        // leaves its half to this thread.
        let theirs = helper
            .join()
            .unwrap_or_else(|_| scan::read_headers(reader, second_half, 0, keys, |_, _| {}));
        (mine, theirs)
    });
    results.extend(rest);
    (results, other.stats())
}
