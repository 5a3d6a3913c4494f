//! The outbox: claims with a lease, retries, outcomes and their history, charges, notices,
//! opt-outs, and a cancel that meets a send in flight.

use super::*;

pub async fn claims_lease_jobs_and_expired_leases_are_claimed_again(store: &dyn Store) {
    let (tenant, now) = one_delivered_waiting(store).await;
    let lease = at("2026-11-25T10:00:30Z");
    let jobs = store.claim_due("w1", now, lease, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].attempt, 1);
    assert!(
        store.claim_due("w2", now, lease, 10).await.unwrap().is_empty(),
        "claimed twice within a lease"
    );
    let later = at("2026-11-25T10:01:00Z");
    let again = store
        .claim_due("w2", later, at("2026-11-25T10:01:30Z"), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1, "an expired lease must be claimable");
    assert_eq!(again[0].idempotency_key, jobs[0].idempotency_key);
    assert_eq!(again[0].attempt, 1, "a claim lost with its worker is not an attempt");
    let charge = Charge {
        units: 2,
        unit_price: Ore(75),
    };
    let sent = DeliveryOutcome::Sent {
        provider_id: Some("p-1".into()),
        charge: Some(charge),
    };
    assert!(
        !store
            .finish_delivery(tenant.id, jobs[0].id, "w1", &sent, later)
            .await
            .unwrap(),
        "w1 lost its lease"
    );
    assert!(
        store
            .finish_delivery(tenant.id, jobs[0].id, "w2", &sent, later)
            .await
            .unwrap()
    );
    let n = store.notification(tenant.id, jobs[0].id).await.unwrap().unwrap();
    assert_eq!(n.status, Status::Sent);
    assert_eq!(n.provider_id.as_deref(), Some("p-1"));
    let history: Vec<Status> = store
        .notification_history(tenant.id, n.id)
        .await
        .unwrap()
        .iter()
        .map(|h| h.status)
        .collect();
    assert_eq!(history, vec![Status::Scheduled, Status::Sent]);
    assert!(
        store
            .claim_due("w3", at("2026-11-26T00:00:00Z"), at("2026-11-26T00:01:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_lease_offered_to_ingest_takes_what_is_due_at_once_and_no_claim_takes_it(store: &dyn Store) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let lease = Lease {
        owner: "lane",
        until: at("2026-11-25T10:00:30Z"),
        most: 2,
    };
    let delivered = |t: &str| event(t, "DELIVERED", "2026-11-25T09:00:00Z");
    let batch = [delivered("T1"), delivered("T2")];
    let stored = post_leasing(store, &tenant, &rules, &templates, &batch, now, Some(&lease)).await;
    assert!(
        stored
            .outcomes
            .iter()
            .all(|o| matches!(o, EventOutcome::Accepted { notifications: 1, .. })),
        "{:?}",
        stored.outcomes
    );
    let jobs = stored.leased;
    assert_eq!(jobs.len(), 2, "both SMS are due at once: {jobs:?}");
    let texts: Vec<&str> = jobs
        .iter()
        .map(|j| match &j.message {
            Message::Sms { text, .. } => text.as_str(),
            other => panic!("expected an SMS, got {other:?}"),
        })
        .collect();
    assert_eq!(texts, ["Hej Anna, T1 är levererat.", "Hej Anna, T2 är levererat."]);
    for job in &jobs {
        assert_eq!((job.tenant_id, job.attempt, job.billable), (tenant.id, 1, true));
        assert_eq!((job.rule_id, job.created_at, job.due_at), (Some(rules[0].id), now, now));
        assert!(job.shipment_id.is_some());
    }
    assert!(
        store
            .claim_due("w2", now, at("2026-11-25T10:00:40Z"), 10)
            .await
            .unwrap()
            .is_empty(),
        "a claim took what the lane holds"
    );
    let sent = DeliveryOutcome::Sent {
        provider_id: Some("p-1".into()),
        charge: None,
    };
    assert!(
        store
            .finish_delivery(tenant.id, jobs[0].id, "lane", &sent, now)
            .await
            .unwrap(),
        "the lane holds the lease it was handed"
    );
    assert_eq!(
        store.notification(tenant.id, jobs[0].id).await.unwrap().unwrap().status,
        Status::Sent
    );
    // The lane died before sending the other: once its lease is over it is claimed, with the
    // key the lane would have used, and the lane's late finish is refused.
    let later = at("2026-11-25T10:01:00Z");
    let again = store
        .claim_due("w2", later, at("2026-11-25T10:01:30Z"), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!((again[0].id, again[0].attempt), (jobs[1].id, 1));
    assert_eq!(again[0].idempotency_key, jobs[1].idempotency_key);
    assert!(
        !store
            .finish_delivery(tenant.id, jobs[1].id, "lane", &sent, later)
            .await
            .unwrap()
    );

    // More due at once than the lease's `most`: none leased, all left to the claim.
    let three = [delivered("T3"), delivered("T4"), delivered("T5")];
    let stored = post_leasing(store, &tenant, &rules, &templates, &three, later, Some(&lease)).await;
    assert!(stored.leased.is_empty(), "{:?}", stored.leased);
    let claimed = store
        .claim_due("w3", later, at("2026-11-25T10:01:30Z"), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);

    // A tenant with its own rate limit: only a claim applies it, so nothing is leased.
    let limited = avisera_domain::rate::Rate::per_second(5);
    store.set_tenant_rate(tenant.id, limited).await.unwrap();
    let stored = post_leasing(
        store,
        &tenant,
        &rules,
        &templates,
        &[delivered("T6")],
        later,
        Some(&lease),
    )
    .await;
    assert!(stored.leased.is_empty(), "{:?}", stored.leased);
    let claimed = store
        .claim_due("w3", later, at("2026-11-25T10:01:30Z"), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);

    // Without a lease nothing is leased (every other caller of `record_events`).
    store.set_tenant_rate(tenant.id, None).await.unwrap();
    let stored = post_leasing(store, &tenant, &rules, &templates, &[delivered("T7")], later, None).await;
    assert!(stored.leased.is_empty());
}

pub async fn a_retry_waits_for_its_time_and_a_failure_keeps_its_reason(store: &dyn Store) {
    let (tenant, now) = one_delivered_waiting(store).await;
    let job = store
        .claim_due("w", now, at("2026-11-25T10:00:30Z"), 10)
        .await
        .unwrap()
        .remove(0);
    let retry = DeliveryOutcome::RetryAt {
        at: at("2026-11-25T10:05:00Z"),
        reason: "provider answered 503".into(),
    };
    assert!(
        store
            .finish_delivery(tenant.id, job.id, "w", &retry, now)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_due("w", at("2026-11-25T10:04:59Z"), at("2026-11-25T10:06:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let job = store
        .claim_due("w", at("2026-11-25T10:05:00Z"), at("2026-11-25T10:06:00Z"), 10)
        .await
        .unwrap()
        .remove(0);
    let failed = DeliveryOutcome::Failed {
        reason: "provider answered 400: unknown number".into(),
    };
    assert!(
        store
            .finish_delivery(tenant.id, job.id, "w", &failed, now)
            .await
            .unwrap()
    );
    let n = store.notification(tenant.id, job.id).await.unwrap().unwrap();
    assert_eq!(n.status, Status::Failed);
    assert_eq!(n.reason.as_deref(), Some("provider answered 400: unknown number"));
    assert_eq!(n.attempts, 2);
    let filter = NotificationFilter {
        status: Some(Status::Failed),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.notifications(tenant.id, &filter).await.unwrap().len(), 1);
    let history = store.notification_history(tenant.id, n.id).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[1].reason.as_deref(), Some("will retry: provider answered 503"));
}

pub async fn a_sent_notification_keeps_its_charge_and_shows_on_the_bill_queries(store: &dyn Store) {
    let (tenant, now) = one_delivered_waiting(store).await;
    let job = store
        .claim_due("w", now, at("2026-11-25T10:01:00Z"), 10)
        .await
        .unwrap()
        .remove(0);
    assert!(job.billable);
    let charge = Charge {
        units: 3,
        unit_price: Ore(75),
    };
    let sent = DeliveryOutcome::Sent {
        provider_id: None,
        charge: Some(charge),
    };
    assert!(store.finish_delivery(tenant.id, job.id, "w", &sent, now).await.unwrap());
    let n = store.notification(tenant.id, job.id).await.unwrap().unwrap();
    assert_eq!((n.sent_at, n.charge), (Some(now), Some(charge)));
    let (from, to) = (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"));
    let billed = store.billed(tenant.id, from, to).await.unwrap();
    assert_eq!(billed.len(), 1);
    assert_eq!(billed[0].charge, charge);
    assert_eq!(billed[0].tracking_number, "T1");
    assert_eq!(store.sms_spend(tenant.id, from, to).await.unwrap(), Ore(225));
    assert!(
        store
            .billed(tenant.id, to, at("2027-01-01T00:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
    let (other, _, _) = tenant_with_rule(store, "Other").await;
    assert!(store.billed(other.id, from, to).await.unwrap().is_empty());
    assert_eq!(store.sms_spend(other.id, from, to).await.unwrap(), Ore(0));
}

pub async fn notices_are_stored_once_and_never_billed(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let notice = PlannedNotification {
        rule_id: None,
        trigger: None,
        channel: Channel::Email,
        recipient: "admin@shop.example".into(),
        dedupe_key: "budget:2026-11:80".into(),
        due_at: now,
        time_zone: None,
        language: None,
        message: Ok(Message::Email {
            from_name: "Avisera".into(),
            from_address: None,
            reply_to: None,
            to: "admin@shop.example".into(),
            subject: "80 %".into(),
            html: None,
            text: "80 %".into(),
            list_unsubscribe: None,
        }),
    };
    assert_eq!(
        store
            .add_notices(tenant.id, std::slice::from_ref(&notice), now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .add_notices(tenant.id, std::slice::from_ref(&notice), now)
            .await
            .unwrap(),
        0
    );
    let job = store
        .claim_due("w", now, at("2026-11-25T10:01:00Z"), 10)
        .await
        .unwrap()
        .remove(0);
    assert!(!job.billable);
    assert_eq!(job.message, notice.message.clone().unwrap());
}

pub async fn a_test_of_a_template_is_stored_once_billed_and_labelled_test(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let test = sms_notice("test:1:0123456789abcdef", "+46701234567", now);
    let id = store.add_test(tenant.id, &test, now).await.unwrap().expect("added");
    assert_eq!(
        store.add_test(tenant.id, &test, now).await.unwrap(),
        None,
        "once per key"
    );
    let job = store
        .claim_due("w", now, at("2026-11-25T10:01:00Z"), 10)
        .await
        .unwrap()
        .remove(0);
    assert_eq!((job.id, job.billable, job.shipment_id), (id, true, None));
    let listed = store.notification(tenant.id, id).await.unwrap().expect("in the log");
    assert_eq!(listed.tracking_number, TEST_LABEL);
    // The log filtered by the label finds it, though no shipment has that tracking number.
    let by_label = NotificationFilter {
        tracking_number: Some(TEST_LABEL.into()),
        limit: 10,
        ..Default::default()
    };
    let found: Vec<avisera_domain::NotificationId> = store
        .notifications(tenant.id, &by_label)
        .await
        .unwrap()
        .iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(found, vec![id], "the log by the test's label");
}

pub async fn a_cancel_reaching_a_send_in_flight_keeps_the_truth(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let planned_reminder = |key: &str| reminder(key, now);
    let planned = vec![planned_reminder("a"), planned_reminder("b")];
    let plan_both = |shipment, e: &CarrierEvent| Decision {
        applied: apply(shipment, e, avisera_domain::mapping::Mapping::defaults()),
        planned: planned.clone(),
    };
    store
        .record_events(
            tenant.id,
            &[event("T1", "EN_ROUTE", "2026-11-25T09:00:00Z")],
            &plan_both,
            now,
        )
        .await
        .unwrap();
    let jobs = store.claim_due("w", now, at("2026-11-25T10:01:00Z"), 10).await.unwrap();
    assert_eq!(jobs.len(), 2);
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
        .record_events(tenant.id, &[event("T1", "OTHER", "2026-11-25T09:30:00Z")], &cancel, now)
        .await
        .unwrap();
    // The provider took the first one before the cancel reached it: it was sent, and says so.
    let sent = DeliveryOutcome::Sent {
        provider_id: None,
        charge: None,
    };
    assert!(
        store
            .finish_delivery(tenant.id, jobs[0].id, "w", &sent, now)
            .await
            .unwrap()
    );
    assert_eq!(
        store.notification(tenant.id, jobs[0].id).await.unwrap().unwrap().status,
        Status::Sent
    );
    // The second failed for now: it stays cancelled and is never tried again.
    let retry = DeliveryOutcome::RetryAt {
        at: at("2026-11-25T10:00:10Z"),
        reason: "503".into(),
    };
    assert!(
        !store
            .finish_delivery(tenant.id, jobs[1].id, "w", &retry, now)
            .await
            .unwrap()
    );
    let n = store.notification(tenant.id, jobs[1].id).await.unwrap().unwrap();
    assert_eq!(
        (n.status, n.reason.as_deref()),
        (Status::Cancelled, Some("the parcel was picked up"))
    );
    assert!(
        store
            .claim_due("w2", at("2026-11-25T11:00:00Z"), at("2026-11-25T11:01:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn opt_outs_are_per_tenant_and_idempotent(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    store.opt_out(a.id, "+46701234567", now).await.unwrap();
    store
        .opt_out(a.id, "+46701234567", at("2026-11-26T10:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        store.opted_out(a.id, "+46701234567").await.unwrap(),
        Some(now),
        "the first opt-out counts"
    );
    assert_eq!(
        store.opted_out(b.id, "+46701234567").await.unwrap(),
        None,
        "opting out of A is not opting out of B"
    );
    assert_eq!(store.opted_out(a.id, "+46701234568").await.unwrap(), None);
}

fn sms_notice(key: &str, to: &str, now: Timestamp) -> PlannedNotification {
    PlannedNotification {
        rule_id: None,
        trigger: None,
        channel: Channel::Sms,
        recipient: to.into(),
        dedupe_key: key.into(),
        due_at: now,
        time_zone: None,
        language: None,
        message: Ok(Message::Sms {
            sender_id: "Shop".into(),
            to: to.into(),
            text: format!("notice {key}"),
        }),
    }
}

pub async fn a_batch_of_outcomes_is_recorded_together_and_only_where_the_worker_holds_the_lease(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    let notices: Vec<PlannedNotification> = (1..=3)
        .map(|i| sms_notice(&format!("a{i}"), &format!("+4670123456{i}"), now))
        .collect();
    store.add_notices(a.id, &notices, now).await.unwrap();
    store
        .add_notices(b.id, &[sms_notice("b1", "+46701234569", now)], now)
        .await
        .unwrap();
    let lease = at("2026-11-25T10:01:00Z");
    let mut jobs = store.claim_due("w1", now, lease, 10).await.unwrap();
    jobs.sort_by_key(|j| j.idempotency_key.clone());
    assert_eq!(jobs.len(), 4);
    let id_of = |tenant: TenantId, text: &str| {
        jobs.iter()
            .find(|j| j.tenant_id == tenant && matches!(&j.message, Message::Sms { text: t, .. } if t.ends_with(text)))
            .map(|j| j.id)
            .expect("claimed")
    };
    let (a1, a2, a3, b1) = (
        id_of(a.id, "a1"),
        id_of(a.id, "a2"),
        id_of(a.id, "a3"),
        id_of(b.id, "b1"),
    );
    let retry_at = at("2026-11-25T10:05:00Z");
    let sent = DeliveryOutcome::Sent {
        provider_id: Some("p-1".into()),
        charge: None,
    };
    let finished = vec![
        Finished {
            tenant: a.id,
            id: a1,
            outcome: sent.clone(),
            provider: Some("second".into()),
        },
        Finished {
            tenant: a.id,
            id: a2,
            outcome: DeliveryOutcome::RetryAt {
                at: retry_at,
                reason: "503".into(),
            },
            provider: Some("first".into()),
        },
        Finished {
            tenant: a.id,
            id: a3,
            outcome: DeliveryOutcome::Cancelled {
                reason: "opted out".into(),
            },
            provider: None,
        },
        // Another tenant's id under A's name is not A's to record.
        Finished {
            tenant: a.id,
            id: b1,
            outcome: sent.clone(),
            provider: Some("first".into()),
        },
    ];
    let recorded = store.finish_deliveries("w1", &finished, now).await.unwrap();
    assert_eq!(recorded, vec![a1, a2, a3], "b1 is not tenant A's");
    let status = |tenant: TenantId, id| async move { store.notification(tenant, id).await.unwrap().unwrap() };
    assert_eq!(status(a.id, a1).await.status, Status::Sent);
    assert_eq!(status(a.id, a1).await.provider_id.as_deref(), Some("p-1"));
    // The named provider that sent it, or that its last attempt reached.
    let providers = [status(a.id, a1).await.provider, status(a.id, a2).await.provider];
    assert_eq!(providers, [Some("second".into()), Some("first".into())]);
    assert_eq!(status(a.id, a3).await.provider, None, "no provider was called");
    let retried = status(a.id, a2).await;
    assert_eq!(
        (retried.status, retried.reason.as_deref()),
        (Status::Scheduled, Some("503"))
    );
    assert_eq!(status(a.id, a3).await.status, Status::Cancelled);
    assert_eq!(
        status(b.id, b1).await.status,
        Status::Scheduled,
        "b1 still waits for its worker"
    );
    let history: Vec<(Status, Option<String>)> = store
        .notification_history(a.id, a2)
        .await
        .unwrap()
        .into_iter()
        .map(|h| (h.status, h.reason))
        .collect();
    assert_eq!(
        history,
        vec![
            (Status::Scheduled, None),
            (Status::Scheduled, Some("will retry: 503".into()))
        ]
    );
    // A worker that lost its lease records nothing; the one holding it records its outcome.
    assert!(
        store
            .finish_deliveries("w2", &finished[3..], now)
            .await
            .unwrap()
            .is_empty()
    );
    let b_finished = [Finished {
        tenant: b.id,
        id: b1,
        outcome: sent,
        provider: None,
    }];
    assert_eq!(store.finish_deliveries("w1", &b_finished, now).await.unwrap(), vec![b1]);
    assert_eq!(status(b.id, b1).await.status, Status::Sent);
    // The retry is an attempt, claimed again at its time; the rest are done.
    let again = store
        .claim_due("w3", retry_at, at("2026-11-25T10:06:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|j| (j.id, j.attempt)).collect::<Vec<_>>(),
        vec![(a2, 2)]
    );
}

pub async fn opt_outs_are_looked_up_for_a_whole_batch(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    store.opt_out(a.id, "Anna@Example.se", now).await.unwrap();
    store.opt_out(a.id, "+46701234567", now).await.unwrap();
    store.opt_out(b.id, "+46701234568", now).await.unwrap();
    let found = store
        .opted_out_among(
            a.id,
            &["anna@example.SE", "+46701234567", "+46701234568", "bo@example.se"],
        )
        .await
        .unwrap();
    let mut addresses: Vec<&str> = found.keys().map(String::as_str).collect();
    addresses.sort();
    assert_eq!(
        addresses,
        vec!["+46701234567", "anna@example.se"],
        "B's opt-out is not A's"
    );
    assert_eq!(found["anna@example.se"], now);
    assert!(store.opted_out_among(b.id, &[]).await.unwrap().is_empty());
}

pub async fn a_waiting_message_is_cancelled_by_hand_once_with_who_and_only_in_its_tenant(store: &dyn Store) {
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let other = store
        .create_tenant("Other", Plan::Plus, &Brand::named("Other"), at("2026-11-25T08:00:00Z"))
        .await
        .unwrap();
    let now = at("2026-11-25T10:00:00Z");
    let later = at("2026-11-26T10:00:00Z");
    let planned = vec![reminder("waits", later)];
    let plan = |shipment, e: &CarrierEvent| Decision {
        applied: apply(shipment, e, avisera_domain::mapping::Mapping::defaults()),
        planned: planned.clone(),
    };
    store
        .record_events(
            tenant.id,
            &[event("T1", "EN_ROUTE", "2026-11-25T09:00:00Z")],
            &plan,
            now,
        )
        .await
        .unwrap();
    let filter = NotificationFilter {
        limit: 10,
        ..Default::default()
    };
    let id = store.notifications(tenant.id, &filter).await.unwrap()[0].id;
    let reason = "cancelled by anna@shop.se in the portal";
    assert!(
        !store.cancel_waiting(other.id, id, reason, now).await.unwrap(),
        "another tenant's"
    );
    assert!(store.cancel_waiting(tenant.id, id, reason, now).await.unwrap());
    assert!(!store.cancel_waiting(tenant.id, id, reason, now).await.unwrap(), "once");
    let n = store.notification(tenant.id, id).await.unwrap().unwrap();
    assert_eq!((n.status, n.reason.as_deref()), (Status::Cancelled, Some(reason)));
    let history = store.notification_history(tenant.id, id).await.unwrap();
    let last = history.last().unwrap();
    assert_eq!((last.status, last.reason.as_deref()), (Status::Cancelled, Some(reason)));
    assert!(
        store
            .claim_due("w", later, at("2026-11-26T10:01:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
