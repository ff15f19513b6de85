//! Stored ZIP archives laid out around the files' own bytes, checked by Python's `zipfile`
//! (another implementation): names, sizes, times, CRCs, contents, and ZIP64 past 4 GiB.

mod common;

use std::io::{Seek, SeekFrom, Write};
use std::process::Command;

use dashcard::export::digest::digest;
use dashcard::export::zip_layout::{Piece, ZipEntry, archive_bytes, layout};

/// Writes the archive: pieces' bytes, and each entry's data from `data(i)` (`None`: zeros,
/// left as a hole in a sparse file).
fn write_archive(
    path: &std::path::Path,
    entries: &[ZipEntry],
    data: impl Fn(usize) -> Option<Vec<u8>>,
) {
    let pieces = layout(entries);
    let mut out = std::fs::File::create(path).unwrap();
    for p in &pieces {
        match p {
            Piece::Bytes(b) => out.write_all(b).unwrap(),
            Piece::Data(i) => match data(*i) {
                Some(bytes) => out.write_all(&bytes).unwrap(),
                None => {
                    out.seek(SeekFrom::Current(entries[*i].bytes as i64))
                        .unwrap();
                }
            },
        }
    }
    out.set_len(archive_bytes(&pieces, entries)).unwrap();
}

fn python(script: &str, archive: &std::path::Path) -> String {
    common::run(Command::new("python3").arg("-c").arg(script).arg(archive))
}

#[test]
fn a_stored_archive_reads_back_in_another_implementation() {
    let dir = common::tempdir();
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            "drive/20241012_075700_1.mp4".into(),
            (0..100_000u32).map(|i| (i % 253) as u8).collect(),
        ),
        ("drive/20241012_075700_2.mp4".into(), vec![7u8; 5_000]),
        ("drive/notes – ü.txt".into(), b"hello".to_vec()),
    ];
    let t = chrono::NaiveDate::from_ymd_opt(2024, 10, 12).and_then(|d| d.and_hms_opt(7, 57, 30));
    let entries: Vec<ZipEntry> = files
        .iter()
        .map(|(name, bytes)| ZipEntry {
            name: name.clone(),
            bytes: bytes.len() as u64,
            crc32: digest(&bytes[..], 4096).unwrap().crc32,
            modified: t,
        })
        .collect();
    let archive = dir.path().join("drive.zip");
    write_archive(&archive, &entries, |i| Some(files[i].1.clone()));
    let out = python(
        "import sys, zipfile, hashlib\n\
         z = zipfile.ZipFile(sys.argv[1])\n\
         assert z.testzip() is None\n\
         for i in z.infolist():\n\
         \x20   print(i.filename, i.file_size, i.compress_type, i.date_time, hashlib.sha256(z.read(i)).hexdigest())",
        &archive,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3);
    for ((name, bytes), line) in files.iter().zip(&lines) {
        let sha = digest(&bytes[..], 4096).unwrap().sha256;
        assert_eq!(
            *line,
            format!("{name} {} 0 (2024, 10, 12, 7, 57, 30) {sha}", bytes.len())
        );
    }
}

#[test]
fn archives_past_4_gib_use_zip64() {
    let dir = common::tempdir();
    let big = 4_200_000_000u64;
    let zeros_crc = {
        // CRC of `big` zero bytes, computed in chunks.
        let mut h = crc32fast::Hasher::new();
        let chunk = vec![0u8; 1 << 20];
        let mut left = big;
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            h.update(&chunk[..n]);
            left -= n as u64;
        }
        h.finalize()
    };
    let tail = b"after four gigabytes".to_vec();
    let entries = vec![
        ZipEntry {
            name: "big.bin".into(),
            bytes: big,
            crc32: zeros_crc,
            modified: None,
        },
        ZipEntry {
            name: "tail.txt".into(),
            bytes: tail.len() as u64,
            crc32: digest(&tail[..], 4096).unwrap().crc32,
            modified: None,
        },
    ];
    let archive = dir.path().join("big.zip");
    write_archive(&archive, &entries, |i| (i == 1).then(|| tail.clone()));
    let out = python(
        "import sys, zipfile\n\
         z = zipfile.ZipFile(sys.argv[1])\n\
         print([(i.filename, i.file_size, i.header_offset) for i in z.infolist()])\n\
         print(z.read('tail.txt').decode())",
        &archive,
    );
    assert!(out.contains("('big.bin', 4200000000, 0)"), "{out}");
    assert!(out.contains("('tail.txt', 20, 42000000"), "{out}");
    assert!(out.contains("after four gigabytes"), "{out}");
}
