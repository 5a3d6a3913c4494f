//! The receiver's tracking page as a receiver meets it: the link from a real message, opened
//! on a phone in headless Chromium, switched to Norwegian; checked by axe-core for
//! accessibility; and the page a wrong or expired link gets. Screenshots go to
//! `target/portal-screenshots/tracking-*.png`.

use crate::browser::{browser, screenshot, start_driver, wait_text};
use crate::helpers::*;
use avisera::links::LinkKind;
use avisera_domain::{FixedClock, TenantId};
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// axe-core, installed by `scripts/test` (`npm ci` in `tests/axe`).
fn axe_source() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/axe/node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("{path}: {e}; install axe-core with `(cd crates/avisera/tests/axe && npm ci)` (scripts/test does)")
    })
}

/// Runs axe-core on the page shown and fails on any serious or critical violation, naming
/// each with the elements it found it on.
async fn assert_accessible(c: &Client, axe: &str, page: &str) {
    c.execute(axe, vec![]).await.expect("axe-core loads");
    let violations = c
        .execute(
            "return axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v =>
               ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))})));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    let violations = violations.as_array().cloned().unwrap_or_default();
    for v in &violations {
        eprintln!("axe on {page}: {v}");
    }
    let serious: Vec<&Value> = violations
        .iter()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .collect();
    assert!(
        serious.is_empty(),
        "serious accessibility violations on {page}: {serious:#?}"
    );
}

/// The page fits a phone: nothing wider than the screen, so no sideways scrolling.
async fn assert_no_sideways_scroll(c: &Client, width: u64) {
    let inner = c.execute("return window.innerWidth;", vec![]).await.unwrap();
    assert_eq!(inner.as_u64(), Some(width), "the window is not a phone's width");
    let scroll = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    assert!(
        scroll.as_u64().unwrap() <= width,
        "the page scrolls sideways: {scroll} > {width}"
    );
}

/// A screenshot of the whole page at this width (the window made as tall as the page).
async fn page_screenshot(c: &Client, name: &str, width: u32, height: u32) {
    let tall = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .unwrap();
    let tall = tall.as_u64().unwrap_or(u64::from(height)) as u32;
    c.set_window_size(width, (tall + 200).max(height)).await.unwrap();
    screenshot(c, name).await;
    c.set_window_size(width, height).await.unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"))
        .text()
        .await
        .unwrap()
}

async fn post(app: &TestApp, event: Value) {
    let (status, body) = app.call("POST", "/v1/events", Some(event)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// A parcel for a Norwegian receiver at a pickup point in Oslo, with the shipper's customer
/// service set; the clock is Monday 7 December 2026, 09:00 in Oslo.
async fn parcel_at_pickup_point() -> TestApp {
    let clock = Arc::new(FixedClock::new("2026-12-07T08:00:00Z".parse().unwrap()));
    let app = spawn_app_at(Db::Postgres, clock).await;
    let tenant = app.app.store.tenant(TenantId(1)).await.unwrap().unwrap();
    let logo = br#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 160 40"><rect width="160" height="40" fill="seagreen"/><text x="10" y="27" fill="white">Webshop</text></svg>"#;
    avisera_core::tenants::add_logo(app.app.store.as_ref(), &tenant, logo, app.app.clock.now())
        .await
        .unwrap();
    let (status, brand) = app
        .call(
            "PUT",
            "/v1/tenant/brand",
            Some(json!({"brand_name": "Webshop AB", "sms_sender_id": "Webshop", "email_from_name": "Webshop AB",
                        "customer_service_email": "kundeservice@webshop.example", "customer_service_phone": "+46 8 123 456 78",
                        "default_language": "sv"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{brand}");
    let (_, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "link", "channel": "sms", "default_language": "sv",
                        "contents": {"sv": {"text": "Ditt paket är på väg: {{ tracking_link }}"}}})),
        )
        .await;
    let (_, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "link", "trigger": "transport_order_received", "channels": "sms", "sms_template_id": template["id"]})),
        )
        .await;
    app.call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;

    let receiver = json!({"name": "Ola", "phone": "+4791234567", "language": "sv"});
    let shipment = json!({"destination_country": "NO", "receiver": receiver, "expected_delivery": "2026-12-08"});
    let at = |code: &str, when: &str| json!({"tracking_number": "OSLO-1", "code": code, "occurred_at": when, "shipment": shipment});
    post(&app, at("CREATED", "2026-12-04T16:40:00+01:00")).await;
    let mut scanned = at("EN_ROUTE", "2026-12-05T10:15:00+01:00");
    scanned["location"] = json!("Alnabru");
    post(&app, scanned).await;
    post(&app, at("FLAG_WEATHER_CHECK", "2026-12-05T11:00:00+01:00")).await;
    let mut arrived = at("AVAILABLE_FOR_DELIVERY_PAR_LOC", "2026-12-07T08:30:00+01:00");
    arrived["pickup_point"] = json!({"name": "Kiwi Grünerløkka", "address": "Thorvald Meyers gate 40, 0555 Oslo",
        "opening_hours": "Mo-Fr 07:00-23:00; Sa 08:00-21:00; Su off", "storage_deadline": "2026-12-14T23:59:00+01:00"});
    post(&app, arrived).await;
    app
}

/// The tracking link in the first message the receiver got.
async fn link_in_first_message(app: &TestApp) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let messages = inbox(app).await;
        if let Some(m) = messages
            .iter()
            .rev()
            .find(|m| m["text"].as_str().unwrap_or("").contains("/s/"))
        {
            let text = m["text"].as_str().unwrap();
            let start = text.find("https://track.example.com").expect("a link");
            let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
            return link.replace("https://track.example.com", "");
        }
        assert!(
            Instant::now() < deadline,
            "no message with a tracking link: {messages:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn tracking_page_in_norwegian_on_a_phone() {
    let axe = axe_source();
    let app = parcel_at_pickup_point().await;
    let path = link_in_first_message(&app).await;
    assert_eq!(path.split('/').count(), 6, "/s/tenant/shipment/token/code: {path}");
    let driver = start_driver().await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        c.set_window_size(390, 844).await.unwrap();
        // The receiver's language is Swedish; the switch on the page makes it Norwegian.
        c.goto(&format!("{base}{path}")).await.unwrap();
        wait_text(&c, "h1", "Ditt paket från Webshop AB").await;
        c.find(Locator::Css("nav a[hreflang=nb]")).await.unwrap().click().await.unwrap();
        wait_text(&c, "h1", "Pakken din fra Webshop AB").await;
        let url = c.current_url().await.unwrap();
        assert!(url.as_str().ends_with(&format!("{path}?lang=nb")), "{url}");
        let lang = c.execute("return document.documentElement.lang;", vec![]).await.unwrap();
        assert_eq!(lang, json!("nb"));
        // The brand's logo, named for those who cannot see it.
        let logo = c.find(Locator::Css("header img")).await.expect("the logo");
        assert_eq!(logo.attr("alt").await.unwrap().as_deref(), Some("Webshop AB"));
        let shown = c
            .execute("return document.querySelector('header img').naturalWidth;", vec![])
            .await
            .unwrap();
        assert!(shown.as_u64().unwrap() > 0, "the logo did not load");

        // The progress line: at the pickup point, the steps before it done.
        let current = c
            .find(Locator::Css("#progress li[aria-current=step]"))
            .await
            .expect("a current step")
            .text()
            .await
            .unwrap();
        assert_eq!(current, "På hentestedet");
        let steps = text_of(&c, "#progress").await;
        assert_eq!(
            steps.lines().collect::<Vec<_>>(),
            ["Bestilt", "På vei", "På hentestedet", "Levert"],
            "{steps}"
        );
        assert_eq!(
            text_of(&c, "#expected").await,
            "Forventet levering: tirsdag 8. desember"
        );

        // The pickup point: where, until when, when it is open (this week, from today).
        let pickup = text_of(&c, "#pickup-point").await;
        for shown in [
            "Hentested",
            "Kiwi Grünerløkka",
            "Thorvald Meyers gate 40, 0555 Oslo",
            "Siste dag for henting: mandag 14. desember",
            "Åpningstider",
            "man 7/12: 07:00-23:00",
            "lør 12/12: 08:00-21:00",
            "søn 13/12: stengt",
        ] {
            assert!(pickup.contains(shown), "{shown:?} in {pickup}");
        }

        // Every event in words, newest first, in Oslo's time.
        let events = text_of(&c, "#events").await;
        let expected = [
            "Klar til henting på hentestedet",
            "mandag 7. desember kl. 08:30",
            "Melding fra transportøren",
            "lørdag 5. desember kl. 11:00",
            "På vei",
            "lørdag 5. desember kl. 10:15 · Alnabru",
            "Avsenderen har bestilt leveransen hos transportøren",
            "fredag 4. desember kl. 16:40",
        ];
        assert_eq!(events.lines().collect::<Vec<_>>(), expected, "{events}");
        assert!(!events.contains("FLAG_WEATHER_CHECK") && !events.contains("EN_ROUTE"), "{events}");

        let contact = text_of(&c, "#contact").await;
        for shown in [
            "Spørsmål om pakken din?",
            "Kontakt kundeservice hos Webshop AB:",
            "E-post: kundeservice@webshop.example",
            "Telefon: +46812345678",
        ] {
            assert!(contact.contains(shown), "{shown:?} in {contact}");
        }
        let mail = c
            .find(Locator::Css("#contact a[href^=mailto]"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap();
        assert_eq!(mail.as_deref(), Some("mailto:kundeservice@webshop.example"));
        assert!(c.find(Locator::Css("#rate")).await.is_err(), "no rating before delivery");

        assert_no_sideways_scroll(&c, 390).await;
        assert_accessible(&c, &axe, "the tracking page at the pickup point").await;
        page_screenshot(&c, "tracking-phone", 390, 844).await;
        c.set_window_size(1280, 1000).await.unwrap();
        c.refresh().await.unwrap();
        wait_text(&c, "h1", "Pakken din fra Webshop AB").await;
        page_screenshot(&c, "tracking-desktop", 1280, 1000).await;

        // Collected: the last step is current, the last day and the opening hours are gone.
        post(
            &app,
            json!({"tracking_number": "OSLO-1", "code": "DELIVERED", "occurred_at": "2026-12-07T08:55:00+01:00", "location": "Kiwi Grünerløkka"}),
        )
        .await;
        c.set_window_size(390, 844).await.unwrap();
        c.refresh().await.unwrap();
        wait_text(&c, "#events", "Levert").await;
        let current = text_of(&c, "#progress li[aria-current=step]").await;
        assert_eq!(current, "Levert");
        let done = c.find_all(Locator::Css("#progress li.done")).await.unwrap();
        assert_eq!(done.len(), 3);
        let page = text_of(&c, "main").await;
        assert!(!page.contains("Siste dag for henting"), "{page}");
        assert!(!page.contains("Åpningstider") && !page.contains("Forventet levering"), "{page}");
        assert!(c.find(Locator::Css("#collect-by")).await.is_err());
        assert!(page.contains("Kiwi Grünerløkka"), "where it was collected: {page}");
        // After delivery the page asks for a rating, linking to the receiver's rating page.
        let rate = c.find(Locator::Css("#rate-link")).await.expect("a rating link after delivery");
        let href = rate.attr("href").await.unwrap().unwrap_or_default();
        assert!(href.contains("/r/"), "the rating page: {href}");
        let first_event = text_of(&c, "#events li").await;
        assert_eq!(first_event, "Levert\nmandag 7. desember kl. 08:55 · Kiwi Grünerløkka");
        assert_no_sideways_scroll(&c, 390).await;
        assert_accessible(&c, &axe, "the tracking page after delivery").await;
        page_screenshot(&c, "tracking-delivered-phone", 390, 844).await;

        // An altered link: a page that says what to do, in the language asked for.
        let broken = format!("{base}{}x?lang=nb", &path[..path.rfind('/').unwrap()]);
        c.goto(&broken).await.unwrap();
        wait_text(&c, "h1", "Vi finner ikke denne pakken").await;
        wait_text(&c, "main", "nyeste SMS-en eller e-posten").await;
        assert_no_sideways_scroll(&c, 390).await;
        assert_accessible(&c, &axe, "the wrong-link page").await;
        page_screenshot(&c, "tracking-wrong-link-phone", 390, 844).await;
    }
    .await;
    let _ = c.close().await;
}

#[tokio::test]
async fn a_wrong_link_says_what_to_do_and_an_expired_one_shows_whose_it_was() {
    let app = parcel_at_pickup_point().await;
    let path = link_in_first_message(&app).await;
    let get = |path: String, language: &'static str| {
        let request = app
            .http
            .get(format!("{}{path}", app.base))
            .header("accept-language", language);
        async move {
            let answer = request.send().await.unwrap();
            let status = answer.status();
            let kind = answer.headers()["content-type"].to_str().unwrap().to_string();
            (status, kind, answer.text().await.unwrap())
        }
    };
    let (status, _, html) = get(path.clone(), "fi").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Ditt paket från Webshop AB"),
        "the receiver's language before the browser's: {html}"
    );

    // An altered signature, and another tenant's id: the browser's language, no brand.
    let parts: Vec<&str> = path.split('/').collect();
    for wrong in [
        format!("/s/1/{}/{}x/{}", parts[3], parts[4], parts[5]),
        format!("/s/2/{}/{}/{}", parts[3], parts[4], parts[5]),
        format!("/s/1/{}/{}", parts[3], &parts[4][1..]),
        format!("/t/1/OSLO-1/{}", parts[4]),
    ] {
        let (status, kind, html) = get(wrong.clone(), "de-DE,fi;q=0.8").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{wrong}");
        assert!(kind.starts_with("text/html"), "{wrong}: {kind}");
        assert!(html.contains("<html lang=\"fi\">"), "{html}");
        assert!(html.contains("Emme löydä tätä pakettia"), "{html}");
        assert!(html.contains("Avaa linkki uudelleen uusimmasta"), "{html}");
        assert!(html.contains("Paketin seuranta"), "a neutral header: {html}");
        assert!(
            !html.contains("Webshop") && !html.contains("kundeservice@"),
            "a link that proves nothing shows no tenant: {html}"
        );
    }

    // A properly signed link whose shipment is not here (any more): the tenant's brand, its
    // language and its customer service.
    let token = app.app.links.short_token(LinkKind::Shipment, TenantId(1), "999999");
    let (status, _, html) = get(format!("/s/1/999999/{token}"), "en").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("<html lang=\"sv\">"), "the brand's language: {html}");
    assert!(html.contains("Vi hittar inte det här paketet"), "{html}");
    assert!(
        html.contains("Webshop AB") && html.contains("mailto:kundeservice@webshop.example"),
        "{html}"
    );
    let (_, _, html) = get(format!("/s/1/999999/{token}/abc?lang=da"), "en").await;
    assert!(html.contains("Vi kan ikke finde denne pakke"), "{html}");
}

#[tokio::test]
async fn a_parcel_going_back_to_its_sender_says_so_instead_of_a_progress_line() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut e = event("BACK-1", "RETURNED", "+46701234567");
    e["shipment"]["receiver"]["language"] = json!("da");
    e["shipment"]["expected_delivery"] = json!("2026-11-27");
    e["pickup_point"] = json!({"name": "Netto Nørrebro", "opening_hours": "hverdage 8-22"});
    post(&app, e).await;
    let token = app.app.links.token(LinkKind::Tracking, TenantId(1), "BACK-1");
    let html = app.page(&format!("/t/1/BACK-1/{token}")).await;
    assert!(html.contains("<html lang=\"da\">"), "the shipment's language: {html}");
    assert!(
        html.contains("Pakken sendes tilbage til afsenderen. Kontakt Webshop AB, hvis du har spørgsmål."),
        "{html}"
    );
    assert!(!html.contains("id=\"progress\""), "no progress line: {html}");
    assert!(
        html.contains("På vej tilbage til afsenderen"),
        "the event in words: {html}"
    );
    assert!(
        !html.contains("Forventet levering") && !html.contains("hverdage 8-22"),
        "nothing more to expect or collect: {html}"
    );
    // The switch still works on it, and a language the page does not speak is passed over.
    let html = app.page(&format!("/t/1/BACK-1/{token}?lang=fi")).await;
    assert!(html.contains("Paketti palautetaan lähettäjälle."), "{html}");
    let html = app.page(&format!("/t/1/BACK-1/{token}?lang=de")).await;
    assert!(html.contains("<html lang=\"da\">"), "{html}");
}
