//! What the store's PostgreSQL tests share: events of one receiver each, the SMS a rule plans
//! for them, and a tenant. Each test binary uses a part of it.
#![allow(dead_code)]

use avisera_domain::event::{CarrierEvent, EventInput, ReceiverInput, ShipmentInput};
use avisera_domain::ingest::Decision;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::plan::Plan;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::{Shipment, apply};
use avisera_domain::tenant::Brand;
use avisera_domain::trigger::Trigger;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::TenantConfig;
use avisera_store_postgres::PgStore;

pub async fn tenant(store: &PgStore, name: &str, now: Timestamp) -> TenantId {
    store
        .create_tenant(name, Plan::Plus, &Brand::named(name), now)
        .await
        .unwrap()
        .id
}

/// One SMS of `trigger` to the event's receiver, due at `due`.
pub fn plan(shipment: Shipment, e: &CarrierEvent, due: Timestamp, trigger: Trigger) -> Decision {
    let to = phone_of(e).to_string();
    Decision {
        applied: apply(shipment, e, avisera_domain::mapping::Mapping::defaults()),
        planned: vec![PlannedNotification {
            rule_id: None,
            trigger: Some(trigger),
            channel: Channel::Sms,
            recipient: to.clone(),
            dedupe_key: format!("{}:{}", e.tracking_number, e.code),
            due_at: due,
            time_zone: None,
            language: Some("sv".into()),
            message: Ok(Message::Sms {
                sender_id: "Shop".into(),
                to,
                text: format!("{} {}", e.tracking_number, e.code),
            }),
        }],
    }
}

pub fn event(tracking: &str, code: &str, time: &str, i: usize) -> CarrierEvent {
    EventInput {
        tracking_number: Some(tracking.into()),
        code: Some(code.into()),
        occurred_at: Some(time.into()),
        shipment: Some(ShipmentInput {
            receiver: Some(ReceiverInput {
                phone: Some(format!("+4670{:07}", 1_000_000 + i)),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
    .check()
    .expect("valid test event")
}

pub fn phone_of(e: &CarrierEvent) -> &str {
    e.details
        .receiver_phone
        .as_deref()
        .expect("the test's events name a phone")
}

pub fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}
