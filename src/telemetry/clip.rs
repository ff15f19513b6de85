//! One clip's telemetry in a few numbers, for listings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::geo::LatLon;
use super::gnss::GnssLog;
use super::imu::ImuLog;

/// What a clip's sidecars say, in brief.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClipSummary {
    /// GNSS records (one a second while recording), with or without a fix.
    pub gnss_points: usize,
    /// Of those, the ones with a position.
    pub gnss_fixes: usize,
    /// The earliest position.
    pub first_fix: Option<LatLon>,
    /// The highest speed the receiver reported, in km/h.
    pub max_speed_kmh: Option<f64>,
    /// Accelerometer samples.
    pub imu_samples: usize,
    /// The largest acceleration's magnitude, in g (1 g is rest).
    pub peak_g: Option<f64>,
    /// When it happened.
    pub peak_g_at_utc: Option<DateTime<Utc>>,
}

/// Summarises a clip from its logs (`None` for a sidecar that is missing).
pub fn summarize_clip(gnss: Option<&GnssLog>, imu: Option<&ImuLog>) -> ClipSummary {
    let fixes = gnss.map(|g| g.fixes.as_slice()).unwrap_or_default();
    let peak = imu.and_then(ImuLog::peak);
    ClipSummary {
        gnss_points: gnss.map_or(0, |g| g.points),
        gnss_fixes: fixes.len(),
        first_fix: fixes.iter().min_by_key(|f| f.at_utc).map(|f| f.position),
        max_speed_kmh: fixes
            .iter()
            .filter_map(|f| f.speed_kmh)
            .max_by(f64::total_cmp),
        imu_samples: imu.map_or(0, |i| i.samples.len()),
        peak_g: peak.map(|p| p.magnitude_g()),
        peak_g_at_utc: peak.map(|p| p.at_utc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::gnss::parse_gnss;
    use crate::telemetry::imu::parse_imu;

    #[test]
    fn summarizes() {
        let gnss = parse_gnss(
            b"t0=1728719820.000\nts=0.001\n10,1,1,00000000,,,,,ANNN,0,0.00,0,0.0\n\
              10,2,2,07570200,4807038,01131000,10.0,1,ANNN,0,1.00,0,0.0\n\
              10,3,2,07570300,4807138,01131000,20.0,1,ANNN,0,1.00,0,0.0\n",
            None,
        );
        let imu = parse_imu(
            b"1728719820.020000|G:0,0,9.8,-1,0,0,0,0,0\n1728719820.040000|G:0,19.6,9.8,-1,0,0,0,0,0\n",
            None,
        );
        let s = summarize_clip(Some(&gnss), Some(&imu));
        assert_eq!((s.gnss_points, s.gnss_fixes, s.imu_samples), (3, 2, 2));
        assert!((s.first_fix.unwrap().lat - (48.0 + 7.038 / 60.0)).abs() < 1e-9);
        assert!((s.max_speed_kmh.unwrap() - 37.04).abs() < 1e-9);
        assert!((s.peak_g.unwrap() - 5f64.sqrt()).abs() < 1e-6);
        assert_eq!(s.peak_g_at_utc, Some(imu.samples[1].at_utc));
        assert_eq!(summarize_clip(None, None), ClipSummary::default());
    }
}
