//! The worker's side of money and retries: attempts count provider calls only, SMS reserve
//! their price against the budget atomically, and a refused SMS becomes its rule's email once.

use super::{at, event, one_delivered_waiting, post, tenant_with_rule};
use crate::*;
use avisera_domain::billing::{Charge, Month};
use avisera_domain::money::Ore;
use avisera_domain::notification::{Channel, Message, Status};
use avisera_domain::tenant::Tenant;
use avisera_domain::{NotificationId, Timestamp};

fn plus(t: Timestamp, seconds: i64) -> Timestamp {
    Timestamp::from_second(t.as_second() + seconds).expect("test instant")
}

const SMS: Charge = Charge {
    units: 1,
    unit_price: Ore(75),
};

pub async fn a_claim_that_calls_no_provider_uses_up_no_retry(store: &dyn Store) {
    let (tenant, now) = one_delivered_waiting(store).await;
    // Eight nodes claim it and die before calling the provider.
    let mut t = now;
    for _ in 0..8 {
        let lease = plus(t, 30);
        let jobs = store.claim_due("dies", t, lease, 10).await.unwrap();
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].attempt, 1, "a claim lost with its node is not an attempt");
        t = plus(lease, 1);
    }
    // Quiet hours defer it: still no attempt.
    let job = store.claim_due("w", t, plus(t, 30), 10).await.unwrap().remove(0);
    assert_eq!(job.attempt, 1);
    let deferred = DeliveryOutcome::Deferred {
        until: t,
        reason: "quiet hours: deferred".into(),
    };
    assert!(
        store
            .finish_delivery(tenant.id, job.id, "w", &deferred, t)
            .await
            .unwrap()
    );
    // The provider answers 503: that is the first attempt.
    let job = store.claim_due("w", t, plus(t, 30), 10).await.unwrap().remove(0);
    assert_eq!(job.attempt, 1);
    let retry = DeliveryOutcome::RetryAt {
        at: t,
        reason: "provider answered 503".into(),
    };
    assert!(store.finish_delivery(tenant.id, job.id, "w", &retry, t).await.unwrap());
    let n = store.notification(tenant.id, job.id).await.unwrap().unwrap();
    assert_eq!(n.attempts, 1);
    let job = store.claim_due("w", t, plus(t, 30), 10).await.unwrap().remove(0);
    assert_eq!(job.attempt, 2, "the second call to the provider");
    let history = store.notification_history(tenant.id, job.id).await.unwrap();
    assert_eq!(
        history[1].reason.as_deref(),
        Some("deferred: quiet hours: deferred"),
        "{history:?}"
    );
}

/// `n` delivered SMS waiting for a tenant with a 1.00 SEK budget; the month and its instant.
async fn waiting_sms(store: &dyn Store, n: usize) -> (Tenant, Timestamp, (Timestamp, Timestamp)) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    let events: Vec<_> = (0..n)
        .map(|i| event(&format!("R{i}"), "DELIVERED", "2026-11-25T09:00:00Z"))
        .collect();
    post(store, &tenant, &rules, &templates, &events, now).await;
    (tenant, now, Month::of(now).bounds())
}

pub async fn sms_reservations_hold_the_budget_across_claims_and_nodes(store: &dyn Store) {
    let (tenant, now, month) = waiting_sms(store, 8).await;
    let lease = at("2026-11-25T10:01:00Z");
    // Eight nodes each claim one and reserve at the same moment: under a 1.00 SEK budget at
    // 0.75 each, exactly two get through (the budget holds to within one message).
    let mut jobs = Vec::new();
    for w in 0..8 {
        let mut claimed = store.claim_due(&format!("node{w}"), now, lease, 1).await.unwrap();
        assert_eq!(claimed.len(), 1);
        jobs.push((format!("node{w}"), claimed.remove(0)));
    }
    let reservations = futures_util::future::join_all(
        jobs.iter()
            .map(|(w, j)| store.reserve_sms(tenant.id, j.id, w, SMS, Ore(100), month, now)),
    )
    .await;
    let reservations: Vec<Reservation> = reservations.into_iter().map(Result::unwrap).collect();
    let reserved: Vec<usize> = (0..8).filter(|&i| reservations[i] == Reservation::Reserved).collect();
    assert_eq!(reserved.len(), 2, "{reservations:?}");
    assert!(
        reservations
            .iter()
            .all(|r| matches!(r, Reservation::Reserved | Reservation::Refused { committed: Ore(150) })),
        "{reservations:?}"
    );
    // A reservation is no cost: the log and the bill show none while it is in flight.
    let (w0, first) = &jobs[reserved[0]];
    let n = store.notification(tenant.id, first.id).await.unwrap().unwrap();
    assert_eq!(n.charge, None);
    assert_eq!(store.sms_spend(tenant.id, month.0, month.1).await.unwrap(), Ore(0));
    // One is sent (it stays counted), the other is retried later (its reservation goes).
    let sent = DeliveryOutcome::Sent {
        provider_id: None,
        charge: Some(SMS),
    };
    assert!(
        store
            .finish_delivery(tenant.id, first.id, w0, &sent, now)
            .await
            .unwrap()
    );
    let (w1, second) = &jobs[reserved[1]];
    let retry = DeliveryOutcome::RetryAt {
        at: now,
        reason: "503".into(),
    };
    assert!(
        store
            .finish_delivery(tenant.id, second.id, w1, &retry, now)
            .await
            .unwrap()
    );
    let refused = (0..8).find(|i| !reserved.contains(i)).unwrap();
    let (w2, third) = &jobs[refused];
    assert_eq!(
        store
            .reserve_sms(tenant.id, third.id, w2, SMS, Ore(100), month, now)
            .await
            .unwrap(),
        Reservation::Reserved,
        "0.75 spent leaves room for one more"
    );
    // A node that dies keeps nothing reserved once its lease runs out.
    let after = at("2026-11-25T10:02:00Z");
    let other = (0..8).find(|i| !reserved.contains(i) && *i != refused).unwrap();
    let (w3, fourth) = &jobs[other];
    assert_eq!(
        store
            .reserve_sms(tenant.id, fourth.id, w3, SMS, Ore(100), month, after)
            .await
            .unwrap(),
        Reservation::Lost,
        "the lease ran out: the claim is no longer this node's"
    );
    let again = store
        .claim_due("late", after, at("2026-11-25T10:03:00Z"), 10)
        .await
        .unwrap();
    assert!(!again.is_empty());
    assert_eq!(
        store
            .reserve_sms(tenant.id, again[0].id, "late", SMS, Ore(100), month, after)
            .await
            .unwrap(),
        Reservation::Reserved,
        "only what was sent counts once the other claims died: {again:?}"
    );
}

/// A worker can finish an SMS after its lease ran out (a slow provider, a starved node): the
/// finish is still its own until another claim takes the row. Its reservation must count until
/// then, or a second SMS fits under a budget the first already used up.
pub async fn a_reservation_counts_past_its_lease_until_its_sms_is_finished(store: &dyn Store) {
    let (tenant, now, month) = waiting_sms(store, 2).await;
    let mut first = store.claim_due("slow", now, plus(now, 60), 1).await.unwrap();
    let mut second = store.claim_due("other", now, plus(now, 600), 1).await.unwrap();
    let (first, second) = (first.remove(0), second.remove(0));
    let budget = Ore(50);
    assert_eq!(
        store
            .reserve_sms(tenant.id, first.id, "slow", SMS, budget, month, now)
            .await
            .unwrap(),
        Reservation::Reserved
    );
    // Two minutes on, the slow worker's lease has run out but its SMS is still being sent.
    let later = plus(now, 120);
    assert_eq!(
        store
            .reserve_sms(tenant.id, second.id, "other", SMS, budget, month, later)
            .await
            .unwrap(),
        Reservation::Refused { committed: Ore(75) },
        "the first SMS is in flight: its price still counts"
    );
    let sent = DeliveryOutcome::Sent {
        provider_id: None,
        charge: Some(SMS),
    };
    assert!(
        store
            .finish_delivery(tenant.id, first.id, "slow", &sent, later)
            .await
            .unwrap(),
        "nobody claimed it again: the finish is still the slow worker's"
    );
    assert_eq!(store.sms_spend(tenant.id, month.0, month.1).await.unwrap(), Ore(75));
}

pub async fn an_sms_switched_to_email_is_cancelled_and_its_email_added_once(store: &dyn Store) {
    let (tenant, now, _) = waiting_sms(store, 1).await;
    let job = store
        .claim_due("w", now, at("2026-11-25T10:01:00Z"), 10)
        .await
        .unwrap()
        .remove(0);
    let email = avisera_domain::planner::PlannedNotification {
        rule_id: job.rule_id,
        trigger: Some(avisera_domain::trigger::Trigger::Delivered),
        channel: Channel::Email,
        recipient: "anna@example.se".into(),
        dedupe_key: "ignored".into(),
        due_at: now,
        time_zone: None,
        language: Some("sv".into()),
        message: Ok(Message::Email {
            from_name: "Shop".into(),
            from_address: None,
            reply_to: None,
            to: "anna@example.se".into(),
            subject: "Levererat".into(),
            html: None,
            text: "Hej Anna".into(),
            list_unsubscribe: None,
        }),
    };
    let why = "the SMS budget is used up; sent as email instead";
    assert!(
        store
            .switch_to_email(tenant.id, job.id, "w", why, &email, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .switch_to_email(tenant.id, job.id, "w", why, &email, now)
            .await
            .unwrap(),
        "switched twice"
    );
    let list = store
        .notifications(
            tenant.id,
            &NotificationFilter {
                tracking_number: Some("R0".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    let sms = list.iter().find(|n| n.channel == Channel::Sms).unwrap();
    assert_eq!(sms.status, Status::Cancelled);
    assert_eq!(sms.reason.as_deref(), Some(why));
    let mail = list.iter().find(|n| n.channel == Channel::Email).unwrap();
    assert_eq!(mail.status, Status::Scheduled);
    assert_eq!(mail.recipient, "anna@example.se");
    let jobs = store.claim_due("w", now, at("2026-11-25T10:01:00Z"), 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].message.channel(), Channel::Email);
    assert_eq!(jobs[0].shipment_id, job.shipment_id);
    assert!(job.shipment_id.is_some());
}

pub async fn a_batch_reserves_in_order_until_the_budget_is_used_up(store: &dyn Store) {
    let (tenant, now, month) = waiting_sms(store, 6).await;
    let lease = at("2026-11-25T10:01:00Z");
    let mut mine = store.claim_due("w", now, lease, 5).await.unwrap();
    let theirs = store.claim_due("other", now, lease, 5).await.unwrap();
    assert_eq!((mine.len(), theirs.len()), (5, 1));
    // One of another worker's claims in the batch is not this worker's to reserve.
    mine.insert(2, theirs[0].clone());
    let wants: Vec<(NotificationId, Charge)> = mine.iter().map(|j| (j.id, SMS)).collect();
    // A 2.00 SEK budget at 0.75 each: 0 → 0.75 → 1.50 → 2.25, then refused.
    let reserved = store
        .reserve_sms_batch(tenant.id, "w", &wants, Ore(200), month, now)
        .await
        .unwrap();
    assert_eq!(
        reserved,
        vec![
            Reservation::Reserved,
            Reservation::Reserved,
            Reservation::Lost,
            Reservation::Reserved,
            Reservation::Refused { committed: Ore(225) },
            Reservation::Refused { committed: Ore(225) },
        ]
    );
    // The three reservations count for every later look, here another worker's.
    let later = store
        .reserve_sms_batch(tenant.id, "other", &[(theirs[0].id, SMS)], Ore(300), month, now)
        .await
        .unwrap();
    assert_eq!(later, vec![Reservation::Reserved], "2.25 is under 3.00");
    let again = store
        .reserve_sms_batch(tenant.id, "other", &[(theirs[0].id, SMS)], Ore(225), month, now)
        .await
        .unwrap();
    assert_eq!(
        again,
        vec![Reservation::Refused { committed: Ore(225) }],
        "its own earlier reservation is replaced, not counted twice"
    );
}

/// What the budget reads as spent, over any stretch of time (a month, whole hours, ragged ends,
/// within one hour), is what the bill's SMS lines of that stretch add up to: for SMS sent one by
/// one and in a batch of two tenants, at instants on and around the hours, each tenant its own.
pub async fn the_spend_of_any_stretch_is_what_its_billed_sms_add_up_to(store: &dyn Store) {
    let (tenant, now, month) = waiting_sms(store, 6).await;
    let (other, rules, templates) = tenant_with_rule(store, "Other").await;
    let events = [event("O1", "DELIVERED", "2026-11-25T09:00:00Z")];
    post(store, &other, &rules, &templates, &events, now).await;
    let jobs = store
        .claim_due("w", now, at("2026-11-26T00:00:00Z"), 100)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 7);
    let sent = |units| DeliveryOutcome::Sent {
        provider_id: None,
        charge: Some(Charge {
            units,
            unit_price: Ore(75),
        }),
    };
    let times = ["10:20:00", "10:40:00", "11:30:00", "12:59:59.999", "13:00:00"];
    for (i, (job, time)) in jobs.iter().zip(times).enumerate() {
        let when = at(&format!("2026-11-25T{time}Z"));
        let outcome = sent(1 + i as u32 % 3);
        let done = store.finish_delivery(job.tenant_id, job.id, "w", &outcome, when);
        assert!(done.await.unwrap());
    }
    let batch: Vec<Finished> = jobs[times.len()..]
        .iter()
        .map(|job| Finished {
            tenant: job.tenant_id,
            id: job.id,
            outcome: sent(2),
            provider: None,
        })
        .collect();
    let batch_at = at("2026-11-25T13:10:00Z");
    assert_eq!(store.finish_deliveries("w", &batch, batch_at).await.unwrap().len(), 2);

    // Units 1, 2, 3, 1, 2 one by one and 2, 2 in the batch: 13 at 0.75 SEK.
    let both = store.sms_spend(tenant.id, month.0, month.1).await.unwrap()
        + store.sms_spend(other.id, month.0, month.1).await.unwrap();
    assert_eq!(both, Ore(975));
    let stretches = [
        month,
        (at("2026-11-25T10:30:00Z"), at("2026-11-25T13:15:00Z")),
        (at("2026-11-25T10:00:00Z"), at("2026-11-25T11:00:00Z")),
        (at("2026-11-25T10:10:00Z"), at("2026-11-25T10:50:00Z")),
        (at("2026-11-25T10:10:00Z"), at("2026-11-25T11:50:00Z")),
        (at("2026-11-25T11:00:00Z"), at("2026-11-25T13:00:00Z")),
        (at("2026-11-25T12:59:59.999Z"), at("2026-11-25T13:10:00.001Z")),
        (at("2026-11-25T13:10:00Z"), at("2026-11-25T13:10:00Z")),
        (at("2026-11-25T14:00:00Z"), at("2026-11-26T00:00:00Z")),
    ];
    for t in [&tenant, &other] {
        for (from, to) in stretches {
            let billed: Ore = store
                .billed(t.id, from, to)
                .await
                .unwrap()
                .iter()
                .filter(|b| b.channel == Channel::Sms)
                .map(|b| b.charge.cost())
                .sum();
            let spent = store.sms_spend(t.id, from, to).await.unwrap();
            assert_eq!(spent, billed, "{} from {from} to {to}", t.name);
        }
    }
    let ragged = (at("2026-11-25T10:30:00Z"), at("2026-11-25T13:05:00Z"));
    let ragged_spend = store.sms_spend(tenant.id, ragged.0, ragged.1).await.unwrap()
        + store.sms_spend(other.id, ragged.0, ragged.1).await.unwrap();
    assert_eq!(
        ragged_spend,
        Ore(600),
        "10:40, 11:30, 12:59:59.999 and 13:00: 2 + 3 + 1 + 2 units"
    );
}
