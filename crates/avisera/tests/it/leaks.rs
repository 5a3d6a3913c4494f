//! Small leaks (issue 12, item 15): the webhook's 401 is the same for a tenant with a secret
//! and one without; adding a user whose email another tenant has says nothing about that
//! tenant; a portal form POST from a foreign `Origin` is refused even with a valid token.

use crate::helpers::*;
use crate::portal::{Visitor, add_user, signed_in};
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::Value;

async fn push(app: &TestApp, tenant: i64, signature: Option<&str>) -> (u16, Value) {
    let mut req = app
        .http
        .post(format!("{}/v1/webhooks/tracking/{tenant}", app.base))
        .body(r#"{"item_id": "L1", "event_code": "EN_ROUTE", "event_time": "2026-11-25T10:00:00Z"}"#);
    if let Some(sig) = signature {
        let ts = jiff::Timestamp::now().as_second();
        req = req
            .header("x-avisera-timestamp", ts.to_string())
            .header("x-avisera-signature", sig);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn the_webhooks_401_does_not_tell_which_tenants_have_a_secret() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    add_tenant(&app.app, "Other AB").await;
    let (status, _) = app.call("POST", "/v1/webhooks/secret", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let wrong = format!("sha256={}", "0".repeat(64));
    for signature in [None, Some(wrong.as_str())] {
        // Tenant 1 has a secret; tenant 2 has none; tenant 99 does not exist.
        let answers: Vec<(u16, Value)> = vec![
            push(&app, 1, signature).await,
            push(&app, 2, signature).await,
            push(&app, 99, signature).await,
        ];
        assert_eq!(answers[0].0, 401, "{:?}", answers[0]);
        assert_eq!(
            answers[0], answers[1],
            "with secret vs without, signature {signature:?}"
        );
        assert_eq!(
            answers[0], answers[2],
            "with secret vs no tenant, signature {signature:?}"
        );
    }
}

#[tokio::test]
async fn adding_a_user_another_tenant_has_says_nothing_about_that_tenant() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    add_tenant(&app.app, "Other AB").await;
    add_user(&app, 2, "taken@other.se", Role::Viewer).await;
    add_user(&app, 1, "here@webshop.se", Role::Viewer).await;
    let mut v = signed_in(&app, Role::Admin).await;
    let elsewhere = refusal(&mut v, "taken@other.se").await;
    assert!(!elsewhere.contains("already exists"), "{elsewhere}");
    let here = refusal(&mut v, "here@webshop.se").await;
    assert_eq!(
        elsewhere.replace("taken@other.se", "X"),
        here.replace("here@webshop.se", "X"),
        "taken elsewhere reads like taken here"
    );
}

/// The error line of the users page after adding `email`.
async fn refusal(v: &mut Visitor, email: &str) -> String {
    let csrf = v.get("/portal/users").await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("email", email),
        ("name", "Bo"),
        ("role", "viewer"),
        ("password", "ett långt lösenord"),
    ];
    let page = v.post("/portal/users", &form).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let at = page.body.find(email).expect("the page names the address");
    page.body[at..].lines().next().unwrap().to_string()
}

#[tokio::test]
async fn a_form_post_with_a_foreign_origin_is_refused_even_with_a_valid_token() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v: Visitor = signed_in(&app, Role::Admin).await;
    let host = app.base.trim_start_matches("http://").to_string();
    let brand = |csrf: &str, name: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("brand_name".to_string(), name.to_string()),
            ("email_from_name".to_string(), "x".to_string()),
            ("sms_sender_id".to_string(), "Webshop".to_string()),
            ("default_language".to_string(), "sv".to_string()),
        ]
    };
    for origin in ["https://evil.example", "null", "http://track.example.com.evil.example"] {
        let csrf = v.get("/portal/brand").await.csrf();
        let req = v
            .http
            .post(format!("{}/portal/brand", app.base))
            .header("origin", origin)
            .form(&brand(&csrf, "Hijacked"));
        assert_eq!(v.finish(req).await.status, StatusCode::FORBIDDEN, "{origin}");
    }
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brand"]["brand_name"], "Webshop AB");

    // Its own origins: public_url's, and the one the Host header names.
    for origin in ["https://track.example.com".to_string(), format!("http://{host}")] {
        let csrf = v.get("/portal/brand").await.csrf();
        let req = v
            .http
            .post(format!("{}/portal/brand", app.base))
            .header("origin", &origin)
            .form(&brand(&csrf, "Nya Butiken"));
        let page = v.finish(req).await;
        assert_eq!(page.status, StatusCode::OK, "{origin}: {}", page.body);
    }
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brand"]["brand_name"], "Nya Butiken");
    // Signing in from a foreign origin is refused as well.
    let mut stranger = Visitor::new(&app.base);
    let csrf = stranger.get("/portal/login").await.csrf();
    let req = stranger
        .http
        .post(format!("{}/portal/login", app.base))
        .header("origin", "https://evil.example")
        .form(&[
            ("email", "admin@webshop.se"),
            ("password", "ett långt lösenord"),
            ("csrf", &csrf),
        ]);
    assert_eq!(stranger.finish(req).await.status, StatusCode::FORBIDDEN);
}
