//! A carrier's signed tracking webhook: a good signature notifies the receiver, a replay
//! changes nothing, and a wrong, missing or stale signature is refused with the reason.

use crate::helpers::*;
use avisera::ingest::webhook::sign;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn push(app: &TestApp, tenant: i64, body: &[u8], timestamp: i64, signature: &str) -> (StatusCode, Value) {
    let resp = app
        .http
        .post(format!("{}/v1/webhooks/tracking/{tenant}", app.base))
        .header("content-type", "application/json")
        .header("x-avisera-timestamp", timestamp.to_string())
        .header("x-avisera-signature", signature)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    (status, resp.json().await.unwrap())
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

async fn signed_pushes_notify_once_and_bad_ones_are_refused(db: Db) {
    let app = spawn_app(db, None, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    // The shipment and its receiver are known from the booking.
    let (status, body) = app
        .call("POST", "/v1/events", Some(event("WH1", "INFORMED", "0701234567")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, created) = app.call("POST", "/v1/webhooks/secret", None).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap().to_string();
    assert!(created["url"].as_str().unwrap().ends_with("/v1/webhooks/tracking/1"));

    let body = serde_json::to_vec(&json!({"events": [{
        "shipment_id": "70712345678SE", "item_id": "WH1", "event_code": "DELIVERED",
        "event_time": "2026-11-25T14:05:00+01:00", "event_id": "pn-ev-1",
        "location": {"name": "Stockholm", "postcode": "11122", "country_code": "SE"},
        "flags": {"return": false}
    }]}))
    .unwrap();
    let ts = now();
    let sig = sign(&secret, ts, &body);
    let (status, answer) = push(&app, 1, &body, ts, &sig).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["accepted"], 1);
    let notifications = app.settled_notifications().await;
    assert_eq!(notifications.len(), 1);
    assert_eq!(inbox(&app).await.len(), 1);

    // The same request again (a retry by the carrier): a duplicate, nobody hears twice.
    let (status, answer) = push(&app, 1, &body, ts, &sig).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!((&answer["accepted"], &answer["duplicates"]), (&json!(0), &json!(1)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(inbox(&app).await.len(), 1);
    let (_, shipment) = app.call("GET", "/v1/shipments/WH1", None).await;
    assert_eq!(shipment["events"].as_array().unwrap().len(), 2, "{shipment:#}");
    assert_eq!(shipment["events"][1]["location"], "Stockholm, 11122, SE");

    // Wrong secret, changed body, stale or missing signature, a tenant without a secret.
    let (status, e) = push(&app, 1, &body, ts, &sign("not-the-secret", ts, &body)).await;
    assert_eq!(
        (status, &e["error"]["code"]),
        (StatusCode::UNAUTHORIZED, &json!("bad_signature"))
    );
    let mut changed = body.clone();
    changed[20] ^= 1;
    let (status, _) = push(&app, 1, &changed, ts, &sig).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let old = ts - 600;
    let (status, e) = push(&app, 1, &body, old, &sign(&secret, old, &body)).await;
    assert_eq!(
        (status, &e["error"]["code"]),
        (StatusCode::UNAUTHORIZED, &json!("stale_signature"))
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("stale"), "{e}");
    let resp = app
        .http
        .post(format!("{}/v1/webhooks/tracking/1", app.base))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let other_key = add_tenant(&app.app, "Other AB").await;
    let (status, _) = push(&app, 2, &body, ts, &sig).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "tenant 2 has no secret; tenant 1's does not open it"
    );

    // Rotating: the old secret stops working at once.
    let (_, rotated) = app.call("POST", "/v1/webhooks/secret", None).await;
    let (status, _) = push(&app, 1, &body, ts, &sig).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A bad event in a batch is named by the webhook's own field; the good one is stored.
    let batch = serde_json::to_vec(&json!({"events": [
        {"item_id": "WH2", "event_code": "IN_TRANSIT", "event_time": "yesterday"},
        {"item_id": "WH2", "event_code": "IN_TRANSIT", "event_time": "2026-11-25T10:00:00Z"}
    ]}))
    .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap();
    let (status, answer) = push(&app, 1, &batch, ts, &sign(new_secret, ts, &batch)).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{answer}");
    assert_eq!(answer["results"][0]["field"], "event_time");
    // The other tenant sees none of it.
    let (status, _) = app.call_as(&other_key, "GET", "/v1/shipments/WH1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn signed_pushes_notify_once_and_bad_ones_are_refused_sqlite() {
    signed_pushes_notify_once_and_bad_ones_are_refused(Db::Sqlite).await;
}

#[tokio::test]
async fn signed_pushes_notify_once_and_bad_ones_are_refused_postgres() {
    signed_pushes_notify_once_and_bad_ones_are_refused(Db::Postgres).await;
}

/// An operator sets the secret from the command line; the carrier signs with what it printed.
#[tokio::test]
async fn the_cli_sets_a_secret_that_signs_pushes() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args(["tenant", "webhook-secret", "--tenant", "1"])
        .env("AVISERA_DATABASE_URL", &app.app.config.database_url)
        .env_remove("AVISERA_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let secret = text
        .split("(shown once): ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .unwrap()
        .to_string();
    assert!(text.contains("/v1/webhooks/tracking/1"), "{text}");
    let body = br#"{"item_id": "CLI1", "event_code": "EN_ROUTE", "event_time": "2026-11-25T10:00:00Z"}"#;
    let ts = now();
    let (status, answer) = push(&app, 1, body, ts, &sign(&secret, ts, body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["accepted"], 1);
}
