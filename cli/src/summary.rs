//! The readable summary `dashcard report` prints, from the card as read, its catalog and its
//! estimate. Every text that comes from the card (names, the label, warnings that quote them)
//! is escaped for the terminal ([`crate::terminal::escape`]).

use std::fmt::Write;

use dashcard::catalog::Catalog;
use dashcard::estimate::{Estimate, format_hours, when_in_words};
use dashcard::listing::{ListedFile, Listing, SourceKind, is_video_name};
use dashcard::telemetry::{CardTelemetry, DriveTelemetry};

use crate::terminal::escape as shown;

/// Bytes as people read card sizes: decimal units, like the label on the card.
pub use dashcard::estimate::decimal_bytes as human_bytes;

/// Seconds as h:mm:ss.
pub fn human_duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn status(file: &ListedFile) -> &'static str {
    match (file.deleted, file.recoverable) {
        (false, _) => "",
        (true, Some(true)) => "deleted, recoverable",
        (true, _) => "deleted, lost",
    }
}

/// The summary, and with `list` every file.
pub fn render(
    listing: &Listing,
    catalog: &Catalog,
    estimate: &Estimate,
    telemetry: &CardTelemetry,
    list: bool,
) -> String {
    let mut out = String::new();
    let v = &listing.volume;
    match listing.source.kind {
        SourceKind::Image => {
            let _ = write!(
                out,
                "Card image {} ({})",
                shown(&listing.source.name),
                human_bytes(listing.source.bytes.unwrap_or(0))
            );
            if let Some(table) = &listing.partition_table {
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
                    .map(|l| format!(" \"{}\"", shown(l)))
                    .unwrap_or_default(),
                v.partition_offset.unwrap_or(0),
                v.cluster_bytes
                    .map(|c| human_bytes(c as u64))
                    .unwrap_or_else(|| "?".into()),
            );
        }
        SourceKind::Folder => {
            let _ = writeln!(out, "Card folder {}", shown(&listing.source.name));
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

    story(&mut out, catalog, estimate, telemetry, list);

    let duration = |i: usize| catalog.files.get(i).and_then(|c| c.duration_s);
    let live: Vec<(usize, &ListedFile)> = listing
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.deleted)
        .collect();
    let videos: Vec<usize> = live
        .iter()
        .filter(|(_, f)| is_video_name(&f.path))
        .map(|(i, _)| *i)
        .collect();
    let footage: f64 = videos.iter().filter_map(|&i| duration(i)).sum();
    let unreadable = videos.iter().filter(|&&i| duration(i).is_none()).count();
    let deleted: Vec<&ListedFile> = listing.files.iter().filter(|f| f.deleted).collect();
    let recoverable = deleted
        .iter()
        .filter(|f| f.recoverable == Some(true))
        .count();
    let _ = writeln!(
        out,
        "Files: {} ({}), of which {} videos with {} of footage{}",
        live.len(),
        human_bytes(live.iter().map(|(_, f)| f.bytes).sum()),
        videos.len(),
        human_duration(footage),
        if unreadable > 0 {
            format!(" ({unreadable} without a readable duration)")
        } else {
            String::new()
        }
    );
    if listing.source.kind == SourceKind::Image {
        let _ = writeln!(
            out,
            "Deleted entries: {} ({} recoverable, {} lost)",
            deleted.len(),
            recoverable,
            deleted.len() - recoverable
        );
    }
    if catalog.time_zone.utc_names {
        // The newer cameras' FAT times are in no known zone: the recordings' starts say when.
        let t = &catalog.totals;
        if let (Some(first), Some(last)) = (t.first_start, t.last_start) {
            let _ = writeln!(
                out,
                "Dates: {} to {} ({})",
                first.format("%Y-%m-%d %H:%M"),
                last.format("%Y-%m-%d %H:%M"),
                catalog.time_zone.label()
            );
        }
    } else {
        let times = live.iter().filter_map(|(_, f)| f.modified);
        if let (Some(first), Some(last)) = (times.clone().min(), times.max()) {
            let _ = writeln!(
                out,
                "Dates: {} to {} (camera local time)",
                first.format("%Y-%m-%d %H:%M"),
                last.format("%Y-%m-%d %H:%M")
            );
        }
    }
    let fragmented = live.iter().filter(|(_, f)| f.fragments > 1).count();
    if fragmented > 0 {
        let _ = writeln!(out, "Fragmented files: {fragmented}");
    }
    let file_warnings: usize = listing.files.iter().map(|f| f.warnings.len()).sum();
    if !listing.warnings.is_empty() || file_warnings > 0 {
        out.push_str("Warnings:\n");
        for w in &listing.warnings {
            let _ = writeln!(out, "  - {}", shown(w));
        }
        for f in listing.files.iter().filter(|f| !f.warnings.is_empty()) {
            for w in &f.warnings {
                let _ = writeln!(out, "  - {}: {}", shown(&f.path), shown(w));
            }
        }
    }
    if list {
        out.push('\n');
        for (i, f) in listing.files.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>10}  {}  {:>8}  {}{}",
                human_bytes(f.bytes),
                f.modified
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_else(|| "-".repeat(19)),
                duration(i).map(human_duration).unwrap_or_default(),
                shown(&f.path),
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

/// A drive's distance, top speed and impacts, when its clips have GPS fixes or motion logs.
fn drive_telemetry(t: &DriveTelemetry) -> String {
    let mut parts = Vec::new();
    if !t.track.is_empty() {
        parts.push(format!("{:.1} km", t.distance_km));
        if let Some(kmh) = t.max_speed_kmh {
            parts.push(format!("max {kmh:.0} km/h"));
        }
    }
    if !t.impacts.is_empty() {
        parts.push(format!("{} impact(s)", t.impacts.len()));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  [{}]", parts.join(", "))
    }
}

/// How many drives the summary shows without `--list` (the oldest, which go first).
const DRIVES_SHOWN: usize = 5;

/// The card told as a Nexar owner needs it: the model, the headline estimate, drives, parking
/// incidents, the sos folder, and where else the footage may be.
fn story(
    out: &mut String,
    catalog: &Catalog,
    estimate: &Estimate,
    telemetry: &CardTelemetry,
    list: bool,
) {
    let family = &catalog.family;
    let cameras = match (family.dual_camera, family.code.newer()) {
        (false, _) => "",
        (true, false) => " (road + cabin)",
        (true, true) => " (built-in + second camera)",
    };
    let _ = writeln!(out, "Camera: {}{cameras}", family.name);
    for e in &family.evidence {
        let _ = writeln!(out, "  - {}", shown(e));
    }
    if let Some(info) = &catalog.camera_info {
        let _ = writeln!(
            out,
            "  - serial {}, software {} ({})",
            info.serial.as_deref().unwrap_or("not written"),
            info.software.as_deref().unwrap_or("not written"),
            info.source
        );
    }
    let tz = &catalog.time_zone;
    if tz.utc_names {
        let _ = writeln!(out, "Times: {} ({})", tz.label(), tz.source);
    }
    // "17:30 (UTC−5)" on the newer cameras' cards; first-generation times as they are.
    let at = |t: chrono::NaiveDateTime, format: &str| {
        if tz.utc_names {
            tz.show(t, format)
        } else {
            t.format(format).to_string()
        }
    };
    let _ = writeln!(out, "\n{}", estimate.headline);
    let _ = writeln!(
        out,
        "Loop: {} ({})",
        if estimate.looping {
            "the card is looping, overwriting its oldest footage"
        } else {
            "not looping yet"
        },
        estimate.looping_evidence
    );
    if let Some(h) = estimate.capacity_hours {
        let _ = write!(out, "The card holds about {} of driving", format_hours(h));
        match (
            estimate.looping,
            estimate.hours_until_full,
            estimate.days_until_full,
        ) {
            (false, Some(h), Some(d)) => {
                let _ = writeln!(
                    out,
                    "; it fills after about {} more driving ({}).",
                    format_hours(h),
                    when_in_words(d)
                );
            }
            _ => out.push_str(".\n"),
        }
    }
    let inputs = &estimate.inputs;
    if let Some(r) = inputs.bytes_per_driving_hour.value {
        let _ = writeln!(
            out,
            "Rates: {} per driving hour ({})",
            human_bytes(r as u64),
            inputs.bytes_per_driving_hour.source
        );
    }
    if let Some(d) = inputs.driving_hours_per_day.value {
        let _ = writeln!(
            out,
            "       {d:.1} h of driving a day ({})",
            inputs.driving_hours_per_day.source
        );
    }

    let drives = &catalog.drives;
    if !drives.is_empty() {
        let total: f64 = drives.iter().map(|d| d.duration_s).sum();
        let _ = writeln!(
            out,
            "\nDrives: {}, {} of driving ({})",
            drives.len(),
            human_duration(total),
            if tz.utc_names {
                tz.label()
            } else {
                "camera local time".to_string()
            }
        );
        let shown = if list { drives.len() } else { DRIVES_SHOWN };
        for (i, (d, fate)) in drives.iter().zip(&estimate.drives).enumerate().take(shown) {
            let cameras: Vec<&str> = d.cameras.iter().map(|c| c.name()).collect();
            let _ = writeln!(
                out,
                "  {}-{}  {:>8}  {:<10}  {:>9}  {}{}{}",
                d.start.format("%Y-%m-%d %H:%M"),
                at(d.end, "%H:%M"),
                human_duration(d.duration_s),
                cameras.join("+"),
                human_bytes(d.bytes),
                fate.overwrite.describe(),
                if fate.partly_overwritten.is_some() {
                    "  [partly overwritten]"
                } else {
                    ""
                },
                telemetry
                    .drives
                    .get(i)
                    .map(drive_telemetry)
                    .unwrap_or_default()
            );
        }
        if drives.len() > shown {
            let _ = writeln!(out, "  … {} newer drives", drives.len() - shown);
        }
    }
    if !catalog.parking.is_empty() {
        let _ = writeln!(out, "\nParking incidents: {}", catalog.parking.len());
        for p in &catalog.parking {
            let Some(clip) = catalog.files.get(p.file) else {
                continue;
            };
            let followed = p
                .after_drive
                .and_then(|i| drives.get(i))
                .map(|d| format!("after the drive of {}", d.start.format("%b %-d %H:%M")))
                .unwrap_or_else(|| "no drive before it".to_string());
            let fate = estimate.files.get(p.file).copied().unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}  {:>4.0} s  {}  {}",
                clip.start
                    .map(|t| at(t, "%Y-%m-%d %H:%M:%S"))
                    .unwrap_or_else(|| "time unknown       ".to_string()),
                clip.duration_s.unwrap_or(0.0),
                followed,
                fate.describe()
            );
        }
    }
    if !catalog.events.is_empty() {
        let _ = writeln!(out, "\nSOS events: {}", catalog.events.len());
        for (n, e) in catalog.events.iter().enumerate() {
            let Some(clip) = catalog.files.get(e.file) else {
                continue;
            };
            let during = e
                .after_drive
                .and_then(|i| drives.get(i))
                .map(|d| {
                    let when = if clip.start.is_some_and(|t| t <= d.end) {
                        "during"
                    } else {
                        "after"
                    };
                    format!("{when} the drive of {}", at(d.start, "%b %-d %H:%M"))
                })
                .unwrap_or_else(|| "no drive before it".to_string());
            let impact = telemetry
                .event_impact(n)
                .and_then(|l| telemetry.drives.get(l.drive)?.impacts.get(l.impact))
                .map(|i| {
                    let local = i.at_utc.naive_utc()
                        + chrono::Duration::seconds(i64::from(
                            catalog.time_zone.utc_offset_s.unwrap_or(0),
                        ));
                    format!("  impact {:.2} g at {}", i.peak_g, local.format("%H:%M:%S"))
                })
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}  {:>4.0} s  {}  {}{}",
                clip.start
                    .map(|t| at(t, "%Y-%m-%d %H:%M:%S"))
                    .unwrap_or_else(|| "time unknown".to_string()),
                clip.duration_s.unwrap_or(0.0),
                clip.camera.map_or("", |c| c.name()),
                during,
                impact
            );
        }
    }
    let t = &catalog.totals;
    if t.locked_recordings > 0 {
        let _ = writeln!(
            out,
            "Locked recordings: {} (read-only: the camera never overwrites them)",
            t.locked_recordings
        );
    }
    if family.code.newer() {
        let kept = &estimate.inputs.kept_bytes;
        let _ = writeln!(
            out,
            "Kept apart: {} in the sos and photo folders ({}); the camera never cleans them, so they leave the loop less room as they grow.",
            human_bytes(kept.value.unwrap_or(0)),
            kept.source
        );
    }
    if t.encrypted_recordings > 0 {
        let _ = writeln!(
            out,
            "Encrypted by the camera: {} recording(s){}",
            t.encrypted_recordings,
            if t.encrypted_without_key > 0 {
                format!(
                    ", {} of which no key at hand opens (give the camera's key with --key; Nexar support has it)",
                    t.encrypted_without_key
                )
            } else {
                String::new()
            }
        );
    }
    if let Some(sos) = &estimate.sos {
        let _ = writeln!(
            out,
            "sos folder: {} clip(s), {} deleted; limit {} ({})",
            sos.clips,
            sos.deleted_clips,
            sos.limit_clips
                .value
                .map(|l| l.to_string())
                .unwrap_or_else(|| "unknown".into()),
            sos.limit_clips.source
        );
    }
    out.push_str("\nWhere else this footage may be:\n");
    for line in &family.footage_elsewhere {
        let _ = writeln!(out, "  - {line}");
    }
    out.push('\n');
}
