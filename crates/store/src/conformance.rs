//! The conformance suite: what every store must do, run against each implementation by its
//! own test target (`tests/conformance.rs` of the store crate). Each function gets a fresh,
//! migrated, empty store. The tests live by role in `conformance/` (events, outbox, budget,
//! tenants, portal, errors); what crosses roles (tenant isolation) and the helpers live here.

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
use avisera_domain::{RuleId, TemplateId, TenantId, Timestamp};
use std::collections::BTreeMap;

mod accounts;
mod budget;
mod errors;
mod events;
mod fairness;
mod ingest;
mod numbers;
mod outbox;
mod portal;
mod privacy;
mod ratings;
mod receipts;
mod receivers;
mod send;
mod signups;
mod tenants;
mod visits;
pub use accounts::*;
pub use budget::*;
pub use errors::*;
pub use events::*;
pub use fairness::*;
pub use ingest::*;
pub use numbers::*;
pub use outbox::*;
pub use portal::*;
pub use privacy::*;
pub use ratings::*;
pub use receipts::*;
pub use receivers::*;
pub use send::*;
pub use signups::*;
pub use tenants::*;
pub use visits::*;

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
        opt_out_footer: true,
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
        working_days_only: false,
        brand_id: None,
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
    post_leasing(store, tenant, rules, templates, events, now, None)
        .await
        .outcomes
}

/// `post`, offering `lease` for what the batch makes due at once.
pub(crate) async fn post_leasing(
    store: &dyn Store,
    tenant: &Tenant,
    rules: &[Rule],
    templates: &BTreeMap<TemplateId, Template>,
    events: &[CarrierEvent],
    now: Timestamp,
    lease: Option<&Lease<'_>>,
) -> StoredBatch {
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
            suppressed: &Default::default(),
        });
        Decision { applied, planned }
    };
    store
        .record_events_leasing(tenant.id, events, &decide, now, lease)
        .await
        .unwrap()
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

/// Tenants "A" and "B" on Plus.
pub(crate) async fn two_tenants(store: &dyn Store, now: Timestamp) -> (Tenant, Tenant) {
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
            a_lease_offered_to_ingest_takes_what_is_due_at_once_and_no_claim_takes_it,
            a_retry_waits_for_its_time_and_a_failure_keeps_its_reason,
            a_notification_planned_as_failed_is_stored_failed_with_its_reason,
            leaving_the_pickup_point_cancels_the_reminder,
            api_keys_find_their_tenant,
            api_keys_are_listed_and_revoked_only_in_their_tenant,
            a_keys_last_use_is_kept_latest_first_and_only_for_that_key,
            one_batch_applies_events_in_order_and_spots_its_own_duplicates,
            concurrent_batches_of_the_same_new_shipments_store_each_shipment_once,
            a_reminder_planned_and_cancelled_in_one_batch_is_stored_cancelled,
            a_sent_notification_keeps_its_charge_and_shows_on_the_bill_queries,
            plans_and_billing_settings_are_kept_with_their_history,
            a_tenants_brands_are_kept_beside_its_default_brand,
            notices_are_stored_once_and_never_billed,
            a_test_of_a_template_is_stored_once_billed_and_labelled_test,
            a_users_own_phone_is_set_and_removed_only_in_its_tenant,
            a_cancel_reaching_a_send_in_flight_keeps_the_truth,
            opt_outs_are_per_tenant_and_idempotent,
            opt_outs_are_looked_up_for_a_whole_batch,
            a_batch_of_outcomes_is_recorded_together_and_only_where_the_worker_holds_the_lease,
            a_rule_and_its_history_are_written_together,
            an_archived_rule_leaves_the_lists_disabled_with_its_history_kept,
            portal_users_sessions_logos_and_searches_stay_in_their_tenant,
            webhook_secrets_are_per_tenant_and_rotate,
            one_batch_cancels_what_waits_for_many_shipments_with_history,
            a_claim_that_calls_no_provider_uses_up_no_retry,
            sms_reservations_hold_the_budget_across_claims_and_nodes,
            a_batch_reserves_in_order_until_the_budget_is_used_up,
            a_reservation_counts_past_its_lease_until_its_sms_is_finished,
            the_spend_of_any_stretch_is_what_its_billed_sms_add_up_to,
            an_sms_switched_to_email_is_cancelled_and_its_email_added_once,
            a_migrated_store_is_current_and_migrating_again_changes_nothing,
            a_taken_value_is_a_conflict_that_names_its_constraint,
            a_write_for_a_missing_tenant_is_not_found,
            a_claim_gives_every_waiting_tenant_its_earliest_rows_first,
            rate_limits_claim_only_what_they_allow_and_hold_the_rest_untouched,
            claims_side_by_side_stay_within_a_rate_limit,
            a_used_up_sms_limit_does_not_keep_another_tenants_email_waiting,
            a_receipt_moves_its_own_notification_once_and_no_other_tenants,
            a_receipt_from_a_named_provider_finds_only_that_providers_message,
            suppressed_addresses_are_per_tenant_listed_with_their_reason_and_removable,
            a_link_visit_counts_for_its_own_notification_keeps_the_first_time_and_no_other_tenants,
            a_sign_up_becomes_its_tenant_and_admin_once_and_only_before_it_expires,
            a_plan_request_waits_for_its_day_and_is_withdrawn_only_as_it_was,
            passwords_roles_and_reset_links_hold_to_their_user_and_tenant,
            shipments_are_found_by_part_of_their_tracking_number_or_receivers_name,
            tallies_add_up_each_group_in_the_database_with_days_in_the_zone_asked_for,
            open_tracking_is_per_tenant_and_an_open_counts_for_its_own_notification,
            shipments_with_the_same_phone_share_a_receiver_whose_opt_out_covers_every_address,
            concurrent_batches_of_new_shipments_to_one_new_receiver_bind_one_receiver,
            receiver_tokens_are_per_tenant_random_and_preferences_stay_in_their_tenant,
            a_periods_events_come_back_in_arrival_order_after_their_shipments_earlier_ones,
            a_waiting_message_is_cancelled_by_hand_once_with_who_and_only_in_its_tenant,
            after_erase_nothing_returns_the_address_the_opt_out_holds_and_the_bill_is_unchanged,
            erasing_by_email_or_tracking_number_erases_the_whole_person,
            the_retention_sweep_erases_old_journeys_and_keeps_an_address_a_newer_one_has,
            a_shipment_has_one_rating_read_back_by_period_newest_first_in_its_tenant,
            what_ingest_needs_is_one_read_of_the_separate_reads_with_only_the_batchs_suppressions,
            what_the_worker_reads_before_sending_is_one_read_of_the_opt_outs_and_the_chosen_channels
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
