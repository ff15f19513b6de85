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
use dashcard::fat::WalkLimits;

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
pub fn our_sectors(entry: &ExfatEntry, partition_offset: u64, sector_bytes: u64) -> Vec<u64> {
    entry
        .extents
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
