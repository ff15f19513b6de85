//! Shared by the exFAT tests: the writer (from the simulation crate's sources), images made by
//! `mkfs.exfat` and by the writer, and the oracles — `fsck.exfat` and The Sleuth Kit.
#![allow(dead_code)]

pub use dashcard_sim::exfat as exfat_writer;

use std::fs::File;
use std::path::Path;
use std::process::Command;

use chrono::{NaiveDate, NaiveDateTime};
use dashcard::block_reader::BlockReader;
use dashcard::exfat::{self, ExfatEntry, ExfatError, ExfatListing};
use dashcard::extent::Extent;
use dashcard::fat::WalkLimits;
use dashcard::listing::{ListedFile, Listing};
use dashcard::scan::{self, ScanOptions};

use exfat_writer::{ExfatWriter, Times};

/// Runs a tool; returns (success, stdout, stderr).
pub fn run_tool(cmd: &mut Command) -> (bool, String, String) {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run {cmd:?}: {e} (is it installed? `cargo xtask test` installs it)")
    });
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A local time.
pub fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_milli_opt(h, mi, s, ms)
        .unwrap()
}

/// Times at `when` with an offset.
pub fn times(when: NaiveDateTime, utc_offset_s: Option<i32>) -> Times {
    Times::at(when, utc_offset_s)
}

/// Deterministic content for a file.
pub fn pattern(bytes: usize, seed: u8) -> Vec<u8> {
    (0..bytes)
        .map(|i| {
            (i as u32)
                .wrapping_mul(31)
                .wrapping_add(seed as u32 * 7 + 1) as u8
        })
        .collect()
}

/// `mkfs.exfat -c CLUSTER [-L LABEL]` on a new sparse file of `bytes`.
pub fn mkfs_exfat(path: &Path, bytes: u64, cluster: &str, label: Option<&str>) {
    let _ = std::fs::remove_file(path);
    File::create(path).unwrap().set_len(bytes).unwrap();
    let mut cmd = Command::new("mkfs.exfat");
    cmd.args(["-c", cluster]);
    if let Some(l) = label {
        cmd.args(["-L", l]);
    }
    cmd.arg(path);
    let (ok, out, err) = run_tool(&mut cmd);
    assert!(ok, "mkfs.exfat failed: {out}{err}");
}

/// `fsck.exfat -n`: passes, or panics with its report.
pub fn fsck_ok(image: &Path) {
    let (ok, out, err) = run_tool(Command::new("fsck.exfat").arg("-n").arg(image));
    assert!(ok, "fsck.exfat rejects {}: {out}{err}", image.display());
}

/// A writer on a new file (sparse) at `path`.
pub fn create_image(path: &Path) -> File {
    let _ = std::fs::remove_file(path);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap()
}

/// Opens an existing image for the writer.
pub fn open_image(path: &Path) -> File {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap()
}

/// Reads the exFAT volume at `offset` of `image`.
pub fn try_read(image: &Path, offset: u64) -> Result<ExfatListing, ExfatError> {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let len = reader.len();
    exfat::read_volume(&mut reader, offset, len - offset, &WalkLimits::default())
}

/// Reads the exFAT volume, which must be readable.
pub fn read(image: &Path, offset: u64) -> ExfatListing {
    try_read(image, offset).unwrap_or_else(|e| panic!("{}: {e}", image.display()))
}

/// A file's bytes as the reader serves them (zeros past the valid length).
pub fn content(image: &Path, entry: &ExfatEntry) -> Vec<u8> {
    use std::io::Read;
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let mut out = Vec::new();
    entry.open(&mut reader).read_to_end(&mut out).unwrap();
    out
}

/// The entry at `path` (live or deleted as asked).
pub fn find<'a>(listing: &'a ExfatListing, path: &str, deleted: bool) -> &'a ExfatEntry {
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

/// Formats a bare volume with the writer.
pub fn writer_on(path: &Path, options: &exfat_writer::FormatOptions) -> ExfatWriter<File> {
    ExfatWriter::format(create_image(path), options).unwrap()
}

/// One file or folder as The Sleuth Kit lists it (`fls -r -p -m /`).
#[derive(Clone, Debug)]
pub struct TskEntry {
    pub inode: u64,
    pub path: String,
    pub deleted: bool,
    pub is_dir: bool,
    pub size: u64,
    pub mtime: i64,
    pub crtime: i64,
}

/// Every file and folder TSK lists, without its virtual entries ($ALLOC_BITMAP, $FAT1…) and
/// the volume label pseudo-file.
pub fn tsk_listing(image: &Path, offset_sectors: u64) -> Vec<TskEntry> {
    let (ok, out, err) = run_tool(
        Command::new("fls")
            .args(["-r", "-p", "-m", "/", "-o"])
            .arg(offset_sectors.to_string())
            .arg(image),
    );
    assert!(ok, "fls failed: {err}");
    out.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            let name = f.get(1)?.strip_prefix('/')?;
            if name.starts_with('$') || name.ends_with("(Volume Label Entry)") {
                return None;
            }
            let (path, deleted) = match name.strip_suffix(" (deleted)") {
                Some(p) => (p, true),
                None => (name, false),
            };
            Some(TskEntry {
                inode: f[2].parse().ok()?,
                path: path.to_string(),
                deleted,
                is_dir: f[3].starts_with('d'),
                size: f[6].parse().ok()?,
                mtime: f[8].parse().ok()?,
                crtime: f[10].parse().ok()?,
            })
        })
        .collect()
}

/// `fls -r -p` as "path" or "* path" (deleted), without the virtual and label entries.
pub fn fls_marked(image: &Path, offset_sectors: u64) -> Vec<String> {
    let (ok, out, err) = run_tool(
        Command::new("fls")
            .args(["-r", "-p", "-o"])
            .arg(offset_sectors.to_string())
            .arg(image),
    );
    assert!(ok, "fls failed: {err}");
    out.lines()
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            if path.starts_with('$') || path.ends_with("(Volume Label Entry)") {
                return None;
            }
            Some(format!(
                "{}{path}",
                if meta.contains('*') { "* " } else { "" }
            ))
        })
        .collect()
}

/// The sectors TSK's `istat` gives for an inode (the zero padding left out).
pub fn tsk_sectors(image: &Path, offset_sectors: u64, inode: u64) -> Vec<u64> {
    let (ok, out, err) = run_tool(
        Command::new("istat")
            .arg("-o")
            .arg(offset_sectors.to_string())
            .arg(image)
            .arg(inode.to_string()),
    );
    assert!(ok, "istat failed: {err}");
    let sectors = out.split("Sectors:").nth(1).unwrap_or("");
    sectors
        .split_whitespace()
        .filter_map(|s| s.parse::<u64>().ok())
        .filter(|&s| s != 0)
        .collect()
}

/// The bytes TSK's `icat` gives for an inode (`-r`: recovery mode for deleted files).
pub fn tsk_bytes(image: &Path, offset_sectors: u64, inode: u64, deleted: bool) -> Vec<u8> {
    let mut cmd = Command::new("icat");
    if deleted {
        cmd.arg("-r");
    }
    let out = cmd
        .arg("-o")
        .arg(offset_sectors.to_string())
        .arg(image)
        .arg(inode.to_string())
        .output()
        .expect("icat");
    assert!(out.status.success(), "icat failed");
    out.stdout
}

/// The seconds TSK 4.11 shows for a time we read: it ignores the UTC offset (prints local
/// fields as UTC), drops the milliseconds, and adds a 10 ms field's odd second only above 100,
/// so a time on an odd second with no milliseconds (a field of exactly 100) reads a second early.
pub fn tsk_seconds(t: Option<NaiveDateTime>) -> i64 {
    use chrono::Timelike;
    let Some(t) = t else { return 0 };
    let seconds = t.and_utc().timestamp();
    if t.second() % 2 == 1 && t.nanosecond() == 0 {
        seconds - 1
    } else {
        seconds
    }
}

/// The sectors of the volume (in its own sector size) our extents cover.
pub fn our_sectors(extents: &[Extent], partition_offset: u64, sector_bytes: u64) -> Vec<u64> {
    extents
        .iter()
        .flat_map(|e| {
            let first = (e.offset - partition_offset) / sector_bytes;
            let end = (e.offset - partition_offset + e.bytes).div_ceil(sector_bytes);
            first..end
        })
        .collect()
}

/// Number of runs of consecutive numbers.
pub fn runs_in(sectors: &[u64]) -> u32 {
    if sectors.is_empty() {
        return 0;
    }
    1 + sectors.windows(2).filter(|w| w[1] != w[0] + 1).count() as u32
}

/// The card at `image` through the one path every front end takes: `scan::scan_image`.
pub fn scan(image: &Path) -> Listing {
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    scan::scan_image(&mut reader, &ScanOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", image.display()))
}

/// A listed file's bytes as every front end reads them (zeros past the valid length).
pub fn listed_content(image: &Path, file: &ListedFile) -> Vec<u8> {
    use std::io::Read;
    let mut reader = BlockReader::new(File::open(image).unwrap()).unwrap();
    let mut out = Vec::new();
    file.open(&mut reader).read_to_end(&mut out).unwrap();
    out
}

/// Checks the card's [`Listing`] — what the catalog, the page and the CLI see — against The
/// Sleuth Kit: the same files, live and deleted, with the same sizes, times, fragments and
/// bytes (`istat` sectors, `icat` content). Returns the listing.
pub fn check_listing_against_tsk(image: &Path) -> Listing {
    let listing = scan(image);
    let v = &listing.volume;
    assert_eq!(v.filesystem.as_deref(), Some("exFAT"));
    let offset = v.partition_offset.unwrap();
    // The volume's own sector size (BytesPerSectorShift), which istat counts in.
    let sector = 1u64 << read_byte(image, offset + 108);
    let tsk: Vec<TskEntry> = tsk_listing(image, offset / 512)
        .into_iter()
        .filter(|t| !t.is_dir)
        .collect();
    let mut ours: Vec<(String, bool)> = listing
        .files
        .iter()
        .map(|f| (f.path.clone(), f.deleted))
        .collect();
    let mut theirs: Vec<(String, bool)> = tsk.iter().map(|t| (t.path.clone(), t.deleted)).collect();
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs, "the listing and fls list different files");
    for f in &listing.files {
        let what = &f.path;
        let t = tsk
            .iter()
            .find(|t| t.path == f.path && t.deleted == f.deleted)
            .unwrap();
        assert_eq!(t.size, f.bytes, "{what}: size");
        assert_eq!(t.mtime, tsk_seconds(f.modified), "{what}: modified");
        assert_eq!(t.crtime, tsk_seconds(f.created), "{what}: created");
        assert_eq!(f.deleted, f.recoverable.is_some(), "{what}");
        if f.bytes == 0 || (f.deleted && f.recoverable != Some(true)) {
            assert!(f.extents.is_empty() || f.bytes == 0, "{what}");
            continue;
        }
        let written: u64 = f.extents.iter().map(|e| e.bytes).sum();
        assert_eq!(
            written,
            f.written_bytes(),
            "{what}: extents cover the written bytes"
        );
        let mut sectors = tsk_sectors(image, offset / 512, t.inode);
        let mine = our_sectors(&f.extents, offset, sector);
        // TSK 4.11 lists one sector too many when a size is a whole number of sectors.
        if f.bytes % sector == 0 && sectors.len() == mine.len() + 1 {
            sectors.pop();
        }
        let bytes = listed_content(image, f);
        assert_eq!(bytes.len() as u64, f.bytes, "{what}");
        match f.valid_bytes {
            None => {
                assert_eq!(sectors, mine, "{what}: istat sectors");
                assert_eq!(runs_in(&sectors), f.fragments, "{what}: fragments");
                let theirs = tsk_bytes(image, offset / 512, t.inode, f.deleted);
                assert!(theirs == bytes, "{what}: icat bytes differ");
            }
            Some(valid) => {
                // TSK ignores the valid length (it reads the stale clusters); the sectors it
                // lists start with ours, and ours end in zeros.
                assert!(sectors.starts_with(&mine), "{what}: istat sectors");
                let valid = valid as usize;
                assert!(bytes[valid..].iter().all(|&b| b == 0), "{what}: zeros");
            }
        }
    }
    listing
}

fn read_byte(image: &Path, at: u64) -> u8 {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = File::open(image).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    let mut b = [0u8; 1];
    f.read_exact(&mut b).unwrap();
    b[0]
}
