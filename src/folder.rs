//! A mounted card folder as a source: the same report shape as an image, with what the
//! operating system tells — no extents, no deleted entries, and no capacity unless the user
//! gives it. The walk itself belongs to the front end (`std::fs` in the CLI, the File System
//! Access API in the browser); this module turns what it found into a [`Report`].

use std::io::{Read, Seek};

use chrono::NaiveDateTime;

use crate::mp4;
use crate::report::{FileRecord, REPORT_FORMAT, Report, Source, SourceKind, Volume, is_video_name};
use crate::scan::apply_header;

/// One file found in the folder.
#[derive(Clone, Debug, PartialEq)]
pub struct FolderFile {
    /// "/"-separated path from the folder root.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Creation time as the OS reports it, if it does.
    pub created: Option<NaiveDateTime>,
    /// Modification time as the OS reports it.
    pub modified: Option<NaiveDateTime>,
}

/// The report for a folder, before any video header is read.
pub fn list_folder(name: &str, mut files: Vec<FolderFile>, capacity_bytes: Option<u64>) -> Report {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut warnings = vec![
        "opened as a folder: deleted recordings and exact free space are only visible in a card image"
            .to_string(),
    ];
    if capacity_bytes.is_none() {
        warnings.push(
            "card size unknown: give it to estimate when recordings are overwritten".to_string(),
        );
    }
    Report {
        report_format: REPORT_FORMAT,
        dashcard_version: env!("CARGO_PKG_VERSION").to_string(),
        source: Source {
            kind: SourceKind::Folder,
            name: name.to_string(),
            bytes: None,
        },
        partition_table: None,
        volume: Volume {
            capacity_bytes,
            ..Volume::default()
        },
        time_zone: "camera local time, no zone".to_string(),
        files: files
            .into_iter()
            .map(|f| FileRecord {
                path: f.path,
                bytes: f.bytes,
                created: f.created,
                modified: f.modified,
                deleted: false,
                recoverable: None,
                fragments: 0,
                duration_s: None,
                video: None,
                extents: Vec::new(),
                warnings: Vec::new(),
                ..FileRecord::default()
            })
            .collect(),
        warnings,
        drives: Vec::new(),
        parking: Vec::new(),
        family: None,
        estimate: None,
        totals: None,
    }
}

/// Reads the MP4 header of every video in a folder report; `open` opens a file by its path.
pub fn read_folder_durations<F: Read + Seek>(
    report: &mut Report,
    mut open: impl FnMut(&str) -> std::io::Result<F>,
    mut progress: impl FnMut(usize, usize),
) {
    let total = report
        .files
        .iter()
        .filter(|f| is_video_name(&f.path))
        .count();
    let mut done = 0;
    for file in report.files.iter_mut().filter(|f| is_video_name(&f.path)) {
        let header = match open(&file.path) {
            Ok(mut stream) => mp4::read_header(&mut stream, file.bytes),
            Err(e) => Err(mp4::Mp4Error::Io {
                message: e.to_string(),
            }),
        };
        apply_header(file, header);
        done += 1;
        progress(done, total);
    }
}
