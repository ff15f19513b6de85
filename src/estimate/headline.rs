//! The story in one sentence, e.g. "The oldest footage (Oct 12, 07:57) will be overwritten
//! after about 0.4 h more driving — likely today."

use crate::catalog::Catalog;
use crate::listing::Listing;

use super::Estimate;
use super::words::{decimal_bytes, format_hours, when_in_words};

/// The headline for the card-wide figures of `e`.
pub(super) fn headline(listing: &Listing, catalog: &Catalog, e: &Estimate) -> String {
    let recordings = listing
        .files
        .iter()
        .zip(&catalog.files)
        .filter(|(l, f)| !l.deleted && f.kind.is_recording())
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
    // The newer cameras' cards know their zone: the time says it ("Oct 12, 17:30 UTC−5").
    let when = if catalog.time_zone.utc_names {
        format!(
            "{} {}",
            oldest.start.format("%b %-d, %H:%M"),
            catalog.time_zone.label()
        )
    } else {
        oldest.start.format("%b %-d, %H:%M").to_string()
    };
    let p = oldest.position;
    if p.after_bytes == 0 {
        return format!(
            "The oldest footage ({when}) is being overwritten now: the card is full, so the next recording replaces it."
        );
    }
    match (p.after_hours, p.after_days) {
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
            decimal_bytes(p.after_bytes)
        ),
    }
}
