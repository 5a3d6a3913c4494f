//! Provider failover: which of a channel's providers (in the operator's order) a message goes
//! to next, and each provider's circuit breaker, which skips a provider for a cool-down after
//! failures in a row and then lets one message probe it. Pure: the time is passed in.

use jiff::{SignedDuration, Timestamp};

/// When a breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Failures in a row that open the breaker (at least 1).
    pub failures: u32,
    /// How long an open breaker skips its provider before one message probes it.
    pub cool_down: SignedDuration,
}

/// One provider's breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breaker {
    /// Takes traffic; `failures` in a row so far.
    Closed { failures: u32 },
    /// Skipped until `until`.
    Open { until: Timestamp },
    /// One message probes it since `since`; others skip it until the probe's answer (or, if
    /// none comes, a cool-down later, when another message probes it).
    Probing { since: Timestamp },
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker::Closed { failures: 0 }
    }
}

/// How one call to a provider ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// It took the message.
    Accepted,
    /// It refused this message for good (a 4xx: a bad number, a bad address). The provider
    /// works; another would refuse it too, so it is not tried elsewhere.
    Rejected,
    /// It did not take the message: a 5xx, a 429, a connection that could not be made. The
    /// next provider may take it at once, with the same idempotency key.
    Refused,
    /// No answer in time: it may have taken the message, so no other provider gets it now (a
    /// double would reach the receiver); it is tried again later.
    Unsure,
}

impl CallEnd {
    /// Whether the message goes on to the next provider now.
    pub fn try_next(self) -> bool {
        self == CallEnd::Refused
    }

    fn failed(self) -> bool {
        matches!(self, CallEnd::Refused | CallEnd::Unsure)
    }
}

impl Breaker {
    /// The breaker's state if a message goes to its provider at `now`; `None` while it skips
    /// the provider.
    pub fn admit(self, policy: BreakerPolicy, now: Timestamp) -> Option<Breaker> {
        match self {
            Breaker::Closed { .. } => Some(self),
            Breaker::Open { until } if now >= until => Some(Breaker::Probing { since: now }),
            Breaker::Probing { since } if now >= plus(since, policy.cool_down) => Some(Breaker::Probing { since: now }),
            Breaker::Open { .. } | Breaker::Probing { .. } => None,
        }
    }

    /// The breaker after a call to its provider ended as `end` at `now`.
    pub fn after(self, end: CallEnd, policy: BreakerPolicy, now: Timestamp) -> Breaker {
        let open = Breaker::Open {
            until: plus(now, policy.cool_down),
        };
        match (self, end.failed()) {
            (_, false) => Breaker::Closed { failures: 0 },
            (Breaker::Closed { failures }, true) if failures + 1 >= policy.failures.max(1) => open,
            (Breaker::Closed { failures }, true) => Breaker::Closed { failures: failures + 1 },
            (Breaker::Probing { .. }, true) => open,
            // A call that began before the breaker opened: it stays open as it was.
            (Breaker::Open { .. }, true) => self,
        }
    }

    /// When it lets a message through again (now, for a closed one).
    fn opens_at(self, policy: BreakerPolicy) -> Option<Timestamp> {
        match self {
            Breaker::Closed { .. } => None,
            Breaker::Open { until } => Some(until),
            Breaker::Probing { since } => Some(plus(since, policy.cool_down)),
        }
    }
}

/// The provider a message goes to next, with its breaker's new state: the first after
/// `after` (an index into the operator's order; `None` before any was tried) whose breaker
/// admits it. When no breaker admits the message's first try, the provider that reopens
/// soonest takes it anyway: a breaker decides where a message goes, never that it waits (the
/// retry schedule paces a channel whose every provider fails, as with one provider).
pub fn next(
    breakers: &[Breaker],
    after: Option<usize>,
    policy: BreakerPolicy,
    now: Timestamp,
) -> Option<(usize, Breaker)> {
    let from = after.map_or(0, |i| i + 1);
    let admitted = breakers
        .iter()
        .enumerate()
        .skip(from)
        .find_map(|(i, b)| b.admit(policy, now).map(|state| (i, state)));
    if admitted.is_some() || after.is_some() {
        return admitted;
    }
    breakers
        .iter()
        .enumerate()
        .min_by_key(|(i, b)| (b.opens_at(policy), *i))
        .map(|(i, _)| (i, Breaker::Probing { since: now }))
}

fn plus(t: Timestamp, d: SignedDuration) -> Timestamp {
    t.checked_add(d).unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        failures: 3,
        cool_down: SignedDuration::from_secs(30),
    };

    fn at(s: u32) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + i64::from(s)).unwrap()
    }

    fn closed(failures: u32) -> Breaker {
        Breaker::Closed { failures }
    }

    fn open(until: u32) -> Breaker {
        Breaker::Open { until: at(until) }
    }

    fn probing(since: u32) -> Breaker {
        Breaker::Probing { since: at(since) }
    }

    #[test]
    fn a_breaker_opens_after_failures_in_a_row_and_closes_after_a_probe_that_works() {
        use CallEnd::*;
        // (state, how the call ended, at, state after)
        let table = [
            (closed(0), Accepted, 0, closed(0)),
            (closed(2), Accepted, 0, closed(0)),
            (closed(0), Refused, 0, closed(1)),
            (closed(1), Unsure, 0, closed(2)),
            (closed(2), Refused, 5, open(35)),
            // A permanent refusal says the provider works: the count starts again.
            (closed(2), Rejected, 5, closed(0)),
            (probing(40), Accepted, 41, closed(0)),
            (probing(40), Rejected, 41, closed(0)),
            (probing(40), Refused, 41, open(71)),
            (probing(40), Unsure, 45, open(75)),
            // Calls begun before it opened answer late: a failure leaves it as it is, a
            // success shows the provider works again.
            (open(35), Refused, 6, open(35)),
            (open(35), Accepted, 6, closed(0)),
        ];
        for (state, end, now, after) in table {
            assert_eq!(
                state.after(end, POLICY, at(now)),
                after,
                "{state:?} then {end:?} at {now}"
            );
        }
    }

    #[test]
    fn an_open_breaker_skips_its_provider_until_the_cool_down_ends_then_lets_one_probe() {
        // (state, at, what admitting a message at that moment leaves)
        let table = [
            (closed(2), 0, Some(closed(2))),
            (open(35), 34, None),
            (open(35), 35, Some(probing(35))),
            (open(35), 90, Some(probing(90))),
            // One probe at a time ...
            (probing(35), 36, None),
            (probing(35), 64, None),
            // ... unless it never answered within a cool-down.
            (probing(35), 65, Some(probing(65))),
        ];
        for (state, now, admitted) in table {
            assert_eq!(state.admit(POLICY, at(now)), admitted, "{state:?} at {now}");
        }
    }

    #[test]
    fn a_message_goes_to_the_first_provider_whose_breaker_admits_it_in_order() {
        // (breakers in the operator's order, tried so far, at, next and its breaker)
        type Row<'a> = (&'a [Breaker], Option<usize>, u32, Option<(usize, Breaker)>);
        let table: &[Row] = &[
            (&[closed(0), closed(0)], None, 0, Some((0, closed(0)))),
            (&[closed(0), closed(0)], Some(0), 0, Some((1, closed(0)))),
            (&[closed(0), closed(0)], Some(1), 0, None),
            (&[open(35), closed(1)], None, 10, Some((1, closed(1)))),
            // The cool-down is over: the first provider is probed and takes traffic again.
            (&[open(35), closed(0)], None, 40, Some((0, probing(40)))),
            (&[probing(40), closed(0)], None, 41, Some((1, closed(0)))),
            (&[closed(0), open(35), closed(0)], Some(0), 10, Some((2, closed(0)))),
            // After a refusal, an open one later in the order is not forced.
            (&[closed(0), open(35)], Some(0), 10, None),
            // Every breaker open: the one that reopens soonest takes the first try.
            (&[open(50), open(35)], None, 10, Some((1, probing(10)))),
            (&[open(35), probing(20)], None, 10, Some((0, probing(10)))),
            (&[open(35)], None, 10, Some((0, probing(10)))),
            (&[], None, 10, None),
        ];
        for (breakers, after, now, expected) in table {
            assert_eq!(
                next(breakers, *after, POLICY, at(*now)),
                *expected,
                "{breakers:?} after {after:?} at {now}"
            );
        }
    }

    #[test]
    fn only_a_refusal_goes_on_to_the_next_provider() {
        assert!(CallEnd::Refused.try_next());
        for end in [CallEnd::Accepted, CallEnd::Rejected, CallEnd::Unsure] {
            assert!(!end.try_next(), "{end:?}");
        }
    }
}
