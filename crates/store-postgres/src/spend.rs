//! The SMS spend, kept as a counter per tenant and hour (UTC) by the transaction that records
//! the SMS as sent (migration 22), so the budget reads at most a month of hours instead of
//! summing the month's sent SMS.
//!
//! Three parts make a stretch of time's spend:
//! - the counter's whole hours inside it;
//! - within those hours, SMS a node of the previous release sent during a rolling upgrade, which
//!   it did not count (`spend_counted` false, their own small index);
//! - the stretch's ragged ends before its first whole hour and from its last, summed from the
//!   sent rows (a month in Stockholm starts and ends on whole hours, so these are empty there).

use crate::codec::PgTime;
use avisera_domain::money::Ore;
use avisera_domain::{TenantId, Timestamp};
use std::collections::BTreeMap;

const HOUR: i64 = 3600;

/// The sum, as one SQL expression, of the SMS spend of tenant `$1` from `$2` to `$5`; `$3` and
/// `$4` are its first and last whole hour (`Stretch`). One expression, so a reader sees the
/// counter and the rows in one snapshot: an SMS is either still a row not sent or already in
/// the counter, never both or neither.
pub(crate) const SPENT: &str = "
    COALESCE((SELECT SUM(ore) FROM sms_spend
              WHERE tenant_id = (SELECT $1::bigint) AND hour >= $3 AND hour < $4), 0)
  + COALESCE((SELECT SUM(billed_units * unit_price_ore) FROM notifications
              WHERE tenant_id = (SELECT $1::bigint) AND channel = 'sms' AND NOT spend_counted
                AND sent_at >= $3 AND sent_at < $4 AND billed_units IS NOT NULL), 0)
  + COALESCE((SELECT SUM(billed_units * unit_price_ore) FROM notifications
              WHERE tenant_id = (SELECT $1::bigint) AND channel = 'sms'
                AND sent_at >= $2 AND sent_at < $3 AND billed_units IS NOT NULL), 0)
  + COALESCE((SELECT SUM(billed_units * unit_price_ore) FROM notifications
              WHERE tenant_id = (SELECT $1::bigint) AND channel = 'sms'
                AND sent_at >= $4 AND sent_at < $5 AND billed_units IS NOT NULL), 0)";

/// A stretch of time split where `SPENT` reads it: `[from, first)` and `[last, to)` from the
/// rows, `[first, last)` from the counter. A stretch within one hour is all rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stretch {
    pub from: Timestamp,
    pub first: Timestamp,
    pub last: Timestamp,
    pub to: Timestamp,
}

impl Stretch {
    pub fn new(from: Timestamp, to: Timestamp) -> Stretch {
        let first = hour_at_or_after(from);
        let last = hour_of(to);
        if first >= last {
            return Stretch {
                from,
                first: to,
                last: to,
                to,
            };
        }
        Stretch { from, first, last, to }
    }

    /// The parameters `$2` to `$5` of `SPENT`.
    pub fn bounds(&self) -> [PgTime; 4] {
        [self.from, self.first, self.last, self.to].map(PgTime)
    }
}

/// The start of the hour (UTC) `t` falls in: the counter's key for an SMS sent at `t`.
pub(crate) fn hour_of(t: Timestamp) -> Timestamp {
    Timestamp::from_second(t.as_second().div_euclid(HOUR) * HOUR).expect("an hour of a representable instant")
}

fn hour_at_or_after(t: Timestamp) -> Timestamp {
    let hour = hour_of(t);
    if hour == t {
        hour
    } else {
        Timestamp::from_second(hour.as_second() + HOUR).unwrap_or(hour)
    }
}

/// What SMS sent cost, as rows of the counter to add to: each tenant's total per hour, in the
/// order of tenant and hour, so two batches adding to the same tenants wait rather than
/// deadlock. Added in the transaction that records them as sent (`delivery::finish`).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Spent {
    pub tenants: Vec<i64>,
    pub hours: Vec<PgTime>,
    pub ore: Vec<i64>,
}

impl Spent {
    /// From each SMS's tenant, the instant it was sent and its price.
    pub fn of(sent: impl IntoIterator<Item = (TenantId, Timestamp, Ore)>) -> Spent {
        let mut by_hour: BTreeMap<(i64, Timestamp), i64> = BTreeMap::new();
        for (tenant, at, price) in sent {
            *by_hour.entry((tenant.0, hour_of(at))).or_default() += price.0;
        }
        let mut spent = Spent::default();
        for ((tenant, hour), ore) in by_hour {
            spent.tenants.push(tenant);
            spent.hours.push(PgTime(hour));
            spent.ore.push(ore);
        }
        spent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_batch_adds_each_tenants_total_per_hour_in_order() {
        let (a, b) = (TenantId(2), TenantId(1));
        let spent = Spent::of([
            (a, at("2026-11-25T10:59:00Z"), Ore(75)),
            (b, at("2026-11-25T10:10:00Z"), Ore(150)),
            (a, at("2026-11-25T10:01:00Z"), Ore(225)),
            (a, at("2026-11-25T11:00:00Z"), Ore(75)),
        ]);
        assert_eq!(spent.tenants, [1, 2, 2]);
        assert_eq!(
            spent.hours,
            ["2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z", "2026-11-25T11:00:00Z"].map(|h| PgTime(at(h)))
        );
        assert_eq!(spent.ore, [150, 300, 75]);
    }

    #[test]
    fn an_instant_is_counted_in_its_hour() {
        assert_eq!(hour_of(at("2026-11-25T10:59:59.999Z")), at("2026-11-25T10:00:00Z"));
        assert_eq!(hour_of(at("2026-11-25T11:00:00Z")), at("2026-11-25T11:00:00Z"));
        assert_eq!(hour_of(at("1969-12-31T23:30:00Z")), at("1969-12-31T23:00:00Z"));
    }

    #[test]
    fn a_month_in_stockholm_is_whole_hours_and_a_ragged_stretch_keeps_its_ends() {
        let month = Stretch::new(at("2026-10-31T23:00:00Z"), at("2026-11-30T23:00:00Z"));
        assert_eq!((month.first, month.last), (month.from, month.to));
        let ragged = Stretch::new(at("2026-11-25T10:30:00Z"), at("2026-11-25T13:15:00Z"));
        assert_eq!(
            (ragged.first, ragged.last),
            (at("2026-11-25T11:00:00Z"), at("2026-11-25T13:00:00Z"))
        );
        // Within one hour, or across one hour's edge only: no whole hour, all from the rows.
        for (from, to) in [
            ("2026-11-25T10:10:00Z", "2026-11-25T10:50:00Z"),
            ("2026-11-25T10:10:00Z", "2026-11-25T11:50:00Z"),
        ] {
            let s = Stretch::new(at(from), at(to));
            assert_eq!((s.first, s.last), (at(to), at(to)), "{from}..{to}");
        }
        let one = Stretch::new(at("2026-11-25T10:00:00Z"), at("2026-11-25T11:00:00Z"));
        assert_eq!((one.first, one.last), (one.from, one.to));
    }
}
