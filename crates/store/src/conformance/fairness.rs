//! Fairness and rate limits: a claim gives every tenant with due work its earliest rows before
//! any tenant more, and takes only what the rate limits let go, across claims and nodes; what
//! a limit holds stays scheduled, with no attempt and no history.

use super::*;
use avisera_domain::TenantId;
use avisera_domain::rate::{Rate, SendLimits};
use std::time::Duration;

/// `n` SMS notices of the tenant, due one second apart from `first`.
async fn queue(store: &dyn Store, tenant: TenantId, prefix: &str, n: usize, first: Timestamp) {
    let notices: Vec<PlannedNotification> = (0..n)
        .map(|i| reminder(&format!("{prefix}{i}"), first + Duration::from_secs(i as u64)))
        .collect();
    assert_eq!(store.add_notices(tenant, &notices, first).await.unwrap() as usize, n);
}

fn per_tenant(jobs: &[DeliveryJob]) -> BTreeMap<TenantId, usize> {
    let mut counts = BTreeMap::new();
    for job in jobs {
        *counts.entry(job.tenant_id).or_default() += 1;
    }
    counts
}

fn rate(n: u32) -> Option<Rate> {
    Rate::per_second(n)
}

pub async fn a_claim_gives_every_waiting_tenant_its_earliest_rows_first(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    let c = store
        .create_tenant("C", Plan::Plus, &Brand::named("C"), now)
        .await
        .unwrap();
    // A's backlog is older than anything of B or C.
    queue(store, a.id, "a", 60, at("2026-11-25T09:00:00Z")).await;
    queue(store, b.id, "b", 1, at("2026-11-25T09:30:00Z")).await;
    queue(store, c.id, "c", 3, at("2026-11-25T09:40:00Z")).await;
    let lease = at("2026-11-25T10:01:00Z");
    let first = store.claim_due("w1", now, lease, 4).await.unwrap();
    assert_eq!(
        per_tenant(&first),
        BTreeMap::from([(a.id, 2), (b.id, 1), (c.id, 1)]),
        "a batch of 4 takes each waiting tenant's earliest row first, then fills by due time"
    );
    let a_jobs: Vec<&DeliveryJob> = first.iter().filter(|j| j.tenant_id == a.id).collect();
    assert!(
        a_jobs[0].due_at == at("2026-11-25T09:00:00Z") && a_jobs[1].due_at == at("2026-11-25T09:00:01Z"),
        "each tenant's rows go oldest first: {a_jobs:?}"
    );
    let second = store.claim_due("w2", now, lease, 4).await.unwrap();
    assert_eq!(
        per_tenant(&second),
        BTreeMap::from([(a.id, 2), (c.id, 2)]),
        "the next claim goes on round robin with the tenants that still wait"
    );
    let rest = store.claim_due("w3", now, lease, 100).await.unwrap();
    assert_eq!(rest.len(), 56, "every due row is claimed once");
    let mut ids: Vec<_> = first.iter().chain(&second).chain(&rest).map(|j| j.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 64, "no row claimed twice");
}

pub async fn rate_limits_claim_only_what_they_allow_and_hold_the_rest_untouched(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    queue(store, a.id, "a", 20, at("2026-11-25T09:00:00Z")).await;
    let sms = SendLimits {
        sms: rate(5),
        ..Default::default()
    };
    let lease = |t: Timestamp| t + Duration::from_secs(60);
    let claimed = store.claim_within(&sms, "w1", now, lease(now), 32).await.unwrap();
    assert_eq!(claimed.len(), 5, "5 per second lets 5 go at once");
    assert_eq!(
        store.count_held(&sms, now).await.unwrap(),
        15,
        "the other 15 are due and held"
    );
    assert!(
        store
            .claim_within(&sms, "w2", now, lease(now), 32)
            .await
            .unwrap()
            .is_empty(),
        "the limit is used up until time passes"
    );
    let later = now + Duration::from_secs(1);
    let more = store.claim_within(&sms, "w2", later, lease(later), 32).await.unwrap();
    assert_eq!(more.len(), 5, "a second later, 5 more");
    // Held messages are as they were: scheduled, no attempt used, no history for each claim.
    let held_one = store
        .notifications(
            a.id,
            &NotificationFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|n| !claimed.iter().chain(&more).any(|j| j.id == n.id))
        .unwrap();
    assert_eq!(held_one.status, Status::Scheduled);
    assert_eq!(
        store.notification_history(a.id, held_one.id).await.unwrap().len(),
        1,
        "only the row of its creation"
    );
    let job = store
        .claim_due("unlimited", later, lease(later), 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(job.attempt, 1, "being held used up no attempt");

    // A tenant limit: each tenant gets its own room, and a tenant's own rate wins over the
    // default.
    queue(store, b.id, "b", 10, at("2026-11-25T09:30:00Z")).await;
    let tenants = SendLimits {
        tenant_default: rate(3),
        ..Default::default()
    };
    store.set_tenant_rate(b.id, rate(2)).await.unwrap();
    assert_eq!(store.tenant_rate(b.id).await.unwrap(), rate(2));
    let t = at("2026-11-25T11:00:00Z");
    let both = store.claim_within(&tenants, "w3", t, lease(t), 32).await.unwrap();
    assert_eq!(per_tenant(&both), BTreeMap::from([(a.id, 3), (b.id, 2)]));
    assert!(
        store
            .claim_within(&tenants, "w3", t, lease(t), 32)
            .await
            .unwrap()
            .is_empty()
    );
    // The earlier claims' leases ran out by now, so all of A's 20 are due again.
    assert_eq!(store.count_held(&tenants, t).await.unwrap(), (20 - 3) + (10 - 2));
    store.set_tenant_rate(b.id, None).await.unwrap();
    assert_eq!(store.tenant_rate(b.id).await.unwrap(), None);
    assert!(matches!(
        store.set_tenant_rate(TenantId(9999), rate(1)).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn claims_side_by_side_stay_within_a_rate_limit(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, _) = two_tenants(store, now).await;
    queue(store, a.id, "a", 200, at("2026-11-25T09:00:00Z")).await;
    let limits = SendLimits {
        sms: rate(5),
        ..Default::default()
    };
    let lease = now + Duration::from_secs(60);
    let claims = (0..16).map(|i| {
        let limits = &limits;
        async move { store.claim_within(limits, &format!("node{i}"), now, lease, 32).await }
    });
    let claimed: usize = futures_util::future::join_all(claims)
        .await
        .into_iter()
        .map(|r| r.unwrap().len())
        .sum();
    assert_eq!(claimed, 5, "16 claims at once still let only 5 go");
}

pub async fn a_used_up_sms_limit_does_not_keep_another_tenants_email_waiting(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    let c = store
        .create_tenant("C", Plan::Plus, &Brand::named("C"), now)
        .await
        .unwrap();
    // A and B have older SMS; C one newer email. A claim of 2 at a time, 1 SMS per second.
    queue(store, a.id, "a", 5, at("2026-11-25T09:00:00Z")).await;
    queue(store, b.id, "b", 5, at("2026-11-25T09:10:00Z")).await;
    let email = PlannedNotification {
        channel: Channel::Email,
        message: Ok(Message::Email {
            from_name: "C".into(),
            from_address: None,
            reply_to: None,
            to: "anna@example.se".into(),
            subject: "Levererat".into(),
            html: None,
            text: "Levererat".into(),
            list_unsubscribe: None,
        }),
        ..reminder("c0", at("2026-11-25T09:50:00Z"))
    };
    store.add_notices(c.id, &[email], now).await.unwrap();
    let limits = SendLimits {
        sms: rate(1),
        ..Default::default()
    };
    let lease = now + Duration::from_secs(60);
    let first = store.claim_within(&limits, "w1", now, lease, 2).await.unwrap();
    assert_eq!(per_tenant(&first), BTreeMap::from([(a.id, 1)]), "one SMS, the oldest");
    let second = store.claim_within(&limits, "w2", now, lease, 2).await.unwrap();
    assert_eq!(
        per_tenant(&second),
        BTreeMap::from([(c.id, 1)]),
        "with the SMS limit used up, C's email is claimed, not left behind A's and B's SMS"
    );
}
