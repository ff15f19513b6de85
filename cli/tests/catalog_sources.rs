//! The same card read as an image and as a mounted folder gives the same catalog: a FAT volume
//! written by mtools with real ffmpeg clips, then copied out of the image by mtools into a
//! folder, both read by the `dashcard` CLI.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

use common::*;
use serde_json::Value;

fn report(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_dashcard"))
        .args(args)
        .output()
        .expect("run dashcard");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// Per-file catalog fields that do not depend on how the card was opened.
const CATALOG_FIELDS: &[&str] = &[
    "bytes",
    "kind",
    "camera",
    "pool",
    "start",
    "start_source",
    "duration_s",
    "duration_source",
    "drive",
];

#[test]
fn an_image_and_its_folder_give_the_same_catalog() {
    let dir = tempdir();
    let d = dir.path();
    let volume = d.join("card.img");
    mkfs_fat(&volume, &Mkfs::new(32, 80 * 1024).label("NEXAR"));
    mmd(&volume, 0, "Nexar");
    mmd(&volume, 0, "Nexar/Movie");
    mmd(&volume, 0, "sos");
    // Drive 1: two minutes... of two seconds each, road and cabin; drive 2 later that day.
    let clips = [
        ("Nexar/Movie", "20241012_075700_1.mp4", 2.0),
        ("Nexar/Movie", "20241012_075700_2.mp4", 2.0),
        ("Nexar/Movie", "20241012_075702_1.mp4", 2.0),
        ("Nexar/Movie", "20241012_075702_2.mp4", 1.0),
        ("Nexar/Movie", "20241012_093000_U.mp4", 2.0),
        ("Nexar/Movie", "20241012_173000_1.mp4", 1.0),
        // No stamp in the name: the start comes from the MP4 header.
        ("Nexar/Movie", "CLIP0001A.mp4", 1.0),
        ("sos", "20241012_120000_U.mp4", 1.0),
    ];
    for (folder, name, seconds) in clips {
        let clip = ffmpeg_clip(d, name, seconds, false);
        mcopy(&volume, 0, &clip, &format!("{folder}/{name}"));
    }
    mcopy(&volume, 0, &host_file(d, "LOG.TXT", 300, 3), "LOG.TXT");

    let folder = d.join("mounted");
    std::fs::create_dir(&folder).expect("folder");
    run(Command::new("mcopy")
        .args(["-s", "-n", "-i"])
        .arg(&volume)
        .arg("::*")
        .arg(&folder));

    let image = report(&["report", "--json", volume.to_str().unwrap()]);
    let capacity = image["volume"]["capacity_bytes"]
        .as_u64()
        .unwrap()
        .to_string();
    let mounted = report(&[
        "report",
        "--json",
        "--capacity",
        &capacity,
        folder.to_str().unwrap(),
    ]);

    let files = |r: &Value| -> Vec<Value> {
        let mut v: Vec<Value> = r["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["deleted"] == false)
            .cloned()
            .collect();
        v.sort_by_key(|f| f["path"].as_str().unwrap().to_string());
        v
    };
    let (a, b) = (files(&image), files(&mounted));
    assert_eq!(a.len(), 9);
    assert_eq!(
        a.iter().map(|f| &f["path"]).collect::<Vec<_>>(),
        b.iter().map(|f| &f["path"]).collect::<Vec<_>>()
    );
    for (x, y) in a.iter().zip(&b) {
        for field in CATALOG_FIELDS {
            assert_eq!(x[field], y[field], "{} {field}", x["path"]);
        }
    }

    // What the catalog says, checked once on the image.
    let by_path = |p: &str| a.iter().find(|f| f["path"] == p).unwrap().clone();
    let road = by_path("Nexar/Movie/20241012_075700_1.mp4");
    assert_eq!(road["kind"], "drive");
    assert_eq!(road["camera"], "road");
    assert_eq!(road["pool"], "loop");
    assert_eq!(road["start"], "2024-10-12T07:57:00");
    assert_eq!(road["start_source"], "file_name");
    assert_eq!(road["duration_source"], "mvhd");
    let stampless = by_path("Nexar/Movie/CLIP0001A.mp4");
    assert_eq!(stampless["camera"], "road");
    assert_eq!(stampless["start_source"], "mp4_header");
    assert_eq!(stampless["start"], "2024-10-12T07:57:00");
    assert_eq!(by_path("sos/20241012_120000_U.mp4")["pool"], "sos");
    assert_eq!(by_path("LOG.TXT")["kind"], "other");
    assert_eq!(by_path("LOG.TXT")["start"], Value::Null);

    // Drives: the stamp-less road clip starts with the first drive and joins it.
    for r in [&image, &mounted] {
        let drives = r["drives"].as_array().unwrap();
        assert_eq!(drives.len(), 2, "{drives:?}");
        assert_eq!(drives[0]["start"], "2024-10-12T07:57:00");
        assert_eq!(drives[0]["end"], "2024-10-12T07:57:04");
        assert_eq!(drives[0]["segments"], 5);
        assert_eq!(drives[0]["cameras"], serde_json::json!(["road", "cabin"]));
        assert_eq!(drives[1]["start"], "2024-10-12T17:30:00");
        let parking = r["parking"].as_array().unwrap();
        assert_eq!(parking.len(), 2);
        assert_eq!(parking[0]["path"], "Nexar/Movie/20241012_093000_U.mp4");
        assert_eq!(parking[0]["after_drive"], 0);
        assert_eq!(parking[1]["pool"], "sos");
        assert_eq!(r["family"]["code"], "nexc1");
        assert!(r["family"]["evidence"][0].as_str().unwrap().contains("sos"));
    }
    assert_eq!(
        without_overwrite(&image["drives"]),
        without_overwrite(&mounted["drives"])
    );
}

/// Drives without their overwrite figures, which depend on the free space (a folder only
/// estimates it); everything else about a drive must match exactly.
fn without_overwrite(drives: &Value) -> Value {
    let mut drives = drives.clone();
    for d in drives.as_array_mut().into_iter().flatten() {
        if let Some(o) = d.as_object_mut() {
            o.retain(|k, _| !k.starts_with("overwrite_after"));
        }
    }
    drives
}
