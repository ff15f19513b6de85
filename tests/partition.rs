//! Partition tables written by `sfdisk` and `fdisk` (512- and 4096-byte sectors), with FAT
//! volumes from `mkfs.fat` and exFAT from `mkfs.exfat`, read back and compared with what
//! `sfdisk --json` says; damaged tables made by patching those images.

mod common;

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;

use common::*;
use dashcard::block_reader::BlockReader;
use dashcard::fat::{self, WalkLimits};
use dashcard::partition::{Filesystem, PartitionTable, Scheme, read_partition_table};
use dashcard::scan::{ScanOptions, list_image};

fn table(image: &Path) -> PartitionTable {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    read_partition_table(&mut reader).expect("partition table")
}

/// (number, start byte, length in bytes, type) of every non-extended partition, per sfdisk.
fn sfdisk_partitions(image: &Path) -> Vec<(u32, u64, u64, String)> {
    let out = run(Command::new("sfdisk").arg("--json").arg(image));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ss = v["partitiontable"]["sectorsize"].as_u64().unwrap_or(512);
    v["partitiontable"]["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !matches!(p["type"].as_str(), Some("5" | "f" | "85")))
        .map(|p| {
            let node = p["node"].as_str().unwrap();
            let number: u32 = node
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap()
                .parse()
                .unwrap();
            (
                number,
                p["start"].as_u64().unwrap() * ss,
                p["size"].as_u64().unwrap() * ss,
                p["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn patch(image: &Path, offset: u64, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().write(true).open(image).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(bytes).unwrap();
}

fn fat_volume(dir: &Path, name: &str, bits: u8, kib: u64, sector_bytes: u32) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut opts = Mkfs::new(bits, kib).label("NEXAR");
    if bits != 12 {
        opts = opts.cluster_sectors(1); // enough clusters for FAT16/32 on a small test volume
    }
    if sector_bytes != 512 {
        opts = opts.sector_bytes(sector_bytes);
    }
    mkfs_fat(&path, &opts);
    path
}

/// A 64 MiB MBR card: FAT32 in 1, an extended partition 2 holding FAT16 (5) and Linux (6).
fn mbr_card(dir: &Path) -> std::path::PathBuf {
    let image = dir.join("mbr.img");
    sparse_file(&image, 128 * 1024 * 1024);
    sfdisk(
        &image,
        "label: dos\nstart=2048, size=81920, type=c\nstart=83968, type=5\n\
         start=86016, size=8192, type=6\nstart=96256, size=8192, type=83\n",
    );
    place_volume(
        &image,
        2048 * 512,
        &fat_volume(dir, "p1.img", 32, 40 * 1024, 512),
    );
    place_volume(
        &image,
        86016 * 512,
        &fat_volume(dir, "p5.img", 12, 4 * 1024, 512),
    );
    image
}

#[test]
fn mbr_primary_and_logical_partitions_match_sfdisk() {
    let dir = tempdir();
    let image = mbr_card(dir.path());
    let t = table(&image);
    assert_eq!(t.scheme, Scheme::Mbr);
    assert_eq!(t.sector_bytes, 512);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    let ours: Vec<(u32, u64, u64)> = t
        .partitions
        .iter()
        .map(|p| (p.index, p.offset, p.bytes))
        .collect();
    let theirs: Vec<(u32, u64, u64)> = sfdisk_partitions(&image)
        .into_iter()
        .map(|(n, o, b, _)| (n, o, b))
        .collect();
    assert_eq!(ours, theirs);
    let kinds: Vec<(&str, Filesystem)> = t
        .partitions
        .iter()
        .map(|p| (p.type_name.as_str(), p.filesystem))
        .collect();
    assert_eq!(
        kinds,
        [
            ("FAT32 (LBA)", Filesystem::Fat),
            ("FAT16", Filesystem::Fat), // the type byte says FAT16; the volume is FAT12
            ("Linux", Filesystem::Unknown)
        ]
    );
    assert_eq!(
        t.fat_partitions().map(|p| p.index).collect::<Vec<_>>(),
        [1, 5]
    );
    // The scan reads the first FAT partition and says that there is another.
    let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
    let report = list_image(&mut reader, &ScanOptions::default()).unwrap();
    assert_eq!(report.volume.partition_offset, Some(1024 * 1024));
    assert_eq!(report.volume.filesystem.as_deref(), Some("FAT32"));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("2 FAT partitions")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn a_looping_extended_chain_stops_with_a_warning() {
    let dir = tempdir();
    let image = mbr_card(dir.path());
    // The EBR of logical 5 (sector 83968) links to the next EBR in its second slot; point that
    // link back at the first EBR itself (relative address 0 → the extended partition's start).
    let link = 83968 * 512 + 446 + 16;
    patch(&image, link + 8, &0u32.to_le_bytes());
    let t = table(&image);
    assert!(
        t.warnings.iter().any(|w| w.contains("loops")),
        "{:?}",
        t.warnings
    );
    assert_eq!(
        t.partitions.iter().map(|p| p.index).collect::<Vec<_>>(),
        [1, 5]
    );
}

fn gpt_card(dir: &Path) -> std::path::PathBuf {
    let image = dir.join("gpt.img");
    sparse_file(&image, 64 * 1024 * 1024);
    sfdisk(
        &image,
        "label: gpt\nstart=2048, size=40960, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=\"NEXAR\"\n\
         start=43008, size=8192, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=\"linux\"\n",
    );
    place_volume(
        &image,
        2048 * 512,
        &fat_volume(dir, "g1.img", 32, 20 * 1024, 512),
    );
    image
}

#[test]
fn gpt_partitions_match_sfdisk_with_names() {
    let dir = tempdir();
    let image = gpt_card(dir.path());
    let t = table(&image);
    assert_eq!(t.scheme, Scheme::Gpt);
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    let ours: Vec<(u32, u64, u64)> = t
        .partitions
        .iter()
        .map(|p| (p.index, p.offset, p.bytes))
        .collect();
    let theirs: Vec<(u32, u64, u64)> = sfdisk_partitions(&image)
        .into_iter()
        .map(|(n, o, b, _)| (n, o, b))
        .collect();
    assert_eq!(ours, theirs);
    assert_eq!(t.partitions[0].type_name, "Microsoft basic data");
    assert_eq!(t.partitions[0].name.as_deref(), Some("NEXAR"));
    assert_eq!(t.partitions[0].filesystem, Filesystem::Fat);
    assert_eq!(t.partitions[1].type_name, "Linux filesystem");
    assert_eq!(t.partitions[1].filesystem, Filesystem::Unknown);
}

#[test]
fn a_damaged_primary_gpt_falls_back_to_the_backup() {
    let dir = tempdir();
    let image = gpt_card(dir.path());
    let good = table(&image);
    patch(&image, 512 + 40, &[0xFF; 8]); // first usable LBA: breaks the header CRC
    let t = table(&image);
    assert_eq!(t.partitions, good.partitions);
    assert!(
        t.warnings.iter().any(|w| w.contains("backup GPT")),
        "{:?}",
        t.warnings
    );

    // With the backup's entries damaged too, nothing is trusted and the reason is given.
    let len = std::fs::metadata(&image).unwrap().len();
    patch(&image, len - 512 - 32 * 512, &[0x11; 16]);
    let t = table(&image);
    assert!(t.partitions.is_empty());
    let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
    let err = list_image(&mut reader, &ScanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("GPT is damaged"), "{err}");
}

#[test]
fn four_kib_sector_cards_from_fdisk() {
    let dir = tempdir();
    for (label, script) in [
        ("mbr", "o\nn\np\n1\n256\n+32M\nt\nc\nw\n"),
        ("gpt", "g\nn\n1\n256\n+32M\nw\n"),
    ] {
        let image = dir.path().join(format!("{label}4k.img"));
        sparse_file(&image, 64 * 1024 * 1024);
        let mut child = Command::new("fdisk")
            .args(["-b", "4096"])
            .arg(&image)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("fdisk");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success(), "fdisk {label}");
        place_volume(
            &image,
            256 * 4096,
            &fat_volume(dir.path(), "v4k.img", 16, 30 * 1024, 4096),
        );
        let t = table(&image);
        assert_eq!(t.sector_bytes, 4096, "{label}");
        assert_eq!(t.partitions.len(), 1, "{label}");
        let p = &t.partitions[0];
        assert_eq!(
            (p.offset, p.bytes),
            (1024 * 1024, 32 * 1024 * 1024),
            "{label}"
        );
        assert_eq!(p.filesystem, Filesystem::Fat, "{label}");
        let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
        let listing = fat::read_volume(&mut reader, p.offset, p.bytes, &WalkLimits::default())
            .expect("4 KiB-sector FAT");
        assert_eq!(listing.volume.sector_bytes, 4096);
        assert_eq!(listing.volume.label.as_deref(), Some("NEXAR"));
    }
}

#[test]
fn a_bare_volume_has_no_table() {
    let dir = tempdir();
    let volume = fat_volume(dir.path(), "bare.img", 16, 32 * 1024, 512);
    let t = table(&volume);
    assert_eq!(t.scheme, Scheme::None);
    assert_eq!(t.partitions.len(), 1);
    assert_eq!(t.partitions[0].offset, 0);
    assert_eq!(t.partitions[0].filesystem, Filesystem::Fat);
}

#[test]
fn exfat_from_mkfs_exfat_is_listed() {
    let dir = tempdir();
    let image = dir.path().join("exfat.img");
    sparse_file(&image, 64 * 1024 * 1024);
    sfdisk(&image, "label: dos\nstart=2048, type=7\n");
    let volume = dir.path().join("exfat-volume.img");
    sparse_file(&volume, 63 * 1024 * 1024);
    run(Command::new("mkfs.exfat")
        .arg("-L")
        .arg("NEXAR")
        .arg(&volume));
    place_volume(&image, 2048 * 512, &volume);
    let t = table(&image);
    assert_eq!(t.partitions[0].filesystem, Filesystem::ExFat);
    assert_eq!(t.partitions[0].type_name, "NTFS or exFAT");
    let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
    let listing = list_image(&mut reader, &ScanOptions::default()).unwrap();
    assert_eq!(listing.volume.filesystem.as_deref(), Some("exFAT"));
    assert_eq!(listing.volume.partition_offset, Some(2048 * 512));
    assert_eq!(listing.volume.label.as_deref(), Some("NEXAR"));
    assert!(listing.files.is_empty());
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
}

#[test]
fn a_truncated_card_warns_about_the_missing_end() {
    let dir = tempdir();
    let image = mbr_card(dir.path());
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&image)
        .unwrap();
    f.set_len(12 * 1024 * 1024).unwrap();
    let t = table(&image);
    assert!(
        t.warnings
            .iter()
            .any(|w| w.contains("partition 1 ends") && w.contains("truncated")),
        "{:?}",
        t.warnings
    );
    assert!(
        t.warnings
            .iter()
            .any(|w| w.contains("extended boot record") && w.contains("past the end")),
        "{:?}",
        t.warnings
    );
}

#[test]
fn garbage_and_tiny_images_are_not_cards() {
    let dir = tempdir();
    let garbage = dir.path().join("garbage.bin");
    let bytes: Vec<u8> = (0..1_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&garbage, bytes).unwrap();
    let t = table(&garbage);
    assert_eq!(t.scheme, Scheme::None);
    assert!(t.partitions.is_empty());

    let tiny = dir.path().join("tiny.img");
    std::fs::write(&tiny, [0u8; 100]).unwrap();
    let mut reader = BlockReader::new(File::open(&tiny).unwrap()).unwrap();
    let err = read_partition_table(&mut reader).unwrap_err().to_string();
    assert!(err.contains("too short"), "{err}");
}
