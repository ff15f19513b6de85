//! Taking the report out: the same JSON document as `dashcard report --json` (assembled by the
//! core's `Report::assemble` from what the page shows), and a CSV of the recordings for a
//! spreadsheet.

use dashcard::catalog::classify::FileKind;
use dashcard::catalog::time_zone::TimeZone;
use dashcard::report::Report;
use web_sys::{Blob, BlobPropertyBag};

use crate::card::Shown;
use crate::player::download;

/// Offers `text` for download as `name`.
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| crate::worker_client::describe(&e))?;
    download(&blob, name)
}

/// A file name for an export of the card called `card`: "<card>-dashcard.<ext>".
pub fn export_name(card: &str, ext: &str) -> String {
    let stem: String = card
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{stem}-dashcard.{ext}")
}

/// The report exactly as `dashcard report --json` prints it (with the same what-if inputs).
pub fn report_json(shown: &Shown) -> String {
    Report::assemble(
        &shown.listing,
        &shown.catalog,
        &shown.estimate,
        &shown.telemetry,
    )
    .to_json()
        + "\n"
}

/// Downloads the report as JSON.
pub fn download_report(shown: &Shown) -> Result<(), String> {
    download_text(
        &export_name(&shown.listing.source.name, "json"),
        "application/json",
        &report_json(shown),
    )
}

/// Downloads the recordings as CSV.
pub fn download_recordings(shown: &Shown) -> Result<(), String> {
    download_text(
        &export_name(&shown.listing.source.name, "csv"),
        "text/csv",
        &recordings_csv(shown)?,
    )
}

/// A local time as ISO 8601, with the camera's offset where the card knows it
/// ("2024-10-12T17:30:00-05:00"), else as the camera wrote it (no zone).
fn local_iso(tz: &TimeZone, t: chrono::NaiveDateTime) -> String {
    let local = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    match tz.utc_offset_s {
        Some(s) => {
            let sign = if s < 0 { '-' } else { '+' };
            let m = s.unsigned_abs() / 60;
            format!("{local}{sign}{:02}:{:02}", m / 60, m % 60)
        }
        None if tz.utc_names => format!("{local}Z"),
        None => local,
    }
}

/// One row per recording or photo (live and deleted): what it is, when, how long, its fate.
pub fn recordings_csv(shown: &Shown) -> Result<String, String> {
    let tz = &shown.catalog.time_zone;
    let mut out = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| format!("cannot write the CSV: {e}");
    out.write_record([
        "path",
        "kind",
        "camera",
        "pool",
        "start",
        "start_source",
        "duration_s",
        "bytes",
        "deleted",
        "recoverable",
        "drive",
        "overwrite_after_hours",
        "overwrite_after_days",
        "overwrite_after_events",
        "start_utc",
        "read_only",
        "encrypted",
        "protected",
    ])
    .map_err(err)?;
    let opt = |v: Option<String>| v.unwrap_or_default();
    for i in 0..shown.listing.files.len() {
        let Some((l, f, fate)) = shown.file(i) else {
            continue;
        };
        if matches!(f.kind, FileKind::Other | FileKind::Sidecar) {
            continue;
        }
        let name =
            |v: Option<serde_json::Value>| opt(v.and_then(|v| v.as_str().map(str::to_string)));
        out.write_record([
            l.path.clone(),
            name(serde_json::to_value(f.kind).ok()),
            name(f.camera.and_then(|c| serde_json::to_value(c).ok())),
            name(f.pool.and_then(|p| serde_json::to_value(p).ok())),
            opt(f.start.map(|t| local_iso(tz, t))),
            opt(f
                .start_source
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_string))),
            opt(f.duration_s.map(|d| d.to_string())),
            l.bytes.to_string(),
            l.deleted.to_string(),
            opt(l.recoverable.map(|r| r.to_string())),
            opt(f.drive.map(|d| d.to_string())),
            opt(fate.after_hours().map(|h| format!("{h:.3}"))),
            opt(fate.after_days().map(|d| format!("{d:.3}"))),
            opt(fate.after_events().map(|n| n.to_string())),
            opt(f.start_utc.map(dashcard::telemetry::utc::format)),
            l.read_only.to_string(),
            f.encrypted.is_some().to_string(),
            name(fate.protection().and_then(|p| serde_json::to_value(p).ok())),
        ])
        .map_err(err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| format!("cannot write the CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write the CSV: {e}"))
}
