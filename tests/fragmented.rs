//! Fragmented MP4 clips (what the newer Nexar cameras write) made by ffmpeg at test time with
//! `-movflags frag_keyframe+empty_moov`: their durations from the fragments (through ffmpeg's
//! `mfra` index, or walked), from an inserted `mehd`, from a copy cut mid-fragment as a power
//! loss leaves it, and through the camera's encryption — each checked against ffprobe.

mod common;

use std::io::{Cursor, Read, Seek, SeekFrom};

use dashcard::clip_header::{Keys, read_clip};
use dashcard::encryption::{DecryptingReader, FACTORY_DEFAULT_KEY, Key, KeySource, XorPad};
use dashcard::mp4::{DurationFrom, read_header};

/// Read calls made on a byte source.
struct Counting {
    inner: Cursor<Vec<u8>>,
    calls: usize,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.calls += 1;
        self.inner.read(buf)
    }
}

impl Seek for Counting {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn counting(data: &[u8]) -> Counting {
    Counting {
        inner: Cursor::new(data.to_vec()),
        calls: 0,
    }
}

fn ffprobe_bytes(dir: &std::path::Path, name: &str, data: &[u8]) -> f64 {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    common::ffprobe_duration(&path)
}

#[test]
fn ffmpegs_fragments_are_timed_through_its_index() {
    let dir = common::tempdir();
    for seconds in [2.0, 7.0] {
        let path = common::ffmpeg_fragmented(dir.path(), &format!("f{seconds}.mp4"), seconds, "");
        let data = std::fs::read(&path).unwrap();
        let mut file = counting(&data);
        let info = read_header(&mut file, data.len() as u64).unwrap();
        let want = common::ffprobe_duration(&path);
        let got = info.duration_s.expect("a duration");
        assert!(
            (got - want).abs() < 0.05,
            "{seconds} s: {got} vs ffprobe {want}"
        );
        assert_eq!(info.duration_from, Some(DurationFrom::Fragments));
        assert!(info.fragmented && !info.has_mehd);
        assert!(info.warnings.is_empty(), "{:?}", info.warnings);
        // Head, moov, the end (mfro and mfra) and the last moof: never the media.
        assert!(file.calls <= 5, "{} read calls", file.calls);
        assert_eq!((info.width, info.height), (Some(320), Some(240)));
    }
}

#[test]
fn without_an_index_the_fragments_are_walked() {
    let dir = common::tempdir();
    let path = common::ffmpeg_fragmented(dir.path(), "walk.mp4", 6.0, "+skip_trailer");
    let data = std::fs::read(&path).unwrap();
    assert!(
        !common::top_level_boxes(&data)
            .iter()
            .any(|b| &b.0 == b"mfra")
    );
    let mut file = counting(&data);
    let info = read_header(&mut file, data.len() as u64).unwrap();
    let want = common::ffprobe_duration(&path);
    assert!((info.duration_s.unwrap() - want).abs() < 0.05);
    assert_eq!(info.duration_from, Some(DurationFrom::Fragments));
    // About one read per fragment (six).
    assert!(file.calls <= 12, "{} read calls", file.calls);
}

#[test]
fn an_inserted_mehd_gives_the_duration_and_one_that_lies_is_a_warning() {
    let dir = common::tempdir();
    let path = common::ffmpeg_fragmented(dir.path(), "base.mp4", 4.0, "+default_base_moof");
    let data = std::fs::read(&path).unwrap();
    let want = common::ffprobe_duration(&path);
    let with_mehd = common::insert_mehd(&data, (want * 1000.0).round() as u32);
    // Still a file ffmpeg reads, with the same length.
    let probed = ffprobe_bytes(dir.path(), "mehd.mp4", &with_mehd);
    assert!((probed - want).abs() < 0.05);
    let info = read_header(&mut Cursor::new(&with_mehd), with_mehd.len() as u64).unwrap();
    assert!(info.has_mehd);
    assert_eq!(info.duration_from, Some(DurationFrom::Mehd));
    assert!((info.duration_s.unwrap() - probed).abs() < 0.05);
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);

    let lying = common::insert_mehd(&data, 60_000);
    let info = read_header(&mut Cursor::new(&lying), lying.len() as u64).unwrap();
    assert_eq!(info.duration_from, Some(DurationFrom::Fragments));
    assert!((info.duration_s.unwrap() - want).abs() < 0.05);
    assert!(
        info.warnings
            .iter()
            .any(|w| w.contains("mehd box says 60.00 s")),
        "{:?}",
        info.warnings
    );
}

#[test]
fn a_copy_cut_mid_fragment_counts_its_complete_fragments_only() {
    let dir = common::tempdir();
    let path = common::ffmpeg_fragmented(dir.path(), "long.mp4", 6.0, "");
    let data = std::fs::read(&path).unwrap();
    let moofs: Vec<usize> = common::top_level_boxes(&data)
        .iter()
        .filter(|b| &b.0 == b"moof")
        .map(|b| b.1)
        .collect();
    assert!(moofs.len() >= 5);
    let boundary = moofs[3];
    let cut = boundary + (moofs[4] - boundary) / 2;
    // What ffprobe says of the three complete fragments alone.
    let want = ffprobe_bytes(dir.path(), "three.mp4", &data[..boundary]);
    let truncated = &data[..cut];
    let info = read_header(&mut Cursor::new(truncated), truncated.len() as u64).unwrap();
    assert!(
        (info.duration_s.unwrap() - want).abs() < 0.05,
        "{:?} vs {want}",
        info.duration_s
    );
    assert_eq!(info.duration_from, Some(DurationFrom::Fragments));
    assert!(
        info.warnings.iter().any(|w| w.contains("cut short")),
        "{:?}",
        info.warnings
    );
}

#[test]
fn encrypted_copies_read_through_the_right_key_and_decrypt_to_the_plaintext() {
    let dir = common::tempdir();
    let path = common::ffmpeg_fragmented(dir.path(), "plain.mp4", 3.0, "");
    let plain = std::fs::read(&path).unwrap();
    let want = common::ffprobe_duration(&path);

    // The factory default key opens it without being asked.
    let factory = common::encrypt(&plain, FACTORY_DEFAULT_KEY);
    let header = read_clip(
        &mut Cursor::new(&factory),
        factory.len() as u64,
        &Keys::default(),
    );
    assert_eq!(header.encryption, Some(KeySource::FactoryDefault));
    assert!((header.duration_s.unwrap() - want).abs() < 0.05);
    let mut decrypted = Vec::new();
    let pad = XorPad::from_key(&Key::factory_default());
    DecryptingReader::new(Cursor::new(&factory), pad)
        .unwrap()
        .read_to_end(&mut decrypted)
        .unwrap();
    assert!(decrypted == plain, "the decrypted bytes are the plaintext");

    // An owner's key: not opened by the factory key, opened once given.
    let owner = "f626ad1ffb5159bef3e9295df34244af";
    let encrypted = common::encrypt(&plain, owner);
    let header = read_clip(
        &mut Cursor::new(&encrypted),
        encrypted.len() as u64,
        &Keys::default(),
    );
    assert_eq!(header.encryption, None);
    assert!(header.error.as_deref().unwrap().contains("not an MP4"));
    let prefix = header.prefix.clone().expect("the first bytes are kept");
    // Another clip of the same camera starts with the same bytes.
    let other = common::ffmpeg_fragmented(dir.path(), "other.mp4", 2.0, "");
    let other = common::encrypt(&std::fs::read(other).unwrap(), owner);
    let other_header = read_clip(
        &mut Cursor::new(&other),
        other.len() as u64,
        &Keys::default(),
    );
    assert_eq!(other_header.prefix.as_deref(), Some(prefix.as_str()));
    let key = Key::new(owner).unwrap();
    let header = read_clip(
        &mut Cursor::new(&encrypted),
        encrypted.len() as u64,
        &Keys::new(Some(&key)),
    );
    assert_eq!(header.encryption, Some(KeySource::Owner));
    assert!((header.duration_s.unwrap() - want).abs() < 0.05);
    // A wrong key opens nothing.
    let wrong = Key::new("00112233445566778899aabbccddeeff").unwrap();
    let header = read_clip(
        &mut Cursor::new(&encrypted),
        encrypted.len() as u64,
        &Keys::new(Some(&wrong)),
    );
    assert_eq!(header.encryption, None);
    // A plain clip is read plain.
    let header = read_clip(
        &mut Cursor::new(&plain),
        plain.len() as u64,
        &Keys::new(Some(&key)),
    );
    assert_eq!((header.encryption, header.prefix), (None, None));
}
