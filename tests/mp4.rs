//! MP4/MOV header reading on real clips made by ffmpeg at test time: moov at the end (as
//! cameras write) and at the start, MOV, 64-bit sizes, interrupted and damaged recordings, and a
//! clip inside a real FAT image read through the block reader.

mod common;

use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::path::Path;
use std::process::Command;

use chrono::NaiveDate;
use dashcard::block_reader::BlockReader;
use dashcard::extent::{Extent, ExtentReader};
use dashcard::mp4::{MAX_MOOV_BYTES, Mp4Error, Mp4Info, read_header};

/// Every read call made on a source, as (offset, bytes returned).
struct Counting<R> {
    inner: R,
    pos: u64,
    reads: Vec<(u64, u64)>,
}

impl<R> Counting<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            pos: 0,
            reads: Vec::new(),
        }
    }

    fn bytes_read(&self) -> u64 {
        self.reads.iter().map(|r| r.1).sum()
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.reads.push((self.pos, n as u64));
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = self.inner.seek(pos)?;
        Ok(self.pos)
    }
}

/// A file of `len` bytes whose first bytes are `data` and the rest zeros, without allocating it.
struct Padded {
    data: Vec<u8>,
    len: u64,
    pos: u64,
}

impl Read for Padded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.len.saturating_sub(self.pos)) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = self.data.get(self.pos as usize + i).copied().unwrap_or(0);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Padded {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.pos = match pos {
            SeekFrom::Start(p) => p,
            SeekFrom::End(d) => self.len.checked_add_signed(d).unwrap(),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d).unwrap(),
        };
        Ok(self.pos)
    }
}

/// Reads the header of `data`, returning the result and the read calls it made.
fn read_bytes(data: &[u8]) -> (Result<Mp4Info, Mp4Error>, Counting<Cursor<Vec<u8>>>) {
    let mut file = Counting::new(Cursor::new(data.to_vec()));
    let result = read_header(&mut file, data.len() as u64);
    (result, file)
}

fn created_by_helper() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 10, 12)
        .unwrap()
        .and_hms_opt(7, 57, 0)
        .unwrap()
}

fn be_u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(data[at..at + 4].try_into().unwrap())
}

/// Offset of the first top-level box of type `kind`, walking the real file's 32-bit sizes.
fn top_level_box(data: &[u8], kind: &[u8; 4]) -> usize {
    let mut pos = 0;
    while pos + 8 <= data.len() {
        if &data[pos + 4..pos + 8] == kind {
            return pos;
        }
        pos += be_u32_at(data, pos) as usize;
    }
    panic!("no {} box", String::from_utf8_lossy(kind));
}

/// Checks a clip made by `common::ffmpeg_clip` against ffprobe and returns the read calls.
fn check_clip(path: &Path, moov_at_end: bool) -> Counting<std::fs::File> {
    let bytes = std::fs::metadata(path).unwrap().len();
    let mut file = Counting::new(std::fs::File::open(path).unwrap());
    let info = read_header(&mut file, bytes).unwrap();
    let want = common::ffprobe_duration(path);
    let got = info.duration_s.expect("a duration");
    assert!(
        (got - want).abs() < 0.05,
        "{}: duration {got} vs ffprobe {want}",
        path.display()
    );
    assert_eq!((info.width, info.height), (Some(320), Some(240)));
    assert_eq!(info.created, Some(created_by_helper()));
    assert_eq!(info.moov_at_end, moov_at_end);
    let data = std::fs::read(path).unwrap();
    assert_eq!(info.moov_offset as usize, top_level_box(&data, b"moov"));
    assert_eq!(
        info.moov_bytes,
        u64::from(be_u32_at(&data, info.moov_offset as usize))
    );
    // Never the media payload: every read is the opening probe or lies inside moov.
    let mdat = top_level_box(&data, b"mdat") as u64;
    for &(offset, n) in &file.reads {
        assert!(
            offset == 0
                || (offset >= info.moov_offset && offset + n <= info.moov_offset + info.moov_bytes),
            "read of {n} bytes at {offset} is outside the probe and moov (mdat at {mdat})"
        );
    }
    file
}

#[test]
fn durations_sizes_and_times_match_ffprobe_with_moov_at_end_and_at_start() {
    let dir = common::tempdir();
    for seconds in [1.0, 2.5, 10.0] {
        for faststart in [false, true] {
            let name = format!("clip_{seconds}_{faststart}.mp4");
            let path = common::ffmpeg_clip(dir.path(), &name, seconds, faststart);
            let file = check_clip(&path, !faststart);
            eprintln!(
                "{name}: {} bytes, {} read calls, {} bytes read",
                std::fs::metadata(&path).unwrap().len(),
                file.reads.len(),
                file.bytes_read()
            );
            let want_calls = if faststart { 1 } else { 2 };
            assert_eq!(file.reads.len(), want_calls, "{name}: {:?}", file.reads);
            assert!(file.bytes_read() <= 64 * 1024);
        }
    }
}

#[test]
fn a_minute_with_sound_costs_the_same_two_reads() {
    let dir = common::tempdir();
    let path = dir.path().join("minute.mp4");
    common::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args([
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=640x360:rate=30:duration=60",
            ])
            .args(["-f", "lavfi", "-i", "sine=duration=60"])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ])
            .args([
                "-c:a",
                "aac",
                "-metadata",
                "creation_time=2024-10-12T07:57:00Z",
            ])
            .arg(&path),
    );
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut file = Counting::new(std::fs::File::open(&path).unwrap());
    let info = read_header(&mut file, bytes).unwrap();
    eprintln!(
        "minute.mp4: {bytes} bytes, moov {} bytes, {} read calls, {} bytes read",
        info.moov_bytes,
        file.reads.len(),
        file.bytes_read()
    );
    assert!(
        info.moov_bytes > 16 * 1024,
        "moov should be larger than what is read"
    );
    assert!((info.duration_s.unwrap() - common::ffprobe_duration(&path)).abs() < 0.05);
    assert_eq!((info.width, info.height), (Some(640), Some(360)));
    assert_eq!(file.reads.len(), 2);
    assert!(file.bytes_read() <= 16 * 1024);
}

#[test]
fn a_quicktime_mov_is_read_too() {
    let dir = common::tempdir();
    let path = dir.path().join("clip.mov");
    common::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args([
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=25:duration=2.5",
            ])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ])
            .args([
                "-metadata",
                "creation_time=2024-10-12T07:57:00Z",
                "-f",
                "mov",
            ])
            .arg(&path),
    );
    let data = std::fs::read(&path).unwrap();
    let (info, file) = read_bytes(&data);
    let info = info.unwrap();
    assert_eq!(info.major_brand.as_deref(), Some("qt"));
    assert!((info.duration_s.unwrap() - common::ffprobe_duration(&path)).abs() < 0.05);
    assert_eq!((info.width, info.height), (Some(320), Some(240)));
    assert_eq!(info.created, Some(created_by_helper()));
    assert!(info.moov_at_end);
    assert_eq!(file.reads.len(), 2);
}

#[test]
fn the_major_brand_of_an_mp4_is_isom() {
    let dir = common::tempdir();
    let path = common::ffmpeg_clip(dir.path(), "a.mp4", 1.0, false);
    let (info, _) = read_bytes(&std::fs::read(path).unwrap());
    assert_eq!(info.unwrap().major_brand.as_deref(), Some("isom"));
}

#[test]
fn a_64_bit_mdat_size_is_followed_to_moov() {
    let dir = common::tempdir();
    let path = common::ffmpeg_clip(dir.path(), "clip.mp4", 2.5, false);
    let mut data = std::fs::read(&path).unwrap();
    // ffmpeg leaves an 8-byte `free` box before `mdat` so that it can widen mdat's header in
    // place when mdat passes 4 GiB; do exactly that: [1]["mdat"][64-bit size] over both.
    assert_eq!(&data[32..40], &[0, 0, 0, 8, b'f', b'r', b'e', b'e']);
    assert_eq!(&data[44..48], b"mdat");
    let mdat_bytes = u64::from(be_u32_at(&data, 40)) + 8;
    data[32..36].copy_from_slice(&1u32.to_be_bytes());
    data[36..40].copy_from_slice(b"mdat");
    data[40..48].copy_from_slice(&mdat_bytes.to_be_bytes());
    let wide = dir.path().join("wide.mp4");
    std::fs::write(&wide, &data).unwrap();
    // ffprobe agrees the rewritten file is a valid clip.
    let want = common::ffprobe_duration(&wide);
    let (info, file) = read_bytes(&data);
    let info = info.unwrap();
    assert!((info.duration_s.unwrap() - want).abs() < 0.05);
    assert_eq!(info.moov_offset, 32 + mdat_bytes);
    assert!(info.moov_at_end);
    assert_eq!(file.reads.len(), 2);
}

#[test]
fn a_clip_cut_before_its_moov_is_an_interrupted_recording() {
    let dir = common::tempdir();
    let path = common::ffmpeg_clip(dir.path(), "clip.mp4", 2.5, false);
    let data = std::fs::read(&path).unwrap();
    let moov = top_level_box(&data, b"moov");
    for cut in [moov, moov / 2, 100] {
        let cut_path = dir.path().join(format!("cut_{cut}.mp4"));
        std::fs::write(&cut_path, &data[..cut]).unwrap();
        // ffprobe cannot open it either.
        let probe = Command::new("ffprobe")
            .arg("-v")
            .arg("error")
            .arg(&cut_path)
            .output()
            .unwrap();
        assert!(!probe.status.success());
        let (result, file) = read_bytes(&data[..cut]);
        let err = result.unwrap_err();
        assert!(
            matches!(err, Mp4Error::NoMoov { .. }),
            "cut at {cut}: {err}"
        );
        assert!(err.to_string().contains("interrupted"), "{err}");
        assert!(file.reads.len() <= 2);
    }
}

#[test]
fn zeros_where_moov_should_be_are_an_interrupted_recording() {
    let dir = common::tempdir();
    let path = common::ffmpeg_clip(dir.path(), "clip.mp4", 2.5, false);
    let mut data = std::fs::read(&path).unwrap();
    // The file keeps its length but moov's clusters were never written.
    let moov = top_level_box(&data, b"moov");
    data[moov..].fill(0);
    let err = read_bytes(&data).0.unwrap_err();
    assert!(
        matches!(&err, Mp4Error::NoMoov { detail } if detail.contains("only zeros")),
        "{err}"
    );
}

#[test]
fn an_mdat_whose_size_was_never_written_runs_to_the_end() {
    let dir = common::tempdir();
    let path = common::ffmpeg_clip(dir.path(), "clip.mp4", 2.5, false);
    let mut data = std::fs::read(&path).unwrap();
    let mdat = top_level_box(&data, b"mdat");
    data[mdat..mdat + 4].copy_from_slice(&0u32.to_be_bytes());
    let err = read_bytes(&data).0.unwrap_err();
    assert!(
        matches!(&err, Mp4Error::NoMoov { detail } if detail.contains("never written")),
        "{err}"
    );
}

#[test]
fn size_0_on_the_last_box_means_to_the_end_of_the_file() {
    let dir = common::tempdir();
    // moov last (camera layout): its size field 0.
    let path = common::ffmpeg_clip(dir.path(), "end.mp4", 2.5, false);
    let mut data = std::fs::read(&path).unwrap();
    let moov = top_level_box(&data, b"moov");
    data[moov..moov + 4].copy_from_slice(&0u32.to_be_bytes());
    let info = read_bytes(&data).0.unwrap();
    assert_eq!(info.moov_bytes, (data.len() - moov) as u64);
    assert_eq!((info.width, info.height), (Some(320), Some(240)));
    // mdat last (faststart layout): its size field 0; moov comes first and is read as usual.
    let path = common::ffmpeg_clip(dir.path(), "fast.mp4", 2.5, true);
    let mut data = std::fs::read(&path).unwrap();
    let mdat = top_level_box(&data, b"mdat");
    data[mdat..mdat + 4].copy_from_slice(&0u32.to_be_bytes());
    let info = read_bytes(&data).0.unwrap();
    assert!(!info.moov_at_end);
    assert!((info.duration_s.unwrap() - 2.5).abs() < 0.05);
}

#[test]
fn a_moov_cut_short_is_truncated() {
    let dir = common::tempdir();
    let path = common::ffmpeg_clip(dir.path(), "clip.mp4", 2.5, false);
    let data = std::fs::read(&path).unwrap();
    let moov = top_level_box(&data, b"moov");
    let err = read_bytes(&data[..moov + 50]).0.unwrap_err();
    assert!(
        matches!(&err, Mp4Error::Truncated { box_type, offset, .. } if box_type == "moov" && *offset == moov as u64),
        "{err}"
    );
}

#[test]
fn garbage_zeros_and_tiny_files_are_not_mp4() {
    assert_eq!(read_bytes(&[]).0.unwrap_err(), Mp4Error::Empty);
    let err = read_bytes(&[0u8; 65536]).0.unwrap_err();
    assert!(
        matches!(&err, Mp4Error::NotMp4 { found } if found.contains("zero")),
        "{err}"
    );
    assert!(matches!(
        read_bytes(b"\0\0\0\x08ft").0,
        Err(Mp4Error::NotMp4 { .. })
    ));
    let text = b"This is not a video, it is a text file about dash cams.\n".repeat(100);
    assert!(matches!(read_bytes(&text).0, Err(Mp4Error::NotMp4 { .. })));
    // Pseudo-random bytes.
    let mut x = 0x1234_5678u32;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let (result, file) = read_bytes(&noise);
    assert!(matches!(result, Err(Mp4Error::NotMp4 { .. })));
    assert_eq!(file.reads.len(), 1);
}

#[test]
fn box_sizes_that_lie_are_clear_errors() {
    let dir = common::tempdir();
    let path = common::ffmpeg_clip(dir.path(), "fast.mp4", 2.5, true);
    let data = std::fs::read(&path).unwrap();
    let moov = top_level_box(&data, b"moov");
    let mvhd = moov + 8;
    assert_eq!(&data[mvhd + 4..mvhd + 8], b"mvhd");

    // mvhd claims more than its parent moov holds.
    let mut bad = data.clone();
    bad[mvhd..mvhd + 4].copy_from_slice(&0x0100_0000u32.to_be_bytes());
    let err = read_bytes(&bad).0.unwrap_err();
    assert!(
        matches!(&err, Mp4Error::Malformed { box_type, offset, .. } if box_type == "mvhd" && *offset == mvhd as u64),
        "{err}"
    );
    assert!(
        err.to_string().contains("past the end of its parent"),
        "{err}"
    );

    // mvhd smaller than its own header.
    let mut bad = data.clone();
    bad[mvhd..mvhd + 4].copy_from_slice(&4u32.to_be_bytes());
    assert!(matches!(
        read_bytes(&bad).0,
        Err(Mp4Error::Malformed { .. })
    ));

    // mvhd too short for its fields (a 12-byte box that still fits its parent).
    let mut bad = data.clone();
    bad[mvhd..mvhd + 4].copy_from_slice(&12u32.to_be_bytes());
    let err = read_bytes(&bad).0.unwrap_err();
    assert!(err.to_string().contains("too few"), "{err}");

    // A top-level size that lands in the media payload.
    let mut bad = data.clone();
    bad[moov..moov + 4].copy_from_slice(&40u32.to_be_bytes());
    assert!(matches!(
        read_bytes(&bad).0,
        Err(Mp4Error::Malformed { .. } | Mp4Error::NoMoov { .. })
    ));

    // A moov larger than the cap inside an even larger file is refused without reading it.
    let mut big = data.clone();
    big[moov..moov + 4].copy_from_slice(&((MAX_MOOV_BYTES + 1) as u32).to_be_bytes());
    let len = 2 * MAX_MOOV_BYTES;
    let mut file = Counting::new(Padded {
        data: big,
        len,
        pos: 0,
    });
    let err = read_header(&mut file, len).unwrap_err();
    assert!(matches!(err, Mp4Error::BoxTooLarge { .. }), "{err}");
    assert_eq!(file.reads.len(), 1);
}

#[test]
fn damaging_any_header_byte_never_panics_or_hangs() {
    let dir = common::tempdir();
    for faststart in [false, true] {
        let path = common::ffmpeg_clip(dir.path(), "c.mp4", 1.0, faststart);
        let data = std::fs::read(&path).unwrap();
        let moov = top_level_box(&data, b"moov");
        // The box headers and fields read: the start, and the first 700 bytes of moov.
        let positions: Vec<usize> = (0..64).chain(moov..(moov + 700).min(data.len())).collect();
        for &at in &positions {
            for value in [0x00, 0x01, 0x07, 0x80, 0xff] {
                let mut bad = data.clone();
                bad[at] = value;
                let (_, file) = read_bytes(&bad);
                assert!(file.reads.len() <= 64);
            }
        }
        // Every prefix of the file's header region.
        for cut in (0..moov + 700).step_by(7) {
            let cut = cut.min(data.len());
            let (result, _) = read_bytes(&data[..cut]);
            if cut < data.len() && cut <= moov + 100 {
                assert!(result.is_err(), "cut at {cut} of {}", data.len());
            }
        }
    }
}

#[test]
fn the_video_track_is_found_after_an_audio_track() {
    let dir = common::tempdir();
    let path = dir.path().join("audio_first.mp4");
    common::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args([
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=25:duration=2",
            ])
            .args(["-f", "lavfi", "-i", "sine=duration=2"])
            .args(["-map", "1:a", "-map", "0:v"])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-c:a", "aac"])
            .arg(&path),
    );
    let data = std::fs::read(&path).unwrap();
    let (info, file) = read_bytes(&data);
    let info = info.unwrap();
    assert_eq!((info.width, info.height), (Some(320), Some(240)));
    assert!((info.duration_s.unwrap() - common::ffprobe_duration(&path)).abs() < 0.05);
    // No creation time was set: ffmpeg writes 0.
    assert_eq!(info.created, None);
    assert!(file.reads.len() <= 3);
}

#[test]
fn a_fragmented_clip_without_a_duration_in_moov_is_timed_by_its_fragments() {
    let dir = common::tempdir();
    let path = dir.path().join("frag.mp4");
    common::run(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-y"])
            .args([
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x240:rate=25:duration=3",
            ])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-movflags", "frag_keyframe+empty_moov"])
            .arg(&path),
    );
    let data = std::fs::read(&path).unwrap();
    let (info, file) = read_bytes(&data);
    let info = info.unwrap();
    // mvhd, tkhd and mdhd all say 0 and there is no mehd: only the fragments know the length,
    // found through ffmpeg's mfra index at the end (tests/fragmented.rs has the rest).
    let want = common::ffprobe_duration(&path);
    assert!((info.duration_s.unwrap() - want).abs() < 0.05);
    assert_eq!((info.width, info.height), (Some(320), Some(240)));
    assert!(!info.moov_at_end);
    assert!(file.reads.len() <= 5, "{:?}", file.reads);
}

#[test]
fn clips_in_a_fat_image_are_read_through_the_block_reader_and_extents() {
    let dir = common::tempdir();
    let end = common::ffmpeg_clip(dir.path(), "end.mp4", 10.0, false);
    let fast = common::ffmpeg_clip(dir.path(), "fast.mp4", 2.5, true);
    let image = dir.path().join("card.img");
    common::mkfs_fat(&image, &common::Mkfs::new(16, 16 * 1024));
    common::mmd(&image, 0, "DCIM");
    common::mcopy(&image, 0, &end, "DCIM/END.MP4");
    common::mcopy(&image, 0, &fast, "DCIM/FAST.MP4");
    let image_bytes = std::fs::read(&image).unwrap();
    for (clip, moov_at_end) in [(&end, true), (&fast, false)] {
        let data = std::fs::read(clip).unwrap();
        // A fresh volume stores each file contiguously: find it by its first 64 bytes.
        let offset = image_bytes
            .windows(64)
            .position(|w| w == &data[..64])
            .expect("clip in image") as u64;
        let extents = [Extent {
            offset,
            bytes: data.len() as u64,
        }];
        let mut reader = BlockReader::new(std::fs::File::open(&image).unwrap()).unwrap();
        let mut file = ExtentReader::new(&mut reader, &extents, data.len() as u64);
        let info = read_header(&mut file, data.len() as u64).unwrap();
        assert!((info.duration_s.unwrap() - common::ffprobe_duration(clip)).abs() < 0.05);
        assert_eq!((info.width, info.height), (Some(320), Some(240)));
        assert_eq!(info.created, Some(created_by_helper()));
        assert_eq!(info.moov_at_end, moov_at_end);
        let stats = reader.stats();
        eprintln!(
            "{} in a FAT image: {} read calls, {} bytes read",
            clip.display(),
            stats.read_calls,
            stats.bytes_read
        );
        assert!(stats.read_calls <= 3);
        assert!(stats.bytes_read <= 64 * 1024);
        if moov_at_end {
            // Extents that end before the file's size (a broken cluster chain): an error, no panic.
            let short = [Extent {
                offset,
                bytes: data.len() as u64 / 2,
            }];
            let mut file = ExtentReader::new(&mut reader, &short, data.len() as u64);
            let err = read_header(&mut file, data.len() as u64).unwrap_err();
            assert!(
                matches!(&err, Mp4Error::Io { message } if message.contains("recorded size")),
                "{err}"
            );
        }
    }
}

/// A clip whose movie (`mvhd`) and video track (`mdhd`) timescales are the ones given: ffmpeg's
/// `-movie_timescale` and `-video_track_timescale`.
fn clip_with_timescales(dir: &Path, seconds: f64, movie: u32, track: u32) -> std::path::PathBuf {
    let path = dir.join(format!("ts_{movie}_{track}.mp4"));
    let (movie, track) = (movie.to_string(), track.to_string());
    common::ffmpeg_testsrc(
        &path,
        seconds,
        &["-movie_timescale", &movie, "-video_track_timescale", &track],
    );
    path
}

/// The timescale field of the first `mvhd` (version 0: after version/flags and two times).
fn mvhd_timescale(data: &[u8]) -> u32 {
    let at = data
        .windows(4)
        .position(|w| w == b"mvhd")
        .expect("an mvhd box");
    be_u32_at(data, at + 16)
}

/// Durations are in each header's own timescale: a movie timescale of 600 (QuickTime's), 1000
/// (ffmpeg's default) or 90000, with track timescales that differ from it, all read as the
/// seconds ffprobe reads.
#[test]
fn durations_follow_the_movie_and_track_timescales() {
    let dir = common::tempdir();
    for (movie, track) in [(600, 90_000), (1000, 12_800), (90_000, 600)] {
        let path = clip_with_timescales(dir.path(), 3.0, movie, track);
        let data = std::fs::read(&path).unwrap();
        assert_eq!(
            mvhd_timescale(&data),
            movie,
            "ffmpeg wrote the movie timescale"
        );
        let info = read_bytes(&data).0.unwrap();
        let want = common::ffprobe_duration(&path);
        let got = info.duration_s.expect("a duration");
        assert!(
            (got - want).abs() < 0.05 && (got - 3.0).abs() < 0.1,
            "movie timescale {movie}, track {track}: {got} s, ffprobe {want} s"
        );
    }
}

/// `data` with the 32-bit field `offset` bytes after the first `kind` box's type set to 0
/// (version-0 boxes only, which ffmpeg writes for these dates).
fn zero_field(data: &mut [u8], kind: &[u8; 4], offset: usize) {
    let at = data
        .windows(4)
        .position(|w| w == kind)
        .unwrap_or_else(|| panic!("a {} box", String::from_utf8_lossy(kind)));
    assert_eq!(data[at + 4], 0, "version 0");
    data[at + offset..at + offset + 4].copy_from_slice(&[0; 4]);
}

/// With no duration in `mvhd` (or a timescale of 0 there), the length comes from the video
/// track: its `mdhd` in the track's own timescale, else its `tkhd` in the movie's — each checked
/// against ffprobe's reading of the clip before the patch, with timescales that differ.
#[test]
fn without_an_mvhd_duration_the_track_gives_it_in_its_own_timescale() {
    let dir = common::tempdir();
    for (movie, track) in [(600, 90_000), (90_000, 600)] {
        let path = clip_with_timescales(dir.path(), 3.0, movie, track);
        let want = common::ffprobe_duration(&path);
        let original = std::fs::read(&path).unwrap();
        let mut no_timescale = original.clone();
        zero_field(&mut no_timescale, b"mvhd", 16);
        let got = read_bytes(&no_timescale).0.unwrap().duration_s;
        assert!(
            got.is_some_and(|got| (got - want).abs() < 0.05),
            "mvhd timescale 0, mdhd ({track}): {got:?} s, ffprobe {want} s"
        );
        let mut data = original;
        zero_field(&mut data, b"mvhd", 20);
        let info = read_bytes(&data).0.unwrap();
        let got = info.duration_s.expect("a duration from mdhd");
        assert!(
            (got - want).abs() < 0.05,
            "mdhd ({track}): {got} s, ffprobe {want} s"
        );
        zero_field(&mut data, b"mdhd", 20);
        let info = read_bytes(&data).0.unwrap();
        let got = info.duration_s.expect("a duration from tkhd");
        assert!(
            (got - want).abs() < 0.05,
            "tkhd (movie {movie}): {got} s, ffprobe {want} s"
        );
    }
}
