//! Clicks, views and the numbers: a visit counts for its own notification and keeps the first
//! visit's time, a page view for its own shipment, never across tenants (the numbers made of
//! them are in `numbers`).

use super::*;

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
