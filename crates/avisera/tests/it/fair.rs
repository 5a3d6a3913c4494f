//! Fairness and rate limits end to end: another tenant's message goes out while one tenant's
//! backlog drains, and the operator's SMS rate limit lets only its rate through per second,
//! across workers on two nodes, holding the rest without failing them. The rate-limit test
//! drives the clock itself, so a second passes in no time.

use crate::helpers::*;
use avisera::app::App;
use avisera_domain::event::EventInput;
use avisera_domain::notification::Status;
use avisera_domain::{FixedClock, TenantId};
use avisera_store::NotificationFilter;
use axum::http::StatusCode;
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A phone number per index that the provider stand-in accepts (it refuses those ending 000).
fn phone(i: usize) -> String {
    format!("+46701{:06}", i * 10 + 1)
}

#[tokio::test]
async fn another_tenants_message_goes_out_while_a_backlog_drains() {
    // Each provider call takes 30 ms, so A's 1,000 messages take at least 31 batches of 32.
    let provider = spawn_sms_provider(Duration::from_millis(30)).await;
    let a = spawn_app(Db::Postgres, Some(sms_config(&provider)), None).await;
    sms_rule(&a, "delivered", json!({})).await;
    let b = TestApp {
        base: a.base.clone(),
        key: add_tenant(&a.app, "Other Shop AB").await,
        app: a.app.clone(),
        http: a.http.clone(),
    };
    sms_rule(&b, "delivered", json!({})).await;

    let backlog: Vec<Value> = (0..1000)
        .map(|i| event(&format!("A{i}"), "DELIVERED", &phone(i)))
        .collect();
    let (status, body) = a.call("POST", "/v1/events", Some(json!(backlog))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let b_phone = "+46709999991";
    let (status, body) = b
        .call("POST", "/v1/events", Some(event("B1", "DELIVERED", b_phone)))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    let deadline = Instant::now() + Duration::from_secs(120);
    while provider.log.lock().unwrap().delivered.len() < 1001 {
        assert!(Instant::now() < deadline, "not every message reached the provider");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = provider.log.lock().unwrap();
    let b_at = log
        .requests
        .iter()
        .position(|r| r["to"] == b_phone)
        .expect("B's message reached the provider");
    let a_after_b = log.requests.len() - b_at - 1;
    assert!(
        a_after_b >= 32,
        "B's message went out while A's backlog was draining (it used to wait behind all of it): \
         {a_after_b} of A's messages went after it"
    );
}

#[tokio::test]
async fn another_tenants_message_goes_out_while_the_workers_are_busy_with_a_backlog() {
    // The provider takes 3 s to answer. The one worker drains A's 300 messages 32 at a time, so
    // a message waiting for the worker waits for the batch it is sending. B's message, stored
    // while that batch is out, must not wait: the express lane takes it at once.
    let provider = spawn_sms_provider(Duration::from_secs(3)).await;
    let delivery = avisera::config::DeliveryConfig {
        lease_ms: 60_000,
        ..test_delivery()
    };
    let a = spawn_app_delivering(Db::Postgres, Some(sms_config(&provider)), None, delivery).await;
    sms_rule(&a, "delivered", json!({})).await;
    let b = TestApp {
        base: a.base.clone(),
        key: add_tenant(&a.app, "Other Shop AB").await,
        app: a.app.clone(),
        http: a.http.clone(),
    };
    sms_rule(&b, "delivered", json!({})).await;

    let backlog: Vec<Value> = (0..300)
        .map(|i| event(&format!("A{i}"), "DELIVERED", &phone(i)))
        .collect();
    let (status, body) = a.call("POST", "/v1/events", Some(json!(backlog))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // Wait for a moment when only the worker's batch is out (the express lane, which took some
    // of A's when they arrived, is done with them), twice in a row.
    let in_flight = || {
        let log = provider.log.lock().unwrap();
        (log.requests.len(), log.answered)
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let out = loop {
        assert!(
            Instant::now() < deadline,
            "never only the worker's batch out: {:?}",
            in_flight()
        );
        let (sent, answered) = in_flight();
        if sent - answered == 32 && answered > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if in_flight() == (sent, answered) {
                break sent;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let b_phone = "+46709999991";
    let (status, body) = b
        .call("POST", "/v1/events", Some(event("B1", "DELIVERED", b_phone)))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answered_before_b = {
            let log = provider.log.lock().unwrap();
            log.requests.iter().any(|r| r["to"] == b_phone).then_some(log.answered)
        };
        if let Some(answered) = answered_before_b {
            assert!(
                answered < out,
                "B's message reached the provider only after the batch the worker was sending was answered"
            );
            break;
        }
        assert!(Instant::now() < deadline, "B's message never reached the provider");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // And every message is still sent exactly once.
    let deadline = Instant::now() + Duration::from_secs(120);
    while provider.log.lock().unwrap().delivered.len() < 301 {
        assert!(Instant::now() < deadline, "not every message reached the provider");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        provider.log.lock().unwrap().requests.len(),
        301,
        "a message was sent twice"
    );
}

async fn clocked_app(url: &str, clock: Arc<FixedClock>, provider: &SmsProvider) -> App {
    init();
    let mut sms = sms_config(provider);
    sms.rate_per_second = Some(5);
    let config = avisera::config::Config {
        database_url: url.into(),
        delivery: test_delivery(),
        sms: Some(sms.into()),
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let mut app = avisera::server::build_app(config, store);
    app.clock = clock;
    app
}

#[tokio::test]
async fn an_sms_rate_limit_sends_its_rate_per_second_across_nodes_and_holds_the_rest() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let clock = Arc::new(FixedClock::new("2026-11-25T15:00:00Z".parse().unwrap()));
    let url = database_url(Db::Postgres).await;
    let node1 = clocked_app(&url, clock.clone(), &provider).await;
    let node2 = clocked_app(&url, clock.clone(), &provider).await;
    add_tenant(&node1, "Limited AB").await;
    let tenant = TenantId(1);
    sms_rule_in_store(&node1, tenant).await;
    let events: Vec<_> = (0..20)
        .map(|i| {
            let e: EventInput = serde_json::from_value(event(&format!("L{i}"), "DELIVERED", &phone(i))).unwrap();
            e.check().unwrap()
        })
        .collect();
    avisera::engine::ingest(&node1, tenant, &events).await.unwrap();
    let sent = || provider.log.lock().unwrap().delivered.len();

    let w1 = worker(&node1, "node1-w1");
    assert_eq!(w1.run_once().await.unwrap(), 5, "5 per second: one pass sends 5");
    assert_eq!(sent(), 5);
    assert_eq!(
        w1.run_once().await.unwrap(),
        0,
        "the limit holds the rest until time passes"
    );
    assert_eq!(sent(), 5);
    avisera::delivery::worker::count_scheduled(&node1).await;
    let metrics = node1.metrics.render();
    assert!(metrics.contains("avisera_notifications_held 15"), "{metrics}");

    let all = NotificationFilter {
        limit: 100,
        ..Default::default()
    };
    let waiting: Vec<_> = node1
        .store
        .notifications(tenant, &all)
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.status != Status::Sent)
        .collect();
    assert_eq!(waiting.len(), 15);
    assert!(
        waiting.iter().all(|n| n.status == Status::Scheduled && n.attempts == 0),
        "a held message is neither failed nor an attempt: {waiting:#?}"
    );
    let history = node1.store.notification_history(tenant, waiting[0].id).await.unwrap();
    assert_eq!(history.len(), 1, "no history row per pass that held it: {history:?}");

    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(w1.run_once().await.unwrap(), 5, "a second later, 5 more");
    assert_eq!(sent(), 10);

    // Two nodes, two workers each, all claiming at once: still 5 in the next second.
    clock.advance(SignedDuration::from_secs(1));
    let (w2, w3, w4) = (
        worker(&node1, "node1-w2"),
        worker(&node2, "node2-w1"),
        worker(&node2, "node2-w2"),
    );
    let (a, b, c, d) = tokio::join!(w1.run_once(), w2.run_once(), w3.run_once(), w4.run_once());
    let passed: usize = [a, b, c, d].into_iter().map(|r| r.unwrap()).sum();
    assert_eq!(
        (passed, sent()),
        (5, 15),
        "four workers on two nodes share the one limit"
    );

    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(worker(&node2, "node2-w1").run_once().await.unwrap(), 5);
    let statuses: Vec<Status> = node1
        .store
        .notifications(tenant, &all)
        .await
        .unwrap()
        .iter()
        .map(|n| n.status)
        .collect();
    assert!(
        statuses.len() == 20 && statuses.iter().all(|s| *s == Status::Sent),
        "{statuses:?}"
    );
    assert_eq!(sent(), 20);
    avisera::delivery::worker::count_scheduled(&node1).await;
    assert!(node1.metrics.render().contains("avisera_notifications_held 0"));
}

fn cli(url: &str, default_rate: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"));
    command
        .args(args)
        .env("AVISERA_DATABASE_URL", url)
        .env("AVISERA_LOG", "warn")
        .env_remove("AVISERA_CONFIG");
    if let Some(rate) = default_rate {
        command.env("AVISERA_DELIVERY__TENANT_RATE_PER_SECOND", rate);
    }
    let out = command.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn an_operator_gives_a_tenant_its_own_rate_and_takes_it_back() {
    let url = database_url(Db::Postgres).await;
    assert!(cli(&url, None, &["migrate"]).0);
    let (ok, _, err) = cli(&url, None, &["tenant", "create", "--name", "Busy AB"]);
    assert!(ok, "{err}");
    let shown = |default: Option<&str>, extra: &[&str]| {
        let args = [&["tenant", "rate", "--tenant", "1"][..], extra].concat();
        let (ok, out, err) = cli(&url, default, &args);
        assert!(ok, "{err}");
        out
    };
    assert_eq!(
        shown(None, &[]),
        "tenant 1: no limit (delivery.tenant_rate_per_second is not set)\n"
    );
    assert_eq!(
        shown(Some("10"), &[]),
        "tenant 1: at most 10 messages per second (delivery.tenant_rate_per_second)\n"
    );
    assert_eq!(
        shown(Some("10"), &["--per-second", "50"]),
        "tenant 1: at most 50 messages per second (its own limit)\n"
    );
    let store = avisera_store_postgres::connect(&url).await.unwrap();
    use avisera_store::RateLimits;
    assert_eq!(
        store.tenant_rate(TenantId(1)).await.unwrap(),
        avisera_domain::rate::Rate::per_second(50),
        "kept in the database, for every node"
    );
    assert_eq!(
        shown(Some("10"), &["--default"]),
        "tenant 1: at most 10 messages per second (delivery.tenant_rate_per_second)\n"
    );
    let (ok, _, err) = cli(&url, None, &["tenant", "rate", "--tenant", "1", "--per-second", "0"]);
    assert!(!ok && err.contains("--per-second"), "{err}");
    let (ok, _, err) = cli(&url, None, &["tenant", "rate", "--tenant", "9", "--per-second", "5"]);
    assert!(!ok && err.contains("no tenant 9"), "{err}");
}
