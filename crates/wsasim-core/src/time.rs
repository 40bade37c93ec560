//! Virtual time: nanoseconds from the start of the run. The model never reads a clock;
//! every entry point that can arm or fire a timer uses the world's [`Instant`].

use core::fmt;
use core::ops::{Add, Sub};

/// A point in virtual time, in nanoseconds since the run began.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

/// A span of virtual time, in nanoseconds.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Instant {
    /// The start of every run.
    pub const ZERO: Instant = Instant(0);
    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// An instant from nanoseconds since the start.
    pub const fn from_nanos(ns: u64) -> Instant {
        Instant(ns)
    }
    /// Time since `earlier` (zero when `earlier` is later).
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// No time.
    pub const ZERO: Duration = Duration(0);
    /// A span of `ns` nanoseconds.
    pub const fn from_nanos(ns: u64) -> Duration {
        Duration(ns)
    }
    /// A span of `us` microseconds.
    pub const fn from_micros(us: u64) -> Duration {
        Duration(us.saturating_mul(1_000))
    }
    /// A span of `ms` milliseconds (the unit of Winsock timeouts).
    pub const fn from_millis(ms: u64) -> Duration {
        Duration(ms.saturating_mul(1_000_000))
    }
    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// Whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0 / 1_000_000
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_since(earlier)
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Instant {
    /// `t=1.000250ms`: fixed format, identical in every run.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}.{:06}ms", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}ms", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

/// The virtual clock. It only moves forward, and only when the world is stepped.
#[derive(Debug, Default)]
pub struct Clock {
    now: Instant,
}

impl Clock {
    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }
    /// Moves the clock to `t`.
    ///
    /// # Panics
    /// If `t` is in the past: virtual time never runs backwards.
    pub fn advance_to(&mut self, t: Instant) {
        assert!(
            t >= self.now,
            "virtual time runs backwards: {t} < {}",
            self.now
        );
        self.now = t;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_the_same_in_every_run() {
        let t = Instant::ZERO + Duration::from_micros(1_250);
        assert_eq!(t.to_string(), "t=1.250000ms");
        assert_eq!(Duration::from_millis(3).as_nanos(), 3_000_000);
    }

    #[test]
    #[should_panic(expected = "virtual time runs backwards")]
    fn clock_never_runs_backwards() {
        let mut c = Clock::default();
        c.advance_to(Instant::from_nanos(10));
        c.advance_to(Instant::from_nanos(5));
    }
}
