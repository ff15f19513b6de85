//! `report_format` 1, byte for byte: the reports of a few fixed cards compared with the
//! documents Dashcard printed for them before the stages were redesigned (`tests/golden/`,
//! written by `dashcard report --json` of commit 72c16d7). The simulated cards are made here
//! with the same arguments `dashcard simulate` was given then; the folder is built in memory.
//! A change to any field, its order, a number's last digit or a sentence fails here.

use std::io::{Cursor, Seek};

use chrono::{NaiveDate, NaiveDateTime};
use dashcard::block_reader::BlockReader;
use dashcard::catalog::models::CameraModel;
use dashcard::estimate::WhatIf;
use dashcard::folder::{self, FolderFile};
use dashcard::scan::{ScanOptions, scan_image};
use dashcard_sim::camera::{Simulation, simulate};
use dashcard_sim::memory::SparseMemory;

fn golden(name: &str) -> String {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Compares `report` with the document kept as `name`; with `DASHCARD_WRITE_GOLDEN=1` in the
/// environment, writes it there instead (after an intended change of the format, whose diff is
/// then reviewed by hand).
fn check(name: &str, report: &str) {
    if std::env::var_os("DASHCARD_WRITE_GOLDEN").is_some() {
        let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(&path, report).unwrap_or_else(|e| panic!("{path}: {e}"));
        return;
    }
    assert!(report == golden(name), "{name}: the report changed");
}

/// The report `dashcard report --json [what-if] IMAGE` prints for a card simulated as
/// `dashcard simulate --family F --size 2300M --days D --seed S --sos-limit 4 IMAGE` (the
/// newer cameras, which keep 3 GiB free: `--size 4G`).
fn simulated_report(
    family: CameraModel,
    days: u32,
    seed: u64,
    image: &str,
    what_if: &WhatIf,
) -> String {
    let sim = Simulation {
        seed,
        sos_limit: 4,
        ..Simulation::new(family, card_bytes(family), days)
    };
    let mut card = SparseMemory::new(sim.card_bytes);
    simulate(&mut card, &sim).expect("simulation");
    card.rewind().expect("rewind");
    let mut reader = BlockReader::new(card).expect("reader");
    let options = ScanOptions {
        source_name: Some(image.to_string()),
        ..ScanOptions::default()
    };
    let listing = scan_image(&mut reader, &options).expect("scan");
    dashcard::analyze(&listing, what_if).to_json() + "\n"
}

/// 2300M, or 4G for the newer cameras (their loop keeps 3 GiB free).
fn card_bytes(family: CameraModel) -> u64 {
    if family.facts().newer {
        4_000_000_000
    } else {
        2_300_000_000
    }
}

#[test]
fn simulated_cards_report_byte_for_byte_as_before() {
    for (family, days, seed, name) in [
        (CameraModel::Beam, 1, 2, "beam-seed2"),
        (CameraModel::Nexs1, 1, 3, "nexs1-seed3"),
        (CameraModel::Nexc1, 1, 4, "nexc1-seed4"),
        // The newer generation: format 2's zone, camera record, events, photos, sidecars, locks.
        (CameraModel::N1, 1, 5, "n1-seed5"),
    ] {
        let report = simulated_report(
            family,
            days,
            seed,
            &format!("{name}.img"),
            &WhatIf::default(),
        );
        check(&format!("{name}.json"), &report);
    }
}

#[test]
fn what_if_inputs_report_byte_for_byte_as_before() {
    // --driving-hours-per-day 3 --reserve 500M --capacity 2400M
    let what_if = WhatIf {
        driving_hours_per_day: Some(3.0),
        reserved_bytes: Some(500_000_000),
        capacity_bytes: Some(2_400_000_000),
        sos_limit_clips: None,
    };
    let report = simulated_report(CameraModel::Beam, 1, 2, "beam-seed2.img", &what_if);
    check("beam-seed2-what-if.json", &report);
}

#[test]
fn a_folder_reports_byte_for_byte_as_before() {
    let clip = std::fs::read(format!(
        "{}/assets/sample-clip.mp4",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("sample clip");
    let at = |h, m, s| -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(2024, 10, 12).and_then(|d| d.and_hms_opt(h, m, s))
    };
    let zeros = vec![0u8; 4096];
    // Clips whose headers read, clips of zeros (durations from the next segment or typical),
    // a clip without a stamp in its name, the sos folder, and a log.
    let files: Vec<(&str, Vec<u8>, Option<NaiveDateTime>)> = vec![
        (
            "Nexar/Movie/20241012_075700_1.mp4",
            clip.clone(),
            at(7, 58, 0),
        ),
        (
            "Nexar/Movie/20241012_075700_2.mp4",
            clip.clone(),
            at(7, 58, 0),
        ),
        (
            "Nexar/Movie/20241012_075800_1.mp4",
            zeros.clone(),
            at(7, 59, 0),
        ),
        (
            "Nexar/Movie/20241012_075800_2.mp4",
            clip.clone(),
            at(7, 59, 0),
        ),
        (
            "Nexar/Movie/20241012_075900_1.mp4",
            clip.clone(),
            at(8, 0, 0),
        ),
        (
            "Nexar/Movie/20241012_093000_U.mp4",
            zeros.clone(),
            at(9, 30, 30),
        ),
        (
            "Nexar/Movie/20241012_173000_1.mp4",
            clip.clone(),
            at(17, 31, 0),
        ),
        ("Nexar/Movie/CLIP0001A.mp4", clip.clone(), at(18, 0, 0)),
        ("sos/20241012_120000_U.mp4", clip.clone(), at(12, 0, 10)),
        ("LOG.TXT", b"camera log\n".to_vec(), at(18, 5, 0)),
    ];
    let found = files
        .iter()
        .map(|(path, bytes, modified)| FolderFile {
            path: path.to_string(),
            bytes: bytes.len() as u64,
            created: None,
            modified: *modified,
            read_only: false,
        })
        .collect();
    let listing = folder::list_folder("NEXAR", found, Some(64_000_000_000));
    let open = |path: &str| {
        files
            .iter()
            .find(|f| f.0 == path)
            .map(|f| Cursor::new(f.1.clone()))
            .ok_or_else(|| std::io::Error::other("not in the folder"))
    };
    let headers = folder::read_headers(
        &listing,
        &listing.folder_clips(),
        &Default::default(),
        open,
        |_, _| {},
    );
    let report = dashcard::analyze(&listing.with_headers(headers), &WhatIf::default());
    check("folder.json", &(report.to_json() + "\n"));
}
