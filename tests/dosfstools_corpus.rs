//! The dosfstools test images as a corpus: small third-party images, many of them damaged on
//! purpose, made by people who were not thinking of this reader.
//!
//! `tests/corpus/dosfstools/` holds them as dosfstools keeps them, hex dumps in `xxd` format
//! (GPL-3.0-or-later; see the README there): `check-*.fsck` are damaged volumes fsck.fat must
//! repair and `check-*.xxd` the repaired results, `label-*.xxd` volumes labelled by several
//! tools, `mkfs-*.xxd` and `reference*.xxd` freshly formatted ones. Each is decoded at test time
//! into a sparse image (the dump's own decoder below, so `xxd` is not needed) and read through
//! the same path as a card image. Every image must end as [`CASES`] says — a listing equal to
//! `mdir -/ -a`'s (mtools), with or without warnings, or a clear error — and never in a panic,
//! a hang or a write: the image is hashed before and after.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use dashcard::block_reader::BlockReader;
use dashcard::extent::ExtentReader;
use dashcard::listing::Listing;
use dashcard::scan::{self, ScanOptions};
use sha2::{Digest, Sha256};

/// How an image must end.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// A sound volume: no warnings, the same entries as `mdir -/ -a`, the label fatlabel shows.
    Mdir,
    /// Damaged: the same entries and label as above, and warnings that name the damage (each
    /// of these words in a file's own warning or a whole-volume one).
    MdirWarned(&'static [&'static str]),
    /// Damaged where mdir shows something else: exactly these live paths, with warnings.
    Partial {
        paths: &'static [&'static str],
        words: &'static [&'static str],
    },
    /// Refused, with an error containing these words.
    Error(&'static str),
}

use Expect::*;

/// Every image in the corpus and how it must end (file name in `tests/corpus/dosfstools/`).
/// `check-*.fsck` are the damaged images; everything else is sound as far as a reader goes.
const CASES: &[(&str, Expect)] = &[
    // Names with a leading space, a blank name and a '>': mdir prints the first two blank; they
    // are listed as " AME1.BIN" and "\x20" (never an empty path), each with a warning.
    (
        "check-bad_names.fsck",
        Partial {
            paths: &[" AME1.BIN", "N>ME4.BIN", "NAME3.BIN", "\\x20"],
            words: &["8.3 name is blank", "\" AME1.BIN\" is not a valid FAT name"],
        },
    ),
    ("check-bad_names.xxd", Mdir),
    // A 5-byte file whose chain goes on into a free cluster.
    (
        "check-chain_to_free_cluster.fsck",
        MdirWarned(&["longer than its size needs"]),
    ),
    ("check-chain_to_free_cluster.xxd", Mdir),
    (
        "check-chain_to_other_file.fsck",
        MdirWarned(&["cross-linked"]),
    ),
    ("check-chain_to_other_file.xxd", Mdir),
    (
        "check-chain_too_long.fsck",
        MdirWarned(&["longer than its size needs"]),
    ),
    ("check-chain_too_long.xxd", Mdir),
    ("check-circular_chain.fsck", MdirWarned(&["(a loop)"])),
    ("check-circular_chain.xxd", Mdir),
    // "." and ".." after the files instead of first.
    (
        "check-dot_entries.fsck",
        MdirWarned(&["does not start with its"]),
    ),
    ("check-dot_entries.xxd", Mdir),
    // Two entries both named TEST.TXT: both listed, each with its own clusters.
    (
        "check-duplicate_names.fsck",
        MdirWarned(&["the same name (TEST.TXT)"]),
    ),
    ("check-duplicate_names.xxd", Mdir),
    // Two long names sharing one 8.3 name (a duplicate directory entry).
    (
        "check-encryption_with_duplicate_dirent.fsck",
        MdirWarned(&["8.3 name TEST_E~1.PFI is also that of test_encrypted.txt.PFILE"]),
    ),
    ("check-encryption_with_duplicate_dirent.xxd", Mdir),
    (
        "check-encryption_with_invalid_83.fsck",
        MdirWarned(&["\"T:ST_E~1.PFI\" is not a valid FAT name"]),
    ),
    ("check-encryption_with_invalid_83.xxd", Mdir),
    // FAT entry 0 no longer holds the media byte.
    (
        "check-fat12_first_cluster.fsck",
        MdirWarned(&["media byte"]),
    ),
    ("check-fat12_first_cluster.xxd", Mdir),
    (
        "check-fat16_dos_cln_shut.fsck",
        MdirWarned(&["not unmounted cleanly"]),
    ),
    ("check-fat16_dos_cln_shut.xxd", Mdir),
    (
        "check-fat16_first_cluster.fsck",
        MdirWarned(&["media byte"]),
    ),
    ("check-fat16_first_cluster.xxd", Mdir),
    (
        "check-fat32_dos_cln_shut.fsck",
        MdirWarned(&["not unmounted cleanly"]),
    ),
    ("check-fat32_dos_cln_shut.xxd", Mdir),
    (
        "check-fat32_first_cluster.fsck",
        MdirWarned(&["media byte"]),
    ),
    ("check-fat32_first_cluster.xxd", Mdir),
    // A boot sector describing a volume far larger than the 100 MB image (fsck.fat fails it
    // too: an expected failure in dosfstools' own suite).
    ("check-huge.fsck", Error("the image is truncated")),
    ("check-label-different.fsck", MdirWarned(&["stale copy"])),
    ("check-label-different.xxd", Mdir),
    ("check-label-only-boot.fsck", MdirWarned(&["stale copy"])),
    ("check-label-only-boot.xxd", Mdir),
    // "NO NAME" in the boot sector is what formatters write for no label: not damage.
    ("check-label-only-root.fsck", Mdir),
    ("check-label-only-root.xxd", Mdir),
    ("label-fat32_mkdosfs_label1.xxd", Mdir),
    ("label-fat32_mkdosfs_label1_dosfslabel_NO_NAME.xxd", Mdir),
    ("label-fat32_mkdosfs_label1_dosfslabel_empty.xxd", Mdir),
    ("label-fat32_mkdosfs_label1_dosfslabel_label2.xxd", Mdir),
    ("label-fat32_mkdosfs_label1_mlabel_NO_NAME.xxd", Mdir),
    // mlabel's erased label is a deleted slot "\xE5abel1": not a deleted file.
    ("label-fat32_mkdosfs_label1_mlabel_erase.xxd", Mdir),
    // Windows XP relabels only the root entry; older dosfslabel only the boot sector.
    (
        "label-fat32_mkdosfs_label1_xp_erase.xxd",
        MdirWarned(&["stale copy"]),
    ),
    (
        "label-fat32_mkdosfs_label1_xp_label2.xxd",
        MdirWarned(&["stale copy"]),
    ),
    ("label-fat32_mkdosfs_none.xxd", Mdir),
    ("label-fat32_mkdosfs_none_dosfslabel_NO_NAME.xxd", Mdir),
    (
        "label-fat32_mkdosfs_none_dosfslabel_label1.xxd",
        MdirWarned(&["stale copy"]),
    ),
    (
        "label-fat32_mkdosfs_none_dosfslabel_label1_xp_label2.xxd",
        MdirWarned(&["stale copy"]),
    ),
    ("label-fat32_mkdosfs_none_xp_label1.xxd", Mdir),
    (
        "label-fat32_mkdosfs_none_xp_label1_dosfslabel_label2.xxd",
        Mdir,
    ),
    ("label-fat32_xp_label1.xxd", Mdir),
    ("label-fat32_xp_none.xxd", Mdir),
    (
        "label-fat32_xp_none_dosfslabel_label1.xxd",
        MdirWarned(&["stale copy"]),
    ),
    ("label-fat32_xp_none_mlabel_label1.xxd", Mdir),
    // mkfs.fat -F 32 on 1 MiB: FAT32 with 1984 clusters, read as fsck.fat reads it.
    (
        "mkfs-fat32_1_bad_block.xxd",
        MdirWarned(&["laid out as FAT32"]),
    ),
    ("mkfs-fat32_2_res_sects.xxd", Mdir),
    ("mkfs-fat32_4K.xxd", Mdir),
    ("referenceFAT12.xxd", Mdir),
    ("referenceFAT16.xxd", Mdir),
    ("referenceFAT32.xxd", Mdir),
    ("referenceFAT32mbr.xxd", Mdir),
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dosfstools")
}

/// Decodes an `xxd` hex dump ("OFFSET: hhhh hhhh …  ascii" lines; other lines, such as "*",
/// carry nothing) into a sparse file, as `xxd -r` does: each line's bytes at its offset, the
/// file ending where the last line's bytes end.
fn decode_xxd(dump: &Path, out: &Path) {
    let text = std::fs::read_to_string(dump).expect("read dump");
    let mut file = File::create(out).expect("create image");
    let mut end = 0u64;
    for line in text.lines() {
        let Some((offset, rest)) = line.split_once(": ") else {
            continue;
        };
        let Ok(offset) = u64::from_str_radix(offset.trim(), 16) else {
            continue;
        };
        let hex: String = rest
            .split("  ")
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex byte"))
            .collect();
        file.seek(SeekFrom::Start(offset)).unwrap();
        file.write_all(&bytes).unwrap();
        end = end.max(offset + bytes.len() as u64);
    }
    file.set_len(end).unwrap();
}

/// SHA-256 of the whole image, with its length. Blocks of zeros (most of these sparse images)
/// are told apart from data by a plain comparison, which is fast even unoptimised, and only
/// their count enters the hash; every other byte is hashed.
fn image_hash(path: &Path) -> [u8; 32] {
    const BLOCK: usize = 1 << 20;
    static ZEROS: [u8; BLOCK] = [0; BLOCK];
    let mut f = File::open(path).unwrap();
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; BLOCK];
    let mut at = 0u64;
    loop {
        let mut n = 0;
        while n < BLOCK {
            match f.read(&mut buf[n..]).unwrap() {
                0 => break,
                k => n += k,
            }
        }
        if n == 0 {
            break;
        }
        hash.update(at.to_le_bytes());
        if buf[..n] == ZEROS[..n] {
            hash.update((n as u64).to_le_bytes());
        } else {
            hash.update(&buf[..n]);
        }
        at += n as u64;
    }
    hash.update(at.to_le_bytes());
    hash.finalize().into()
}

/// One live entry as both sides list it: its path ("/"-separated) and size (`None`: a folder).
type Listed = BTreeMap<String, Vec<Option<u64>>>;

fn mtools(tool: &str) -> Command {
    let mut cmd = Command::new(tool);
    cmd.env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null");
    cmd
}

/// `mdir -/ -a`, parsed: every live entry but "." and "..", by path. `None` when mdir cannot
/// read the volume. (On an empty root `mdir -/` says "not found"; plain `mdir` says "No files".)
fn mdir(image: &Path) -> Option<Listed> {
    let out = mtools("mdir")
        .args(["-/", "-a", "-i"])
        .arg(image)
        .arg("::")
        .output()
        .expect("run mdir (is mtools installed?)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        let plain = mtools("mdir")
            .args(["-a", "-i"])
            .arg(image)
            .arg("::")
            .output()
            .expect("run mdir");
        let plain = String::from_utf8_lossy(&plain.stdout).into_owned();
        return plain.contains("No files").then(Listed::new);
    }
    let mut listed = Listed::new();
    let mut dir = String::new();
    for line in text.lines() {
        if let Some(d) = line.strip_prefix("Directory for ::/") {
            dir = d.to_string();
            continue;
        }
        // "NAME     EXT      size date time[  long name]": 8 + 1 + 3 columns of 8.3 name.
        let (Some(base), Some(ext), Some(rest)) = (line.get(..8), line.get(9..12), line.get(12..))
        else {
            continue;
        };
        let mut tokens = Vec::new();
        let mut end = 0;
        let mut chars = rest.char_indices().peekable();
        while tokens.len() < 3 {
            while chars.next_if(|(_, c)| *c == ' ').is_some() {}
            let Some(&(start, _)) = chars.peek() else {
                break;
            };
            end = start;
            while let Some((i, c)) = chars.next_if(|(_, c)| *c != ' ') {
                end = i + c.len_utf8();
            }
            tokens.push(&rest[start..end]);
        }
        let [size, date, time] = tokens[..] else {
            continue;
        };
        let is_entry = (size == "<DIR>" || size.parse::<u64>().is_ok())
            && date.len() == 10
            && date.as_bytes()[4] == b'-'
            && time.contains(':');
        if !is_entry {
            continue;
        }
        let long = rest[end..].strip_prefix("  ").filter(|l| !l.is_empty());
        let short = match ext.trim_end() {
            "" => base.trim_end().to_string(),
            e => format!("{}.{e}", base.trim_end()),
        };
        let name = long.map(str::to_string).unwrap_or(short);
        if name == "." || name == ".." {
            continue;
        }
        let path = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        listed
            .entry(path)
            .or_default()
            .push(size.parse::<u64>().ok());
    }
    Some(listed)
}

/// The label fatlabel prints (its last line: it may say something about the volume first).
fn fatlabel(image: &Path) -> Option<String> {
    let out = Command::new("fatlabel")
        .arg(image)
        .output()
        .expect("run fatlabel (is dosfstools installed?)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let label = text.lines().last().unwrap_or("").trim_end();
    (!label.is_empty()).then(|| label.to_string())
}

struct Outcome {
    listing: Result<Listing, String>,
    /// Live entries, folders included, from the FAT layer directly.
    live: Listed,
}

/// Reads the image as the CLI does (partition table, volume, every file's bytes).
fn read_image(image: &Path) -> Outcome {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let options = ScanOptions::default();
    let listing = scan::list_image(&mut reader, &options).map_err(|e| e.to_string());
    let mut live = Listed::new();
    if let Ok(l) = &listing {
        for f in &l.files {
            // Every file's bytes can be read back without error or panic.
            let mut stream = ExtentReader::new(&mut reader, &f.extents, f.bytes);
            let mut sink = Vec::new();
            let _ = stream.read_to_end(&mut sink);
        }
        let offset = l.volume.partition_offset.unwrap_or(0);
        let len = reader.len();
        let volume = dashcard::fat::read_volume(
            &mut reader,
            offset,
            len - offset,
            &dashcard::fat::WalkLimits::default(),
        )
        .expect("the FAT layer reads what the scan read");
        for e in volume.entries.iter().filter(|e| !e.deleted) {
            live.entry(e.path.clone())
                .or_default()
                .push((!e.is_dir).then_some(e.bytes));
        }
    }
    Outcome { listing, live }
}

/// Every warning of the listing: whole-card ones and each file's.
fn all_warnings(listing: &Listing) -> Vec<String> {
    let mut all = listing.warnings.clone();
    for f in &listing.files {
        all.extend(f.warnings.iter().map(|w| format!("{}: {w}", f.path)));
    }
    all
}

#[test]
fn every_dosfstools_image_ends_as_expected_without_a_write() {
    let dir = common::tempdir();
    for &(name, expect) in CASES {
        let image = dir.path().join(format!("{name}.img"));
        decode_xxd(&corpus_dir().join(name), &image);
        let before = image_hash(&image);
        let started = Instant::now();
        let outcome = read_image(&image);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(20), "{name}: took {took:?}");
        assert_eq!(image_hash(&image), before, "{name}: the image changed");

        let listing = match (&outcome.listing, expect) {
            (Err(e), Error(words)) => {
                assert!(e.contains(words), "{name}: {e}");
                let _ = std::fs::remove_file(&image);
                continue;
            }
            (Err(e), _) => panic!("{name}: {e}"),
            (Ok(_), Error(words)) => panic!("{name}: read, though it should fail ({words})"),
            (Ok(l), _) => l,
        };
        let warnings = all_warnings(listing);
        let words: &[&str] = match expect {
            Mdir => {
                assert!(warnings.is_empty(), "{name}: {warnings:?}");
                &[]
            }
            MdirWarned(words) | Partial { words, .. } => words,
            Error(_) => unreachable!(),
        };
        for w in words {
            assert!(
                warnings.iter().any(|x| x.contains(w)),
                "{name}: no warning says {w:?}: {warnings:?}"
            );
        }
        match expect {
            Partial { paths, .. } => {
                let ours: Vec<&str> = outcome.live.keys().map(String::as_str).collect();
                assert_eq!(ours, paths, "{name}");
            }
            _ => {
                let theirs = mdir(&image).unwrap_or_else(|| panic!("{name}: mdir cannot read it"));
                assert_eq!(outcome.live, theirs, "{name}: ours, then mdir's");
            }
        }
        assert_eq!(listing.volume.label, fatlabel(&image), "{name}: the label");
        let _ = std::fs::remove_file(&image);
    }
}

/// The duplicate directory entries of the corpus, item by item: each of the two entries is
/// read where it lies, with its own size and bytes — never the other's.
#[test]
fn duplicate_entries_in_the_corpus_keep_their_own_bytes() {
    let dir = common::tempdir();
    for (name, twins) in [
        ("check-duplicate_names.fsck", ["TEST.TXT", "TEST.TXT"]),
        (
            "check-encryption_with_duplicate_dirent.fsck",
            ["test_encrypted.txt.PFILE", "test_encrypted_2.txt.PFILE"],
        ),
    ] {
        let image = dir.path().join(format!("{name}.img"));
        decode_xxd(&corpus_dir().join(name), &image);
        let mut reader = BlockReader::new(File::open(&image).unwrap()).unwrap();
        let len = reader.len();
        let volume =
            dashcard::fat::read_volume(&mut reader, 0, len, &dashcard::fat::WalkLimits::default())
                .unwrap();
        let found: Vec<&dashcard::fat::Entry> = twins
            .iter()
            .enumerate()
            .map(|(i, path)| {
                volume
                    .entries
                    .iter()
                    .filter(|e| e.path == *path && !e.deleted)
                    .nth(if twins[0] == twins[1] { i } else { 0 })
                    .unwrap_or_else(|| panic!("{name}: {path}"))
            })
            .collect();
        let (a, b) = (found[0], found[1]);
        assert_eq!(a.short_name, b.short_name, "{name}: they share an 8.3 name");
        assert_ne!(a.entry_offset, b.entry_offset, "{name}");
        assert_ne!(a.first_cluster, b.first_cluster, "{name}");
        let data = std::fs::read(&image).unwrap();
        for e in [a, b] {
            // The entry read is the one at `entry_offset`: its own first cluster and size.
            let at = e.entry_offset as usize;
            let slot = &data[at..at + 32];
            let cluster = u16::from_le_bytes([slot[26], slot[27]]) as u32
                | (u16::from_le_bytes([slot[20], slot[21]]) as u32) << 16;
            let size = u32::from_le_bytes([slot[28], slot[29], slot[30], slot[31]]);
            assert_eq!((e.first_cluster, e.bytes), (cluster, size as u64), "{name}");
            // Its bytes start in its own first cluster.
            let v = &volume.volume;
            let own = v.data_offset + (cluster as u64 - 2) * v.cluster_bytes as u64;
            assert_eq!(e.extents.first().map(|x| x.offset), Some(own), "{name}");
            assert_eq!(e.extents.iter().map(|x| x.bytes).sum::<u64>(), e.bytes);
            assert!(
                e.warnings.iter().all(|w| !w.contains("cross-linked")),
                "{name}"
            );
        }
    }
}
