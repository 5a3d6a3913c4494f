//! Clicks, views and the numbers: a visit counts for its own notification and keeps the first
//! visit's time, a page view for its own shipment, never across tenants; the sent facts give
//! each sent notification its status now, its delivery time, its carrier and whether it was
//! clicked, for the tenant asked about only.

use super::*;
use avisera_domain::stats::SentFact;

/// Tenant `name` with shipment `{name}-C1` (carrier PostNord) delivered and its SMS sent at
/// 10:00 and accepted by the provider as `provider_id`.
async fn sent_with_carrier(store: &dyn Store, name: &str, provider_id: &str) -> (Tenant, NotificationRecord) {
    let (tenant, rules, templates) = tenant_with_rule(store, name).await;
    let now = at("2026-11-25T10:00:00Z");
    let mut e = event(&format!("{name}-C1"), "DELIVERED", "2026-11-25T09:00:00Z");
    e.details.carrier = Some("PostNord".into());
    post(store, &tenant, &rules, &templates, &[e], now).await;
    let jobs = store
        .claim_due(name, now, at("2026-11-25T10:00:30Z"), 10)
        .await
        .unwrap();
    let job = jobs.iter().find(|j| j.tenant_id == tenant.id).expect("its SMS is due");
    let sent = DeliveryOutcome::Sent {
        provider_id: Some(provider_id.into()),
        charge: Some(Charge {
            units: 1,
            unit_price: Ore(75),
        }),
    };
    assert!(
        store
            .finish_delivery(tenant.id, job.id, name, &sent, now)
            .await
            .unwrap()
    );
    let record = store.notification(tenant.id, job.id).await.unwrap().unwrap();
    (tenant, record)
}

pub async fn a_link_visit_counts_for_its_own_notification_keeps_the_first_time_and_no_other_tenants(store: &dyn Store) {
    let (a, a_sms) = sent_with_carrier(store, "A", "v-1").await;
    let (b, _) = sent_with_carrier(store, "B", "v-2").await;
    let shipment = store.shipment(a.id, "A-C1").await.unwrap().unwrap();
    let keys = store.shipment_notification_keys(a.id, shipment.id, 10).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].0, a_sms.id);
    assert!(keys[0].1.starts_with("rule:"), "the dedupe key: {}", keys[0].1);
    assert!(
        store
            .shipment_notification_keys(b.id, shipment.id, 10)
            .await
            .unwrap()
            .is_empty(),
        "B reads A's shipment's notifications"
    );

    assert_eq!(store.link_visits(a.id, a_sms.id).await.unwrap(), None);
    assert!(
        !store
            .record_link_visit(b.id, a_sms.id, at("2026-11-25T11:00:00Z"))
            .await
            .unwrap(),
        "B counted a visit to A's notification"
    );
    assert_eq!(store.link_visits(a.id, a_sms.id).await.unwrap(), None);
    assert_eq!(store.link_visits(b.id, a_sms.id).await.unwrap(), None);
    for t in ["2026-11-25T11:00:00Z", "2026-11-25T12:00:00Z", "2026-11-25T10:30:00Z"] {
        assert!(store.record_link_visit(a.id, a_sms.id, at(t)).await.unwrap());
    }
    assert_eq!(
        store.link_visits(a.id, a_sms.id).await.unwrap(),
        Some(Visits {
            count: 3,
            first_at: at("2026-11-25T10:30:00Z"),
            last_at: at("2026-11-25T12:00:00Z"),
        })
    );

    assert!(
        !store
            .record_page_view(b.id, shipment.id, at("2026-11-25T11:00:00Z"))
            .await
            .unwrap()
    );
    assert!(
        store
            .record_page_view(a.id, shipment.id, at("2026-11-25T11:00:00Z"))
            .await
            .unwrap()
    );
    assert!(
        store
            .record_page_view(a.id, shipment.id, at("2026-11-25T11:05:00Z"))
            .await
            .unwrap()
    );
    assert_eq!(
        store.page_views(a.id, shipment.id).await.unwrap(),
        Some(Visits {
            count: 2,
            first_at: at("2026-11-25T11:00:00Z"),
            last_at: at("2026-11-25T11:05:00Z"),
        })
    );
    assert_eq!(store.page_views(b.id, shipment.id).await.unwrap(), None);
}

pub async fn sent_facts_say_status_delivery_carrier_and_click_of_the_tenants_own_notifications(store: &dyn Store) {
    let (a, a_sms) = sent_with_carrier(store, "A", "f-1").await;
    let (b, _) = sent_with_carrier(store, "B", "f-2").await;
    let delivered = StatusChange {
        status: Status::Delivered,
        reason: None,
        at: at("2026-11-25T10:00:42Z"),
    };
    assert!(
        store
            .record_receipt(
                a.id,
                a_sms.id,
                (Status::Sent, None),
                &delivered,
                at("2026-11-25T10:01:00Z")
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .record_link_visit(a.id, a_sms.id, at("2026-11-25T11:00:00Z"))
            .await
            .unwrap()
    );
    let day = (at("2026-11-25T00:00:00Z"), at("2026-11-26T00:00:00Z"));
    let facts = store.sent_facts(a.id, day.0, day.1).await.unwrap();
    assert_eq!(
        facts,
        vec![SentFact {
            sent_at: a_sms.sent_at.expect("sent"),
            trigger: Some(Trigger::Delivered),
            channel: Channel::Sms,
            carrier: Some("PostNord".into()),
            status: Status::Delivered,
            delivered_at: Some(at("2026-11-25T10:00:42Z")),
            clicked: true,
        }]
    );
    let b_facts = store.sent_facts(b.id, day.0, day.1).await.unwrap();
    assert_eq!(b_facts.len(), 1, "B sees only its own");
    assert_eq!(
        (b_facts[0].status, b_facts[0].delivered_at, b_facts[0].clicked),
        (Status::Sent, None, false)
    );
    // The period is [from, until): sent at 10:00 is outside a period that ends then.
    assert!(
        store
            .sent_facts(a.id, day.0, at("2026-11-25T10:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .sent_facts(a.id, at("2026-11-25T10:00:00Z"), day.1)
            .await
            .unwrap()
            .len()
            == 1
    );

    store
        .suppress(a.id, "anna@example.se", "hard bounce: 550", day.0)
        .await
        .unwrap();
    store.opt_out(a.id, "+46701234567", day.0).await.unwrap();
    assert_eq!(store.suppressed_count(a.id).await.unwrap(), 2);
    assert_eq!(store.suppressed_count(b.id).await.unwrap(), 0);
}
