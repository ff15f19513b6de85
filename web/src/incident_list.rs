//! Every incident the card has evidence of: parking clips and SOS events that are still on the
//! card, deleted ones whose clusters are still free (recoverable), and deleted ones whose
//! clusters newer recordings took (lost). The catalog's `parking` and `events` hold only live
//! clips; an owner whose parking clips were overwritten needs to see that they were, so the
//! Incidents view and the overview's count both come from this one list.

use chrono::NaiveDateTime;
use dashcard::catalog::classify::FileKind;
use dashcard::catalog::{events, parking};

use crate::card::Shown;

/// What became of an incident's clip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The clip is on the card.
    Live,
    /// Deleted, but every cluster it needs is still free: it can be recovered.
    Recoverable,
    /// Deleted and its clusters reused: overwritten.
    Lost,
}

/// One incident: a parking clip or an SOS event, live or deleted.
#[derive(Clone, Debug)]
pub struct Incident {
    /// Index of its clip in the listing.
    pub file: usize,
    /// An SOS event (else a parking incident).
    pub event: bool,
    /// Its index in the catalog's events (a live SOS event; its impact link).
    pub event_index: Option<usize>,
    /// The drive it happened in or followed.
    pub drive: Option<usize>,
    /// When it started (camera local time).
    pub start: Option<NaiveDateTime>,
    /// Whether the clip is still there.
    pub evidence: Evidence,
}

/// Every incident of `shown`, newest first (undated last). Empty until the file list is here.
pub fn incidents(shown: &Shown) -> Vec<Incident> {
    let c = &shown.catalog;
    let mut all: Vec<Incident> = c
        .files
        .iter()
        .zip(&shown.listing.files)
        .enumerate()
        .filter(|(_, (f, _))| matches!(f.kind, FileKind::Parking | FileKind::Event))
        .map(|(i, (f, l))| {
            let event = f.kind == FileKind::Event;
            let drive = f.start.and_then(|t| {
                if event {
                    events::drive_at_or_before(&c.drives, t)
                } else {
                    parking::drive_before(&c.drives, t)
                }
            });
            let evidence = match (l.deleted, l.recoverable) {
                (false, _) => Evidence::Live,
                (true, Some(true)) => Evidence::Recoverable,
                (true, _) => Evidence::Lost,
            };
            Incident {
                file: i,
                event,
                event_index: c.events.iter().position(|e| e.file == i),
                drive,
                start: f.start,
                evidence,
            }
        })
        .collect();
    dashcard::sort::sort_by(&mut all, |a, b| {
        (a.start.is_none(), std::cmp::Reverse(a.start), a.file).cmp(&(
            b.start.is_none(),
            std::cmp::Reverse(b.start),
            b.file,
        ))
    });
    all
}

/// Counts of incidents by what became of them: (live, recoverable, lost).
pub fn counts(list: &[Incident]) -> (usize, usize, usize) {
    let n = |e: Evidence| list.iter().filter(|i| i.evidence == e).count();
    (
        n(Evidence::Live),
        n(Evidence::Recoverable),
        n(Evidence::Lost),
    )
}

/// The count in words, the same on the overview and the Incidents view:
/// "14 incidents: 3 on the card, 2 deleted but recoverable, 9 overwritten (lost)".
pub fn summary(list: &[Incident]) -> String {
    let (live, recoverable, lost) = counts(list);
    let mut parts = vec![format!("{live} on the card")];
    if recoverable > 0 {
        parts.push(format!("{recoverable} deleted but recoverable"));
    }
    if lost > 0 {
        parts.push(format!("{lost} overwritten (lost)"));
    }
    let total = list.len();
    let noun = if total == 1 { "incident" } else { "incidents" };
    format!("{total} {noun}: {}", parts.join(", "))
}
