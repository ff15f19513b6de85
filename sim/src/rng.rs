//! A deterministic xorshift generator: the same seed always builds the same card, on every
//! machine and every version (what tests and benchmarks compare against must not drift).

/// Xorshift64.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (zero, which xorshift cannot leave, becomes one).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}
