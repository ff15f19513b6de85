//! One corrupt entry must not flip the card's story (issue 14, item 5): a card written by
//! mkfs.fat and mtools with real ffmpeg clips, then four entries corrupted in the image's bytes
//! — a directory entry claiming 4 GiB, one claiming more than its cluster chain, an `mvhd` of
//! 4.3e9 s and one of 3,000 s between neighbours a minute apart. The four stay listed with a warning,
//! and the headline, rates, drives and totals are what the card says without them.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use dashcard::block_reader::BlockReader;
use dashcard::estimate::WhatIf;
use dashcard::listing::Listing;
use dashcard::report::Report;
use dashcard::scan::{ScanOptions, scan_image};

/// Clips of one drive, a minute apart in their names (each lasts one second).
const CLIPS: [&str; 10] = [
    "20241012_075700_1.mp4",
    "20241012_075800_1.mp4",
    "20241012_075900_1.mp4",
    "20241012_080000_1.mp4",
    "20241012_080100_1.mp4",
    "20241012_080200_1.mp4",
    "20241012_080300_1.mp4",
    "20241012_080400_1.mp4",
    "20241012_080500_1.mp4",
    "20241012_080600_1.mp4",
];

/// The clips corrupted, by name: size over the card, size over the chain, duration over a day,
/// duration far from its neighbours'.
const OVER_CARD: &str = "20241012_075900_1.mp4";
const OVER_CHAIN: &str = "20241012_080100_1.mp4";
const OVER_A_DAY: &str = "20241012_080200_1.mp4";
const FAR_OFF: &str = "20241012_080400_1.mp4";

fn card(dir: &Path) -> PathBuf {
    let image = dir.join("card.img");
    mkfs_fat(&image, &Mkfs::new(32, 80 * 1024).label("NEXAR"));
    mmd(&image, 0, "Nexar");
    mmd(&image, 0, "Nexar/Movie");
    let clip = ffmpeg_clip(dir, "clip.mp4", 1.0, false);
    for name in CLIPS {
        mcopy(&image, 0, &clip, &format!("Nexar/Movie/{name}"));
    }
    image
}

fn listing(image: &Path) -> Listing {
    let mut reader = BlockReader::new(std::fs::File::open(image).expect("open")).expect("reader");
    scan_image(&mut reader, &ScanOptions::default()).expect("scan")
}

fn path(name: &str) -> String {
    format!("Nexar/Movie/{name}")
}

#[test]
fn one_corrupt_entry_cannot_flip_the_headline() {
    let dir = tempdir();
    let image = card(dir.path());
    let clean = listing(&image);
    let clip = |name: &str| {
        clean
            .files
            .iter()
            .find(|f| f.path == path(name))
            .expect("clip listed")
            .clone()
    };

    // The corruptions, written into the image's bytes.
    let over_card = clip(OVER_CARD);
    let entry = fat_entry_offset(&image, over_card.extents[0].offset, over_card.bytes as u32);
    patch(&image, entry + 28, &0xFFFF_FFF0u32.to_le_bytes());
    let over_chain = clip(OVER_CHAIN);
    let entry = fat_entry_offset(
        &image,
        over_chain.extents[0].offset,
        over_chain.bytes as u32,
    );
    let claimed = over_chain.bytes as u32 + 20 * 4096;
    patch(&image, entry + 28, &claimed.to_le_bytes());
    for (name, timescale, duration) in [(OVER_A_DAY, 1, 0xFFFF_FFF0), (FAR_OFF, 1000, 3_000_000)] {
        let c = clip(name);
        assert_eq!(c.extents.len(), 1, "{name} is contiguous");
        patch_mvhd(&image, c.extents[0].offset, c.bytes, timescale, duration);
    }

    let corrupt = listing(&image);
    let listed = |name: &str| corrupt.files.iter().find(|f| f.path == path(name));
    // The corruption is real: the reader sees what the bytes now say.
    assert_eq!(listed(OVER_CARD).map(|f| f.bytes), Some(0xFFFF_FFF0));
    assert_eq!(listed(OVER_CHAIN).map(|f| f.bytes), Some(claimed as u64));
    assert_eq!(
        listed(OVER_A_DAY).and_then(|f| f.header_duration()),
        Some(0xFFFF_FFF0u32 as f64)
    );
    assert_eq!(
        listed(FAR_OFF).and_then(|f| f.header_duration()),
        Some(3000.0)
    );

    let report = dashcard::analyze(&corrupt, &WhatIf::default());
    // What the card says without the four: the same clean card with them left out of its
    // listing (free space stays the card's own, as nothing was freed).
    let mut without = clean.clone();
    without.files.retain(|f| {
        ![OVER_CARD, OVER_CHAIN, OVER_A_DAY, FAR_OFF]
            .map(path)
            .contains(&f.path)
    });
    let expected = dashcard::analyze(&without, &WhatIf::default());

    // Every file stays listed; the four say why they are left out.
    assert_eq!(report.files.len(), clean.files.len());
    for (name, says) in [
        (OVER_CARD, "larger than the whole card"),
        (OVER_CHAIN, "more than its clusters hold"),
        (OVER_A_DAY, "more than a day"),
        (FAR_OFF, "far from its neighbours"),
    ] {
        let f = report
            .files
            .iter()
            .find(|f| f.path == path(name))
            .expect("still listed");
        let why = f.excluded.as_deref().unwrap_or_default();
        assert!(why.contains(says), "{name}: {why}");
        assert!(
            f.warnings.iter().any(|w| w == why),
            "{name}: {:?}",
            f.warnings
        );
        assert_eq!(f.drive, None, "{name} is in no drive");
    }
    assert_eq!(report.totals.excluded_files, 4);
    assert_eq!(report.estimate.excluded_files, 4);

    // The story is the card's, not the corrupt entries'.
    let (got, want) = (&report.estimate, &expected.estimate);
    assert!(!got.looping, "{}", got.looping_evidence);
    assert_eq!(got.headline, want.headline);
    assert!(
        got.headline.contains("will be overwritten after about"),
        "{}",
        got.headline
    );
    assert_eq!(got.bytes_per_driving_hour, want.bytes_per_driving_hour);
    assert_eq!(got.hours_until_full, want.hours_until_full);
    assert_eq!(got.capacity_hours, want.capacity_hours);
    assert_eq!(got.oldest.as_ref().map(|o| &o.path), Some(&path(CLIPS[0])));
    assert_eq!(report.drives.len(), 1);
    assert_eq!(report.drives[0].segments, CLIPS.len() - 4);
    assert_eq!(report.drives[0].bytes, expected.drives[0].bytes);
    assert_eq!(report.drives[0].duration_s, expected.drives[0].duration_s);
    assert!(
        report.drives[0].duration_s < 600.0,
        "{}",
        report.drives[0].duration_s
    );
    assert_eq!(report.totals.road_bytes, expected.totals.road_bytes);
    assert_eq!(report.totals.recordings, expected.totals.recordings);
    // Without the bounds the 4 GiB entry alone would make this 80 MiB card full.
    assert!(report.volume.free_bytes.unwrap_or(0) > 60 * 1024 * 1024);

    // The same card read by the JSON report: the document says it too.
    let json = Report::to_json(&report);
    assert!(json.contains("\"excluded_files\": 4"), "{json}");
}

#[test]
fn an_intact_card_has_nothing_left_out() {
    let dir = tempdir();
    let image = card(dir.path());
    let report = dashcard::analyze(&listing(&image), &WhatIf::default());
    assert_eq!(report.totals.excluded_files, 0);
    assert!(report.files.iter().all(|f| f.excluded.is_none()));
    assert_eq!(report.drives[0].segments, CLIPS.len());
}
