//! Batches larger than one statement holds (SQLite takes at most 32,766 parameters): every
//! multi-row statement is split, and the batch is still stored whole, once, in one transaction.

use avisera_domain::event::{CarrierEvent, EventInput, ReceiverInput, ShipmentInput};
use avisera_domain::mapping::Mapping;
use avisera_domain::notification::{Channel, Message, Status};
use avisera_domain::plan::Plan;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::{Shipment, apply};
use avisera_domain::tenant::Brand;
use avisera_domain::trigger::Trigger;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{Decision, EventOutcome, EventStore, NotificationLog, Outbox, TenantConfig};
use avisera_store_sqlite::SqliteStore;
use avisera_store_sqlite::testing::fresh_sqlite;

/// More shipments than one statement of any table's width holds (the widest, notifications,
/// takes 18 parameters a row: 1,666 rows a statement).
const SHIPMENTS: usize = 7_000;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn events(code: &str, time: &str) -> Vec<CarrierEvent> {
    (0..SHIPMENTS)
        .map(|i| {
            EventInput {
                tracking_number: Some(format!("T{i:05}")),
                code: Some(code.into()),
                occurred_at: Some(time.into()),
                shipment: Some(ShipmentInput {
                    receiver: Some(ReceiverInput {
                        phone: Some("+46701234567".into()),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .check()
            .unwrap()
        })
        .collect()
}

fn reminder(e: &CarrierEvent) -> PlannedNotification {
    PlannedNotification {
        rule_id: None,
        trigger: Some(Trigger::DaysLeftAtPickupPoint),
        channel: Channel::Sms,
        recipient: "+46701234567".into(),
        dedupe_key: format!("reminder {}", e.tracking_number),
        due_at: at("2026-11-28T10:00:00Z"),
        time_zone: None,
        language: None,
        message: Ok(Message::Sms {
            sender_id: "Shop".into(),
            to: "+46701234567".into(),
            text: "2 dagar kvar".into(),
        }),
    }
}

async fn count(store: &SqliteStore, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(store.pool()).await.unwrap()
}

#[tokio::test]
async fn a_batch_larger_than_one_statement_is_stored_whole_and_once() {
    let store = fresh_sqlite().await;
    let now = at("2026-11-25T10:00:00Z");
    let tenant: TenantId = store
        .create_tenant("Shop", Plan::Plus, &Brand::named("Shop"), now)
        .await
        .unwrap()
        .id;
    let with_reminder = |shipment: Shipment, e: &CarrierEvent| Decision {
        applied: apply(shipment, e, Mapping::defaults()),
        planned: vec![reminder(e)],
    };
    let first = events("EN_ROUTE", "2026-11-25T09:00:00Z");
    let outcomes = store.record_events(tenant, &first, &with_reminder, now).await.unwrap();
    assert_eq!(outcomes.len(), SHIPMENTS);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, EventOutcome::Accepted { notifications: 1, .. })),
        "every event is new and plans its reminder"
    );
    assert_eq!(store.count_scheduled().await.unwrap(), SHIPMENTS as u64);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM shipments").await, SHIPMENTS as i64);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM events").await, SHIPMENTS as i64);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM notification_history").await,
        SHIPMENTS as i64
    );

    // The same batch again: all duplicates, nothing added.
    let again = store.record_events(tenant, &first, &with_reminder, now).await.unwrap();
    assert!(again.iter().all(|o| matches!(o, EventOutcome::Duplicate { .. })));
    assert_eq!(store.count_scheduled().await.unwrap(), SHIPMENTS as u64);

    // A later event of every shipment cancels every reminder, each with its history.
    let cancel = |shipment: Shipment, e: &CarrierEvent| {
        let mut applied = apply(shipment, e, Mapping::defaults());
        applied
            .cancel
            .push((Trigger::DaysLeftAtPickupPoint, "picked up".into()));
        Decision {
            applied,
            planned: vec![],
        }
    };
    let second = events("OTHER", "2026-11-25T12:00:00Z");
    store.record_events(tenant, &second, &cancel, now).await.unwrap();
    assert_eq!(store.count_scheduled().await.unwrap(), 0);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM notifications WHERE status = 'cancelled' AND reason = 'picked up'"
        )
        .await,
        SHIPMENTS as i64
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM notification_history").await,
        2 * SHIPMENTS as i64
    );
    let last = store
        .notifications(
            tenant,
            &avisera_store::NotificationFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let history = store.notification_history(tenant, last[0].id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.status).collect::<Vec<_>>(),
        [Status::Scheduled, Status::Cancelled]
    );
    assert_eq!(
        store
            .shipment(tenant, "T06999")
            .await
            .unwrap()
            .unwrap()
            .details
            .receiver_phone
            .as_deref(),
        Some("+46701234567")
    );
}
