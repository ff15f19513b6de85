//! Which camera wrote the card, as the newer cameras say it themselves: the serial number and
//! firmware version of their `CUST` records (in every clip), else of the `.imu` headers.

use serde::{Deserialize, Serialize};

use crate::listing::Listing;

/// The camera's own word on who it is.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CameraInfo {
    /// Serial number.
    pub serial: Option<String>,
    /// Firmware version.
    pub software: Option<String>,
    /// Where it came from, in words.
    pub source: String,
}

/// The camera info of the card, from the newest clip's record, else the newest `.imu` header;
/// `None` when neither says anything.
pub fn of(listing: &Listing) -> Option<CameraInfo> {
    let newest_record = listing
        .files
        .iter()
        .filter(|f| !f.deleted)
        .filter_map(|f| Some((f, f.header.as_ref()?.camera_record.as_ref()?)))
        .max_by_key(|(_, r)| r.start_utc);
    if let Some((file, record)) = newest_record
        && (record.serial.is_some() || record.software.is_some())
    {
        return Some(CameraInfo {
            serial: record.serial.clone(),
            software: record.software.clone(),
            source: format!("the camera's record (CUST) in {}", file.path),
        });
    }
    listing.imu_headers.iter().find_map(|h| {
        let header = &h.header;
        (header.serial.is_some() || header.software.is_some()).then(|| CameraInfo {
            serial: header.serial.clone(),
            software: header.software.clone(),
            source: format!(
                "the header of {}",
                listing
                    .files
                    .get(h.index)
                    .map_or("an .imu sidecar", |f| f.path.as_str())
            ),
        })
    })
}
