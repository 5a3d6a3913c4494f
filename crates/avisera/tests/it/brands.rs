//! Issue 16 part 4: emails in the brand without hand-written HTML. A rule sending in one of
//! the tenant's other brands: its email (through a real SMTP server) shows that brand's logo,
//! colour and sender name around the content blocks, with exactly one opt-out section, and its
//! SMS goes out under that brand's sender id. In the browser: the block editor, the preview in
//! the layout, and "Send a test to me" delivering the preview's very HTML.

use crate::browser::{browser, click, fill, screenshot, start_driver, wait_text};
use crate::helpers::*;
use avisera_core::tenants;
use avisera_domain::TenantId;
use avisera_domain::colour::Colour;
use avisera_domain::tenant::Brand;
use avisera_domain::user::Role;
use fantoccini::Locator;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

const LOGO: &[u8] = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><rect width="120" height="40" fill="#aa0033"/></svg>"##;

#[tokio::test]
async fn a_rule_in_another_brand_sends_email_and_sms_in_that_brand() {
    let smtp = spawn_smtp_server().await;
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), Some(smtp_config(&smtp))).await;
    let store = app.app.store.as_ref();
    let tenant = store.tenant(TenantId(1)).await.unwrap().unwrap();
    let logo = tenants::add_logo(store, &tenant, LOGO, app.app.clock.now())
        .await
        .unwrap();
    // The first logo went to the default brand; brand B gets it too, and its own colour.
    let tenant = store.tenant(TenantId(1)).await.unwrap().unwrap();
    let mut outlet = Brand::named("Outlet");
    outlet.sms_sender_id = "OutletSE".into();
    outlet.email_from_name = "Outlet Kundservice".into();
    outlet.colour = Colour::parse("#AA0033").unwrap();
    outlet.logo_id = Some(logo);
    outlet.customer_service_email = Some(avisera_domain::contact::EmailAddress::parse("hej@outlet.example").unwrap());
    let b = tenants::save_other_brand(store, &tenant, None, outlet).await.unwrap();

    let (status, email) = app
        .call(
            "POST",
            "/v1/templates",
            Some(
                json!({"name": "levererat", "channel": "email", "default_language": "sv",
                "contents": {"sv": {"subject": "Levererat {{ tracking_number }}", "blocks": [
                    {"kind": "heading", "text": "Hej {{ receiver_name }}!"},
                    {"kind": "text", "text": "Ditt paket från {{ brand_name }} är levererat."},
                    {"kind": "button", "label": "Följ paketet", "url": "{{ tracking_link }}"}]}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{email}");
    let (status, sms) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "sms", "channel": "sms", "default_language": "sv",
                "contents": {"sv": {"text": "{{ brand_name }}: paketet är levererat"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sms}");
    // A brand that does not exist is refused, naming the field.
    let rule = |brand: i64| {
        json!({"name": "outlet", "trigger": "delivered", "channels": "both", "brand_id": brand,
               "email_template_id": email["id"], "sms_template_id": sms["id"]})
    };
    let (status, refused) = app.call("POST", "/v1/rules", Some(rule(b.0 + 7))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("brand_id"), "{refused}");
    let (status, created) = app.call("POST", "/v1/rules", Some(rule(b.0))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["brand_id"], b.0, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (status, body) = app.call("POST", &format!("/v1/rules/{id}/enable"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(event("BRAND-B-1", "DELIVERED", "+46701234567")),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let mail = smtp.wait_for_mails(1).await.remove(0);
    let html = mail["html"].as_str().unwrap();
    assert!(
        mail["from"].as_str().unwrap().starts_with("\"Outlet Kundservice\" <"),
        "{mail:#}"
    );
    assert!(
        html.contains(&format!("/l/1/{logo}\" alt=\"Outlet\"")),
        "B's logo: {html}"
    );
    assert!(html.contains("border-top:4px solid #aa0033"), "B's colour: {html}");
    assert!(
        html.contains("background-color:#aa0033"),
        "the button in B's colour: {html}"
    );
    assert!(html.contains(">Hej Anna!</h1>"), "{html}");
    assert!(html.contains("Ditt paket från Outlet är levererat."), "{html}");
    assert!(html.contains(">Följ paketet</a>"), "{html}");
    assert!(
        html.contains("mailto:hej@outlet.example"),
        "B's customer service: {html}"
    );
    // Exactly one opt-out section: the layout's, not also the footer added to hand-written HTML.
    assert_eq!(html.matches("Vill du inte få fler meddelanden").count(), 1, "{html}");
    let link = mail["list_unsubscribe"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>'])
        .to_string();
    assert_eq!(html.matches(&format!("href=\"{link}\"")).count(), 1, "{html}");
    let text = mail["text"].as_str().unwrap();
    assert_eq!(text.matches(&link).count(), 1, "{text}");
    assert!(
        text.starts_with("Hej Anna!\n\nDitt paket från Outlet är levererat."),
        "{text}"
    );

    let deadline = Instant::now() + Duration::from_secs(20);
    let sms = loop {
        if let Some(r) = provider.log.lock().unwrap().requests.first().cloned() {
            break r;
        }
        assert!(Instant::now() < deadline, "no SMS reached the provider");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(sms["from"], "OutletSE", "{sms}");
    assert!(
        sms["text"]
            .as_str()
            .unwrap()
            .starts_with("Outlet: paketet är levererat"),
        "{sms}"
    );
}

#[tokio::test]
async fn the_block_editor_previews_in_the_layout_and_sends_the_same_html_as_a_test() {
    let smtp = spawn_smtp_server().await;
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, Some(smtp_config(&smtp))).await;
    let password = crate::portal::add_user(&app, 1, "anna@webshop.se", Role::Editor).await;
    // A second brand to preview (and test) the email in.
    let store = app.app.store.as_ref();
    let tenant = store.tenant(TenantId(1)).await.unwrap().unwrap();
    let mut outlet = Brand::named("Outlet");
    outlet.email_from_name = "Outlet Kundservice".into();
    outlet.colour = Colour::parse("#AA0033").unwrap();
    let b = tenants::save_other_brand(store, &tenant, None, outlet).await.unwrap();
    let c = browser(&driver).await;
    let base = app.base.clone();
    let preview = async {
        c.goto(&format!("{base}/portal")).await.unwrap();
        fill(&c, "#email", "anna@webshop.se").await;
        fill(&c, "#password", &password).await;
        click(&c, "button[type=submit]").await;
        wait_text(&c, "h1", "Overview").await;

        c.goto(&format!("{base}/portal/templates/new?channel=email")).await.unwrap();
        fill(&c, "#name", "Levererat").await;
        fill(&c, "#subject_sv", "Ditt paket {{ tracking_number }}").await;
        click(&c, "#add-heading-sv").await;
        fill(
            &c,
            "#block-list-sv li:nth-of-type(1) [data-field=text]",
            "Hej{% if receiver_name %} {{ receiver_name }}{% endif %}!",
        )
        .await;
        click(&c, "#add-text-sv").await;
        fill(&c, "#block-list-sv li:nth-of-type(2) [data-field=text]", "Paketet är <levererat> & klart.").await;
        click(&c, "#add-button-sv").await;
        fill(&c, "#block-list-sv li:nth-of-type(3) [data-field=label]", "Följ paketet").await;
        let srcdoc = wait_srcdoc(&c, ">Följ paketet</a>").await;
        assert!(srcdoc.contains(">Hej Anna Andersson!</h1>"), "{srcdoc}");
        assert!(srcdoc.contains("Paketet är &lt;levererat&gt; &amp; klart."), "{srcdoc}");
        assert!(srcdoc.contains("border-top:4px solid #1f5f99"), "the layout's colour line: {srcdoc}");
        // A value some shipments lack, printed bare: the editor says so as it is typed, and
        // stops saying so once it is guarded.
        click(&c, "#add-text-sv").await;
        let carrier = "#block-list-sv li:nth-of-type(4) [data-field=text]";
        fill(&c, carrier, "Det kommer med {{ carrier }}.").await;
        wait_text(&c, "#advice-sv", "May be empty for some shipments: {{ carrier }}.").await;
        fill(&c, carrier, "Det kommer{% if carrier %} med {{ carrier }}{% endif %}.").await;
        let deadline = Instant::now() + Duration::from_secs(15);
        while c.find(Locator::Css("#advice-sv")).await.unwrap().is_displayed().await.unwrap() {
            assert!(Instant::now() < deadline, "guarded, the advice goes away");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        wait_srcdoc(&c, "Det kommer med PostNord.").await;
        click(&c, "#save-template").await;
        wait_text(&c, "#saved-notice", "Saved").await;

        // Saved: the editor shows the four blocks again, and the preview shows them in the layout.
        let kinds = c
            .execute(
                "return Array.from(document.querySelectorAll('#block-list-sv li')).map(function (li) { return li.className; });",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            kinds,
            json!(["block block-heading", "block block-text", "block block-button", "block block-text"])
        );
        wait_srcdoc(&c, ">Följ paketet</a>").await;
        screenshot(&c, "14-email-blocks").await;
        // Previewed in the other brand: its colour around the same blocks.
        c.execute(
            &format!("var s = document.getElementById('preview_brand'); s.value = '{}'; s.dispatchEvent(new Event('change', {{bubbles: true}}));", b.0),
            vec![],
        )
        .await
        .unwrap();
        let srcdoc = wait_srcdoc(&c, "border-top:4px solid #aa0033").await;
        assert!(srcdoc.contains(">Följ paketet</a>"), "{srcdoc}");

        click(&c, "#send-test").await;
        wait_text(&c, "#saved-notice", "anna@webshop.se").await;
        // The page after the test shows the preview it sent.
        let after = wait_srcdoc(&c, ">Följ paketet</a>").await;
        assert_eq!(after, srcdoc);
        srcdoc
    }
    .await;
    let _ = c.close().await;

    let mail = smtp.wait_for_mails(1).await.remove(0);
    assert_eq!(mail["to"], "anna@webshop.se", "{mail:#}");
    assert!(
        mail["from"].as_str().unwrap().starts_with("\"Outlet Kundservice\" <"),
        "sent as the brand shown: {mail:#}"
    );
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .ends_with("Ditt paket 00370712345678901234"),
        "{mail:#}"
    );
    assert_eq!(
        mail["html"].as_str().unwrap().replace("\r\n", "\n"),
        preview,
        "the test is the preview"
    );
    assert!(mail["text"].as_str().unwrap().contains("Följ paketet: "), "{mail:#}");
    // A test is no message of the tenant's: nothing in its log.
    let (_, log) = app.call("GET", "/v1/notifications", None).await;
    assert_eq!(log["notifications"], json!([]), "{log}");
}

/// The email preview's HTML once it contains `text`.
async fn wait_srcdoc(c: &fantoccini::Client, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let frame = c.find(Locator::Css("#preview-html-sv")).await.unwrap();
        let srcdoc = frame.attr("srcdoc").await.unwrap().unwrap_or_default();
        if srcdoc.contains(text) {
            return srcdoc;
        }
        let error = c
            .find(Locator::Css("#live-error"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "the preview never showed {text:?}: {srcdoc} {error}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn brands_are_added_in_the_portal_and_a_bad_colour_is_refused_keeping_what_was_typed() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = crate::portal::signed_in(&app, Role::Admin).await;
    let csrf = v.get("/portal/brand").await.csrf();
    let form = |colour: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", csrf.clone()),
            ("brand_name", "Outlet".into()),
            ("email_from_name", "Outlet".into()),
            ("sms_sender_id", "OutletSE".into()),
            ("colour", colour.into()),
            ("logo_id", String::new()),
        ]
    };
    let bad = form("purple");
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = v.post("/portal/brand/brands", &bad).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.body);
    assert!(
        page.body.contains("must be # and six hexadecimal digits"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"OutletSE\""),
        "what was typed stays: {}",
        page.body
    );
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brands"], json!([]), "{tenant}");

    let good = form("#AA0033");
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = v.post("/portal/brand/brands", &good).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brands"][0]["id"], 1, "{tenant}");
    assert_eq!(tenant["brands"][0]["brand"]["colour"], "#aa0033", "{tenant}");
    assert_eq!(tenant["brands"][0]["brand"]["sms_sender_id"], "OutletSE", "{tenant}");
    let page = v.get("/portal/rules/new").await;
    assert!(
        page.body.contains("<option value=\"1\" >Outlet</option>"),
        "a rule can pick it: {}",
        page.body
    );
    // A rule picks it in the rule editor, and goes back to the default brand.
    let rule = sms_rule(&app, "delivered", json!({})).await;
    let (_, before) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    let template = before["sms_template_id"].to_string();
    for (choice, expected) in [("1", json!(1)), ("", serde_json::Value::Null)] {
        let saved = v
            .post(
                &format!("/portal/rules/{rule}"),
                &[
                    ("csrf", &csrf),
                    ("name", "outlet"),
                    ("trigger", "delivered"),
                    ("channels", "sms"),
                    ("sms_template_id", &template),
                    ("recipient", "receiver"),
                    ("brand_id", choice),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let (_, after) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
        assert_eq!(after["brand_id"], expected, "{after}");
    }

    // The default brand's colour, set in the portal, stays when an API client that knows no
    // colour sets the brand; a colour that is not #rrggbb is refused saying so.
    let page = v
        .post(
            "/portal/brand",
            &[
                ("csrf", &csrf),
                ("brand_name", "Webshop AB"),
                ("email_from_name", "Webshop AB"),
                ("sms_sender_id", "Webshop"),
                ("default_language", "sv"),
                ("colour", "#123456"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let old_client = json!({"brand_name": "Webshop AB", "sms_sender_id": "Webshop", "email_from_name": "Webshop",
        "email_from_address": null, "reply_to": null, "customer_service_email": null,
        "customer_service_phone": null, "default_language": "sv"});
    let (status, brand) = app.call("PUT", "/v1/tenant/brand", Some(old_client.clone())).await;
    assert_eq!(status, StatusCode::OK, "{brand}");
    assert_eq!(brand["colour"], "#123456", "{brand}");
    let mut red = old_client;
    red["colour"] = json!("red");
    let (status, refused) = app.call("PUT", "/v1/tenant/brand", Some(red)).await;
    assert!(status.is_client_error(), "{status} {refused}");
    assert!(refused.to_string().contains("six hexadecimal digits"), "{refused}");
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brand"]["colour"], "#123456", "{tenant}");
}

#[tokio::test]
async fn every_brand_is_managed_over_the_api_and_only_the_tenants_own() {
    let app = spawn_app(Db::Postgres, None, None).await;
    let brand = |name: &str| {
        json!({"brand_name": name, "sms_sender_id": "OutletSE", "email_from_name": name,
            "email_from_address": null, "reply_to": null, "customer_service_email": "hej@outlet.example",
            "customer_service_phone": null, "default_language": "sv", "colour": "#AA0033"})
    };
    let (status, list) = app.call("GET", "/v1/brands", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["brands"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["brands"][0]["id"], 0, "{list}");
    assert_eq!(list["brands"][0]["default"], true, "{list}");

    let (status, created) = app.call("POST", "/v1/brands", Some(brand("Outlet"))).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["id"], 1, "{created}");
    assert_eq!(created["default"], false, "{created}");
    assert_eq!(created["brand"]["colour"], "#aa0033", "{created}");
    let mut bad = brand("Outlet");
    bad["sms_sender_id"] = json!("Outlet Sverige AB");
    let (status, refused) = app.call("POST", "/v1/brands", Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "sms_sender_id", "{refused}");
    let mut no_logo = brand("Outlet");
    no_logo["logo_id"] = json!(99);
    let (status, refused) = app.call("POST", "/v1/brands", Some(no_logo)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.to_string().contains("there is no logo 99"), "{refused}");

    // Changed without a colour: the colour stays. The default brand is brand 0.
    let mut renamed = brand("Outlet Nord");
    renamed.as_object_mut().unwrap().remove("colour");
    let (status, changed) = app.call("PUT", "/v1/brands/1", Some(renamed)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["brand"]["brand_name"], "Outlet Nord", "{changed}");
    assert_eq!(changed["brand"]["colour"], "#aa0033", "{changed}");
    let (_, one) = app.call("GET", "/v1/brands/1", None).await;
    assert_eq!(one["brand"]["brand_name"], "Outlet Nord", "{one}");
    let (status, changed) = app.call("PUT", "/v1/brands/0", Some(brand("Webshop Nord"))).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(tenant["brand"]["brand_name"], "Webshop Nord", "{tenant}");
    let (status, missing) = app.call("GET", "/v1/brands/7", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    let (status, missing) = app.call("PUT", "/v1/brands/7", Some(brand("X"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

    // Another tenant sees only its own default brand, and cannot reach brand 1.
    let other = add_tenant(&app.app, "Other AB").await;
    let (_, theirs) = app.call_as(&other, "GET", "/v1/brands", None).await;
    assert_eq!(theirs["brands"].as_array().unwrap().len(), 1, "{theirs}");
    assert_eq!(theirs["brands"][0]["brand"]["brand_name"], "Other AB", "{theirs}");
    for (method, body) in [("GET", None), ("PUT", Some(brand("Stolen"))), ("DELETE", None)] {
        let (status, answer) = app.call_as(&other, method, "/v1/brands/1", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}: {answer}");
    }
    let (_, one) = app.call("GET", "/v1/brands/1", None).await;
    assert_eq!(one["brand"]["brand_name"], "Outlet Nord", "{one}");

    // Removed: a rule that named it sends in the default brand and its history says so, and a
    // brand added later (which gets id 1 again) is not the rule's.
    let rule = sms_rule(&app, "delivered", json!({"brand_id": 1})).await;
    let (status, answer) = app.call("DELETE", "/v1/brands/0", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer.to_string().contains("cannot be removed"), "{answer}");
    let (status, _) = app.call("DELETE", "/v1/brands/1", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call("DELETE", "/v1/brands/1", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, after) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    assert_eq!(after["brand_id"], serde_json::Value::Null, "{after}");
    assert_eq!(after["enabled"], true, "{after}");
    let (_, history) = app.call("GET", &format!("/v1/rules/{rule}/history"), None).await;
    assert_eq!(
        history["history"].as_array().unwrap().len(),
        3,
        "created, enabled, brand gone: {history}"
    );
    let (_, again) = app.call("POST", "/v1/brands", Some(brand("Nytt"))).await;
    assert_eq!(again["id"], 1, "{again}");
    let (_, after) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    assert_eq!(after["brand_id"], serde_json::Value::Null, "{after}");

    // The operations are in the API's document.
    let (_, doc) = app.call("GET", "/openapi.json", None).await;
    for (path, methods) in [
        ("/v1/brands", ["get", "post"].as_slice()),
        ("/v1/brands/{id}", &["get", "put", "delete"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "{m} {path} documented");
        }
    }
}
