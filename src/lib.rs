//! # dashcard — read a Nexar dash cam memory card
//!
//! The pure core of Dashcard: everything that turns the bytes of a card (an image file or a
//! mounted folder) into what an owner needs to know. It does no I/O of its own beyond the reader
//! it is handed, uses no browser or UI crate, and compiles both natively (the `dashcard` CLI) and
//! to `wasm32-unknown-unknown` (the web worker).
//!
//! Data flows one way: **source → listing → catalog → estimate → report**.
//!
//! - [`block_reader`]: bounded, cached, counted reads over any `Read + Seek`.
//! - [`partition`]: MBR, GPT or a bare volume; which partitions hold FAT.
//! - [`fat`]: the FAT volume through `fatfs`, plus a small read-only layer for what `fatfs`
//!   hides: extents, deleted entries, the free map.
//! - [`exfat`]: Dashcard's own read-only exFAT reader: extents, deleted entry sets and their
//!   recovery verdicts, free space from the allocation bitmap.
//! - [`mp4`]: duration, creation time and picture size from the `moov` box, reading headers only.
//! - [`extent`]: where a file's bytes lie, and a stream over them.
//! - [`scan`]: ties the above together into a [`report::Report`]; [`folder`] does the same for
//!   a mounted card folder.
//! - [`catalog`]: each file as a Nexar owner sees it (drive segment, parking incident, other),
//!   drives, parking incidents and the model family.
//! - [`estimate`]: when each recording will be overwritten (a FIFO model of the loop).
//! - [`export`]: stored ZIP archives assembled around the card's own bytes, and digests.
//! - [`analyze`]: runs the catalog and the estimate on a report.
//! - [`card_builder`]: writes synthetic cards onto sparse files, for tests and benchmarks.
//!
//! ## Getting started
//!
//! ```no_run
//! use std::fs::File;
//! use dashcard::block_reader::BlockReader;
//!
//! let image = File::open("card.img")?;
//! let mut reader = BlockReader::new(image)?;
//! let report = dashcard::scan::scan_image(&mut reader, &dashcard::scan::ScanOptions::default())?;
//! for file in &report.files {
//!     println!("{} {} bytes", file.path, file.bytes);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block_reader;
pub mod card_builder;
pub mod catalog;
pub mod estimate;
pub mod exfat;
pub mod export;
pub mod extent;
pub mod fat;
pub mod folder;
pub mod mp4;
pub mod partition;
pub mod report;
pub mod scan;
pub mod seek;

/// Adds the catalog and the overwrite estimate to a report the reader made (idempotent: run it
/// again when durations arrive or the what-if inputs change).
pub fn analyze(report: &mut report::Report, what_if: &estimate::WhatIf) {
    let full = estimate::card_full(report, what_if);
    catalog::annotate(report, full);
    estimate::annotate(report, what_if);
}
