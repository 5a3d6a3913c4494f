//! What a message may cost is bounded before anything is sent: a template that renders an
//! enormous or empty message cannot be saved, and names that go into every message are short
//! single lines.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::{Value, json};

fn sms_template(text: &str) -> Value {
    json!({"name": "t", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": text}}})
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_template_that_renders_too_much_or_nothing_is_refused_at_save_and_in_the_preview() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    // 30 bytes of template, 588,889 characters of SMS: 3,850 segments per message.
    for path in ["/v1/templates", "/v1/templates/preview"] {
        let (status, body) = app
            .call("POST", path, Some(sms_template("{{ range(100000)|join(',') }}")))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert!(message(&body).contains("renders more than 512 KiB"), "{path}: {body}");
    }
    let (status, body) = app
        .call(
            "POST",
            "/v1/templates",
            Some(sms_template("{{ range(1000)|join(',') }}")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        message(&body).contains("26 segments long") && message(&body).contains("maximum of 6"),
        "{body}"
    );
    let (status, body) = app
        .call(
            "POST",
            "/v1/templates",
            Some(sms_template("{% if false %}Hej{% endif %}")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(message(&body).contains("empty"), "{body}");
    let (_, list) = app.call("GET", "/v1/templates", None).await;
    assert_eq!(
        list["templates"].as_array().unwrap().len(),
        0,
        "nothing was saved: {list}"
    );

    let (status, body) = app
        .call("POST", "/v1/templates", Some(sms_template("Hej {{ receiver_name }}!")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "a normal template still saves: {body}");
}

#[tokio::test]
async fn brand_names_that_go_into_messages_are_short_single_lines() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    let brand = tenant["brand"].clone();

    let mut header_breaking = brand.clone();
    header_breaking["email_from_name"] = json!("Webshop\r\nBcc: everyone@example.com");
    let (status, body) = app.call("PUT", "/v1/tenant/brand", Some(header_breaking)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "email_from_name", "{body}");
    assert!(message(&body).contains("one line"), "{body}");

    let mut long = brand.clone();
    long["brand_name"] = json!("W".repeat(3000));
    let (status, body) = app.call("PUT", "/v1/tenant/brand", Some(long)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "brand_name", "{body}");
    assert!(message(&body).contains("at most 100"), "{body}");

    let (_, after) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(after["brand"], brand, "nothing changed");
}
