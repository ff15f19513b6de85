//! Damaged exFAT volumes: images the writer made, patched the way corruption or a hostile image
//! would. Each must end in a clear error or a warning — quickly, never a panic or a hang.

mod exfat_common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dashcard::block_reader::BlockReader;
use dashcard::exfat::{self, BootCopy, ExfatError, ExfatListing};
use dashcard::fat::WalkLimits;
use exfat_common::exfat_writer::{FormatOptions, NewFile, Placement, Truth};
use exfat_common::*;

const CLUSTER: u64 = 4096;

fn timed_read(image: &Path, limits: &WalkLimits) -> Result<ExfatListing, ExfatError> {
    let started = Instant::now();
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let len = reader.len();
    let result = exfat::read_volume(&mut reader, 0, len, limits);
    // Not a benchmark: only a hang or a runaway loop would take this long.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    result
}

fn read_ok(image: &Path) -> ExfatListing {
    timed_read(image, &WalkLimits::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// A 16 MiB volume with 4 KiB clusters: `a.bin` (3 clusters, contiguous), `chain.bin`
/// (3 clusters, FAT chain), `sub/` holding `c.bin` and folder `inner/`.
fn base(dir: &Path) -> (PathBuf, Truth) {
    let image = dir.join("card.img");
    let mut w = writer_on(&image, &FormatOptions::new(16 << 20, CLUSTER as u32));
    let t = times(at(2024, 10, 12, 7, 57, 0, 0), Some(0));
    w.add_file("a.bin", &NewFile::with_data(pattern(3 * 4096, 1), t))
        .unwrap();
    let mut chained = NewFile::with_data(pattern(3 * 4096 - 7, 2), t);
    chained.placement = Placement::Chained;
    w.add_file("chain.bin", &chained).unwrap();
    w.mkdir("sub/inner", &t).unwrap();
    w.add_file("sub/c.bin", &NewFile::with_data(pattern(700, 3), t))
        .unwrap();
    let (_, truth) = w.finish().unwrap();
    (image, truth)
}

fn patch(image: &Path, offset: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = open_image(image);
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(bytes).unwrap();
}

fn read_bytes(image: &Path, offset: u64, len: usize) -> Vec<u8> {
    let data = std::fs::read(image).unwrap();
    data[offset as usize..offset as usize + len].to_vec()
}

/// Offset of the File entry of the set named `name` (up to 15 characters).
fn set_offset(image: &Path, name: &str) -> u64 {
    let data = std::fs::read(image).unwrap();
    let needle: Vec<u8> = name.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    (0..data.len() / 32)
        .map(|i| i * 32)
        .find(|&at| {
            data[at] == 0xC1 && data[at + 2..].starts_with(&needle) && data[at - 64] == 0x85
        })
        .map(|at| at as u64 - 64)
        .expect("entry set")
}

/// Recomputes the checksum of the set at `at` after a deliberate change.
fn reseal(image: &Path, at: u64) {
    let head = read_bytes(image, at, 32);
    let count = head[1] as usize + 1;
    let set = read_bytes(image, at, count * 32);
    let mut sum = 0u16;
    for (i, &b) in set.iter().enumerate() {
        if i == 2 || i == 3 {
            continue;
        }
        sum = sum.rotate_right(1).wrapping_add(b as u16);
    }
    patch(image, at + 2, &sum.to_le_bytes());
}

fn entry<'a>(l: &'a ExfatListing, path: &str) -> &'a dashcard::exfat::ExfatEntry {
    find(l, path, false)
}

fn set_fat(image: &Path, l: &ExfatListing, cluster: u32, value: u32) {
    patch(
        image,
        l.volume.fat_offset + cluster as u64 * 4,
        &value.to_le_bytes(),
    );
}

fn any(warnings: &[String], words: &str) -> bool {
    warnings.iter().any(|w| w.contains(words))
}

#[test]
fn a_damaged_main_boot_region_falls_back_to_the_backup() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    // A changed serial breaks the main checksum.
    patch(&image, 100, &[0x99]);
    let l = read_ok(&image);
    assert_eq!(l.volume.boot_region, BootCopy::Backup);
    assert!(
        any(&l.warnings, "backup boot region was used"),
        "{:?}",
        l.warnings
    );
    assert_eq!(content(&image, entry(&l, "a.bin")), pattern(3 * 4096, 1));
    // A wiped main boot sector: the backup still leads to the files.
    patch(&image, 0, &[0u8; 512]);
    let l = read_ok(&image);
    assert_eq!(l.volume.boot_region, BootCopy::Backup);
    assert_eq!(l.entries.len(), 5);
    // Both damaged: a clear error.
    patch(&image, 12 * 512 + 100, &[0x99]);
    let err = timed_read(&image, &WalkLimits::default()).unwrap_err();
    assert!(matches!(err, ExfatError::BadBootRegion(_)), "{err}");
    assert!(err.to_string().contains("backup"), "{err}");
}

/// A card whose exFAT main boot sector is wiped: the partition table still names the volume
/// exFAT (from its backup boot region), so the scan reaches the reader, which falls back on the
/// backup and warns — on a bare volume and behind an MBR, with 512- and 4096-byte sectors.
#[test]
fn a_card_with_a_wiped_main_boot_sector_is_still_read_through_its_backup() {
    use dashcard::partition::{Filesystem, read_partition_table};
    use dashcard::scan::{ScanOptions, list_image};
    for (sector, volume_offset) in [(512u32, 0u64), (512, 1 << 20), (4096, 0), (4096, 1 << 20)] {
        let dir = tempdir();
        let image = dir.path().join("card.img");
        let mut options = FormatOptions::new(16 << 20, 4096);
        options.sector_bytes = sector;
        options.volume_offset = volume_offset;
        options.write_mbr = volume_offset > 0;
        let mut w = writer_on(&image, &options);
        let t = times(at(2024, 10, 12, 7, 57, 0, 0), None);
        w.add_file("a.bin", &NewFile::with_data(pattern(3 * 4096, 1), t))
            .unwrap();
        w.finish().unwrap();
        patch(&image, volume_offset, &vec![0u8; sector as usize]);
        let what = format!("{sector}-byte sectors at {volume_offset}");
        let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
        let table = read_partition_table(&mut reader).unwrap();
        assert_eq!(table.partitions.len(), 1, "{what}");
        assert_eq!(table.partitions[0].filesystem, Filesystem::ExFat, "{what}");
        let listing = list_image(&mut reader, &ScanOptions::default())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(listing.volume.filesystem.as_deref(), Some("exFAT"));
        assert!(
            any(&listing.warnings, "backup boot region was used"),
            "{what}: {:?}",
            listing.warnings
        );
        assert_eq!(listing.files.len(), 1, "{what}");
        let file = &listing.files[0];
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file.open(&mut reader), &mut bytes).unwrap();
        assert_eq!(bytes, pattern(3 * 4096, 1), "{what}");
    }
}

#[test]
fn the_dirty_flag_is_a_warning() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    // VolumeFlags are outside the checksum: setting VolumeDirty keeps the region valid.
    patch(&image, 106, &[0x02]);
    let l = read_ok(&image);
    assert!(l.volume.dirty && l.volume.boot_region == BootCopy::Main);
    assert!(any(&l.warnings, "dirty"), "{:?}", l.warnings);
}

#[test]
fn an_entry_set_that_fails_its_checksum_is_skipped_with_a_warning() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    let at = set_offset(&image, "a.bin");
    patch(&image, at + 32 + 24, &[0x55]);
    let l = read_ok(&image);
    assert!(!l.entries.iter().any(|e| e.path == "a.bin"));
    assert!(
        any(&l.warnings, "does not match its checksum"),
        "{:?}",
        l.warnings
    );
    assert!(l.entries.iter().any(|e| e.path == "sub/c.bin"));
}

#[test]
fn cyclic_chains_are_warnings_not_hangs() {
    let dir = tempdir();
    let (image, truth) = base(dir.path());
    let l = read_ok(&image);
    let first = truth.find("chain.bin").unwrap().first_cluster;
    set_fat(&image, &l, first + 1, first);
    let l = read_ok(&image);
    let w = &entry(&l, "chain.bin").warnings;
    assert!(any(w, "loops back"), "{w:?}");
    // The root folder's chain pointing at itself.
    let root = l.volume.root_cluster;
    set_fat(&image, &l, root, root);
    let l = read_ok(&image);
    assert!(
        any(&l.warnings, "root folder") && any(&l.warnings, "loops back"),
        "{:?}",
        l.warnings
    );
    assert!(
        l.entries.iter().any(|e| e.path == "a.bin"),
        "what was read is listed"
    );
}

#[test]
fn out_of_range_clusters_are_reported() {
    let dir = tempdir();
    let (image, truth) = base(dir.path());
    let l = read_ok(&image);
    let first = truth.find("chain.bin").unwrap().first_cluster;
    set_fat(&image, &l, first, 0x0FFF_FFF0);
    let at = set_offset(&image, "a.bin");
    patch(&image, at + 32 + 20, &0xFFFF_FFF0u32.to_le_bytes());
    reseal(&image, at);
    let l = read_ok(&image);
    assert!(any(&entry(&l, "chain.bin").warnings, "outside the volume"));
    let a = entry(&l, "a.bin");
    assert!(any(&a.warnings, "outside the volume"), "{:?}", a.warnings);
    assert!(a.extents.is_empty());
}

#[test]
fn absurd_lengths_are_warnings() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    let at = set_offset(&image, "a.bin");
    patch(&image, at + 32 + 24, &(1u64 << 60).to_le_bytes());
    patch(&image, at + 32 + 8, &(1u64 << 60).to_le_bytes());
    reseal(&image, at);
    let at = set_offset(&image, "inner");
    patch(&image, at + 32 + 24, &u64::MAX.to_le_bytes());
    reseal(&image, at);
    let l = read_ok(&image);
    let a = entry(&l, "a.bin");
    assert!(
        any(&a.warnings, "larger than the whole volume"),
        "{:?}",
        a.warnings
    );
    assert!(a.extents.is_empty());
    let inner = entry(&l, "sub/inner");
    assert!(any(&inner.warnings, "256 MiB"), "{:?}", inner.warnings);
}

#[test]
fn a_bitmap_shorter_than_the_heap_counts_the_rest_as_used() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    let l = read_ok(&image);
    let root = l.volume.data_offset + (l.volume.root_cluster as u64 - 2) * CLUSTER;
    let slot = (0..4)
        .map(|k| root + k * 32)
        .find(|&at| read_bytes(&image, at, 1)[0] == 0x81)
        .unwrap();
    patch(&image, slot + 24, &16u64.to_le_bytes());
    let short = read_ok(&image);
    assert!(
        any(&short.warnings, "shorter than the cluster heap"),
        "{:?}",
        short.warnings
    );
    assert!(short.volume.free_bytes < 128 * CLUSTER);
    assert!(short.volume.free_bytes < l.volume.free_bytes);
    assert_eq!(
        content(&image, entry(&short, "a.bin")),
        pattern(3 * 4096, 1)
    );
}

#[test]
fn a_directory_loop_is_not_followed() {
    let dir = tempdir();
    let (image, truth) = base(dir.path());
    let sub = truth.find("sub").unwrap().first_cluster;
    let at = set_offset(&image, "inner");
    patch(&image, at + 32 + 20, &sub.to_le_bytes());
    reseal(&image, at);
    let l = read_ok(&image);
    let inner = entry(&l, "sub/inner");
    assert!(
        any(&inner.warnings, "directory loop"),
        "{:?}",
        inner.warnings
    );
    assert_eq!(
        l.entries.iter().filter(|e| e.path == "sub/c.bin").count(),
        1
    );
}

#[test]
fn unknown_entries_are_handled_as_the_specification_says() {
    let dir = tempdir();
    let (image, truth) = base(dir.path());
    let l = read_ok(&image);
    let sub = truth.find("sub").unwrap().first_cluster;
    let sub_at = l.volume.data_offset + (sub as u64 - 2) * CLUSTER;
    // After sub's two sets (inner: 3 entries, c.bin: 3): a benign primary (skipped silently),
    // then an undefined critical primary (skipped with a warning).
    let mut benign = [0u8; 32];
    benign[0] = 0xA1;
    let mut critical = [0u8; 32];
    critical[0] = 0x8F;
    patch(&image, sub_at + 6 * 32, &benign);
    patch(&image, sub_at + 7 * 32, &critical);
    let l = read_ok(&image);
    assert_eq!(l.warnings.len(), 1, "{:?}", l.warnings);
    assert!(any(&l.warnings, "0x8f"), "{:?}", l.warnings);
}

#[test]
fn a_cleared_fat_chain_is_recovered_as_contiguous_and_a_reused_one_is_not() {
    let dir = tempdir();
    let image = dir.path().join("card.img");
    let mut w = writer_on(&image, &FormatOptions::new(16 << 20, CLUSTER as u32));
    let t = times(at(2024, 10, 12, 7, 57, 0, 0), None);
    let mut chained = NewFile::with_data(pattern(3 * 4096, 1), t);
    chained.placement = Placement::Chained;
    w.add_file("x.bin", &chained).unwrap();
    w.delete("x.bin").unwrap();
    let (_, truth) = w.finish().unwrap();
    let l = read_ok(&image);
    let first = truth.find("x.bin").unwrap().first_cluster;
    assert_eq!(find(&l, "x.bin", true).recoverable, Some(true));
    // A driver that clears chains (as FAT drivers do): recovery assumes contiguity.
    for k in 0..3 {
        set_fat(&image, &l, first + k, 0);
    }
    let cleared = read_ok(&image);
    let x = find(&cleared, "x.bin", true);
    assert_eq!(x.recoverable, Some(true));
    assert!(any(&x.warnings, "cleared"), "{:?}", x.warnings);
    assert_eq!(content(&image, x), pattern(3 * 4096, 1));
    // A chain rewritten by a later chained file that is now deleted too: it no longer ends
    // where the size says, so the clip is not recoverable.
    set_fat(&image, &l, first, first + 1);
    set_fat(&image, &l, first + 1, 0xFFFF_FFFF);
    let short = read_ok(&image);
    let x = find(&short, "x.bin", true);
    assert_eq!(x.recoverable, Some(false));
    assert!(any(&x.warnings, "ends early"), "{:?}", x.warnings);
}

#[test]
fn names_are_checked_against_their_hash_and_each_other() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    // Rename chain.bin to A.BIN in place: a duplicate of a.bin (ignoring case) whose recorded
    // hash still belongs to the old name.
    let at = set_offset(&image, "chain.bin");
    patch(&image, at + 32 + 3, &[5]);
    let name: Vec<u8> = "A.BIN"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    patch(&image, at + 64 + 2, &name);
    patch(&image, at + 64 + 2 + 10, &[0u8; 8]);
    reseal(&image, at);
    let l = read_ok(&image);
    let renamed = entry(&l, "A.BIN");
    assert!(
        any(&renamed.warnings, "name hash"),
        "{:?}",
        renamed.warnings
    );
    assert!(
        any(&renamed.warnings, "same name"),
        "{:?}",
        renamed.warnings
    );
}

#[test]
fn depth_and_entry_limits_hold() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    let shallow = WalkLimits {
        max_depth: 1,
        max_entries: 1000,
    };
    let l = timed_read(&image, &shallow).unwrap();
    assert!(any(&l.warnings, "nested deeper"), "{:?}", l.warnings);
    let few = WalkLimits {
        max_depth: 8,
        max_entries: 2,
    };
    let l = timed_read(&image, &few).unwrap();
    assert_eq!(l.entries.len(), 2);
    assert!(any(&l.warnings, "more than 2 entries"), "{:?}", l.warnings);
}

#[test]
fn a_truncated_image_is_an_error_or_a_warning_depending_on_where_it_ends() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    let f = open_image(&image);
    f.set_len(12 << 20).unwrap();
    let cut = read_ok(&image);
    assert!(any(&cut.warnings, "truncated"), "{:?}", cut.warnings);
    f.set_len(5000).unwrap();
    let err = timed_read(&image, &WalkLimits::default()).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    f.set_len(100).unwrap();
    assert!(timed_read(&image, &WalkLimits::default()).is_err());
}

#[test]
fn garbage_is_refused_cleanly_and_garbage_behind_a_sound_boot_region_does_not_panic() {
    let dir = tempdir();
    let image = dir.path().join("noise.img");
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..4 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(&image, &noise).unwrap();
    let err = timed_read(&image, &WalkLimits::default()).unwrap_err();
    assert!(matches!(err, ExfatError::NotExfat(_)), "{err}");
    // Noise over everything after the boot regions: FAT, bitmap, folders.
    let (real, _) = base(dir.path());
    let mut data = std::fs::read(&real).unwrap();
    for (byte, fill) in data[24 * 512..].iter_mut().zip(noise.iter().cycle()) {
        *byte = *fill;
    }
    std::fs::write(&image, &data).unwrap();
    let _ = timed_read(&image, &WalkLimits::default());
}

/// Rewrites the checksum sector of the boot region starting at `region` (512-byte sectors).
fn reseal_boot_region(image: &Path, region: u64) {
    let sectors = read_bytes(image, region, 11 * 512);
    let sum = sectors
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i, 106 | 107 | 112))
        .fold(0u32, |s, (_, &b)| s.rotate_right(1).wrapping_add(b as u32));
    let pattern: Vec<u8> = (0..128).flat_map(|_| sum.to_le_bytes()).collect();
    patch(image, region + 11 * 512, &pattern);
}

#[test]
fn on_texfat_volumes_the_active_fat_and_bitmap_are_used() {
    let dir = tempdir();
    let (image, truth) = base(dir.path());
    let l = read_ok(&image);
    let fat_offset = l.volume.fat_offset;
    let fat_bytes = l.volume.fat_bytes;
    // Two FATs, the second one active; the only bitmap entry becomes the second bitmap's.
    for region in [0, 12 * 512] {
        patch(&image, region + 110, &[2]);
        reseal_boot_region(&image, region);
    }
    patch(&image, 106, &[0x01]);
    let fat = read_bytes(&image, fat_offset, fat_bytes as usize);
    patch(&image, fat_offset + fat_bytes, &fat);
    let root = l.volume.data_offset + (l.volume.root_cluster as u64 - 2) * CLUSTER;
    patch(&image, root + 1, &[0x01]);
    // The first FAT, now stale, breaks chain.bin.
    let first = truth.find("chain.bin").unwrap().first_cluster;
    set_fat(&image, &l, first, 0x0FFF_FFF0);

    let texfat = read_ok(&image);
    assert_eq!((texfat.volume.fat_count, texfat.volume.active_fat), (2, 1));
    assert_eq!(texfat.volume.fat_offset, fat_offset + fat_bytes);
    assert!(texfat.warnings.is_empty(), "{:?}", texfat.warnings);
    assert_eq!(texfat.volume.free_bytes, l.volume.free_bytes);
    assert_eq!(
        content(&image, entry(&texfat, "chain.bin")),
        pattern(3 * 4096 - 7, 2)
    );

    // With the first FAT active, its damage and the missing first bitmap show.
    patch(&image, 106, &[0x00]);
    let first_active = read_ok(&image);
    assert!(any(
        &entry(&first_active, "chain.bin").warnings,
        "outside the volume"
    ));
    assert!(
        any(&first_active.warnings, "no allocation bitmap"),
        "{:?}",
        first_active.warnings
    );
}

#[test]
fn a_small_image_claiming_four_billion_clusters_costs_little() {
    let dir = tempdir();
    let (image, _) = base(dir.path());
    let clusters: u64 = (1 << 32) - 11;
    let fat_sectors = ((clusters + 2) * 4).div_ceil(512);
    let heap = 2048 + fat_sectors;
    for region in [0, 12 * 512] {
        patch(&image, region + 72, &(heap + clusters).to_le_bytes());
        patch(&image, region + 84, &(fat_sectors as u32).to_le_bytes());
        patch(&image, region + 88, &(heap as u32).to_le_bytes());
        patch(&image, region + 92, &(clusters as u32).to_le_bytes());
        patch(&image, region + 109, &[0]);
        reseal_boot_region(&image, region);
    }
    let l = read_ok(&image);
    assert_eq!(l.volume.cluster_count as u64, clusters);
    assert!(any(&l.warnings, "truncated"), "{:?}", l.warnings);
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}
