//! Hostile input and faults at sending (issue 12): the SMS budget holds however events arrive,
//! a message that cannot be built fails alone instead of wedging its tenant, the SMTP timeout
//! bounds the whole conversation, and oversize or empty messages are never sent or billed.

use crate::helpers::*;
use async_trait::async_trait;
use avisera::config::{SmtpConfig, SmtpSecurity};
use avisera::delivery::channel::{SendError, Sender};
use avisera::delivery::worker::{Channels, Worker};
use avisera_domain::TenantId;
use avisera_domain::event::EventInput;
use avisera_store::DeliveryJob;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn by_status<'a>(list: &'a [Value], channel: &str, status: &str) -> Vec<&'a Value> {
    list.iter()
        .filter(|n| n["channel"] == channel && n["status"] == status)
        .collect()
}

#[tokio::test]
async fn forty_events_in_one_post_stay_within_the_sms_budget_and_the_rest_go_by_email() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    // A lease long enough that no send outlives it on a loaded machine: a send cut off by
    // the lease is tried again, and an email (no idempotency key at SMTP) can then arrive twice,
    // which is not what this test is about.
    let delivery = avisera::config::DeliveryConfig {
        lease_ms: 30_000,
        ..test_delivery()
    };
    let app = spawn_app_delivering(
        Db::Postgres,
        Some(sms_config(&provider)),
        Some(smtp_config(&smtp)),
        delivery,
    )
    .await;
    let (status, body) = app
        .call(
            "PUT",
            "/v1/tenant/billing",
            Some(json!({"sms_budget_ore": 100, "when_budget_is_used_up": "switch_to_email", "alert_email": "ekonomi@webshop.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, email_template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "mail", "channel": "email", "default_language": "sv",
               "contents": {"sv": {"subject": "Levererat {{ tracking_number }}", "text": "Hej {{ receiver_name }}, {{ tracking_number }} är levererat."}}})),
        )
        .await;
    sms_rule(&app, "delivered", json!({"email_template_id": email_template["id"]})).await;

    // 1.00 SEK left and 40 deliveries in one request: planned as SMS, all due at once.
    let batch: Vec<Value> = (0..40)
        .map(|i| event(&format!("BATCH{i:02}"), "DELIVERED", &format!("+467012345{i:02}")))
        .collect();
    let (status, body) = app.call("POST", "/v1/events", Some(json!(batch))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mails = smtp.wait_for_mails(40).await;
    let list = app.settled_notifications().await;

    let sent_sms = provider.log.lock().unwrap().delivered.len();
    assert_eq!(sent_sms, 2, "0.75 SEK each: the budget holds to within one message");
    let receiver_mails: Vec<&Value> = mails.iter().filter(|m| m["to"] == "anna@example.se").collect();
    assert_eq!(receiver_mails.len(), 38, "every other delivery is told by email");
    assert!(
        receiver_mails
            .iter()
            .all(|m| m["text"].as_str().unwrap().contains("är levererat")),
        "{receiver_mails:#?}"
    );
    let cancelled = by_status(&list, "sms", "cancelled");
    assert_eq!(cancelled.len(), 38, "{list:#?}");
    let reason = cancelled[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("SMS budget of 1.00 SEK") && reason.contains("sent as email to anna@example.se instead"),
        "{reason}"
    );
    assert_eq!(
        by_status(&list, "email", "sent").len(),
        38 + 2,
        "38 receivers and 2 warnings"
    );
    let (_, bill) = app.call("GET", "/v1/bill", None).await;
    let sms_line = bill["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "sms")
        .cloned()
        .unwrap_or_default();
    assert_eq!(sms_line["quantity"], 2, "{bill}");

    // The carrier corrects one delivery (a later time, a new event id): "delivered" fires again
    // while the budget is still used up, and is planned as the rule's email. It is the same
    // notification as the email the switch already sent, not a second message.
    let switched = cancelled[0]["tracking_number"].as_str().unwrap().to_string();
    let mut corrected = event(&switched, "DELIVERED", "+46701234500");
    corrected["event_id"] = json!("corrected-delivery");
    corrected["occurred_at"] = json!("2026-11-25T15:05:00+01:00");
    let (status, body) = app.call("POST", "/v1/events", Some(corrected)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["results"][0]["result"], "accepted", "{body}");
    app.settled_notifications().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let about_it = smtp
        .mails()
        .iter()
        .filter(|m| m["text"].as_str().unwrap_or("").contains(&switched))
        .count();
    assert_eq!(
        about_it, 1,
        "one email about {switched}, however often its delivery fires"
    );
}

/// An SMS channel that panics on one number, as a library might on data it cannot handle.
struct PanicsFor {
    number: &'static str,
    inner: Arc<dyn Sender>,
}

#[async_trait]
impl Sender for PanicsFor {
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError> {
        if job.message.recipient() == self.number {
            panic!("the SMS library tripped over this message");
        }
        self.inner.send(job).await
    }
}

#[tokio::test]
async fn a_panic_sending_one_message_fails_that_message_and_no_other() {
    init();
    let config = avisera::config::Config {
        database_url: database_url(Db::Sqlite).await.into(),
        dev_inbox: true,
        delivery: test_delivery(),
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let app = avisera::server::build_app(config, store);
    let key = add_tenant(&app, "Panic AB").await;
    let _ = key;
    let channels = avisera::server::channels(&app).unwrap();
    let worker = Worker {
        app: app.clone(),
        channels: Channels {
            sms: Arc::new(avisera::delivery::router::Router::one(
                "sms",
                "dev_inbox",
                Arc::new(PanicsFor {
                    number: "+46701234561",
                    inner: Arc::new(app.inbox.clone().expect("the dev inbox")),
                }),
                app.config.delivery.failover.policy(),
            )),
            email: channels.email,
        },
        name: "w".into(),
    };
    let tenant = TenantId(1);
    sms_rule_in_store(&app, tenant).await;
    let events: Vec<_> = [("P1", "+46701234561"), ("P2", "+46701234562")]
        .iter()
        .map(|(t, phone)| {
            serde_json::from_value::<EventInput>(event(t, "DELIVERED", phone))
                .unwrap()
                .check()
                .unwrap()
        })
        .collect();
    avisera::engine::ingest(&app, tenant, &events).await.unwrap();

    assert_eq!(worker.run_once().await.unwrap(), 2);
    let all = avisera_store::NotificationFilter {
        limit: 10,
        ..Default::default()
    };
    let list = app.store.notifications(tenant, &all).await.unwrap();
    let p1 = list.iter().find(|n| n.tracking_number == "P1").unwrap();
    assert_eq!(p1.status, avisera_domain::notification::Status::Failed, "{p1:?}");
    assert_eq!(
        p1.reason.as_deref(),
        Some("could not build or send this message: the SMS library tripped over this message")
    );
    let p2 = list.iter().find(|n| n.tracking_number == "P2").unwrap();
    assert_eq!(p2.status, avisera_domain::notification::Status::Sent);
    let inbox = app.inbox.as_ref().unwrap().entries();
    assert_eq!(inbox.len(), 1, "the other message went out");
    // Nothing is left to claim again, now or after the lease.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(worker.run_once().await.unwrap(), 0);
}

#[tokio::test]
async fn a_line_break_in_a_stored_sender_name_fails_that_email_and_others_still_go() {
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Sqlite, None, Some(smtp_config(&smtp))).await;
    let other_key = add_tenant(&app.app, "Other AB").await;
    let mail_template = json!({"name": "mail", "channel": "email", "default_language": "sv",
        "contents": {"sv": {"subject": "Levererat {{ tracking_number }}", "text": "Hej {{ receiver_name }}"}}});
    enabled_rule_for(&app, mail_template.clone()).await;
    // The other tenant: the same rule, a clean brand.
    let (_, created) = app
        .call_as(&other_key, "POST", "/v1/templates", Some(mail_template))
        .await;
    let (_, rule) = app
        .call_as(
            &other_key,
            "POST",
            "/v1/rules",
            Some(json!({"name": "r", "trigger": "delivered", "channels": "email", "email_template_id": created["id"]})),
        )
        .await;
    app.call_as(&other_key, "POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    // Stored before the brand form refused control characters.
    let tenant = TenantId(1);
    let mut brand = app.app.store.tenant(tenant).await.unwrap().unwrap().brand;
    brand.email_from_name = "Webshop\r\nBcc: all@example.com".into();
    app.app.store.update_brand(tenant, &brand).await.unwrap();

    app.call("POST", "/v1/events", Some(event("LB1", "DELIVERED", "+46701234561")))
        .await;
    app.call_as(
        &other_key,
        "POST",
        "/v1/events",
        Some(event("LB2", "DELIVERED", "+46701234562")),
    )
    .await;
    let list = app.settled_notifications().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "failed", "{list:#?}");
    let reason = list[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("sender name") && reason.contains("line break"),
        "{reason}"
    );
    let mails = smtp.wait_for_mails(1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0]["subject"], "Levererat LB2",
        "the other tenant's email went out"
    );
}

/// An SMTP server that takes `delay` over every reply: each command is answered well within
/// a per-command timeout, the whole conversation is not. Counts the mails it accepted.
async fn spawn_slow_smtp(delay: Duration) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                tokio::time::sleep(delay).await;
                let _ = write.write_all(b"220 slow ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let answer: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        counter.fetch_add(1, Ordering::SeqCst);
                        b"250 queued\r\n"
                    } else {
                        let command = line.to_ascii_uppercase();
                        if command.starts_with("DATA") {
                            in_data = true;
                            b"354 go on\r\n"
                        } else if command.starts_with("QUIT") {
                            b"221 bye\r\n"
                        } else {
                            b"250 ok\r\n"
                        }
                    };
                    tokio::time::sleep(delay).await;
                    if write.write_all(answer).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn the_smtp_timeout_bounds_the_whole_conversation_not_each_command() {
    let (port, accepted) = spawn_slow_smtp(Duration::from_millis(150)).await;
    let smtp = SmtpConfig {
        name: None,
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::None,
        username: None,
        password: None,
        default_from: "no-reply@webshop.example".into(),
        timeout_ms: 500,
        ca_file: None,
        rate_per_second: None,
    };
    let app = spawn_app(Db::Sqlite, None, Some(smtp)).await;
    enabled_rule_for(
        &app,
        json!({"name": "mail", "channel": "email", "default_language": "sv",
               "contents": {"sv": {"subject": "Levererat", "text": "Hej {{ receiver_name }}"}}}),
    )
    .await;
    app.call("POST", "/v1/events", Some(event("S1", "DELIVERED", "+46701234561")))
        .await;
    let list = app.settled_notifications().await;
    assert_eq!(list[0]["status"], "failed", "{list:#?}");
    let reason = list[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("gave up after 3 attempts") && reason.contains("did not finish within 500 ms"),
        "{reason}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_sms_past_the_tenants_segment_limit_or_empty_fails_and_costs_nothing() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    let (status, body) = app
        .call("PUT", "/v1/tenant/billing", Some(json!({"max_sms_segments": 0})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "max_sms_segments", "{body}");
    let (status, body) = app
        .call("PUT", "/v1/tenant/billing", Some(json!({"max_sms_segments": 2})))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["max_sms_segments"], 2);
    // Three segments for a long order reference, nothing at all without one.
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "ref", "channel": "sms", "default_language": "sv",
                        "contents": {"sv": {"text": "{{ order_reference }}"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let (_, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "r", "trigger": "delivered", "channels": "sms", "sms_template_id": template["id"]})),
        )
        .await;
    app.call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    let mut long = event("SEG1", "DELIVERED", "+46701234561");
    long["shipment"]["order_reference"] = json!("x".repeat(400));
    let mut short = event("SEG2", "DELIVERED", "+46701234562");
    short["shipment"]["order_reference"] = json!("ORD-1");
    let empty = event("SEG3", "DELIVERED", "+46701234563");
    app.call("POST", "/v1/events", Some(json!([long, short, empty]))).await;
    let list = app.settled_notifications().await;
    let of = |t: &str| list.iter().find(|n| n["tracking_number"] == t).unwrap().clone();
    assert_eq!(of("SEG1")["status"], "failed", "{list:#?}");
    assert!(
        of("SEG1")["reason"]
            .as_str()
            .unwrap()
            .contains("3 segments long, more than the tenant's maximum of 2"),
        "{list:#?}"
    );
    assert_eq!(of("SEG2")["status"], "sent");
    assert_eq!(of("SEG3")["status"], "failed");
    assert_eq!(of("SEG3")["reason"], "the template rendered nothing for this shipment");
    let delivered: Vec<String> = provider
        .log
        .lock()
        .unwrap()
        .requests
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        delivered,
        vec!["ORD-1".to_string()],
        "only the short one reached the provider"
    );
    let (_, bill) = app.call("GET", "/v1/bill", None).await;
    assert_eq!(bill["billed_notifications"], 1, "{bill}");
}
