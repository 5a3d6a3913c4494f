//! Delivery ratings end to end: the "delivered" SMS and email (real SMTP, the SMS provider's
//! stand-in) carry the rating link; a link preview's GET records nothing, one POST records the
//! stars, a second changes them, and the comment and the weekly average show in the portal and
//! in `GET /v1/ratings`, for the tenant whose shipment it was only.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A "delivered" rule sending an SMS and an email, both with the rating link.
async fn rating_rule(app: &TestApp) {
    let (status, sms) = app
        .call(
            "POST",
            "/v1/templates",
            Some(
                json!({"name": "sms", "channel": "sms", "default_language": "sv", "contents": {
                "sv": {"text": "Paket {{ tracking_number }} levererat. Betygsätt: {{ rating_link }}"}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sms}");
    let (status, email) = app
        .call(
            "POST",
            "/v1/templates",
            Some(
                json!({"name": "email", "channel": "email", "default_language": "sv", "contents": {
                "sv": {"subject": "Levererat {{ tracking_number }}", "text": "Hur gick det? {{ rating_link }}",
                       "html": "<p><a href=\"{{ rating_link }}\">Betygsätt leveransen</a></p>"}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{email}");
    let (_, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "delivered", "trigger": "delivered", "channels": "both",
                        "sms_template_id": sms["id"], "email_template_id": email["id"]})),
        )
        .await;
    let (status, body) = app
        .call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn delivered_at_pickup_point(tracking: &str) -> Value {
    let mut e = event(tracking, "DELIVERED", "070-123 45 62");
    e["shipment"]["carrier"] = json!("PostNord");
    e["pickup_point"] = json!({"name": "ICA Nära Rosendal"});
    e
}

/// The path of the first rating link in `text`.
fn rating_path(text: &str) -> String {
    let start = text.find("/r/").unwrap_or_else(|| panic!("no rating link in {text}"));
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
        .collect()
}

async fn sms_texts(provider: &SmsProvider, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let texts: Vec<String> = provider
            .log
            .lock()
            .unwrap()
            .delivered
            .values()
            .map(|m| m["text"].as_str().unwrap_or_default().to_string())
            .collect();
        if texts.len() >= n {
            return texts;
        }
        assert!(Instant::now() < deadline, "expected {n} SMS, got {texts:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let resp = app
        .http
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn ratings(app: &TestApp, key: &str) -> Value {
    let (status, body) = app.call_as(key, "GET", "/v1/ratings", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_rating_link_in_the_delivered_messages_records_one_rating_per_shipment_by_post_only() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), Some(smtp_config(&smtp))).await;
    rating_rule(&app).await;
    let (status, body) = app
        .call("POST", "/v1/events", Some(delivered_at_pickup_point("RATE1")))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");

    // The SMS and the email that arrived carry the same short link, with no address in it.
    let sms = sms_texts(&provider, 1).await.remove(0);
    let path = rating_path(&sms);
    assert!(sms.contains(&format!("https://track.example.com{path}")), "{sms}");
    assert!(path.len() <= 32, "{path}");
    assert!(!path.contains("4670") && !path.contains('@'), "{path}");
    let mail = smtp.wait_for_mails(1).await.remove(0);
    assert_eq!(rating_path(mail["text"].as_str().unwrap()), path, "{mail}");
    // The HTML part escapes the slashes as minijinja does (`&#x2f;`), which browsers read back.
    let html = mail["html"].as_str().unwrap().replace("&#x2f;", "/");
    assert!(
        html.contains(&format!("href=\"https://track.example.com{path}\"")),
        "{mail}"
    );

    // A link preview fetches the page (GET, HEAD): it shows five stars and records nothing.
    let preview = app
        .http
        .get(format!("{}{path}", app.base))
        .header(
            "user-agent",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::OK);
    let page = preview.text().await.unwrap();
    assert!(
        page.contains("Hur gick leveransen av ditt paket från Webshop AB?"),
        "{page}"
    );
    for n in 1..=5 {
        assert!(page.contains(&format!("name=\"stars\" value=\"{n}\"")), "{page}");
    }
    let head = app.http.head(format!("{}{path}", app.base)).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        ratings(&app, &app.key).await["summary"]["count"],
        0,
        "a GET recorded a rating"
    );

    // One POST of 4 stars records it; a second of 2 changes it: still one rating.
    let (status, page) = post_form(&app, &path, &[("stars", "4")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Tack för ditt betyg!"), "{page}");
    assert!(page.contains("Du gav leveransen 4 av 5 stjärnor."), "{page}");
    assert!(page.contains("name=\"comment\""), "the comment box is offered: {page}");
    assert!(page.contains("Ändra ditt betyg"), "{page}");
    let body = ratings(&app, &app.key).await;
    assert_eq!(
        (body["summary"]["count"].clone(), body["ratings"][0]["stars"].clone()),
        (json!(1), json!(4))
    );
    let (status, _) = post_form(&app, &path, &[("stars", "2")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = post_form(&app, &path, &[("comment", "Paketet var blött, men kom fram.")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Tack, Webshop AB har fått din kommentar."), "{page}");
    assert!(page.contains("Paketet var blött, men kom fram."), "{page}");

    // Absurd input is refused with a page that says what to fix, and changes nothing.
    let (status, page) = post_form(&app, &path, &[("stars", "9")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Välj 1 till 5 stjärnor."), "{page}");
    let huge = "x".repeat(20_000);
    let (status, page) = post_form(&app, &path, &[("comment", &huge)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("skriv högst 1000 tecken"), "{page}");
    let (status, page) = post_form(&app, &path, &[("other", "x")]).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a form with neither stars nor comment"
    );
    assert!(page.contains("Välj 1 till 5 stjärnor."), "{page}");

    let body = ratings(&app, &app.key).await;
    assert_eq!(body["summary"]["count"], 1, "{body}");
    assert_eq!(body["summary"]["average"], 2.0, "{body}");
    let week = avisera_domain::rating::iso_week(avisera_domain::Timestamp::now());
    assert_eq!(
        body["summary"]["per_week"],
        json!([{"group": week, "count": 1, "average": 2.0}])
    );
    assert_eq!(body["summary"]["per_carrier"][0]["group"], "PostNord");
    assert_eq!(body["summary"]["per_pickup_point"][0]["group"], "ICA Nära Rosendal");
    let r = &body["ratings"][0];
    assert_eq!(r["stars"], 2);
    assert_eq!(r["comment"], "Paketet var blött, men kom fram.");
    assert_eq!(r["tracking_number"], "RATE1");
    assert_eq!(
        (r["carrier"].clone(), r["pickup_point"].clone()),
        (json!("PostNord"), json!("ICA Nära Rosendal"))
    );

    // The portal's Ratings page shows the comment and the week's average.
    let mut viewer = signed_in(&app, Role::Viewer).await;
    let page = viewer.get("/portal/ratings").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Paketet var blött, men kom fram."), "{}", page.body);
    assert!(
        page.body.contains(&format!("<td>{week}</td><td>1</td><td>2.0</td>")),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>ICA Nära Rosendal</td>"), "{}", page.body);
    let bad = viewer.get("/portal/ratings?from=igår").await;
    assert!(
        bad.body.contains("is not a date") && bad.body.contains("ratings-error"),
        "{}",
        bad.body
    );

    // Another tenant's key sees none of it; a wrong period names its field.
    let other = add_tenant(&app.app, "Annan butik").await;
    let body = ratings(&app, &other).await;
    assert_eq!(
        (body["summary"]["count"].clone(), body["ratings"].clone()),
        (json!(0), json!([]))
    );
    let (status, body) = app.call("GET", "/v1/ratings?from=yesterday", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "from", "{body}");
    let (status, body) = app
        .call("GET", "/v1/ratings?from=2026-01-01&until=2025-01-01", None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("until"))
    );
}

#[tokio::test]
async fn a_link_that_names_no_receivers_shipment_is_a_clear_404_and_records_nothing() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    rating_rule(&app).await;
    app.call("POST", "/v1/events", Some(delivered_at_pickup_point("RATE2")))
        .await;
    app.settled_notifications().await;
    let sms = inbox(&app).await.into_iter().find(|m| m["channel"] == "sms").unwrap();
    let path = rating_path(sms["text"].as_str().unwrap());
    let (token, shipment) = path.trim_start_matches("/r/").split_once('/').unwrap();
    let unknown_token = format!("/r/{}/{shipment}", "0".repeat(token.len()));
    let not_its_shipment = format!("/r/{token}/{}", shipment.parse::<i64>().unwrap() + 1);
    for bad in [
        unknown_token.as_str(),
        not_its_shipment.as_str(),
        "/r/short/1",
        &format!("/r/{token}/abc"),
    ] {
        let resp = app.http.get(format!("{}{bad}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{bad}");
        let text = resp.text().await.unwrap();
        assert!(text.contains("This link is not known"), "{bad}: {text}");
        let (status, _) = post_form(&app, bad, &[("stars", "5")]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
    // A comment before any stars asks for the stars first.
    let (status, page) = post_form(&app, &path, &[("comment", "Bra!")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Välj 1 till 5 stjärnor."), "{page}");
    assert_eq!(ratings(&app, &app.key).await["summary"]["count"], 0);
}

/// On a phone (390 px), a tap on the fourth star records four stars and shows the thanks page
/// with the comment box; the page fits the screen and its stars are big enough to tap.
#[tokio::test]
async fn a_receiver_taps_a_star_on_a_phone_and_sees_the_thanks_page() {
    use crate::browser::{browser, click, fill, screenshot, start_driver, wait_text};
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    rating_rule(&app).await;
    app.call("POST", "/v1/events", Some(delivered_at_pickup_point("RATE3")))
        .await;
    app.settled_notifications().await;
    let sms = inbox(&app).await.into_iter().find(|m| m["channel"] == "sms").unwrap();
    let path = rating_path(sms["text"].as_str().unwrap());
    let c = browser(&driver).await;
    async {
        c.set_window_size(390, 844).await.unwrap();
        c.goto(&format!("{}{path}", app.base)).await.unwrap();
        wait_text(&c, "#ask", "Hur gick leveransen av ditt paket från Webshop AB?").await;
        let fits = c
            .execute(
                "const b = document.querySelector('#star-5').getBoundingClientRect();
                 return [document.documentElement.scrollWidth, b.right, b.width, b.height];",
                vec![],
            )
            .await
            .unwrap();
        let [page_width, right, width, height] = [0, 1, 2, 3].map(|i| fits[i].as_f64().unwrap());
        assert!(page_width <= 390.0 && right <= 390.0, "wider than the phone: {fits}");
        assert!(width >= 40.0 && height >= 40.0, "stars too small to tap: {fits}");
        screenshot(&c, "rating-01-stars-on-a-phone").await;
        click(&c, "#star-4").await;
        wait_text(&c, "#thanks", "Tack för ditt betyg!").await;
        wait_text(&c, "#given", "Du gav leveransen 4 av 5 stjärnor.").await;
        screenshot(&c, "rating-02-thanks-on-a-phone").await;
        fill(&c, "#comment", "Snällt bud!").await;
        click(&c, "#send-comment").await;
        wait_text(&c, "#thanks", "Tack, Webshop AB har fått din kommentar.").await;
    }
    .await;
    c.close().await.ok();
    let body = ratings(&app, &app.key).await;
    assert_eq!(body["summary"]["count"], 1, "{body}");
    assert_eq!(body["ratings"][0]["stars"], 4, "{body}");
    assert_eq!(body["ratings"][0]["comment"], "Snällt bud!", "{body}");
}
