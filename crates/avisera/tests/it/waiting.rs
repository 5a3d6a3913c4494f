//! What waits in the outbox is checked again when it becomes due: a rule disabled, a plan
//! that lost the trigger, or a used-up SMS budget cancels it, with the reason. The clock is the
//! test's, so hours pass in microseconds.

use crate::helpers::*;
use avisera::app::App;
use avisera::delivery::worker::Worker;
use avisera_domain::event::EventInput;
use avisera_domain::{FixedClock, TenantId};
use avisera_store::RuleChange;
use jiff::SignedDuration;
use serde_json::json;
use std::sync::Arc;

async fn app_with_clock(clock: Arc<FixedClock>) -> (App, TenantId) {
    init();
    let config = avisera::config::Config {
        database_url: database_url(Db::Sqlite).await.into(),
        dev_inbox: true,
        delivery: test_delivery(),
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let mut app = avisera::server::build_app(config, store);
    app.clock = clock;
    add_tenant(&app, "Waiting AB").await;
    (app, TenantId(1))
}

async fn delayed_rule(app: &App, tenant: TenantId, name: &str) -> avisera_domain::rule::Rule {
    rule_with(app, tenant, name, json!({"delay_minutes": 120})).await
}

async fn rule_with(app: &App, tenant: TenantId, name: &str, extra: serde_json::Value) -> avisera_domain::rule::Rule {
    sms_rule_with(app, tenant, name, "Tack! {{ tracking_number }}", extra).await
}

async fn deliver(app: &App, tenant: TenantId, tracking: &str) {
    let e: EventInput = serde_json::from_value(event(tracking, "DELIVERED", "+46701234561")).unwrap();
    avisera::engine::ingest(app, tenant, &[e.check().unwrap()])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_message_waiting_for_its_delay_is_cancelled_when_its_rule_is_disabled_meanwhile() {
    let clock = Arc::new(FixedClock::new("2026-11-25T10:00:00Z".parse().unwrap()));
    let (app, tenant) = app_with_clock(clock.clone()).await;
    let mut rule = delayed_rule(&app, tenant, "thank you, 2 h later").await;
    deliver(&app, tenant, "W1").await;
    let worker = Worker {
        app: app.clone(),
        channels: avisera::server::channels(&app).unwrap(),
        name: "w".into(),
    };
    assert_eq!(worker.run_once().await.unwrap(), 0, "nothing is due for two hours");

    rule.enabled = false;
    app.store
        .update_rule(tenant, &rule, &RuleChange::new(app.clock.now(), "test", "disabled", ""))
        .await
        .unwrap();
    clock.advance(SignedDuration::from_mins(121));
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let n = &app.store.notifications(tenant, &all()).await.unwrap()[0];
    assert_eq!(n.status, avisera_domain::notification::Status::Cancelled);
    assert_eq!(
        n.reason.as_deref().map(avisera_domain::reason::english).as_deref(),
        Some("rule 1 \"thank you, 2 h later\" was disabled before this message was sent")
    );
    assert!(app.inbox.as_ref().unwrap().entries().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_waiting_sms_is_cancelled_when_the_budget_ran_out_meanwhile() {
    let clock = Arc::new(FixedClock::new("2026-11-25T10:00:00Z".parse().unwrap()));
    let (app, tenant) = app_with_clock(clock.clone()).await;
    delayed_rule(&app, tenant, "later").await;
    deliver(&app, tenant, "W2").await;
    let mut t = app.store.tenant(tenant).await.unwrap().unwrap();
    t.billing.sms_budget_ore = Some(avisera_domain::money::Ore(0));
    t.billing.when_budget_is_used_up = avisera_domain::tenant::BudgetAction::SwitchToEmail;
    app.store.update_billing(tenant, &t.billing).await.unwrap();
    clock.advance(SignedDuration::from_mins(121));
    let worker = Worker {
        app: app.clone(),
        channels: avisera::server::channels(&app).unwrap(),
        name: "w".into(),
    };
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let n = &app.store.notifications(tenant, &all()).await.unwrap()[0];
    assert_eq!(n.status, avisera_domain::notification::Status::Cancelled);
    assert!(
        avisera_domain::reason::english(n.reason.as_deref().unwrap()).contains("SMS budget of 0.00 SEK"),
        "{:?}",
        n.reason
    );
}

fn all() -> avisera_store::NotificationFilter {
    avisera_store::NotificationFilter {
        limit: 100,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_backlog_reaching_quiet_hours_waits_for_the_morning() {
    // 20:00 in Stockholm: not quiet yet.
    let clock = Arc::new(FixedClock::new("2026-11-25T19:00:00Z".parse().unwrap()));
    let (app, tenant) = app_with_clock(clock.clone()).await;
    rule_with(
        &app,
        tenant,
        "no sms at night",
        json!({"quiet_hours": [{"channel": "sms", "from": "21:00", "until": "08:00"}]}),
    )
    .await;
    deliver(&app, tenant, "Q1").await;
    // The worker only gets to it at 21:30 local.
    clock.advance(SignedDuration::from_mins(90));
    let worker = Worker {
        app: app.clone(),
        channels: avisera::server::channels(&app).unwrap(),
        name: "w".into(),
    };
    assert_eq!(worker.run_once().await.unwrap(), 1);
    let n = &app.store.notifications(tenant, &all()).await.unwrap()[0];
    assert_eq!(n.status, avisera_domain::notification::Status::Scheduled);
    assert_eq!(n.due_at.to_string(), "2026-11-26T07:00:00Z", "08:00 in Stockholm");
    assert!(app.inbox.as_ref().unwrap().entries().is_empty(), "nothing at night");
    clock.set("2026-11-26T07:00:00Z".parse().unwrap());
    assert_eq!(worker.run_once().await.unwrap(), 1);
    assert_eq!(app.inbox.as_ref().unwrap().entries().len(), 1, "sent in the morning");
}
