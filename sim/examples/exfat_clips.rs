//! Writes a small exFAT card holding real clips, laid out to exercise every way the page gets
//! bytes out of an exFAT card (used by the browser tests in `e2e/exfat.test.mjs`):
//!
//! - `video/20241012_075700A.mp4`: ROAD, fragmented (it fills a deleted file's hole, then goes
//!   on past a file in the way) and linked through the FAT;
//! - `video/20241012_075700B.mp4`: CABIN, contiguous (NoFatChain);
//! - `video/20241012_075800A.mp4`: ROAD again, but sized for three clusters more than were
//!   written — as when a camera loses power — over the clusters of a deleted file whose bytes
//!   are still there: past its valid length it must read as zeros, not as that old file;
//! - `video/20241012_080000A.mp4`: DELETED, recoverable (nothing has reused its clusters).
//!
//! MBR, exFAT partition at 1 MiB, 4 KiB clusters (so that short clips span several), label
//! "Nexar N1".
//!
//! `cargo run -p dashcard-sim --example exfat_clips -- OUT.img ROAD.mp4 CABIN.mp4 DELETED.mp4`

use chrono::NaiveDate;
use dashcard_sim::exfat::{AllocationOrder, ExfatWriter, FormatOptions, NewFile, Placement, Times};

const CLUSTER: u64 = 4096;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [image, road, cabin, deleted] = args.as_slice() else {
        return Err("usage: exfat_clips OUT.img ROAD.mp4 CABIN.mp4 DELETED.mp4".into());
    };
    let (road, cabin, deleted) = (
        std::fs::read(road)?,
        std::fs::read(cabin)?,
        std::fs::read(deleted)?,
    );
    let out = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(image)?;
    let mut options = FormatOptions::new(64 << 20, CLUSTER as u32);
    options.volume_offset = 1 << 20;
    options.write_mbr = true;
    options.label = Some("Nexar N1".into());
    let mut w = ExfatWriter::format(out, &options)?;
    // Freed clusters are taken again at once; deleted entries keep their slots.
    w.set_allocation_order(AllocationOrder::FirstFit);
    w.set_reuse_deleted_entries(false);
    let day = NaiveDate::from_ymd_opt(2024, 10, 12).ok_or("date")?;
    let at = |h, m, s| {
        day.and_hms_opt(h, m, s)
            .map(|t| Times::at(t, Some(2 * 3600)))
            .ok_or("time")
    };
    let filler = |clusters: u64, byte: u8, times| {
        NewFile::with_data(vec![byte; (clusters * CLUSTER) as usize], times)
    };
    w.mkdir("video", &at(7, 50, 0)?)?;
    // A hole of three clusters before a one-cluster file: the road clip starts in the hole.
    w.add_file("video/hole.bin", &filler(3, 0x11, at(7, 51, 0)?))?;
    w.add_file("video/in-the-way.bin", &filler(1, 0x22, at(7, 52, 0)?))?;
    w.delete("video/hole.bin")?;
    let mut fragmented = NewFile::with_data(road.clone(), at(7, 57, 0)?);
    fragmented.placement = Placement::Chained;
    w.add_file("video/20241012_075700A.mp4", &fragmented)?;
    w.add_file(
        "video/20241012_075700B.mp4",
        &NewFile::with_data(cabin, at(7, 57, 1)?),
    )?;
    // An old recording, deleted; the cut clip is then allocated over it.
    let cut_bytes = road.len() as u64 + 3 * CLUSTER;
    w.add_file(
        "video/old.bin",
        &filler(cut_bytes.div_ceil(CLUSTER), 0x5A, at(7, 53, 0)?),
    )?;
    w.delete("video/old.bin")?;
    let mut cut = NewFile::new(cut_bytes, at(7, 58, 0)?);
    cut.valid_bytes = Some(road.len() as u64);
    cut.content.push((0, road));
    w.add_file("video/20241012_075800A.mp4", &cut)?;
    w.add_file(
        "video/20241012_080000A.mp4",
        &NewFile::with_data(deleted, at(8, 0, 0)?),
    )?;
    w.delete("video/20241012_080000A.mp4")?;
    let (_, truth) = w.finish()?;
    let cut = truth
        .find("video/20241012_075800A.mp4")
        .ok_or("the cut clip")?;
    let old = truth.find("video/old.bin").ok_or("the old file")?;
    if old.clusters_reused == 0 || cut.valid_bytes == cut.bytes {
        return Err("the cut clip does not lie over the old file".into());
    }
    println!("{image}: exFAT card with {} entries", truth.entries.len());
    Ok(())
}
