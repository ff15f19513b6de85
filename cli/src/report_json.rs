//! `report --json` written on two threads, byte for byte what [`Report::write_json`] writes.
//!
//! A 256 GB card's report is ~14.5 MB of pretty-printed JSON, 92 % of it the `files` list.
//! Serializing it is plain CPU work, so the list is cut into chunks of [`CHUNK_RECORDS`]
//! records: this thread writes the even chunks straight out, a helper thread serializes the
//! odd ones into buffers this thread writes out in turn and hands back for reuse (a few
//! buffers in all: fresh memory costs a page fault every 4 KiB, which would eat much of the
//! gain). Once this thread has waited [`HELPER_PATIENCE`] in all for the helper's chunks (the
//! machine's other work holds the helper up), it stops waiting and writes the rest itself: at
//! worst the JSON costs that much more than on one thread. The bytes are the same as one
//! `serde_json::to_writer_pretty` pass: the document is
//! serialized without its files (`"files": []`), and the records are written into that gap as
//! serde_json's pretty printer would write them there — each record with the printer's own
//! formatter, brought to the records' depth (two levels: inside the document, inside the
//! list), each after `\n` or `,\n` and the indentation of that depth, and the list closed by
//! `\n` and one level less. Tested against [`Report::write_json`].

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use dashcard::report::{FileRecord, Report};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// Fewer files than this are written on one thread: a thread costs more than it saves.
const MIN_FILES_TO_SPLIT: usize = 2048;

/// Records serialized at a time by either thread (~0.5 MB of JSON, ~0.4 ms).
const CHUNK_RECORDS: usize = 512;

/// How long this thread waits for the helper's chunks in all before it writes the rest alone.
const HELPER_PATIENCE: Duration = Duration::from_millis(2);

/// Where the (empty) file list sits in the document without its files: a key at the top
/// level is indented once, and no string in the document holds a raw line break.
const EMPTY_FILES: &[u8] = b"\n  \"files\": []";

/// Indentation of a record in the list: the document's level and the list's.
const RECORD_INDENT: &[u8] = b"    ";

/// Writes `report` as [`Report::write_json`] does, half of its files serialized by a helper
/// thread when there are enough of them and a second core.
pub fn write(report: &mut Report, out: &mut impl Write) -> io::Result<()> {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 2 {
        return report.write_json(out);
    }
    write_split(report, out, MIN_FILES_TO_SPLIT, CHUNK_RECORDS)
}

/// [`write`] on two threads whenever the report has at least `min_files` files (and one), in
/// chunks of `chunk_records`.
fn write_split(
    report: &mut Report,
    out: &mut impl Write,
    min_files: usize,
    chunk_records: usize,
) -> io::Result<()> {
    if report.files.is_empty() || report.files.len() < min_files {
        return report.write_json(out);
    }
    let files = std::mem::take(&mut report.files);
    let mut skeleton = Vec::with_capacity(256 * 1024);
    let written = report.write_json(&mut skeleton);
    report.files = files;
    written?;
    let Some(gap) = find(&skeleton, EMPTY_FILES).map(|at| at + EMPTY_FILES.len() - 1) else {
        // Not where it should be (cannot happen with serde_json's printer): one thread.
        return report.write_json(out);
    };
    let chunks: Vec<&[FileRecord]> = report.files.chunks(chunk_records.max(1)).collect();
    out.write_all(&skeleton[..gap])?;
    // Chunks written so far, and whether this thread stopped waiting for the helper.
    let written = AtomicUsize::new(0);
    let alone = AtomicBool::new(false);
    let mut patience = HELPER_PATIENCE;
    thread::scope(|scope| {
        // Serialized odd chunks come back on `done`; written buffers go back on `spare`.
        let (done_tx, done) = mpsc::channel::<(usize, io::Result<Vec<u8>>)>();
        let (spare, spare_rx) = mpsc::channel::<Vec<u8>>();
        let (theirs, their_written, their_alone) = (&chunks, &written, &alone);
        scope.spawn(move || {
            for (i, chunk) in theirs.iter().enumerate().skip(1).step_by(2) {
                // Stop once this thread writes alone; skip what it has written already.
                if their_alone.load(Ordering::Relaxed) {
                    return;
                }
                if their_written.load(Ordering::Relaxed) > i {
                    continue;
                }
                let mut buf = spare_rx.try_recv().unwrap_or_else(|_| new_buffer(chunk));
                buf.clear();
                let serialized = write_records(chunk, false, &mut buf).map(|()| buf);
                if done_tx.send((i, serialized)).is_err() {
                    return;
                }
            }
        });
        for (i, chunk) in chunks.iter().enumerate() {
            let theirs = if i % 2 == 1 && !alone.load(Ordering::Relaxed) {
                helper_chunk(&done, i, &mut patience)
            } else {
                None
            };
            match theirs {
                Some(serialized) => {
                    let buf = serialized?;
                    out.write_all(&buf)?;
                    let _ = spare.send(buf);
                }
                None => {
                    if i % 2 == 1 {
                        alone.store(true, Ordering::Relaxed);
                    }
                    write_records(chunk, i == 0, out)?;
                }
            }
            written.store(i + 1, Ordering::Relaxed);
        }
        Ok::<(), io::Error>(())
    })?;
    out.write_all(b"\n  ")?;
    out.write_all(&skeleton[gap..])
}

/// The helper's serialized chunk `i`, or `None` when it is not there within the `patience`
/// left (which the wait uses up) or the helper is gone.
fn helper_chunk(
    done: &mpsc::Receiver<(usize, io::Result<Vec<u8>>)>,
    i: usize,
    patience: &mut Duration,
) -> Option<io::Result<Vec<u8>>> {
    loop {
        let asked = Instant::now();
        let answer = done.recv_timeout(*patience);
        *patience = patience.saturating_sub(asked.elapsed());
        match answer {
            Ok((j, serialized)) if j == i => return Some(serialized),
            // An earlier chunk, written here meanwhile: not needed.
            Ok((j, _)) if j < i => continue,
            _ => return None,
        }
    }
}

/// A buffer for `chunk`'s JSON: about 1 KiB a record, so that it seldom grows.
fn new_buffer(chunk: &[FileRecord]) -> Vec<u8> {
    Vec::with_capacity(chunk.len() * 1024)
}

/// Writes `records` as items of the report's `files` list, the first of them the list's first
/// item when `opens_list`.
fn write_records(records: &[FileRecord], opens_list: bool, out: &mut impl Write) -> io::Result<()> {
    for (i, record) in records.iter().enumerate() {
        out.write_all(if opens_list && i == 0 { b"\n" } else { b",\n" })?;
        out.write_all(RECORD_INDENT)?;
        let mut formatter = PrettyFormatter::new();
        // Two levels in, as the document's printer is when it reaches a record: opening an
        // object and an array is what moves it there (their brackets go nowhere).
        formatter.begin_object(&mut io::sink())?;
        formatter.begin_array(&mut io::sink())?;
        let mut serializer = serde_json::Serializer::with_formatter(&mut *out, formatter);
        record.serialize(&mut serializer).map_err(io::Error::from)?;
    }
    Ok(())
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dashcard::catalog::models::CameraModel;
    use dashcard::estimate::WhatIf;
    use dashcard::scan::{self, ScanOptions};
    use dashcard_sim::camera::{Simulation, simulate};

    /// The report of a small simulated card (two days of a dual-camera Nexar).
    fn simulated_report() -> Report {
        let mut image = tempfile::tempfile().unwrap();
        simulate(&mut image, &Simulation::new(CameraModel::Pro, 16 << 30, 2)).unwrap();
        let mut reader = dashcard::block_reader::BlockReader::new(image).unwrap();
        let listing = scan::scan_image(&mut reader, &ScanOptions::default()).unwrap();
        dashcard::analyze(&listing, &WhatIf::default())
    }

    #[test]
    fn the_same_bytes_as_one_pass_whatever_the_split() {
        let report = simulated_report();
        assert!(report.files.len() > 100, "{} files", report.files.len());
        let all = report.files.len();
        for (keep, chunk) in [
            (0, 1),
            (1, 1),
            (2, 1),
            (3, 3),
            (4, 3),
            (7, 3),
            (10, 1),
            (all, 1),
        ]
        .into_iter()
        .chain([(all, 3), (all, 16), (all, CHUNK_RECORDS)])
        {
            let mut cut = report.clone();
            cut.files.truncate(keep);
            let mut one_pass = Vec::new();
            cut.write_json(&mut one_pass).unwrap();
            let mut split = Vec::new();
            write_split(&mut cut, &mut split, 1, chunk).unwrap();
            assert!(
                one_pass == split,
                "{keep} files in chunks of {chunk}: the split output differs from one pass"
            );
        }
    }
}
