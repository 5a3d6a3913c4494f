//! Events arrive out of order and more than once: whatever the order, a shipment ends in the
//! same milestone, and no trigger occurrence that must happen once fires twice.

use avisera_domain::event::{CarrierEvent, EventInput};
use avisera_domain::mapping::Milestone;
use avisera_domain::shipment::{Shipment, apply};
use avisera_domain::trigger::Trigger;
use proptest::prelude::*;

const CODES: &[&str] = &[
    "CREATED",
    "INFORMED",
    "EN_ROUTE",
    "AVAILABLE_FOR_DELIVERY_PAR_LOC",
    "AVAILABLE_FOR_DELIVERY",
    "DELIVERED",
    "RETURNED",
    "DELAYED",
    "DELIVERY_IMPOSSIBLE",
    "SOMETHING_UNMAPPED",
];

fn events() -> impl Strategy<Value = Vec<CarrierEvent>> {
    // Few distinct times, so ties happen.
    proptest::collection::vec((0..CODES.len(), 0u32..6), 1..9).prop_map(|picks| {
        picks
            .into_iter()
            .enumerate()
            .map(|(i, (code, hour))| {
                EventInput {
                    event_id: Some(format!("e{i}")),
                    tracking_number: Some("T1".into()),
                    code: Some(CODES[code].into()),
                    occurred_at: Some(format!("2026-11-25T{:02}:00:00Z", 8 + hour)),
                    ..Default::default()
                }
                .check()
                .unwrap()
            })
            .collect()
    })
}

/// A journey as it happens: some of its moments, each later than the one before.
const JOURNEY: &[&str] = &[
    "CREATED",
    "EN_ROUTE",
    "AVAILABLE_FOR_DELIVERY_PAR_LOC",
    "AVAILABLE_FOR_DELIVERY",
    "DELIVERED",
];

fn journey() -> impl Strategy<Value = Vec<CarrierEvent>> {
    proptest::sample::subsequence(JOURNEY.to_vec(), 1..=JOURNEY.len()).prop_map(|codes| {
        codes
            .into_iter()
            .map(|code| {
                let hour = JOURNEY.iter().position(|c| *c == code).unwrap();
                EventInput {
                    event_id: Some(code.into()),
                    tracking_number: Some("T1".into()),
                    code: Some(code.into()),
                    occurred_at: Some(format!("2026-11-25T{:02}:00:00Z", 8 + hour)),
                    ..Default::default()
                }
                .check()
                .unwrap()
            })
            .collect()
    })
}

/// The moment of the journey a trigger's message speaks of.
fn moment(trigger: Trigger) -> Option<Milestone> {
    Some(match trigger {
        Trigger::TransportOrderReceived => Milestone::Announced,
        Trigger::FirstTransportEvent => Milestone::InTransit,
        Trigger::ArrivedAtPickupPoint => Milestone::AtPickupPoint,
        Trigger::OutForDelivery => Milestone::OutForDelivery,
        Trigger::Delivered => Milestone::Delivered,
        Trigger::ReturnedToSender => Milestone::Returned,
        _ => return None,
    })
}

fn run(events: &[CarrierEvent]) -> (Shipment, Vec<(Trigger, String)>) {
    let mut shipment = Shipment::new("T1");
    let mut fired = Vec::new();
    for e in events {
        let applied = apply(shipment, e, avisera_domain::mapping::Mapping::defaults());
        fired.extend(applied.fired.into_iter().map(|f| (f.trigger, f.occurrence)));
        shipment = applied.shipment;
    }
    (shipment, fired)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_order_gives_the_same_final_milestone(
        (events, shuffled) in events().prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle()))
    ) {
        let (a, fired_a) = run(&events);
        let (b, fired_b) = run(&shuffled);
        prop_assert_eq!(a.milestone, b.milestone, "orders {:?} and {:?}",
            events.iter().map(|e| (&e.code, e.occurred_at.to_string())).collect::<Vec<_>>(),
            shuffled.iter().map(|e| (&e.code, e.occurred_at.to_string())).collect::<Vec<_>>());
        for fired in [fired_a, fired_b] {
            let firsts = fired.iter().filter(|(t, _)| *t == Trigger::FirstTransportEvent).count();
            prop_assert!(firsts <= 1, "first transport event fired {firsts} times");
            // Occurrences that must be unique per shipment keep the same dedupe key, so the
            // store turns repeats into nothing.
            for (t, occurrence) in &fired {
                if matches!(t, Trigger::Delivered | Trigger::TransportOrderReceived | Trigger::FirstTransportEvent) {
                    prop_assert_eq!(occurrence.as_str(), "once");
                }
            }
        }
    }

    #[test]
    fn no_arrival_order_sends_news_older_than_news_already_sent(
        shuffled in journey().prop_flat_map(|e| Just(e).prop_shuffle())
    ) {
        let order = shuffled.iter().map(|e| e.code.as_str()).collect::<Vec<_>>();
        let mut shipment = Shipment::new("T1");
        let mut told: Option<Milestone> = None;
        for e in &shuffled {
            let applied = apply(shipment, e, avisera_domain::mapping::Mapping::defaults());
            shipment = applied.shipment;
            for firing in &applied.fired {
                let Some(m) = moment(firing.trigger) else { continue };
                // A moment the same event has already passed ("on its way" with "delivered").
                prop_assert!(
                    shipment.milestone.is_none_or(|now| m >= now),
                    "{} fired by {} which left the parcel {:?}; arrival order {order:?}",
                    firing.trigger, e.code, shipment.milestone
                );
                prop_assert!(
                    told.is_none_or(|t| m >= t),
                    "{} after news of {told:?}; arrival order {order:?}", firing.trigger
                );
                told = told.max(Some(m));
            }
        }
    }

    #[test]
    fn replaying_the_same_events_changes_nothing(events in events()) {
        let (once, _) = run(&events);
        let twice: Vec<_> = events.iter().chain(events.iter()).cloned().collect();
        let (again, _) = run(&twice);
        prop_assert_eq!(once.milestone, again.milestone);
    }
}
