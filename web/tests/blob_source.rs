//! The worker's blob reader in a real dedicated worker of headless Chromium (the only place
//! `FileReaderSync` exists): exact ranges at any offset, and a whole card read through it gives
//! the same report as reading the same bytes natively.
#![cfg(target_arch = "wasm32")]

use std::io::{Cursor, Read, Seek, SeekFrom};

use dashcard::block_reader::BlockReader;
use dashcard::scan::{ScanOptions, scan_image};
use dashcard_sim::memory::SparseMemory;
use dashcard_sim::{CardBuilder, CardLayout, ClipHeader, Content, FileSpec};
use dashcard_web::blob_source::BlobSource;
use js_sys::{Array, Uint8Array};
use wasm_bindgen_test::*;
use web_sys::Blob;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

fn blob_of(bytes: &[u8]) -> Blob {
    let parts = Array::new();
    parts.push(&Uint8Array::from(bytes));
    Blob::new_with_u8_array_sequence(&parts).unwrap()
}

#[wasm_bindgen_test]
fn reads_exact_ranges_and_stops_at_the_end() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut source = BlobSource::new(blob_of(&data)).unwrap();
    assert_eq!(source.len(), data.len() as u64);
    for (at, len) in [
        (0usize, 10usize),
        (4095, 2),
        (123_457, 65_536),
        (299_990, 10),
    ] {
        source.seek(SeekFrom::Start(at as u64)).unwrap();
        let mut buf = vec![0u8; len];
        source.read_exact(&mut buf).unwrap();
        assert_eq!(buf, data[at..at + len], "range {at}+{len}");
    }
    source.seek(SeekFrom::End(-4)).unwrap();
    let mut tail = Vec::new();
    source.read_to_end(&mut tail).unwrap();
    assert_eq!(tail, data[data.len() - 4..]);
    let mut more = [0u8; 8];
    assert_eq!(source.read(&mut more).unwrap(), 0);
}

#[wasm_bindgen_test]
fn a_card_read_through_the_blob_matches_the_native_read() {
    let layout = CardLayout {
        cluster_bytes: 512,
        ..CardLayout::new(40_000_000)
    };
    let mut image = SparseMemory::new(layout.card_bytes);
    let mut card = CardBuilder::format(&mut image, &layout).unwrap();
    let t = chrono::NaiveDate::from_ymd_opt(2024, 10, 12)
        .and_then(|d| d.and_hms_opt(7, 57, 0))
        .unwrap();
    for (i, name) in [
        "20241012_075700_1.mp4",
        "20241012_075700_2.mp4",
        "20241012_075800_1.mp4",
    ]
    .iter()
    .enumerate()
    {
        let header = ClipHeader {
            duration_s: 60.0,
            created: t,
            width: 1920,
            height: 1080,
            moov_at_end: i % 2 == 0,
        };
        card.add_file(
            &format!("Nexar/Movie/{name}"),
            &FileSpec::new(2_000_000, t, Content::Clip(header)),
        )
        .unwrap();
    }
    card.delete("Nexar/Movie/20241012_075700_2.mp4").unwrap();
    card.finish().unwrap();

    let mut bytes = Vec::new();
    image.rewind().unwrap();
    image.read_to_end(&mut bytes).unwrap();
    let native = scan_image(
        &mut BlockReader::new(Cursor::new(bytes.clone())).unwrap(),
        &ScanOptions::default(),
    )
    .unwrap();
    let mut reader = BlockReader::new(BlobSource::new(blob_of(&bytes)).unwrap()).unwrap();
    let in_worker = scan_image(&mut reader, &ScanOptions::default()).unwrap();
    assert_eq!(in_worker, native);
    assert_eq!(
        in_worker
            .files
            .iter()
            .filter(|f| f.header_duration() == Some(60.0))
            .count(),
        3
    );
    assert!(in_worker.files.iter().any(|f| f.deleted));
    // Large aligned blocks: a handful of reads, not thousands.
    assert!(reader.stats().read_calls < 100, "{:?}", reader.stats());
}
