//! A drive's telemetry from its clips: the track, how far and how fast, and the impacts.
//!
//! Clips are added one at a time ([`DriveBuilder::add_clip`]) so a caller can parse a clip's
//! sidecars, add them and drop them: the builder keeps the fixes (one a second) and the
//! over-threshold moments only, never the 50 Hz samples.
//!
//! Receivers now and then report a position hundreds of metres off for a second. A fix that
//! would mean moving faster than 200 km/h from the last kept one is dropped (and counted); after
//! three such in a row it is the kept one that was wrong, so the track starts again from the
//! new position, adding no distance across the jump.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::gnss::{Fix, GnssLog, KM_PER_MILE};
use super::impact::{self, DEFAULT_THRESHOLD_G, Impact};
use super::imu::ImuLog;

/// Consecutive fixes implying more than this are jumps, not driving.
pub const MAX_PLAUSIBLE_SPEED_KMH: f64 = 200.0;

/// Jumps in a row after which the track restarts from the new position.
const MAX_JUMPS_IN_A_ROW: usize = 3;

/// Most fixes kept for one drive: 72 hours at one a second. Further ones are counted in
/// [`DriveTelemetry::dropped_fixes`].
pub const MAX_DRIVE_FIXES: usize = 72 * 3600;

/// Most separate over-threshold moments kept for one drive (a broken sensor can make every
/// sample one). Further ones are counted in [`DriveTelemetry::dropped_impact_moments`].
pub const MAX_IMPACT_MOMENTS: usize = 65_536;

/// Settings for a drive's analysis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DriveOptions {
    /// A sample is part of an impact when its magnitude exceeds 1 g by more than this (in g).
    pub impact_threshold_g: f64,
}

impl Default for DriveOptions {
    fn default() -> Self {
        Self {
            impact_threshold_g: DEFAULT_THRESHOLD_G,
        }
    }
}

/// A drive's telemetry.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DriveTelemetry {
    /// The fixes, in time order, without duplicates and jumps.
    pub track: Vec<Fix>,
    /// Length of the track in km (great-circle steps between its fixes).
    pub distance_km: f64,
    /// The highest speed the receiver reported along the track, in km/h.
    pub max_speed_kmh: Option<f64>,
    /// Fixes dropped as jumps (implying more than [`MAX_PLAUSIBLE_SPEED_KMH`]).
    pub dropped_jumps: usize,
    /// Fixes dropped because an earlier one had the same time (the same sidecar added twice, or
    /// the logger reading one receiver second twice).
    pub duplicate_fixes: usize,
    /// Fixes past [`MAX_DRIVE_FIXES`], not kept.
    pub dropped_fixes: usize,
    /// Accelerometer samples looked at.
    pub imu_samples: usize,
    /// The threshold the impacts were found with (g above 1 g).
    pub impact_threshold_g: f64,
    /// Impacts, in time order.
    pub impacts: Vec<Impact>,
    /// Over-threshold moments past [`MAX_IMPACT_MOMENTS`], not kept.
    pub dropped_impact_moments: usize,
    /// The largest |a| of each second with samples, in time order: what the page's G-force
    /// chart draws and re-derives impacts from at another threshold (at most
    /// [`MAX_DRIVE_FIXES`] seconds).
    #[serde(default)]
    pub g_per_second: Vec<GPeak>,
}

/// The strongest acceleration within one second, and when it was.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GPeak {
    /// When the strongest sample of the second was taken.
    pub at_utc: DateTime<Utc>,
    /// Its |a| in g (1 at rest).
    pub g: f64,
}

impl DriveTelemetry {
    /// Time of the first fix.
    pub fn start_utc(&self) -> Option<DateTime<Utc>> {
        self.track.first().map(|f| f.at_utc)
    }

    /// Time of the last fix.
    pub fn end_utc(&self) -> Option<DateTime<Utc>> {
        self.track.last().map(|f| f.at_utc)
    }

    /// [`Self::max_speed_kmh`] in miles per hour.
    pub fn max_speed_mph(&self) -> Option<f64> {
        self.max_speed_kmh.map(|kmh| kmh / KM_PER_MILE)
    }

    /// The impacts at another threshold (g over 1 g), found in [`Self::g_per_second`]: the same
    /// moments and peaks as from every sample, bounds to the second.
    pub fn impacts_at(&self, threshold_g: f64) -> Vec<Impact> {
        let over = self
            .g_per_second
            .iter()
            .filter(|p| p.g - 1.0 > threshold_g)
            .map(|p| Impact::at_sample(p.at_utc, p.g))
            .collect();
        let mut impacts = impact::merge(over);
        for impact in &mut impacts {
            impact::locate(impact, &self.track);
        }
        impacts
    }

    /// The impacts that peaked inside `from..=to` (e.g. an SOS recording's window).
    pub fn impacts_within(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = &Impact> {
        self.impacts.iter().filter(move |i| i.is_within(from, to))
    }
}

/// Collects a drive's clips, in any order, then works out its telemetry.
#[derive(Debug)]
pub struct DriveBuilder {
    options: DriveOptions,
    fixes: Vec<Fix>,
    moments: Vec<Impact>,
    imu_samples: usize,
    dropped_fixes: usize,
    dropped_moments: usize,
    g_per_second: Vec<GPeak>,
}

impl DriveBuilder {
    /// An empty drive.
    pub fn new(options: DriveOptions) -> Self {
        Self {
            options,
            fixes: Vec::new(),
            moments: Vec::new(),
            imu_samples: 0,
            dropped_fixes: 0,
            dropped_moments: 0,
            g_per_second: Vec::new(),
        }
    }

    /// Adds one clip's logs (`None` for a sidecar that is missing).
    pub fn add_clip(&mut self, gnss: Option<&GnssLog>, imu: Option<&ImuLog>) {
        if let Some(gnss) = gnss {
            let room = MAX_DRIVE_FIXES.saturating_sub(self.fixes.len());
            let take = gnss.fixes.len().min(room);
            self.fixes.extend(gnss.fixes.iter().take(take).cloned());
            self.dropped_fixes += gnss.fixes.len() - take;
        }
        if let Some(imu) = imu {
            self.imu_samples = self.imu_samples.saturating_add(imu.samples.len());
            let threshold = self.options.impact_threshold_g;
            let over = imu.samples.iter().filter_map(|s| {
                let g = s.magnitude_g();
                (g - 1.0 > threshold).then(|| Impact::at_sample(s.at_utc, g))
            });
            let over: Vec<Impact> = over.collect();
            self.add_peaks(imu);
            // Merge the clip's own moments first: a long jolt is one moment, not hundreds.
            for moment in impact::merge(over) {
                if self.moments.len() < MAX_IMPACT_MOMENTS {
                    self.moments.push(moment);
                } else {
                    self.dropped_moments += 1;
                }
            }
        }
    }

    /// Keeps each second's strongest sample of `imu`.
    fn add_peaks(&mut self, imu: &ImuLog) {
        let mut current: Option<GPeak> = None;
        for s in &imu.samples {
            let peak = GPeak {
                at_utc: s.at_utc,
                g: s.magnitude_g(),
            };
            match &mut current {
                Some(c) if c.at_utc.timestamp() == s.at_utc.timestamp() => {
                    if peak.g > c.g {
                        *c = peak;
                    }
                }
                _ => {
                    if let Some(done) = current.replace(peak)
                        && self.g_per_second.len() < MAX_DRIVE_FIXES
                    {
                        self.g_per_second.push(done);
                    }
                }
            }
        }
        if let Some(done) = current
            && self.g_per_second.len() < MAX_DRIVE_FIXES
        {
            self.g_per_second.push(done);
        }
    }

    /// The drive's telemetry.
    pub fn finish(self) -> DriveTelemetry {
        let mut fixes = self.fixes;
        crate::sort::sort_by_key(&mut fixes, |f| f.at_utc);
        let before = fixes.len();
        fixes.dedup_by_key(|f| f.at_utc);
        let duplicate_fixes = before - fixes.len();
        let (track, distance_km, dropped_jumps) = drop_jumps(fixes);
        let mut g_per_second = self.g_per_second;
        crate::sort::sort_by_key(&mut g_per_second, |p| p.at_utc);
        g_per_second.dedup_by_key(|p| p.at_utc.timestamp());
        let mut impacts = impact::merge(self.moments);
        for impact in &mut impacts {
            impact::locate(impact, &track);
        }
        DriveTelemetry {
            max_speed_kmh: track
                .iter()
                .filter_map(|f| f.speed_kmh)
                .max_by(f64::total_cmp),
            track,
            distance_km,
            dropped_jumps,
            duplicate_fixes,
            dropped_fixes: self.dropped_fixes,
            imu_samples: self.imu_samples,
            impact_threshold_g: self.options.impact_threshold_g,
            impacts,
            dropped_impact_moments: self.dropped_moments,
            g_per_second,
        }
    }
}

/// A drive's telemetry from its clips' logs.
pub fn derive_drive<'a>(
    clips: impl IntoIterator<Item = (Option<&'a GnssLog>, Option<&'a ImuLog>)>,
    options: DriveOptions,
) -> DriveTelemetry {
    let mut builder = DriveBuilder::new(options);
    for (gnss, imu) in clips {
        builder.add_clip(gnss, imu);
    }
    builder.finish()
}

/// Drops jumps from time-ordered fixes with distinct times: the kept fixes, the distance along
/// them in km, and how many were dropped.
fn drop_jumps(fixes: Vec<Fix>) -> (Vec<Fix>, f64, usize) {
    let mut track: Vec<Fix> = Vec::with_capacity(fixes.len());
    let mut distance_km = 0.0;
    let mut dropped = 0;
    let mut in_a_row = 0;
    for fix in fixes {
        let Some(last) = track.last() else {
            track.push(fix);
            continue;
        };
        let step_km = last.position.distance_km(fix.position);
        let hours = (fix.at_utc - last.at_utc).num_milliseconds() as f64 / 3_600_000.0;
        let plausible = step_km <= MAX_PLAUSIBLE_SPEED_KMH * hours;
        if plausible {
            distance_km += step_km;
            in_a_row = 0;
            track.push(fix);
        } else if in_a_row >= MAX_JUMPS_IN_A_ROW {
            in_a_row = 0;
            track.push(fix);
        } else {
            in_a_row += 1;
            dropped += 1;
        }
    }
    (track, distance_km, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::geo::LatLon;

    fn fix(s: i64, lat: f64, kmh: f64) -> Fix {
        Fix {
            at_utc: DateTime::from_timestamp(1_728_719_820 + s, 0).unwrap(),
            position: LatLon { lat, lon: 0.0 },
            speed_kmh: Some(kmh),
            course_deg: None,
            altitude_m: None,
            hdop: None,
        }
    }

    /// Degrees of latitude covered in one second at `kmh`.
    fn per_second(kmh: f64) -> f64 {
        kmh / 3600.0 / (super::super::geo::EARTH_RADIUS_KM * std::f64::consts::PI / 180.0)
    }

    fn drive(fixes: Vec<Fix>) -> DriveTelemetry {
        let gnss = GnssLog {
            fixes,
            ..GnssLog::default()
        };
        derive_drive([(Some(&gnss), None)], DriveOptions::default())
    }

    #[test]
    fn a_spike_is_dropped_and_the_distance_kept() {
        let d = per_second(90.0);
        let mut fixes: Vec<Fix> = (0..10).map(|s| fix(s, s as f64 * d, 90.0)).collect();
        fixes[4].position.lat += 0.01; // 1.1 km off for one second
        fixes[4].speed_kmh = Some(300.0);
        let t = drive(fixes);
        assert_eq!((t.track.len(), t.dropped_jumps), (9, 1));
        assert!((t.distance_km - 9.0 * 90.0 / 3600.0).abs() < 1e-9);
        assert_eq!(t.max_speed_kmh, Some(90.0));
    }

    #[test]
    fn a_wrong_first_fix_is_left_behind() {
        let d = per_second(50.0);
        let mut fixes = vec![fix(0, 10.0, 0.0)];
        fixes.extend((1..20).map(|s| fix(s, s as f64 * d, 50.0)));
        let t = drive(fixes);
        assert_eq!(t.dropped_jumps, MAX_JUMPS_IN_A_ROW);
        // Restarted at the fourth good fix: 15 steps of 50 km/h after it, no distance for the jump.
        assert!(
            (t.distance_km - 15.0 * 50.0 / 3600.0).abs() < 1e-9,
            "{}",
            t.distance_km
        );
    }

    #[test]
    fn order_and_duplicates() {
        let d = per_second(36.0);
        let fixes = vec![
            fix(2, 2.0 * d, 36.0),
            fix(0, 0.0, 36.0),
            fix(1, d, 36.0),
            fix(1, d, 36.0),
        ];
        let t = drive(fixes);
        assert_eq!(t.duplicate_fixes, 1);
        assert_eq!(
            t.track
                .iter()
                .map(|f| f.at_utc.timestamp() - 1_728_719_820)
                .collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert!((t.distance_km - 0.02).abs() < 1e-9);
        assert_eq!(t.start_utc(), Some(t.track[0].at_utc));
        assert!((t.max_speed_mph().unwrap() - 22.369).abs() < 1e-3);
    }

    #[test]
    fn empty() {
        let t = derive_drive([], DriveOptions::default());
        assert_eq!((t.distance_km, t.track.len(), t.impacts.len()), (0.0, 0, 0));
        assert_eq!(t.start_utc(), None);
    }
}
