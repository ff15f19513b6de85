//! The exFAT reader on volumes made by `mkfs.exfat` and by the project's own writer, held
//! against three oracles: the writer's record of what it did, `fsck.exfat`, and The Sleuth Kit
//! (`fls`, `istat`, `icat`).

mod exfat_common;

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::Path;
use std::time::Instant;

use dashcard::block_reader::BlockReader;
use dashcard::exfat::{self, ExfatListing};
use dashcard::fat::WalkLimits;
use dashcard::partition::{Filesystem, Scheme, read_partition_table};
use exfat_common::exfat_writer::{
    AllocationOrder, ExfatWriter, FormatOptions, NewFile, Placement, Truth,
};
use exfat_common::*;

/// Expected bytes of every file the scenario wrote, by path.
type Expected = HashMap<String, Vec<u8>>;

/// A file of `bytes` holding `data` at the start (zeros after, on a fresh volume).
fn add(w: &mut ExfatWriter<File>, expected: &mut Expected, path: &str, file: NewFile) {
    let mut whole = vec![0u8; file.bytes as usize];
    for (at, data) in &file.content {
        whole[*at as usize..*at as usize + data.len()].copy_from_slice(data);
    }
    if let Some(valid) = file.valid_bytes {
        whole[valid as usize..].fill(0);
    }
    w.add_file(path, &file).unwrap();
    expected.insert(path.to_string(), whole);
}

const LONG_NAME: &str = "Fahrt über die Brücke — 東京 ✓ 2024-10-12 07.58 (Straßenkamera).mp4";

/// A camera-like card: nested folders, long Unicode names, a fragmented clip, deleted clips
/// (one recoverable, one wholly and one partly reused, one fragmented and recoverable through
/// its FAT chain), a locked clip, a preallocated one, empty files, and a folder spanning more
/// than one cluster of entries.
fn fill(w: &mut ExfatWriter<File>) -> Expected {
    let c = w.cluster_bytes() as u64;
    let mut e = Expected::new();
    w.set_allocation_order(AllocationOrder::FirstFit);
    let t = |min: u32, sec: u32, ms: u32, offset: Option<i32>| {
        times(at(2024, 10, 12, 7, min, sec, ms), offset)
    };
    let plus2 = Some(2 * 3600);
    w.mkdir("Nexar/Movie", &t(50, 0, 0, plus2)).unwrap();
    w.mkdir("Nexar/sos", &t(50, 1, 0, plus2)).unwrap();
    w.mkdir("Nexar/Parking/2024/10", &t(50, 2, 0, None))
        .unwrap();
    w.mkdir("Nexar/Photo", &t(50, 3, 0, Some(-5 * 3600)))
        .unwrap();

    let sized =
        |bytes: u64, seed: u8, when| NewFile::with_data(pattern(bytes as usize, seed), when);
    add(
        w,
        &mut e,
        "Nexar/Movie/20241012_075700_1.mp4",
        sized(3 * c + c / 2, 1, t(57, 1, 250, plus2)),
    );
    let mut long = sized(2 * c + c / 5, 2, t(58, 3, 990, Some(-(9 * 3600 + 1800))));
    long.placement = Placement::Chained;
    add(w, &mut e, &format!("Nexar/Movie/{LONG_NAME}"), long);
    let mut locked = sized(c + c / 2, 3, t(59, 0, 0, None));
    locked.read_only = true;
    add(w, &mut e, "Nexar/sos/20241012_080100_U.mp4", locked);
    add(
        w,
        &mut e,
        "Nexar/Movie/b.tmp",
        sized(3 * c, 4, t(59, 2, 0, plus2)),
    );
    add(
        w,
        &mut e,
        "Nexar/Movie/c.tmp",
        sized(2 * c, 5, t(59, 4, 0, plus2)),
    );
    add(
        w,
        &mut e,
        "Nexar/Movie/d.tmp",
        sized(4 * c, 6, t(59, 6, 0, plus2)),
    );
    add(
        w,
        &mut e,
        "Nexar/Movie/e.tmp",
        sized(2 * c, 7, t(59, 8, 0, plus2)),
    );
    w.delete("Nexar/Movie/b.tmp").unwrap();
    w.delete("Nexar/Movie/d.tmp").unwrap();
    // Fills b's hole and the start of d's: two fragments; b fully, d partly reused.
    let mut fragmented = sized(5 * c - 100, 8, t(59, 10, 0, plus2));
    fragmented.placement = Placement::Chained;
    add(w, &mut e, "Nexar/Movie/20241012_080200_1.mp4", fragmented);
    // The rest of d's hole and two clusters further on: fragmented, then deleted.
    let mut chained = sized(4 * c, 9, t(59, 12, 0, None));
    chained.placement = Placement::Chained;
    add(w, &mut e, "Nexar/Parking/2024/10/h.mp4", chained);
    add(
        w,
        &mut e,
        "Nexar/Parking/2024/10/g.mp4",
        sized(2 * c + c / 2, 10, t(59, 14, 0, None)),
    );
    // Preallocated: three clusters, the first 1.2 written.
    let mut prealloc = NewFile::new(3 * c, t(59, 16, 0, plus2));
    prealloc.valid_bytes = Some(c + c / 5);
    prealloc
        .content
        .push((0, pattern((c + c / 5) as usize, 11)));
    add(w, &mut e, "Nexar/Movie/prealloc.mp4", prealloc);
    add(w, &mut e, "empty.txt", NewFile::new(0, t(59, 18, 0, None)));
    add(
        w,
        &mut e,
        "gone-empty.txt",
        NewFile::new(0, t(59, 20, 0, None)),
    );
    w.delete("gone-empty.txt").unwrap();
    // More entries than one cluster holds (3 entries a file).
    let count = c as usize / 96 + 10;
    for i in 0..count {
        let path = format!("Nexar/Photo/IMG_{i:05}.JPG");
        add(w, &mut e, &path, NewFile::new(0, t(59, 22, 0, None)));
    }
    // A clip deleted and then half overwritten by the next one.
    add(
        w,
        &mut e,
        "Nexar/Movie/k.tmp",
        sized(4 * c, 12, t(59, 24, 0, plus2)),
    );
    w.delete("Nexar/Movie/k.tmp").unwrap();
    add(
        w,
        &mut e,
        "Nexar/Movie/20241012_080300_1.mp4",
        sized(2 * c, 13, t(59, 26, 0, plus2)),
    );
    // Deleted last, so nothing reuses their clusters.
    w.delete("Nexar/Parking/2024/10/h.mp4").unwrap();
    w.delete("Nexar/Parking/2024/10/g.mp4").unwrap();
    e
}

/// Checks the listing against what the writer says it did.
fn check_truth(image: &Path, listing: &ExfatListing, truth: &Truth, expected: &Expected) {
    let v = &listing.volume;
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    assert_eq!(v.cluster_bytes, truth.cluster_bytes);
    assert_eq!(v.cluster_count, truth.cluster_count);
    assert_eq!(
        v.free_bytes,
        truth.free_clusters * truth.cluster_bytes as u64
    );
    let visible: Vec<_> = truth
        .entries
        .iter()
        .filter(|t| !t.entry_overwritten)
        .collect();
    assert_eq!(listing.entries.len(), visible.len());
    for t in visible {
        let e = find(listing, &t.path, t.deleted);
        let what = &t.path;
        if !t.deleted || t.recoverable == Some(true) {
            assert!(e.warnings.is_empty(), "{what}: {:?}", e.warnings);
        }
        assert_eq!(e.is_dir, t.is_dir, "{what}");
        assert_eq!(e.first_cluster, t.first_cluster, "{what}");
        assert_eq!(e.read_only, t.read_only, "{what}");
        assert_eq!(e.created, Some(t.times.created), "{what}");
        assert_eq!(e.modified, Some(t.times.modified), "{what}");
        assert_eq!(e.created_utc_offset_s, t.times.utc_offset_s, "{what}");
        assert_eq!(e.modified_utc_offset_s, t.times.utc_offset_s, "{what}");
        assert_eq!(e.recoverable, t.recoverable, "{what}");
        if t.is_dir {
            assert_eq!(e.fragments, t.fragments, "{what}");
            continue;
        }
        assert_eq!(
            (e.bytes, e.no_fat_chain),
            (t.bytes, t.no_fat_chain),
            "{what}"
        );
        if !t.deleted || t.recoverable == Some(true) {
            assert_eq!(e.valid_bytes, t.valid_bytes, "{what}");
            assert_eq!(e.fragments, t.fragments, "{what}");
            let ranges: Vec<(u64, u64)> = e.extents.iter().map(|x| (x.offset, x.bytes)).collect();
            assert_eq!(ranges, truth.byte_ranges(t, t.valid_bytes), "{what}");
            assert_eq!(&content(image, e), &expected[what], "{what}: bytes");
        } else {
            assert!(e.extents.is_empty(), "{what}");
        }
    }
}

/// Checks the card as every front end sees it — [`dashcard::listing::Listing`] from `scan` —
/// against The Sleuth Kit, and its bytes and verdicts against what the writer did.
fn check_scan(image: &Path, truth: &Truth, expected: &Expected) {
    let listing = check_listing_against_tsk(image);
    let v = &listing.volume;
    assert_eq!(v.cluster_bytes, Some(truth.cluster_bytes));
    assert_eq!(
        v.free_bytes,
        Some(truth.free_clusters * truth.cluster_bytes as u64)
    );
    assert_eq!(
        v.capacity_bytes,
        Some(truth.cluster_count as u64 * truth.cluster_bytes as u64)
    );
    for f in &listing.files {
        let t = truth
            .entries
            .iter()
            .rev()
            .find(|t| t.path == f.path && t.deleted == f.deleted)
            .unwrap();
        let what = &f.path;
        assert_eq!(f.recoverable, t.recoverable, "{what}");
        assert_eq!(
            f.valid_bytes,
            (t.valid_bytes < t.bytes).then_some(t.valid_bytes),
            "{what}"
        );
        if !f.deleted || f.recoverable == Some(true) {
            assert_eq!(
                f.fragments,
                if f.bytes == 0 { 0 } else { t.fragments },
                "{what}"
            );
            assert_eq!(&listed_content(image, f), &expected[what], "{what}: bytes");
        }
    }
}

/// Checks the listing against The Sleuth Kit.
fn check_tsk(image: &Path, listing: &ExfatListing) {
    let offset = listing.volume.partition_offset;
    let sector = listing.volume.sector_bytes as u64;
    let tsk = tsk_listing(image, offset / 512);
    let ours: BTreeSet<(String, bool)> = listing
        .entries
        .iter()
        .map(|e| (e.path.clone(), e.deleted))
        .collect();
    let theirs: BTreeSet<(String, bool)> =
        tsk.iter().map(|t| (t.path.clone(), t.deleted)).collect();
    assert_eq!(ours, theirs, "fls and the reader list different entries");
    let marked: BTreeSet<String> = fls_marked(image, offset / 512).into_iter().collect();
    let ours_marked: BTreeSet<String> = listing
        .entries
        .iter()
        .map(|e| format!("{}{}", if e.deleted { "* " } else { "" }, e.path))
        .collect();
    assert_eq!(ours_marked, marked, "fls -r -p marks other entries deleted");
    for e in &listing.entries {
        let t = tsk
            .iter()
            .find(|t| t.path == e.path && t.deleted == e.deleted)
            .unwrap();
        let what = &e.path;
        assert_eq!(t.is_dir, e.is_dir, "{what}");
        assert_eq!(t.mtime, tsk_seconds(e.modified), "{what}: modified");
        assert_eq!(t.crtime, tsk_seconds(e.created), "{what}: created");
        if e.is_dir {
            continue;
        }
        assert_eq!(t.size, e.bytes, "{what}");
        if e.bytes == 0 || (e.deleted && e.recoverable != Some(true)) {
            // TSK recovers a deleted file's clusters regardless (skipping allocated ones);
            // the reader says it is lost. Nothing to compare.
            continue;
        }
        let mut sectors = tsk_sectors(image, offset / 512, t.inode);
        let mine = our_sectors(&e.extents, offset, sector);
        // TSK 4.11 lists one sector too many when a size is a whole number of sectors.
        if e.bytes % sector == 0 && sectors.len() == mine.len() + 1 {
            sectors.pop();
        }
        if e.valid_bytes == e.bytes {
            assert_eq!(sectors, mine, "{what}: istat sectors");
            assert_eq!(runs_in(&sectors), e.fragments, "{what}: fragments");
            let bytes = tsk_bytes(image, offset / 512, t.inode, e.deleted);
            assert!(bytes == content(image, e), "{what}: icat bytes differ");
        } else {
            // TSK ignores the valid length; the sectors it lists start with ours.
            assert!(sectors.starts_with(&mine), "{what}: istat sectors");
        }
    }
}

#[test]
fn mkfs_volumes_filled_by_the_writer_agree_with_the_truth_fsck_and_tsk() {
    for (cluster, size_mib) in [("4K", 96u64), ("128K", 512), ("512K", 1024)] {
        let dir = tempdir();
        let image = dir.path().join("card.img");
        mkfs_exfat(&image, size_mib << 20, cluster, Some("NEXAR"));
        let mut w = ExfatWriter::open(open_image(&image), 0).unwrap();
        let expected = fill(&mut w);
        let (_, truth) = w.finish().unwrap();
        fsck_ok(&image);
        let listing = read(&image, 0);
        assert_eq!(listing.volume.label.as_deref(), Some("NEXAR"), "{cluster}");
        check_truth(&image, &listing, &truth, &expected);
        check_tsk(&image, &listing);
        check_scan(&image, &truth, &expected);
        // The scenario's verdicts, spelled out.
        let deleted = |p: &str| truth.find(p).unwrap();
        assert_eq!(
            deleted("Nexar/Movie/b.tmp").clusters_reused,
            3,
            "wholly reused"
        );
        assert_eq!(
            deleted("Nexar/Movie/d.tmp").clusters_reused,
            4,
            "reused by two files"
        );
        assert_eq!(
            deleted("Nexar/Movie/k.tmp").clusters_reused,
            2,
            "partly reused"
        );
        let k = find(&listing, "Nexar/Movie/k.tmp", true);
        assert_eq!(k.recoverable, Some(false));
        let h = find(&listing, "Nexar/Parking/2024/10/h.mp4", true);
        assert_eq!((h.recoverable, h.fragments), (Some(true), 2), "{cluster}");
        let g = find(&listing, "Nexar/Parking/2024/10/g.mp4", true);
        assert_eq!((g.recoverable, g.fragments), (Some(true), 1), "{cluster}");
        let frag = find(&listing, "Nexar/Movie/20241012_080200_1.mp4", false);
        assert_eq!(frag.fragments, 2, "{cluster}");
        let photos = truth.find("Nexar/Photo").unwrap();
        assert!(
            photos.bytes > truth.cluster_bytes as u64,
            "{cluster}: folder spans clusters"
        );
    }
}

#[test]
fn writer_formatted_volumes_agree_with_the_truth_fsck_and_tsk() {
    for (sector, cluster, size_mib) in [
        (512u32, 4096u32, 64u64),
        (512, 256 * 1024, 512),
        (4096, 128 * 1024, 512),
        (4096, 512 * 1024, 1024),
    ] {
        let dir = tempdir();
        let image = dir.path().join("card.img");
        let mut options = FormatOptions::new(size_mib << 20, cluster);
        options.sector_bytes = sector;
        options.label = Some("Nexar N1".into());
        let mut w = writer_on(&image, &options);
        let expected = fill(&mut w);
        let (_, truth) = w.finish().unwrap();
        fsck_ok(&image);
        let listing = read(&image, 0);
        let v = &listing.volume;
        assert_eq!((v.sector_bytes, v.cluster_bytes), (sector, cluster));
        assert_eq!((v.label.as_deref(), v.serial), (Some("Nexar N1"), 0));
        check_truth(&image, &listing, &truth, &expected);
        check_tsk(&image, &listing);
        check_scan(&image, &truth, &expected);
        // Sparse: only metadata and the scenario's content take disk space.
        let used = disk_usage(&image);
        assert!(used < 48 << 20, "{sector}/{cluster}: {used} bytes on disk");
    }
}

#[test]
fn clusters_of_32_mib_hold_files_written_in_header_pieces() {
    let dir = tempdir();
    let image = dir.path().join("big.img");
    let mut w = writer_on(&image, &FormatOptions::new(3 << 30, 32 << 20));
    let t = times(at(2024, 10, 12, 8, 0, 0, 0), Some(0));
    let mut clip = NewFile::new(40 << 20, t);
    clip.content = vec![(0, pattern(8192, 1)), (35 << 20, pattern(4096, 2))];
    w.add_file("clip.mp4", &clip).unwrap();
    let mut chained = NewFile::new(64 << 20, t);
    chained.placement = Placement::Chained;
    chained.content = vec![(0, pattern(100, 3)), ((64 << 20) - 100, pattern(100, 4))];
    w.add_file("chained.mp4", &chained).unwrap();
    let (_, truth) = w.finish().unwrap();
    fsck_ok(&image);
    let listing = read(&image, 0);
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    let e = find(&listing, "clip.mp4", false);
    let bytes = content(&image, e);
    assert_eq!(&bytes[..8192], &pattern(8192, 1)[..]);
    assert_eq!(&bytes[35 << 20..(35 << 20) + 4096], &pattern(4096, 2)[..]);
    assert!(bytes[8192..35 << 20].iter().all(|&b| b == 0));
    let c = find(&listing, "chained.mp4", false);
    assert_eq!((c.fragments, c.no_fat_chain), (1, false));
    assert_eq!(
        c.first_cluster,
        truth.find("chained.mp4").unwrap().first_cluster
    );
    let tsk = tsk_listing(&image, 0);
    let sizes: BTreeSet<(String, u64)> = tsk.iter().map(|t| (t.path.clone(), t.size)).collect();
    assert_eq!(
        sizes,
        BTreeSet::from([
            ("clip.mp4".into(), 40 << 20),
            ("chained.mp4".into(), 64 << 20)
        ])
    );
    assert!(disk_usage(&image) < 4 << 20, "sparse");
}

/// Bytes the image really occupies on the host (sparse files cost little).
fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).unwrap().blocks() * 512
}

/// Copies the volume out of a card image, for `fsck.exfat`, which takes no offset.
fn extract(card: &Path, offset: u64, bytes: u64, out: &Path) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut from = File::open(card).unwrap();
    from.seek(SeekFrom::Start(offset)).unwrap();
    let mut to = create_image(out);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = bytes;
    while left > 0 {
        let n = (buf.len() as u64).min(left) as usize;
        from.read_exact(&mut buf[..n]).unwrap();
        if buf[..n].iter().any(|&b| b != 0) {
            to.seek(SeekFrom::Start(bytes - left)).unwrap();
            to.write_all(&buf[..n]).unwrap();
        }
        left -= n as u64;
    }
    to.set_len(bytes).unwrap();
}

/// The card's only partition is exFAT at `offset`; its listing agrees with TSK.
fn check_card(card: &Path, scheme: Scheme, offset: u64, bytes: u64) -> ExfatListing {
    let mut reader = BlockReader::new(File::open(card).unwrap()).unwrap();
    let table = read_partition_table(&mut reader).unwrap();
    assert_eq!(table.scheme, scheme);
    assert_eq!(table.partitions.len(), 1, "{:?}", table.partitions);
    let p = &table.partitions[0];
    assert_eq!(
        (p.offset, p.filesystem),
        (offset, Filesystem::ExFat),
        "{p:?}"
    );
    assert_eq!(table.fat_partitions().count(), 0);
    let listing =
        exfat::read_volume(&mut reader, p.offset, p.bytes, &WalkLimits::default()).unwrap();
    assert_eq!(listing.volume.partition_offset, offset);
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    check_tsk(card, &listing);
    let scanned = check_listing_against_tsk(card);
    assert_eq!(scanned.volume.partition_offset, Some(offset));
    assert!(scanned.warnings.is_empty(), "{:?}", scanned.warnings);
    let volume = card.with_extension("volume");
    extract(card, offset, bytes, &volume);
    fsck_ok(&volume);
    listing
}

fn small_fill(w: &mut ExfatWriter<File>) {
    let t = times(at(2024, 10, 12, 9, 0, 0, 0), Some(3600));
    w.mkdir("Nexar/Movie", &t).unwrap();
    w.add_file(
        "Nexar/Movie/20241012_090000_1.mp4",
        &NewFile::with_data(pattern(300_000, 1), t),
    )
    .unwrap();
    w.add_file(
        "Nexar/Movie/gone.mp4",
        &NewFile::with_data(pattern(70_000, 2), t),
    )
    .unwrap();
    w.delete("Nexar/Movie/gone.mp4").unwrap();
}

#[test]
fn mbr_and_gpt_cards_lead_to_their_exfat_partition() {
    let dir = tempdir();
    let volume_bytes = 64u64 << 20;
    let start = 1u64 << 20;

    // The writer's own MBR: one partition of type 07h.
    let card = dir.path().join("mbr-writer.img");
    let mut options = FormatOptions::new(volume_bytes, 128 * 1024);
    options.volume_offset = start;
    options.write_mbr = true;
    let mut w = writer_on(&card, &options);
    small_fill(&mut w);
    w.finish().unwrap();
    let listing = check_card(&card, Scheme::Mbr, start, volume_bytes);
    assert_eq!(
        find(&listing, "Nexar/Movie/gone.mp4", true).recoverable,
        Some(true)
    );

    // sfdisk's MBR (type 7) around a volume mkfs.exfat made.
    let card = dir.path().join("mbr-sfdisk.img");
    File::create(&card)
        .unwrap()
        .set_len(start + volume_bytes)
        .unwrap();
    sfdisk(&card, "label: dos\nstart=2048, type=7\n");
    let volume = dir.path().join("made.img");
    mkfs_exfat(&volume, volume_bytes, "128K", Some("CARD"));
    let mut w = ExfatWriter::open(open_image(&volume), 0).unwrap();
    small_fill(&mut w);
    w.finish().unwrap();
    place(&card, start, &volume);
    let listing = check_card(&card, Scheme::Mbr, start, volume_bytes);
    assert_eq!(listing.volume.label.as_deref(), Some("CARD"));

    // sfdisk's GPT with a basic data partition, formatted in place by the writer.
    let card = dir.path().join("gpt.img");
    File::create(&card)
        .unwrap()
        .set_len(start + volume_bytes + (1 << 20))
        .unwrap();
    sfdisk(
        &card,
        &format!(
            "label: gpt\nstart=2048, size={}, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n",
            volume_bytes / 512
        ),
    );
    let mut options = FormatOptions::new(volume_bytes, 128 * 1024);
    options.volume_offset = start;
    let mut w = ExfatWriter::format(open_image(&card), &options).unwrap();
    small_fill(&mut w);
    w.finish().unwrap();
    check_card(&card, Scheme::Gpt, start, volume_bytes);
}

#[test]
fn bytes_past_the_valid_length_read_as_zeros_not_as_the_stale_clip_beneath() {
    let dir = tempdir();
    let image = dir.path().join("stale.img");
    let mut w = writer_on(&image, &FormatOptions::new(16 << 20, 4096));
    w.set_allocation_order(AllocationOrder::FirstFit);
    let t = times(at(2024, 10, 12, 9, 0, 0, 0), None);
    w.add_file("old.mp4", &NewFile::with_data(pattern(5 * 4096, 1), t))
        .unwrap();
    w.delete("old.mp4").unwrap();
    let mut new = NewFile::new(5 * 4096, t);
    new.valid_bytes = Some(6000);
    new.content.push((0, pattern(6000, 2)));
    w.add_file("new.mp4", &new).unwrap();
    let (_, truth) = w.finish().unwrap();
    fsck_ok(&image);
    assert_eq!(truth.find("old.mp4").unwrap().clusters_reused, 5);
    let listing = read(&image, 0);
    let e = find(&listing, "new.mp4", false);
    assert_eq!((e.bytes, e.valid_bytes), (5 * 4096, 6000));
    assert_eq!(e.extents.iter().map(|x| x.bytes).sum::<u64>(), 6000);
    let mut want = pattern(6000, 2);
    want.resize(5 * 4096, 0);
    assert_eq!(content(&image, e), want);
    // The old clip's bytes are still on the card right after the valid part.
    let raw = std::fs::read(&image).unwrap();
    let at = e.extents[0].offset as usize;
    assert_eq!(raw[at + 6000..at + 6100], pattern(5 * 4096, 1)[6000..6100]);
    // Its entry set was reused by the new one, as drivers do: nothing left to list.
    assert!(truth.find("old.mp4").unwrap().entry_overwritten);
    assert_eq!(listing.entries.len(), 1);
}

#[test]
fn a_deleted_fragmented_clip_is_recovered_through_its_fat_chain() {
    // p2 is deleted, a chained clip fills its hole and continues after p3, then p3 and the
    // clip are deleted. Taking free clusters from the clip's first one onwards (TSK's way, and
    // the only way on FAT) reads p3's clusters in the middle; the FAT chain exFAT keeps after
    // deletion leads to the right ones.
    let dir = tempdir();
    let image = dir.path().join("frag.img");
    let mut w = writer_on(&image, &FormatOptions::new(16 << 20, 4096));
    w.set_allocation_order(AllocationOrder::FirstFit);
    let t = times(at(2024, 10, 12, 9, 0, 0, 0), None);
    for (i, name) in ["p1", "p2", "p3"].iter().enumerate() {
        w.add_file(name, &NewFile::with_data(pattern(2 * 4096, i as u8), t))
            .unwrap();
    }
    w.delete("p2").unwrap();
    let mut clip = NewFile::with_data(pattern(4 * 4096 - 10, 9), t);
    clip.placement = Placement::Chained;
    w.add_file("clip.mp4", &clip).unwrap();
    w.delete("p3").unwrap();
    w.delete("clip.mp4").unwrap();
    let (_, truth) = w.finish().unwrap();
    fsck_ok(&image);
    let listing = read(&image, 0);
    let e = find(&listing, "clip.mp4", true);
    assert_eq!((e.recoverable, e.fragments), (Some(true), 2));
    assert_eq!(truth.find("clip.mp4").unwrap().recoverable, Some(true));
    assert_eq!(content(&image, e), pattern(4 * 4096 - 10, 9));
    assert_eq!(find(&listing, "p3", true).recoverable, Some(true));
    // TSK's recovery reads p3's bytes where the clip's second fragment should be.
    let tsk = tsk_listing(&image, 0);
    let inode = tsk.iter().find(|t| t.path == "clip.mp4").unwrap().inode;
    let theirs = tsk_bytes(&image, 0, inode, true);
    assert_eq!(theirs[..2 * 4096], pattern(4 * 4096 - 10, 9)[..2 * 4096]);
    assert_ne!(theirs, pattern(4 * 4096 - 10, 9));
}

#[test]
fn a_256_gb_card_with_ten_thousand_clips_lists_quickly() {
    let dir = tempdir();
    let image = dir.path().join("256g.img");
    let mut options = FormatOptions::new(256_000_000_000, 256 * 1024);
    options.label = Some("Nexar N1".into());
    options.volume_offset = 4 << 20;
    options.write_mbr = true;
    let mut w = writer_on(&image, &options);
    let t0 = at(2024, 10, 1, 8, 0, 0, 0);
    w.mkdir("Nexar/Movie", &times(t0, Some(7200))).unwrap();
    w.mkdir("Nexar/Parking", &times(t0, Some(7200))).unwrap();
    let clip_bytes = 20_000_000u64;
    let mut written = 0;
    for i in 0..12_000u32 {
        let when = t0 + chrono::Duration::seconds(60 * i as i64);
        let folder = if i % 10 == 9 { "Parking" } else { "Movie" };
        let path = format!(
            "Nexar/{folder}/{}_{}.mp4",
            when.format("%Y%m%d_%H%M%S"),
            i % 2 + 1
        );
        let mut clip = NewFile::new(clip_bytes + (i as u64 % 7) * 1000, times(when, Some(7200)));
        clip.content.push((0, pattern(4096, i as u8)));
        w.add_file(&path, &clip).unwrap();
        // Loop recording: the oldest clips go when the card is nearly full.
        if i >= 1_500 && i % 5 == 0 {
            let old = t0 + chrono::Duration::seconds(60 * (i as i64 - 1_500));
            let old_folder = if (i - 1_500) % 10 == 9 {
                "Parking"
            } else {
                "Movie"
            };
            let gone = format!(
                "Nexar/{old_folder}/{}_{}.mp4",
                old.format("%Y%m%d_%H%M%S"),
                (i - 1_500) % 2 + 1
            );
            let _ = w.delete(&gone);
        }
        written += 1;
    }
    let (_, truth) = w.finish().unwrap();
    assert_eq!(written, 12_000);
    let live = truth
        .entries
        .iter()
        .filter(|e| !e.deleted && !e.is_dir)
        .count();
    assert!((9_800..=10_000).contains(&live), "{live} live clips");
    assert!(
        disk_usage(&image) < 128 << 20,
        "sparse: {}",
        disk_usage(&image)
    );

    let started = Instant::now();
    let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
    let len = reader.len();
    let listing = exfat::read_volume(
        &mut reader,
        4 << 20,
        len - (4 << 20),
        &WalkLimits::default(),
    )
    .unwrap();
    let elapsed = started.elapsed();
    let stats = reader.stats();
    eprintln!(
        "256 GB exFAT, {} entries: listed in {elapsed:?} ({} reads, {} bytes)",
        listing.entries.len(),
        stats.read_calls,
        stats.bytes_read
    );
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    let visible = truth
        .entries
        .iter()
        .filter(|e| !e.entry_overwritten)
        .count();
    assert_eq!(listing.entries.len(), visible);
    assert_eq!(
        listing.volume.free_bytes,
        truth.free_clusters * truth.cluster_bytes as u64
    );
    // Well under a second in a release build; generous here for debug builds on a busy machine.
    assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn sfdisk(image: &Path, script: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sfdisk")
        .args(["--no-reread", "--no-tell-kernel", "-q"])
        .arg(image)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sfdisk (is fdisk installed?)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sfdisk: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies a volume image into a card image at `offset`.
fn place(card: &Path, offset: u64, volume: &Path) {
    let bytes = std::fs::metadata(volume).unwrap().len();
    extract_into(volume, card, offset, bytes);
}

fn extract_into(from: &Path, to: &Path, offset: u64, bytes: u64) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut src = File::open(from).unwrap();
    let mut dst = open_image(to);
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    while done < bytes {
        let n = (buf.len() as u64).min(bytes - done) as usize;
        src.read_exact(&mut buf[..n]).unwrap();
        if buf[..n].iter().any(|&b| b != 0) {
            dst.seek(SeekFrom::Start(offset + done)).unwrap();
            dst.write_all(&buf[..n]).unwrap();
        }
        done += n as u64;
    }
}
