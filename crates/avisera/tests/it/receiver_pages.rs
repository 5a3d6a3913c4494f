//! The receiver's journeys in real headless Chromium: opting out from an SMS link stops the
//! SMS and the email of the next parcel (and "changed your mind?" brings them back), and the
//! preference centre's choice of email only and English reaches the next parcel's messages.

use crate::browser::{browser, click, screenshot, start_driver, wait_text};
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::{Value, json};

/// A tenant whose "delivered" rule sends both an SMS and an email, each with the receiver's
/// links, in Swedish and English.
async fn sms_and_email_rule(app: &TestApp) {
    let (_, sms) = app
        .call(
            "POST",
            "/v1/templates",
            Some(
                json!({"name": "sms", "channel": "sms", "default_language": "sv", "contents": {
                "sv": {"text": "Paket {{ tracking_number }} levererat. Avsluta: {{ unsubscribe_link }}"},
                "en": {"text": "Parcel {{ tracking_number }} delivered. Stop: {{ unsubscribe_link }}"}}}),
            ),
        )
        .await;
    let (_, email) = app
        .call(
            "POST",
            "/v1/templates",
            Some(
                json!({"name": "email", "channel": "email", "default_language": "sv", "contents": {
                "sv": {"subject": "Levererat {{ tracking_number }}", "text": "Inställningar: {{ preferences_link }}"},
                "en": {"subject": "Delivered {{ tracking_number }}", "text": "Settings: {{ preferences_link }}"}}}),
            ),
        )
        .await;
    let (_, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "delivered", "trigger": "delivered", "channels": "both",
                        "sms_template_id": sms["id"], "email_template_id": email["id"]})),
        )
        .await;
    app.call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
}

fn parcel(tracking: &str, email: &str) -> Value {
    let mut e = event(tracking, "DELIVERED", "070-123 45 61");
    e["shipment"]["receiver"]["email"] = json!(email);
    e
}

fn link(text: &str, path: &str) -> String {
    let start = text.find(path).unwrap_or_else(|| panic!("no {path} link in {text}"));
    text[start..].chars().take_while(|c| !c.is_whitespace()).collect()
}

fn of(list: &[Value], tracking: &str, channel: &str) -> Value {
    list.iter()
        .find(|n| n["tracking_number"] == tracking && n["channel"] == channel)
        .unwrap_or_else(|| panic!("no {channel} for {tracking} in {list:#?}"))
        .clone()
}

#[tokio::test]
async fn an_opt_out_from_an_sms_link_stops_sms_and_email_of_the_next_parcel_until_the_receiver_changes_their_mind() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Postgres, None, None).await;
    sms_and_email_rule(&app).await;
    app.call("POST", "/v1/events", Some(parcel("P1", "anna@example.se")))
        .await;
    app.settled_notifications().await;
    let sms = inbox(&app).await.into_iter().find(|m| m["channel"] == "sms").unwrap();
    let path = link(sms["text"].as_str().unwrap(), "/u/");
    assert!(path.len() <= 32, "{path}");
    let c = browser(&driver).await;
    async {
        c.goto(&format!("{}{path}", app.base)).await.unwrap();
        wait_text(
            &c,
            "#what",
            "Du får inga fler sms eller mejl från Webshop AB om dina paket.",
        )
        .await;
        screenshot(&c, "receiver-01-opt-out").await;
        click(&c, "#confirm").await;
        wait_text(&c, "#done", "Klart.").await;
        screenshot(&c, "receiver-02-opted-out").await;

        // The next parcel, with the same phone and a new email: nothing goes out, with why.
        app.call("POST", "/v1/events", Some(parcel("P2", "anna.new@example.se")))
            .await;
        let list = app.settled_notifications().await;
        for channel in ["sms", "email"] {
            let n = of(&list, "P2", channel);
            assert_eq!(n["status"], "cancelled", "{n}");
            assert!(n["reason"].as_str().unwrap().contains("opted out"), "{n}");
        }
        assert_eq!(
            inbox(&app).await.len(),
            2,
            "only the first parcel's SMS and email arrived"
        );

        // Changed your mind? One click, and the third parcel's messages arrive again.
        click(&c, "#back-in").await;
        wait_text(&c, "#saved", "Välkommen tillbaka").await;
        app.call("POST", "/v1/events", Some(parcel("P3", "anna.new@example.se")))
            .await;
        let list = app.settled_notifications().await;
        assert_eq!(of(&list, "P3", "sms")["status"], "sent");
        assert_eq!(of(&list, "P3", "email")["status"], "sent");
    }
    .await;
    c.close().await.ok();
}

#[tokio::test]
async fn a_receiver_who_chooses_email_only_in_english_gets_the_next_parcels_email_in_english_and_no_sms() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_and_email_rule(&app).await;
    app.call("POST", "/v1/events", Some(parcel("Q1", "anna@example.se")))
        .await;
    app.settled_notifications().await;
    let email = inbox(&app).await.into_iter().find(|m| m["channel"] == "email").unwrap();
    let path = link(email["text"].as_str().unwrap(), "/p/");
    let c = browser(&driver).await;
    async {
        c.goto(&format!("{}{path}", app.base)).await.unwrap();
        wait_text(&c, "legend", "Hur vill du att Webshop AB når dig om dina paket?").await;
        click(&c, "input[name=reach][value=email]").await;
        c.find(Locator::Css("#language option[value=en]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        screenshot(&c, "receiver-03-preferences").await;
        click(&c, "#save").await;
        wait_text(&c, "#saved", "Saved.").await;

        app.call("POST", "/v1/events", Some(parcel("Q2", "anna@example.se")))
            .await;
        let list = app.settled_notifications().await;
        let sms = of(&list, "Q2", "sms");
        assert_eq!(sms["status"], "cancelled", "{sms}");
        assert!(sms["reason"].as_str().unwrap().contains("email only"), "{sms}");
        assert_eq!(of(&list, "Q2", "email")["status"], "sent");
        let latest = &inbox(&app).await[0];
        assert_eq!(latest["subject"], "Delivered Q2", "{latest}");
    }
    .await;
    c.close().await.ok();
}

/// Saving the preference centre without touching the language keeps the messages in the
/// language they come in (English here), instead of switching them to the page's.
#[tokio::test]
async fn saving_preferences_without_choosing_a_language_keeps_the_messages_language() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_and_email_rule(&app).await;
    let mut first = parcel("LANG-1", "sara@example.se");
    first["shipment"]["receiver"]["language"] = json!("en");
    app.call("POST", "/v1/events", Some(first)).await;
    let list = app.settled_notifications().await;
    let email = of(&list, "LANG-1", "email");
    let prefs = link(email["message"]["text"].as_str().unwrap(), "/p/");
    let page = app.page(&prefs).await;
    assert!(
        page.contains("<option value=\"\" selected>"),
        "nothing preselected: {page}"
    );
    let http = reqwest::Client::new();
    let saved = http
        .post(format!("{}{prefs}", app.base))
        .form(&[("reach", "both"), ("language", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status().as_u16(), 200);
    let mut second = parcel("LANG-2", "sara@example.se");
    second["shipment"]["receiver"]["language"] = json!("en");
    app.call("POST", "/v1/events", Some(second)).await;
    let list = app.settled_notifications().await;
    let sms = of(&list, "LANG-2", "sms");
    assert!(
        sms["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Parcel LANG-2 delivered"),
        "{sms}"
    );
}
