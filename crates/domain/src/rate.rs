//! Rate limits on sending: how many messages a limit lets go now, and what sending them leaves
//! for later. GCRA: each limit keeps one instant, its "theoretical arrival time" (TAT), in the
//! store, so the limit holds across nodes; the arithmetic is here, with the clock passed in.

use crate::TenantId;
use crate::notification::Channel;
use jiff::{SignedDuration, Timestamp};
use std::collections::BTreeMap;
use std::num::NonZeroU32;

/// Messages per second. A limit lets a burst of one second's worth go at once, then one
/// message every `1 / rate` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rate(NonZeroU32);

impl Rate {
    /// `None` for 0: a limit of nothing per second would hold every message forever.
    pub fn per_second(n: u32) -> Option<Rate> {
        NonZeroU32::new(n).map(Rate)
    }

    pub fn get(self) -> u32 {
        self.0.get()
    }

    /// Microseconds between two messages (rounded down, so the limit errs by under a
    /// microsecond per message, never below its rate).
    fn interval_us(self) -> i64 {
        (1_000_000 / i64::from(self.0.get())).max(1)
    }

    fn burst(self) -> u32 {
        self.0.get()
    }
}

/// How many messages `rate` lets go at `now`, given its TAT (`None`: never used).
pub fn available(rate: Rate, tat: Option<Timestamp>, now: Timestamp) -> u32 {
    let t = rate.interval_us();
    let start = tat.map_or(now, |tat| tat.max(now));
    let room = i64::from(rate.burst()) * t - micros(start.duration_since(now));
    (room.max(0) / t).min(i64::from(rate.burst())) as u32
}

/// The TAT after `sent` messages went at `now`.
pub fn after_sending(rate: Rate, tat: Option<Timestamp>, now: Timestamp, sent: u32) -> Timestamp {
    let start = tat.map_or(now, |tat| tat.max(now));
    let by = SignedDuration::from_micros(rate.interval_us() * i64::from(sent));
    start.checked_add(by).unwrap_or(Timestamp::MAX)
}

fn micros(d: SignedDuration) -> i64 {
    d.as_micros().clamp(i64::MIN.into(), i64::MAX.into()) as i64
}

/// What a limit is on: a channel's provider (the SMS provider, the SMTP server) or a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LimitKey {
    Channel(Channel),
    Tenant(TenantId),
}

impl LimitKey {
    /// The key as the stores keep it: a name (the channel's slug, or "tenant") and a tenant
    /// (0 for a channel's limit).
    pub fn columns(self) -> (&'static str, i64) {
        match self {
            LimitKey::Channel(c) => (c.slug(), 0),
            LimitKey::Tenant(t) => ("tenant", t.0),
        }
    }

    /// The key from its stored columns; `None` for a name this build does not know.
    pub fn from_columns(name: &str, tenant: i64) -> Option<LimitKey> {
        match name {
            "tenant" => Some(LimitKey::Tenant(TenantId(tenant))),
            other => other.parse().ok().map(LimitKey::Channel),
        }
    }
}

/// The operator's limits. `None` is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendLimits {
    pub sms: Option<Rate>,
    pub email: Option<Rate>,
    /// Every tenant's, unless the tenant has its own.
    pub tenant_default: Option<Rate>,
}

/// What one claim may take now. `None` is no limit; 0 holds everything of that channel or
/// tenant until the limit allows more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    pub sms: Option<u32>,
    pub email: Option<u32>,
    /// For a tenant not in `tenants`.
    pub tenant_default: Option<u32>,
    pub tenants: BTreeMap<TenantId, u32>,
}

impl Grant {
    /// The tenants and channels that may send nothing now.
    pub fn held(&self) -> (Vec<TenantId>, Vec<Channel>) {
        let tenants = self.tenants.iter().filter(|(_, n)| **n == 0).map(|(t, _)| *t).collect();
        let channels = [(Channel::Sms, self.sms), (Channel::Email, self.email)]
            .into_iter()
            .filter(|(_, n)| *n == Some(0))
            .map(|(c, _)| c)
            .collect();
        (tenants, channels)
    }
}

impl SendLimits {
    /// Whether the operator set any limit (tenants' own rates aside).
    pub fn any(&self) -> bool {
        self.sms.is_some() || self.email.is_some() || self.tenant_default.is_some()
    }

    fn rate(&self, key: LimitKey, own: &BTreeMap<TenantId, Rate>) -> Option<Rate> {
        match key {
            LimitKey::Channel(Channel::Sms) => self.sms,
            LimitKey::Channel(Channel::Email) => self.email,
            LimitKey::Tenant(t) => own.get(&t).copied().or(self.tenant_default),
        }
    }

    /// What a claim may take at `now`: `own` are tenants' own rates, `used` the TATs the
    /// store keeps (a limit without one is unused).
    pub fn grant(&self, own: &BTreeMap<TenantId, Rate>, used: &[(LimitKey, Timestamp)], now: Timestamp) -> Grant {
        let tat = |key: LimitKey| used.iter().find(|(k, _)| *k == key).map(|(_, t)| *t);
        let of = |key: LimitKey| self.rate(key, own).map(|r| available(r, tat(key), now));
        let mut tenants = BTreeMap::new();
        let named = own.keys().copied().chain(used.iter().filter_map(|(k, _)| match k {
            LimitKey::Tenant(t) => Some(*t),
            LimitKey::Channel(_) => None,
        }));
        for t in named {
            if let Some(n) = of(LimitKey::Tenant(t)) {
                tenants.insert(t, n);
            }
        }
        Grant {
            sms: of(LimitKey::Channel(Channel::Sms)),
            email: of(LimitKey::Channel(Channel::Email)),
            tenant_default: self.tenant_default.map(|r| available(r, None, now)),
            tenants,
        }
    }

    /// The new TATs after `sent` (each message's tenant and channel) went at `now`: one per
    /// limit that sent something.
    pub fn charge(
        &self,
        own: &BTreeMap<TenantId, Rate>,
        used: &[(LimitKey, Timestamp)],
        sent: &[(TenantId, Channel)],
        now: Timestamp,
    ) -> Vec<(LimitKey, Timestamp)> {
        let mut counts: BTreeMap<LimitKey, u32> = BTreeMap::new();
        for (tenant, channel) in sent {
            for key in [LimitKey::Channel(*channel), LimitKey::Tenant(*tenant)] {
                if self.rate(key, own).is_some() {
                    *counts.entry(key).or_default() += 1;
                }
            }
        }
        counts
            .into_iter()
            .filter_map(|(key, n)| {
                let rate = self.rate(key, own)?;
                let tat = used.iter().find(|(k, _)| *k == key).map(|(_, t)| *t);
                Some((key, after_sending(rate, tat, now, n)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn rate(n: u32) -> Rate {
        Rate::per_second(n).unwrap()
    }

    const NOW: &str = "2026-12-07T10:00:00Z";

    #[test]
    fn available_and_after_sending_by_table() {
        // (rate, TAT, now, available, sent, TAT after)
        type Row = (u32, Option<&'static str>, &'static str, u32, u32, &'static str);
        let table: &[Row] = &[
            // Never used: a second's worth at once.
            (5, None, NOW, 5, 5, "2026-12-07T10:00:01Z"),
            // All used: nothing until time passes.
            (5, Some("2026-12-07T10:00:01Z"), NOW, 0, 0, "2026-12-07T10:00:01Z"),
            // A fifth of a second later, one more.
            (
                5,
                Some("2026-12-07T10:00:01Z"),
                "2026-12-07T10:00:00.2Z",
                1,
                1,
                "2026-12-07T10:00:01.2Z",
            ),
            // A second later, a full second's worth again.
            (
                5,
                Some("2026-12-07T10:00:01Z"),
                "2026-12-07T10:00:01Z",
                5,
                2,
                "2026-12-07T10:00:01.4Z",
            ),
            // A TAT long past counts as unused: no saving up beyond one second's worth.
            (5, Some("2026-12-07T09:00:00Z"), NOW, 5, 3, "2026-12-07T10:00:00.6Z"),
            // Part used.
            (5, Some("2026-12-07T10:00:00.4Z"), NOW, 3, 3, "2026-12-07T10:00:01Z"),
            // Just short of the next message: still nothing.
            (
                5,
                Some("2026-12-07T10:00:01Z"),
                "2026-12-07T10:00:00.199999Z",
                0,
                0,
                "2026-12-07T10:00:01Z",
            ),
            // A rate that does not divide a second: never more than its rate in a second.
            (3, None, NOW, 3, 3, "2026-12-07T10:00:00.999999Z"),
            (
                3,
                Some("2026-12-07T10:00:00.999999Z"),
                "2026-12-07T10:00:01Z",
                3,
                1,
                "2026-12-07T10:00:01.333333Z",
            ),
            (1, None, NOW, 1, 1, "2026-12-07T10:00:01Z"),
        ];
        for &(r, tat, now, avail, sent, after) in table {
            let (tat, now) = (tat.map(at), at(now));
            assert_eq!(available(rate(r), tat, now), avail, "{r}/s, TAT {tat:?}, at {now}");
            assert_eq!(
                after_sending(rate(r), tat, now, sent),
                at(after),
                "{r}/s, TAT {tat:?}, at {now}, {sent} sent"
            );
        }
    }

    #[test]
    fn a_limit_lets_at_most_its_burst_and_its_rate_go_in_any_stretch_of_time() {
        // Claims every 10 ms for 3 s, each taking all it may: in any stretch of d seconds at
        // most the burst (5) and 5 per second, and over the run no more than that.
        let r = rate(5);
        let mut tat = None;
        let mut sent_at = Vec::new();
        let start = at(NOW);
        for step in 0..300 {
            let now = start.checked_add(SignedDuration::from_millis(10 * step)).unwrap();
            let n = available(r, tat, now);
            tat = Some(after_sending(r, tat, now, n));
            sent_at.extend(std::iter::repeat_n(now, n as usize));
        }
        for d in [1, 2] {
            for (i, first) in sent_at.iter().enumerate() {
                let within = sent_at[i..]
                    .iter()
                    .filter(|t| t.duration_since(*first) < SignedDuration::from_secs(d));
                assert!(within.count() as i64 <= 5 + 5 * d, "too many in the {d} s from {first}");
            }
        }
        assert_eq!(sent_at.len(), 5 + 14, "5 at once, then one every 200 ms until 2.99 s");
    }

    #[test]
    fn zero_is_no_rate() {
        assert_eq!(Rate::per_second(0), None);
    }

    #[test]
    fn a_grant_takes_the_tenants_own_rate_over_the_default_and_holds_what_is_used_up() {
        let limits = SendLimits {
            sms: Some(rate(10)),
            email: None,
            tenant_default: Some(rate(5)),
        };
        let (a, b, c) = (TenantId(1), TenantId(2), TenantId(3));
        let own = BTreeMap::from([(b, rate(2))]);
        let now = at(NOW);
        let used = [
            (LimitKey::Tenant(a), at("2026-12-07T10:00:01Z")),
            (LimitKey::Channel(Channel::Sms), at("2026-12-07T10:00:00.5Z")),
        ];
        let grant = limits.grant(&own, &used, now);
        assert_eq!(
            grant,
            Grant {
                sms: Some(5),
                email: None,
                tenant_default: Some(5),
                tenants: BTreeMap::from([(a, 0), (b, 2)]),
            }
        );
        assert_eq!(grant.held(), (vec![a], vec![]));
        let charged = limits.charge(
            &own,
            &used,
            &[(b, Channel::Sms), (c, Channel::Email), (b, Channel::Sms)],
            now,
        );
        assert_eq!(
            charged,
            vec![
                (LimitKey::Channel(Channel::Sms), at("2026-12-07T10:00:00.7Z")),
                (LimitKey::Tenant(b), at("2026-12-07T10:00:01Z")),
                (LimitKey::Tenant(c), at("2026-12-07T10:00:00.2Z")),
            ]
        );
        assert!(limits.any() && !SendLimits::default().any());
        assert_eq!(
            SendLimits::default().grant(&BTreeMap::new(), &[], now),
            Grant::default()
        );
    }
}
