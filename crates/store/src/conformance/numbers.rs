//! The follow-up numbers' counts: added up per day (in the zone asked for), trigger, channel
//! and carrier by the database, with the median wait to delivered, the same figures on every
//! engine and for the tenant asked about only; and email opens, counted per tenant only where
//! its open tracking is switched on (the switch is the tenant's).

use super::*;
use avisera_domain::NotificationId;
use avisera_domain::stats::{Group, Tally};

/// Sends the tenant's "delivered" SMS for a new shipment `tracking` at `sent`, its carrier
/// `carrier`: the event, the claim and the provider's acceptance all at that instant.
async fn sent_at(
    store: &dyn Store,
    tenant: &Tenant,
    (rules, templates): (&[Rule], &BTreeMap<TemplateId, Template>),
    tracking: &str,
    sent: &str,
    carrier: Option<&str>,
) -> NotificationId {
    let now = at(sent);
    let mut e = event(tracking, "DELIVERED", sent);
    e.details.carrier = carrier.map(str::to_string);
    post(store, tenant, rules, templates, &[e], now).await;
    sent_now(store, tenant, tracking, now).await
}

/// Claims what is due at `now` and records the tenant's one job as accepted by the provider.
async fn sent_now(store: &dyn Store, tenant: &Tenant, worker: &str, now: Timestamp) -> NotificationId {
    let jobs = store
        .claim_due(worker, now, at("2030-01-01T00:00:00Z"), 10)
        .await
        .unwrap();
    let job = jobs
        .iter()
        .find(|j| j.tenant_id == tenant.id)
        .expect("its message is due");
    let sent = DeliveryOutcome::Sent {
        provider_id: Some(format!("{worker}-id")),
        charge: None,
    };
    assert!(
        store
            .finish_delivery(tenant.id, job.id, worker, &sent, now)
            .await
            .unwrap()
    );
    job.id
}

async fn receipt(store: &dyn Store, tenant: &Tenant, id: NotificationId, status: Status, when: &str) {
    let change = StatusChange {
        status,
        reason: (status == Status::Undelivered).then(|| "absent subscriber".to_string()),
        at: at(when),
    };
    let moved = store
        .record_receipt(tenant.id, id, (Status::Sent, None), &change, at("2026-11-27T00:00:00Z"))
        .await
        .unwrap();
    assert!(moved);
}

/// The tallies of `by`, in key order.
async fn tallies(store: &dyn Store, tenant: &Tenant, by: Option<Group>, zone: &str) -> Vec<Tally> {
    // Stockholm's 25 and 26 November 2026 (UTC+1).
    let (from, until) = (at("2026-11-24T23:00:00Z"), at("2026-11-26T23:00:00Z"));
    let mut out = store.sent_tallies(tenant.id, from, until, by, zone).await.unwrap();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn counts(t: &[Tally]) -> Vec<(&str, u64, u64, u64, Option<i64>)> {
    t.iter()
        .map(|t| {
            (
                t.key.as_str(),
                t.sent,
                t.delivered,
                t.undelivered,
                t.median_ms_to_delivered,
            )
        })
        .collect()
}

pub async fn tallies_add_up_each_group_in_the_database_with_days_in_the_zone_asked_for(store: &dyn Store) {
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let with = (rules.as_slice(), &templates);
    let t1 = sent_at(store, &a, with, "T1", "2026-11-25T10:00:00Z", Some("PostNord")).await;
    let t2 = sent_at(store, &a, with, "T2", "2026-11-25T11:00:00Z", Some("PostNord")).await;
    let t3 = sent_at(store, &a, with, "T3", "2026-11-25T12:00:00Z", Some(" DHL ")).await;
    // 23:30 UTC on a winter day is 00:30 the next day in Stockholm.
    let t4 = sent_at(store, &a, with, "T4", "2026-11-25T23:30:00Z", None).await;
    let t5 = sent_at(store, &a, with, "T5", "2026-11-26T09:00:00Z", Some("PostNord")).await;
    let t6 = sent_at(store, &a, with, "T6", "2026-11-26T10:00:00Z", Some("PostNord")).await;
    // Outside the period: sent at the end instant (excluded).
    sent_at(store, &a, with, "T7", "2026-11-26T23:00:00Z", Some("PostNord")).await;
    receipt(store, &a, t1, Status::Delivered, "2026-11-25T10:00:10Z").await;
    receipt(store, &a, t2, Status::Delivered, "2026-11-25T11:00:30Z").await;
    receipt(store, &a, t3, Status::Delivered, "2026-11-25T12:00:21.500Z").await;
    receipt(store, &a, t4, Status::Undelivered, "2026-11-26T00:00:00Z").await;
    // The provider's clock behind ours: delivered "before" sending took no time.
    receipt(store, &a, t6, Status::Delivered, "2026-11-26T09:59:55Z").await;
    assert!(
        store
            .record_link_visit(a.id, t5, at("2026-11-26T09:10:00Z"))
            .await
            .unwrap()
    );
    assert!(
        store
            .record_link_visit(a.id, t5, at("2026-11-26T09:20:00Z"))
            .await
            .unwrap(),
        "a second visit: still one clicked message"
    );
    // An email sent by hand (no trigger) for T5's shipment, opened twice.
    let email = PlannedNotification {
        rule_id: None,
        trigger: None,
        channel: Channel::Email,
        recipient: "anna@example.se".into(),
        dedupe_key: "manual:numbers".into(),
        due_at: at("2026-11-26T09:30:00Z"),
        time_zone: None,
        language: None,
        message: Ok(Message::Email {
            from_name: "A".into(),
            from_address: None,
            reply_to: None,
            to: "anna@example.se".into(),
            subject: "Hej".into(),
            html: Some("<p>Hej</p>".into()),
            text: "Hej".into(),
            list_unsubscribe: None,
        }),
    };
    let manual = store
        .add_manual(a.id, "T5", &email, at("2026-11-26T09:30:00Z"))
        .await
        .unwrap()
        .expect("added");
    assert_eq!(sent_now(store, &a, "mail", at("2026-11-26T09:30:00Z")).await, manual);
    for t in ["2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z"] {
        assert!(store.record_open(a.id, manual, at(t)).await.unwrap());
    }
    // Another tenant's message in the same period counts only for it.
    let (b, b_rules, b_templates) = tenant_with_rule(store, "B").await;
    sent_at(
        store,
        &b,
        (b_rules.as_slice(), &b_templates),
        "B1",
        "2026-11-25T10:00:00Z",
        Some("PostNord"),
    )
    .await;

    let home = "Europe/Stockholm";
    let total = tallies(store, &a, None, home).await;
    assert_eq!(
        total,
        vec![Tally {
            key: "total".into(),
            sent: 7,
            delivered: 4,
            undelivered: 1,
            bounced: 0,
            clicked: 1,
            emails: 1,
            opened: 1,
            // Waits 0, 10 000, 21 500 and 30 000 ms: the mean of the middle two.
            median_ms_to_delivered: Some(15_750),
        }]
    );
    assert_eq!(
        counts(&tallies(store, &a, Some(Group::Day), home).await),
        [("2026-11-25", 3, 3, 0, Some(21_500)), ("2026-11-26", 4, 1, 1, Some(0))],
        "T4, sent 23:30 UTC, is on Stockholm's 26th"
    );
    assert_eq!(
        counts(&tallies(store, &a, Some(Group::Day), "UTC").await),
        [("2026-11-25", 4, 3, 1, Some(21_500)), ("2026-11-26", 3, 1, 0, Some(0))],
        "in UTC, T4 is on the 25th"
    );
    let days = tallies(store, &a, Some(Group::Day), home).await;
    assert_eq!((days[1].clicked, days[1].emails, days[1].opened), (1, 1, 1));
    assert_eq!(
        counts(&tallies(store, &a, Some(Group::Channel), home).await),
        [("email", 1, 0, 0, None), ("sms", 6, 4, 1, Some(15_750))]
    );
    assert_eq!(
        counts(&tallies(store, &a, Some(Group::Trigger), home).await),
        [("delivered", 6, 4, 1, Some(15_750)), ("none", 1, 0, 0, None)]
    );
    assert_eq!(
        counts(&tallies(store, &a, Some(Group::Carrier), home).await),
        [
            ("DHL", 1, 1, 0, Some(21_500)),
            ("PostNord", 5, 3, 0, Some(10_000)),
            ("unknown", 1, 0, 1, None)
        ],
        "trimmed; none is unknown"
    );

    let b_total = tallies(store, &b, None, home).await;
    assert_eq!(
        (b_total.len(), b_total[0].sent, b_total[0].delivered),
        (1, 1, 0),
        "B sees only its own"
    );
    let quiet = store
        .sent_tallies(a.id, at("2026-10-01T00:00:00Z"), at("2026-11-01T00:00:00Z"), None, home)
        .await
        .unwrap();
    assert!(quiet.is_empty(), "nothing sent, no tally: {quiet:?}");
}

pub async fn open_tracking_is_per_tenant_and_an_open_counts_for_its_own_notification(store: &dyn Store) {
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let (b, _, _) = tenant_with_rule(store, "B").await;
    assert!(!a.open_tracking, "off by default");
    store.set_open_tracking(a.id, true).await.unwrap();
    assert!(store.tenant(a.id).await.unwrap().unwrap().open_tracking);
    assert!(
        !store.tenant(b.id).await.unwrap().unwrap().open_tracking,
        "B's stays off"
    );
    assert!(
        store
            .tenants()
            .await
            .unwrap()
            .iter()
            .any(|t| t.id == a.id && t.open_tracking)
    );
    assert!(matches!(
        store.set_open_tracking(TenantId(9999), true).await,
        Err(StoreError::NotFound(_))
    ));

    let id = sent_at(
        store,
        &a,
        (rules.as_slice(), &templates),
        "O1",
        "2026-11-25T10:00:00Z",
        None,
    )
    .await;
    assert_eq!(store.opens(a.id, id).await.unwrap(), None);
    assert!(
        !store.record_open(b.id, id, at("2026-11-25T11:00:00Z")).await.unwrap(),
        "B counted an open of A's notification"
    );
    for t in ["2026-11-25T12:00:00Z", "2026-11-25T11:00:00Z"] {
        assert!(store.record_open(a.id, id, at(t)).await.unwrap());
    }
    assert_eq!(
        store.opens(a.id, id).await.unwrap(),
        Some(Visits {
            count: 2,
            first_at: at("2026-11-25T11:00:00Z"),
            last_at: at("2026-11-25T12:00:00Z"),
        })
    );
    assert_eq!(store.opens(b.id, id).await.unwrap(), None);
    store.set_open_tracking(a.id, false).await.unwrap();
    assert!(!store.tenant(a.id).await.unwrap().unwrap().open_tracking);
}
