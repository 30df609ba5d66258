//! The production adapters of the domain's clock and randomness ports.

use chrono::{DateTime, Timelike, Utc};
use portal_domain::ports::{Clock, RandomSource};

/// The system clock, cut to microseconds (what the stores keep).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
            .unwrap_or(now)
    }
}

/// The operating system's secure random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, dest: &mut [u8]) {
        // Without working OS randomness no token would be safe: stop.
        getrandom::fill(dest).expect("the operating system's random source failed");
    }
}
