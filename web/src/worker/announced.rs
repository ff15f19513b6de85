//! The listing's folder reads, joined. The core walks a card's folders depth-first, one read
//! per folder, and a browser read costs ~1–1.5 ms a call whatever its size: a 256 GB card's
//! 50–80 folders, scattered on the card, cost 80–190 ms of the overview that way. The walk
//! announces each folder's sub-folders before it reads them (see
//! `dashcard::block_reader::BlockReader::announce`); the announcer made here reads them all in
//! one `FileReaderSync` call on their joined slices and leaves them where the worker's source
//! serves reads from ([`PrefetchedSource`](super::prefetch::PrefetchedSource)'s arrived
//! ranges). The core's reads are unchanged: a read the announcement missed reads the file.

use std::cell::RefCell;
use std::rc::Rc;

use dashcard::block_reader::Announcer;
use web_sys::Blob;

use super::prefetch::{self, Arrived};

/// Announced ranges at most this far apart are read as one slice (a slice costs the browser
/// ~0.2 ms; 64 KiB more bytes cost it less).
const JOIN_GAP_BYTES: u64 = 64 * 1024;

/// Most bytes held at once: beyond, what was held before is dropped (a read of it then reads
/// the file). A camera card's folders hold 2–21 MiB in all.
const MAX_HELD_BYTES: u64 = 64 * 1024 * 1024;

/// An announcer that reads the announced ranges of `blob` at once into `arrived`.
pub fn announcer(blob: Blob, arrived: Rc<RefCell<Arrived>>) -> Announcer {
    Box::new(move |ranges: &[(u64, u64)]| {
        let ranges = prefetch::joined(
            ranges
                .iter()
                .map(|&(at, len)| (at, at.saturating_add(len)))
                .collect(),
            JOIN_GAP_BYTES,
        );
        let mut total = 0u64;
        let ranges: Vec<(u64, u64)> = ranges
            .into_iter()
            .take_while(|(a, b)| {
                total += b - a;
                total <= MAX_HELD_BYTES
            })
            .collect();
        // A failed read only means the walk reads each folder itself, and reports what fails.
        let Ok(got) = prefetch::read_now(&blob, &ranges) else {
            return;
        };
        let bytes = |a: &Arrived| a.iter().map(|(_, b)| b.length() as u64).sum::<u64>();
        let mut held = arrived.borrow_mut();
        if bytes(&held) + bytes(&got) > MAX_HELD_BYTES {
            held.clear();
        }
        held.extend(got);
        held.sort_by_key(|(start, _)| *start);
    })
}
