//! What crosses between the page and its workers comes back as it went: a whole simulated card
//! (its listing, catalog and estimate) split into `postcard` parts and parsed again, and the
//! messages themselves. A field the binary form cannot carry (one skipped when empty, an
//! internally tagged enum) fails here rather than on a visitor's card.
#![cfg(target_arch = "wasm32")]

use std::io::Seek;

use dashcard::block_reader::BlockReader;
use dashcard::catalog::bounds::Implausible;
use dashcard::catalog::models::CameraModel;
use dashcard::estimate::WhatIf;
use dashcard::scan::{ScanOptions, scan_image};
use dashcard_sim::CardBuilder;
use dashcard_sim::camera::{Simulation, fat32_layout, simulate_onto};
use dashcard_sim::memory::SparseMemory;
use dashcard_web::protocol::{
    CardHead, Failure, FailureKind, FilesPart, FromWorker, Sample, ToWorker, card_parts, from_js,
    head_part, parse_part, to_js,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn a_simulated_card_crosses_whole() {
    for (model, bytes, days) in [
        (CameraModel::Pro, 4_000_000_000, 3),
        (CameraModel::N1, 8_000_000_000, 2),
    ] {
        let mut image = SparseMemory::new(bytes);
        let sim = Simulation::new(model, bytes, days);
        CardBuilder::format(&mut image, &fat32_layout(&sim))
            .and_then(|card| simulate_onto(card, &sim))
            .unwrap();
        image.rewind().unwrap();
        let mut listing = scan_image(
            &mut BlockReader::new(image).unwrap(),
            &ScanOptions::default(),
        )
        .unwrap();
        // Not sent: the catalog keeps what the `.imu` headers say.
        listing.imu_headers.clear();
        let mut catalog = dashcard::catalog::build(&listing);
        // The optional fields that were once left out when empty, filled in.
        listing.files[0].valid_bytes = Some(12_345);
        catalog.files[0].excluded = Some(Implausible::DurationFarFromNeighbours {
            duration_s: 4.3e9,
            expected_s: 60.0,
        });
        let estimate = dashcard::estimate::build(&listing, &catalog, &WhatIf::default());
        assert!(listing.files.len() > 100, "{model:?}: a card of many files");

        let mut parts = Vec::new();
        card_parts(&listing, &catalog, &estimate, |part| parts.push(part)).unwrap();
        // The overview's head alone is the first part's.
        assert_eq!(
            head_part(&listing, &catalog, &estimate).unwrap(),
            parts[0],
            "{model:?}: the overview"
        );
        let (mut l, mut c, mut e): CardHead = parse_part(&parts[0]).unwrap();
        for part in &parts[1..] {
            let (files, catalogued, fates): FilesPart = parse_part(part).unwrap();
            l.files.extend(files);
            c.files.extend(catalogued);
            e.files.extend(fates);
        }
        assert_eq!(l, listing, "{model:?}: the listing");
        assert_eq!(c, catalog, "{model:?}: the catalog");
        assert_eq!(e, estimate, "{model:?}: the estimate");
    }
}

#[wasm_bindgen_test]
fn messages_cross_as_they_went() {
    let to_worker = [
        ToWorker::OpenFolder {
            name: "NEXAR".to_string(),
            paths: vec!["a/b.mp4".to_string(), "c.txt".to_string()],
            sizes: vec![30_000_000, 12],
            modified_ms: vec![1.7e12, 0.5],
            capacity_bytes: Some(256_000_000_000),
            key: None,
        },
        ToWorker::FolderFiles,
        ToWorker::OpenSample { sample: Sample::N1 },
    ];
    for message in to_worker {
        let back: ToWorker = from_js(to_js(&message).unwrap()).unwrap();
        assert_eq!(back, message);
    }
    let from_worker = [
        FromWorker::Progress {
            phase: "Reading video headers".to_string(),
            done: 5_000,
            total: Some(10_768),
        },
        FromWorker::Overview {
            memory_bytes: 13 << 20,
        },
        FromWorker::Card {
            complete: true,
            memory_bytes: 25 << 20,
        },
        FromWorker::Failed(Failure::new(
            FailureKind::NotSupported("NTFS".to_string()),
            "an NTFS card",
        )),
    ];
    for message in from_worker {
        let back: FromWorker = from_js(to_js(&message).unwrap()).unwrap();
        assert_eq!(back, message);
    }
    // Bytes that are not a message are an error, not a panic.
    let junk = js_sys::Uint8Array::from(&[0xff_u8, 0xff, 0xff, 0xff, 0xff][..]);
    assert!(from_js::<ToWorker>(junk.into()).is_err());
}
