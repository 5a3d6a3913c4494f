//! The bill always equals its fees plus the recorded cost of every message billed in the month,
//! whatever the traffic, plan changes and failures.

use avisera_domain::billing::{Billed, Charge, LineKind, Month, PlanPeriod, PriceList, bill};
use avisera_domain::money::Ore;
use avisera_domain::notification::Channel;
use avisera_domain::plan::Plan;
use avisera_domain::{NotificationId, Timestamp};
use jiff::SignedDuration;
use proptest::prelude::*;

fn plan() -> impl Strategy<Value = Plan> {
    prop_oneof![Just(Plan::Plus), Just(Plan::Premium), Just(Plan::Enterprise)]
}

#[derive(Debug, Clone)]
struct Delivery {
    at_fraction: f64,
    sms: bool,
    segments: u32,
    accepted: bool,
}

fn delivery() -> impl Strategy<Value = Delivery> {
    (0.0..1.0f64, any::<bool>(), 1u32..8, proptest::bool::weighted(0.8)).prop_map(
        |(at_fraction, sms, segments, accepted)| Delivery {
            at_fraction,
            sms,
            segments,
            accepted,
        },
    )
}

fn plan_at(periods: &[PlanPeriod], t: Timestamp) -> Plan {
    periods
        .iter()
        .filter(|p| p.from <= t)
        .max_by_key(|p| p.from)
        .expect("a plan in force")
        .plan
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn total_is_fees_plus_recorded_costs(
        year in 2025i16..2030,
        month in 1i8..=12,
        first_plan in plan(),
        changes in proptest::collection::vec((0.0..1.0f64, plan()), 0..4),
        deliveries in proptest::collection::vec(delivery(), 0..300),
    ) {
        let m = Month::parse(&format!("{year:04}-{month:02}")).unwrap();
        let (start, end) = m.bounds();
        let span = end.duration_since(start).as_millis() as f64;
        let at = |f: f64| start + SignedDuration::from_millis((span * f) as i64);
        let mut periods = vec![PlanPeriod { plan: first_plan, from: start - SignedDuration::from_hours(24 * 40) }];
        periods.extend(changes.iter().map(|(f, p)| PlanPeriod { plan: *p, from: at(*f) }));
        let prices = PriceList::default();

        // What the worker records at sending: only accepted messages, at the plan in force.
        let billed: Vec<Billed> = deliveries
            .iter()
            .enumerate()
            .filter(|(_, d)| d.accepted)
            .map(|(i, d)| {
                let sent_at = at(d.at_fraction);
                let p = prices.for_plan(plan_at(&periods, sent_at));
                let channel = if d.sms { Channel::Sms } else { Channel::Email };
                Billed {
                    id: NotificationId(i as i64),
                    channel,
                    sent_at,
                    charge: Charge::for_message(channel, d.segments as usize, p),
                    tracking_number: format!("T{i}"),
                    recipient: "r".into(),
                }
            })
            .collect();
        let b = bill(m, &periods, &prices, &billed);

        let fees: Ore = b.lines.iter().filter(|l| l.kind == LineKind::Fee).map(|l| l.amount).sum();
        let recorded: Ore = billed.iter().map(|x| x.charge.cost()).sum();
        prop_assert_eq!(b.total, fees + recorded);
        prop_assert_eq!(b.total, b.lines.iter().map(|l| l.amount).sum::<Ore>());
        let segments: i64 = billed.iter().filter(|x| x.channel == Channel::Sms).map(|x| i64::from(x.charge.units)).sum();
        let billed_segments: i64 = b.lines.iter().filter(|l| l.kind == LineKind::Sms).map(|l| l.quantity).sum();
        prop_assert_eq!(segments, billed_segments);
        // A whole month on one plan is charged exactly its fee; days always add up.
        if changes.is_empty() {
            prop_assert_eq!(fees, prices.for_plan(first_plan).monthly_fee_ore);
        }
        let max_fee = prices.enterprise.monthly_fee_ore;
        prop_assert!(fees <= max_fee + Ore(4), "fees {fees} over a month");
    }
}
