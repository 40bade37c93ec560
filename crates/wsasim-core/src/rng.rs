//! The one seeded, portable random number generator of a run.
//!
//! ChaCha8 (`rand_chacha`), whose output stream is specified by the algorithm and does
//! not depend on the platform or the crate's internals, so a seed means the same run
//! everywhere. Nothing in the model draws entropy from anywhere else.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The run's random number generator.
#[derive(Debug, Clone)]
pub struct Rng {
    inner: ChaCha8Rng,
    draws: u64,
}

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
            draws: 0,
        }
    }

    /// A uniformly distributed value in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        self.draws += 1;
        // Lemire's nearly-divisionless method, rejection on the low product.
        let mut x = self.inner.next_u64();
        let mut m = (x as u128) * (n as u128);
        let mut lo = m as u64;
        if lo < n {
            let t = n.wrapping_neg() % n;
            while lo < t {
                x = self.inner.next_u64();
                m = (x as u128) * (n as u128);
                lo = m as u64;
            }
        }
        (m >> 64) as u64
    }

    /// True with probability `num / den` (integer ratios, never floats).
    pub fn ratio(&mut self, num: u32, den: u32) -> bool {
        den != 0 && (num >= den || self.below(den as u64) < num as u64)
    }

    /// How many values have been drawn (part of the trace's determinism check).
    pub fn draws(&self) -> u64 {
        self.draws
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..100 {
            assert_eq!(a.below(1000), b.below(1000));
        }
        let mut c = Rng::new(43);
        let same = (0..100)
            .filter(|_| a.below(1 << 40) == c.below(1 << 40))
            .count();
        assert!(same < 5);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(7);
        for n in 1..50 {
            for _ in 0..20 {
                assert!(r.below(n) < n);
            }
        }
        assert!(r.ratio(1, 1));
        assert!(!r.ratio(0, 5));
    }
}
