//! Impacts: moments when the accelerometer felt a jolt well beyond gravity.
//!
//! At rest or cruising the acceleration's magnitude is about 1 g (gravity); braking hard adds a
//! few tenths. A sample counts when its magnitude exceeds 1 g by more than a threshold (1.5 g by
//! default, i.e. 2.5 g in all, what a collision or a deep pothole gives and driving does not).
//! Samples over the threshold within 2 s of each other are one impact: a crash rings for a
//! moment, and one event should be reported once.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::geo::LatLon;
use super::gnss::Fix;

/// Default threshold: magnitude minus 1 g, in g.
pub const DEFAULT_THRESHOLD_G: f64 = 1.5;

/// Samples over the threshold this close together belong to one impact.
pub const MERGE_WINDOW_MS: i64 = 2_000;

/// How far in time the nearest fix may be to give an impact its speed and position.
pub const FIX_WINDOW_MS: i64 = 3_000;

/// One impact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Impact {
    /// When the jolt peaked.
    pub at_utc: DateTime<Utc>,
    /// The peak acceleration's magnitude in g (gravity included: 1 g is rest).
    pub peak_g: f64,
    /// First sample over the threshold.
    pub from_utc: DateTime<Utc>,
    /// Last sample over the threshold.
    pub to_utc: DateTime<Utc>,
    /// How many samples were over the threshold.
    pub samples_over: usize,
    /// Speed of the fix nearest in time (within [`FIX_WINDOW_MS`]), in km/h.
    pub speed_kmh: Option<f64>,
    /// Position of that fix.
    pub position: Option<LatLon>,
}

impl Impact {
    /// True when the impact peaked inside `from..=to`, e.g. the window of an SOS recording.
    pub fn is_within(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        (from..=to).contains(&self.at_utc)
    }

    /// A one-sample impact.
    pub(crate) fn at_sample(at_utc: DateTime<Utc>, g: f64) -> Self {
        Self {
            at_utc,
            peak_g: g,
            from_utc: at_utc,
            to_utc: at_utc,
            samples_over: 1,
            speed_kmh: None,
            position: None,
        }
    }

    /// True when `later` (which starts no earlier) belongs to the same event.
    fn reaches(&self, later: &Impact) -> bool {
        let reach = self
            .to_utc
            .checked_add_signed(Duration::milliseconds(MERGE_WINDOW_MS));
        reach.is_none_or(|reach| later.from_utc <= reach)
    }

    /// Takes `later` into this impact.
    fn absorb(&mut self, later: Impact) {
        if later.peak_g > self.peak_g {
            self.peak_g = later.peak_g;
            self.at_utc = later.at_utc;
        }
        self.to_utc = self.to_utc.max(later.to_utc);
        self.samples_over = self.samples_over.saturating_add(later.samples_over);
    }
}

/// Groups over-threshold moments (each a one-sample [`Impact`], or impacts found earlier) into
/// impacts, in time order. `n log n` in their number.
pub(crate) fn merge(mut moments: Vec<Impact>) -> Vec<Impact> {
    crate::sort::sort_by_key(&mut moments, |m| m.from_utc);
    let mut merged: Vec<Impact> = Vec::new();
    for moment in moments {
        match merged.last_mut() {
            Some(last) if last.reaches(&moment) => last.absorb(moment),
            _ => merged.push(moment),
        }
    }
    merged
}

/// Gives `impact` the speed and position of the fix nearest in time in `track` (sorted by time),
/// when one is within [`FIX_WINDOW_MS`].
pub(crate) fn locate(impact: &mut Impact, track: &[Fix]) {
    let after = track.partition_point(|f| f.at_utc < impact.at_utc);
    let candidates = [after.checked_sub(1), Some(after)];
    let nearest = candidates
        .into_iter()
        .flatten()
        .filter_map(|i| track.get(i))
        .min_by_key(|f| (f.at_utc - impact.at_utc).abs());
    if let Some(fix) = nearest
        .filter(|f| (f.at_utc - impact.at_utc).abs() <= Duration::milliseconds(FIX_WINDOW_MS))
    {
        impact.speed_kmh = fix.speed_kmh;
        impact.position = Some(fix.position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_728_719_820_000 + ms).unwrap()
    }

    fn fix(ms: i64, lat: f64) -> Fix {
        Fix {
            at_utc: t(ms),
            position: LatLon { lat, lon: 0.0 },
            speed_kmh: Some(lat),
            course_deg: None,
            altitude_m: None,
            hdop: None,
        }
    }

    #[test]
    fn merges_within_two_seconds_and_keeps_the_peak() {
        let moments = vec![
            Impact::at_sample(t(3_000), 2.6),
            Impact::at_sample(t(0), 2.7),
            Impact::at_sample(t(1_000), 3.1),
            Impact::at_sample(t(5_001), 2.9),
            Impact::at_sample(t(9_000), 2.8),
        ];
        let impacts = merge(moments);
        assert_eq!(impacts.len(), 3);
        assert_eq!(
            (
                impacts[0].at_utc,
                impacts[0].peak_g,
                impacts[0].samples_over
            ),
            (t(1_000), 3.1, 3)
        );
        assert_eq!((impacts[0].from_utc, impacts[0].to_utc), (t(0), t(3_000)));
        assert_eq!(
            impacts[1].at_utc,
            t(5_001),
            "2.001 s after the last sample: a new impact"
        );
        assert_eq!(impacts[2].at_utc, t(9_000));
        assert!(impacts[0].is_within(t(0), t(1_000)));
        assert!(!impacts[0].is_within(t(1_001), t(60_000)));
    }

    #[test]
    fn nearest_fix_within_three_seconds() {
        let track = [fix(0, 1.0), fix(1_000, 2.0), fix(10_000, 3.0)];
        let mut impact = Impact::at_sample(t(1_400), 3.0);
        locate(&mut impact, &track);
        assert_eq!(impact.speed_kmh, Some(2.0));
        let mut impact = Impact::at_sample(t(7_500), 3.0);
        locate(&mut impact, &track);
        assert_eq!(impact.position.map(|p| p.lat), Some(3.0));
        let mut impact = Impact::at_sample(t(5_000), 3.0);
        locate(&mut impact, &track);
        assert_eq!((impact.speed_kmh, impact.position), (None, None));
        let mut impact = Impact::at_sample(t(-100), 3.0);
        locate(&mut impact, &[]);
        assert_eq!(impact.position, None);
    }
}
