//! The portal's main journeys in real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs): sign in, upload a logo, write a template and
//! watch the preview's segment count change, copy a ready-to-go notification, enable its rule,
//! post an event and see the message in the log and the dev inbox, find the shipment in Track
//! & Trace and send by hand. A screenshot of each main page goes to
//! `target/portal-screenshots/`.

use crate::helpers::*;
use avisera_domain::user::Role;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn start_driver() -> Driver {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&binary).exists(),
        "{binary} is missing: install Debian's chromium and chromium-driver (`.ci/run` does)"
    );
    let port = free_port();
    let child = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Driver { child, port }
}

pub(crate) async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--window-size=1280,1000", "--lang=en"]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a Chromium session")
}

fn screenshot_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/portal-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(crate) async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// Waits until `css` holds an element whose text contains `text`.
pub(crate) async fn wait_text(c: &Client, css: &str, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            let got = el.text().await.unwrap_or_default();
            if got.contains(text) {
                return got;
            }
            assert!(Instant::now() < deadline, "{css} shows {got:?}, not {text:?}");
        } else {
            assert!(
                Instant::now() < deadline,
                "no {css} on {}",
                c.current_url().await.unwrap()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) async fn fill(c: &Client, css: &str, text: &str) {
    let el = c.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no {css}"));
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

pub(crate) async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_shipper_sets_up_notifications_and_follows_them_in_the_browser() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    let password = crate::portal::add_user(&app, 1, "anna@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        // Sign in.
        c.goto(&format!("{base}/portal")).await.unwrap();
        fill(&c, "#email", "anna@webshop.se").await;
        fill(&c, "#password", &password).await;
        screenshot(&c, "01-sign-in").await;
        click(&c, "button[type=submit]").await;
        wait_text(&c, "h1", "Overview").await;
        screenshot(&c, "02-overview").await;

        // Upload a logo.
        let logo = std::env::temp_dir().join(format!("avisera-logo-{}.svg", std::process::id()));
        std::fs::write(
            &logo,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="120" height="40" fill="purple"/><text x="10" y="27" fill="white">Webshop</text></svg>"#,
        )
        .unwrap();
        c.goto(&format!("{base}/portal/brand")).await.unwrap();
        c.find(Locator::Css("#logo")).await.unwrap().send_keys(logo.to_str().unwrap()).await.unwrap();
        click(&c, "#upload-logo").await;
        wait_text(&c, "figcaption", "in use").await;
        screenshot(&c, "03-brand").await;

        // Write a template; the live preview counts segments as one types.
        c.goto(&format!("{base}/portal/templates/new?channel=sms")).await.unwrap();
        fill(&c, "#name", "Levererat").await;
        fill(&c, "#text_sv", "Hej {{ receiver_name }}! Ditt paket {{ tracking_number }} är levererat.").await;
        wait_text(&c, "#preview-text-sv", "Hej Anna Andersson!").await;
        wait_text(&c, "#preview-segments-sv", "1").await;
        assert_eq!(c.find(Locator::Css("#preview-encoding-sv")).await.unwrap().text().await.unwrap(), "GSM-7");
        c.find(Locator::Css("#text_sv"))
            .await
            .unwrap()
            .send_keys(" Tack för att du handlar hos oss, vi hoppas att du blir nöjd med din beställning och välkommen tillbaka!")
            .await
            .unwrap();
        wait_text(&c, "#preview-segments-sv", "2").await;
        screenshot(&c, "04-template-editor").await;
        click(&c, "#save-template").await;
        wait_text(&c, "h1", "Levererat").await;

        // Copy a ready-to-go notification and enable its rule.
        c.goto(&format!("{base}/portal/library")).await.unwrap();
        screenshot(&c, "05-library").await;
        click(&c, "#copy-delivered").await;
        wait_text(&c, "#rule-status", "disabled").await;
        click(&c, "#enable-rule").await;
        wait_text(&c, "#rule-status", "enabled").await;
        screenshot(&c, "06-rule").await;
        c.goto(&format!("{base}/portal/rules")).await.unwrap();
        wait_text(&c, "#rules", "enabled").await;
        screenshot(&c, "07-rules").await;

        // An event arrives; the message shows in the log and in the dev inbox.
        let (status, body) = app
            .call("POST", "/v1/events", Some(event("BROWSER-1", "DELIVERED", "+46701234567")))
            .await;
        assert!(status.is_success(), "{body}");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            c.goto(&format!("{base}/portal/log")).await.unwrap();
            let log = c.find(Locator::Css("#log")).await.unwrap().text().await.unwrap();
            if log.contains("BROWSER-1") && log.contains("sent") {
                break;
            }
            assert!(Instant::now() < deadline, "the log never showed the sent message: {log}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        screenshot(&c, "08-log").await;
        c.goto(&format!("{base}/portal")).await.unwrap();
        wait_text(&c, "#bill", "0.75").await;
        screenshot(&c, "09-overview-with-numbers").await;
        click(&c, "nav a[href^='/dev/inbox']").await;
        wait_text(&c, "body", "+46701234567").await;
        screenshot(&c, "10-dev-inbox").await;

        // Track & Trace: find it by phone, send by hand.
        c.goto(&format!("{base}/portal/track")).await.unwrap();
        fill(&c, "#q", "070-123 45 67").await;
        click(&c, "#search").await;
        wait_text(&c, "h1", "BROWSER-1").await;
        fill(&c, "#text", "Hej Anna! Kvittot finns nu på Mina sidor.").await;
        click(&c, "#send-button").await;
        wait_text(&c, "#sent-notice", "on its way").await;
        screenshot(&c, "11-track-and-trace").await;

        // The same pages on a phone.
        c.set_window_size(390, 844).await.unwrap();
        c.goto(&format!("{base}/portal/log")).await.unwrap();
        wait_text(&c, "#log", "BROWSER-1").await;
        screenshot(&c, "12-log-on-a-phone").await;
        c.goto(&format!("{base}/portal/templates/new?channel=email")).await.unwrap();
        fill(&c, "#subject_sv", "Ditt paket {{ tracking_number }}").await;
        // Hand-written HTML, the escape hatch under the content blocks.
        click(&c, "#lang-sv details summary").await;
        fill(&c, "#html_sv", "<p>Hej <b>{{ receiver_name }}</b>!</p>").await;
        wait_text(&c, "#preview-subject-sv", "Ditt paket 00370712345678901234").await;
        let frame = c.find(Locator::Css("#preview-html-sv")).await.unwrap();
        let srcdoc = frame.attr("srcdoc").await.unwrap().unwrap_or_default();
        assert!(srcdoc.contains("Hej <b>Anna Andersson</b>!"), "{srcdoc}");
        screenshot(&c, "13-email-template-on-a-phone").await;
    }
    .await;
    let _ = c.close().await;

    let inbox = inbox(&app).await;
    let to_anna: Vec<&str> = inbox
        .iter()
        .filter(|m| m["to"] == "+46701234567")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(to_anna.len(), 2, "{inbox:#?}");
    assert!(
        to_anna.iter().any(|t| t.contains("Webshop")),
        "the library's delivered SMS: {to_anna:?}"
    );
    assert!(to_anna.contains(&"Hej Anna! Kvittot finns nu på Mina sidor."));
    for page in ["01-sign-in", "04-template-editor", "08-log", "11-track-and-trace"] {
        assert!(screenshot_dir().join(format!("{page}.png")).exists());
    }
}

#[tokio::test]
async fn a_business_signs_up_in_the_browser_and_enables_its_first_rule() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        c.goto(&format!("{base}/portal/login")).await.unwrap();
        click(&c, "#signup-link").await;
        wait_text(&c, "h1", "Create a business account").await;
        c.find(Locator::Css("#country option[value=SE]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        fill(&c, "#organisation_number", "556036-0794").await;
        fill(&c, "#company", "Webbutiken Norr AB").await;
        fill(&c, "#name", "Nils Norr").await;
        fill(&c, "#email", "nils@norr.example").await;
        fill(&c, "#password", "a long enough secret").await;
        click(&c, "#terms").await;
        click(&c, "button[type=submit]").await;
        // A typing error in the number: said beside it, the rest kept.
        wait_text(&c, "#organisation_number-error", "check digit").await;
        let company = c
            .find(Locator::Css("#company"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(company.as_deref(), Some("Webbutiken Norr AB"));
        screenshot(&c, "20-sign-up").await;
        fill(&c, "#organisation_number", "556036-0793").await;
        fill(&c, "#password", "a long enough secret").await;
        click(&c, "button[type=submit]").await;
        wait_text(&c, "#signup-sent", "nils@norr.example").await;

        // The confirmation email waits in the dev inbox; its link asks once more.
        let mail = inbox(&app)
            .await
            .into_iter()
            .find(|m| m["to"] == "nils@norr.example")
            .expect("the confirmation email");
        let text = mail["text"].as_str().unwrap();
        let at = text.find("/signup/confirm/").expect("a link");
        let path: String = text[at..].chars().take_while(|c| !c.is_whitespace()).collect();
        c.goto(&format!("{base}{path}")).await.unwrap();
        wait_text(&c, "#confirm-company", "Webbutiken Norr AB").await;
        click(&c, "#confirm").await;
        wait_text(&c, "h1", "Overview").await;

        // The first rule: copied from the library and enabled.
        c.goto(&format!("{base}/portal/library")).await.unwrap();
        click(&c, "#copy-delivered").await;
        wait_text(&c, "#rule-status", "disabled").await;
        click(&c, "#enable-rule").await;
        wait_text(&c, "#rule-status", "enabled").await;

        // The dev inbox, open in the browser, shows the new message without reloading.
        c.goto(&format!("{base}/dev/inbox?format=html")).await.unwrap();
        wait_text(&c, "#count", "1 message").await;
        c.execute("window.notReloaded = true;", vec![]).await.unwrap();
        enabled_rule_for(
            &app,
            json!({"name": "live", "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": "Levererat: {{ tracking_number }}"}}}),
        )
        .await;
        let (status, body) = app
            .call("POST", "/v1/events", Some(event("INBOX-LIVE-1", "DELIVERED", "+46709876543")))
            .await;
        assert!(status.is_success(), "{body}");
        wait_text(&c, "#messages", "Levererat: INBOX-LIVE-1").await;
        wait_text(&c, "#count", "2 messages").await;
        let same_page = c.execute("return window.notReloaded === true;", vec![]).await.unwrap();
        assert_eq!(same_page, json!(true), "the page was reloaded instead of updated");
    }
    .await;
    let _ = c.close().await;
    let tenants = app.app.store.tenants().await.unwrap();
    let made = tenants
        .iter()
        .find(|t| t.name == "Webbutiken Norr AB")
        .expect("the new tenant");
    let rules = app.app.store.rules(made.id).await.unwrap();
    assert_eq!(rules.iter().filter(|r| r.enabled).count(), 1, "{rules:?}");
}

/// "Try on the last 30 days" in the rule editor: the figures and rendered examples of the rule
/// as typed, saved or not, over the stored events; nothing is stored or sent.
#[tokio::test]
async fn a_shipper_tries_a_draft_rule_on_the_last_30_days_in_the_browser() {
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    let password = crate::portal::add_user(&app, 1, "bo@webshop.se", Role::Editor).await;
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "levererat", "channel": "sms", "default_language": "sv",
                        "contents": {"sv": {"text": "Hej {{ receiver_name }}! {{ tracking_number }} är levererat."}}})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{template}");
    let (status, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(
                json!({"name": "levererat i Sverige", "trigger": "delivered", "channels": "sms",
                        "sms_template_id": template["id"], "conditions": {"destination_countries": ["SE"]}}),
            ),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{rule}");
    let id = rule["id"].as_i64().unwrap();
    let mut events = Vec::new();
    for (n, country) in ["SE", "SE", "SE", "NO"].into_iter().enumerate() {
        let mut e = event(&format!("TRY-{n}"), "DELIVERED", &format!("+4670123456{n}"));
        e["shipment"]["destination_country"] = json!(country);
        events.push(e);
    }
    let (status, body) = app.call("POST", "/v1/events", Some(json!(events))).await;
    assert!(status.is_success(), "{body}");

    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        c.goto(&format!("{base}/portal")).await.unwrap();
        fill(&c, "#email", "bo@webshop.se").await;
        fill(&c, "#password", &password).await;
        click(&c, "button[type=submit]").await;
        wait_text(&c, "h1", "Overview").await;

        c.goto(&format!("{base}/portal/rules/{id}")).await.unwrap();
        click(&c, "#try-rule").await;
        wait_text(&c, "#replay-notifications", "3").await;
        wait_text(&c, "#replay-cost", "2.25 SEK").await;
        wait_text(&c, "#replay-skipped", "did not meet the conditions: 1").await;
        let examples = wait_text(&c, "#replay-examples", "Hej Anna! TRY-0 är levererat.").await;
        assert!(examples.contains("+46 70•••45 60"), "{examples}");
        assert!(!examples.contains("+46701234560"), "the number is masked: {examples}");
        screenshot(&c, "14-rule-tried-on-30-days").await;

        // Edited, not saved: every country. The try shows the rule as typed.
        fill(&c, "#destination_countries", "").await;
        click(&c, "#try-rule").await;
        wait_text(&c, "#replay-notifications", "4").await;
        wait_text(&c, "#replay-cost", "3.00 SEK").await;
    }
    .await;
    let _ = c.close().await;

    let (_, stored) = app.call("GET", &format!("/v1/rules/{id}"), None).await;
    assert_eq!(
        stored["conditions"]["destination_countries"],
        json!(["SE"]),
        "trying saves nothing"
    );
    assert_eq!(stored["enabled"], false);
    let (_, list) = app.call("GET", "/v1/notifications?limit=10", None).await;
    assert_eq!(list["notifications"], json!([]), "trying sends nothing");
    assert!(inbox(&app).await.is_empty(), "trying sends nothing");
}
