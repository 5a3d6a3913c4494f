//! Events and the shipments they build: each event once, applied in order, and what a batch
//! plans and cancels stored in its one transaction.

use super::*;

pub async fn duplicate_event_is_stored_once_and_notifies_once(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let e = event("T1", "DELIVERED", "2026-11-25T09:00:00+01:00");
    let first = post(store, &tenant, &rules, &templates, std::slice::from_ref(&e), now).await;
    assert!(
        matches!(first[0], EventOutcome::Accepted { notifications: 1, .. }),
        "{first:?}"
    );
    let again = post(store, &tenant, &rules, &templates, &[e.clone(), e], now).await;
    assert!(
        again.iter().all(|o| matches!(o, EventOutcome::Duplicate { .. })),
        "{again:?}"
    );
    let all = store
        .notifications(
            tenant.id,
            &NotificationFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, Status::Scheduled);
    match &all[0].message {
        Some(Message::Sms { text, to, .. }) => {
            assert_eq!(text, "Hej Anna, T1 är levererat.");
            assert_eq!(to, "+46701234567");
        }
        other => panic!("expected an SMS, got {other:?}"),
    }
    assert_eq!(store.shipment_events(tenant.id, "T1").await.unwrap().len(), 1);
}

pub async fn a_second_event_with_the_same_dedupe_key_adds_no_notification(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let out = post(
        store,
        &tenant,
        &rules,
        &templates,
        &[
            event("T1", "DELIVERED", "2026-11-25T09:00:00Z"),
            event("T1", "DELIVERED", "2026-11-25T09:05:00Z"),
        ],
        now,
    )
    .await;
    assert!(
        matches!(out[1], EventOutcome::Accepted { notifications: 0, .. }),
        "{out:?}"
    );
    assert_eq!(store.shipment_events(tenant.id, "T1").await.unwrap().len(), 2);
    let all = store
        .notifications(
            tenant.id,
            &NotificationFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
}

pub async fn a_notification_planned_as_failed_is_stored_failed_with_its_reason(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let failed = PlannedNotification {
        rule_id: None,
        trigger: Some(Trigger::Delivered),
        channel: Channel::Sms,
        recipient: "12ab".into(),
        dedupe_key: "k1".into(),
        due_at: now,
        time_zone: None,
        language: None,
        message: Err(NotSent::Failed("invalid phone number \"12ab\"".into())),
    };
    let decide = |shipment, e: &CarrierEvent| Decision {
        applied: apply(shipment, e, avisera_domain::mapping::Mapping::defaults()),
        planned: vec![failed.clone()],
    };
    store
        .record_events(
            tenant.id,
            &[event("T9", "DELIVERED", "2026-11-25T09:00:00Z")],
            &decide,
            now,
        )
        .await
        .unwrap();
    let n = &store
        .notifications(
            tenant.id,
            &NotificationFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()[0];
    assert_eq!(n.status, Status::Failed);
    assert_eq!(n.reason.as_deref(), Some("invalid phone number \"12ab\""));
    assert!(
        store
            .claim_due("w", now, at("2026-11-25T10:01:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn leaving_the_pickup_point_cancels_the_reminder(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let reminder = reminder("reminder", at("2026-11-28T10:00:00Z"));
    let with_reminder = |shipment, e: &CarrierEvent| Decision {
        applied: apply(shipment, e, avisera_domain::mapping::Mapping::defaults()),
        planned: vec![reminder.clone()],
    };
    store
        .record_events(
            tenant.id,
            &[event("T1", "EN_ROUTE", "2026-11-25T09:00:00Z")],
            &with_reminder,
            now,
        )
        .await
        .unwrap();
    let cancel = |shipment, e: &CarrierEvent| {
        let mut applied = apply(shipment, e, avisera_domain::mapping::Mapping::defaults());
        applied
            .cancel
            .push((Trigger::DaysLeftAtPickupPoint, "the parcel was picked up".into()));
        Decision {
            applied,
            planned: vec![],
        }
    };
    store
        .record_events(tenant.id, &[event("T1", "OTHER", "2026-11-25T12:00:00Z")], &cancel, now)
        .await
        .unwrap();
    let n = &store
        .notifications(
            tenant.id,
            &NotificationFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()[0];
    assert_eq!(n.status, Status::Cancelled);
    assert_eq!(n.reason.as_deref(), Some("the parcel was picked up"));
    assert!(
        store
            .claim_due("w", at("2026-11-29T00:00:00Z"), at("2026-11-29T00:01:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn one_batch_applies_events_in_order_and_spots_its_own_duplicates(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let delivered = event("B1", "DELIVERED", "2026-11-25T09:00:00Z");
    let batch = [
        event("B1", "CREATED", "2026-11-24T09:00:00Z"),
        event("B2", "NOT_A_KNOWN_CODE", "2026-11-24T09:00:00Z"),
        delivered.clone(),
        delivered,
    ];
    let out = post(store, &tenant, &rules, &templates, &batch, now).await;
    assert!(
        matches!(
            out[0],
            EventOutcome::Accepted {
                notifications: 0,
                unknown_code: false,
                ..
            }
        ),
        "{out:?}"
    );
    assert!(
        matches!(out[1], EventOutcome::Accepted { unknown_code: true, .. }),
        "{out:?}"
    );
    assert!(
        matches!(out[2], EventOutcome::Accepted { notifications: 1, .. }),
        "{out:?}"
    );
    assert!(matches!(out[3], EventOutcome::Duplicate { .. }), "{out:?}");
    let shipment = store.shipment(tenant.id, "B1").await.unwrap().unwrap();
    assert_eq!(shipment.milestone, Some(avisera_domain::mapping::Milestone::Delivered));
    assert_eq!(shipment.details.receiver_name.as_deref(), Some("Anna"));
    let history = store.shipment_events(tenant.id, "B2").await.unwrap();
    assert_eq!(history.len(), 1);
    assert!(history[0].unknown_code, "an unknown code is stored and marked");
    assert_eq!(history[0].code, "NOT_A_KNOWN_CODE");
}

pub async fn a_reminder_planned_and_cancelled_in_one_batch_is_stored_cancelled(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let reminder = reminder("reminder-1", at("2026-11-28T10:00:00Z"));
    let decide = |shipment, e: &CarrierEvent| {
        let mut applied = apply(shipment, e, avisera_domain::mapping::Mapping::defaults());
        let planned = if e.code == "EN_ROUTE" {
            vec![reminder.clone()]
        } else {
            applied
                .cancel
                .push((Trigger::DaysLeftAtPickupPoint, "the parcel was picked up".into()));
            vec![]
        };
        Decision { applied, planned }
    };
    let batch = [
        event("R1", "EN_ROUTE", "2026-11-25T08:00:00Z"),
        event("R1", "OTHER", "2026-11-25T09:00:00Z"),
    ];
    store.record_events(tenant.id, &batch, &decide, now).await.unwrap();
    let all = store
        .notifications(
            tenant.id,
            &NotificationFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].status, Status::Cancelled);
    assert_eq!(all[0].reason.as_deref(), Some("the parcel was picked up"));
    assert!(
        store
            .claim_due("w", at("2026-11-29T00:00:00Z"), at("2026-11-29T00:01:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn one_batch_cancels_what_waits_for_many_shipments_with_history(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let with_reminder = |shipment, e: &CarrierEvent| Decision {
        applied: apply(shipment, e, avisera_domain::mapping::Mapping::defaults()),
        planned: vec![reminder(
            &format!("reminder {}", e.tracking_number),
            at("2026-11-28T10:00:00Z"),
        )],
    };
    let first: Vec<_> = ["T1", "T2", "T3"]
        .iter()
        .map(|t| event(t, "EN_ROUTE", "2026-11-25T09:00:00Z"))
        .collect();
    store
        .record_events(tenant.id, &first, &with_reminder, now)
        .await
        .unwrap();
    let cancel = |shipment, e: &CarrierEvent| {
        let mut applied = apply(shipment, e, avisera_domain::mapping::Mapping::defaults());
        applied.cancel.push((
            Trigger::DaysLeftAtPickupPoint,
            format!("{} was picked up", e.tracking_number.len()),
        ));
        applied.cancel.push((Trigger::OutForDelivery, "delivered".into()));
        Decision {
            applied,
            planned: vec![],
        }
    };
    let second: Vec<_> = ["T1", "T2"]
        .iter()
        .map(|t| event(t, "OTHER", "2026-11-25T12:00:00Z"))
        .collect();
    store.record_events(tenant.id, &second, &cancel, now).await.unwrap();
    let all = store
        .notifications(
            tenant.id,
            &NotificationFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    for n in &all {
        let history = store.notification_history(tenant.id, n.id).await.unwrap();
        let last = history.last().unwrap();
        if n.tracking_number == "T3" {
            assert_eq!(
                n.status,
                Status::Scheduled,
                "a shipment outside the batch keeps its reminder"
            );
            assert_eq!(last.status, Status::Scheduled);
        } else {
            assert_eq!(
                (n.status, n.reason.as_deref()),
                (Status::Cancelled, Some("2 was picked up"))
            );
            assert_eq!(
                (last.status, last.reason.as_deref()),
                (Status::Cancelled, Some("2 was picked up"))
            );
        }
    }
}

pub async fn concurrent_batches_of_the_same_new_shipments_store_each_shipment_once(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    // Eight batches at once, each with an event for the same forty shipments nobody has seen.
    let batches: Vec<Vec<CarrierEvent>> = (0..8)
        .map(|b| {
            (0..40)
                .map(|s| event(&format!("NEW{s:02}"), "DELIVERED", &format!("2026-11-25T09:0{b}:00Z")))
                .collect()
        })
        .collect();
    let answers = futures_util::future::join_all(
        batches
            .iter()
            .map(|events| post(store, &tenant, &rules, &templates, events, now)),
    )
    .await;
    let accepted = answers
        .iter()
        .flatten()
        .filter(|o| matches!(o, EventOutcome::Accepted { .. }))
        .count();
    assert_eq!(accepted, 8 * 40, "every event is new");
    let mut ids = std::collections::BTreeSet::new();
    for s in 0..40 {
        let tracking = format!("NEW{s:02}");
        let shipment = store.shipment(tenant.id, &tracking).await.unwrap().expect("stored");
        ids.insert(shipment.id);
        assert_eq!(
            store.shipment_events(tenant.id, &tracking).await.unwrap().len(),
            8,
            "{tracking}"
        );
    }
    assert_eq!(ids.len(), 40, "one row per shipment");
    let filter = NotificationFilter {
        limit: 1000,
        ..Default::default()
    };
    let notifications = store.notifications(tenant.id, &filter).await.unwrap();
    assert_eq!(notifications.len(), 40, "one \"delivered\" SMS per shipment");
}

pub async fn a_periods_events_come_back_in_arrival_order_after_their_shipments_earlier_ones(store: &dyn Store) {
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let (b, b_rules, b_templates) = tenant_with_rule(store, "B").await;
    let (from, until) = (at("2026-11-20T00:00:00Z"), at("2026-11-25T00:00:00Z"));
    let batches = [
        // Before the period: T1's first scan (its state when the period began), T2 alone.
        (
            "2026-11-18T10:00:00Z",
            vec![event("T1", "EN_ROUTE", "2026-11-18T09:00:00Z")],
        ),
        (
            "2026-11-19T10:00:00Z",
            vec![event("T2", "EN_ROUTE", "2026-11-19T09:00:00Z")],
        ),
        // In it, a batch of two, stored in this order although T3's event happened first.
        (
            "2026-11-21T10:00:00Z",
            vec![
                event("T3", "DELIVERED", "2026-11-21T09:30:00Z"),
                event("T1", "DELIVERED", "2026-11-21T09:45:00Z"),
            ],
        ),
        (
            "2026-11-22T10:00:00Z",
            vec![event("T3", "OTHER", "2026-11-22T09:00:00Z")],
        ),
        // After it.
        (
            "2026-11-26T10:00:00Z",
            vec![event("T1", "OTHER", "2026-11-26T09:00:00Z")],
        ),
    ];
    for (now, events) in &batches {
        post(store, &a, &rules, &templates, events, at(now)).await;
    }
    post(
        store,
        &b,
        &b_rules,
        &b_templates,
        &[event("T1", "DELIVERED", "2026-11-21T09:00:00Z")],
        at("2026-11-21T10:00:00Z"),
    )
    .await;
    let t1 = store.shipment(a.id, "T1").await.unwrap().unwrap().id;
    let mut seen = Vec::new();
    let count = store
        .arrived_events(a.id, from, until, &mut |e| {
            seen.push((
                e.event.tracking_number.clone(),
                e.event.code.clone(),
                e.received_at,
                e.shipment,
            ))
        })
        .await
        .unwrap();
    let got: Vec<(&str, &str, String)> = seen
        .iter()
        .map(|(t, c, r, _)| (t.as_str(), c.as_str(), r.to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("T1", "EN_ROUTE", "2026-11-18T10:00:00Z".to_string()),
            ("T3", "DELIVERED", "2026-11-21T10:00:00Z".to_string()),
            ("T1", "DELIVERED", "2026-11-21T10:00:00Z".to_string()),
            ("T3", "OTHER", "2026-11-22T10:00:00Z".to_string()),
        ],
        "T2 had no event in the period, nothing after it, and nothing of tenant B"
    );
    assert_eq!(count, 4);
    assert!(
        seen.iter().filter(|s| s.0 == "T1").all(|s| s.3 == t1),
        "each with its shipment"
    );
    let mut none = 0;
    let count = store
        .arrived_events(b.id, at("2026-11-22T00:00:00Z"), until, &mut |_| none += 1)
        .await
        .unwrap();
    assert_eq!((count, none), (0, 0));
}
