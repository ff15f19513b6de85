//! Hostile and odd volumes (issue 14): images made at test time by mkfs.fat and mtools, then
//! patched the way other systems, damage or malice leave them — duplicate 8.3 names, an active
//! FAT other than the first, labels left in only one place, names no driver writes, deleted
//! folders, leftover slots, FAT32 volumes too small for FAT32 — each checked against what The
//! Sleuth Kit, mtools or dosfstools make of the same image.

mod common;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use dashcard::block_reader::BlockReader;
use dashcard::extent::ExtentReader;
use dashcard::fat::{self, Entry, FatType, VolumeListing, WalkLimits};

fn read(image: &Path) -> VolumeListing {
    try_read(image).unwrap_or_else(|e| panic!("{e}"))
}

fn try_read(image: &Path) -> Result<VolumeListing, fat::FatError> {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let len = reader.len();
    fat::read_volume(&mut reader, 0, len, &WalkLimits::default())
}

fn content(image: &Path, entry: &Entry) -> Vec<u8> {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let mut out = Vec::new();
    ExtentReader::new(&mut reader, &entry.extents, entry.bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn entry<'a>(listing: &'a VolumeListing, path: &str, deleted: bool) -> &'a Entry {
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
            panic!("no {path} (deleted {deleted}) in {all:?}")
        })
}

/// Where unit `k` (0..13) of a long-name slot lies within it.
const LFN_UNIT_AT: [u64; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// Overwrites unit `k` of the first part of the long name just before the 8.3 entry at `slot`.
fn set_long_name_unit(image: &Path, slot: u64, k: usize, unit: u16) {
    patch(image, slot - 32 + LFN_UNIT_AT[k], &unit.to_le_bytes());
}

fn mtools(tool: &str) -> Command {
    let mut cmd = Command::new(tool);
    cmd.env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null");
    cmd
}

/// `fls -r -p` names (deleted ones marked "* "), without The Sleuth Kit's virtual files.
fn fls_names(image: &Path, extra: &[&str]) -> Vec<String> {
    let out = run(Command::new("fls")
        .args(extra)
        .args(["-r", "-p"])
        .arg(image));
    out.lines()
        .filter_map(|l| {
            let (meta, path) = l.split_once(":\t")?;
            (!path.starts_with('$'))
                .then(|| format!("{}{path}", if meta.contains('*') { "* " } else { "" }))
        })
        .collect()
}

fn our_names(listing: &VolumeListing) -> Vec<String> {
    listing
        .entries
        .iter()
        .map(|e| format!("{}{}", if e.deleted { "* " } else { "" }, e.path))
        .collect()
}

// ---- 2. Duplicate 8.3 names ---------------------------------------------------------------

/// Three files and a folder whose stored 8.3 names are made the same (each long name's
/// checksum updated, as another OS would have written them), with a deleted entry of that 8.3
/// name between them: every live entry keeps its own long name, size and bytes, read from
/// where its own entry lies, and the later ones say they share an 8.3 name.
#[test]
fn entries_sharing_one_short_name_each_keep_their_own_name_size_and_bytes() {
    let dir = tempdir();
    let image = dir.path().join("dup.img");
    mkfs_fat(&image, &Mkfs::new(32, 40 * 1024).cluster_sectors(1));
    let names = [
        "clip-number-one.mp4",
        "clip-number-two.mp4",
        "clip-number-gone.mp4",
        "clip-number-three.mp4",
    ];
    let sources: Vec<PathBuf> = names
        .iter()
        .enumerate()
        .map(|(i, n)| host_file(dir.path(), n, 700 + i * 1100, 30 + i as u8))
        .collect();
    for (n, s) in names.iter().zip(&sources) {
        mcopy(&image, 0, s, n);
    }
    mmd(&image, 0, "clip-number-folder.mp4");
    mdel(&image, 0, "clip-number-gone.mp4");
    let shared = *b"CLIP-N~1MP4";
    let sum = fat::dir_entry::checksum(&shared);
    let mut data = std::fs::read(&image).unwrap();
    let slots: Vec<usize> = data
        .chunks(32)
        .enumerate()
        .filter(|(_, e)| {
            e[11] != 0x0F && (e[..6] == *b"CLIP-N" || (e[0] == 0xE5 && e[1..6] == *b"LIP-N"))
        })
        .map(|(i, _)| i * 32)
        .collect();
    assert_eq!(slots.len(), 5, "four files and a folder");
    for &at in &slots {
        let first = data[at];
        data[at..at + 11].copy_from_slice(&shared);
        if first == 0xE5 {
            data[at] = 0xE5;
        }
        let mut lfn = at - 32;
        while data[lfn + 11] == 0x0F {
            data[lfn + 13] = sum;
            lfn -= 32;
        }
    }
    std::fs::write(&image, &data).unwrap();

    let listing = read(&image);
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    for (i, name) in names.iter().enumerate() {
        let gone = i == 2;
        let e = entry(&listing, name, gone);
        assert_eq!(e.short_name, "CLIP-N~1.MP4", "{name}");
        if gone {
            assert_eq!(e.recoverable, Some(true));
        } else {
            assert_eq!(e.bytes, 700 + i as u64 * 1100, "{name}");
            assert_eq!(content(&image, e), std::fs::read(&sources[i]).unwrap());
        }
    }
    let folder = entry(&listing, "clip-number-folder.mp4", false);
    assert!(folder.is_dir);
    let live: Vec<&Entry> = listing.entries.iter().filter(|e| !e.deleted).collect();
    assert!(live[0].warnings.is_empty(), "{:?}", live[0].warnings);
    for e in &live[1..] {
        if !e.is_dir {
            assert!(
                e.warnings.iter().any(|w| w.contains("is also that of")),
                "{}: {:?}",
                e.path,
                e.warnings
            );
        }
    }
    // The Sleuth Kit names them the same way.
    let mut ours = our_names(&listing);
    let mut theirs = fls_names(&image, &[]);
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
}

/// Two 8.3-only entries with the very same name (no long names to tell them apart), as the
/// dosfstools image `check-duplicate_names` holds: both are listed, as mdir lists them, each
/// with its own bytes, and the second says a path reaches only the first.
#[test]
fn two_entries_with_the_same_full_name_are_both_listed_with_their_own_bytes() {
    let dir = tempdir();
    let image = dir.path().join("twins.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    let a = host_file(dir.path(), "A.BIN", 1500, 1);
    let b = host_file(dir.path(), "B.BIN", 2500, 2);
    mcopy(&image, 0, &a, "A.BIN");
    mcopy(&image, 0, &b, "B.BIN");
    let second = slot_of(&image, b"B       BIN");
    patch(&image, second, b"A       BIN");
    let listing = read(&image);
    let twins: Vec<&Entry> = listing
        .entries
        .iter()
        .filter(|e| e.path == "A.BIN")
        .collect();
    assert_eq!(twins.len(), 2);
    assert_eq!(content(&image, twins[0]), std::fs::read(&a).unwrap());
    assert_eq!(content(&image, twins[1]), std::fs::read(&b).unwrap());
    assert_eq!(twins[1].entry_offset, second);
    assert!(twins[0].warnings.is_empty());
    assert!(
        twins[1].warnings[0].contains("the same name (A.BIN)"),
        "{:?}",
        twins[1].warnings
    );
    let mdir = run(mtools("mdir").arg("-i").arg(&image).arg("::"));
    let lines: Vec<&str> = mdir
        .lines()
        .filter(|l| l.starts_with("A        BIN"))
        .collect();
    assert!(lines.len() == 2 && lines[1].contains(" 2500 "), "{mdir}");
}

// ---- 3. FAT32's active FAT ----------------------------------------------------------------

/// A file whose chain is right only in FAT 1, with `ExtFlags` saying FAT 1 is the one in use
/// (mirroring off): it reads whole. Told to use FAT 0, or a FAT that does not exist (then FAT 0
/// with a warning), the same file reads short — so the FAT read is the one the flags name.
#[test]
fn fat32_with_mirroring_off_reads_the_active_fat() {
    let dir = tempdir();
    let image = dir.path().join("active.img");
    mkfs_fat(&image, &Mkfs::new(32, 40 * 1024).cluster_sectors(1));
    let clip = host_file(dir.path(), "clip.bin", 5 * 512, 7);
    mcopy(&image, 0, &clip, "clip.bin");
    let before = read(&image);
    let e = entry(&before, "clip.bin", false);
    assert_eq!(e.fragments, 1);
    let v = &before.volume;
    // In FAT 0 only, the chain ends after the second cluster.
    let second = e.first_cluster + 1;
    patch(
        &image,
        v.fat_offset + second as u64 * 4,
        &0x0FFF_FFFFu32.to_le_bytes(),
    );
    for (ext_flags, active, words) in [
        (0x0081u16, 1u8, None),
        (0x0080, 0, Some("chain")),
        (0x0001, 0, Some("chain")),
        (0x0085, 0, Some("FAT 5")),
    ] {
        patch(&image, 40, &ext_flags.to_le_bytes());
        let minfo = run(mtools("minfo").arg("-i").arg(&image).arg("::"));
        assert!(
            minfo.contains(&format!("Extended flags=0x{ext_flags:04x}")),
            "{minfo}"
        );
        let listing = read(&image);
        assert_eq!(listing.volume.active_fat, active, "{ext_flags:#x}");
        let e = entry(&listing, "clip.bin", false);
        match words {
            None => {
                assert!(e.warnings.is_empty(), "{:?}", e.warnings);
                assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
                assert_eq!(content(&image, e), std::fs::read(&clip).unwrap());
                // Free space is counted from the FAT in use too.
                assert_eq!(listing.volume.free_bytes, v.free_bytes);
            }
            Some(words) => {
                let all: Vec<&String> = e.warnings.iter().chain(&listing.warnings).collect();
                assert!(
                    all.iter().any(|w| w.contains(words)),
                    "{ext_flags:#x}: {all:?}"
                );
                let covered: u64 = e.extents.iter().map(|x| x.bytes).sum();
                assert!(covered < e.bytes, "{ext_flags:#x}: read short");
            }
        }
    }
}

// ---- 6. Where the label comes from --------------------------------------------------------

/// The root folder's label entry is the label; a label left only in the boot sector is stale
/// and given in a warning instead — as fatlabel and `mlabel -s` show it (minfo shows the boot
/// sector's copy, which is what the warning names).
#[test]
fn the_root_label_entry_wins_and_a_boot_sector_label_is_only_a_stale_copy() {
    let dir = tempdir();
    let image = dir.path().join("label.img");
    mkfs_fat(
        &image,
        &Mkfs::new(32, 40 * 1024).cluster_sectors(1).label("NEXAR"),
    );
    let tools = |image: &Path| {
        let fatlabel = run(Command::new("fatlabel").arg(image)).trim().to_string();
        let mlabel = run(mtools("mlabel").args(["-s", "-i"]).arg(image).arg("::"));
        let minfo = run(mtools("minfo").arg("-i").arg(image).arg("::"));
        (fatlabel, mlabel, minfo)
    };
    // Both copies: the label, no warning.
    let listing = read(&image);
    assert_eq!(listing.volume.label.as_deref(), Some("NEXAR"));
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    let (fatlabel, mlabel, _) = tools(&image);
    assert_eq!(fatlabel, "NEXAR");
    assert!(mlabel.contains("Volume label is NEXAR"), "{mlabel}");

    // The root entry deleted: no label, as the tools say; the boot sector's copy is named.
    let at = slot_of(&image, b"NEXAR      ");
    patch(&image, at, &[0xE5]);
    let listing = read(&image);
    assert_eq!(listing.volume.label, None);
    assert!(
        listing
            .warnings
            .iter()
            .any(|w| w.contains("no volume label") && w.contains("\"NEXAR\"")),
        "{:?}",
        listing.warnings
    );
    assert!(
        listing.entries.is_empty(),
        "a deleted label is no deleted file"
    );
    let (fatlabel, mlabel, minfo) = tools(&image);
    assert_eq!(fatlabel, "");
    assert!(mlabel.contains("has no label"), "{mlabel}");
    assert!(minfo.contains("disk label=\"NEXAR"), "{minfo}");

    // A root entry of its own: it wins over the boot sector's.
    patch(&image, at, b"DASHCAM    ");
    let listing = read(&image);
    assert_eq!(listing.volume.label.as_deref(), Some("DASHCAM"));
    assert!(
        listing.warnings.iter().any(|w| w.contains("stale copy")),
        "{:?}",
        listing.warnings
    );
    let (fatlabel, mlabel, _) = tools(&image);
    assert_eq!(fatlabel, "DASHCAM");
    assert!(mlabel.contains("Volume label is DASHCAM"), "{mlabel}");
}

// ---- 7. Names -----------------------------------------------------------------------------

/// A NUL inside a long name ends it (mtools and fls read it so); lone surrogates keep two
/// files apart instead of merging them into one U+FFFD name; 8.3 bytes decode with code page
/// 437 (0x05 first standing for 0xE5); a blank 8.3 name, and long names "..", "a/b", get
/// visible placeholders, never an empty path or a path that walks up or splits.
#[test]
fn names_decode_without_loss_and_are_never_empty_or_dot_dot() {
    let dir = tempdir();
    let image = dir.path().join("names.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    let files = [
        ("nul-inside-name.bin", "NUL-IN~1BIN"),
        ("clip-long-a.mp4", "CLIP-L~1MP4"),
        ("clip-long-b.mp4", "CLIP-L~2MP4"),
        ("CAFE.TXT", "CAFE    TXT"),
        ("XBC.TXT", "XBC     TXT"),
        ("BLANK.TXT", "BLANK   TXT"),
        ("dots-here.bin", "DOTS-H~1BIN"),
        ("slash-here.bin", "SLASH-~1BIN"),
    ];
    let sources: Vec<PathBuf> = files
        .iter()
        .enumerate()
        .map(|(i, (n, _))| host_file(dir.path(), n, 100 + i, i as u8))
        .collect();
    for ((n, _), s) in files.iter().zip(&sources) {
        mcopy(&image, 0, s, n);
    }
    let slot = |short: &str| slot_of(&image, short.as_bytes().try_into().unwrap());
    set_long_name_unit(&image, slot("NUL-IN~1BIN"), 3, 0);
    set_long_name_unit(&image, slot("CLIP-L~1MP4"), 10, 0xD800);
    set_long_name_unit(&image, slot("CLIP-L~2MP4"), 10, 0xD801);
    patch(&image, slot("CAFE    TXT") + 3, &[0x90]);
    patch(&image, slot("XBC     TXT"), &[0x05]);
    patch(&image, slot("BLANK   TXT"), b"           ");
    let dots = slot("DOTS-H~1BIN");
    for (k, u) in [b'.' as u16, b'.' as u16, 0, 0xFFFF, 0xFFFF]
        .iter()
        .enumerate()
    {
        set_long_name_unit(&image, dots, k, *u);
    }
    set_long_name_unit(&image, slot("SLASH-~1BIN"), 5, b'/' as u16);

    let listing = read(&image);
    let paths: Vec<&str> = listing.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "nul",
            "clip-long-\\u{d800}.mp4",
            "clip-long-\\u{d801}.mp4",
            "CAFÉ.TXT",
            "σBC.TXT",
            "\\x20",
            "\\x2e\\x2e",
            "slash\\x2fhere.bin",
        ]
    );
    for (e, s) in listing.entries.iter().zip(&sources) {
        assert_eq!(content(&image, e), std::fs::read(s).unwrap(), "{}", e.path);
    }
    let blank = entry(&listing, "\\x20", false);
    assert!(
        blank
            .warnings
            .iter()
            .any(|w| w.contains("8.3 name is blank")),
        "{:?}",
        blank.warnings
    );
    // The NUL ends the name for mtools and The Sleuth Kit too.
    let mdir = run(mtools("mdir").arg("-i").arg(&image).arg("::"));
    assert!(
        mdir.lines()
            .any(|l| l.starts_with("NUL-IN~1 BIN") && l.ends_with("  nul")),
        "{mdir}"
    );
    assert!(fls_names(&image, &[]).contains(&"nul".to_string()));
}

// ---- 8. Deleted folders -------------------------------------------------------------------

/// A folder deleted with its files (`mdeltree`): while its clusters are free, its files are
/// listed as deleted, recoverable, with their bytes — as `fls -r -p` lists them. Once its
/// first cluster is reused, or written over and freed again, a warning says so.
#[test]
fn a_deleted_folder_is_walked_while_its_clusters_still_hold_it() {
    let dir = tempdir();
    let image = dir.path().join("deltree.img");
    mkfs_fat(&image, &Mkfs::new(32, 40 * 1024).cluster_sectors(1));
    mmd(&image, 0, "Nexar");
    mmd(&image, 0, "Nexar/20241012");
    mmd(&image, 0, "Nexar/20241012/inner");
    let clips = [
        ("Nexar/20241012/20241012_075700_1.mp4", 3000usize),
        ("Nexar/20241012/20241012_075800_1.mp4", 1700),
        ("Nexar/20241012/inner/NOTE.TXT", 300),
    ];
    let sources: Vec<PathBuf> = clips
        .iter()
        .enumerate()
        .map(|(i, (p, n))| {
            let s = host_file(dir.path(), &format!("src{i}"), *n, 40 + i as u8);
            mcopy(&image, 0, &s, p);
            s
        })
        .collect();
    mcopy(
        &image,
        0,
        &host_file(dir.path(), "keep", 900, 9),
        "Nexar/keep.bin",
    );
    run(mtools("mdeltree")
        .arg("-i")
        .arg(&image)
        .arg("::Nexar/20241012"));

    let listing = read(&image);
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    let mut ours = our_names(&listing);
    let mut theirs = fls_names(&image, &[]);
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "ours, then fls -r -p");
    for ((path, bytes), source) in clips.iter().zip(&sources) {
        // The folders lost their first letters; the clips' long names survive.
        let path = path
            .replace("Nexar/20241012", "Nexar/_0241012")
            .replace("inner/NOTE.TXT", "_nner/_OTE.TXT");
        let e = entry(&listing, &path, true);
        assert_eq!((e.bytes, e.recoverable), (*bytes as u64, Some(true)));
        assert_eq!(content(&image, e), std::fs::read(source).unwrap(), "{path}");
    }

    // Reused: the FAT gives the deleted folder's first cluster to something else (in both
    // copies, as a driver allocating it would).
    let folder = entry(&listing, "Nexar/_0241012", true).first_cluster;
    let v = &listing.volume;
    for copy in 0..2 {
        patch(
            &image,
            v.fat_offset + copy * v.fat_bytes + folder as u64 * 4,
            &0x0FFF_FFFFu32.to_le_bytes(),
        );
    }
    let reused = read(&image);
    assert!(
        reused
            .warnings
            .iter()
            .any(|w| w.contains("deleted folder Nexar/_0241012") && w.contains("reused")),
        "{:?}",
        reused.warnings
    );
    assert!(
        !reused
            .entries
            .iter()
            .any(|e| e.path.starts_with("Nexar/_0241012/")),
        "nothing is read from a reused folder"
    );
}

/// A deleted folder whose first cluster a live folder has taken since: the live folder is
/// listed as ever (no "directory loop"), and the deleted one is said to be reused.
#[test]
fn a_live_folder_on_a_deleted_folders_old_cluster_is_still_walked() {
    let dir = tempdir();
    let image = dir.path().join("reuse.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    mmd(&image, 0, "OLD");
    mmd(&image, 0, "NEW");
    mcopy(&image, 0, &host_file(dir.path(), "f", 700, 1), "NEW/F.BIN");
    let live = read(&image);
    let new = entry(&live, "NEW", false).first_cluster;
    let old = slot_of(&image, b"OLD        ");
    patch(&image, old, &[0xE5]);
    patch(&image, old + 26, &(new as u16).to_le_bytes());
    let listing = read(&image);
    assert_eq!(our_names(&listing), ["* _LD", "NEW", "NEW/F.BIN"]);
    assert!(entry(&listing, "NEW", false).warnings.is_empty());
    assert_eq!(
        listing.warnings,
        [
            "deleted folder _LD: its first cluster has been reused, so the files it listed cannot be found"
        ]
    );
}

/// A deleted folder whose first cluster is free but no longer holds it ("." gone): nothing is
/// read from it, and a warning says why.
#[test]
fn a_deleted_folder_written_over_is_not_read() {
    let dir = tempdir();
    let image = dir.path().join("over.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    mmd(&image, 0, "OLD");
    mcopy(&image, 0, &host_file(dir.path(), "f", 700, 1), "OLD/F.BIN");
    let live = read(&image);
    let first = entry(&live, "OLD", false).first_cluster;
    let cluster_at = live.volume.data_offset + (first as u64 - 2) * 512;
    run(mtools("mdeltree").arg("-i").arg(&image).arg("::OLD"));
    patch(&image, cluster_at, &[0x41; 64]);
    let listing = read(&image);
    assert_eq!(our_names(&listing), ["* _LD"]);
    assert!(
        listing
            .warnings
            .iter()
            .any(|w| w.contains("deleted folder _LD") && w.contains("no longer holds")),
        "{:?}",
        listing.warnings
    );
}

// ---- 9. Leftover and zero-filled slots ----------------------------------------------------

/// Deleted slots that are not entries — a 0xE5 before zeros, one before 0xFF bytes (4 GiB,
/// cluster out of range), leftover long-name slots, a deleted volume label — are not listed;
/// a real deleted file is.
#[test]
fn only_plausible_deleted_slots_are_listed() {
    let dir = tempdir();
    let image = dir.path().join("slots.img");
    mkfs_fat(
        &image,
        &Mkfs::new(16, 16 * 1024).cluster_sectors(1).label("CAM"),
    );
    for (i, name) in ["keep.bin", "a-long-deleted-name.bin", "GONE.BIN"]
        .iter()
        .enumerate()
    {
        mcopy(&image, 0, &host_file(dir.path(), name, 600, i as u8), name);
    }
    mdel(&image, 0, "a-long-deleted-name.bin");
    mdel(&image, 0, "GONE.BIN");
    let label = slot_of(&image, b"CAM        ");
    patch(&image, label, &[0xE5]);
    let end = {
        let data = std::fs::read(&image).unwrap();
        let gone = slot_of(&image, b"\xE5ONE    BIN") as usize;
        (gone..data.len())
            .step_by(32)
            .find(|&at| data[at] == 0)
            .unwrap() as u64
    };
    let mut zero = [0u8; 32];
    zero[0] = 0xE5;
    let mut ff = [0xFFu8; 32];
    ff[0] = 0xE5;
    let mut lowercase = [0u8; 32];
    lowercase[..11].copy_from_slice(b"\xE5eftover   ");
    lowercase[28..].copy_from_slice(&7u32.to_le_bytes());
    let mut orphan_part = [0u8; 32];
    orphan_part[..3].copy_from_slice(&[0xE5, b'x', 0]);
    orphan_part[11] = 0x0F;
    for (i, slot) in [orphan_part, zero, ff, lowercase].iter().enumerate() {
        patch(&image, end + i as u64 * 32, slot);
    }
    let listing = read(&image);
    assert_eq!(
        our_names(&listing),
        ["keep.bin", "* a-long-deleted-name.bin", "* _ONE.BIN"]
    );
}

// ---- 10. FAT32 with too few clusters, and a FAT shorter than the clusters -----------------

/// FAT32 made by mkfs.fat and filled by mtools (which will not write into such a volume), then
/// cut to 60,000 clusters (as a camera formats a 2 GB card): fsck.fat and `fls -f fat32` read
/// it, and so does this reader, with a warning. A FAT a little shorter than the cluster count is read with a
/// warning (the clusters without an entry left out); one far too short stays an error.
#[test]
fn fat32_with_too_few_clusters_or_a_slightly_short_fat_is_read_with_a_warning() {
    let dir = tempdir();
    let image = dir.path().join("small32.img");
    mkfs_fat(&image, &Mkfs::new(32, 40 * 1024).cluster_sectors(1));
    let clip = host_file(dir.path(), "clip.mp4", 20_000, 5);
    mcopy(&image, 0, &clip, "20241012_075700_1.mp4");
    mmd(&image, 0, "Nexar");
    mcopy(&image, 0, &clip, "Nexar/copy.mp4");
    let full = read(&image);
    let v = &full.volume;
    let reserved = v.fat_offset / 512;
    let fat_sectors = v.fat_bytes / 512;
    let set_clusters = |clusters: u64| {
        let total = reserved + 2 * fat_sectors + clusters;
        patch(&image, 32, &(total as u32).to_le_bytes());
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&image)
            .unwrap();
        f.set_len(total * 512).unwrap();
    };

    set_clusters(60_000);
    let small = read(&image);
    assert_eq!(
        (small.volume.fat_type, small.volume.cluster_count),
        (FatType::Fat32, 60_000)
    );
    assert!(
        small
            .warnings
            .iter()
            .any(|w| w.contains("laid out as FAT32")),
        "{:?}",
        small.warnings
    );
    for path in ["20241012_075700_1.mp4", "Nexar/copy.mp4"] {
        let e = entry(&small, path, false);
        assert!(e.warnings.is_empty(), "{path}: {:?}", e.warnings);
        assert_eq!(content(&image, e), std::fs::read(&clip).unwrap());
    }
    let mut ours = our_names(&small);
    let mut theirs = fls_names(&image, &["-f", "fat32"]);
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "ours, then fls -f fat32");
    let fsck = Command::new("fsck.fat")
        .arg("-n")
        .arg(&image)
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&fsck.stderr).into_owned() + &String::from_utf8_lossy(&fsck.stdout);
    assert!(said.contains("60000 clusters"), "{said}");

    // The FAT has entries for fat_sectors × 128 - 2 clusters; claim 50 more than that.
    let entries = fat_sectors * 512 / 4 - 2;
    set_clusters(entries + 50);
    let short = read(&image);
    assert_eq!(short.volume.cluster_count as u64, entries);
    assert!(
        short
            .warnings
            .iter()
            .any(|w| w.contains(&format!("entries for only {entries} of"))),
        "{:?}",
        short.warnings
    );
    let e = entry(&short, "Nexar/copy.mp4", false);
    assert_eq!(content(&image, e), std::fs::read(&clip).unwrap());

    set_clusters(entries + 2 + 512);
    let err = try_read(&image).expect_err("far too short").to_string();
    assert!(err.contains("too small"), "{err}");
}
