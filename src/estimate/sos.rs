//! The `sos` folder of NEXC1/NEXS1: its own first-in-first-out queue, counted in parking
//! events. When its limit is unknown it is inferred: a folder that shows deletions is full at
//! the clips it holds.

use chrono::NaiveDate;

use crate::catalog::Catalog;
use crate::catalog::classify::{FileKind, Pool};
use crate::listing::Listing;

use super::{Input, Overwrite, SosEstimate, WhatIf, calendar_days};

/// The folder's estimate, writing each live clip's place in the queue into `overwrite`;
/// `None` when the card has no sos recordings at all.
pub(super) fn estimate(
    listing: &Listing,
    catalog: &Catalog,
    what_if: &WhatIf,
    overwrite: &mut [Overwrite],
) -> Option<SosEstimate> {
    let in_sos = |deleted: bool| {
        listing
            .files
            .iter()
            .zip(&catalog.files)
            .enumerate()
            .filter(move |(_, (l, f))| {
                l.deleted == deleted && f.kind == FileKind::Parking && f.pool == Some(Pool::Sos)
            })
            .map(|(i, _)| i)
    };
    let mut live: Vec<usize> = in_sos(false).collect();
    let deleted = in_sos(true).count() as u64;
    if live.is_empty() && deleted == 0 {
        return None;
    }
    crate::sort::sort_by(&mut live, |&a, &b| {
        let key = |i: usize| (catalog.files[i].start, &listing.files[i].path);
        key(a).cmp(&key(b))
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
    for (k, &i) in live.iter().enumerate() {
        overwrite[i] = match events_left {
            Some(left) => Overwrite::Sos {
                after_events: left.saturating_add(k as u64 + 1),
            },
            None => Overwrite::Unknown,
        };
    }
    let dates: Vec<NaiveDate> = live
        .iter()
        .filter_map(|&i| catalog.files[i].start.map(|s| s.date()))
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
