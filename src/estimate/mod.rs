//! How soon each recording will be overwritten: a first-in-first-out model of the camera's loop.
//!
//! The camera deletes the oldest recording of the loop pool whenever it needs space. So a
//! loop-pool recording `r` is overwritten once **free bytes + the on-disk (cluster-rounded) bytes
//! of every loop-pool recording older than `r`** more bytes have been written; the oldest goes
//! first, right after the free space is used up.
//!
//! Bytes become time through rates measured on the card itself: bytes per driving hour (all
//! cameras' drive segments over the drives' total length), parking bytes per day, and driving
//! hours per day (drive time over the calendar days the drives span). Each can be overridden by
//! a what-if input, and the document says which value came from where.
//!
//! A file whose size or duration cannot be true (see [`crate::catalog::bounds`]) is left out of
//! every rate and sum; deleting it frees only what its clusters hold.
//!
//! The `sos` folder of NEXC1/NEXS1 is its own FIFO, counted in parking events: when its limit is
//! unknown it is inferred (the folder shows deletions, so it is full at the clips it holds).

mod headline;
mod overwrite;
mod queue;
mod sos;
mod space;
mod words;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::catalog::bounds::{counted_bytes, counts};
use crate::catalog::classify::{FileKind, Pool};
use crate::listing::Listing;

pub use overwrite::{LoopPosition, Overwrite, Protection};
pub use space::ASSUMED_CLUSTER_BYTES;
pub use words::{decimal_bytes, format_hours, when_in_words};

use space::{Space, round_up, saturating_sum};

/// Inputs that override what the card measures.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct WhatIf {
    /// Hours of driving per day.
    pub driving_hours_per_day: Option<f64>,
    /// Card capacity in bytes (needed for a folder source).
    pub capacity_bytes: Option<u64>,
    /// Space the camera keeps free or that is used otherwise, in bytes.
    pub reserved_bytes: Option<u64>,
    /// How many clips the `sos` folder holds before deleting the oldest.
    pub sos_limit_clips: Option<u64>,
}

/// One input of the estimate: its value and where it came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Input<T> {
    /// The value used; `null` when unknown.
    pub value: Option<T>,
    /// Where it came from: "card", "measured: …", "what-if", "assumed: …", "unknown: …".
    pub source: String,
}

impl<T> Input<T> {
    fn new(value: Option<T>, source: impl Into<String>) -> Self {
        Self {
            value,
            source: source.into(),
        }
    }
}

/// Every input the figures came from.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Inputs {
    /// Card capacity (data clusters × cluster size).
    pub capacity_bytes: Input<u64>,
    /// Free space before the loop must delete anything.
    pub free_bytes: Input<u64>,
    /// Space held back (what-if), taken off the free space.
    pub reserved_bytes: Input<u64>,
    /// Allocation unit that rounds every file's size.
    pub cluster_bytes: Input<u64>,
    /// Drive footage written per hour of driving, all cameras together.
    pub bytes_per_driving_hour: Input<f64>,
    /// Hours of driving per day.
    pub driving_hours_per_day: Input<f64>,
    /// Parking clips written per day into the loop pool.
    pub parking_bytes_per_day: Input<f64>,
    /// Space held by what the camera keeps outside its loop and never cleans (the newer
    /// cameras' `sos` and `photo` folders).
    pub kept_bytes: Input<u64>,
    /// What those folders grow by per day: it leaves the loop less room as time goes on.
    pub kept_bytes_per_day: Input<f64>,
}

/// The `sos` folder's own FIFO.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct SosEstimate {
    /// Clips in the folder now.
    pub clips: u64,
    /// Deleted clips still listed in the folder.
    pub deleted_clips: u64,
    /// How many clips it holds before deleting the oldest, with its source.
    pub limit_clips: Input<u64>,
    /// Parking events the folder can still take before its oldest clip is deleted.
    pub events_left: Option<u64>,
    /// Parking events per day, measured over the days the clips span.
    pub events_per_day: Option<f64>,
    /// Days until the oldest clip is deleted at that pace.
    pub days_until_oldest_goes: Option<f64>,
}

/// When recordings will be overwritten: the card-wide figures with every input behind them,
/// and each file's and drive's place in the queues.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    /// The model in words.
    pub model: String,
    /// Every input, with its source.
    pub inputs: Inputs,
    /// Bytes of drive footage per driving hour (all cameras).
    pub bytes_per_driving_hour: Option<f64>,
    /// Hours of driving per day.
    pub driving_hours_per_day: Option<f64>,
    /// Parking bytes per day (loop pool).
    pub parking_bytes_per_day: Option<f64>,
    /// Hours of driving the loop pool holds when full (parking clips included at their rate).
    pub capacity_hours: Option<f64>,
    /// Whether the camera is already overwriting old footage.
    pub looping: bool,
    /// Why `looping` is what it is, in words.
    pub looping_evidence: String,
    /// Hours of driving until the card is full (0 when looping).
    pub hours_until_full: Option<f64>,
    /// Calendar days until the card is full (0 when looping).
    pub days_until_full: Option<f64>,
    /// The oldest loop-pool recording: the next to go.
    pub oldest: Option<Oldest>,
    /// The story in one sentence.
    pub headline: String,
    /// The `sos` folder, when the card has one.
    pub sos: Option<SosEstimate>,
    /// Each listed file's fate, in the listing's order.
    pub files: Vec<Overwrite>,
    /// Each drive's fate, in the catalog's order.
    pub drives: Vec<DriveFate>,
    /// Files left out of every rate and sum because a size or duration they claim cannot be
    /// true (each is listed with a warning saying why).
    #[serde(default)]
    pub excluded_files: u64,
}

/// The next recording to be overwritten.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Oldest {
    /// Its index in the listing.
    pub file: usize,
    /// When it started.
    pub start: NaiveDateTime,
    /// Its place in the loop (first).
    pub position: LoopPosition,
}

/// What the estimate says about one drive.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DriveFate {
    /// When its first segment to go will be overwritten.
    pub overwrite: Overwrite,
    /// Why its beginning is already overwritten, in words; `None` when it is not.
    pub partly_overwritten: Option<String>,
}

impl Estimate {
    /// The estimate without its per-file fates: what a view of the whole card needs first.
    pub fn without_files(&self) -> Estimate {
        Estimate {
            files: Vec::new(),
            model: self.model.clone(),
            inputs: self.inputs.clone(),
            oldest: self.oldest.clone(),
            looping_evidence: self.looping_evidence.clone(),
            headline: self.headline.clone(),
            sos: self.sos.clone(),
            drives: self.drives.clone(),
            ..*self
        }
    }
}

/// Calendar days from the first to the last date, both counted.
fn calendar_days(first: NaiveDate, last: NaiveDate) -> f64 {
    ((last - first).num_days() + 1).max(1) as f64
}

/// Computes the estimate for the card `listing` and `catalog` describe, with the what-if
/// inputs applied: the card-wide figures, and each file's and drive's fate.
pub fn build(listing: &Listing, catalog: &Catalog, what_if: &WhatIf) -> Estimate {
    let newer = catalog.family.code.newer();
    let space = Space::of(
        listing,
        &catalog.files,
        what_if,
        catalog.family.code.reserve_bytes(),
    );
    let unit = space.unit();
    let files = || listing.files.iter().zip(&catalog.files).enumerate();
    let queue = queue::of(listing, catalog, newer, unit);

    // Rates measured from the card. On the newer cameras each segment comes with its sidecars.
    let drive_hours: f64 = catalog.drives.iter().map(|d| d.duration_s / 3600.0).sum();
    let sidecar_bytes = |i: usize| -> u64 {
        catalog.files[i]
            .sidecars
            .iter()
            .filter_map(|&s| Some((listing.files.get(s)?, catalog.files.get(s)?)))
            .filter(|(l, f)| !l.deleted && counts(f))
            .map(|(l, _)| l.bytes)
            .sum()
    };
    let drive_bytes = saturating_sum(catalog.drives.iter().map(|d| {
        d.bytes
            .saturating_add(saturating_sum(d.files.iter().map(|&f| sidecar_bytes(f))))
    }));
    let measured_rate = (drive_hours > 1.0 / 60.0).then(|| drive_bytes as f64 / drive_hours);
    let rate = Input::new(
        measured_rate,
        match measured_rate {
            Some(_) => format!(
                "measured: {:.1} GB over {:.1} h of {} drive(s)",
                drive_bytes as f64 / 1e9,
                drive_hours,
                catalog.drives.len()
            ),
            None => "unknown: no drives with a known length on the card".to_string(),
        },
    );
    let drive_days = match (catalog.drives.first(), catalog.drives.last()) {
        (Some(a), Some(b)) => Some(calendar_days(a.start.date(), b.end.date())),
        _ => None,
    };
    let daily = match (what_if.driving_hours_per_day, drive_days) {
        (Some(h), _) => Input::new(Some(h.max(0.0)), "what-if"),
        (None, Some(days)) if measured_rate.is_some() => Input::new(
            Some(drive_hours / days),
            format!("measured: {drive_hours:.1} h of driving over {days:.0} calendar day(s)"),
        ),
        _ => Input::new(None, "unknown: no drives on the card"),
    };
    let live_loop = || {
        files().filter(|(_, (l, f))| {
            !l.deleted && counts(f) && f.kind.is_recording() && f.pool == Some(Pool::Loop)
        })
    };
    let loop_parking: Vec<u64> = live_loop()
        .filter(|(_, (_, f))| f.kind == FileKind::Parking)
        .map(|(_, (l, _))| l.bytes)
        .collect();
    let recording_dates: Vec<NaiveDate> = live_loop()
        .filter_map(|(_, (_, f))| f.start.map(|s| s.date()))
        .collect();
    let parking_per_day = match (recording_dates.iter().min(), recording_dates.iter().max()) {
        (Some(&a), Some(&b)) => {
            let bytes = saturating_sum(loop_parking.iter().copied());
            let days = calendar_days(a, b);
            Input::new(
                Some(bytes as f64 / days),
                format!(
                    "measured: {} parking clip(s) over {days:.0} calendar day(s)",
                    loop_parking.len()
                ),
            )
        }
        _ => Input::new(None, "unknown: no recordings with a date"),
    };
    let (kept, kept_per_day) = kept_inputs(listing, catalog, &queue, unit, newer);

    // Bytes written per driving hour (parking clips and kept files that come with a day of
    // driving included), and per calendar day.
    let extra_per_day = parking_per_day.value.unwrap_or(0.0) + kept_per_day.value.unwrap_or(0.0);
    let per_hour = match (rate.value, daily.value) {
        (Some(r), Some(d)) if d > 0.0 && parking_per_day.value.is_some() => {
            Some(r + extra_per_day / d)
        }
        (Some(r), _) => Some(r),
        _ => None,
    };
    let per_day = match (rate.value, daily.value) {
        (Some(r), Some(d)) => Some(r * d + extra_per_day),
        _ => None,
    }
    .filter(|w| *w > 0.0);
    let hours_for = |bytes: u64| per_hour.filter(|r| *r > 0.0).map(|r| bytes as f64 / r);
    let days_for = |bytes: u64| per_day.map(|w| bytes as f64 / w);

    // The loop, in its order: each recording goes once the free space and every recording
    // before it (cluster-rounded, with its sidecars) are written again.
    let mut overwrite = vec![Overwrite::Never; listing.files.len().min(catalog.files.len())];
    let mut ahead = space.usable_free();
    for &(i, frees) in &queue.order {
        overwrite[i] = match ahead {
            Some(bytes) => Overwrite::Loop(LoopPosition {
                after_bytes: bytes,
                after_hours: hours_for(bytes),
                after_days: days_for(bytes),
            }),
            None => Overwrite::Unknown,
        };
        ahead = ahead.map(|a| a.saturating_add(frees));
    }
    for &(i, why) in &queue.protected {
        overwrite[i] = Overwrite::Protected(why);
    }

    let sos = sos::estimate(listing, catalog, what_if, &mut overwrite);
    // A sidecar goes (or stays) with its clip.
    for (i, f) in catalog.files.iter().enumerate() {
        if let Some(clip) = f.sidecar_of
            && let Some(&fate) = overwrite.get(clip)
            && let Some(slot) = overwrite.get_mut(i)
        {
            *slot = fate;
        }
    }

    // Card-wide figures.
    let deleted_loop = files()
        .filter(|(_, (l, f))| {
            l.deleted && counts(f) && f.kind.is_recording() && f.pool == Some(Pool::Loop)
        })
        .count();
    let full = space.is_full(listing, &catalog.files);
    let looping = deleted_loop > 0 || full;
    let looping_evidence = if deleted_loop > 0 {
        format!("{deleted_loop} deleted recording(s) on the card: the loop has started overwriting")
    } else if full {
        "the card is full: the next recording replaces the oldest".to_string()
    } else if space.usable_free().is_none() {
        "unknown: the card size is not known".to_string()
    } else {
        "the card still has free space and no recording was deleted".to_string()
    };
    let other_bytes = saturating_sum(
        files()
            .filter(|(i, (l, f))| {
                let in_loop = if newer {
                    queue.in_loop.get(*i).copied().unwrap_or(false)
                } else {
                    f.pool == Some(Pool::Loop)
                };
                !l.deleted && !in_loop
            })
            .map(|(_, (l, f))| round_up(counted_bytes(l, f), unit)),
    );
    let capacity_hours = space.capacity.value.and_then(|c| {
        let loop_space = c
            .saturating_sub(space.reserved.value.unwrap_or(0))
            .saturating_sub(other_bytes);
        hours_for(loop_space)
    });
    let free = space.usable_free();
    let (hours_until_full, days_until_full) = if looping {
        (Some(0.0), Some(0.0))
    } else {
        (free.and_then(&hours_for), free.and_then(&days_for))
    };
    let oldest = queue.order.first().and_then(|&(i, _)| match overwrite[i] {
        Overwrite::Loop(position) => Some(Oldest {
            file: i,
            start: catalog.files[i].start?,
            position,
        }),
        _ => None,
    });
    let drives = drive_fates(catalog, &overwrite, full);

    let model = if newer {
        "FIFO by file name: the camera deletes the oldest clip in its video folder (by the UTC stamp in its name, then the camera letter), with its sidecars, skipping locked clips, until 3 GiB are free; so a clip is overwritten after the free space above 3 GiB plus every clip before it (cluster-rounded, sidecars included) has been written again. The sos and photo folders are never cleaned"
    } else {
        "FIFO: the camera deletes the oldest loop-pool recording whenever it needs space, so a recording is overwritten after the free space plus every older loop-pool recording (cluster-rounded) has been written again"
    };
    let mut estimate = Estimate {
        model: model.to_string(),
        inputs: Inputs {
            capacity_bytes: space.capacity,
            free_bytes: space.free,
            reserved_bytes: space.reserved,
            cluster_bytes: space.cluster,
            bytes_per_driving_hour: rate.clone(),
            driving_hours_per_day: daily.clone(),
            parking_bytes_per_day: parking_per_day.clone(),
            kept_bytes: kept,
            kept_bytes_per_day: kept_per_day,
        },
        bytes_per_driving_hour: rate.value,
        driving_hours_per_day: daily.value,
        parking_bytes_per_day: parking_per_day.value,
        capacity_hours,
        looping,
        looping_evidence,
        hours_until_full,
        days_until_full,
        oldest,
        headline: String::new(),
        sos,
        files: overwrite,
        drives,
        excluded_files: catalog.totals.excluded_files,
    };
    estimate.headline = headline::headline(listing, catalog, &estimate);
    estimate
}

/// What the camera keeps outside its loop (newer cameras: the events and photos it never
/// cleans, with their thumbnails), and how fast that grows: over the days from the oldest of
/// them to the newest recording.
fn kept_inputs(
    listing: &Listing,
    catalog: &Catalog,
    queue: &queue::LoopQueue,
    unit: u64,
    newer: bool,
) -> (Input<u64>, Input<f64>) {
    if !newer {
        let none = "none: first-generation cameras keep nothing that their loops do not overwrite";
        return (Input::new(Some(0), none), Input::new(Some(0.0), none));
    }
    let kept: Vec<usize> = queue
        .protected
        .iter()
        .filter(|(_, why)| *why == Protection::KeptFolder)
        .map(|&(i, _)| i)
        .collect();
    let with_sidecars = kept
        .iter()
        .flat_map(|&i| std::iter::once(i).chain(catalog.files[i].sidecars.iter().copied()));
    let bytes = saturating_sum(
        with_sidecars
            .filter_map(|i| Some((listing.files.get(i)?, catalog.files.get(i)?)))
            .filter(|(l, _)| !l.deleted)
            .map(|(l, f)| round_up(counted_bytes(l, f), unit)),
    );
    let events = kept
        .iter()
        .filter(|&&i| catalog.files[i].kind == FileKind::Event)
        .count();
    let photos = kept.len() - events;
    let source = format!(
        "{events} event clip(s) in sos and {photos} photo(s) in photo, which the camera never cleans"
    );
    let first = kept.iter().filter_map(|&i| catalog.files[i].start).min();
    let last = catalog
        .files
        .iter()
        .zip(&listing.files)
        .filter(|(f, l)| !l.deleted && (f.kind.is_recording() || f.kind == FileKind::Photo))
        .filter_map(|(f, _)| f.start)
        .max();
    let per_day = match (first, last) {
        (Some(a), Some(b)) => {
            let days = calendar_days(a.date(), b.date());
            Input::new(
                Some(bytes as f64 / days),
                format!("measured: {source}, over {days:.0} calendar day(s)"),
            )
        }
        _ => Input::new(Some(0.0), "measured: nothing kept yet"),
    };
    (Input::new(Some(bytes), source), per_day)
}

/// Each drive goes when its first segment to go does; the oldest drive's beginning is gone
/// when deleted recordings reach into it or, with no deleted loop recording left to tell, when
/// the card is full (the loop deletes the oldest footage as new footage arrives).
fn drive_fates(catalog: &Catalog, overwrite: &[Overwrite], card_full: bool) -> Vec<DriveFate> {
    catalog
        .drives
        .iter()
        .enumerate()
        .map(|(index, drive)| {
            let fates = drive.files.iter().filter_map(|&f| overwrite.get(f));
            let first = fates
                .clone()
                .filter_map(|o| match o {
                    Overwrite::Loop(p) => Some(*p),
                    _ => None,
                })
                .min_by_key(|p| p.after_bytes);
            let protected = fates.clone().find_map(Overwrite::protection);
            let overwrite = match (first, protected) {
                (Some(p), _) => Overwrite::Loop(p),
                (None, _)
                    if fates
                        .clone()
                        .any(|o| matches!(o, Overwrite::Unknown | Overwrite::Sos { .. })) =>
                {
                    Overwrite::Unknown
                }
                (None, Some(why)) => Overwrite::Protected(why),
                (None, None) => Overwrite::Never,
            };
            let partly_overwritten = drive.deleted_evidence.clone().or_else(|| {
                (index == 0 && catalog.dated_deleted_loop_recordings == 0 && card_full).then(|| {
                    "the card is full, so the camera is overwriting the oldest footage: this drive's beginning is likely gone"
                        .to_string()
                })
            });
            DriveFate {
                overwrite,
                partly_overwritten,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::ListedFile;

    fn listing(names: &[&str], bytes: u64) -> Listing {
        let t = chrono::NaiveDate::from_ymd_opt(2024, 10, 12).and_then(|d| d.and_hms_opt(7, 57, 0));
        // A folder: no clusters to hold the sizes against (the card's bounds are tested on
        // real images in tests/bounds.rs).
        let mut listing = Listing::default();
        listing.source.kind = crate::listing::SourceKind::Folder;
        for name in names {
            listing.files.push(ListedFile {
                path: name.to_string(),
                bytes,
                created: t,
                header: Some(crate::listing::VideoHeader {
                    duration_s: Some(60.0),
                    ..Default::default()
                }),
                ..ListedFile::default()
            });
        }
        listing
    }

    /// Found by the catalog fuzz target: sizes that add past `u64::MAX` must not panic.
    #[test]
    fn hostile_sizes_saturate_instead_of_overflowing() {
        let mut listing = listing(
            &[
                "20241012_075700_1.mp4",
                "20241012_075800_1.mp4",
                "x_U.mp4",
                "a.txt",
            ],
            u64::MAX - 5,
        );
        listing.volume.cluster_bytes = Some(1 << 30);
        listing.volume.capacity_bytes = Some(u64::MAX);
        listing.volume.free_bytes = Some(u64::MAX);
        let what_if = WhatIf {
            sos_limit_clips: Some(u64::MAX),
            reserved_bytes: Some(u64::MAX),
            ..WhatIf::default()
        };
        let catalog = crate::catalog::build(&listing);
        let e = build(&listing, &catalog, &what_if);
        assert_eq!(catalog.drives.len(), 1);
        assert_eq!(catalog.drives[0].bytes, u64::MAX);
        assert!(e.looping, "no usable free space left");
    }

    /// With no deleted recordings to tell, a full card means the oldest drive's beginning is
    /// gone; with room left, it is whole.
    #[test]
    fn a_full_card_without_deleted_entries_has_lost_the_oldest_drives_beginning() {
        let mut listing = listing(
            &["20241012_075700_1.mp4", "20241012_075800_1.mp4"],
            50_000_000,
        );
        listing.volume.cluster_bytes = Some(32 * 1024);
        listing.volume.capacity_bytes = Some(8_000_000_000);
        let catalog = crate::catalog::build(&listing);
        listing.volume.free_bytes = Some(60_000_000);
        let full = build(&listing, &catalog, &WhatIf::default());
        assert!(full.drives[0].partly_overwritten.is_some());
        assert_eq!(full.files[0].after_bytes(), Some(60_000_000));
        assert_eq!(full.drives[0].overwrite, full.files[0]);
        listing.volume.free_bytes = Some(6_000_000_000);
        let roomy = build(&listing, &catalog, &WhatIf::default());
        assert!(roomy.drives[0].partly_overwritten.is_none());
        // The what-if reserve can make the same card full.
        let reserve = WhatIf {
            reserved_bytes: Some(5_950_000_000),
            ..WhatIf::default()
        };
        assert!(
            build(&listing, &catalog, &reserve).drives[0]
                .partly_overwritten
                .is_some()
        );
    }
}
