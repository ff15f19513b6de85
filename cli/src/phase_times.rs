//! Where `dashcard report` spends its time, phase by phase, for `--stats`: the benchmark's
//! profile (README, "Measured: the reading benchmark") comes from these figures. Measured
//! here in the CLI, not in the core, which also runs in a browser worker where
//! `std::time::Instant` does not exist.

use std::time::{Duration, Instant};

/// Wall time of each phase so far, in the order they ran.
pub struct PhaseTimes {
    last: Instant,
    phases: Vec<(&'static str, Duration)>,
}

impl PhaseTimes {
    /// Starts the clock.
    pub fn start() -> Self {
        Self {
            last: Instant::now(),
            phases: Vec::new(),
        }
    }

    /// Records the time since the previous phase ended as phase `name`.
    pub fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        self.phases.push((name, now - self.last));
        self.last = now;
    }

    /// One line: each phase in milliseconds, then their total.
    pub fn line(&self) -> String {
        let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
        let total: Duration = self.phases.iter().map(|(_, d)| *d).sum();
        let parts: Vec<String> = self
            .phases
            .iter()
            .map(|(name, d)| format!("{name} {:.1}", ms(d)))
            .collect();
        format!("phases (ms): {}; total {:.1}", parts.join(", "), ms(&total))
    }
}
