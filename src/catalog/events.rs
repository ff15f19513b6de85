//! SOS events: clips the newer cameras record into `/sos` when asked to (the N1's event writer),
//! and the drive each one happened during or after.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::drives::Drive;

/// One SOS event (a live event clip).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EventIncident {
    /// Index of its clip in the listing.
    pub file: usize,
    /// Index in the catalog's drives of the drive it happened in or last followed.
    pub after_drive: Option<usize>,
}

/// The drive under way at `start`, else the one that ended last before it.
pub fn drive_at_or_before(drives: &[Drive], start: NaiveDateTime) -> Option<usize> {
    drives
        .iter()
        .position(|d| d.start <= start && start <= d.end)
        .or_else(|| super::parking::drive_before(drives, start))
}
