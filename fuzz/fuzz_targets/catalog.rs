//! Any list of file names, sizes and times as a card: the catalog (name stamps, suffixes, drives,
//! family, the newer cameras' layout, locks) and the estimate (arithmetic on hostile sizes and
//! dates) must never panic or hang.
#![no_main]

use chrono::{DateTime, NaiveDateTime};
use dashcard::estimate::WhatIf;
use dashcard::listing::{ListedFile, Listing, VideoHeader};
use libfuzzer_sys::fuzz_target;

/// A time from 8 fuzz bytes (any second from 1970 to 2106).
fn time(bytes: &[u8]) -> Option<NaiveDateTime> {
    let mut b = [0u8; 4];
    b.copy_from_slice(bytes.get(..4)?);
    DateTime::from_timestamp(i64::from(u32::from_le_bytes(b)), 0).map(|t| t.naive_utc())
}

fuzz_target!(|data: &[u8]| {
    let mut listing = Listing::default();
    // Each record: 1 flag byte, 8 size bytes, 4 time bytes, 4 duration/free bytes, a name up
    // to a newline.
    for record in data.split(|&b| b == b'\n').take(2000) {
        if record.len() < 17 {
            continue;
        }
        let (head, name) = record.split_at(17);
        let mut size = [0u8; 8];
        size.copy_from_slice(&head[1..9]);
        let mut file = ListedFile {
            path: String::from_utf8_lossy(name).into_owned(),
            bytes: u64::from_le_bytes(size) >> (head[0] % 64),
            created: time(&head[9..13]),
            deleted: head[0] & 1 == 1,
            read_only: head[0] & 32 == 32,
            ..ListedFile::default()
        };
        if head[0] & 2 == 2 {
            file.header = Some(VideoHeader {
                duration_s: Some(f64::from(u32::from_le_bytes([head[13], head[14], head[15], head[16]])) / 7.0),
                fragmented: head[0] & 64 == 64,
                has_mehd: head[0] & 128 == 128,
                ..VideoHeader::default()
            });
        }
        listing.files.push(file);
    }
    let first = data.first().copied().unwrap_or(0);
    listing.volume.cluster_bytes = Some(u32::from(first) << (first % 24));
    listing.volume.capacity_bytes = Some(u64::MAX >> (first % 64));
    listing.volume.free_bytes = Some(u64::MAX >> (data.len() % 64));
    let what_if = WhatIf {
        driving_hours_per_day: (first & 4 == 4).then_some(f64::from(first) / 10.0),
        reserved_bytes: (first & 8 == 8).then_some(u64::MAX >> (first % 7)),
        sos_limit_clips: (first & 16 == 16).then_some(u64::from(first)),
        capacity_bytes: None,
    };
    let report = dashcard::analyze(&listing, &what_if);
    let _ = report.to_json();
});
