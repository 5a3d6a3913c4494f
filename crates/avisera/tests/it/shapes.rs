//! Only the documented JSON shapes (issue 12, items 11 and 12): an array where an object
//! belongs, a key given twice, or an empty mapping is refused and changes nothing; a batch is
//! counted while it is read and stops at the limit.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn send(app: &TestApp, method: &str, path: &str, body: &str) -> (StatusCode, Value) {
    let resp = app
        .http
        .request(method.parse().unwrap(), format!("{}{path}", app.base))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn an_array_for_an_object_changes_nothing() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, _) = app
        .call("PUT", "/v1/tenant/billing", Some(json!({"sms_budget_ore": 50000})))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send(&app, "PUT", "/v1/tenant/billing", "[]").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "not_an_object", "{body}");
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(
        tenant["billing"]["sms_budget_ore"], 50000,
        "the budget survived: {tenant}"
    );

    let positional = r#"["t", "sms", "sv", {"sv": {"text": "Hej"}}]"#;
    let (status, body) = send(&app, "POST", "/v1/templates", positional).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, list) = app.call("GET", "/v1/templates", None).await;
    assert_eq!(list["templates"].as_array().map(Vec::len), Some(0), "{list}");

    // An event given positionally is rejected on its own; its neighbour is stored.
    let batch = json!([
        ["id-1", "POS1", "DELIVERED", "2026-11-25T10:00:00Z"],
        event("POS2", "DELIVERED", "0701234567")
    ]);
    let (status, body) = app.call("POST", "/v1/events", Some(batch)).await;
    assert_eq!(status, StatusCode::MULTI_STATUS, "{body}");
    assert!(
        body["results"][0]["message"].as_str().unwrap().contains("JSON object"),
        "{body}"
    );

    // Deeper down too: quiet hours and a receiver given positionally.
    let (_, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "t", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "Hej"}}})),
        )
        .await;
    let rule = json!({"name": "r", "trigger": "delivered", "channels": "sms", "sms_template_id": template["id"],
                      "quiet_hours": [["sms", "21:00", "08:00"]]});
    let (status, body) = app.call("POST", "/v1/rules", Some(rule)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "quiet_hours[0]", "{body}");
    let mut e = event("POS3", "DELIVERED", "0701234567");
    e["shipment"]["receiver"] = json!(["Anna", "0701234567", null, "sv", null]);
    let (status, body) = app.call("POST", "/v1/events", Some(e)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "shipment.receiver", "{body}");
}

#[tokio::test]
async fn a_key_given_twice_is_an_error() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (status, body) = send(
        &app,
        "PUT",
        "/v1/tenant/billing",
        r#"{"sms_budget_ore": 1, "sms_budget_ore": 2}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"sms_budget_ore\" appears twice"),
        "{body}"
    );
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["billing"]["sms_budget_ore"], Value::Null, "{tenant}");

    let twice = r#"{"tracking_number": "DUP1", "code": "DELIVERED", "code": "RETURNED", "occurred_at": "2026-11-25T10:00:00Z"}"#;
    let (status, body) = send(&app, "POST", "/v1/events", twice).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("appears twice"),
        "{body}"
    );
    let (status, _) = app.call("GET", "/v1/shipments/DUP1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_empty_mapping_is_refused_and_removing_it_is_explicit() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let own = |list: &Value| {
        list["mapping"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["code"] == "HANDED_OVER")
    };
    let line = "HANDED_OVER  delivered  yes  delivered  to the receiver\n";
    let (status, body) = send(&app, "PUT", "/v1/mapping", line).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for empty in ["", "  \n", "# only a comment\n"] {
        let (status, body) = send(&app, "PUT", "/v1/mapping", empty).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{empty:?}: {body}");
        assert_eq!(body["error"]["code"], "empty_mapping", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("DELETE /v1/mapping")
        );
    }
    let (_, list) = app.call("GET", "/v1/mapping", None).await;
    assert!(own(&list), "the tenant's lines survived");
    let (status, list) = app.call("DELETE", "/v1/mapping", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(!own(&list));
}

/// The read stops at the limit: the 10,001st event ends it, so what follows (here: not even
/// JSON) is never parsed, and nothing is stored.
#[tokio::test]
async fn a_batch_over_the_limit_stops_at_the_limit_with_413() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let one = serde_json::to_string(&event("BIG1", "IN_TRANSIT", "0701234567")).unwrap();
    let mut body = String::from("[");
    for _ in 0..10_001 {
        body.push_str(&one);
        body.push(',');
    }
    body.push_str("this is where a parser that reads everything first would stop");
    let (status, answer) = send(&app, "POST", "/v1/events", &body).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["error"]["code"], "batch_too_large");
    assert_eq!(answer["error"]["max_events"], 10_000);
    let wrapped = format!("{{\"events\": {body}");
    let (status, _) = send(&app, "POST", "/v1/events", &wrapped).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = app.call("GET", "/v1/shipments/BIG1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // At the limit and well-formed: accepted.
    let ten: Vec<Value> = (0..10)
        .map(|i| event(&format!("OK{i}"), "IN_TRANSIT", "0701234567"))
        .collect();
    let (status, answer) = app.call("POST", "/v1/events", Some(json!({"events": ten}))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let (status, answer) = send(&app, "POST", "/v1/events", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "empty_body");
}
