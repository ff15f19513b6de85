//! Putting a `.imu` log's samples back on a monotonic time line.
//!
//! Each data line is stamped `header time + (counter − counter at header)` [imu_record.c:199-203],
//! computed in 32-bit unsigned arithmetic. What the counter is depends on the chip:
//!
//! - **BMI160** (board D161): its 24-bit sensor time × 39 µs [imu_bmi160.c:469], which wraps every
//!   2²⁴ × 39 µs = 654.311424 s. The firmware does not handle the wrap, and its unsigned
//!   subtraction turns it into a jump **forward** by 2³² − 654,311,424 µs (≈ 3640.66 s); within
//!   the second before the counter gets back to its starting value the 32-bit sum overflows and
//!   the stamps fall back by 2³² µs (≈ 4294.97 s), leaving them 654.31 s early from then on.
//! - **ICM-42631, SH3001** (boards D080, D081, D161V2, and some D161): the driver has no sensor
//!   time, so the counter is a variable nothing writes and every line of a file carries the same
//!   stamp.
//!
//! So the time line is rebuilt step by step: a step between two stamps is kept when it is a
//! plausible sampling interval, undone when it is one of the jumps above plus such an interval
//! (counted as a wrap), and replaced by the nominal 20 ms (the logger's 50 Hz [imu_task.c:184-188])
//! when neither (counted as estimated).

/// Period of the BMI160 time counter as the firmware scales it: 2²⁴ ticks of 39 µs.
pub const COUNTER_PERIOD_US: i64 = (1 << 24) * 39;

/// The span of the firmware's unsigned 32-bit microsecond arithmetic.
const U32_SPAN_US: i64 = 1 << 32;

/// What the unsigned arithmetic adds to a stamp at each kind of wrap (see the module doc); a
/// step is corrected by subtracting one of these.
const WRAP_JUMPS_US: [i64; 3] = [
    U32_SPAN_US - COUNTER_PERIOD_US,
    -U32_SPAN_US,
    -COUNTER_PERIOD_US,
];

/// Interval between samples when the stamps do not tell: the logger runs at 50 Hz.
pub const NOMINAL_PERIOD_US: i64 = 20_000;

/// Longest believable gap between two consecutive samples (the logger can stall on a busy card).
pub const MAX_STEP_US: i64 = 2_000_000;

/// How far the first sample may be from the header's time and still be trusted.
const FIRST_SAMPLE_WINDOW_US: std::ops::RangeInclusive<i64> = -1_000_000..=10_000_000;

/// Rebuilds sample times from their stamps, one sample at a time, in file order.
#[derive(Debug)]
pub struct Timeline {
    start_us: Option<i64>,
    previous: Option<(i64, i64)>,
    /// Steps undone as counter wraps.
    pub wraps: usize,
    /// Steps (or a first sample) that had to be estimated.
    pub estimated: usize,
}

impl Timeline {
    /// A time line for a file whose header says it opened at `start_us` (µs since 1970, on the
    /// same clock as the stamps), when it has a header.
    pub fn new(start_us: Option<i64>) -> Self {
        Self {
            start_us,
            previous: None,
            wraps: 0,
            estimated: 0,
        }
    }

    /// The corrected time of the next sample, stamped `stamp_us`, in µs on the stamps' clock.
    pub fn place(&mut self, stamp_us: i64) -> i64 {
        let placed = match (self.previous, self.start_us) {
            (Some((previous_stamp, previous_time)), _) => {
                let step = stamp_us.saturating_sub(previous_stamp);
                let step = match self.correct(step, 1..=MAX_STEP_US) {
                    Some(step) => step,
                    None => {
                        self.estimated += 1;
                        NOMINAL_PERIOD_US
                    }
                };
                previous_time.saturating_add(step)
            }
            (None, Some(start)) => {
                let offset = stamp_us.saturating_sub(start);
                match self.correct(offset, FIRST_SAMPLE_WINDOW_US) {
                    Some(offset) => start.saturating_add(offset),
                    None => {
                        self.estimated += 1;
                        start
                    }
                }
            }
            (None, None) => stamp_us,
        };
        self.previous = Some((stamp_us, placed));
        placed
    }

    /// `step` as it is, or with one wrap jump undone, when that lands in `range`.
    fn correct(&mut self, step: i64, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
        if range.contains(&step) {
            return Some(step);
        }
        let undone = WRAP_JUMPS_US
            .iter()
            .map(|jump| step.saturating_sub(*jump))
            .find(|s| range.contains(s))?;
        self.wraps += 1;
        Some(undone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the firmware prints for a sample `elapsed_us` after a header at `header_us` whose
    /// counter read `counter0`: exactly the unsigned 32-bit sums of imu_record.c:199-203.
    fn bmi160_stamp(header_us: i64, counter0: u32, elapsed_us: i64) -> i64 {
        let period = COUNTER_PERIOD_US as u64;
        let counter = ((u64::from(counter0) + elapsed_us as u64) % period) as u32;
        let passed = counter.wrapping_sub(counter0);
        let (sec, usec) = (header_us / 1_000_000, (header_us % 1_000_000) as u32);
        let sum = usec.wrapping_add(passed);
        (sec + i64::from(sum / 1_000_000)) * 1_000_000 + i64::from(sum % 1_000_000)
    }

    #[test]
    fn undoes_every_wrap_of_the_bmi160_counter_exactly() {
        let header = 1_728_719_820_250_000;
        // Start near the end of the counter's range so the first wrap comes early, and run
        // through three periods (the 32-bit overflow window included).
        for counter0 in [COUNTER_PERIOD_US as u32 - 5_000_000, 1_234_567, 0] {
            let mut timeline = Timeline::new(Some(header));
            let mut elapsed = 3_000;
            let mut seen_jump = false;
            while elapsed < 3 * COUNTER_PERIOD_US {
                let stamp = bmi160_stamp(header, counter0, elapsed);
                seen_jump |= stamp - header - elapsed != 0;
                assert_eq!(
                    timeline.place(stamp),
                    header + elapsed,
                    "counter0 {counter0} at {elapsed}"
                );
                elapsed += 19_997;
            }
            assert!(seen_jump);
            assert_eq!(timeline.estimated, 0);
            assert!(timeline.wraps >= 2, "{}", timeline.wraps);
        }
    }

    #[test]
    fn the_first_wrap_is_a_jump_forward() {
        // Documented above; checked here against the firmware arithmetic.
        let header = 1_728_719_820_000_000;
        let counter0 = COUNTER_PERIOD_US as u32 - 1_000;
        let stamp = bmi160_stamp(header, counter0, 21_000);
        assert_eq!(stamp - header, 21_000 + U32_SPAN_US - COUNTER_PERIOD_US);
        let mut timeline = Timeline::new(Some(header));
        assert_eq!(timeline.place(stamp), header + 21_000);
        assert_eq!(timeline.wraps, 1);
    }

    #[test]
    fn frozen_stamps_advance_at_the_nominal_rate() {
        // ICM-42631: every line carries the same stamp.
        let header = 1_728_719_820_000_000;
        let mut timeline = Timeline::new(Some(header));
        let times: Vec<i64> = (0..4).map(|_| timeline.place(header)).collect();
        assert_eq!(
            times,
            [header, header + 20_000, header + 40_000, header + 60_000]
        );
        assert_eq!((timeline.estimated, timeline.wraps), (3, 0));
        // A frozen stamp far from the header (garbage counter): the header time is used.
        let mut timeline = Timeline::new(Some(header));
        assert_eq!(timeline.place(header + 987_654_321_000), header);
        assert_eq!(timeline.place(header + 987_654_321_000), header + 20_000);
    }

    #[test]
    fn without_a_header_the_stamps_lead() {
        let mut timeline = Timeline::new(None);
        assert_eq!(timeline.place(5_000_000), 5_000_000);
        assert_eq!(timeline.place(5_020_000), 5_020_000);
        assert_eq!(timeline.place(i64::MIN), 5_040_000);
        assert_eq!(timeline.place(i64::MAX), 5_060_000);
    }
}
