//! Positions on the Earth and the distance between them.

use serde::{Deserialize, Serialize};

/// Mean Earth radius (IUGG), in km. A sphere is within 0.5 % of the ellipsoid everywhere, far
/// below what a dash cam's fixes can tell.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A position in decimal degrees (WGS 84, as the receiver reports), north and east positive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatLon {
    /// Latitude, −90 to 90.
    pub lat: f64,
    /// Longitude, −180 to 180.
    pub lon: f64,
}

impl LatLon {
    /// Great-circle distance to `other` in km (haversine, numerically safe for tiny steps, which
    /// is what consecutive one-second fixes are).
    pub fn distance_km(self, other: LatLon) -> f64 {
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let half_dlat = (lat2 - lat1) / 2.0;
        let half_dlon = (other.lon - self.lon).to_radians() / 2.0;
        let h = half_dlat.sin().powi(2) + lat1.cos() * lat2.cos() * half_dlon.sin().powi(2);
        2.0 * EARTH_RADIUS_KM * h.sqrt().clamp(0.0, 1.0).asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        let a = LatLon { lat: 0.0, lon: 0.0 };
        // One degree along the equator or a meridian: 2πR/360.
        let degree = EARTH_RADIUS_KM * std::f64::consts::PI / 180.0;
        assert!((a.distance_km(LatLon { lat: 0.0, lon: 1.0 }) - degree).abs() < 1e-9);
        assert!((a.distance_km(LatLon { lat: 1.0, lon: 0.0 }) - degree).abs() < 1e-9);
        assert_eq!(a.distance_km(a), 0.0);
        // Antipodes: half the circumference, no NaN from rounding past 1.
        let half = a.distance_km(LatLon {
            lat: 0.0,
            lon: 180.0,
        });
        assert!((half - EARTH_RADIUS_KM * std::f64::consts::PI).abs() < 1e-6);
        // Paris–London, about 344 km.
        let paris = LatLon {
            lat: 48.8566,
            lon: 2.3522,
        };
        let london = LatLon {
            lat: 51.5074,
            lon: -0.1278,
        };
        assert!((paris.distance_km(london) - 343.9).abs() < 1.0);
    }
}
