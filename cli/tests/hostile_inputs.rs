//! The CLI on hostile and odd inputs (issue 14): paths that are not files or folders, and cards
//! whose names would drive the terminal, are blank, or collide.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn dashcard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dashcard"))
        .args(args)
        .output()
        .expect("run dashcard")
}

/// Runs dashcard, killing it (and failing) if it has not finished within `limit`.
fn dashcard_within(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dashcard"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dashcard");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dashcard {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn patch(image: &Path, offset: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(image).unwrap();
    f.seek(SeekFrom::Start(offset)).unwrap();
    f.write_all(bytes).unwrap();
}

/// Byte offset of the 8.3 entry whose stored name is `name11`.
fn slot_of(image: &Path, name11: &[u8]) -> u64 {
    let data = std::fs::read(image).unwrap();
    data.chunks(32)
        .position(|e| e.len() == 32 && &e[..11] == name11 && e[11] != 0x0F)
        .map(|i| i as u64 * 32)
        .unwrap_or_else(|| panic!("no entry {}", String::from_utf8_lossy(name11)))
}

/// Where unit `k` of a long-name slot lies within it.
const LFN_UNIT_AT: [u64; 13] = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30];

/// Overwrites units of the first part of the long name just before the 8.3 entry at `slot`.
fn set_units(image: &Path, slot: u64, from: usize, units: &[u16]) {
    for (i, u) in units.iter().enumerate() {
        patch(image, slot - 32 + LFN_UNIT_AT[from + i], &u.to_le_bytes());
    }
}

/// A named pipe, a socket and a character device are refused at once with exit code 2 and a
/// message saying what they are — `report` and `cat` alike, never blocking in `open`.
#[test]
fn a_fifo_socket_or_character_device_is_refused_promptly() {
    let dir = tempdir();
    let fifo = dir.path().join("card.img");
    run(Command::new("mkfifo").arg(&fifo));
    let socket = dir.path().join("card.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket");
    for (path, words) in [
        (fifo.as_path(), "is a named pipe (FIFO)"),
        (socket.as_path(), "is a socket"),
        (Path::new("/dev/null"), "is a character device"),
    ] {
        let p = path.to_str().unwrap();
        for args in [
            vec!["report", p],
            vec!["report", "--json", p],
            vec!["cat", p, "a.mp4"],
        ] {
            let out = dashcard_within(&args, Duration::from_secs(10));
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(words), "{args:?}: {err}");
            assert!(err.contains("not a card image or a card folder"), "{err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
            assert!(out.stdout.is_empty());
        }
    }
}

/// A card whose long names hold an ESC sequence, a CR, an LF and a C1 control: the summary,
/// `--list`, the warnings that quote a name and error messages print them escaped, so nothing
/// reaches the terminal raw; JSON escapes them itself; `cat` still finds the file by its name.
#[test]
fn control_characters_in_names_are_escaped_in_human_output() {
    let dir = tempdir();
    let image = dir.path().join("card.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    mmd(&image, 0, "Nexar");
    let names = [
        ("escape-sequence.bin", b"ESCAPE~1BIN"),
        ("carriage-return.bin", b"CARRIA~1BIN"),
        ("line-feed-name.bin", b"LINE-F~1BIN"),
        ("c1-control-nm.bin", b"C1-CON~1BIN"),
    ];
    for (i, (n, _)) in names.iter().enumerate() {
        let src = host_file(dir.path(), n, 1000 + i, i as u8);
        mcopy(&image, 0, &src, &format!("Nexar/{n}"));
    }
    let slots: Vec<u64> = names.iter().map(|(_, s)| slot_of(&image, *s)).collect();
    set_units(
        &image,
        slots[0],
        3,
        &[0x1B, b'[' as u16, b'2' as u16, b'J' as u16],
    );
    set_units(&image, slots[1], 3, &[0x0D]);
    set_units(&image, slots[2], 3, &[0x0A]);
    set_units(&image, slots[3], 3, &[0x9B]);
    // The LF file also gets a warning that quotes its path: a size its chain cannot hold.
    patch(&image, slots[2] + 28, &100_000u32.to_le_bytes());
    let esc = "Nexar/esc\u{1b}[2Jsequence.bin";

    let img = image.to_str().unwrap();
    for args in [vec!["report", img], vec!["report", "--list", img]] {
        let out = dashcard(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            !text.contains(['\u{1b}', '\r', '\u{9b}']),
            "raw control characters in {args:?}"
        );
        assert!(text.contains("Nexar/lin\\x0a-feed-name.bin: "), "{text}");
        if args.len() == 3 {
            for shown in [
                "Nexar/esc\\x1b[2Jsequence.bin",
                "Nexar/car\\x0diage-return.bin",
                "Nexar/c1-\\u{9b}ontrol-nm.bin",
            ] {
                assert_eq!(
                    text.lines().filter(|l| l.ends_with(shown)).count(),
                    1,
                    "{shown} on a line of its own: {text}"
                );
            }
            // One line per file: an LF in a name does not forge a line.
            assert_eq!(
                text.lines()
                    .filter(|l| l.contains("Nexar/") && !l.contains(": "))
                    .count(),
                4,
                "{text}"
            );
        }
    }
    let json = dashcard(&["report", "--json", img]);
    let text = String::from_utf8(json.stdout).unwrap();
    assert!(
        text.contains("esc\\u001b[2Jsequence.bin"),
        "JSON escapes it"
    );
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == esc)
    );

    let cat = dashcard(&["cat", img, esc]);
    assert!(cat.status.success());
    assert_eq!(
        cat.stdout,
        std::fs::read(dir.path().join(names[0].0)).unwrap()
    );
    let missing = dashcard(&["cat", img, "Nexar/nope\u{1b}[31m\r.bin"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8(missing.stderr).unwrap();
    assert!(!err.contains(['\u{1b}', '\r']), "{err:?}");
    assert!(
        err.contains("Nexar/nope\\x1b[31m\\x0d.bin: no such file"),
        "{err}"
    );
}

/// A file whose 8.3 name is all spaces is listed as "\x20", which `cat` reads; `cat IMG /`
/// (or an empty path) finds nothing instead of that file.
#[test]
fn a_blank_name_is_a_visible_placeholder_and_the_root_is_not_a_file() {
    let dir = tempdir();
    let image = dir.path().join("card.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    let src = host_file(dir.path(), "BLANK.TXT", 777, 3);
    mcopy(&image, 0, &src, "BLANK.TXT");
    patch(&image, slot_of(&image, b"BLANK   TXT"), b"           ");
    let img = image.to_str().unwrap();
    for path in ["/", ""] {
        let out = dashcard(&["cat", img, path]);
        assert_eq!(out.status.code(), Some(2), "{path:?}");
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    }
    let out = dashcard(&["cat", img, "\\x20"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, std::fs::read(&src).unwrap());
    let list = String::from_utf8(dashcard(&["report", "--list", img]).stdout).unwrap();
    assert!(list.contains("\\x20: its 8.3 name is blank"), "{list}");
}

/// Two files whose 8.3 names collide (long names differ, checksums consistent, as another OS
/// could write them): `cat` by each long name returns that file's own bytes.
#[test]
fn cat_returns_each_file_whose_short_name_collides_with_another() {
    let dir = tempdir();
    let image = dir.path().join("card.img");
    mkfs_fat(&image, &Mkfs::new(16, 16 * 1024).cluster_sectors(1));
    let first = host_file(dir.path(), "first", 3000, 11);
    let second = host_file(dir.path(), "second", 5000, 22);
    mcopy(&image, 0, &first, "20241012_075700_1.mp4");
    mcopy(&image, 0, &second, "20241012_075800_1.mp4");
    let shared = *b"202410~1MP4";
    let at = slot_of(&image, b"202410~2MP4");
    patch(&image, at, &shared);
    let sum = dashcard::fat::dir_entry::checksum(&shared);
    let mut lfn = at - 32;
    let data = std::fs::read(&image).unwrap();
    while data[lfn as usize + 11] == 0x0F {
        patch(&image, lfn + 13, &[sum]);
        lfn -= 32;
    }
    let img = image.to_str().unwrap();
    for (path, source) in [
        ("20241012_075700_1.mp4", &first),
        ("20241012_075800_1.mp4", &second),
    ] {
        let out = dashcard(&["cat", img, path]);
        assert!(out.status.success(), "{path}");
        assert_eq!(out.stdout, std::fs::read(source).unwrap(), "{path}");
    }
}
