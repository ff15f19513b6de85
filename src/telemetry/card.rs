//! The card's telemetry: every clip's sidecar logs summarised, and every drive's track, distance,
//! top speed and impacts. The stage after the catalog (it needs the drives and which sidecar
//! belongs to which clip) and before the report; its only input beyond those is a function that
//! reads a file's bytes, so the CLI, the page's worker and the tests share it.
//!
//! Sidecars are read one at a time and dropped once folded in: a drive keeps its fixes (one a
//! second) and each second's strongest jolt, never the 50 Hz samples. The two cameras of a
//! newer card write identical logs beside their clips, so a drive takes each moment's logs
//! once (the road camera's where both have them); every clip still gets its own summary.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::clip::{ClipSummary, summarize_clip};
use super::drive::{DriveBuilder, DriveOptions, DriveTelemetry};
use super::gnss::parse_gnss;
use super::imu::parse_imu;
use crate::catalog::Catalog;
use crate::catalog::classify::Camera;
use crate::listing::Listing;

/// Most bytes read of one sidecar. A 5-minute segment's motion log is about 1 MB; a larger
/// file is damaged or not the camera's, and only its first 16 MiB are read.
pub const MAX_SIDECAR_BYTES: u64 = 16 * 1024 * 1024;

/// One clip's summary, by its index in the listing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClipTelemetry {
    /// The clip's index in the listing.
    pub file: usize,
    /// What its logs hold.
    pub summary: ClipSummary,
}

/// An SOS event and the impact inside its time window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventImpact {
    /// Index in the catalog's events.
    pub event: usize,
    /// Index in the catalog's drives.
    pub drive: usize,
    /// Index in that drive's impacts.
    pub impact: usize,
}

/// The card's telemetry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CardTelemetry {
    /// Clips with a `.gnss` or `.imu` sidecar, in listing order.
    pub clips: Vec<ClipTelemetry>,
    /// One per catalog drive, in its order (empty when the card has no sidecars at all).
    pub drives: Vec<DriveTelemetry>,
    /// SOS events with an impact in their window.
    pub event_impacts: Vec<EventImpact>,
    /// Sidecars that could not be read, in words.
    pub warnings: Vec<String>,
}

impl CardTelemetry {
    /// The summary of the clip at listing index `file`, if it has sidecars.
    pub fn clip(&self, file: usize) -> Option<&ClipSummary> {
        self.clips
            .binary_search_by_key(&file, |c| c.file)
            .ok()
            .and_then(|i| self.clips.get(i))
            .map(|c| &c.summary)
    }

    /// The impact linked to event `event` (index in the catalog's events).
    pub fn event_impact(&self, event: usize) -> Option<&EventImpact> {
        self.event_impacts.iter().find(|e| e.event == event)
    }
}

/// Which of a clip's sidecars a file is, by its folder and extension.
fn sidecar_kind(path: &str) -> Option<bool> {
    let (folder, name) = path.rsplit_once('/')?;
    let parent = folder.rsplit('/').next()?;
    let ext = name.rsplit_once('.')?.1;
    if parent.eq_ignore_ascii_case(".gnss") && ext.eq_ignore_ascii_case("txt") {
        Some(true)
    } else if parent.eq_ignore_ascii_case(".imu") && ext.eq_ignore_ascii_case("dat") {
        Some(false)
    } else {
        None
    }
}

/// The `.gnss` and `.imu` sidecars of the clip at `file`: (gnss, imu) listing indices.
fn logs_of(listing: &Listing, catalog: &Catalog, file: usize) -> (Option<usize>, Option<usize>) {
    let mut found = (None, None);
    for &s in catalog.files.get(file).map_or(&[][..], |c| &c.sidecars) {
        let Some(l) = listing.files.get(s) else {
            continue;
        };
        match sidecar_kind(&l.path) {
            Some(true) => found.0 = found.0.or(Some(s)),
            Some(false) => found.1 = found.1.or(Some(s)),
            None => {}
        }
    }
    found
}

/// Reads the telemetry of every clip with sidecars. `read(i)` gives the bytes of listing file
/// `i` (at most [`MAX_SIDECAR_BYTES`] are asked for), or an error in words.
pub fn read(
    listing: &Listing,
    catalog: &Catalog,
    options: DriveOptions,
    read: impl FnMut(usize, u64) -> Result<Vec<u8>, String>,
) -> CardTelemetry {
    read_where(listing, catalog, options, read, |_| true)
}

/// Reads only drive `drive`'s sidecars (what `dashcard track` needs): its telemetry, and the
/// sidecars that could not be read, in words.
pub fn read_drive(
    listing: &Listing,
    catalog: &Catalog,
    drive: usize,
    options: DriveOptions,
    read: impl FnMut(usize, u64) -> Result<Vec<u8>, String>,
) -> (DriveTelemetry, Vec<String>) {
    let mut card = read_where(listing, catalog, options, read, |c| c == Some(drive));
    let telemetry = card.drives.get_mut(drive).map(std::mem::take);
    (telemetry.unwrap_or_default(), card.warnings)
}

fn read_where(
    listing: &Listing,
    catalog: &Catalog,
    options: DriveOptions,
    mut read: impl FnMut(usize, u64) -> Result<Vec<u8>, String>,
    in_drive: impl Fn(Option<usize>) -> bool,
) -> CardTelemetry {
    let mut card = CardTelemetry::default();
    let mut builders: Vec<DriveBuilder> = catalog
        .drives
        .iter()
        .map(|_| DriveBuilder::new(options))
        .collect();
    // Moments already fed to each drive (the other camera's identical logs are not fed twice).
    let mut fed: Vec<HashSet<DateTime<Utc>>> = vec![HashSet::new(); catalog.drives.len()];
    let mut clips: Vec<usize> = (0..listing.files.len())
        .filter(|&i| !listing.files[i].deleted)
        .filter(|&i| {
            catalog
                .files
                .get(i)
                .is_some_and(|c| !c.sidecars.is_empty() && in_drive(c.drive))
        })
        .collect();
    // Road camera first, so a drive takes its logs where both cameras have them.
    crate::sort::sort_by_key(&mut clips, |&i| {
        (catalog.files[i].camera != Some(Camera::Road), i)
    });
    let mut summaries = Vec::new();
    for file in clips {
        let (gnss_at, imu_at) = logs_of(listing, catalog, file);
        if gnss_at.is_none() && imu_at.is_none() {
            continue;
        }
        let c = &catalog.files[file];
        let mut bytes_of = |at: Option<usize>| -> Option<Vec<u8>> {
            let at = at?;
            match read(at, MAX_SIDECAR_BYTES) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    let path = listing.files.get(at).map_or("?", |f| f.path.as_str());
                    card.warnings.push(format!("{path}: cannot be read: {e}"));
                    None
                }
            }
        };
        let gnss = bytes_of(gnss_at).map(|b| parse_gnss(&b, c.start_utc));
        let imu = bytes_of(imu_at).map(|b| parse_imu(&b, c.start_utc));
        let summary = summarize_clip(gnss.as_ref(), imu.as_ref());
        if let Some(d) = c.drive
            && let (Some(builder), Some(seen)) = (builders.get_mut(d), fed.get_mut(d))
        {
            let fresh = c.start_utc.is_none_or(|t| seen.insert(t));
            if fresh {
                builder.add_clip(gnss.as_ref(), imu.as_ref());
            }
        }
        summaries.push(ClipTelemetry { file, summary });
    }
    crate::sort::sort_by_key(&mut summaries, |c| c.file);
    card.clips = summaries;
    if !card.clips.is_empty() {
        card.drives = builders.into_iter().map(DriveBuilder::finish).collect();
    }
    card.event_impacts = link_events(catalog, &card.drives);
    card
}

/// Each SOS event with an impact inside its window (from its start to its end, as far as its
/// duration is known, else 60 s): the strongest such impact.
fn link_events(catalog: &Catalog, drives: &[DriveTelemetry]) -> Vec<EventImpact> {
    let mut links = Vec::new();
    for (event, e) in catalog.events.iter().enumerate() {
        let Some(c) = catalog.files.get(e.file) else {
            continue;
        };
        let Some(from) = c.start_utc else {
            continue;
        };
        let ms = (c.duration_s.unwrap_or(60.0).clamp(0.0, 3600.0) * 1000.0) as i64;
        let Some(to) = from.checked_add_signed(Duration::milliseconds(ms)) else {
            continue;
        };
        let strongest = drives
            .iter()
            .enumerate()
            .flat_map(|(d, t)| {
                t.impacts
                    .iter()
                    .enumerate()
                    .filter(move |(_, i)| i.is_within(from, to))
                    .map(move |(i, imp)| (d, i, imp.peak_g))
            })
            .max_by(|a, b| a.2.total_cmp(&b.2));
        if let Some((drive, impact, _)) = strongest {
            links.push(EventImpact {
                event,
                drive,
                impact,
            });
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_kinds() {
        assert_eq!(sidecar_kind("video/.gnss/20241012_075700A.txt"), Some(true));
        assert_eq!(sidecar_kind("video/.IMU/20241012_075700A.DAT"), Some(false));
        assert_eq!(sidecar_kind("video/.thumb/20241012_075700A_net.jpg"), None);
        assert_eq!(sidecar_kind("video/20241012_075700A.txt"), None);
    }
}
