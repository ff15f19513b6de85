//! The FAT layer on images made by the real tools: mkfs.fat formats, mtools writes, mdel
//! deletes, fls (The Sleuth Kit) cross-checks.

mod common;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use common::*;
use dashcard::block_reader::BlockReader;
use dashcard::extent::ExtentReader;
use dashcard::fat::{self, Entry, FatType, VolumeListing as Listing, WalkLimits};

fn read(image: &Path, offset: u64) -> Listing {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let len = reader.len();
    fat::read_volume(&mut reader, offset, len - offset, &WalkLimits::default()).unwrap()
}

fn content(image: &Path, entry: &Entry) -> Vec<u8> {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let mut out = Vec::new();
    ExtentReader::new(&mut reader, &entry.extents, entry.bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn find<'a>(listing: &'a Listing, path: &str, deleted: bool) -> &'a Entry {
    listing
        .entries
        .iter()
        .find(|e| e.path == path && e.deleted == deleted)
        .unwrap_or_else(|| {
            let all: Vec<_> = listing
                .entries
                .iter()
                .map(|e| (&e.path, e.deleted))
                .collect();
            panic!("no entry {path} (deleted: {deleted}) in {all:?}")
        })
}

/// A card like a camera's: nested folders, long names, several files, one deleted.
fn populated(dir: &Path, mkfs: &Mkfs) -> std::path::PathBuf {
    let image = dir.join("card.img");
    mkfs_fat(&image, mkfs);
    mmd(&image, 0, "Nexar");
    mmd(&image, 0, "Nexar/Movie");
    mmd(&image, 0, "Nexar/sos");
    let a = host_file(dir, "20241012_075700_1.mp4", 70_000, 1);
    let b = host_file(dir, "20241012_075700_2.mp4", 33_333, 2);
    let c = host_file(dir, "20241012_080100_U.mp4", 5_000, 3);
    let d = host_file(dir, "log.txt", 10, 4);
    mcopy(&image, 0, &a, "Nexar/Movie/20241012_075700_1.mp4");
    mcopy(&image, 0, &b, "Nexar/Movie/20241012_075700_2.mp4");
    mcopy(&image, 0, &c, "Nexar/sos/20241012_080100_U.mp4");
    mcopy(&image, 0, &d, "log.txt");
    mdel(&image, 0, "Nexar/Movie/20241012_075700_2.mp4");
    image
}

#[test]
fn fat12_fat16_fat32_and_cluster_sizes_read_back_exactly() {
    let cases = [
        Mkfs::new(12, 4 * 1024).label("CAM12"),
        Mkfs::new(16, 32 * 1024).cluster_sectors(4).label("CAM16"),
        Mkfs::new(16, 64 * 1024).cluster_sectors(16),
        Mkfs::new(32, 80 * 1024).cluster_sectors(1).label("NEXAR"),
        Mkfs::new(32, 300 * 1024).cluster_sectors(8),
    ];
    for mkfs in cases {
        let dir = tempdir();
        let image = populated(dir.path(), &mkfs);
        let listing = read(&image, 0);
        let v = &listing.volume;
        let want = match mkfs.fat_bits {
            12 => FatType::Fat12,
            16 => FatType::Fat16,
            _ => FatType::Fat32,
        };
        assert_eq!(v.fat_type, want, "{mkfs:?}");
        assert_eq!(v.label, mkfs.label.clone(), "{mkfs:?}");
        if let Some(spc) = mkfs.sectors_per_cluster {
            assert_eq!(v.cluster_bytes, spc * 512);
        }
        for (path, seed, bytes) in [
            ("Nexar/Movie/20241012_075700_1.mp4", 1u8, 70_000usize),
            ("Nexar/sos/20241012_080100_U.mp4", 3, 5_000),
            ("log.txt", 4, 10),
        ] {
            let e = find(&listing, path, false);
            assert_eq!(e.bytes, bytes as u64, "{path}");
            let want = std::fs::read(host_file(dir.path(), "want", bytes, seed)).unwrap();
            assert_eq!(content(&image, e), want, "{path} in {mkfs:?}");
            assert!(
                e.modified.is_some() && e.created.is_some(),
                "{path} has times"
            );
            assert!(e.warnings.is_empty(), "{path}: {:?}", e.warnings);
        }
        let gone = find(&listing, "Nexar/Movie/20241012_075700_2.mp4", true);
        assert_eq!(gone.recoverable, Some(true), "{mkfs:?}");
        let want = std::fs::read(host_file(dir.path(), "want", 33_333, 2)).unwrap();
        assert_eq!(content(&image, gone), want, "recovered bytes in {mkfs:?}");
        assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    }
}

#[test]
fn a_volume_with_4096_byte_sectors_is_read() {
    // mtools cannot write to 4 KiB-sector volumes, so this one stays as mkfs.fat made it.
    let dir = tempdir();
    let image = dir.path().join("4k.img");
    mkfs_fat(
        &image,
        &Mkfs::new(32, 600 * 1024)
            .cluster_sectors(1)
            .sector_bytes(4096)
            .label("BIG4K"),
    );
    let listing = read(&image, 0);
    let v = &listing.volume;
    assert_eq!(
        (v.fat_type, v.sector_bytes, v.cluster_bytes),
        (FatType::Fat32, 4096, 4096)
    );
    assert_eq!(v.label.as_deref(), Some("BIG4K"));
    // Only the root folder's cluster is used.
    assert_eq!(v.free_bytes, v.capacity_bytes - 4096);
    assert!(
        listing.entries.is_empty() && listing.warnings.is_empty(),
        "{listing:?}"
    );
}

#[test]
fn the_listing_matches_fls() {
    let dir = tempdir();
    let image = populated(dir.path(), &Mkfs::new(32, 80 * 1024).cluster_sectors(1));
    let listing = read(&image, 0);
    let ours: BTreeSet<String> = listing
        .entries
        .iter()
        .map(|e| format!("{}{}", if e.deleted { "* " } else { "" }, e.path))
        .collect();
    // fls -r -p: "r/r 7:\tpath" or "r/r * 9:\tpath" for deleted; skip its virtual files.
    let theirs: BTreeSet<String> = fls(&image, 0)
        .iter()
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            if path.starts_with('$') {
                return None;
            }
            Some(format!(
                "{}{}",
                if meta.contains('*') { "* " } else { "" },
                path
            ))
        })
        .collect();
    assert_eq!(ours, theirs);
}

#[test]
fn free_space_is_counted_from_the_fat() {
    let dir = tempdir();
    let image = populated(dir.path(), &Mkfs::new(32, 80 * 1024).cluster_sectors(2));
    let listing = read(&image, 0);
    let v = &listing.volume;
    // minfo/fsck report the same free cluster count.
    let out = run(std::process::Command::new("fsck.fat")
        .args(["-n", "-v"])
        .arg(&image));
    let line = out
        .lines()
        .find(|l| l.contains(" files, "))
        .expect("fsck summary");
    // "…: 7 files, 181/81027 clusters"
    let used_total = line
        .rsplit(", ")
        .next()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let (used, total) = used_total.split_once('/').unwrap();
    let (used, total): (u64, u64) = (used.parse().unwrap(), total.parse().unwrap());
    assert_eq!(v.cluster_count as u64, total);
    assert_eq!(v.free_bytes, (total - used) * v.cluster_bytes as u64);
    assert_eq!(v.capacity_bytes, total * v.cluster_bytes as u64);
}

#[test]
fn interleaved_writes_fragment_a_file_and_its_extents_read_it_back() {
    let dir = tempdir();
    let image = dir.path().join("frag.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    let small: Vec<_> = (0..6)
        .map(|i| host_file(dir.path(), &format!("s{i}.bin"), 3000, i as u8))
        .collect();
    for (i, f) in small.iter().enumerate() {
        mcopy(&image, 0, f, &format!("s{i}.bin"));
    }
    for i in [1, 3] {
        mdel(&image, 0, &format!("s{i}.bin"));
    }
    let big = host_file(dir.path(), "big.bin", 40_000, 9);
    mcopy(&image, 0, &big, "big.bin");
    let listing = read(&image, 0);
    let e = find(&listing, "big.bin", false);
    assert!(
        e.fragments >= 3,
        "big.bin fills the two gaps then continues: {e:?}"
    );
    assert_eq!(e.extents.len() as u32, e.fragments);
    assert_eq!(content(&image, e), std::fs::read(&big).unwrap());
    // big.bin took s1.bin's directory slot; s3.bin's entry remains, its first letter lost
    // (a short name only), and its clusters were reused by big.bin: not recoverable.
    let gone = find(&listing, "_3.bin", true);
    assert_eq!(gone.recoverable, Some(false));
    assert!(gone.extents.is_empty());
}

#[test]
fn the_fat_is_read_in_a_few_large_calls() {
    let dir = tempdir();
    let image = populated(dir.path(), &Mkfs::new(32, 512 * 1024).cluster_sectors(1));
    let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
    let len = reader.len();
    let listing = fat::read_volume(&mut reader, 0, len, &WalkLimits::default()).unwrap();
    let fat_bytes = listing.volume.fat_bytes;
    let stats = reader.stats();
    assert!(
        fat_bytes > 3 * 1024 * 1024,
        "a FAT of several MiB ({fat_bytes})"
    );
    assert!(stats.read_calls <= 12, "{stats:?}");
    assert!(
        stats.bytes_read <= fat_bytes + 3 * 256 * 1024,
        "{stats:?} vs FAT {fat_bytes}"
    );
}

/// A folder whose two entries share one 8.3 name (legal on disk, and what images from other
/// tools can hold): mtools writes two files, then the second entry's 8.3 name is patched to
/// the first's, with its long-name entries' checksum updated to match (`consistent`) or left
/// as it was (`stale`). Each entry keeps its own name, size and clusters.
#[test]
fn two_entries_with_the_same_short_name_each_keep_their_own_name_and_bytes() {
    for consistent in [true, false] {
        let dir = tempdir();
        let image = dir.path().join("dup.img");
        mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
        mmd(&image, 0, "Nexar");
        let first = host_file(dir.path(), "first", 3000, 11);
        let second = host_file(dir.path(), "second", 5000, 22);
        mcopy(&image, 0, &first, "Nexar/first-clip.mp4");
        mcopy(&image, 0, &second, "Nexar/second-clip.mp4");
        let mut data = std::fs::read(&image).unwrap();
        let at = |name: &[u8; 11]| {
            data.chunks(32)
                .position(|e| e.len() == 32 && &e[..11] == name && e[11] != 0x0F)
                .map(|i| i * 32)
                .expect("8.3 entry")
        };
        let shared = *b"FIRST-~1MP4";
        let first_entry = at(&shared);
        let entry = at(b"SECOND~1MP4");
        assert!(first_entry < entry);
        data[entry..entry + 11].copy_from_slice(&shared);
        if consistent {
            let sum = dashcard::fat::dir_entry::checksum(&shared);
            let mut lfn = entry - 32;
            while data[lfn + 11] == 0x0F {
                data[lfn + 13] = sum;
                lfn -= 32;
            }
        }
        std::fs::write(&image, &data).unwrap();

        let listing = read(&image, 0);
        let ours: Vec<(String, u64)> = listing
            .entries
            .iter()
            .filter(|e| !e.is_dir)
            .map(|e| (e.path.clone(), e.bytes))
            .collect();
        // fls names the files in the consistent case; with a stale checksum the long name no
        // longer belongs to the entry (fls does not check, mdir and the FAT specification do),
        // and the 8.3 name is all there is.
        let second_name = if consistent {
            let names: Vec<String> = fls(&image, 0)
                .iter()
                .filter_map(|l| l.split_once(":\t").map(|(_, p)| p.to_string()))
                .filter(|p| p.ends_with(".mp4"))
                .collect();
            assert_eq!(names, ["Nexar/first-clip.mp4", "Nexar/second-clip.mp4"]);
            "Nexar/second-clip.mp4"
        } else {
            let mdir = run(std::process::Command::new("mdir")
                .env("MTOOLS_SKIP_CHECK", "1")
                .env("MTOOLSRC", "/dev/null")
                .args(["-i"])
                .arg(&image)
                .arg("::Nexar"));
            let lines: Vec<&str> = mdir.lines().filter(|l| l.contains("MP4")).collect();
            assert!(lines[0].ends_with("first-clip.mp4"), "{mdir}");
            assert!(
                lines[1].contains(" 5000 ") && !lines[1].contains("clip"),
                "{mdir}"
            );
            "Nexar/FIRST-~1.MP4"
        };
        assert_eq!(
            ours,
            [
                ("Nexar/first-clip.mp4".to_string(), 3000),
                (second_name.to_string(), 5000)
            ],
            "consistent checksum: {consistent}"
        );
        assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
        for (path, source, at) in [
            ("Nexar/first-clip.mp4", &first, first_entry),
            (second_name, &second, entry),
        ] {
            let e = find(&listing, path, false);
            assert_eq!(e.entry_offset, at as u64, "{path} was read where it lies");
            assert_eq!(content(&image, e), std::fs::read(source).unwrap(), "{path}");
        }
    }
}

/// The sectors The Sleuth Kit's `istat` lists for the entry `fls` numbers `inode`.
fn istat_sectors(image: &Path, inode: &str) -> Vec<u64> {
    let out = run(std::process::Command::new("istat").arg(image).arg(inode));
    let (_, sectors) = out.split_once("Sectors:").expect("istat lists sectors");
    sectors
        .split_whitespace()
        .map(|s| s.parse().expect("a sector number"))
        .collect()
}

/// The inode `fls -r -p` gives the entry at `path` (deleted or not).
fn fls_inode(image: &Path, path: &str, deleted: bool) -> String {
    fls(image, 0)
        .iter()
        .find_map(|line| {
            let (meta, p) = line.split_once('\t')?;
            (p == path && meta.contains('*') == deleted).then(|| {
                meta.trim_end_matches(':')
                    .rsplit(' ')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            })
        })
        .unwrap_or_else(|| panic!("fls lists no {path}"))
}

/// A deleted file whose first cluster is still free but whose later clusters were taken by a
/// newer file is lost: every cluster it would occupy must be free, not just the first. mtools
/// makes the card (first-fit allocation, as a camera's FAT driver): `clip.bin` (16 clusters)
/// in a folder, deleted; `head.bin` takes its first 3 clusters, `tail.bin` the 4th; `head.bin`
/// deleted again. Which sectors `tail.bin` holds comes from The Sleuth Kit's `istat`.
#[test]
fn a_deleted_file_whose_tail_clusters_were_reused_is_not_recoverable() {
    let dir = tempdir();
    let image = dir.path().join("tail.img");
    mkfs_fat(&image, &Mkfs::new(16, 4 * 1024).cluster_sectors(1));
    mmd(&image, 0, "Movie");
    let clip = host_file(dir.path(), "clip.bin", 16 * 512, 1);
    let keep = host_file(dir.path(), "keep.bin", 2048, 2);
    let head = host_file(dir.path(), "head.bin", 3 * 512, 3);
    let tail = host_file(dir.path(), "tail.bin", 300, 4);
    mcopy(&image, 0, &clip, "Movie/clip.bin");
    mcopy(&image, 0, &keep, "keep.bin");
    mdel(&image, 0, "Movie/clip.bin");
    mcopy(&image, 0, &head, "head.bin");
    mcopy(&image, 0, &tail, "tail.bin");
    mdel(&image, 0, "head.bin");

    // The independent view: head.bin (deleted) starts where clip.bin did, and tail.bin's one
    // sector lies inside the 16 sectors clip.bin would take from there.
    // (8.3 names, so a deleted entry has lost its first letter, to both readers.)
    let clip_first = istat_sectors(&image, &fls_inode(&image, "Movie/_lip.bin", true))[0];
    let head_first = istat_sectors(&image, &fls_inode(&image, "_ead.bin", true))[0];
    let tail_sectors = istat_sectors(&image, &fls_inode(&image, "tail.bin", false));
    assert_eq!(
        head_first, clip_first,
        "head.bin reused clip.bin's first cluster"
    );
    assert_eq!(
        tail_sectors,
        [clip_first + 3],
        "tail.bin took clip.bin's 4th cluster"
    );

    let listing = read(&image, 0);
    let lost = find(&listing, "Movie/_lip.bin", true);
    assert_eq!(lost.recoverable, Some(false), "{lost:?}");
    assert!(lost.extents.is_empty());
    // head.bin's own clusters are all free again and untouched: its bytes come back whole.
    let freed = find(&listing, "_ead.bin", true);
    assert_eq!(freed.recoverable, Some(true), "{freed:?}");
    assert_eq!(content(&image, freed), std::fs::read(&head).unwrap());
    let live = find(&listing, "tail.bin", false);
    assert_eq!(content(&image, live), std::fs::read(&tail).unwrap());
}

/// The sector range fsstat gives for the cluster area (cluster 2 to the last cluster).
fn fsstat_cluster_area(image: &Path) -> (u64, u64) {
    let out = run(std::process::Command::new("fsstat").arg(image));
    let line = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("** Cluster Area: "))
        .expect("fsstat shows the cluster area");
    let (a, b) = line.split_once(" - ").expect("a range");
    (a.trim().parse().unwrap(), b.trim().parse().unwrap())
}

/// Deleted files at both ends of the data area, cluster 2 and the very last cluster, are
/// recoverable: the bounds of the check are the volume's, not one cluster inside them. mtools
/// fills a FAT16 volume (first-fit) so that `last.bin` ends on its last cluster; fsstat and
/// istat (The Sleuth Kit) confirm where both files lie. A deleted empty file is trivially
/// recoverable, in no run at all.
#[test]
fn deleted_files_on_the_first_and_last_clusters_are_recoverable() {
    let dir = tempdir();
    let image = dir.path().join("edges.img");
    mkfs_fat(&image, &Mkfs::new(16, 4 * 1024).cluster_sectors(1));
    let (area_first, area_last) = fsstat_cluster_area(&image);
    let free = (area_last - area_first + 1) as usize * 512;
    let first = host_file(dir.path(), "first.bin", 3 * 512, 5);
    let last = host_file(dir.path(), "last.bin", 5 * 512 - 100, 6);
    let filler = host_file(dir.path(), "filler.bin", free - 8 * 512, 7);
    mcopy(&image, 0, &first, "first.bin");
    mcopy(&image, 0, &filler, "filler.bin");
    mcopy(&image, 0, &last, "last.bin");
    let empty = host_file(dir.path(), "empty.bin", 0, 8);
    mcopy(&image, 0, &empty, "empty.bin");
    mdel(&image, 0, "first.bin");
    mdel(&image, 0, "last.bin");
    mdel(&image, 0, "empty.bin");
    assert_eq!(
        istat_sectors(&image, &fls_inode(&image, "_irst.bin", true))[0],
        area_first,
        "first.bin starts on cluster 2"
    );
    let last_sectors = istat_sectors(&image, &fls_inode(&image, "_ast.bin", true));
    assert_eq!(
        last_sectors.last().copied(),
        Some(area_last),
        "last.bin ends on the last cluster"
    );

    let listing = read(&image, 0);
    for (path, host) in [("_irst.bin", &first), ("_ast.bin", &last)] {
        let e = find(&listing, path, true);
        assert_eq!(e.recoverable, Some(true), "{path}: {e:?}");
        assert_eq!(content(&image, e), std::fs::read(host).unwrap(), "{path}");
        assert_eq!(e.fragments, 1, "{path}");
    }
    let e = find(&listing, "_mpty.bin", true);
    assert_eq!((e.bytes, e.recoverable), (0, Some(true)), "{e:?}");
    assert_eq!(e.fragments, 0, "an empty file has no run: {e:?}");
    assert!(e.extents.is_empty(), "{e:?}");
}
