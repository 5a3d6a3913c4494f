//! What a tenant pays: charges recorded at sending, the monthly bill (API, CSV and the
//! `avisera bill` command agree), the SMS price preview, and SMS budgets.

use crate::helpers::*;
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

fn fee_total(bill: &Value) -> i64 {
    bill["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "fee")
        .map(|l| l["amount_ore"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn the_bill_counts_segments_of_what_providers_accepted_and_nothing_else() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let mut long = event("LONG1", "DELIVERED", "+46701234562");
    long["shipment"]["receiver"]["name"] = json!("Anna ".repeat(30).trim().to_string());
    let batch = json!([
        event("SHORT1", "DELIVERED", "+46701234561"),
        long,
        event("FAIL1", "DELIVERED", "+46701230000")
    ]);
    app.call("POST", "/v1/events", Some(batch)).await;
    let list = app.settled_notifications().await;
    let by = |t: &str| list.iter().find(|n| n["tracking_number"] == t).unwrap().clone();
    assert_eq!(by("SHORT1")["charge"], json!({"units": 1, "unit_price": 75}));
    assert_eq!(by("LONG1")["charge"], json!({"units": 2, "unit_price": 75}));
    assert_eq!(by("FAIL1")["status"], "failed");
    assert_eq!(by("FAIL1")["charge"], Value::Null, "a failed message is not billed");

    let (status, bill) = app.call("GET", "/v1/bill", None).await;
    assert_eq!(status, StatusCode::OK, "{bill}");
    let sms_line = bill["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "sms")
        .unwrap()
        .clone();
    assert_eq!(sms_line["quantity"], 3);
    assert_eq!(sms_line["amount_ore"], 225);
    assert_eq!(bill["total_ore"].as_i64().unwrap(), fee_total(&bill) + 225);
    assert_eq!(bill["billed_notifications"], 2);

    let (_, preview) = app
        .call(
            "POST",
            "/v1/sms/count",
            Some(json!({"text": by("LONG1")["message"]["text"]})),
        )
        .await;
    assert_eq!(
        (preview["segments"].as_i64(), preview["price_ore"].as_i64()),
        (Some(2), Some(150)),
        "{preview}"
    );
    assert_eq!(preview["encoding"], "GSM-7");

    let month = bill["month"].as_str().unwrap().to_string();
    let csv = app
        .http
        .get(format!("{}/v1/bill?month={month}&format=csv", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("line,description,quantity,unit_price_sek,amount_sek\n"),
        "{csv}"
    );
    assert!(
        csv.contains(&format!("{},", by("LONG1")["id"])) && csv.contains(",sms,LONG1,+46 70•••45 62,2,0.75,1.50\n"),
        "{csv}"
    );
    assert!(!csv.contains("FAIL1"), "{csv}");
    assert!(!csv.contains("+46701234562"), "the bill shows addresses masked: {csv}");
    assert!(
        csv.contains(&format!(
            "total,bill {month},,,{}\n",
            bill["total_sek"].as_str().unwrap()
        )),
        "{csv}"
    );

    // The operator's command prints the same CSV from the same database.
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args([
            "bill",
            "--tenant",
            &tenant["id"].to_string(),
            "--month",
            &month,
            "--csv",
        ])
        .env("AVISERA_DATABASE_URL", &app.app.config.database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), csv);
    let (status, body) = app.call("GET", "/v1/bill?month=2026-13", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("like 2026-11"),
        "{body}"
    );
}

#[tokio::test]
async fn a_used_up_sms_budget_switches_to_email_warns_once_and_says_why() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), Some(smtp_config(&smtp))).await;
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
               "contents": {"sv": {"subject": "Levererat {{ tracking_number }}", "text": "Hej {{ receiver_name }}"}}})),
        )
        .await;
    sms_rule(&app, "delivered", json!({"email_template_id": email_template["id"]})).await;
    sms_rule(&app, "delivered", json!({"name": "sms only"})).await;

    app.call("POST", "/v1/events", Some(event("B1", "DELIVERED", "+46701234561")))
        .await;
    smtp.wait_for_mails(2).await;
    let settled = app.settled_notifications().await;
    assert_eq!(
        settled
            .iter()
            .filter(|n| n["channel"] == "sms" && n["status"] == "sent")
            .count(),
        2
    );

    app.call("POST", "/v1/events", Some(event("B2", "DELIVERED", "+46701234561")))
        .await;
    let mails = smtp.wait_for_mails(3).await;
    let list = app.settled_notifications().await;
    assert_eq!(
        provider.log.lock().unwrap().delivered.len(),
        2,
        "no SMS once the budget is used up"
    );
    let mut subjects: Vec<(String, String)> = mails
        .iter()
        .map(|m| {
            (
                m["to"].as_str().unwrap().to_string(),
                m["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    subjects.sort();
    assert_eq!(subjects[0].0, "anna@example.se");
    assert_eq!(subjects[0].1, "Levererat B2");
    assert_eq!(subjects[1].0, "ekonomi@webshop.example");
    assert!(
        subjects.iter().any(|(_, s)| s.starts_with("SMS budget: 80 % used")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|(_, s)| s.starts_with("SMS budget: 100 % used")),
        "{subjects:?}"
    );
    let cancelled: Vec<_> = list
        .iter()
        .filter(|n| n["tracking_number"] == "B2" && n["status"] == "cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1, "{list:#?}");
    let reason = cancelled[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("SMS budget of 1.00 SEK") && reason.contains("used up"),
        "{reason}"
    );

    // A third event warns nobody again.
    app.call("POST", "/v1/events", Some(event("B3", "DELIVERED", "+46701234561")))
        .await;
    app.settled_notifications().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let warnings = smtp
        .mails()
        .iter()
        .filter(|m| m["to"] == "ekonomi@webshop.example")
        .count();
    assert_eq!(warnings, 2, "each warning goes out once a month");
    let (_, bill) = app.call("GET", "/v1/bill", None).await;
    assert_eq!(
        bill["billed_notifications"], 4,
        "2 SMS and 2 receiver emails; warnings are not billed: {bill}"
    );
}

#[tokio::test]
async fn the_template_preview_shows_the_price_the_message_is_billed() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    // 171 septets: two segments, whoever receives it.
    let text = format!(
        "{} {}",
        "Ditt paket har kommit fram. ".repeat(6),
        "Välkommen åter! Mvh Butiken"
    );
    let template = json!({"name": "long", "channel": "sms", "default_language": "sv",
                          "contents": {"sv": {"text": text}, "en": {"text": "Delivered: {{ tracking_number }}"}}});
    let (status, preview) = app.call("POST", "/v1/templates/preview", Some(template.clone())).await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    let sv = &preview["languages"]["sv"];
    assert_eq!(
        (
            sv["encoding"].as_str(),
            sv["segments"].as_i64(),
            sv["price_sek"].as_str()
        ),
        (Some("GSM-7"), Some(2), Some("1.50"))
    );
    assert_eq!(preview["languages"]["en"]["text"], "Delivered: 00370712345678901234");
    let (_, created) = app.call("POST", "/v1/templates", Some(template)).await;
    let (_, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "r", "trigger": "delivered", "channels": "sms", "sms_template_id": created["id"]})),
        )
        .await;
    app.call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    app.call("POST", "/v1/events", Some(event("P1", "DELIVERED", "+46701234561")))
        .await;
    let n = &app.settled_notifications().await[0];
    assert_eq!(
        n["charge"],
        json!({"units": 2, "unit_price": 75}),
        "billed as previewed"
    );
    let (status, body) = app
        .call("POST", "/v1/templates/preview", Some(json!({"name": "t", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "{{ nope }}"}}})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["variable"], "nope");
}

#[tokio::test]
async fn keep_sending_past_the_budget_still_sends_sms_and_warns() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), Some(smtp_config(&smtp))).await;
    app.call(
        "PUT",
        "/v1/tenant/billing",
        Some(json!({"sms_budget_ore": 75, "alert_email": "cfo@webshop.example"})),
    )
    .await;
    sms_rule(&app, "delivered", json!({})).await;
    app.call("POST", "/v1/events", Some(event("K1", "DELIVERED", "+46701234561")))
        .await;
    smtp.wait_for_mails(2).await;
    app.call("POST", "/v1/events", Some(event("K2", "DELIVERED", "+46701234561")))
        .await;
    let list = app.settled_notifications().await;
    assert!(
        list.iter()
            .filter(|n| n["channel"] == "sms")
            .all(|n| n["status"] == "sent"),
        "{list:#?}"
    );
    assert_eq!(provider.log.lock().unwrap().delivered.len(), 2);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2, "one warning at 80 % and one at 100 %: {mails:#?}");
    assert!(
        mails
            .iter()
            .any(|m| m["text"].as_str().unwrap().contains("SMS keep being sent")),
        "{mails:#?}"
    );
}
