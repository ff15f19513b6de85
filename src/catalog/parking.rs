//! Parking incidents: clips the camera recorded on impact or movement while parked, and the
//! drive each one followed (the drive that ended last before it).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::drives::Drive;

/// One parking incident (a live parking clip).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ParkingIncident {
    /// Index of its clip in the listing.
    pub file: usize,
    /// Index in the catalog's drives of the drive it followed, if any.
    pub after_drive: Option<usize>,
}

/// The index of the drive that ended last at or before `start`.
pub fn drive_before(drives: &[Drive], start: NaiveDateTime) -> Option<usize> {
    drives
        .iter()
        .enumerate()
        .filter(|(_, d)| d.end <= start)
        .max_by_key(|(_, d)| d.end)
        .map(|(i, _)| i)
}
