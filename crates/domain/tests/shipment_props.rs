//! Events arrive out of order and more than once: whatever the order, a shipment ends in the
//! same milestone, and no trigger occurrence that must happen once fires twice.

use avisera_domain::event::{CarrierEvent, EventInput};
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
    fn replaying_the_same_events_changes_nothing(events in events()) {
        let (once, _) = run(&events);
        let twice: Vec<_> = events.iter().chain(events.iter()).cloned().collect();
        let (again, _) = run(&twice);
        prop_assert_eq!(once.milestone, again.milestone);
    }
}
