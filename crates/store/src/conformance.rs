//! The conformance suite: what every store must do, run against each implementation by its
//! own test target (`tests/conformance.rs` of the store crate). Each function gets a fresh,
//! migrated, empty store.

use crate::*;
use avisera_domain::billing::Charge;
use avisera_domain::event::CarrierEvent;
use avisera_domain::event::EventInput;
use avisera_domain::money::Ore;
use avisera_domain::notification::{Channel, Message, Status};
use avisera_domain::plan::Plan;
use avisera_domain::planner::NotSent;
use avisera_domain::planner::{PlannedNotification, Situation, plan};
use avisera_domain::rule::Rule;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient};
use avisera_domain::shipment::apply;
use avisera_domain::template::Template;
use avisera_domain::template::TemplateBody;
use avisera_domain::tenant::BudgetAction;
use avisera_domain::tenant::{BillingSettings, Brand, Tenant};
use avisera_domain::trigger::Trigger;
use avisera_domain::{RuleId, TemplateId, Timestamp};
use std::collections::BTreeMap;

mod budget;
mod errors;
pub use budget::*;
pub use errors::*;

pub(crate) fn at(s: &str) -> Timestamp {
    s.parse().expect("test instant")
}

pub(crate) fn event(tracking: &str, code: &str, time: &str) -> CarrierEvent {
    EventInput {
        tracking_number: Some(tracking.into()),
        code: Some(code.into()),
        occurred_at: Some(time.into()),
        shipment: Some(avisera_domain::event::ShipmentInput {
            receiver: Some(avisera_domain::event::ReceiverInput {
                name: Some("Anna".into()),
                phone: Some("+46701234567".into()),
                email: Some("anna@example.se".into()),
                language: Some("sv".into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
    .check()
    .expect("valid test event")
}

/// A tenant with an enabled "delivered" SMS rule.
pub(crate) async fn tenant_with_rule(
    store: &dyn Store,
    name: &str,
) -> (Tenant, Vec<Rule>, BTreeMap<TemplateId, Template>) {
    let now = at("2026-11-25T08:00:00Z");
    let tenant = store
        .create_tenant(name, Plan::Plus, &Brand::named(name), now)
        .await
        .unwrap();
    let mut template = Template {
        id: TemplateId(0),
        name: "delivered".into(),
        channel: Channel::Sms,
        default_language: "sv".into(),
        contents: BTreeMap::from([(
            "sv".into(),
            TemplateBody {
                text: "Hej {{ receiver_name }}, {{ tracking_number }} är levererat.".into(),
                ..Default::default()
            },
        )]),
    };
    template.id = store.create_template(tenant.id, &template, now).await.unwrap();
    let mut rule = Rule {
        id: RuleId(0),
        name: "delivered sms".into(),
        trigger: Trigger::Delivered,
        enabled: true,
        conditions: Conditions::default(),
        channels: ChannelChoice::Sms,
        recipient: Recipient::Receiver,
        sms_template_id: Some(template.id),
        email_template_id: None,
        active_from: None,
        active_until: None,
        once_per_shipment: false,
        days_before_deadline: None,
        campaign: None,
        delay_minutes: 0,
        quiet_hours: Vec::new(),
        send_at_local: None,
    };
    rule.id = store
        .create_rule(tenant.id, &rule, &RuleChange::new(now, "test", "created", ""))
        .await
        .unwrap();
    (tenant, vec![rule], BTreeMap::from([(template.id, template)]))
}

/// A planned "days left" SMS reminder with this dedupe key, due then.
fn reminder(dedupe_key: &str, due_at: Timestamp) -> PlannedNotification {
    PlannedNotification {
        rule_id: None,
        trigger: Some(Trigger::DaysLeftAtPickupPoint),
        channel: Channel::Sms,
        recipient: "+46701234567".into(),
        dedupe_key: dedupe_key.into(),
        due_at,
        time_zone: None,
        language: Some("sv".into()),
        message: Ok(Message::Sms {
            sender_id: "Shop".into(),
            to: "+46701234567".into(),
            text: "2 dagar kvar".into(),
        }),
    }
}

/// A tenant with the "delivered" rule, and shipment T1 delivered at 09:00: one SMS waits to be
/// sent at 10:00, the instant returned.
pub(crate) async fn one_delivered_waiting(store: &dyn Store) -> (Tenant, Timestamp) {
    let (tenant, rules, templates) = tenant_with_rule(store, "Shop").await;
    let now = at("2026-11-25T10:00:00Z");
    post(
        store,
        &tenant,
        &rules,
        &templates,
        &[event("T1", "DELIVERED", "2026-11-25T09:00:00Z")],
        now,
    )
    .await;
    (tenant, now)
}

pub(crate) async fn post(
    store: &dyn Store,
    tenant: &Tenant,
    rules: &[Rule],
    templates: &BTreeMap<TemplateId, Template>,
    events: &[CarrierEvent],
    now: Timestamp,
) -> Vec<EventOutcome> {
    let decide = |shipment, e: &CarrierEvent| {
        let applied = apply(shipment, e, avisera_domain::mapping::Mapping::defaults());
        let planned = plan(&Situation {
            tenant,
            shipment: &applied.shipment,
            event: Some(e),
            fired: &applied.fired,
            rules,
            templates,
            links: &avisera_domain::links::PlainLinks("http://localhost".into()),
            now,
            sms_blocked: None,
        });
        Decision { applied, planned }
    };
    store.record_events(tenant.id, events, &decide, now).await.unwrap()
}

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

pub async fn tenants_never_see_each_others_data(store: &dyn Store) {
    let (a, a_rules, a_templates) = tenant_with_rule(store, "A").await;
    let (b, _, _) = tenant_with_rule(store, "B").await;
    let now = at("2026-11-25T10:00:00Z");
    post(
        store,
        &a,
        &a_rules,
        &a_templates,
        &[event("SHARED1", "DELIVERED", "2026-11-25T09:00:00Z")],
        now,
    )
    .await;
    let a_template = a_templates.values().next().unwrap().clone();
    let a_rule = a_rules[0].clone();
    let a_notification = store
        .notifications(
            a.id,
            &NotificationFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()[0]
        .id;

    assert_eq!(store.template(b.id, a_template.id).await.unwrap(), None);
    assert_eq!(store.rule(b.id, a_rule.id).await.unwrap(), None);
    assert!(!store.update_template(b.id, &a_template, now).await.unwrap());
    assert!(
        !store
            .update_rule(b.id, &a_rule, &RuleChange::new(now, "b", "changed", ""))
            .await
            .unwrap()
    );
    assert!(
        store.rule_history(b.id, a_rule.id).await.unwrap().is_empty(),
        "B reads A's rule history"
    );
    assert_eq!(store.shipment(b.id, "SHARED1").await.unwrap(), None);
    assert!(store.shipment_events(b.id, "SHARED1").await.unwrap().is_empty());
    assert_eq!(store.notification(b.id, a_notification).await.unwrap(), None);
    assert!(
        store
            .notification_history(b.id, a_notification)
            .await
            .unwrap()
            .is_empty()
    );
    let b_list = store
        .notifications(
            b.id,
            &NotificationFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(b_list.is_empty());
    assert_eq!(store.templates(b.id).await.unwrap().len(), 1);
    assert_eq!(store.rules(b.id).await.unwrap().len(), 1);
    let worker_done = store
        .finish_delivery(
            b.id,
            a_notification,
            "w",
            &DeliveryOutcome::Failed { reason: "x".into() },
            now,
        )
        .await
        .unwrap();
    assert!(!worker_done, "tenant B finished tenant A's notification");
    // The same tracking number under B is B's own shipment.
    let (b2, b_rules, b_templates) = (
        b.clone(),
        store.rules(b.id).await.unwrap(),
        store.templates(b.id).await.unwrap(),
    );
    let b_templates: BTreeMap<_, _> = b_templates.into_iter().map(|t| (t.id, t)).collect();
    let out = post(
        store,
        &b2,
        &b_rules,
        &b_templates,
        &[event("SHARED1", "DELIVERED", "2026-11-25T09:00:00Z")],
        now,
    )
    .await;
    assert!(
        matches!(out[0], EventOutcome::Accepted { notifications: 1, .. }),
        "{out:?}"
    );
}

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

pub async fn api_keys_find_their_tenant(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let t = store
        .create_tenant("Keyed", Plan::Premium, &Brand::named("Keyed"), now)
        .await
        .unwrap();
    store.add_api_key(t.id, "hash-1", "ci", now).await.unwrap();
    assert_eq!(
        store.tenant_by_api_key("hash-1").await.unwrap(),
        Some((t.id, "ci".to_string()))
    );
    assert_eq!(store.tenant_by_api_key("hash-2").await.unwrap(), None);
    let back = store.tenant(t.id).await.unwrap().unwrap();
    assert_eq!(back.plan, Plan::Premium);
    assert_eq!(back.brand.brand_name, "Keyed");
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

pub async fn plans_and_billing_settings_are_kept_with_their_history(store: &dyn Store) {
    let t0 = at("2026-11-01T00:00:00Z");
    let t = store
        .create_tenant("Plans", Plan::Plus, &Brand::named("Plans"), t0)
        .await
        .unwrap();
    store
        .change_plan(t.id, Plan::Premium, at("2026-11-15T09:00:00Z"))
        .await
        .unwrap();
    let periods = store.plan_periods(t.id).await.unwrap();
    assert_eq!(
        periods.iter().map(|p| p.plan).collect::<Vec<_>>(),
        vec![Plan::Plus, Plan::Premium]
    );
    assert_eq!(periods[1].from, at("2026-11-15T09:00:00Z"));
    assert_eq!(store.tenant(t.id).await.unwrap().unwrap().plan, Plan::Premium);
    let billing = BillingSettings {
        sms_budget_ore: Some(Ore(50_000)),
        when_budget_is_used_up: BudgetAction::SwitchToEmail,
        alert_email: None,
        transliterate_sms: true,
        max_sms_segments: 3,
    };
    store.update_billing(t.id, &billing).await.unwrap();
    assert_eq!(store.tenant(t.id).await.unwrap().unwrap().billing, billing);
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

/// Tenants "A" and "B" on Plus.
async fn two_tenants(store: &dyn Store, now: Timestamp) -> (Tenant, Tenant) {
    let mut made = Vec::new();
    for name in ["A", "B"] {
        made.push(
            store
                .create_tenant(name, Plan::Plus, &Brand::named(name), now)
                .await
                .unwrap(),
        );
    }
    let b = made.pop().unwrap();
    (made.pop().unwrap(), b)
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

pub async fn a_rule_and_its_history_are_written_together(store: &dyn Store) {
    let (tenant, rules, _) = tenant_with_rule(store, "Shop").await;
    let mut rule = rules[0].clone();
    rule.enabled = false;
    let later = at("2026-11-26T08:00:00Z");
    assert!(
        store
            .update_rule(
                tenant.id,
                &rule,
                &RuleChange::new(later, "api key \"ci\"", "disabled", "")
            )
            .await
            .unwrap()
    );
    let history = store.rule_history(tenant.id, rule.id).await.unwrap();
    let actions: Vec<(&str, &str)> = history.iter().map(|c| (c.action.as_str(), c.actor.as_str())).collect();
    assert_eq!(actions, vec![("created", "test"), ("disabled", "api key \"ci\"")]);
    assert_eq!(history[1].at, later);
    assert!(!store.rule(tenant.id, rule.id).await.unwrap().unwrap().enabled);
}

pub async fn portal_users_sessions_logos_and_searches_stay_in_their_tenant(store: &dyn Store) {
    use avisera_domain::contact::EmailAddress;
    use avisera_domain::logo::LogoKind;
    use avisera_domain::user::Role;
    let (a, rules, templates) = tenant_with_rule(store, "A").await;
    let b = store
        .create_tenant("B", Plan::Plus, &Brand::named("B"), at("2026-11-25T08:00:00Z"))
        .await
        .unwrap();
    let now = at("2026-11-25T10:00:00Z");
    let user = |email: &str, role| NewUser {
        email: EmailAddress::parse(email).unwrap(),
        name: "Anna".into(),
        role,
        password_hash: "hash".into(),
    };
    let anna = store
        .create_user(a.id, &user("Anna@Shop.se", Role::Admin), now)
        .await
        .unwrap();
    let again = store.create_user(b.id, &user("anna@shop.se", Role::Viewer), now).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    let (found, hash) = store.user_by_email(" ANNA@shop.se").await.unwrap().unwrap();
    assert_eq!(
        (found.id, found.tenant_id, found.role, hash.as_str()),
        (anna, a.id, Role::Admin, "hash")
    );
    assert!(store.user(b.id, anna).await.unwrap().is_none());
    assert!(store.users(b.id).await.unwrap().is_empty());
    assert!(!store.delete_user(b.id, anna).await.unwrap());

    let session = Session {
        token_hash: "t1".into(),
        tenant_id: a.id,
        user_id: anna,
        csrf_token: "c1".into(),
        expires_at: at("2026-11-25T22:00:00Z"),
    };
    let stale = Session {
        token_hash: "old".into(),
        expires_at: at("2026-11-25T09:00:00Z"),
        ..session.clone()
    };
    store.create_session(&stale, at("2026-11-25T08:00:00Z")).await.unwrap();
    store.create_session(&session, now).await.unwrap();
    assert_eq!(
        store.session("old", at("2026-11-25T08:30:00Z")).await.unwrap(),
        None,
        "a new session sweeps the expired ones"
    );
    assert_eq!(store.session("t1", now).await.unwrap(), Some(session.clone()));
    assert_eq!(
        store.session("t1", at("2026-11-25T22:00:00Z")).await.unwrap(),
        None,
        "expired"
    );
    store.delete_session("t1").await.unwrap();
    assert_eq!(store.session("t1", now).await.unwrap(), None);

    let logo = store.add_logo(a.id, LogoKind::Svg, b"<svg/>", now).await.unwrap();
    assert_eq!(store.logo(a.id, logo).await.unwrap().unwrap().bytes, b"<svg/>");
    assert_eq!(store.logos(a.id).await.unwrap().len(), 1);
    assert!(store.logo(b.id, logo).await.unwrap().is_none());
    assert!(!store.delete_logo(b.id, logo).await.unwrap());

    let mut e = event("T1", "DELIVERED", "2026-11-25T09:00:00+01:00");
    e.details.order_reference = Some("ORD-1%".into());
    post(store, &a, &rules, &templates, &[e], now).await;
    let find = |tenant, s| async move { store.find_shipments(tenant, &s, 10).await.unwrap().len() };
    assert_eq!(find(a.id, ShipmentSearch::TrackingNumber("T1".into())).await, 1);
    assert_eq!(find(a.id, ShipmentSearch::OrderReference("ORD-1%".into())).await, 1);
    assert_eq!(
        find(a.id, ShipmentSearch::OrderReference("ord-1%".into())).await,
        1,
        "case is ignored"
    );
    assert_eq!(
        find(a.id, ShipmentSearch::OrderReference("ORD-1".into())).await,
        0,
        "no partial match"
    );
    assert_eq!(
        find(a.id, ShipmentSearch::OrderReference("ORD-_%".into())).await,
        0,
        "wildcards are literal"
    );
    assert_eq!(find(a.id, ShipmentSearch::Phone("+46701234567".into())).await, 1);
    assert_eq!(find(a.id, ShipmentSearch::Email("ANNA@example.se".into())).await, 1);
    assert_eq!(find(b.id, ShipmentSearch::TrackingNumber("T1".into())).await, 0);
    let t1 = store.shipment(a.id, "T1").await.unwrap().unwrap();
    assert_eq!(
        store
            .shipment_by_id(a.id, t1.id)
            .await
            .unwrap()
            .map(|s| s.tracking_number),
        Some("T1".into())
    );
    assert_eq!(
        store.shipment_by_id(b.id, t1.id).await.unwrap(),
        None,
        "ids are per tenant"
    );
    assert_eq!(find(b.id, ShipmentSearch::Phone("+46701234567".into())).await, 0);

    let manual = reminder("manual:1", now);
    let id = store
        .add_manual(a.id, "T1", &manual, now)
        .await
        .unwrap()
        .expect("added");
    assert_eq!(
        store.add_manual(a.id, "T1", &manual, now).await.unwrap(),
        None,
        "same key once"
    );
    assert_eq!(
        store
            .add_manual(b.id, "T1", &reminder("manual:2", now), now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.notification(a.id, id).await.unwrap().unwrap().tracking_number,
        "T1"
    );
    let facts = store
        .notification_facts(a.id, now, at("2026-11-26T00:00:00Z"))
        .await
        .unwrap();
    let counted: u64 = facts.iter().map(|f| f.count).sum();
    assert_eq!(counted, 2, "the delivered SMS and the manual one: {facts:?}");
    assert!(
        store
            .notification_facts(b.id, now, at("2026-11-26T00:00:00Z"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn webhook_secrets_are_per_tenant_and_rotate(store: &dyn Store) {
    let now = at("2026-11-25T10:00:00Z");
    let (a, b) = two_tenants(store, now).await;
    assert_eq!(store.webhook_secret(a.id).await.unwrap(), None);
    store.set_webhook_secret(a.id, "first", now).await.unwrap();
    store.set_webhook_secret(a.id, "second", now).await.unwrap();
    assert_eq!(store.webhook_secret(a.id).await.unwrap().as_deref(), Some("second"));
    assert_eq!(store.webhook_secret(b.id).await.unwrap(), None, "A's secret is not B's");
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

/// The store the suite gets is migrated: its schema is the newest this build knows, and
/// `migrate` run again (a second node starting) applies nothing and keeps the data.
pub async fn a_migrated_store_is_current_and_migrating_again_changes_nothing(store: &dyn Store) {
    let status = store.schema_status().await.unwrap();
    let SchemaStatus::At { version, known } = status else {
        panic!("a migrated store must report its version: {status:?}");
    };
    assert!(version >= 1 && version == known && status.is_current(), "{status:?}");
    let (tenant, _, _) = tenant_with_rule(store, "Shop").await;
    let again = store.migrate().await.unwrap();
    assert_eq!(
        again,
        MigrationReport {
            adopted: false,
            applied: vec![],
            version
        }
    );
    assert_eq!(
        store.tenant(tenant.id).await.unwrap().map(|t| t.name),
        Some("Shop".into())
    );
    assert_eq!(store.schema_status().await.unwrap(), status);
}

/// The names of every `pub async fn` in the suite's source (this file and every file of
/// `conformance/`): each is a test, and each must be in `conformance_tests!`.
pub fn declared_tests() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut files = vec![std::path::PathBuf::from(format!("{root}/conformance.rs"))];
    let folder = std::fs::read_dir(format!("{root}/conformance")).expect("the conformance folder");
    files.extend(folder.map(|f| f.expect("a conformance file").path()));
    let mut names = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("pub async fn ") {
                let end = rest.find(['(', '<']).unwrap_or(rest.len());
                names.push(rest[..end].trim().to_string());
            }
        }
    }
    names.sort();
    names
}

/// Fails, naming them, when a test of the suite is missing from `conformance_tests!` (or the
/// list names one the suite no longer has).
pub fn assert_every_test_listed(listed: &[&str]) {
    let declared = declared_tests();
    let missing: Vec<&String> = declared.iter().filter(|d| !listed.contains(&d.as_str())).collect();
    let unknown: Vec<&&str> = listed.iter().filter(|l| !declared.iter().any(|d| d == *l)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "conformance_tests! in crates/store/src/conformance.rs must list every test of the suite: \
         add {missing:?}, remove {unknown:?}"
    );
}

/// Every test of the suite, by name, for the implementations' test targets: one list, which
/// every store's target runs whole, and which a generated test checks against the source.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            duplicate_event_is_stored_once_and_notifies_once,
            a_second_event_with_the_same_dedupe_key_adds_no_notification,
            tenants_never_see_each_others_data,
            claims_lease_jobs_and_expired_leases_are_claimed_again,
            a_retry_waits_for_its_time_and_a_failure_keeps_its_reason,
            a_notification_planned_as_failed_is_stored_failed_with_its_reason,
            leaving_the_pickup_point_cancels_the_reminder,
            api_keys_find_their_tenant,
            one_batch_applies_events_in_order_and_spots_its_own_duplicates,
            a_reminder_planned_and_cancelled_in_one_batch_is_stored_cancelled,
            a_sent_notification_keeps_its_charge_and_shows_on_the_bill_queries,
            plans_and_billing_settings_are_kept_with_their_history,
            notices_are_stored_once_and_never_billed,
            a_cancel_reaching_a_send_in_flight_keeps_the_truth,
            opt_outs_are_per_tenant_and_idempotent,
            a_rule_and_its_history_are_written_together,
            portal_users_sessions_logos_and_searches_stay_in_their_tenant,
            webhook_secrets_are_per_tenant_and_rotate,
            one_batch_cancels_what_waits_for_many_shipments_with_history,
            a_claim_that_calls_no_provider_uses_up_no_retry,
            sms_reservations_hold_the_budget_across_claims_and_nodes,
            an_sms_switched_to_email_is_cancelled_and_its_email_added_once,
            a_migrated_store_is_current_and_migrating_again_changes_nothing,
            a_taken_value_is_a_conflict_that_names_its_constraint,
            a_write_for_a_missing_tenant_is_not_found
        );
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let store = $make.await;
                $crate::conformance::$name(&store).await;
            }
        )*

        #[test]
        fn every_conformance_test_is_listed() {
            $crate::conformance::assert_every_test_listed(&[$(stringify!($name)),*]);
        }
    };
}
