//! Taking the report out: the same JSON document as `dashcard report --json`, and a CSV of the
//! recordings for a spreadsheet.

use dashcard::catalog::classify::{Camera, FileKind, Pool};
use dashcard::report::Report;
use web_sys::{Blob, BlobPropertyBag, Url};

use crate::player::click_download;

/// Offers `text` for download as `name`.
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| crate::worker_client::describe(&e))?;
    let url =
        Url::create_object_url_with_blob(&blob).map_err(|e| crate::worker_client::describe(&e))?;
    click_download(&url, name);
    leptos::prelude::set_timeout(
        move || {
            let _ = Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}

/// A file name for an export of `report`: "<card>-dashcard.<ext>".
pub fn export_name(report: &Report, ext: &str) -> String {
    let stem: String = report
        .source
        .name
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

/// The report exactly as `dashcard report --json` prints it.
pub fn report_json(report: &Report) -> String {
    report.to_json() + "\n"
}

/// One row per recording (live and deleted): what it is, when, how long, its fate.
pub fn recordings_csv(report: &Report) -> Result<String, String> {
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
    ])
    .map_err(err)?;
    let opt = |v: Option<String>| v.unwrap_or_default();
    for f in report.files.iter().filter(|f| f.kind != FileKind::Other) {
        out.write_record([
            f.path.clone(),
            match f.kind {
                FileKind::Drive => "drive",
                FileKind::Parking => "parking",
                FileKind::Other => "other",
            }
            .to_string(),
            opt(f
                .camera
                .map(|c| if c == Camera::Road { "road" } else { "cabin" }.to_string())),
            opt(f
                .pool
                .map(|p| if p == Pool::Loop { "loop" } else { "sos" }.to_string())),
            opt(f.start.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())),
            opt(f
                .start_source
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_string))),
            opt(f.duration_s.map(|d| d.to_string())),
            f.bytes.to_string(),
            f.deleted.to_string(),
            opt(f.recoverable.map(|r| r.to_string())),
            opt(f.drive.map(|d| d.to_string())),
            opt(f.overwrite_after_hours.map(|h| format!("{h:.3}"))),
            opt(f.overwrite_after_days.map(|d| format!("{d:.3}"))),
            opt(f.overwrite_after_events.map(|n| n.to_string())),
        ])
        .map_err(err)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| format!("cannot write the CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("cannot write the CSV: {e}"))
}
