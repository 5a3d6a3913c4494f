//! Event times out of range (issue 12, item 10): an event dated in 2062 or before 2000 is refused
//! with the field and the allowed range at every door, and a later real event still moves the
//! shipment on.

use crate::edifact::{IFTSTA, upload_raw};
use crate::helpers::*;
use avisera::ingest::webhook::sign;
use axum::http::StatusCode;
use serde_json::json;

fn at(tracking: &str, code: &str, when: &str) -> serde_json::Value {
    let mut e = event(tracking, code, "0701234567");
    e["occurred_at"] = json!(when);
    e
}

#[tokio::test]
async fn the_api_refuses_events_from_2062_and_1999_naming_the_range() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(at("T2062", "IN_TRANSIT", "2062-01-01T10:00:00+01:00")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "occurred_at", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("allowed range") && message.contains("2000-01-01"),
        "{message}"
    );

    let batch = json!([
        at("T2062", "IN_TRANSIT", "1999-12-31T23:00:00Z"),
        at("T2062", "IN_TRANSIT", "2026-11-25T10:00:00Z"),
        at("T2062", "DELIVERED", "2062-01-01T10:00:00Z"),
    ]);
    let (status, body) = app.call("POST", "/v1/events", Some(batch)).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{body}");
    assert_eq!(body["results"][0]["field"], "occurred_at");
    assert_eq!(body["results"][2]["field"], "occurred_at");
    assert_eq!(body["accepted"], 1);

    // The shipment is not frozen: a real delivery still moves it on.
    let (status, _) = app
        .call(
            "POST",
            "/v1/events",
            Some(at("T2062", "DELIVERED", "2026-11-26T10:00:00Z")),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, shipment) = app.call("GET", "/v1/shipments/T2062", None).await;
    assert_eq!(shipment["events"].as_array().unwrap().len(), 2, "{shipment:#}");
    assert_eq!(shipment["shipment"]["milestone"], "delivered", "{shipment:#}");
}

#[tokio::test]
async fn the_webhook_refuses_an_event_from_2062_by_its_own_field_name() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (_, created) = app.call("POST", "/v1/webhooks/secret", None).await;
    let secret = created["secret"].as_str().unwrap();
    let body = serde_json::to_vec(&json!({"events": [
        {"item_id": "WH62", "event_code": "DELIVERED", "event_time": "2062-01-01T10:00:00Z"},
        {"item_id": "WH62", "event_code": "IN_TRANSIT", "event_time": "2026-11-25T10:00:00Z"}
    ]}))
    .unwrap();
    let ts = jiff::Timestamp::now().as_second();
    let resp = app
        .http
        .post(format!("{}/v1/webhooks/tracking/1", app.base))
        .header("x-avisera-timestamp", ts.to_string())
        .header("x-avisera-signature", sign(secret, ts, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 207);
    let answer: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(answer["results"][0]["field"], "event_time", "{answer}");
    assert!(
        answer["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains("allowed range"),
        "{answer}"
    );
}

#[tokio::test]
async fn edifact_rejects_a_status_from_2062_as_a_bad_message_at_its_dtm_segment() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let text = String::from_utf8(IFTSTA.to_vec()).unwrap();
    let future = text.replace("DTM+334:202611261400", "DTM+334:206211261400");
    assert_ne!(future, text);
    let (status, summary) = upload_raw(&app, future.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{summary:#}");
    assert_eq!(summary["rejected_messages"], 1, "{summary:#}");
    let error = &summary["errors"][0];
    assert_eq!(error["tag"], "DTM", "{summary:#}");
    assert!(
        error["error"].as_str().unwrap().contains("allowed range"),
        "{summary:#}"
    );
    let (status, _) = app.call("GET", "/v1/shipments/00370712345678901234", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, summary) = upload_raw(&app, IFTSTA).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{summary:#}");
}

/// Before 2000 the domain's own check refuses the message, naming the field, like any bad one.
#[tokio::test]
async fn edifact_rejects_a_status_from_1999_as_a_bad_message() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let text = String::from_utf8(IFTSTA.to_vec()).unwrap();
    let old = text.replace("DTM+334:202611261400", "DTM+334:199911261400");
    let (status, summary) = upload_raw(&app, old.as_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{summary:#}");
    assert_eq!(summary["rejected_messages"], 1, "{summary:#}");
    let error = &summary["errors"][0];
    assert_eq!(error["tag"], "DTM", "{summary:#}");
    assert!(
        error["error"].as_str().unwrap().contains("allowed range"),
        "{summary:#}"
    );
}
