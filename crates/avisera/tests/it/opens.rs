//! Email opens end to end: off by default (no image in the mail that the real SMTP server
//! received, no opened numbers); an operator switches it on for the tenant with the CLI, the
//! next mail carries the image, fetching it counts an open (not a HEAD request, not a preview
//! bot, not an altered link), the API, the numbers and the portal show it, and switching it
//! off stops the counting.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

const IPHONE: &str =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";

/// `avisera tenant open-tracking --tenant 1 ARGS` against the database at `url`: its output.
fn open_tracking(url: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args([&["tenant", "open-tracking", "--tenant", "1"][..], args].concat())
        .env("AVISERA_DATABASE_URL", url)
        .env_remove("AVISERA_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Posts a delivered event for `tracking` and returns the mail that arrived for it.
async fn mail_for(app: &TestApp, smtp: &SmtpServer, tracking: &str, mails: usize) -> Value {
    let (status, body) = app
        .call("POST", "/v1/events", Some(event(tracking, "DELIVERED", "+46701234567")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let all = smtp.wait_for_mails(mails).await;
    all.into_iter()
        .find(|m| m["subject"] == format!("Levererat {tracking}"))
        .expect("its mail")
}

/// The path of the open-tracking image in a mail's HTML, if it has one.
fn pixel_path(mail: &Value) -> Option<String> {
    let html = mail["html"].as_str().expect("an HTML part");
    let start = html.find("src=\"https://track.example.com/o/")? + "src=\"https://track.example.com".len();
    let end = start + html[start..].find('"').unwrap();
    Some(html[start..end].to_string())
}

/// Fetches `path` as `agent` with `method`: its status and content type.
async fn fetch(app: &TestApp, method: &str, path: &str, agent: &str) -> (u16, String, usize) {
    let resp = app
        .http
        .request(method.parse().unwrap(), format!("{}{path}", app.base))
        .header("user-agent", agent)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, resp.bytes().await.unwrap().len())
}

async fn email_numbers(app: &TestApp) -> Value {
    let (status, stats) = app.call("GET", "/v1/stats?group=channel", None).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "email")
        .cloned()
        .unwrap_or_else(|| panic!("an email row in {stats}"))
}

#[tokio::test]
async fn an_email_is_counted_as_opened_only_when_the_operator_switched_open_tracking_on() {
    let smtp = spawn_smtp_server().await;
    let url = database_url(Db::Postgres).await;
    let db = url.clone();
    let app = spawn_app_configured(Db::Postgres, None, Some(smtp_config(&smtp)), |c| {
        c.database_url = db.into();
    })
    .await;
    enabled_rule_for(
        &app,
        json!({"name": "mail", "channel": "email", "default_language": "sv",
               "contents": {"sv": {"subject": "Levererat {{ tracking_number }}", "text": "Hej {{ receiver_name }}",
                                   "html": "<html><body><p>Hej {{ receiver_name }}</p></body></html>"}}}),
    )
    .await;

    // Off by default: no image in the mail, and no opened numbers rather than a zero.
    assert_eq!(
        open_tracking(&url, &[]),
        "tenant 1: open tracking off: no image in its emails, no opens counted\n"
    );
    let plain = mail_for(&app, &smtp, "OPEN1", 1).await;
    assert_eq!(pixel_path(&plain), None, "{}", plain["html"]);
    assert!(!plain["html"].as_str().unwrap().contains("<img"), "{}", plain["html"]);
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["open_tracking"], false, "{tenant}");
    let email = email_numbers(&app).await;
    assert_eq!(
        (email["opened"].clone(), email["opened_share"].clone()),
        (Value::Null, Value::Null)
    );

    // Switched on: the next mail carries the image, and a person's fetch counts.
    assert_eq!(
        open_tracking(&url, &["--on"]),
        "tenant 1: open tracking on: its emails carry an image that counts their opens\n"
    );
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["open_tracking"], true, "{tenant}");
    let tracked = mail_for(&app, &smtp, "OPEN2", 2).await;
    let path = pixel_path(&tracked).unwrap_or_else(|| panic!("no image in {}", tracked["html"]));
    assert!(
        tracked["html"]
            .as_str()
            .unwrap()
            .contains("alt=\"\" style=\"display:block;border:0;width:1px;height:1px\"></body>"),
        "{}",
        tracked["html"]
    );
    assert!(
        !tracked["text"].as_str().unwrap().contains("/o/"),
        "{}",
        tracked["text"]
    );
    assert_eq!(fetch(&app, "GET", &path, IPHONE).await, (200, "image/gif".into(), 43));
    assert_eq!(fetch(&app, "GET", &path, IPHONE).await.0, 200);
    // Not counted: a HEAD request, a preview bot; an altered link is not found.
    assert_eq!(fetch(&app, "HEAD", &path, IPHONE).await.0, 200);
    assert_eq!(
        fetch(
            &app,
            "GET",
            &path,
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
        )
        .await
        .0,
        200
    );
    let altered = path.replacen("/o/1/", "/o/2/", 1);
    assert_eq!(fetch(&app, "GET", &altered, IPHONE).await.0, 404);

    let list = app.settled_notifications().await;
    let opened = list.iter().find(|n| n["tracking_number"] == "OPEN2").unwrap();
    let (_, n) = app
        .call("GET", &format!("/v1/notifications/{}", opened["id"]), None)
        .await;
    assert_eq!(n["opens"]["count"], 2, "{n}");
    assert!(n["opens"]["first_at"].is_string(), "{n}");
    let first = list.iter().find(|n| n["tracking_number"] == "OPEN1").unwrap();
    let (_, n) = app
        .call("GET", &format!("/v1/notifications/{}", first["id"]), None)
        .await;
    assert_eq!(n["opens"], Value::Null, "{n}");
    let email = email_numbers(&app).await;
    assert_eq!(
        (
            email["sent"].as_u64(),
            email["opened"].as_u64(),
            email["opened_share"].as_f64()
        ),
        (Some(2), Some(1), Some(0.5)),
        "one of the two emails was opened: {email}"
    );
    let (_, csv) = app.call("GET", "/v1/stats?group=channel&format=csv", None).await;
    let csv = csv.as_str().unwrap().to_string();
    assert!(csv.starts_with("channel,sent,delivered,undelivered,bounced,delivery_rate,median_seconds_to_delivered,clicked,clicked_share,opened,opened_share,suppressed_addresses\n"), "{csv}");
    assert!(csv.contains("\nemail,2,0,0,0,0.0000,,0,0.0000,1,0.5000,\n"), "{csv}");
    let mut viewer = signed_in(&app, Role::Viewer).await;
    let overview = viewer.get("/portal?group=channel").await;
    assert!(
        overview.body.contains("<td class=\"opened\">1 (50.0 %)</td>"),
        "{}",
        overview.body
    );
    let metrics = app.page("/metrics").await;
    for line in [
        "avisera_tracking_visits_total{counted=\"email_open\"} 2",
        "avisera_tracking_visits_total{counted=\"not_counted\"} 2",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }

    // Switched off: the image of a mail already sent still shows, but counts nothing more.
    open_tracking(&url, &["--off"]);
    assert_eq!(fetch(&app, "GET", &path, IPHONE).await.0, 200);
    let (_, n) = app
        .call("GET", &format!("/v1/notifications/{}", opened["id"]), None)
        .await;
    assert_eq!(n["opens"]["count"], 2, "{n}");
    assert_eq!(email_numbers(&app).await["opened"], Value::Null);
}
