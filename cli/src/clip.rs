//! `dashcard clip`: a time range of one camera as one MP4 file, with the card read-only (the
//! output is written elsewhere, never over an existing file unless asked).

use std::cell::RefCell;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use dashcard::block_reader::BlockReader;
use dashcard::catalog::classify::Camera;
use dashcard::clip_header::Keys;
use dashcard::export::clip_source::SharedClip;
use dashcard::export::range_export::{RangeExport, RangeSource, write_range};
use dashcard::export::time_range::{parse_local, select, select_around};
use dashcard::listing::Listing;
use dashcard::remux::TimeRange;

use crate::{Failure, folder_walk, input, read_card};

/// What to export.
pub struct Request<'a> {
    pub image: &'a Path,
    pub from: &'a str,
    pub to: &'a str,
    pub camera: Camera,
    /// Around this recording (its path on the card) instead of `camera`'s drives.
    pub file: Option<&'a str>,
    pub out: &'a Path,
    pub force: bool,
    pub keys: &'a Keys,
}

/// Block size and cache of the reader the segments share: the remuxer reads its index in
/// small pieces and copies media in 256 KiB slices.
const BLOCK_BYTES: usize = 64 * 1024;
const CACHE_BYTES: usize = 1024 * 1024;

pub fn run(r: &Request) -> Result<(), Failure> {
    if r.out.exists() && !r.force {
        return Err(Failure::input(format!(
            "{} exists; add --force to replace it",
            r.out.display()
        )));
    }
    if r.image.is_dir() && inside(r.out, r.image) {
        return Err(Failure::input(format!(
            "{} is inside the card folder; Dashcard never writes to a card: choose another place",
            r.out.display()
        )));
    }
    let (listing, _) = read_card(r.image, None, r.keys)?;
    let catalog = dashcard::catalog::build(&listing);
    let zone = &catalog.time_zone;
    let start = parse_local(r.from, zone).map_err(Failure::input)?;
    let end = parse_local(r.to, zone).map_err(Failure::input)?;
    let range = TimeRange { start, end };
    let chosen = match r.file {
        None => select(&listing, &catalog, r.camera, range),
        Some(path) => {
            let wanted = path.trim_start_matches('/');
            let index = listing
                .files
                .iter()
                .position(|f| !f.deleted && f.path.trim_start_matches('/') == wanted)
                .or_else(|| {
                    listing
                        .files
                        .iter()
                        .position(|f| f.path.trim_start_matches('/') == wanted)
                })
                .ok_or_else(|| Failure::input(format!("{path} is not on this card")))?;
            select_around(&listing, &catalog, index, range)
        }
    }
    .map_err(|e| Failure::input(e.to_string()))?;
    let export = match input::open(r.image).map_err(Failure::input)? {
        input::Input::Folder(root) => {
            let mut sources = Vec::new();
            for seg in &chosen {
                let file = listed(&listing, seg.file)?;
                let host = folder_walk::resolve(&root, &file.path).map_err(Failure::input)?;
                let source = input::open_nonblocking(&host)
                    .map_err(|e| Failure::input(format!("cannot open {}: {e}", host.display())))?;
                sources.push(RangeSource {
                    segment: *seg,
                    path: file.path.clone(),
                    source,
                    bytes: file.bytes,
                });
            }
            write(sources, range, r)?
        }
        input::Input::Image(file) => {
            let reader = RefCell::new(
                BlockReader::with_cache(file, BLOCK_BYTES, CACHE_BYTES).map_err(|e| {
                    Failure::input(format!("cannot read {}: {e}", r.image.display()))
                })?,
            );
            let mut sources = Vec::new();
            for seg in &chosen {
                let file = listed(&listing, seg.file)?;
                sources.push(RangeSource {
                    segment: *seg,
                    path: file.path.clone(),
                    source: SharedClip::new(
                        &reader,
                        &file.extents,
                        file.written_bytes(),
                        file.bytes,
                    ),
                    bytes: file.bytes,
                });
            }
            write(sources, range, r)?
        }
    };
    print_summary(&export, r, &catalog);
    Ok(())
}

fn listed(listing: &Listing, i: usize) -> Result<&dashcard::listing::ListedFile, Failure> {
    listing
        .files
        .get(i)
        .ok_or_else(|| Failure::other("the catalog names a file the listing lacks"))
}

/// Whether `path` (which may not exist yet) lies inside the folder `dir`.
fn inside(path: &Path, dir: &Path) -> bool {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (parent.canonicalize(), dir.canonicalize()) {
        (Ok(p), Ok(d)) => p.starts_with(d),
        _ => false,
    }
}

fn write<R: std::io::Read + std::io::Seek>(
    sources: Vec<RangeSource<R>>,
    range: TimeRange,
    r: &Request,
) -> Result<RangeExport, Failure> {
    let created = std::cell::Cell::new(false);
    let open = |_bytes: u64| {
        created.set(true);
        File::create(r.out)
            .map(BufWriter::new)
            .map_err(|e| format!("cannot create {}: {e}", r.out.display()))
    };
    match write_range(sources, range, r.keys, open, |_| {}) {
        Ok((export, out)) => {
            out.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|f| f.sync_all())
                .map_err(|e| Failure::other(format!("cannot write {}: {e}", r.out.display())))?;
            Ok(export)
        }
        Err(message) => {
            // A half-written file is no export: take it away (it is this run's own).
            if created.get() {
                let _ = std::fs::remove_file(r.out);
            }
            Err(Failure::input(message))
        }
    }
}

fn print_summary(e: &RangeExport, r: &Request, catalog: &dashcard::catalog::Catalog) {
    let show = |t| catalog.show_time(t, "%Y-%m-%d %H:%M:%S%.3f");
    let s = &e.summary;
    // Around a recording (--file), the camera is that recording's.
    let camera = e
        .files
        .first()
        .and_then(|&i| catalog.files.get(i))
        .and_then(|f| f.camera)
        .unwrap_or(r.camera);
    println!(
        "{}: {} camera, {} to {} ({:.2} s, {} frames), {} bytes",
        r.out.display(),
        camera.name(),
        show(s.start),
        show(s.end),
        s.duration_s,
        s.video_frames,
        e.digest.bytes
    );
    println!(
        "asked for {} to {}; starts at the keyframe at or before the start",
        show(e.range.start),
        show(e.range.end)
    );
    println!(
        "from {}{}",
        e.sources.join(", "),
        if e.decrypted { " (decrypted)" } else { "" }
    );
    for note in &s.notes {
        println!("note: {note}");
    }
    println!("SHA-256 {}", e.digest.sha256);
}
