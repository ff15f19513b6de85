//! The clips' MP4 headers read on two threads: on a large card reading them is some 20,000
//! small reads at scattered offsets, each mostly a system call's cost, and a second core halves
//! the wait. (The web worker does the same with a second worker.) Each thread has its own
//! reader on its own handle to the image, and takes one half of the clips in disk order; the
//! results are the ones one thread would give, in the same order.

use std::io;

use dashcard::block_reader::{BlockReader, ReadStats};
use dashcard::clip_header::Keys;
use dashcard::listing::{ClipRef, HeaderResult};
use dashcard::scan;

use crate::positioned_file::PositionedFile;

/// Fewer clips than this are read on one thread: a thread costs more than they do.
const MIN_CLIPS_FOR_TWO: usize = 64;

/// Reads the headers of `clips` (in disk order, see `Listing::image_clips`) through `reader`
/// and a second reader on the same image. Returns them in the order given, with what the
/// second reader read (the first one's reads are in its own statistics).
pub fn read(
    reader: &mut BlockReader<PositionedFile>,
    clips: &[ClipRef],
    keys: &Keys,
) -> io::Result<(Vec<HeaderResult>, ReadStats)> {
    if clips.len() < MIN_CLIPS_FOR_TWO {
        let headers = scan::read_headers(reader, clips, 0, keys, |_, _| {});
        return Ok((headers, ReadStats::default()));
    }
    let mut second = BlockReader::new(reader_handle(reader)?)?;
    let (first_half, second_half) = clips.split_at(clips.len() / 2);
    let (mut headers, rest) = std::thread::scope(|scope| {
        let helper =
            scope.spawn(|| scan::read_headers(&mut second, second_half, 0, keys, |_, _| {}));
        let mine = scan::read_headers(reader, first_half, 0, keys, |_, _| {});
        // A panic in the helper is a bug; read its half here instead of losing it.
        let theirs = helper
            .join()
            .unwrap_or_else(|_| scan::read_headers(reader, second_half, 0, keys, |_, _| {}));
        (mine, theirs)
    });
    headers.extend(rest);
    Ok((headers, second.stats()))
}

/// A second handle to the image `reader` reads.
fn reader_handle(reader: &BlockReader<PositionedFile>) -> io::Result<PositionedFile> {
    reader.inner().try_clone()
}
