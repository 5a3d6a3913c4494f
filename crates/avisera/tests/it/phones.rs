//! Receivers' phone numbers as people write them, and numbers an SMS cannot reach.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn no_sms_goes_to_a_fixed_line_and_a_rule_with_fallback_sends_the_email() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(db, None, None).await;
        let (_, email) = app
            .call(
                "POST",
                "/v1/templates",
                Some(json!({"name": "e", "channel": "email", "default_language": "sv",
                        "contents": {"sv": {"subject": "Levererat", "text": "Paket {{ tracking_number }} levererat"}}})),
            )
            .await;
        sms_rule(&app, "delivered", json!({})).await;
        sms_rule(
            &app,
            "first_transport_event",
            json!({"channels": "sms_else_email", "email_template_id": email["id"]}),
        )
        .await;

        // A Stockholm fixed line: the event is accepted, with a warning that says why no SMS
        // will reach it.
        let (status, body) = app
            .call("POST", "/v1/events", Some(event("FIX1", "EN_ROUTE", "08-123 456 78")))
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(
            body["results"][0]["warnings"],
            json!([{"field": "shipment.receiver.phone",
                    "message": "+46812345678 is a fixed line, not a mobile: an SMS cannot reach it"}]),
            "{body}"
        );
        // The email goes before the delivery (which would cancel it if it still waited).
        app.settled_notifications().await;
        app.call("POST", "/v1/events", Some(event("FIX1", "DELIVERED", "08-123 456 78")))
            .await;
        let list = app.settled_notifications().await;
        let by = |trigger: &str| list.iter().find(|n| n["trigger"] == trigger).unwrap().clone();
        let sms = by("delivered");
        assert_eq!(sms["status"], "failed", "{sms}");
        assert_eq!(
            sms["reason"],
            "+46812345678 is a fixed line, not a mobile: an SMS cannot reach it"
        );
        let fallback = by("first_transport_event");
        assert_eq!(
            (fallback["channel"].as_str(), fallback["status"].as_str()),
            (Some("email"), Some("sent")),
            "{fallback}"
        );
        let messages = inbox(&app).await;
        assert_eq!(messages.len(), 1, "only the email: {messages:#?}");
        assert_eq!(messages[0]["to"], "anna@example.se");

        let (_, bill) = app.call("GET", "/v1/bill", None).await;
        let kinds: Vec<&str> = bill["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l["kind"].as_str())
            .collect();
        assert!(
            kinds.contains(&"email") && !kinds.contains(&"sms"),
            "the email is billed, no SMS: {bill}"
        );
    }
}

#[tokio::test]
async fn a_number_with_the_trunk_prefix_in_brackets_is_the_mobile_it_means() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(event("BR1", "DELIVERED", "+46 (0)70-123 45 67")),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["results"][0]["warnings"], json!([]), "{body}");
    let list = app.settled_notifications().await;
    assert_eq!(list[0]["status"], "sent", "{list:#?}");
    let (_, body) = app
        .call("POST", "/v1/events", Some(event("BR2", "DELIVERED", "12ab")))
        .await;
    assert_eq!(body["results"][0]["result"], "accepted", "{body}");
    assert_eq!(
        body["results"][0]["warnings"][0]["field"], "shipment.receiver.phone",
        "{body}"
    );
    let messages = inbox(&app).await;
    assert_eq!(messages[0]["to"], "+46701234567");
}
