//! The readable summary `dashcard report` prints.

use std::fmt::Write;

use dashcard::report::{FileRecord, Report, SourceKind, is_video_name};

/// Bytes as people read card sizes: decimal units, like the label on the card.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Seconds as h:mm:ss.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn status(file: &FileRecord) -> &'static str {
    match (file.deleted, file.recoverable) {
        (false, _) => "",
        (true, Some(true)) => "deleted, recoverable",
        (true, _) => "deleted, lost",
    }
}

/// The summary, and with `list` every file.
pub fn render(report: &Report, list: bool) -> String {
    let mut out = String::new();
    let v = &report.volume;
    match report.source.kind {
        SourceKind::Image => {
            let _ = write!(
                out,
                "Card image {} ({})",
                report.source.name,
                human_bytes(report.source.bytes.unwrap_or(0))
            );
            if let Some(table) = &report.partition_table {
                match table.scheme.as_str() {
                    "none" => out.push_str(", no partition table (bare volume)"),
                    scheme => {
                        let _ = write!(
                            out,
                            ", {scheme} with {} partition(s)",
                            table.partitions.len()
                        );
                    }
                }
            }
            out.push('\n');
            let _ = writeln!(
                out,
                "Volume: {}{}, at byte {}, {} clusters",
                v.filesystem.as_deref().unwrap_or("?"),
                v.label
                    .as_deref()
                    .map(|l| format!(" \"{l}\""))
                    .unwrap_or_default(),
                v.partition_offset.unwrap_or(0),
                v.cluster_bytes
                    .map(|c| human_bytes(c as u64))
                    .unwrap_or_else(|| "?".into()),
            );
        }
        SourceKind::Folder => {
            let _ = writeln!(out, "Card folder {}", report.source.name);
        }
    }
    match (v.capacity_bytes, v.free_bytes) {
        (Some(cap), Some(free)) => {
            let _ = writeln!(
                out,
                "Capacity {}, free {} ({:.1} %)",
                human_bytes(cap),
                human_bytes(free),
                free as f64 * 100.0 / cap.max(1) as f64
            );
        }
        (Some(cap), None) => {
            let _ = writeln!(out, "Capacity {} (given)", human_bytes(cap));
        }
        _ => out.push_str("Capacity unknown (give --capacity for a folder)\n"),
    }

    let live: Vec<&FileRecord> = report.live_files().collect();
    let videos: Vec<&&FileRecord> = live.iter().filter(|f| is_video_name(&f.path)).collect();
    let footage: f64 = videos.iter().filter_map(|f| f.duration_s).sum();
    let unreadable = videos.iter().filter(|f| f.duration_s.is_none()).count();
    let deleted: Vec<&FileRecord> = report.files.iter().filter(|f| f.deleted).collect();
    let recoverable = deleted
        .iter()
        .filter(|f| f.recoverable == Some(true))
        .count();
    let _ = writeln!(
        out,
        "Files: {} ({}), of which {} videos with {} of footage{}",
        live.len(),
        human_bytes(live.iter().map(|f| f.bytes).sum()),
        videos.len(),
        human_duration(footage),
        if unreadable > 0 {
            format!(" ({unreadable} without a readable duration)")
        } else {
            String::new()
        }
    );
    if report.source.kind == SourceKind::Image {
        let _ = writeln!(
            out,
            "Deleted entries: {} ({} recoverable, {} lost)",
            deleted.len(),
            recoverable,
            deleted.len() - recoverable
        );
    }
    let times = live.iter().filter_map(|f| f.modified);
    if let (Some(first), Some(last)) = (times.clone().min(), times.max()) {
        let _ = writeln!(
            out,
            "Dates: {} to {} (camera local time)",
            first.format("%Y-%m-%d %H:%M"),
            last.format("%Y-%m-%d %H:%M")
        );
    }
    let fragmented = live.iter().filter(|f| f.fragments > 1).count();
    if fragmented > 0 {
        let _ = writeln!(out, "Fragmented files: {fragmented}");
    }
    let file_warnings: usize = report.files.iter().map(|f| f.warnings.len()).sum();
    if !report.warnings.is_empty() || file_warnings > 0 {
        out.push_str("Warnings:\n");
        for w in &report.warnings {
            let _ = writeln!(out, "  - {w}");
        }
        for f in report.files.iter().filter(|f| !f.warnings.is_empty()) {
            for w in &f.warnings {
                let _ = writeln!(out, "  - {}: {w}", f.path);
            }
        }
    }
    if list {
        out.push('\n');
        for f in &report.files {
            let _ = writeln!(
                out,
                "{:>10}  {}  {:>8}  {}{}",
                human_bytes(f.bytes),
                f.modified
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "-".repeat(19)),
                f.duration_s.map(human_duration).unwrap_or_default(),
                f.path,
                match status(f) {
                    "" => String::new(),
                    s => format!("  [{s}]"),
                }
            );
        }
    } else {
        out.push_str("(--list shows every file, --json the full report)\n");
    }
    out
}
