//! # dashcard — read a Nexar dash cam memory card
//!
//! The pure core of Dashcard: everything that turns the bytes of a card (an image file or a
//! mounted folder) into what an owner needs to know. It does no I/O of its own beyond the reader
//! it is handed, uses no browser or UI crate, and compiles both natively (the `dashcard` CLI) and
//! to `wasm32-unknown-unknown` (the web worker).
//!
//! Data flows one way, each stage a function returning a new value:
//! **source → [`listing::Listing`] → [`catalog::build`] → [`telemetry::card::read`] (the
//! sidecar logs, read through the source) → [`estimate::build`] →
//! [`report::Report::assemble`]**. No stage changes another's output.
//!
//! - [`block_reader`]: bounded, cached, counted reads over any `Read + Seek`.
//! - [`partition`]: MBR, GPT or a bare volume; which partitions hold FAT.
//! - [`fat`]: the FAT volume through `fatfs`, plus a small read-only layer for what `fatfs`
//!   hides: extents, deleted entries, the free map.
//! - [`exfat`]: Dashcard's own read-only exFAT reader: extents, deleted entry sets and their
//!   recovery verdicts, free space from the allocation bitmap.
//! - [`mp4`]: duration, creation time and picture size from the `moov` box, reading headers only;
//!   fragmented clips' durations (`mehd`, the camera's closing tail, the fragments) and the
//!   newer cameras' `CUST` record.
//! - [`encryption`]: clips the camera XOR-encrypted, read as plaintext through a key's pad;
//!   [`clip_header`]: one clip's header, plain or through the keys at hand.
//! - [`imu_headers`]: the few `.imu` sidecar headers read for the camera's time zone and model.
//! - [`extent`]: where a file's bytes lie, and a stream over them.
//! - [`scan`]: an image as a source, [`folder`]: a mounted card folder as one; both give a
//!   [`listing::Listing`], the card as read.
//! - [`catalog`]: each file as a Nexar owner sees it (drive segment, parking incident, other),
//!   drives, parking incidents and the model family.
//! - [`estimate`]: when each recording will be overwritten (a FIFO model of the loop).
//! - [`report`]: the JSON document, assembled from the three.
//! - [`remux`]: one MP4 of a time range across a drive's segments, without re-encoding.
//! - [`export`]: stored ZIP archives assembled around the card's own bytes, and digests.
//! - [`telemetry`]: GPS fixes and accelerometer samples from the camera's sidecar files; tracks,
//!   distances, impacts, and GPX/GeoJSON/CSV exports.
//!
//! ## Getting started
//!
//! ```no_run
//! use std::fs::File;
//! use dashcard::block_reader::BlockReader;
//!
//! let image = File::open("card.img")?;
//! let mut reader = BlockReader::new(image)?;
//! let listing = dashcard::scan::scan_image(&mut reader, &dashcard::scan::ScanOptions::default())?;
//! let report = dashcard::analyze(&listing, &dashcard::estimate::WhatIf::default());
//! for file in &report.files {
//!     println!("{} {} bytes, {:?}", file.path, file.bytes, file.kind);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block_reader;
pub mod catalog;
pub mod clip_header;
pub mod crc32;
pub mod encryption;
pub mod estimate;
pub mod exfat;
pub mod export;
pub mod extent;
pub mod fat;
pub mod folder;
pub mod imu_headers;
mod json_time;
pub mod listing;
pub mod mp4;
pub mod partition;
pub mod remux;
pub mod report;
pub mod scan;
pub mod seek;
pub mod sort;
pub mod telemetry;

/// The report for a listing: the catalog and the estimate (with `what_if` applied) built on
/// it, assembled into the document. Sidecar logs are not read here (nothing reads files);
/// see [`telemetry::card::read`].
pub fn analyze(listing: &listing::Listing, what_if: &estimate::WhatIf) -> report::Report {
    let catalog = catalog::build(listing);
    let estimate = estimate::build(listing, &catalog, what_if);
    report::Report::assemble(
        listing,
        &catalog,
        &estimate,
        &telemetry::CardTelemetry::default(),
    )
}
