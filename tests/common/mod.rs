//! Real test inputs made by real tools: `mkfs.fat`, `mtools`, `sfdisk`, `ffmpeg`.
//!
//! Every integration test builds its images at test time in a temporary directory, so nothing
//! large is checked in and every byte on the "card" was written by the tool a camera's card
//! would have met (a FAT formatter and a FAT driver), not by our own code.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs a tool and panics with its output when it fails (a broken test setup, not a product bug).
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?}: {e} (is it installed? `cargo xtask test` installs it)",
            cmd
        )
    });
    assert!(
        out.status.success(),
        "{:?} failed: {}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh temporary directory kept for the life of the returned guard.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Options for [`mkfs_fat`].
#[derive(Clone, Debug)]
pub struct Mkfs {
    /// 12, 16 or 32.
    pub fat_bits: u8,
    /// Size of the volume in KiB.
    pub size_kib: u64,
    /// Sectors per cluster (`-s`), if forced.
    pub sectors_per_cluster: Option<u32>,
    /// Logical sector size (`-S`), if not 512.
    pub sector_bytes: Option<u32>,
    /// Volume label.
    pub label: Option<String>,
}

impl Mkfs {
    pub fn new(fat_bits: u8, size_kib: u64) -> Self {
        Self {
            fat_bits,
            size_kib,
            sectors_per_cluster: None,
            sector_bytes: None,
            label: None,
        }
    }
    pub fn cluster_sectors(mut self, s: u32) -> Self {
        self.sectors_per_cluster = Some(s);
        self
    }
    pub fn sector_bytes(mut self, s: u32) -> Self {
        self.sector_bytes = Some(s);
        self
    }
    pub fn label(mut self, l: &str) -> Self {
        self.label = Some(l.to_string());
        self
    }
}

/// Formats a new bare FAT volume image at `path` with `mkfs.fat`.
pub fn mkfs_fat(path: &Path, opts: &Mkfs) {
    let _ = std::fs::remove_file(path);
    let mut cmd = Command::new("mkfs.fat");
    cmd.arg("-C").arg("-F").arg(opts.fat_bits.to_string());
    if let Some(s) = opts.sectors_per_cluster {
        cmd.arg("-s").arg(s.to_string());
    }
    if let Some(s) = opts.sector_bytes {
        cmd.arg("-S").arg(s.to_string());
    }
    if let Some(l) = &opts.label {
        cmd.arg("-n").arg(l);
    }
    cmd.arg(path).arg(opts.size_kib.to_string());
    run(&mut cmd);
}

/// An mtools target for `image` with an optional byte offset (a partition inside a card).
pub fn mtarget(image: &Path, offset: u64, path_in_volume: &str) -> String {
    if offset == 0 {
        format!("{}::{}", image.display(), path_in_volume)
    } else {
        format!("{}@@{}::{}", image.display(), offset, path_in_volume)
    }
}

fn mtools(tool: &str) -> Command {
    let mut cmd = Command::new(tool);
    // Never let mtools stop to ask about name clashes; never read a user's mtoolsrc.
    cmd.env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null")
        .arg("-D")
        .arg("o");
    cmd
}

/// Copies a host file into the volume (`mcopy`).
pub fn mcopy(image: &Path, offset: u64, src: &Path, dest_in_volume: &str) {
    let mut cmd = mtools("mcopy");
    cmd.arg("-i")
        .arg(image_arg(image, offset))
        .arg(src)
        .arg(format!("::{dest_in_volume}"));
    run(&mut cmd);
}

/// Makes a directory in the volume (`mmd`).
pub fn mmd(image: &Path, offset: u64, dir_in_volume: &str) {
    let mut cmd = Command::new("mmd");
    cmd.env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null");
    cmd.arg("-i")
        .arg(image_arg(image, offset))
        .arg(format!("::{dir_in_volume}"));
    run(&mut cmd);
}

/// Deletes a file from the volume (`mdel`), leaving a 0xE5 directory entry behind.
pub fn mdel(image: &Path, offset: u64, path_in_volume: &str) {
    let mut cmd = Command::new("mdel");
    cmd.env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null");
    cmd.arg("-i")
        .arg(image_arg(image, offset))
        .arg(format!("::{path_in_volume}"));
    run(&mut cmd);
}

fn image_arg(image: &Path, offset: u64) -> String {
    if offset == 0 {
        image.display().to_string()
    } else {
        format!("{}@@{}", image.display(), offset)
    }
}

/// Writes `bytes` of deterministic, file-specific content to a host file.
pub fn host_file(dir: &Path, name: &str, bytes: usize, seed: u8) -> PathBuf {
    let path = dir.join(name);
    let data: Vec<u8> = (0..bytes)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed as u32) as u8)
        .collect();
    std::fs::write(&path, data).expect("write host file");
    path
}

/// A real H.264 MP4 clip of `seconds` made by ffmpeg; `faststart` puts `moov` before `mdat`.
pub fn ffmpeg_clip(dir: &Path, name: &str, seconds: f64, faststart: bool) -> PathBuf {
    let path = dir.join(name);
    let mut cmd = Command::new("ffmpeg");
    cmd.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ])
    .arg(format!("testsrc=size=320x240:rate=25:duration={seconds}"))
    .args([
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    ])
    .args(["-metadata", "creation_time=2024-10-12T07:57:00Z"]);
    if faststart {
        cmd.args(["-movflags", "+faststart"]);
    }
    cmd.arg(&path);
    run(&mut cmd);
    path
}

/// The duration ffprobe reads from a clip, in seconds.
pub fn ffprobe_duration(path: &Path) -> f64 {
    let out = run(Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "format=duration",
            "-of",
            "default=nw=1:nk=1",
        ])
        .arg(path));
    out.trim().parse().expect("ffprobe duration")
}

/// Writes a partition table with `sfdisk` onto `image` (which must already have its full size).
/// `script` is an sfdisk script, e.g. "label: dos\nstart=2048, type=c\n".
pub fn sfdisk(image: &Path, script: &str) {
    use std::io::Write;
    let mut child = Command::new("sfdisk")
        .arg("--no-reread")
        .arg("--no-tell-kernel")
        .arg("-q")
        .arg(image)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run sfdisk (is fdisk installed?)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("write script");
    let out = child.wait_with_output().expect("sfdisk");
    assert!(
        out.status.success(),
        "sfdisk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies the bytes of `volume` into `card` at byte `offset` (placing a formatted volume
/// inside a partitioned card image).
pub fn place_volume(card: &Path, offset: u64, volume: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let data = std::fs::read(volume).expect("read volume");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(card)
        .expect("open card");
    f.seek(SeekFrom::Start(offset)).expect("seek");
    f.write_all(&data).expect("write volume");
}

/// Creates a zero-filled (sparse) file of `bytes`.
pub fn sparse_file(path: &Path, bytes: u64) {
    let f = std::fs::File::create(path).expect("create");
    f.set_len(bytes).expect("set_len");
}

/// `fls -r -p` of a volume at `offset_sectors` (The Sleuth Kit), one line per entry.
pub fn fls(image: &Path, offset_sectors: u64) -> Vec<String> {
    let out = run(Command::new("fls")
        .args(["-r", "-p", "-o"])
        .arg(offset_sectors.to_string())
        .arg(image));
    out.lines().map(str::to_string).collect()
}

/// A 320×240, 25 fps H.264 clip of `seconds` made by ffmpeg from its test pattern, with
/// `extra` output options (timescales, fragmenting, GOP).
pub fn ffmpeg_testsrc(path: &Path, seconds: f64, extra: &[&str]) {
    run(Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
        ])
        .arg(format!("testsrc=size=320x240:rate=25:duration={seconds}"))
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(extra)
        .arg(path));
}

/// A fragmented H.264 MP4 of `seconds` made by ffmpeg as `-movflags frag_keyframe+empty_moov`
/// plus `extra` flags (e.g. "+default_base_moof", "+skip_trailer"), one fragment a second.
pub fn ffmpeg_fragmented(dir: &Path, name: &str, seconds: f64, extra: &str) -> PathBuf {
    let path = dir.join(name);
    let flags = format!("frag_keyframe+empty_moov{extra}");
    ffmpeg_testsrc(&path, seconds, &["-g", "25", "-movflags", &flags]);
    path
}

/// Top-level boxes of an MP4 as (type, offset, size), walking 32-bit sizes.
pub fn top_level_boxes(data: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = data[pos + 4..pos + 8].try_into().unwrap();
        if size < 8 {
            break;
        }
        out.push((kind, pos, size));
        pos += size;
    }
    out
}

/// `data` with a `mehd` box of `duration` (movie timescale) put at the start of `moov/mvex`, the
/// sizes around it and `mfra`'s fragment offsets moved to match (for files whose `tfhd`s carry
/// no absolute offsets: `+default_base_moof`).
pub fn insert_mehd(data: &[u8], duration: u32) -> Vec<u8> {
    let be = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
    let (_, moov, moov_size) = *top_level_boxes(data)
        .iter()
        .find(|b| &b.0 == b"moov")
        .expect("moov");
    let mut at = moov + 8;
    while &data[at + 4..at + 8] != b"mvex" {
        at += be(at);
        assert!(at < moov + moov_size, "no mvex");
    }
    let mvex = at;
    let mut mehd = 16u32.to_be_bytes().to_vec();
    mehd.extend_from_slice(b"mehd");
    mehd.extend_from_slice(&[0; 4]);
    mehd.extend_from_slice(&duration.to_be_bytes());
    let mut out = data[..mvex + 8].to_vec();
    out.extend_from_slice(&mehd);
    out.extend_from_slice(&data[mvex + 8..]);
    let grow = |out: &mut Vec<u8>, at: usize| {
        let v = u32::from_be_bytes(out[at..at + 4].try_into().unwrap()) + 16;
        out[at..at + 4].copy_from_slice(&v.to_be_bytes());
    };
    grow(&mut out, moov);
    grow(&mut out, mvex);
    // tfra entries (version 1): time u64, moof offset u64, then 3 one-byte numbers.
    if let Some(&(_, mfra, size)) = top_level_boxes(&out).iter().find(|b| &b.0 == b"mfra") {
        let mut t = mfra + 8;
        while t + 8 <= mfra + size && &out[t + 4..t + 8] == b"tfra" {
            let tfra_size = u32::from_be_bytes(out[t..t + 4].try_into().unwrap()) as usize;
            assert_eq!(out[t + 8], 1, "version 1 tfra");
            let entries = u32::from_be_bytes(out[t + 20..t + 24].try_into().unwrap()) as usize;
            for e in 0..entries {
                let off = t + 24 + e * 19 + 8;
                let v = u64::from_be_bytes(out[off..off + 8].try_into().unwrap()) + 16;
                out[off..off + 8].copy_from_slice(&v.to_be_bytes());
            }
            t += tfra_size;
        }
    }
    out
}

/// `data` XORed with the pad of `key`, as the camera encrypts a clip.
pub fn encrypt(data: &[u8], key: &str) -> Vec<u8> {
    let pad = dashcard::encryption::XorPad::from_key(
        &dashcard::encryption::Key::new(key).expect("a key"),
    );
    let mut out = data.to_vec();
    pad.apply(0, &mut out);
    out
}

/// Sets the read-only attribute of a file in the volume (`mattrib +r`): a clip the owner locked.
pub fn mattrib_read_only(image: &Path, offset: u64, path_in_volume: &str) {
    let mut cmd = Command::new("mattrib");
    cmd.env("MTOOLS_SKIP_CHECK", "1")
        .env("MTOOLSRC", "/dev/null");
    cmd.arg("-i")
        .arg(image_arg(image, offset))
        .arg("+r")
        .arg(format!("::{path_in_volume}"));
    run(&mut cmd);
}

/// Byte offset of the (live or deleted) 8.3 entry whose stored name is `name11`.
pub fn slot_of(image: &Path, name11: &[u8; 11]) -> u64 {
    let data = std::fs::read(image).unwrap();
    data.chunks(32)
        .position(|e| e.len() == 32 && &e[..11] == name11 && e[11] != 0x0F)
        .map(|i| i as u64 * 32)
        .unwrap_or_else(|| panic!("no entry {}", String::from_utf8_lossy(name11)))
}

/// Writes `bytes` at `offset` of `image` in place: a deliberate corruption.
pub fn patch(image: &Path, offset: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(image)
        .expect("open image for patching");
    f.seek(SeekFrom::Start(offset)).expect("seek");
    f.write_all(bytes).expect("patch");
}

/// The offset of the 32-byte directory entry of the file whose data starts at byte
/// `data_offset` of the bare FAT volume `image` and that is `size` bytes long (found from the
/// boot sector's geometry and a scan of every 32-byte slot).
pub fn fat_entry_offset(image: &Path, data_offset: u64, size: u32) -> u64 {
    let data = std::fs::read(image).expect("read image");
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as u64;
    let u32_at = |o: usize| u32::from_le_bytes([data[o], data[o + 1], data[o + 2], data[o + 3]]);
    let sector = u16_at(11);
    let per_cluster = data[13] as u64;
    let reserved = u16_at(14);
    let fats = data[16] as u64;
    let fat_sectors = match u16_at(22) {
        0 => u32_at(36) as u64,
        n => n,
    };
    let root_sectors = (u16_at(17) * 32).div_ceil(sector);
    let heap = (reserved + fats * fat_sectors + root_sectors) * sector;
    let cluster = ((data_offset - heap) / (sector * per_cluster) + 2) as u32;
    let found: Vec<usize> = (0..data.len() / 32)
        .map(|slot| slot * 32)
        .filter(|&o| {
            let attr = data[o + 11];
            data[o] != 0
                && data[o] != 0xE5
                && attr & 0x18 == 0
                && attr != 0x0F
                && ((u16_at(o + 20) as u32) << 16 | u16_at(o + 26) as u32) == cluster
                && u32_at(o + 28) == size
        })
        .collect();
    assert_eq!(found.len(), 1, "one directory entry for cluster {cluster}");
    found[0] as u64
}

/// Sets the `mvhd` (version 0) timescale and duration of the clip stored at
/// `clip_offset..clip_offset + clip_bytes` of `image` (one contiguous run).
pub fn patch_mvhd(image: &Path, clip_offset: u64, clip_bytes: u64, timescale: u32, duration: u32) {
    use std::io::{Read, Seek, SeekFrom};
    let mut clip = vec![0u8; clip_bytes as usize];
    let mut f = std::fs::File::open(image).expect("open image");
    f.seek(SeekFrom::Start(clip_offset)).expect("seek");
    f.read_exact(&mut clip).expect("read clip");
    let at = clip
        .windows(4)
        .position(|w| w == b"mvhd")
        .expect("the clip has an mvhd box");
    assert_eq!(clip[at + 4], 0, "mvhd version 0");
    let mut fields = timescale.to_be_bytes().to_vec();
    fields.extend(duration.to_be_bytes());
    patch(image, clip_offset + at as u64 + 16, &fields);
}
