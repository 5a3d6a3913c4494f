//! Provider failover end to end: two SMS providers played by real HTTP servers on port 0 (and
//! two SMTP servers, one down), the first refusing; what reached whose handset, the provider on
//! each notification in the API and the portal log, the breaker skipping and then probing the
//! first, the metrics per provider, and each provider's delivery reports on its own path.

use crate::helpers::*;
use crate::portal::signed_in;
use crate::receipts::{RECEIPTS_SECRET, post_receipts};
use avisera::config::{FailoverConfig, Providers, SmsHttpConfig};
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The cool-down of the tests' breakers: long enough that the messages sent while the first
/// provider is down all find its breaker open, short enough to wait out.
const COOL_DOWN_MS: u64 = 4_000;

fn named(provider: &SmsProvider, name: &str) -> SmsHttpConfig {
    let mut c = sms_config(provider);
    c.name = Some(name.into());
    c
}

/// An app sending SMS through `providers` in order, breakers opening after 2 failures.
async fn app_with_providers(db: Db, providers: Vec<SmsHttpConfig>) -> TestApp {
    spawn_app_configured(db, None, None, |c| {
        c.sms = Some(Providers::several(providers).unwrap());
        c.dev_inbox = false;
        c.receipts_secret = Some(RECEIPTS_SECRET.to_string().into());
        c.delivery.failover = FailoverConfig {
            failures: 2,
            cool_down_ms: COOL_DOWN_MS,
        };
    })
    .await
}

/// Posts one delivered event for `tracking` to `phone` and returns its notification, settled.
async fn sent_for(app: &TestApp, tracking: &str, phone: &str) -> Value {
    let (status, body) = app
        .call("POST", "/v1/events", Some(event(tracking, "DELIVERED", phone)))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let n = app
        .settled_notifications()
        .await
        .into_iter()
        .find(|n| n["tracking_number"] == tracking)
        .expect("its notification");
    let (status, n) = app.call("GET", &format!("/v1/notifications/{}", n["id"]), None).await;
    assert_eq!(status, StatusCode::OK, "{n}");
    n
}

fn reasons(n: &Value) -> Vec<String> {
    n["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["reason"].as_str().map(str::to_string))
        .collect()
}

fn requests(p: &SmsProvider) -> usize {
    p.log.lock().unwrap().requests.len()
}

fn handsets(p: &SmsProvider) -> Vec<String> {
    let log = p.log.lock().unwrap();
    let mut texts: Vec<String> = log
        .delivered
        .values()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    texts
}

async fn first_refuses_then_recovers(db: Db) {
    let (first, second) = (
        spawn_sms_provider(Duration::ZERO).await,
        spawn_sms_provider(Duration::ZERO).await,
    );
    first.log.lock().unwrap().fail_next = vec![503; 100];
    let app = app_with_providers(db, vec![named(&first, "first"), named(&second, "second")]).await;
    sms_rule(&app, "delivered", json!({})).await;

    // The first answers 503: the message goes on to the second at once, with the same key,
    // in the same attempt (no retry waited for).
    let n = sent_for(&app, "FAIL1", "+46701234567").await;
    assert_eq!(
        (n["status"].as_str(), n["provider"].as_str(), n["attempts"].as_u64()),
        (Some("sent"), Some("second"), Some(1)),
        "{n}"
    );
    assert!(!reasons(&n).iter().any(|r| r.starts_with("will retry")), "{n}");
    let key = n["idempotency_key"].as_str().unwrap();
    assert_eq!(first.log.lock().unwrap().requests[0]["idempotency_key"], key);
    assert!(second.log.lock().unwrap().delivered.contains_key(key));
    assert_eq!(handsets(&second), ["Hej Anna! Paket FAIL1: Webshop AB meddelar."]);
    assert!(handsets(&first).is_empty());

    // A second failure in a row opens the first's breaker: the next message skips it.
    assert_eq!(sent_for(&app, "FAIL2", "+46701234568").await["provider"], "second");
    assert_eq!(requests(&first), 2);
    assert_eq!(sent_for(&app, "FAIL3", "+46701234569").await["provider"], "second");
    assert_eq!(requests(&first), 2, "an open breaker skips its provider");

    // The first recovers; after the cool-down one message probes it and it takes traffic again.
    first.log.lock().unwrap().fail_next.clear();
    tokio::time::sleep(Duration::from_millis(COOL_DOWN_MS + 300)).await;
    for (i, tracking) in ["BACK1", "BACK2"].iter().enumerate() {
        let n = sent_for(&app, tracking, &format!("+4670123457{i}")).await;
        assert_eq!(n["provider"], "first", "{n}");
    }
    assert_eq!(handsets(&first).len(), 2);
    assert_eq!(handsets(&second).len(), 3, "each message reached one handset once");

    // A permanent refusal (a 4xx) is not retried elsewhere.
    let n = sent_for(&app, "DEAD1", "+46701230000").await;
    assert_eq!(
        (n["status"].as_str(), n["provider"].as_str()),
        (Some("failed"), Some("first")),
        "{n}"
    );
    assert!(n["reason"].as_str().unwrap().contains("400"), "{n}");
    assert!(
        second
            .log
            .lock()
            .unwrap()
            .requests
            .iter()
            .all(|r| r["to"] != "+46701230000"),
        "the second never saw the refused number"
    );

    // The log and the metrics say which provider sent what.
    let (_, sent_by_second) = app.call("GET", "/v1/notifications?limit=100", None).await;
    let by: Vec<(&str, &str)> = sent_by_second["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["tracking_number"].as_str().unwrap(), n["provider"].as_str().unwrap()))
        .collect();
    assert!(
        by.contains(&("FAIL3", "second")) && by.contains(&("BACK2", "first")),
        "{by:?}"
    );
    let mut viewer = signed_in(&app, Role::Viewer).await;
    let log = viewer.get("/portal/log").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(
        log.body.contains("via second") && log.body.contains("via first"),
        "{}",
        log.body
    );
    let metrics = app.page("/metrics").await;
    for line in [
        "avisera_deliveries_total{outcome=\"sent\",channel=\"sms\",provider=\"second\"} 3",
        "avisera_deliveries_total{outcome=\"sent\",channel=\"sms\",provider=\"first\"} 2",
        "avisera_deliveries_total{outcome=\"failed\",channel=\"sms\",provider=\"first\"} 1",
        "avisera_provider_call_seconds_count{channel=\"sms\",provider=\"first\",outcome=\"refused\"} 2",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} not in\n{metrics}");
    }
}

#[tokio::test]
async fn a_refused_sms_reaches_the_second_provider_at_once_and_the_first_takes_traffic_again_on_sqlite() {
    first_refuses_then_recovers(Db::Sqlite).await;
}

#[tokio::test]
async fn a_refused_sms_reaches_the_second_provider_at_once_and_the_first_takes_traffic_again_on_postgres() {
    first_refuses_then_recovers(Db::Postgres).await;
}

/// A first provider that does not answer in time may have taken the message: it is not sent
/// elsewhere at once, but tried again no sooner than the claim's lease would have run out.
#[tokio::test]
async fn after_a_timeout_the_message_waits_for_its_lease_instead_of_going_elsewhere() {
    let slow = spawn_sms_provider(Duration::from_millis(1_500)).await;
    let second = spawn_sms_provider(Duration::ZERO).await;
    let mut first = named(&slow, "first");
    first.timeout_ms = 200;
    let app = app_with_providers(Db::Sqlite, vec![first, named(&second, "second")]).await;
    sms_rule(&app, "delivered", json!({})).await;
    let (status, body) = app
        .call("POST", "/v1/events", Some(event("SLOW1", "DELIVERED", "+46701234567")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let n = loop {
        let (_, list) = app.call("GET", "/v1/notifications", None).await;
        let n = list["notifications"][0].clone();
        if n["attempts"].as_u64() == Some(1) {
            break n;
        }
        assert!(std::time::Instant::now() < deadline, "no attempt: {n}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        (n["status"].as_str(), n["provider"].as_str()),
        (Some("scheduled"), Some("first")),
        "{n}"
    );
    assert!(n["reason"].as_str().unwrap().contains("timed out"), "{n}");
    assert_eq!(requests(&second), 0, "nothing went to the second provider");
    // The test's lease is 2 s; the schedule alone would retry after 200 ms.
    let created: jiff::Timestamp = n["created_at"].as_str().unwrap().parse().unwrap();
    let due: jiff::Timestamp = n["due_at"].as_str().unwrap().parse().unwrap();
    assert!(
        due.duration_since(created) >= jiff::SignedDuration::from_millis(1_500),
        "retried at {due}, created {created}"
    );
}

/// Each provider posts its delivery reports to its own path, in its own shape; its ids are
/// looked up among its own messages.
#[tokio::test]
async fn each_provider_reports_on_its_own_path_in_its_own_shape() {
    let (first, second) = (
        spawn_sms_provider(Duration::ZERO).await,
        spawn_sms_provider(Duration::ZERO).await,
    );
    first.log.lock().unwrap().fail_next = vec![503];
    let mut second_config = named(&second, "second");
    second_config.receipts.id_field = "messageId".into();
    let app = app_with_providers(Db::Postgres, vec![named(&first, "first"), second_config]).await;
    sms_rule(&app, "delivered", json!({})).await;
    let n = sent_for(&app, "RCPT1", "+46701234567").await;
    assert_eq!(n["provider"], "second", "{n}");
    let id = n["provider_id"].as_str().unwrap().to_string();

    let post = |path: &'static str, body: Value| {
        let app = &app;
        async move { post_receipts(app, path, body.to_string().as_bytes(), RECEIPTS_SECRET, None).await }
    };
    // The first provider never sent it: its report of the same id names no message of its.
    let (status, answer) = post("sms/first", json!({"id": id, "status": "DELIVRD"})).await;
    assert_eq!(
        (status, answer["results"][0]["result"].as_str()),
        (StatusCode::ACCEPTED, Some("unknown")),
        "{answer}"
    );
    let (status, answer) = post("sms/second", json!({"messageId": id, "status": "DELIVRD"})).await;
    assert_eq!(
        (status, answer["recorded"].as_u64()),
        (StatusCode::ACCEPTED, Some(1)),
        "{answer}"
    );
    let (_, n) = app.call("GET", &format!("/v1/notifications/{}", n["id"]), None).await;
    assert_eq!(n["status"], "delivered", "{n}");

    let (status, answer) = post("sms/third", json!({"id": id, "status": "DELIVRD"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"]["code"], "unknown_provider", "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("first, second"), "{answer}");
}

/// Two SMTP servers, the first down (its port refuses connections): the email reaches the
/// second, and the notification says so.
#[tokio::test]
async fn an_email_goes_to_the_second_smtp_server_when_the_first_is_down() {
    let up = spawn_smtp_server().await;
    let mut down = smtp_config(&up);
    down.port = free_port();
    down.name = Some("relay-a".into());
    let mut second = smtp_config(&up);
    second.name = Some("relay-b".into());
    let app = spawn_app_configured(Db::Sqlite, None, None, |c| {
        c.smtp = Some(Providers::several(vec![down, second]).unwrap());
        c.dev_inbox = false;
    })
    .await;
    enabled_rule_for(
        &app,
        json!({"name": "mail", "channel": "email", "default_language": "sv",
               "contents": {"sv": {"subject": "Paket {{ tracking_number }}", "text": "Levererat."}}}),
    )
    .await;
    let n = sent_for(&app, "MAIL1", "+46701234567").await;
    assert_eq!(
        (n["status"].as_str(), n["provider"].as_str(), n["attempts"].as_u64()),
        (Some("sent"), Some("relay-b"), Some(1)),
        "{n}"
    );
    let mails = up.wait_for_mails(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["subject"], "Paket MAIL1");
}
