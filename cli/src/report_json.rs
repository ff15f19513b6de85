//! `report --json` written on two threads, byte for byte what [`Report::write_json`] writes.
//!
//! A 256 GB card's report is ~14.5 MB of pretty-printed JSON, 92 % of it the `files` list.
//! Serializing it is plain CPU work, so the list is cut into chunks of [`CHUNK_RECORDS`]
//! records: this thread writes the even chunks straight out, a helper thread serializes the
//! odd ones into buffers that this thread writes out in turn and hands back for reuse (a few
//! buffers in all: fresh memory costs a page fault every 4 KiB, which would eat much of the
//! gain). The bytes are the same as one `serde_json::to_writer_pretty` pass: the document is
//! serialized without its files (`"files": []`), and the records are written into that gap as
//! serde_json's pretty printer would write them there — each record with the printer's own
//! formatter, brought to the records' depth (two levels: inside the document, inside the
//! list), each after `\n` or `,\n` and the indentation of that depth, and the list closed by
//! `\n` and one level less. Tested against [`Report::write_json`].

use std::io::{self, Write};
use std::sync::mpsc;
use std::thread;

use dashcard::report::{FileRecord, Report};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

/// Fewer files than this are written on one thread: a thread costs more than it saves.
const MIN_FILES_TO_SPLIT: usize = 2048;

/// Records serialized at a time by either thread (~0.5 MB of JSON).
const CHUNK_RECORDS: usize = 512;

/// Chunks the helper may have serialized ahead of this thread's writing.
const CHUNKS_AHEAD: usize = 2;

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
    thread::scope(|scope| {
        // Serialized odd chunks come back on `done`; written buffers go back on `spare`.
        let (done_tx, done) = mpsc::sync_channel::<io::Result<Vec<u8>>>(CHUNKS_AHEAD);
        let (spare, spare_rx) = mpsc::channel::<Vec<u8>>();
        let theirs = &chunks;
        scope.spawn(move || {
            for chunk in theirs.iter().skip(1).step_by(2) {
                // About 1 KiB a record: a new buffer seldom grows.
                let mut buf = spare_rx
                    .try_recv()
                    .unwrap_or_else(|_| Vec::with_capacity(chunk.len() * 1024));
                buf.clear();
                let written = write_records(chunk, false, &mut buf).map(|()| buf);
                // This thread stopped (a write failed): nothing more to do.
                if done_tx.send(written).is_err() {
                    return;
                }
            }
        });
        for (i, chunk) in chunks.iter().enumerate() {
            if i % 2 == 0 {
                write_records(chunk, i == 0, out)?;
                continue;
            }
            let buf = match done.recv() {
                Ok(serialized) => serialized?,
                // The helper is gone (it cannot panic on plain values): this chunk here.
                Err(_) => {
                    let mut buf = Vec::new();
                    write_records(chunk, false, &mut buf)?;
                    buf
                }
            };
            out.write_all(&buf)?;
            let _ = spare.send(buf);
        }
        Ok::<(), io::Error>(())
    })?;
    out.write_all(b"\n  ")?;
    out.write_all(&skeleton[gap..])
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
        for keep in [0, 1, 2, 3, 4, 6, 7, 10, report.files.len()] {
            let mut cut = report.clone();
            cut.files.truncate(keep);
            let mut one_pass = Vec::new();
            cut.write_json(&mut one_pass).unwrap();
            let mut split = Vec::new();
            write_split(&mut cut, &mut split, 1, 3).unwrap();
            assert!(
                one_pass == split,
                "{keep} files: the split output differs from one pass"
            );
        }
    }
}
