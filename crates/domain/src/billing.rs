//! Prices, the cost of one notification, and the monthly bill.
//!
//! - A notification is billed when its provider accepted it: SMS by segments, email as one,
//!   at the unit price of the plan in force at that moment. Failed and cancelled ones cost
//!   nothing. The cost is recorded on the notification when it is sent.
//! - The bill covers a calendar month in Europe/Stockholm. Each day is charged to the plan in
//!   force at its start (00:00 Stockholm): a plan's fee × its days ÷ the month's days, rounded
//!   half up to the öre. So a change of plan moves message prices at once and the fee from the
//!   next day; a tenant created mid-month pays from the first day that begins after that.
//! - The bill's total is its fee lines plus the recorded cost of every notification billed in
//!   the month, grouped by channel and unit price.

use crate::NotificationId;
use crate::money::Ore;
use crate::notification::Channel;
use crate::plan::Plan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const BILLING_ZONE: &str = "Europe/Stockholm";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub monthly_fee_ore: Ore,
    pub sms_segment_ore: Ore,
    pub email_ore: Ore,
}

/// Prices per plan (configuration, not code; these defaults are SPEC.md's list prices, and
/// example fees for Premium and Enterprise, which SPEC.md does not give).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriceList {
    pub plus: Prices,
    pub premium: Prices,
    pub enterprise: Prices,
}

impl Default for PriceList {
    fn default() -> Self {
        PriceList {
            plus: Prices {
                monthly_fee_ore: Ore(75_000),
                sms_segment_ore: Ore(75),
                email_ore: Ore(29),
            },
            premium: Prices {
                monthly_fee_ore: Ore(195_000),
                sms_segment_ore: Ore(75),
                email_ore: Ore(0),
            },
            enterprise: Prices {
                monthly_fee_ore: Ore(495_000),
                sms_segment_ore: Ore(75),
                email_ore: Ore(0),
            },
        }
    }
}

impl PriceList {
    pub fn for_plan(&self, plan: Plan) -> &Prices {
        match plan {
            Plan::Plus => &self.plus,
            Plan::Premium => &self.premium,
            Plan::Enterprise => &self.enterprise,
        }
    }
}

/// What one sent notification is billed: units (SMS segments, or 1 email) × unit price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub units: u32,
    pub unit_price: Ore,
}

impl Charge {
    pub fn for_message(channel: Channel, sms_segments: usize, prices: &Prices) -> Charge {
        match channel {
            Channel::Sms => Charge {
                units: sms_segments as u32,
                unit_price: prices.sms_segment_ore,
            },
            Channel::Email => Charge {
                units: 1,
                unit_price: prices.email_ore,
            },
        }
    }

    pub fn cost(&self) -> Ore {
        self.unit_price * i64::from(self.units)
    }
}

/// A plan in force from an instant until the next change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanPeriod {
    pub plan: Plan,
    pub from: Timestamp,
}

/// A sent, billed notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Billed {
    pub id: NotificationId,
    pub channel: Channel,
    pub sent_at: Timestamp,
    pub charge: Charge,
    pub tracking_number: String,
    pub recipient: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Fee,
    Sms,
    Email,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BillLine {
    pub kind: LineKind,
    /// The line in English, as the CLI and the API write it.
    pub description: String,
    /// What a fee line covers, for describing it in another language; `None` on usage lines
    /// (whose unit price says all).
    pub fee: Option<FeeDays>,
    pub quantity: i64,
    pub unit_price: Ore,
    pub amount: Ore,
}

/// The days of a month a plan's fee is billed for (1-based, both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct FeeDays {
    pub plan: Plan,
    pub first: i64,
    pub last: i64,
    pub days_in_month: i64,
}

impl FeeDays {
    /// The whole month, not a part of it.
    pub fn whole_month(&self) -> bool {
        self.last - self.first + 1 == self.days_in_month
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bill {
    pub month: String,
    pub lines: Vec<BillLine>,
    pub total: Ore,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("month {0:?} is not a month; write it like 2026-11")]
pub struct BadMonth(pub String);

/// A calendar month in Europe/Stockholm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub first: Date,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, BadMonth> {
        let bad = || BadMonth(s.to_string());
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let (y, m): (i16, i8) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        // Bills are for real months; this also keeps every day of the month representable.
        if !(2000..=2999).contains(&y) {
            return Err(bad());
        }
        Ok(Month {
            first: Date::new(y, m, 1).map_err(|_| bad())?,
        })
    }

    /// The month an instant falls in, in Stockholm.
    pub fn of(t: Timestamp) -> Month {
        let d = t.to_zoned_datetime(zone()).date();
        Month {
            first: d.first_of_month(),
        }
    }

    pub fn label(&self) -> String {
        format!("{:04}-{:02}", self.first.year(), self.first.month())
    }

    pub fn days(&self) -> i64 {
        i64::from(self.first.days_in_month())
    }

    fn day(&self, n: i64) -> Date {
        self.first.checked_add((n - 1).days()).expect("day in month")
    }

    /// Start of a day (1-based; `days() + 1` is the next month's first) as an instant.
    fn start_of_day(&self, n: i64) -> Timestamp {
        let date = if n > self.days() {
            self.first.last_of_month().tomorrow().expect("next month")
        } else {
            self.day(n)
        };
        date.to_zoned_datetime(zone())
            .expect("midnight exists in Stockholm")
            .timestamp()
    }

    /// [start, end) as instants.
    pub fn bounds(&self) -> (Timestamp, Timestamp) {
        (self.start_of_day(1), self.start_of_day(self.days() + 1))
    }
}

/// The start (00:00 Stockholm) of the billing day after the one `t` falls in: when a plan
/// change asked for at `t` takes effect.
pub fn next_billing_day(t: Timestamp) -> Timestamp {
    let today = t.to_zoned_datetime(zone()).date();
    today
        .tomorrow()
        .expect("a representable day")
        .to_zoned_datetime(zone())
        .expect("midnight exists in Stockholm")
        .timestamp()
}

fn zone() -> TimeZone {
    TimeZone::get(BILLING_ZONE).expect("bundled time zone")
}

fn plan_at(periods: &[PlanPeriod], t: Timestamp) -> Option<Plan> {
    periods
        .iter()
        .filter(|p| p.from <= t)
        .max_by_key(|p| p.from)
        .map(|p| p.plan)
}

/// The bill of one month. `billed` holds the notifications sent in it.
pub fn bill(month: Month, periods: &[PlanPeriod], prices: &PriceList, billed: &[Billed]) -> Bill {
    let mut lines = Vec::new();
    // Days per plan, in the order the plans first appear in the month.
    let mut days: Vec<(Plan, i64, i64, i64)> = Vec::new(); // plan, days, first day, last day
    for n in 1..=month.days() {
        let Some(plan) = plan_at(periods, month.start_of_day(n)) else {
            continue;
        };
        match days.last_mut() {
            Some((p, count, _, last)) if *p == plan && *last == n - 1 => {
                *count += 1;
                *last = n;
            }
            _ => days.push((plan, 1, n, n)),
        }
    }
    for (plan, count, first, last) in days {
        let fee = prices.for_plan(plan).monthly_fee_ore;
        let amount = fee.pro_rata(count, month.days());
        let description = if count == month.days() {
            format!("{plan} monthly fee {}", month.label())
        } else {
            format!(
                "{plan} monthly fee, days {first}-{last} of {}: {count}/{}",
                month.label(),
                month.days()
            )
        };
        lines.push(BillLine {
            kind: LineKind::Fee,
            description,
            fee: Some(FeeDays {
                plan,
                first,
                last,
                days_in_month: month.days(),
            }),
            quantity: 1,
            unit_price: amount,
            amount,
        });
    }
    let mut usage: BTreeMap<(u8, Ore), i64> = BTreeMap::new();
    for b in billed {
        let channel = match b.channel {
            Channel::Sms => 0,
            Channel::Email => 1,
        };
        *usage.entry((channel, b.charge.unit_price)).or_default() += i64::from(b.charge.units);
    }
    for ((channel, unit_price), quantity) in usage {
        let (kind, what) = if channel == 0 {
            (LineKind::Sms, "SMS segments")
        } else {
            (LineKind::Email, "emails")
        };
        lines.push(BillLine {
            kind,
            description: format!("{what} at {unit_price} SEK"),
            fee: None,
            quantity,
            unit_price,
            amount: unit_price * quantity,
        });
    }
    let total = lines.iter().map(|l| l.amount).sum();
    Bill {
        month: month.label(),
        lines,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_month_is_stockholm_local() {
        let m = Month::parse("2026-11").unwrap();
        assert_eq!(m.bounds(), (t("2026-10-31T23:00:00Z"), t("2026-11-30T23:00:00Z")));
        let summer = Month::parse("2026-07").unwrap();
        assert_eq!(summer.bounds().0, t("2026-06-30T22:00:00Z"));
        assert_eq!(Month::of(t("2026-11-30T23:30:00Z")).label(), "2026-12");
        assert!(Month::parse("2026-13").is_err());
        assert!(Month::parse("nov").is_err());
        assert!(Month::parse("9999-12").is_err());
        assert!(Month::parse("-001-01").is_err());
    }

    #[test]
    fn a_mid_month_upgrade_splits_the_fee_by_days() {
        let m = Month::parse("2026-11").unwrap();
        let periods = [
            PlanPeriod {
                plan: Plan::Plus,
                from: t("2026-01-01T00:00:00Z"),
            },
            // Upgraded during the 15th (Stockholm): Premium from the 16th.
            PlanPeriod {
                plan: Plan::Premium,
                from: t("2026-11-15T09:00:00Z"),
            },
        ];
        let b = bill(m, &periods, &PriceList::default(), &[]);
        assert_eq!(b.lines.len(), 2);
        assert_eq!(b.lines[0].amount, Ore(75_000).pro_rata(15, 30));
        assert_eq!(b.lines[1].amount, Ore(195_000).pro_rata(15, 30));
        assert!(
            b.lines[1].description.contains("days 16-30"),
            "{}",
            b.lines[1].description
        );
        assert_eq!(b.total, Ore(37_500 + 97_500));
    }

    #[test]
    fn messages_are_grouped_by_channel_and_unit_price() {
        let m = Month::parse("2026-11").unwrap();
        let periods = [PlanPeriod {
            plan: Plan::Plus,
            from: t("2026-01-01T00:00:00Z"),
        }];
        let sms = |id, units| Billed {
            id: NotificationId(id),
            channel: Channel::Sms,
            sent_at: t("2026-11-10T10:00:00Z"),
            charge: Charge {
                units,
                unit_price: Ore(75),
            },
            tracking_number: "T".into(),
            recipient: "+46701234567".into(),
        };
        let mut mail = sms(3, 1);
        mail.channel = Channel::Email;
        mail.charge.unit_price = Ore(29);
        let b = bill(m, &periods, &PriceList::default(), &[sms(1, 1), sms(2, 3), mail]);
        assert_eq!(b.lines[1].quantity, 4);
        assert_eq!(b.lines[1].amount, Ore(300));
        assert_eq!(b.lines[2].amount, Ore(29));
        assert_eq!(b.total, Ore(75_000 + 300 + 29));
    }

    #[test]
    fn a_plan_change_asked_for_takes_effect_at_the_next_stockholm_midnight() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        // 23:30 UTC on 7 December is already the 8th in Stockholm.
        assert_eq!(next_billing_day(at("2026-12-07T10:00:00Z")), at("2026-12-07T23:00:00Z"));
        assert_eq!(next_billing_day(at("2026-12-07T23:30:00Z")), at("2026-12-08T23:00:00Z"));
        // Summer time: midnight is 22:00 UTC.
        assert_eq!(next_billing_day(at("2026-06-30T12:00:00Z")), at("2026-06-30T22:00:00Z"));
    }
}
