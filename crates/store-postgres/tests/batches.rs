//! Batches far larger than one multi-row VALUES statement could carry under PostgreSQL's
//! parameter limit: every row goes in through one `unnest` statement, and each reads back.

use avisera_domain::Timestamp;
use avisera_domain::event::{CarrierEvent, EventInput};
use avisera_domain::ingest::Decision;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::plan::Plan;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::apply;
use avisera_domain::tenant::Brand;
use avisera_store::{EventOutcome, EventStore, Outbox, TenantConfig};
use avisera_store_postgres::testing::fresh_postgres;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn event(tracking: &str, code: &str, time: &str) -> CarrierEvent {
    EventInput {
        tracking_number: Some(tracking.into()),
        code: Some(code.into()),
        occurred_at: Some(time.into()),
        ..Default::default()
    }
    .check()
    .expect("valid test event")
}

#[tokio::test]
async fn a_batch_of_thousands_of_events_and_notifications_is_recorded_whole() {
    let store = fresh_postgres().await;
    let now = at("2026-11-25T10:00:00Z");
    let tenant = store
        .create_tenant("Shop", Plan::Plus, &Brand::named("Shop"), now)
        .await
        .unwrap();
    const SHIPMENTS: usize = 3_000;
    let mut events = Vec::new();
    for i in 0..SHIPMENTS {
        let tracking = format!("T{i:05}");
        events.push(event(&tracking, "DELIVERED", "2026-11-25T09:00:00Z"));
        events.push(event(&tracking, "SOMETHING_NEW", "2026-11-25T09:30:00Z"));
    }
    // The same event again, late in the batch: a duplicate.
    events.push(events[0].clone());
    // Every event plans one SMS of its own.
    let decide = |shipment, e: &CarrierEvent| Decision {
        applied: apply(shipment, e, avisera_domain::mapping::Mapping::defaults()),
        planned: vec![PlannedNotification {
            rule_id: None,
            trigger: None,
            channel: Channel::Sms,
            recipient: "+46701234567".into(),
            dedupe_key: format!("{}:{}", e.tracking_number, e.code),
            due_at: now,
            time_zone: None,
            language: Some("sv".into()),
            message: Ok(Message::Sms {
                sender_id: "Shop".into(),
                to: "+46701234567".into(),
                text: format!("{} {}", e.tracking_number, e.code),
            }),
        }],
    };
    let outcomes = store.record_events(tenant.id, &events, &decide, now).await.unwrap();
    assert_eq!(outcomes.len(), 2 * SHIPMENTS + 1);
    let accepted = outcomes
        .iter()
        .filter(|o| matches!(o, EventOutcome::Accepted { notifications: 1, .. }))
        .count();
    assert_eq!(accepted, 2 * SHIPMENTS);
    assert!(
        matches!(outcomes.last(), Some(EventOutcome::Duplicate { .. })),
        "{:?}",
        outcomes.last()
    );
    assert_eq!(store.count_scheduled().await.unwrap(), 2 * SHIPMENTS as u64);

    let last = format!("T{:05}", SHIPMENTS - 1);
    let history = store.shipment_events(tenant.id, &last).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|e| (e.code.as_str(), e.unknown_code))
            .collect::<Vec<_>>(),
        [("DELIVERED", false), ("SOMETHING_NEW", true)],
        "the unknown code is marked, the known one not"
    );
    assert!(store.shipment(tenant.id, &last).await.unwrap().is_some());

    // The same batch again changes nothing.
    let again = store.record_events(tenant.id, &events, &decide, now).await.unwrap();
    assert!(again.iter().all(|o| matches!(o, EventOutcome::Duplicate { .. })));
    assert_eq!(store.count_scheduled().await.unwrap(), 2 * SHIPMENTS as u64);
}
