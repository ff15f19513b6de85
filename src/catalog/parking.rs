//! Parking incidents: clips the camera recorded on impact or movement while parked, and the
//! drive each one followed (the drive that ended last before it).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::classify::Pool;
use super::drives::Drive;

/// One parking incident.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ParkingIncident {
    /// Path of the clip on the card.
    pub path: String,
    /// When it started (camera local time); `null` when nothing tells.
    pub start: Option<NaiveDateTime>,
    /// Length in seconds (the header's, else the family's typical 30 s or 10 s).
    pub duration_s: Option<f64>,
    /// "loop" (in the drive folder) or "sos" (NEXC1/NEXS1's own folder).
    pub pool: Pool,
    /// Size in bytes.
    pub bytes: u64,
    /// Index in `drives` of the drive it followed, if any.
    pub after_drive: Option<usize>,
    /// More bytes written before it is overwritten (loop pool; from the estimate).
    pub overwrite_after_bytes: Option<u64>,
    /// The same in hours of driving.
    pub overwrite_after_hours: Option<f64>,
    /// The same in calendar days.
    pub overwrite_after_days: Option<f64>,
    /// Parking events still to come before it is deleted (sos pool; from the estimate).
    pub overwrite_after_events: Option<u64>,
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
