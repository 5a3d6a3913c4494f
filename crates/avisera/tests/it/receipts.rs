//! Providers' receipts end to end: an SMS sent through a provider played by a real HTTP server,
//! its delivery report posted signed, the status in the API, the portal log and the metrics;
//! bad receipts answered with clear errors and nothing changed; email bounces suppressing an
//! address so the next email is cancelled and the rule's SMS fallback goes.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera::ingest::webhook::sign;
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const RECEIPTS_SECRET: &str = "receipts-secret-0123456789abcdefghijkl";

/// An app with a real SMS provider and receipts switched on.
async fn app_with_receipts(db: Db, provider: &SmsProvider, smtp: Option<&SmtpServer>) -> TestApp {
    spawn_app_configured(db, Some(sms_config(provider)), smtp.map(smtp_config), |c| {
        c.receipts_secret = Some(RECEIPTS_SECRET.to_string().into());
    })
    .await
}

/// Posts `body` to a receipts route, signed with `secret` at `ts` (now when `None`).
pub async fn post_receipts(
    app: &TestApp,
    channel: &str,
    body: &[u8],
    secret: &str,
    ts: Option<i64>,
) -> (StatusCode, Value) {
    let ts = ts.unwrap_or_else(|| app.app.clock.now().as_second());
    let resp = app
        .http
        .post(format!("{}/v1/receipts/{channel}", app.base))
        .header("content-type", "application/json")
        .header("x-avisera-timestamp", ts.to_string())
        .header("x-avisera-signature", sign(secret, ts, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn signed(app: &TestApp, channel: &str, body: Value) -> (StatusCode, Value) {
    post_receipts(app, channel, body.to_string().as_bytes(), RECEIPTS_SECRET, None).await
}

/// One SMS sent through the provider for shipment `tracking`; returns the notification.
async fn one_sent_sms(app: &TestApp, tracking: &str) -> Value {
    let (status, body) = app
        .call("POST", "/v1/events", Some(event(tracking, "DELIVERED", "+46701234567")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let list = app.settled_notifications().await;
    let n = list
        .iter()
        .find(|n| n["tracking_number"] == tracking)
        .cloned()
        .expect("its notification");
    assert_eq!(n["status"], "sent", "{n}");
    n
}

async fn notification(app: &TestApp, id: &Value) -> Value {
    let (status, n) = app.call("GET", &format!("/v1/notifications/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{n}");
    n
}

fn history(n: &Value) -> Vec<String> {
    n["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn an_sms_delivery_receipt_shows_delivered_in_the_api_the_portal_log_and_the_metrics() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = app_with_receipts(Db::Sqlite, &provider, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let sent = one_sent_sms(&app, "RCPT1").await;
    let provider_id = sent["provider_id"]
        .as_str()
        .expect("the provider's id was recorded")
        .to_string();
    assert_eq!(provider.log.lock().unwrap().delivered.len(), 1);

    let (status, answer) = signed(
        &app,
        "sms",
        json!({"id": provider_id, "status": "DELIVRD", "at": "2026-11-25T14:06:10+01:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["results"][0]["result"], "delivered", "{answer}");

    let n = notification(&app, &sent["id"]).await;
    assert_eq!(n["status"], "delivered", "{n}");
    assert_eq!(history(&n), ["scheduled", "sent", "delivered"]);
    assert_eq!(
        n["history"][2]["at"], "2026-11-25T13:06:10Z",
        "the provider's delivery time"
    );
    assert_eq!(n["charge"], sent["charge"], "billing does not change with a receipt");
    let (_, only) = app.call("GET", "/v1/notifications?status=delivered", None).await;
    assert_eq!(only["notifications"].as_array().unwrap().len(), 1, "{only}");

    // The same report again, then a late failure report (in one array): nothing moves back.
    let (status, answer) = signed(
        &app,
        "sms",
        json!([{"id": provider_id, "status": "delivered"}, {"id": provider_id, "status": "EXPIRED"}]),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(
        [&answer["results"][0]["result"], &answer["results"][1]["result"]],
        ["duplicate", "late"]
    );
    let n = notification(&app, &sent["id"]).await;
    assert_eq!((n["status"].as_str(), history(&n).len()), (Some("delivered"), 3), "{n}");

    let mut visitor = signed_in(&app, Role::Viewer).await;
    let log = visitor.get("/portal/log?status=delivered").await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("RCPT1"), "{}", log.body);
    assert!(
        log.body.contains("<span class=\"pill delivered\">delivered</span>"),
        "{}",
        log.body
    );
    assert!(log.body.contains("billed when its provider accepts it"), "{}", log.body);

    let metrics = app.page("/metrics").await;
    for line in [
        "avisera_receipts_total{channel=\"sms\",result=\"delivered\"} 1",
        "avisera_receipts_total{channel=\"sms\",result=\"duplicate\"} 1",
        "avisera_receipts_total{channel=\"sms\",result=\"late\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
}

#[tokio::test]
async fn an_undelivered_sms_keeps_the_providers_reason_on_postgres() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = app_with_receipts(Db::Postgres, &provider, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let sent = one_sent_sms(&app, "RCPT2").await;
    let (status, answer) = signed(
        &app,
        "sms",
        json!({"id": sent["provider_id"], "status": "UNDELIV", "reason": "absent subscriber"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let n = notification(&app, &sent["id"]).await;
    assert_eq!(
        (n["status"].as_str(), n["reason"].as_str()),
        (Some("undelivered"), Some("absent subscriber"))
    );
    assert_eq!(history(&n), ["scheduled", "sent", "undelivered"]);
    // A delivery report after the failure does not reverse it.
    let (_, answer) = signed(&app, "sms", json!({"id": sent["provider_id"], "status": "DELIVRD"})).await;
    assert_eq!(answer["results"][0]["result"], "late");
    assert_eq!(notification(&app, &sent["id"]).await["status"], "undelivered");
}

#[tokio::test]
async fn bad_receipts_get_clear_errors_and_change_nothing() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = app_with_receipts(Db::Sqlite, &provider, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let sent = one_sent_sms(&app, "RCPT3").await;
    let delivered = json!({"id": sent["provider_id"], "status": "DELIVRD"}).to_string();

    let (status, e) = post_receipts(&app, "sms", delivered.as_bytes(), "not-the-secret", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{e}");
    assert_eq!(e["error"]["code"], "bad_signature");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("receipts_secret"),
        "{e}"
    );
    let old = app.app.clock.now().as_second() - 3600;
    let (status, e) = post_receipts(&app, "sms", delivered.as_bytes(), RECEIPTS_SECRET, Some(old)).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("stale_signature"))
    );

    let (status, e) = post_receipts(&app, "sms", b"{\"id\": \"x\", \"status\": ", RECEIPTS_SECRET, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(e["error"]["line"].is_u64(), "{e}");

    let (status, answer) = signed(&app, "sms", json!({"id": "no-such-message", "status": "DELIVRD"})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "providers retry anything else: {answer}");
    assert_eq!(answer["results"][0]["result"], "unknown");

    let (status, answer) = signed(&app, "sms", json!([{"status": "DELIVRD"}])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["results"][0]["field"], "id", "{answer}");

    let many: Vec<Value> = (0..10_000)
        .map(|_| json!({"id": sent["provider_id"], "status": "DELIVRD"}))
        .collect();
    let (status, e) = signed(&app, "sms", Value::Array(many)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(e["error"]["code"], "batch_too_large");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1000 receipts"),
        "{e}"
    );

    let (status, e) = signed(&app, "sms", json!([])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // Nothing of the above touched the sent SMS.
    let n = notification(&app, &sent["id"]).await;
    assert_eq!((n["status"].as_str(), history(&n).len()), (Some("sent"), 2), "{n}");
    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("avisera_receipts_total{channel=\"sms\",result=\"unknown\"} 1"),
        "{metrics}"
    );

    // A server without receipts_secret says how to switch receipts on.
    let off = spawn_app(Db::Sqlite, None, None).await;
    let (status, e) = post_receipts(&off, "sms", delivered.as_bytes(), RECEIPTS_SECRET, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("AVISERA_RECEIPTS_SECRET"),
        "{e}"
    );
}

/// A receipt names no tenant: an id of one tenant's message never moves another's, and an id
/// two tenants' messages share moves neither.
#[tokio::test]
async fn a_receipt_moves_only_the_one_notification_with_its_id() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = app_with_receipts(Db::Sqlite, &provider, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let a = one_sent_sms(&app, "RCPT4").await;
    let other_key = add_tenant(&app.app, "Other AB").await;
    let other = TestApp {
        key: other_key,
        base: app.base.clone(),
        app: app.app.clone(),
        http: app.http.clone(),
    };
    sms_rule(&other, "delivered", json!({})).await;
    let b = one_sent_sms(&other, "RCPT4").await;
    assert_ne!(a["provider_id"], b["provider_id"]);
    let (_, answer) = signed(&app, "sms", json!({"id": a["provider_id"], "status": "DELIVRD"})).await;
    assert_eq!(answer["results"][0]["result"], "delivered");
    assert_eq!(notification(&app, &a["id"]).await["status"], "delivered");
    assert_eq!(notification(&other, &b["id"]).await["status"], "sent");
}

/// Notifications of shipment `tracking`, once all are settled.
async fn settled_for(app: &TestApp, tracking: &str) -> Vec<Value> {
    app.settled_notifications()
        .await
        .into_iter()
        .filter(|n| n["tracking_number"] == tracking)
        .collect()
}

#[tokio::test]
async fn a_hard_bounce_suppresses_the_address_so_the_next_email_is_cancelled_and_the_sms_fallback_goes() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = app_with_receipts(Db::Sqlite, &provider, Some(&smtp)).await;
    let (status, mail_template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "mail", "channel": "email", "default_language": "sv",
                        "contents": {"sv": {"subject": "Levererat {{ tracking_number }}", "text": "Hej {{ receiver_name }}"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{mail_template}");
    sms_rule(
        &app,
        "delivered",
        json!({"name": "mail else sms", "channels": "email_else_sms", "email_template_id": mail_template["id"]}),
    )
    .await;
    enabled_rule_for(
        &app,
        json!({"name": "only mail", "channel": "email", "default_language": "sv",
               "contents": {"sv": {"subject": "Kvitto {{ tracking_number }}", "text": "Tack"}}}),
    )
    .await;

    app.call("POST", "/v1/events", Some(event("BNC1", "DELIVERED", "+46701234567")))
        .await;
    let mails = smtp.wait_for_mails(2).await;
    let first = settled_for(&app, "BNC1").await;
    assert!(
        first.iter().all(|n| n["channel"] == "email" && n["status"] == "sent"),
        "{first:#?}"
    );
    let bounced_mail = mails.iter().find(|m| m["subject"] == "Levererat BNC1").unwrap();
    let message_id = bounced_mail["message_id"].as_str().unwrap().to_string();
    let bounced = first
        .iter()
        .find(|n| message_id == format!("<{}@avisera>", n["idempotency_key"].as_str().unwrap()))
        .expect("the Message-ID is made from the notification's idempotency key");

    let (status, answer) = signed(
        &app,
        "email",
        json!({"message_id": message_id, "status": "bounced", "kind": "hard", "reason": "550 5.1.1 user unknown"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["results"][0]["result"], "hard_bounce");
    let n = notification(&app, &bounced["id"]).await;
    assert_eq!(
        (n["status"].as_str(), n["reason"].as_str()),
        (Some("bounced"), Some("550 5.1.1 user unknown"))
    );
    let (_, list) = app.call("GET", "/v1/suppressions", None).await;
    assert_eq!(list["suppressions"][0]["address"], "anna@example.se", "{list}");
    assert_eq!(list["suppressions"][0]["reason"], "hard bounce: 550 5.1.1 user unknown");

    // The next shipment to the same receiver: the fallback rule sends the SMS, the email-only
    // rule's email is cancelled with the reason, and no third mail goes out.
    app.call("POST", "/v1/events", Some(event("BNC2", "DELIVERED", "+46701234567")))
        .await;
    let second = settled_for(&app, "BNC2").await;
    let sms: Vec<&Value> = second.iter().filter(|n| n["channel"] == "sms").collect();
    assert_eq!(sms.len(), 1, "{second:#?}");
    assert_eq!(sms[0]["status"], "sent");
    let email: Vec<&Value> = second.iter().filter(|n| n["channel"] == "email").collect();
    assert_eq!(email.len(), 1, "{second:#?}");
    assert_eq!(email[0]["status"], "cancelled");
    assert!(
        email[0]["reason"].as_str().unwrap().contains("550 5.1.1 user unknown"),
        "{:?}",
        email[0]["reason"]
    );
    assert_eq!(provider.log.lock().unwrap().delivered.len(), 1, "the fallback SMS went");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.mails().len(), 2, "no mail to the bounced address");

    // A soft bounce of the other mail is noted only.
    let other_id = mails.iter().find(|m| m["subject"] == "Kvitto BNC1").unwrap()["message_id"].clone();
    let (_, answer) = signed(
        &app,
        "email",
        json!([{"message_id": other_id, "status": "bounced", "kind": "soft", "reason": "452 mailbox full"},
               {"message_id": "<nobody@example.com>", "status": "delivered"}]),
    )
    .await;
    assert_eq!(
        [&answer["results"][0]["result"], &answer["results"][1]["result"]],
        ["soft_bounce", "unknown"]
    );
    let other = first.iter().find(|n| n["id"] != bounced["id"]).unwrap();
    let n = notification(&app, &other["id"]).await;
    assert_eq!(
        (n["status"].as_str(), n["reason"].as_str()),
        (Some("sent"), Some("soft bounce: 452 mailbox full"))
    );

    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("avisera_receipts_total{channel=\"email\",result=\"hard_bounce\"} 1"),
        "{metrics}"
    );

    // The portal shows the suppression with its reason; an editor lifts it there, and the
    // address gets email again.
    let mut editor = signed_in(&app, Role::Editor).await;
    let page = editor.get("/portal/suppressions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("anna@example.se") && page.body.contains("hard bounce: 550 5.1.1 user unknown"),
        "{}",
        page.body
    );
    let lifted = editor
        .post(
            "/portal/suppressions/lift",
            &[("csrf", &page.csrf()), ("address", "anna@example.se")],
        )
        .await;
    assert_eq!(lifted.status, StatusCode::SEE_OTHER, "{}", lifted.body);
    assert!(
        !editor
            .get("/portal/suppressions")
            .await
            .body
            .contains("anna@example.se")
    );
    let (_, list) = app.call("GET", "/v1/suppressions", None).await;
    assert_eq!(list["suppressions"], json!([]), "{list}");
    let (status, _) = app
        .call(
            "POST",
            "/v1/suppressions/lift",
            Some(json!({"address": "anna@example.se"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.call("POST", "/v1/events", Some(event("BNC3", "DELIVERED", "+46701234567")))
        .await;
    smtp.wait_for_mails(4).await;
}

/// A complaint suppresses the address too; the API lifts it, and a viewer cannot lift in the
/// portal.
#[tokio::test]
async fn a_complaint_suppresses_and_the_api_lifts_it() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = app_with_receipts(Db::Postgres, &provider, Some(&smtp)).await;
    enabled_rule_for(
        &app,
        json!({"name": "only mail", "channel": "email", "default_language": "sv",
               "contents": {"sv": {"subject": "Kvitto {{ tracking_number }}", "text": "Tack"}}}),
    )
    .await;
    app.call("POST", "/v1/events", Some(event("SPAM1", "DELIVERED", "+46701234567")))
        .await;
    let mail = smtp.wait_for_mails(1).await.remove(0);
    // The worker records `sent` just after the server took the mail.
    settled_for(&app, "SPAM1").await;
    let (status, answer) = signed(
        &app,
        "email",
        json!({"message_id": mail["message_id"], "status": "complained", "reason": "abuse report"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["results"][0]["result"], "complained");
    let n = &settled_for(&app, "SPAM1").await[0];
    assert_eq!(n["status"], "delivered", "a complaint proves the mail arrived: {n}");
    let (_, list) = app.call("GET", "/v1/suppressions", None).await;
    assert_eq!(
        list["suppressions"][0]["reason"], "spam complaint: abuse report",
        "{list}"
    );
    let (status, e) = app.call("GET", "/v1/suppressions?limit=0", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "limit");

    let mut viewer = signed_in(&app, Role::Viewer).await;
    let page = viewer.get("/portal/suppressions").await;
    assert!(page.body.contains("spam complaint: abuse report"), "{}", page.body);
    assert!(
        !page.body.contains("/portal/suppressions/lift"),
        "a viewer sees no lift button"
    );

    let (status, body) = app
        .call(
            "POST",
            "/v1/suppressions/lift",
            Some(json!({"address": "Anna@Example.se"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.call("POST", "/v1/events", Some(event("SPAM2", "DELIVERED", "+46701234567")))
        .await;
    smtp.wait_for_mails(2).await;
}

/// An SMS's provider id is known only from the provider's answer: a report that overtakes it
/// is unknown (202, counted), and the same report once the answer is recorded counts.
#[tokio::test]
async fn an_sms_report_before_the_providers_answer_is_unknown_and_counts_when_sent_again() {
    let provider = spawn_sms_provider(std::time::Duration::from_millis(800)).await;
    let app = app_with_receipts(Db::Sqlite, &provider, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    app.call("POST", "/v1/events", Some(event("EARLY1", "DELIVERED", "+46701234567")))
        .await;
    // The provider has the message (and will answer with id msg-<key>) but has not answered.
    let key = loop {
        if let Some(r) = provider.log.lock().unwrap().requests.first() {
            break r["idempotency_key"].as_str().unwrap().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    // Avisera records the provider's id only from its answer: until then the id is unknown.
    let report = json!({"id": format!("msg-{key}"), "status": "DELIVRD"});
    let (_, answer) = signed(&app, "sms", report.clone()).await;
    assert_eq!(answer["results"][0]["result"], "unknown", "{answer}");
    let sent = &settled_for(&app, "EARLY1").await[0];
    assert_eq!(sent["status"], "sent");
    let (status, answer) = signed(&app, "sms", report).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(notification(&app, &sent["id"]).await["status"], "delivered");
}

/// An email's Message-ID exists before it is sent: a bounce for one still waiting (or being
/// sent) is answered 503 to send again, and changes no status.
#[tokio::test]
async fn a_bounce_for_an_email_not_yet_sent_is_asked_for_again() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = app_with_receipts(Db::Sqlite, &provider, Some(&smtp)).await;
    let (_, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "later", "channel": "email", "default_language": "sv",
                        "contents": {"sv": {"subject": "Senare", "text": "Hej"}}})),
        )
        .await;
    let (status, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(
                json!({"name": "in an hour", "trigger": "delivered", "channels": "email",
                        "email_template_id": template["id"], "delay_minutes": 60}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    app.call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    app.call("POST", "/v1/events", Some(event("LATER1", "DELIVERED", "+46701234567")))
        .await;
    let (_, list) = app.call("GET", "/v1/notifications", None).await;
    let waiting = &list["notifications"][0];
    assert_eq!(waiting["status"], "scheduled", "{list}");
    let message_id = format!("<{}@avisera>", waiting["idempotency_key"].as_str().unwrap());
    let resp = app
        .http
        .post(format!("{}/v1/receipts/email", app.base))
        .header("content-type", "application/json")
        .header("x-avisera-timestamp", app.app.clock.now().as_second().to_string())
        .header(
            "x-avisera-signature",
            sign(
                RECEIPTS_SECRET,
                app.app.clock.now().as_second(),
                json!({"message_id": message_id, "status": "delivered"})
                    .to_string()
                    .as_bytes(),
            ),
        )
        .body(json!({"message_id": message_id, "status": "delivered"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()["retry-after"], "5");
    let e: Value = resp.json().await.unwrap();
    assert_eq!(e["error"]["code"], "not_yet_sent", "{e}");
    assert_eq!(e["error"]["indexes"], json!([0]));
    assert_eq!(notification(&app, &waiting["id"]).await["status"], "scheduled");
}

/// The email route answers bad receipts as the SMS route does, on PostgreSQL: a wrong
/// signature, bytes that are not JSON, a receipt without its Message-ID, 10,000 bounces in one
/// body, an unknown Message-ID; the sent email stays `sent` and its address unsuppressed.
#[tokio::test]
async fn bad_email_receipts_get_clear_errors_and_change_nothing_on_postgres() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = app_with_receipts(Db::Postgres, &provider, Some(&smtp)).await;
    enabled_rule_for(
        &app,
        json!({"name": "mail", "channel": "email", "default_language": "sv",
               "contents": {"sv": {"subject": "Levererat {{ tracking_number }}", "text": "Hej"}}}),
    )
    .await;
    app.call("POST", "/v1/events", Some(event("BAD1", "DELIVERED", "+46701234567")))
        .await;
    let mail = smtp.wait_for_mails(1).await.remove(0);
    let message_id = mail["message_id"].as_str().unwrap().to_string();
    let sent = settled_for(&app, "BAD1").await.remove(0);
    assert_eq!(sent["status"], "sent", "{sent}");
    let bounce =
        json!({"message_id": message_id, "status": "bounced", "kind": "hard", "reason": "550 5.1.1 user unknown"});

    let (status, e) = post_receipts(&app, "email", bounce.to_string().as_bytes(), "not-the-secret", None).await;
    assert_eq!(
        (status, e["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_signature")),
        "{e}"
    );
    for garbage in [
        &b"\xff\xfe\x00 not json"[..],
        b"<bounce>550</bounce>",
        b"{\"message_id\": ",
    ] {
        let (status, e) = post_receipts(&app, "email", garbage, RECEIPTS_SECRET, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
        assert!(!e["error"]["message"].as_str().unwrap_or_default().is_empty(), "{e}");
    }
    let (status, answer) = signed(&app, "email", json!({"status": "bounced", "kind": "hard"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        (
            answer["results"][0]["result"].as_str(),
            answer["results"][0]["field"].as_str()
        ),
        (Some("rejected"), Some("message_id")),
        "{answer}"
    );
    let many = Value::Array(vec![bounce.clone(); 10_000]);
    let (status, e) = signed(&app, "email", many).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(e["error"]["code"], "batch_too_large");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 1000 receipts"),
        "{e}"
    );
    let (status, answer) = signed(
        &app,
        "email",
        json!({"message_id": "<no-such-message@avisera>", "status": "bounced", "kind": "hard"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["results"][0]["result"], "unknown");

    let n = notification(&app, &sent["id"]).await;
    assert_eq!((n["status"].as_str(), history(&n).len()), (Some("sent"), 2), "{n}");
    let (_, list) = app.call("GET", "/v1/suppressions", None).await;
    assert_eq!(list["suppressions"], json!([]), "nothing suppressed: {list}");
    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("avisera_receipts_total{channel=\"email\",result=\"unknown\"} 1"),
        "{metrics}"
    );
}
