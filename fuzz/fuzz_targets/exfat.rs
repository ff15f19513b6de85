//! Any bytes as an exFAT volume, two ways: the input itself as an image, or the input as
//! patches over a small sound volume the project's writer made (so the fuzzer reaches the
//! entry sets, chains and bitmap instead of dying at the boot checksum). The boot region
//! checks, chain walks, entry set parsing, the recovery verdicts, reading a file's bytes, and
//! the scan that turns the volume into the card's listing (MP4 headers included) must never
//! panic, hang or take unbounded memory.
#![no_main]

use std::io::{Cursor, Read};
use std::sync::OnceLock;

use dashcard::block_reader::BlockReader;
use dashcard::exfat;
use dashcard::fat::WalkLimits;
use dashcard::scan::{ScanOptions, scan_image};
use libfuzzer_sys::fuzz_target;

use dashcard_sim::exfat as exfat_writer;

/// The sound volume, and the 512-byte blocks of it that are not zero (its metadata, mostly).
fn base() -> &'static (Vec<u8>, Vec<usize>) {
    static BASE: OnceLock<(Vec<u8>, Vec<usize>)> = OnceLock::new();
    BASE.get_or_init(|| {
        use exfat_writer::{ExfatWriter, FormatOptions, NewFile, Placement, Times};
        let when = chrono::NaiveDate::from_ymd_opt(2024, 10, 12)
            .and_then(|d| d.and_hms_milli_opt(7, 57, 1, 500))
            .expect("a valid date");
        let t = Times::at(when, Some(3600));
        let mut options = FormatOptions::new(1 << 20, 512);
        options.label = Some("FUZZ".into());
        options.align_bytes = 4096;
        let mut w = ExfatWriter::format(Cursor::new(Vec::new()), &options).expect("format");
        w.mkdir("Nexar/Movie", &t).expect("mkdir");
        let data = |n: usize, seed: u8| (0..n).map(|i| (i as u8).wrapping_mul(seed)).collect();
        for (i, name) in [
            "a.mp4",
            "b.mp4",
            "c.mp4",
            "a longer name, über 15 Zeichen.mp4",
        ]
        .iter()
        .enumerate()
        {
            let mut f = NewFile::with_data(data(1500 * (i + 1), i as u8 + 3), t);
            if i % 2 == 1 {
                f.placement = Placement::Chained;
            }
            f.read_only = i == 2;
            w.add_file(&format!("Nexar/Movie/{name}"), &f).expect("add");
        }
        w.delete("Nexar/Movie/b.mp4").expect("delete");
        let mut f = NewFile::with_data(data(4000, 9), t);
        f.placement = Placement::Chained;
        f.valid_bytes = Some(3000);
        w.add_file("Nexar/frag.mp4", &f).expect("add");
        w.delete("Nexar/Movie/a.mp4").expect("delete");
        let (out, _) = w.finish().expect("finish");
        let image = out.into_inner();
        let blocks = (0..image.len() / 512)
            .filter(|&b| image[b * 512..(b + 1) * 512].iter().any(|&x| x != 0))
            .collect();
        (image, blocks)
    })
}

/// Applies patches: each is a block selector, an offset in the block, a length and bytes.
fn patched(patches: &[u8]) -> Vec<u8> {
    let (image, blocks) = base();
    let mut image = image.clone();
    let mut rest = patches;
    while let [selector, offset_hi, offset_lo, len, tail @ ..] = rest {
        let block = blocks[*selector as usize % blocks.len()];
        let at = block * 512 + ((*offset_hi as usize) << 8 | *offset_lo as usize) % 512;
        let n = (*len as usize % 16).min(tail.len());
        for (k, &b) in tail[..n].iter().enumerate() {
            if let Some(slot) = image.get_mut(at + k) {
                *slot = b;
            }
        }
        rest = &tail[n..];
    }
    image
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let image = if mode & 1 == 1 {
        patched(input)
    } else {
        input.to_vec()
    };
    let Ok(mut reader) = BlockReader::with_cache(Cursor::new(image), 4096, 1 << 20) else {
        return;
    };
    let len = reader.len();
    let limits = WalkLimits {
        max_depth: 8,
        max_entries: 10_000,
    };
    let Ok(listing) = exfat::read_volume(&mut reader, 0, len, &limits) else {
        return;
    };
    // Read what the listing says can be read, a bounded amount per file.
    for entry in listing.entries.iter().take(16) {
        let mut buf = Vec::new();
        let _ = entry.open(&mut reader).take(1 << 16).read_to_end(&mut buf);
    }
    // The same volume as a card: the listing every front end gets, and its files' bytes.
    let options = ScanOptions {
        limits,
        source_name: None,
    };
    let Ok(card) = scan_image(&mut reader, &options) else {
        return;
    };
    for file in card.files.iter().take(16) {
        let mut buf = Vec::new();
        let _ = file.open(&mut reader).take(1 << 16).read_to_end(&mut buf);
    }
});
