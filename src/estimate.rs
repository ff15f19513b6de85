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
//! The `sos` folder of NEXC1/NEXS1 is its own FIFO, counted in parking events: when its limit is
//! unknown it is inferred (the folder shows deletions, so it is full at the clips it holds).

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::catalog::classify::{FileKind, Pool, classify};
use crate::report::{FileRecord, Report, SourceKind};

/// Cluster size assumed when the source does not tell (a folder): what SDXC cards are
/// formatted with.
pub const ASSUMED_CLUSTER_BYTES: u64 = 32 * 1024;

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

/// The estimate for the whole card.
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
}

/// The next recording to be overwritten.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Oldest {
    /// Its path.
    pub path: String,
    /// When it started.
    pub start: NaiveDateTime,
    /// More bytes written before it goes.
    pub overwrite_after_bytes: u64,
    /// The same in hours of driving.
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    pub overwrite_after_days: Option<f64>,
}

/// Capacity, free space and allocation unit, from the card or the what-if inputs.
struct Space {
    capacity: Input<u64>,
    free: Input<u64>,
    reserved: Input<u64>,
    cluster: Input<u64>,
}

impl Space {
    fn of(report: &Report, what_if: &WhatIf) -> Self {
        let cluster = match report.volume.cluster_bytes {
            Some(c) if c > 0 => Input::new(Some(u64::from(c)), "card"),
            _ => Input::new(
                Some(ASSUMED_CLUSTER_BYTES),
                "assumed: 32 KiB, how SDXC cards are formatted (a folder does not tell)",
            ),
        };
        let unit = cluster.value.unwrap_or(ASSUMED_CLUSTER_BYTES);
        let used = saturating_sum(report.live_files().map(|f| round_up(f.bytes, unit)));
        let (capacity, free) = match (what_if.capacity_bytes, report.volume.capacity_bytes) {
            (Some(c), measured) if measured != Some(c) => (
                Input::new(Some(c), "what-if"),
                Input::new(
                    Some(c.saturating_sub(used)),
                    "capacity minus the files on the card",
                ),
            ),
            (_, Some(c)) => {
                let capacity = if report.source.kind == SourceKind::Folder {
                    Input::new(Some(c), "given for the folder")
                } else {
                    Input::new(Some(c), "card")
                };
                let free = match report.volume.free_bytes {
                    Some(f) => Input::new(Some(f), "card: counted from the FAT"),
                    None => Input::new(
                        Some(c.saturating_sub(used)),
                        "capacity minus the files on the card",
                    ),
                };
                (capacity, free)
            }
            (_, None) => (
                Input::new(None, "unknown: give the card size"),
                Input::new(None, "unknown: give the card size"),
            ),
        };
        let reserved = match what_if.reserved_bytes {
            Some(r) => Input::new(Some(r), "what-if"),
            None => Input::new(Some(0), "none"),
        };
        Self {
            capacity,
            free,
            reserved,
            cluster,
        }
    }

    fn unit(&self) -> u64 {
        self.cluster.value.unwrap_or(ASSUMED_CLUSTER_BYTES)
    }

    /// Free space the loop can still fill before deleting.
    fn usable_free(&self) -> Option<u64> {
        Some(
            self.free
                .value?
                .saturating_sub(self.reserved.value.unwrap_or(0)),
        )
    }
}

/// A sum of byte counts that stops at `u64::MAX` instead of overflowing on a hostile listing.
fn saturating_sum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}

fn round_up(bytes: u64, unit: u64) -> u64 {
    bytes.div_ceil(unit.max(1)).saturating_mul(unit.max(1))
}

/// True when the loop pool has no room for another recording: the usable free space is under
/// two of the card's largest loop recordings, so the camera must delete to write the next one.
/// Works before the catalog has run (it classifies the paths itself).
pub fn card_full(report: &Report, what_if: &WhatIf) -> bool {
    full_with(&Space::of(report, what_if), report, |f| {
        classify(&f.path).pool
    })
}

/// [`card_full`] with the space already worked out and a way to tell each file's pool.
fn full_with(
    space: &Space,
    report: &Report,
    pool_of: impl Fn(&FileRecord) -> Option<Pool>,
) -> bool {
    let Some(free) = space.usable_free() else {
        return false;
    };
    let largest = report
        .live_files()
        .filter(|f| pool_of(f) == Some(Pool::Loop))
        .map(|f| round_up(f.bytes, space.unit()))
        .max();
    largest.is_some_and(|l| free < l.saturating_mul(2))
}

/// Calendar days from the first to the last date, both counted.
fn calendar_days(first: NaiveDate, last: NaiveDate) -> f64 {
    ((last - first).num_days() + 1).max(1) as f64
}

/// Computes the estimate and writes it into `report`: per file, per drive, per parking
/// incident, and the card-wide figures. Run [`crate::catalog::annotate`] first.
pub fn annotate(report: &mut Report, what_if: &WhatIf) {
    let space = Space::of(report, what_if);
    let unit = space.unit();

    // Rates measured from the card.
    let drive_hours: f64 = report.drives.iter().map(|d| d.duration_s / 3600.0).sum();
    let drive_bytes = saturating_sum(report.drives.iter().map(|d| d.bytes));
    let measured_rate = (drive_hours > 1.0 / 60.0).then(|| drive_bytes as f64 / drive_hours);
    let rate = Input::new(
        measured_rate,
        match measured_rate {
            Some(_) => format!(
                "measured: {:.1} GB over {:.1} h of {} drive(s)",
                drive_bytes as f64 / 1e9,
                drive_hours,
                report.drives.len()
            ),
            None => "unknown: no drives with a known length on the card".to_string(),
        },
    );
    let drive_days = match (report.drives.first(), report.drives.last()) {
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
    let loop_parking: Vec<_> = report
        .live_files()
        .filter(|f| f.kind == FileKind::Parking && f.pool == Some(Pool::Loop))
        .collect();
    let recording_dates: Vec<NaiveDate> = report
        .live_files()
        .filter(|f| f.kind != FileKind::Other && f.pool == Some(Pool::Loop))
        .filter_map(|f| f.start.map(|s| s.date()))
        .collect();
    let parking_per_day = match (recording_dates.iter().min(), recording_dates.iter().max()) {
        (Some(&a), Some(&b)) => {
            let bytes = saturating_sum(loop_parking.iter().map(|f| f.bytes));
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

    // Bytes written per driving hour (parking clips that come with a day of driving included),
    // and per calendar day.
    let per_hour = match (rate.value, daily.value, parking_per_day.value) {
        (Some(r), Some(d), Some(p)) if d > 0.0 => Some(r + p / d),
        (Some(r), _, _) => Some(r),
        _ => None,
    };
    let per_day = match (rate.value, daily.value) {
        (Some(r), Some(d)) => Some(r * d + parking_per_day.value.unwrap_or(0.0)),
        _ => None,
    }
    .filter(|w| *w > 0.0);
    let hours_for = |bytes: u64| per_hour.filter(|r| *r > 0.0).map(|r| bytes as f64 / r);
    let days_for = |bytes: u64| per_day.map(|w| bytes as f64 / w);

    // The loop pool, oldest first.
    let mut queue: Vec<usize> = report
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            !f.deleted
                && f.kind != FileKind::Other
                && f.pool == Some(Pool::Loop)
                && f.start.is_some()
        })
        .map(|(i, _)| i)
        .collect();
    queue.sort_by(|&a, &b| {
        let (fa, fb) = (&report.files[a], &report.files[b]);
        (fa.start, &fa.path).cmp(&(fb.start, &fb.path))
    });
    for f in &mut report.files {
        f.overwrite_after_bytes = None;
        f.overwrite_after_hours = None;
        f.overwrite_after_days = None;
        f.overwrite_after_events = None;
    }
    if let Some(free) = space.usable_free() {
        let mut ahead = free;
        for &i in &queue {
            let f = &mut report.files[i];
            f.overwrite_after_bytes = Some(ahead);
            f.overwrite_after_hours = hours_for(ahead);
            f.overwrite_after_days = days_for(ahead);
            ahead = ahead.saturating_add(round_up(f.bytes, unit));
        }
    }

    // The sos pool: its own FIFO, in events.
    let sos = sos_estimate(report, what_if);

    // Card-wide figures.
    let deleted_loop = report
        .files
        .iter()
        .filter(|f| f.deleted && f.kind != FileKind::Other && f.pool == Some(Pool::Loop))
        .count();
    // The catalog has classified every file by now.
    let full = full_with(&space, report, |f| f.pool);
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
        report
            .live_files()
            .filter(|f| f.pool != Some(Pool::Loop))
            .map(|f| round_up(f.bytes, unit)),
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
    let oldest = queue.first().and_then(|&i| {
        let f = &report.files[i];
        Some(Oldest {
            path: f.path.clone(),
            start: f.start?,
            overwrite_after_bytes: f.overwrite_after_bytes?,
            overwrite_after_hours: f.overwrite_after_hours,
            overwrite_after_days: f.overwrite_after_days,
        })
    });

    // Drives and parking incidents take their figures from their files.
    let mut drive_first: Vec<Option<usize>> = vec![None; report.drives.len()];
    for (i, f) in report.files.iter().enumerate() {
        if let (Some(d), Some(bytes)) = (f.drive, f.overwrite_after_bytes) {
            let slot = &mut drive_first[d];
            if slot.is_none_or(|j| report.files[j].overwrite_after_bytes > Some(bytes)) {
                *slot = Some(i);
            }
        }
    }
    for (drive, first) in report.drives.iter_mut().zip(drive_first) {
        let f = first.map(|i| &report.files[i]);
        drive.overwrite_after_bytes = f.and_then(|f| f.overwrite_after_bytes);
        drive.overwrite_after_hours = f.and_then(|f| f.overwrite_after_hours);
        drive.overwrite_after_days = f.and_then(|f| f.overwrite_after_days);
    }
    let live_by_path: std::collections::HashMap<&str, &crate::report::FileRecord> = report
        .files
        .iter()
        .filter(|f| !f.deleted)
        .map(|f| (f.path.as_str(), f))
        .collect();
    for p in &mut report.parking {
        if let Some(f) = live_by_path.get(p.path.as_str()) {
            p.overwrite_after_bytes = f.overwrite_after_bytes;
            p.overwrite_after_hours = f.overwrite_after_hours;
            p.overwrite_after_days = f.overwrite_after_days;
            p.overwrite_after_events = f.overwrite_after_events;
        }
    }

    let mut estimate = Estimate {
        model: "FIFO: the camera deletes the oldest loop-pool recording whenever it needs space, so a recording is overwritten after the free space plus every older loop-pool recording (cluster-rounded) has been written again".to_string(),
        inputs: Inputs {
            capacity_bytes: space.capacity,
            free_bytes: space.free,
            reserved_bytes: space.reserved,
            cluster_bytes: space.cluster,
            bytes_per_driving_hour: rate.clone(),
            driving_hours_per_day: daily.clone(),
            parking_bytes_per_day: parking_per_day.clone(),
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
    };
    estimate.headline = headline(report, &estimate);
    report.estimate = Some(estimate);
}

fn sos_estimate(report: &mut Report, what_if: &WhatIf) -> Option<SosEstimate> {
    let mut live: Vec<usize> = report
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.deleted && f.kind != FileKind::Other && f.pool == Some(Pool::Sos))
        .map(|(i, _)| i)
        .collect();
    let deleted = report
        .files
        .iter()
        .filter(|f| f.deleted && f.kind != FileKind::Other && f.pool == Some(Pool::Sos))
        .count() as u64;
    if live.is_empty() && deleted == 0 {
        return None;
    }
    live.sort_by(|&a, &b| {
        let (fa, fb) = (&report.files[a], &report.files[b]);
        (fa.start, &fa.path).cmp(&(fb.start, &fb.path))
    });
    let clips = live.len() as u64;
    let limit = match (what_if.sos_limit_clips, deleted) {
        (Some(l), _) => Input::new(Some(l), "what-if"),
        (None, d) if d > 0 => Input::new(
            Some(clips),
            format!(
                "inferred: the folder shows {d} deletion(s), so it is full at the {clips} clip(s) it holds"
            ),
        ),
        _ => Input::new(None, "unknown: the sos folder shows no deletions yet"),
    };
    let events_left = limit.value.map(|l| l.saturating_sub(clips));
    if let Some(left) = events_left {
        for (k, &i) in live.iter().enumerate() {
            report.files[i].overwrite_after_events = Some(left.saturating_add(k as u64 + 1));
        }
    }
    let dates: Vec<NaiveDate> = live
        .iter()
        .filter_map(|&i| report.files[i].start.map(|s| s.date()))
        .collect();
    let events_per_day = match (dates.iter().min(), dates.iter().max()) {
        (Some(&a), Some(&b)) => Some(dates.len() as f64 / calendar_days(a, b)),
        _ => None,
    };
    let days_until_oldest_goes = match (events_left, events_per_day) {
        (Some(left), Some(rate)) if rate > 0.0 => Some(left.saturating_add(1) as f64 / rate),
        _ => None,
    };
    Some(SosEstimate {
        clips,
        deleted_clips: deleted,
        limit_clips: limit,
        events_left,
        events_per_day,
        days_until_oldest_goes,
    })
}

/// Bytes in decimal units, like the label on a card: "512 B", "32.8 kB", "31.9 GB". The one
/// formatter the CLI's summary, the page and the headline share.
pub fn decimal_bytes(bytes: u64) -> String {
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

/// "3 min", "0.4 h", "2.4 h", "12 h".
pub fn format_hours(h: f64) -> String {
    if h < 0.1 {
        format!("{:.0} min", (h * 60.0).max(1.0))
    } else if h < 10.0 {
        format!("{h:.1} h")
    } else {
        format!("{h:.0} h")
    }
}

/// "likely today", "likely tomorrow", "in about 5 days".
pub fn when_in_words(days: f64) -> String {
    if days < 1.0 {
        "likely today".to_string()
    } else if days < 2.0 {
        "likely tomorrow".to_string()
    } else {
        format!("in about {days:.0} days")
    }
}

/// The story in one sentence, e.g. "The oldest footage (Oct 12, 07:57) will be overwritten
/// after about 0.4 h more driving — likely today."
pub fn headline(report: &Report, e: &Estimate) -> String {
    let recordings = report
        .live_files()
        .filter(|f| f.kind != FileKind::Other)
        .count();
    if recordings == 0 {
        return "No Nexar recordings on this card.".to_string();
    }
    let Some(oldest) = &e.oldest else {
        if e.inputs.free_bytes.value.is_none() {
            return "The card size is unknown: give it to estimate when footage is overwritten."
                .to_string();
        }
        if let Some(sos) = &e.sos {
            return match sos.events_left {
                Some(left) => format!(
                    "The sos folder holds {} parking clip(s); the oldest is deleted after {} more parking event(s).",
                    sos.clips,
                    left.saturating_add(1)
                ),
                None => format!(
                    "The sos folder holds {} parking clip(s); its limit is not known yet.",
                    sos.clips
                ),
            };
        }
        return "No dated recordings in the loop: nothing to estimate.".to_string();
    };
    let when = oldest.start.format("%b %-d, %H:%M");
    if oldest.overwrite_after_bytes == 0 {
        return format!(
            "The oldest footage ({when}) is being overwritten now: the card is full, so the next recording replaces it."
        );
    }
    match (oldest.overwrite_after_hours, oldest.overwrite_after_days) {
        (Some(h), Some(d)) => format!(
            "The oldest footage ({when}) will be overwritten after about {} more driving — {}.",
            format_hours(h),
            when_in_words(d)
        ),
        (Some(h), None) => format!(
            "The oldest footage ({when}) will be overwritten after about {} more driving.",
            format_hours(h)
        ),
        _ => format!(
            "The oldest footage ({when}) goes first, after {} more is recorded; the driving rate cannot be measured from this card.",
            decimal_bytes(oldest.overwrite_after_bytes)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::FileRecord;

    /// Found by the catalog fuzz target: sizes that add past `u64::MAX` must not panic.
    #[test]
    fn hostile_sizes_saturate_instead_of_overflowing() {
        let t = chrono::NaiveDate::from_ymd_opt(2024, 10, 12).and_then(|d| d.and_hms_opt(7, 57, 0));
        let mut report = Report::default();
        for name in [
            "20241012_075700_1.mp4",
            "20241012_075800_1.mp4",
            "x_U.mp4",
            "a.txt",
        ] {
            report.files.push(FileRecord {
                path: name.to_string(),
                bytes: u64::MAX - 5,
                created: t,
                duration_s: Some(60.0),
                ..FileRecord::default()
            });
        }
        report.volume.cluster_bytes = Some(1 << 30);
        report.volume.capacity_bytes = Some(u64::MAX);
        report.volume.free_bytes = Some(u64::MAX);
        let what_if = WhatIf {
            sos_limit_clips: Some(u64::MAX),
            reserved_bytes: Some(u64::MAX),
            ..WhatIf::default()
        };
        crate::analyze(&mut report, &what_if);
        let e = report.estimate.expect("estimate");
        assert_eq!(report.drives.len(), 1);
        assert_eq!(report.drives[0].bytes, u64::MAX);
        assert!(e.looping, "no usable free space left");
    }
}
