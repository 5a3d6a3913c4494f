//! Receipts: a provider's receipt finds its notification across tenants by the provider's id
//! or the email's idempotency key, moves it once with its history, and never touches another
//! tenant's notification; suppressed addresses are per tenant, listed and removable.

use super::*;

/// Tenant `name` with its delivered SMS sent and accepted by the provider as `provider_id`.
async fn sent_sms(store: &dyn Store, name: &str, provider_id: &str) -> (Tenant, NotificationRecord) {
    let (tenant, rules, templates) = tenant_with_rule(store, name).await;
    let now = at("2026-11-25T10:00:00Z");
    post(
        store,
        &tenant,
        &rules,
        &templates,
        &[event(&format!("{name}-T1"), "DELIVERED", "2026-11-25T09:00:00Z")],
        now,
    )
    .await;
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

pub async fn a_receipt_moves_its_own_notification_once_and_no_other_tenants(store: &dyn Store) {
    let (a, a_sms) = sent_sms(store, "A", "p-1").await;
    let (b, b_sms) = sent_sms(store, "B", "p-2").await;
    let found = store
        .receipt_targets(Channel::Sms, &ReceiptKey::ProviderId("p-1".into()))
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|t| (t.tenant_id, t.id, t.status)).collect::<Vec<_>>(),
        vec![(a.id, a_sms.id, Status::Sent)]
    );
    assert!(
        store
            .receipt_targets(Channel::Email, &ReceiptKey::ProviderId("p-1".into()))
            .await
            .unwrap()
            .is_empty(),
        "an SMS provider's id named an email"
    );
    let by_key = store
        .receipt_targets(Channel::Sms, &ReceiptKey::IdempotencyKey(b_sms.idempotency_key.clone()))
        .await
        .unwrap();
    assert_eq!(by_key.iter().map(|t| t.id).collect::<Vec<_>>(), vec![b_sms.id]);

    let delivered = StatusChange {
        status: Status::Delivered,
        reason: None,
        at: at("2026-11-25T10:00:05Z"),
    };
    let later = at("2026-11-25T10:01:00Z");
    assert!(
        !store
            .record_receipt(b.id, a_sms.id, (Status::Sent, None), &delivered, later)
            .await
            .unwrap(),
        "tenant B moved tenant A's notification"
    );
    assert!(
        store
            .record_receipt(a.id, a_sms.id, (Status::Sent, None), &delivered, later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_receipt(a.id, a_sms.id, (Status::Sent, None), &delivered, later)
            .await
            .unwrap(),
        "a second receipt read before the first moved it again"
    );
    let n = store.notification(a.id, a_sms.id).await.unwrap().unwrap();
    assert_eq!(
        (n.status, n.sent_at, n.charge),
        (Status::Delivered, a_sms.sent_at, a_sms.charge)
    );
    let history = store.notification_history(a.id, a_sms.id).await.unwrap();
    assert_eq!(
        history.iter().map(|h| h.status).collect::<Vec<_>>(),
        vec![Status::Scheduled, Status::Sent, Status::Delivered]
    );
    assert_eq!(
        history[2].at,
        at("2026-11-25T10:00:05Z"),
        "the provider's delivery time is kept"
    );
    let only_delivered = NotificationFilter {
        status: Some(Status::Delivered),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.notifications(a.id, &only_delivered).await.unwrap().len(), 1);
    assert!(store.notifications(b.id, &only_delivered).await.unwrap().is_empty());
    let billed = store
        .billed(a.id, at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(billed.len(), 1, "a delivered SMS stays billed as sent");
    let noted = StatusChange {
        status: Status::Sent,
        reason: Some("soft bounce: full".into()),
        at: later,
    };
    assert!(
        store
            .record_receipt(b.id, b_sms.id, (Status::Sent, None), &noted, later)
            .await
            .unwrap()
    );
    assert!(
        !store
            .record_receipt(b.id, b_sms.id, (Status::Sent, None), &delivered, later)
            .await
            .unwrap(),
        "a move from a reason no longer there"
    );

    // The same provider id in two tenants is ambiguous: both come back, and the caller
    // touches neither.
    let (_, _) = sent_sms(store, "C", "p-1").await;
    let both = store
        .receipt_targets(Channel::Sms, &ReceiptKey::ProviderId("p-1".into()))
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
}

/// Two providers gave the same message id to two tenants' SMS: a receipt naming its provider
/// finds that provider's message (and one sent before providers were recorded); without a
/// provider the id is ambiguous.
pub async fn a_receipt_from_a_named_provider_finds_only_that_providers_message(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let mut sent = Vec::new();
    for (name, provider) in [("A", Some("first")), ("B", Some("second")), ("C", None)] {
        let (tenant, rules, templates) = tenant_with_rule(store, name).await;
        post(
            store,
            &tenant,
            &rules,
            &templates,
            &[event(&format!("{name}-T1"), "DELIVERED", "2026-11-25T09:00:00Z")],
            now,
        )
        .await;
        let jobs = store
            .claim_due(name, now, at("2026-11-25T10:00:30Z"), 10)
            .await
            .unwrap();
        let job = jobs.iter().find(|j| j.tenant_id == tenant.id).expect("its SMS is due");
        // C's id is another provider's: "m-1" of "first" and of "second" are two messages.
        let id = if name == "C" { "m-2" } else { "m-1" };
        let done = [Finished {
            tenant: tenant.id,
            id: job.id,
            outcome: DeliveryOutcome::Sent {
                provider_id: Some(id.into()),
                charge: None,
            },
            provider: provider.map(str::to_string),
        }];
        assert_eq!(store.finish_deliveries(name, &done, now).await.unwrap(), vec![job.id]);
        sent.push((tenant.id, job.id));
    }
    let found = |key: ReceiptKey| async move {
        store
            .receipt_targets(Channel::Sms, &key)
            .await
            .unwrap()
            .into_iter()
            .map(|t| (t.tenant_id, t.id))
            .collect::<Vec<_>>()
    };
    let of = |provider: &str, id: &str| ReceiptKey::ProviderMessage {
        provider: provider.into(),
        id: id.into(),
    };
    assert_eq!(found(of("first", "m-1")).await, vec![sent[0]]);
    assert_eq!(found(of("second", "m-1")).await, vec![sent[1]]);
    assert_eq!(
        found(of("third", "m-1")).await,
        vec![],
        "no message of a third provider"
    );
    assert_eq!(
        found(ReceiptKey::ProviderId("m-1".into())).await,
        vec![sent[0], sent[1]],
        "without its provider the id names two messages"
    );
    assert_eq!(
        found(of("first", "m-2")).await,
        vec![sent[2]],
        "a message sent before providers were recorded is found by its id"
    );
}

pub async fn suppressed_addresses_are_per_tenant_listed_with_their_reason_and_removable(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    store
        .suppress(a.id, "Anna@Example.se", "hard bounce: 550 user unknown", now)
        .await
        .unwrap();
    store
        .suppress(a.id, "anna@example.se", "spam complaint", at("2026-11-25T11:00:00Z"))
        .await
        .unwrap();
    store
        .opt_out(a.id, "bo@example.se", at("2026-11-25T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!(store.opted_out(a.id, "anna@example.se").await.unwrap(), Some(now));
    assert_eq!(store.opted_out(b.id, "anna@example.se").await.unwrap(), None);
    let listed = store.suppressions(a.id, 10).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|s| (s.address.as_str(), s.reason.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            ("bo@example.se", None),
            ("anna@example.se", Some("hard bounce: 550 user unknown"))
        ]
    );
    assert!(store.suppressions(b.id, 10).await.unwrap().is_empty());
    assert_eq!(store.suppressions(a.id, 1).await.unwrap().len(), 1);
    assert!(!store.remove_suppression(b.id, "anna@example.se").await.unwrap());
    assert!(store.remove_suppression(a.id, " ANNA@example.se").await.unwrap());
    assert_eq!(store.opted_out(a.id, "anna@example.se").await.unwrap(), None);
    assert!(!store.remove_suppression(a.id, "anna@example.se").await.unwrap());
}
