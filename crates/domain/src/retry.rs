//! When to try a failed delivery again. The schedule is data; the jitter comes in as an
//! argument so tests can drive it.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrySchedule {
    /// Wait before the 2nd, 3rd, ... attempt, in milliseconds. Its length is the number of
    /// retries after the first attempt.
    pub delays_ms: Vec<u64>,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        // 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h: about 8 hours of patience.
        RetrySchedule {
            delays_ms: vec![
                5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000,
            ],
        }
    }
}

impl RetrySchedule {
    /// When to try again after `attempts_made` failed attempts, or `None` when the schedule is
    /// used up. `jitter` in [0, 1) spreads retries by up to a tenth of the delay.
    pub fn next_attempt(&self, attempts_made: u32, now: Timestamp, jitter: f64) -> Option<Timestamp> {
        let delay = *self.delays_ms.get(attempts_made.checked_sub(1)? as usize)?;
        let spread = (delay as f64 * 0.1 * jitter.clamp(0.0, 1.0)) as u64;
        let wait = SignedDuration::from_millis((delay + spread).min(i64::MAX as u64) as i64);
        now.checked_add(wait).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_schedule_and_then_gives_up() {
        let s = RetrySchedule {
            delays_ms: vec![1_000, 60_000],
        };
        let t0 = Timestamp::from_second(1_000).unwrap();
        assert_eq!(s.next_attempt(1, t0, 0.0), Some(Timestamp::from_second(1_001).unwrap()));
        assert_eq!(s.next_attempt(2, t0, 0.0), Some(Timestamp::from_second(1_060).unwrap()));
        assert_eq!(s.next_attempt(2, t0, 0.5), Some(Timestamp::from_second(1_063).unwrap()));
        assert_eq!(s.next_attempt(3, t0, 0.0), None);
    }
}
