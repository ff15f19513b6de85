//! `report --json` written on two threads, byte for byte what [`Report::write_json`] writes.
//!
//! A 256 GB card's report is ~14.5 MB of pretty-printed JSON, 92 % of it the `files` list.
//! Serializing it is plain CPU work, so the list is cut into chunks of [`CHUNK_RECORDS`]
//! records that this thread and a helper take one at a time, in order: this thread writes a
//! chunk straight out when every chunk before it is out, and otherwise (the helper's, or one
//! taken while the helper's previous one is not done) into a buffer written out in turn and
//! then reused (a few buffers in all: fresh memory costs a page fault every 4 KiB, which would
//! eat much of the gain). A thread the machine's other work holds up leaves the remaining
//! chunks to the other, so at worst this thread waits for the one chunk the helper holds. The bytes are the same as one `serde_json::to_writer_pretty` pass: the document is
//! serialized without its files (`"files": []`), and the records are written into that gap as
//! serde_json's pretty printer would write them there — each record with the printer's own
//! formatter, brought to the records' depth (two levels: inside the document, inside the
//! list), each after `\n` or `,\n` and the indentation of that depth, and the list closed by
//! `\n` and one level less. Tested against [`Report::write_json`].

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use dashcard::report::{FileRecord, Report};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// Fewer files than this are written on one thread: a thread costs more than it saves.
const MIN_FILES_TO_SPLIT: usize = 2048;

/// Records serialized at a time by either thread (~0.5 MB of JSON).
const CHUNK_RECORDS: usize = 512;

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
    let next = AtomicUsize::new(0);
    thread::scope(|scope| {
        // Serialized chunks come back on `done`; written buffers go back on `spare`.
        let (done_tx, done) = mpsc::channel::<(usize, io::Result<Vec<u8>>)>();
        let (spare, spare_rx) = mpsc::channel::<Vec<u8>>();
        let (theirs, their_next) = (&chunks, &next);
        scope.spawn(move || {
            loop {
                let i = their_next.fetch_add(1, Ordering::Relaxed);
                let Some(chunk) = theirs.get(i) else {
                    return;
                };
                let mut buf = spare_rx.try_recv().unwrap_or_else(|_| new_buffer(chunk));
                buf.clear();
                let serialized = write_records(chunk, i == 0, &mut buf).map(|()| buf);
                // This thread stopped (a write failed): nothing more to do.
                if done_tx.send((i, serialized)).is_err() {
                    return;
                }
            }
        });
        let mut ready: BTreeMap<usize, Vec<u8>> = BTreeMap::new();
        let mut written = 0;
        let mut helper_gone = false;
        while written < chunks.len() {
            while let Ok((i, serialized)) = done.try_recv() {
                ready.insert(i, serialized?);
            }
            if let Some(buf) = ready.remove(&written) {
                out.write_all(&buf)?;
                let _ = spare.send(buf);
                written += 1;
                continue;
            }
            let claimed = if helper_gone {
                // The helper is gone (it cannot panic on plain values): the rest here.
                Some(written)
            } else {
                Some(next.fetch_add(1, Ordering::Relaxed)).filter(|&i| i < chunks.len())
            };
            match claimed {
                Some(i) if i == written => {
                    write_records(chunks[i], i == 0, out)?;
                    written += 1;
                }
                Some(i) => {
                    let mut buf = new_buffer(chunks[i]);
                    write_records(chunks[i], false, &mut buf)?;
                    ready.insert(i, buf);
                }
                // Every chunk is taken: wait for the helper's.
                None => match done.recv() {
                    Ok((i, serialized)) => {
                        ready.insert(i, serialized?);
                    }
                    Err(_) => helper_gone = true,
                },
            }
        }
        Ok::<(), io::Error>(())
    })?;
    out.write_all(b"\n  ")?;
    out.write_all(&skeleton[gap..])
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
