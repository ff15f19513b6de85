//! Builds the benchmark card: a 256 GB card that a dual-camera Nexar has looped over — about
//! 11,000 live one-minute recordings (road `_1` + cabin `_2`, with parking clips `_U`) in one
//! folder per day, and a few thousand deleted entries of the oldest recordings the loop already
//! overwrote. FAT32 (MBR, 32 KiB clusters) by default; with `exfat`, the same camera on exFAT as
//! the Nexar N1 formats a 256 GB card (MBR, 256 KiB clusters). Sparse: it costs tens of MiB of
//! disk.
//!
//! With `--clip CLIP.mp4` (a real one-minute recording), the loop is followed by one more
//! drive of [`CLIP_DRIVE_MINUTES`] minutes whose road segments are that clip, byte for byte:
//! real footage for the time-range export benchmark (the rest of the card stays sparse).
//!
//! `cargo run --release -p dashcard-sim --example bench_card -- OUT.img TRUTH.json [exfat]
//! [--clip CLIP.mp4]` (used by `cargo xtask bench`).

use std::collections::VecDeque;
use std::io::BufWriter;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use dashcard_sim::rng::Rng;
use dashcard_sim::{
    CardBuilder, CardFilesystem, CardLayout, CardTruth, CardWriter, ClipHeader, Content, ExfatCard,
    FileSpec,
};

const CARD_BYTES: u64 = 256_000_000_000;
/// Length of the drive of real footage `--clip` adds.
const CLIP_DRIVE_MINUTES: u32 = 11;
const MB: u64 = 1_000_000;

struct Recording {
    path: String,
    /// Real bytes to write instead of a header skeleton.
    real: Option<std::rc::Rc<Vec<u8>>>,
    bytes: u64,
    start: NaiveDateTime,
    seconds: f64,
    width: u16,
    height: u16,
}

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let clip = match args.iter().position(|a| a == "--clip") {
        Some(i) if i + 1 < args.len() => {
            let path = args.remove(i + 1);
            args.remove(i);
            Some(std::rc::Rc::new(std::fs::read(&path)?))
        }
        Some(_) => return Err("--clip needs a file".into()),
        None => None,
    };
    let (image, truth_path, filesystem) = match args.as_slice() {
        [image, truth] => (image, truth, CardFilesystem::Fat32),
        [image, truth, fs] if fs == "exfat" => (image, truth, CardFilesystem::n1_exfat(CARD_BYTES)),
        _ => return Err("usage: bench_card OUT.img TRUTH.json [exfat] [--clip CLIP.mp4]".into()),
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(image)?;
    let (truth, recorded, live, deleted) = match filesystem {
        CardFilesystem::Fat32 => record(
            CardBuilder::format(file, &CardLayout::new(CARD_BYTES))?,
            clip,
        )?,
        CardFilesystem::Exfat { cluster_bytes } => {
            record(ExfatCard::format(file, CARD_BYTES, cluster_bytes)?, clip)?
        }
    };
    serde_json::to_writer_pretty(BufWriter::new(std::fs::File::create(truth_path)?), &truth)?;
    println!(
        "{image}: {} card, {recorded} recordings made, {live} live, {deleted} deleted; FAT {:.1} MiB, directories {:.1} MiB, MP4 headers {:.1} MiB",
        truth.filesystem,
        truth.fat_bytes as f64 / 1048576.0,
        truth.directory_bytes as f64 / 1048576.0,
        truth.mp4_header_bytes as f64 / 1048576.0
    );
    Ok(())
}

/// Records drives onto `card` until the loop has deleted 3,000 recordings; returns the truth
/// and the recordings made, still live and deleted.
fn record<C: CardWriter>(
    mut card: C,
    clip: Option<std::rc::Rc<Vec<u8>>>,
) -> Result<(CardTruth, u64, usize, u64), Error> {
    let mut rng = Rng::new(0x5EED_CAFE_F00D);
    let mut live: VecDeque<Recording> = VecDeque::new();
    let mut day = NaiveDate::from_ymd_opt(2024, 8, 1).ok_or("date")?;
    let mut recorded = 0u64;
    let mut deleted = 0u64;
    // Keep recording drives until the loop has overwritten a few thousand recordings.
    while deleted < 3_000 {
        for (hour, minutes) in [(7, rng.range(25, 80)), (17, rng.range(20, 70))] {
            let mut t = day
                .and_hms_opt(hour, rng.range(0, 50) as u32, rng.range(0, 59) as u32)
                .ok_or("time")?;
            let mut segments: Vec<Recording> = Vec::new();
            for minute in 0..minutes {
                let seconds = if minute + 1 == minutes {
                    rng.range(5, 59) as f64
                } else {
                    60.0
                };
                let stamp = t.format("%Y%m%d_%H%M%S");
                let folder = t.format("Nexar/Movie/%Y%m%d");
                for (camera, mb_per_min, w, h) in [("1", 32, 1920, 1080), ("2", 14, 1280, 720)] {
                    let bytes = (mb_per_min * MB + rng.range(0, 2 * MB)) * seconds as u64 / 60;
                    segments.push(Recording {
                        path: format!("{folder}/{stamp}_{camera}.mp4"),
                        real: None,
                        bytes,
                        start: t,
                        seconds,
                        width: w,
                        height: h,
                    });
                }
                t += Duration::seconds(60);
            }
            // A parking incident after some drives: 30 s from the road camera.
            if rng.range(0, 2) == 0 {
                let p = t + Duration::minutes(rng.range(30, 200) as i64);
                segments.push(Recording {
                    real: None,
                    path: format!(
                        "{}/{}_U.mp4",
                        p.format("Nexar/Movie/%Y%m%d"),
                        p.format("%Y%m%d_%H%M%S")
                    ),
                    bytes: 16 * MB + rng.range(0, MB),
                    start: p,
                    seconds: 30.0,
                    width: 1920,
                    height: 1080,
                });
            }
            for r in segments {
                deleted += write(&mut card, &mut live, r)?;
                recorded += 1;
            }
        }
        day = day.succ_opt().ok_or("date")?;
    }
    if let Some(clip) = clip {
        // The drive of real footage, the morning after: road segments are the clip itself.
        let mut t = day.and_hms_opt(8, 0, 0).ok_or("time")?;
        for _ in 0..CLIP_DRIVE_MINUTES {
            let stamp = t.format("%Y%m%d_%H%M%S");
            let folder = t.format("Nexar/Movie/%Y%m%d");
            let road = Recording {
                path: format!("{folder}/{stamp}_1.mp4"),
                real: Some(clip.clone()),
                bytes: clip.len() as u64,
                start: t,
                seconds: 60.0,
                width: 1920,
                height: 1080,
            };
            let cabin = Recording {
                path: format!("{folder}/{stamp}_2.mp4"),
                real: None,
                bytes: 14 * MB,
                start: t,
                seconds: 60.0,
                width: 1280,
                height: 720,
            };
            for r in [road, cabin] {
                deleted += write(&mut card, &mut live, r)?;
                recorded += 1;
            }
            t += Duration::seconds(60);
        }
    }
    let live = live.len();
    Ok((card.finish()?, recorded, live, deleted))
}

/// Writes `r`, deleting the oldest recordings until it fits, as the camera's loop does;
/// returns how many were deleted.
fn write<C: CardWriter>(
    card: &mut C,
    live: &mut VecDeque<Recording>,
    r: Recording,
) -> Result<u64, Error> {
    let mut deleted = 0;
    // Loop recording: delete the oldest until the new clip fits.
    // Room for the clip and for its folder to grow by a cluster.
    let spare = card.on_disk_bytes(1).max(64 * 1024);
    while card.free_bytes() < card.on_disk_bytes(r.bytes) + spare {
        let old = live.pop_front().ok_or("card too small for one clip")?;
        card.delete(&old.path)?;
        deleted += 1;
    }
    let end = r.start + Duration::milliseconds((r.seconds * 1000.0) as i64);
    let content = match &r.real {
        Some(bytes) => Content::Bytes(bytes.to_vec()),
        None => Content::Clip(ClipHeader {
            duration_s: r.seconds,
            created: r.start,
            width: r.width,
            height: r.height,
            moov_at_end: true,
        }),
    };
    let spec = FileSpec {
        bytes: r.bytes,
        created: r.start,
        modified: end,
        content,
        fragments: 1,
        read_only: false,
    };
    card.add_file(&r.path, &spec)?;
    live.push_back(r);
    Ok(deleted)
}
