//! Delivery end to end: SMS through a provider's HTTP API, email through a real SMTP server.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn each_sms_is_one_provider_request_with_text_sender_and_idempotency_key() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let batch = json!([
        event("T1", "DELIVERED", "+46701234561"),
        event("T2", "DELIVERED", "070-123 45 62")
    ]);
    let (status, body) = app.call("POST", "/v1/events", Some(batch)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let notifications = app.settled_notifications().await;
    assert_eq!(notifications.len(), 2);
    assert!(
        notifications.iter().all(|n| n["status"] == "sent"),
        "{notifications:#?}"
    );

    let log = provider.log.lock().unwrap();
    assert_eq!(log.requests.len(), 2, "one request per message");
    let mut texts: Vec<_> = log
        .requests
        .iter()
        .map(|r| (r["to"].as_str().unwrap(), r["text"].as_str().unwrap()))
        .collect();
    texts.sort();
    assert_eq!(
        texts,
        vec![
            ("+46701234561", "Hej Anna! Paket T1: Webshop AB meddelar."),
            ("+46701234562", "Hej Anna! Paket T2: Webshop AB meddelar.")
        ]
    );
    for r in &log.requests {
        assert_eq!(r["from"], "Webshop");
        assert_eq!(r["authorization"], "Bearer provider-secret");
        let n = notifications.iter().find(|n| n["recipient"] == r["to"]).unwrap();
        assert_eq!(r["idempotency_key"], n["idempotency_key"]);
        assert_eq!(
            n["provider_id"],
            format!("msg-{}", n["idempotency_key"].as_str().unwrap())
        );
    }
}

#[tokio::test]
async fn a_500_is_retried_and_then_sent_once() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    provider.log.lock().unwrap().fail_next = vec![500];
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "delivered", json!({})).await;
    app.call("POST", "/v1/events", Some(event("T1", "DELIVERED", "+46701234561")))
        .await;
    let n = &app.settled_notifications().await[0];
    assert_eq!(n["status"], "sent", "{n:#}");
    assert_eq!(n["attempts"], 2);
    {
        let log = provider.log.lock().unwrap();
        assert_eq!(log.requests.len(), 2);
        assert_eq!(log.requests[0]["idempotency_key"], log.requests[1]["idempotency_key"]);
        assert_eq!(log.delivered.len(), 1, "the receiver got exactly one SMS");
    }
    let (_, detail) = app.call("GET", &format!("/v1/notifications/{}", n["id"]), None).await;
    let history: Vec<_> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(history, vec!["scheduled", "scheduled", "sent"]);
    assert!(
        detail["history"][1]["reason"].as_str().unwrap().contains("500"),
        "{detail:#}"
    );
}

#[tokio::test]
async fn a_400_fails_with_the_providers_reason_and_others_go_on() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let batch = json!([
        event("BAD1", "DELIVERED", "+46701230000"),
        event("OK1", "DELIVERED", "+46701234561")
    ]);
    app.call("POST", "/v1/events", Some(batch)).await;
    let list = app.settled_notifications().await;
    let bad = list.iter().find(|n| n["tracking_number"] == "BAD1").unwrap();
    let ok = list.iter().find(|n| n["tracking_number"] == "OK1").unwrap();
    assert_eq!(bad["status"], "failed");
    let reason = bad["reason"].as_str().unwrap();
    assert!(
        reason.contains("400") && reason.contains("number not in service"),
        "{reason}"
    );
    assert_eq!(bad["attempts"], 1, "a permanent failure is not retried");
    assert_eq!(ok["status"], "sent");
    assert_eq!(provider.log.lock().unwrap().delivered.len(), 1);
}

#[tokio::test]
async fn invalid_phone_number_fails_with_a_clear_reason_and_others_go_on() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let batch = json!([
        event("BADNO", "DELIVERED", "12ab"),
        event("GOODNO", "DELIVERED", "+46701234561")
    ]);
    let (status, body) = app.call("POST", "/v1/events", Some(batch)).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "a bad receiver number must not lose the event: {body}"
    );
    let list = app.settled_notifications().await;
    let bad = list.iter().find(|n| n["tracking_number"] == "BADNO").unwrap();
    assert_eq!(bad["status"], "failed");
    assert!(
        bad["reason"]
            .as_str()
            .unwrap()
            .contains("invalid phone number \"12ab\""),
        "{bad:#}"
    );
    let good = list.iter().find(|n| n["tracking_number"] == "GOODNO").unwrap();
    assert_eq!(good["status"], "sent");
    let log = provider.log.lock().unwrap();
    assert_eq!(log.requests.len(), 1, "nothing is sent to an invalid number");
}

#[tokio::test]
async fn an_email_arrives_over_smtp_rendered_in_the_receivers_language() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, None, Some(smtp_config(&smtp))).await;
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({
                "name": "delivered email", "channel": "email", "default_language": "sv",
                "contents": {
                    "sv": {"subject": "Ditt paket {{ tracking_number }} är levererat",
                           "html": "<p>Hej {{ receiver_name }}, välkommen åter till {{ brand_name }}!</p>",
                           "text": "Hej {{ receiver_name }}, välkommen åter till {{ brand_name }}!"},
                    "en": {"subject": "Your parcel {{ tracking_number }} was delivered", "text": "Hi {{ receiver_name }}!"}
                }
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let (_, rule) = app
        .call("POST", "/v1/rules", Some(json!({"name": "delivered mail", "trigger": "delivered", "channels": "email", "email_template_id": template["id"]})))
        .await;
    app.call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    let mut e = event("MAIL1", "DELIVERED", "+46701234561");
    e["shipment"]["receiver"]["name"] = json!("Åsa <Öberg>");
    let (status, _) = app.call("POST", "/v1/events", Some(e)).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let mails = smtp.wait_for_mails(1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail["subject"], "Ditt paket MAIL1 är levererat");
    assert_eq!(mail["to"], "anna@example.se");
    assert!(mail["from"].as_str().unwrap().contains("Webshop AB"), "{mail:#}");
    // The template has no opt-out link, so the small footer carries the receiver's.
    let text = mail["text"].as_str().unwrap();
    assert!(
        text.starts_with("Hej Åsa <Öberg>, välkommen åter till Webshop AB!\n")
            && text.contains(
                "Vill du inte få fler meddelanden från Webshop AB? Avsluta här: https://track.example.com/u/"
            ),
        "{text}"
    );
    assert!(
        mail["html"].as_str().unwrap().contains("Hej Åsa &lt;Öberg&gt;"),
        "HTML must be escaped: {mail:#}"
    );
    let n = &app.settled_notifications().await[0];
    assert_eq!(n["status"], "sent");
    assert_eq!(
        mail["message_id"],
        format!("<{}@avisera>", n["idempotency_key"].as_str().unwrap())
    );
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_retried_then_failed_with_the_reason() {
    let mut dead = smtp_config(&spawn_smtp_server().await);
    dead.port = free_port();
    let app = spawn_app(Db::Sqlite, None, Some(dead)).await;
    enabled_rule_for(&app, json!({"name": "m", "channel": "email", "default_language": "sv", "contents": {"sv": {"subject": "Hej", "text": "Hej"}}})).await;
    app.call("POST", "/v1/events", Some(event("DEAD1", "DELIVERED", "+46701234561")))
        .await;
    let n = &app.settled_notifications().await[0];
    assert_eq!(n["status"], "failed");
    assert_eq!(n["attempts"], 3, "first attempt plus the two retries of the schedule");
    assert!(
        n["reason"].as_str().unwrap().starts_with("gave up after 3 attempts"),
        "{n:#}"
    );
}

#[tokio::test]
async fn email_goes_over_starttls_to_a_server_with_a_private_ca() {
    let (smtp, cert) = spawn_smtp_server_with_starttls().await;
    let mut config = smtp_config(&smtp);
    config.security = avisera::config::SmtpSecurity::Starttls;
    config.ca_file = Some(cert);
    let app = spawn_app(Db::Sqlite, None, Some(config)).await;
    enabled_rule_for(&app, json!({"name": "m", "channel": "email", "default_language": "sv", "contents": {"sv": {"subject": "Krypterat {{ tracking_number }}", "text": "Hej"}}})).await;
    app.call("POST", "/v1/events", Some(event("TLS1", "DELIVERED", "+46701234561")))
        .await;
    let mails = smtp.wait_for_mails(1).await;
    assert_eq!(mails[0]["subject"], "Krypterat TLS1");
    assert_eq!(app.settled_notifications().await[0]["status"], "sent");
}

#[tokio::test]
async fn starttls_to_an_untrusted_certificate_is_refused_and_says_why() {
    let (smtp, _cert) = spawn_smtp_server_with_starttls().await;
    let mut config = smtp_config(&smtp);
    config.security = avisera::config::SmtpSecurity::Starttls;
    let app = spawn_app(Db::Sqlite, None, Some(config)).await;
    enabled_rule_for(&app, json!({"name": "m", "channel": "email", "default_language": "sv", "contents": {"sv": {"subject": "Hej", "text": "Hej"}}})).await;
    app.call("POST", "/v1/events", Some(event("TLS2", "DELIVERED", "+46701234561")))
        .await;
    let n = &app.settled_notifications().await[0];
    assert_eq!(n["status"], "failed");
    let reason = n["reason"].as_str().unwrap().to_lowercase();
    assert!(reason.contains("certificate"), "{reason}");
    assert!(
        smtp.mails().is_empty(),
        "nothing was delivered over an untrusted connection"
    );
}

#[tokio::test]
async fn a_draining_worker_claims_and_records_beside_sending_and_sends_every_message_once() {
    init();
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let config = avisera::config::Config {
        database_url: database_url(Db::Postgres).await.into(),
        delivery: avisera::config::DeliveryConfig {
            batch: 4,
            ..test_delivery()
        },
        sms: Some(sms_config(&provider).into()),
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let app = avisera::server::build_app(config, store);
    add_tenant(&app, "Overlap AB").await;
    let tenant = avisera_domain::TenantId(1);
    sms_rule_in_store(&app, tenant).await;
    let events: Vec<_> = (0..18)
        .map(|i| {
            let e: avisera_domain::event::EventInput = serde_json::from_value(event(
                &format!("O{i}"),
                "DELIVERED",
                &format!("+46701{:06}", i * 10 + 1),
            ))
            .unwrap();
            e.check().unwrap()
        })
        .collect();
    let (events, more) = events.split_at(10);
    avisera::engine::ingest(&app, tenant, events).await.unwrap();
    let statuses = || async {
        let all = avisera_store::NotificationFilter {
            limit: 100,
            ..Default::default()
        };
        let mut found = app.store.notifications(tenant, &all).await.unwrap();
        found.sort_by_key(|n| n.id);
        found.into_iter().map(|n| n.status.to_string()).collect::<Vec<_>>()
    };

    let w = worker(&app, "overlapping");
    let mut pipeline = avisera::delivery::worker::Pipeline::default();
    assert_eq!(w.run_overlapping(&mut pipeline).await.unwrap(), 4);
    assert_eq!(w.run_overlapping(&mut pipeline).await.unwrap(), 4);
    // The second batch is sent (claimed while the first was), and the first recorded before
    // the worker goes on.
    assert_eq!(provider.log.lock().unwrap().delivered.len(), 8);
    assert_eq!(statuses().await[..4], ["sent"; 4]);
    assert_eq!(w.run_overlapping(&mut pipeline).await.unwrap(), 2);
    // The claim made ahead while the last two were sent found nothing; the last is recorded.
    assert_eq!(w.run_overlapping(&mut pipeline).await.unwrap(), 0);
    assert_eq!(statuses().await, ["sent"; 10]);
    // A batch claimed ahead when the worker stops is sent and recorded, not left to its lease.
    avisera::engine::ingest(&app, tenant, more).await.unwrap();
    assert_eq!(w.run_overlapping(&mut pipeline).await.unwrap(), 4);
    w.settle(pipeline).await;
    assert_eq!(statuses().await, ["sent"; 18]);
    let log = provider.log.lock().unwrap();
    let keys: std::collections::HashSet<_> = log.requests.iter().map(|r| r["idempotency_key"].clone()).collect();
    assert_eq!((log.requests.len(), keys.len()), (18, 18), "each message sent once");
}
