//! The wall clock, for the only two things the command measures outside a simulation:
//! the time limit of an external program (which may hang outside the simulated world)
//! and the seeds per second a sweep prints. Nothing a run computes depends on it.

// The workspace forbids the wall clock in the model (clippy.toml); this is not the model.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

use std::time::Duration;

/// Wall-clock time since it was started.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch(std::time::Instant);

impl Stopwatch {
    /// Starts now.
    pub fn start() -> Stopwatch {
        Stopwatch(std::time::Instant::now())
    }

    /// Wall-clock time since the start.
    pub fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}
