//! Damaged and foreign volumes: real images made by mkfs.fat and mtools, then patched the way
//! corruption does. Each must end in a clear error or a per-file warning — quickly, never a
//! panic or a hang.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use dashcard::block_reader::BlockReader;
use dashcard::fat::{self, FatError, VolumeListing as Listing, WalkLimits};

fn try_read(image: &Path) -> Result<Listing, FatError> {
    let started = Instant::now();
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let len = reader.len();
    let result = fat::read_volume(&mut reader, 0, len, &WalkLimits::default());
    // Not a benchmark: a generous bound that only a hang or a runaway loop would break.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    result
}

fn read(image: &Path) -> Listing {
    try_read(image).unwrap_or_else(|e| panic!("{e}"))
}

/// FAT32 with 512-byte clusters: `a.bin` (3 clusters), `b.bin` (2), and `sub/` holding `c.bin`.
fn base(dir: &Path) -> PathBuf {
    let image = dir.join("card.img");
    mkfs_fat(&image, &Mkfs::new(32, 40 * 1024).cluster_sectors(1));
    mcopy(&image, 0, &host_file(dir, "a.bin", 1500, 1), "a.bin");
    mcopy(&image, 0, &host_file(dir, "b.bin", 1000, 2), "b.bin");
    mmd(&image, 0, "sub");
    mcopy(&image, 0, &host_file(dir, "c.bin", 700, 3), "sub/c.bin");
    image
}

fn patch(image: &Path, offset: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(image).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(bytes).unwrap();
}

/// Points FAT entry `cluster` (both copies) at `value`.
fn set_fat(image: &Path, listing: &Listing, cluster: u32, value: u32) {
    let v = &listing.volume;
    for copy in 0..2 {
        patch(
            image,
            v.fat_offset + copy * v.fat_bytes + cluster as u64 * 4,
            &value.to_le_bytes(),
        );
    }
}

/// Byte offset of the directory entry whose 8.3 name is `name11`.
fn dir_entry_offset(image: &Path, name11: &[u8; 11]) -> u64 {
    let data = std::fs::read(image).unwrap();
    data.chunks(32)
        .position(|e| e.len() == 32 && &e[..11] == name11 && e[11] != 0x0F)
        .map(|i| i as u64 * 32)
        .expect("directory entry")
}

fn entry<'a>(l: &'a Listing, path: &str) -> &'a fat::Entry {
    l.entries
        .iter()
        .find(|e| e.path == path && !e.deleted)
        .expect(path)
}

#[test]
fn a_cyclic_file_chain_is_a_warning_not_a_hang() {
    let dir = tempdir();
    let image = base(dir.path());
    let l = read(&image);
    let a = entry(&l, "a.bin").first_cluster;
    set_fat(&image, &l, a + 2, a);
    let l = read(&image);
    let w = &entry(&l, "a.bin").warnings;
    assert!(
        w.iter()
            .any(|w| w.contains("longer") || w.contains("loops")),
        "{w:?}"
    );
}

#[test]
fn a_cyclic_directory_chain_is_a_warning_not_a_hang() {
    let dir = tempdir();
    let image = base(dir.path());
    let l = read(&image);
    let sub = entry(&l, "sub").first_cluster;
    set_fat(&image, &l, sub, sub);
    let l = read(&image);
    assert!(
        l.warnings
            .iter()
            .any(|w| w.contains("sub") && w.contains("loops")),
        "{:?}",
        l.warnings
    );
    assert!(
        l.entries.iter().any(|e| e.path == "sub/c.bin"),
        "the entries read are still listed"
    );
}

#[test]
fn out_of_range_clusters_are_reported() {
    let dir = tempdir();
    let image = base(dir.path());
    let l = read(&image);
    let a = entry(&l, "a.bin").first_cluster;
    set_fat(&image, &l, a, 0x0FFF_FF00);
    let l = read(&image);
    let w = &entry(&l, "a.bin").warnings;
    assert!(w.iter().any(|w| w.contains("outside the volume")), "{w:?}");
    // A directory entry pointing outside the volume.
    let at = dir_entry_offset(&image, b"B       BIN");
    patch(&image, at + 26, &0xFFF0u16.to_le_bytes());
    patch(&image, at + 20, &0x00FFu16.to_le_bytes());
    let l = read(&image);
    assert!(!entry(&l, "b.bin").warnings.is_empty());
}

#[test]
fn cross_linked_files_warn_on_both() {
    let dir = tempdir();
    let image = base(dir.path());
    let l = read(&image);
    let a = entry(&l, "a.bin").first_cluster;
    let at = dir_entry_offset(&image, b"B       BIN");
    patch(&image, at + 26, &(a as u16).to_le_bytes());
    patch(&image, at + 20, &((a >> 16) as u16).to_le_bytes());
    let l = read(&image);
    for path in ["a.bin", "b.bin"] {
        let w = &entry(&l, path).warnings;
        assert!(
            w.iter().any(|w| w.contains("cross-linked")),
            "{path}: {w:?}"
        );
    }
}

#[test]
fn a_directory_loop_is_not_followed() {
    let dir = tempdir();
    let image = base(dir.path());
    let l = read(&image);
    let sub = entry(&l, "sub").first_cluster;
    // Make a second entry in sub/ point back at sub/ itself: rename c.bin into a folder.
    let at = dir_entry_offset(&image, b"C       BIN");
    patch(&image, at + 11, &[0x10]);
    patch(&image, at + 26, &(sub as u16).to_le_bytes());
    patch(&image, at + 20, &((sub >> 16) as u16).to_le_bytes());
    let l = read(&image);
    let looped = l
        .entries
        .iter()
        .find(|e| e.path == "sub/c.bin")
        .expect("entry");
    assert!(
        looped.warnings.iter().any(|w| w.contains("loop")),
        "{looped:?}"
    );
}

#[test]
fn impossible_boot_sector_values_are_named() {
    let dir = tempdir();
    for (offset, bytes, words) in [
        (11u64, vec![3u8, 0], "bytes per sector is 3"),
        (13, vec![0], "sectors per cluster is 0"),
        (13, vec![3], "sectors per cluster is 3"),
        (16, vec![0], "number of FATs is 0"),
        (14, vec![0, 0], "reserved sector count is 0"),
        (36, vec![0, 0, 0, 0], "sectors per FAT is 0"),
        (36, vec![1, 0, 0, 0], "too small"),
    ] {
        let image = base(dir.path());
        patch(&image, offset, &bytes);
        let err = try_read(&image).expect_err(words).to_string();
        assert!(err.contains(words), "{err} should say {words}");
    }
}

#[test]
fn a_truncated_image_is_an_error_or_a_warning_depending_on_where_it_ends() {
    let dir = tempdir();
    let image = base(dir.path());
    let l = read(&image);
    let len = std::fs::metadata(&image).unwrap().len();
    // Cut in the data region: the volume still lists, with a warning.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&image)
        .unwrap();
    f.set_len(len - 1024 * 1024).unwrap();
    let cut = read(&image);
    assert!(
        cut.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        cut.warnings
    );
    // Cut inside the FAT: nothing sensible can be said.
    f.set_len(l.volume.fat_offset + 1000).unwrap();
    let err = try_read(&image).expect_err("cut in the FAT").to_string();
    assert!(err.contains("truncated"), "{err}");
    f.set_len(100).unwrap();
    assert!(try_read(&image).is_err());
}

#[test]
fn exfat_and_ntfs_are_named() {
    let dir = tempdir();
    let image = base(dir.path());
    patch(&image, 3, b"EXFAT   ");
    let err = try_read(&image).unwrap_err().to_string();
    assert!(err.contains("exFAT, not FAT"), "{err}");
    patch(&image, 3, b"NTFS    ");
    let err = try_read(&image).unwrap_err().to_string();
    assert!(err.contains("NTFS"), "{err}");
}

#[test]
fn garbage_is_refused_cleanly() {
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
    assert!(try_read(&image).is_err());
    // Noise after a valid boot sector: a FAT full of nonsense, directories of nonsense.
    let real = base(dir.path());
    let mut data = std::fs::read(&real).unwrap();
    for (byte, fill) in data[512..].iter_mut().zip(noise.iter().cycle()) {
        *byte = *fill;
    }
    std::fs::write(&image, &data).unwrap();
    let _ = try_read(&image);
}

#[test]
fn forced_fat32_on_a_small_volume_is_read_with_a_warning_saying_why() {
    // mkfs.fat -F 32 on 16 MiB lays out FAT32 with too few clusters for FAT32; the FAT
    // specification decides the type by cluster count, so the warning must explain that. It was
    // refused until issue 14: fsck.fat reads such volumes (cameras make them), and so does this
    // reader now, as the FAT32 they are laid out as.
    let dir = tempdir();
    let image = dir.path().join("small32.img");
    mkfs_fat(&image, &Mkfs::new(32, 16 * 1024));
    let listing = read(&image);
    assert_eq!(listing.volume.fat_type, fat::FatType::Fat32);
    assert!(
        listing
            .warnings
            .iter()
            .any(|w| w.contains("laid out as FAT32") && w.contains("FAT16")),
        "{:?}",
        listing.warnings
    );
}
