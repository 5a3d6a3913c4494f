//! Issue 16, what a shipper writing its messages expects of the template and rule editors: a
//! warning naming a value some shipments lack ("är på väg med ."), with the guard to write and a
//! `default` that works; SMS and subject lengths in characters; the preview in the brand the
//! rule sends in.

use crate::helpers::*;
use crate::portal::{Visitor, signed_in};
use avisera_core::tenants;
use avisera_domain::TenantId;
use avisera_domain::colour::Colour;
use avisera_domain::tenant::Brand;
use avisera_domain::user::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The live preview's answer for an SMS (or email) template typed in Swedish.
async fn live(v: &mut Visitor, csrf: &str, fields: &[(&str, &str)]) -> Value {
    let mut form = vec![("csrf", csrf), ("name", "t"), ("default_language", "sv")];
    form.extend_from_slice(fields);
    let page = v.post("/portal/templates/preview", &form).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    serde_json::from_str(&page.body).unwrap()
}

#[tokio::test]
async fn the_editor_names_a_value_that_may_be_missing_and_counts_long_messages_in_the_readers_language() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let mut v = signed_in(&app, Role::Editor).await;
    v.get("/portal/lang?to=sv&back=/portal").await;
    let csrf = v.get("/portal/templates/new").await.csrf();

    let bare = "Hej! Ditt paket {{ tracking_number }} är på väg med {{ carrier }}.";
    let p = live(&mut v, &csrf, &[("channel", "sms"), ("text_sv", bare)]).await;
    let advice = p["advice_lines"]["sv"].as_array().unwrap_or_else(|| panic!("{p}"));
    assert_eq!(advice.len(), 1, "{p}");
    let said = advice[0].as_str().unwrap();
    assert!(
        said.starts_with("Kan vara tomt för vissa försändelser: {{ carrier }}."),
        "{said}"
    );
    assert!(
        said.contains("{% if carrier %}…{{ carrier }}…{% endif %}") && said.contains("{{ carrier|default(\"…\") }}"),
        "the guards to write: {said}"
    );

    // Guarded either way: no warning. Always-known values never get one.
    for guarded in [
        "Ditt paket {{ tracking_number }} är på väg{% if carrier %} med {{ carrier }}{% endif %}. {{ tracking_link }}",
        "Ditt paket {{ tracking_number }} är på väg med {{ carrier|default('budet') }}. /{{ brand_name }}",
    ] {
        let p = live(&mut v, &csrf, &[("channel", "sms"), ("text_sv", guarded)]).await;
        assert_eq!(p["advice_lines"], json!({}), "{guarded}: {p}");
    }

    // An SMS past one segment: characters, segments and what one SMS holds, in Swedish.
    let long = format!("Hej {{{{ receiver_name }}}}! {}", "a".repeat(150));
    let p = live(&mut v, &csrf, &[("channel", "sms"), ("text_sv", &long)]).await;
    let advice = p["advice_lines"]["sv"].to_string();
    assert!(
        advice.contains("är detta sms 170 tecken i 2 delar (GSM-7: ett sms rymmer 160)"),
        "{p}"
    );
    assert_eq!(p["languages"]["sv"]["segments"], 2, "the counter agrees: {p}");
    // The live price as Swedish writes amounts (decimal comma, kr), not the API's "1.50".
    let ore = p["languages"]["sv"]["price_ore"]
        .as_i64()
        .unwrap_or_else(|| panic!("{p}"));
    assert!(ore > 0, "{p}");
    assert_eq!(
        p["prices"]["sv"],
        json!(format!("{},{:02}\u{a0}kr", ore / 100, ore % 100)),
        "{p}"
    );
    let ucs2 = "Hej {{ receiver_name }}! Ditt paket 📦 är här, välkommen – hämta det på Torget.";
    let p = live(&mut v, &csrf, &[("channel", "sms"), ("text_sv", ucs2)]).await;
    let advice = p["advice_lines"]["sv"].to_string();
    assert!(advice.contains("i 2 delar (UCS-2: ett sms rymmer 70)"), "{p}");
    assert!(
        advice.contains("De här tecknen gör det till UCS-2, där ett sms rymmer 70 i stället för 160: 📦 –"),
        "{p}"
    );
    let short = "Hej! Paketet {{ tracking_number }} har kommit.";
    let p = live(&mut v, &csrf, &[("channel", "sms"), ("text_sv", short)]).await;
    assert_eq!(p["advice_lines"], json!({}), "one segment, nothing to say: {p}");

    // An email subject longer than inboxes show.
    let subject = "Ditt paket {{ tracking_number }} från {{ brand_name }} är nu på väg till utlämningsstället";
    let p = live(
        &mut v,
        &csrf,
        &[("channel", "email"), ("subject_sv", subject), ("text_sv", "Hej!")],
    )
    .await;
    assert_eq!(
        p["advice_lines"]["sv"],
        json!([
            "Ämnesraden är 83 tecken för exempelförsändelsen; inkorgar visar ungefär 78, så slutet kan klippas bort."
        ]),
        "{p}"
    );

    // Saved, the editor says it without JavaScript too, and the rule editor for its rule.
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "på väg", "channel": "sms", "default_language": "sv",
                "contents": {"sv": {"text": bare}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let id = template["id"].as_i64().unwrap();
    let page = v.get(&format!("/portal/templates/{id}")).await;
    assert!(
        page.body.contains("id=\"advice-sv\"")
            && page
                .body
                .contains("Kan vara tomt för vissa försändelser: {{ carrier }}."),
        "{}",
        page.body
    );
    let (status, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "på väg", "trigger": "delivered", "channels": "sms", "sms_template_id": id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let page = v.get(&format!("/portal/rules/{}", rule["id"])).await;
    assert!(page.body.contains("id=\"template-advice\""), "{}", page.body);
    assert!(
        page.body
            .contains("sv: Kan vara tomt för vissa försändelser: {{ carrier }}."),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn default_fills_in_what_a_real_shipment_lacks() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), None).await;
    let text = "Paketet {{ tracking_number }} är på väg med {{ carrier|default('budet') }}.";
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "på väg", "channel": "sms", "default_language": "sv",
                "contents": {"sv": {"text": text}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let (status, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "levererat", "trigger": "delivered", "channels": "sms", "sms_template_id": template["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let (status, body) = app
        .call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(event("NO-CARRIER-1", "DELIVERED", "+46701234567")),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let sms = loop {
        if let Some(r) = provider.log.lock().unwrap().requests.first().cloned() {
            break r;
        }
        assert!(Instant::now() < deadline, "no SMS reached the provider");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        sms["text"]
            .as_str()
            .unwrap()
            .starts_with("Paketet NO-CARRIER-1 är på väg med budet."),
        "{sms}"
    );
}

#[tokio::test]
async fn the_preview_is_in_the_brand_the_rule_sends_in_or_the_one_picked() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let store = app.app.store.as_ref();
    let tenant = store.tenant(TenantId(1)).await.unwrap().unwrap();
    let mut outlet = Brand::named("Outlet");
    outlet.colour = Colour::parse("#AA0033").unwrap();
    let b = tenants::save_other_brand(store, &tenant, None, outlet).await.unwrap();
    let default_name = tenant.brand.brand_name.clone();

    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(
                json!({"name": "levererat", "channel": "email", "default_language": "sv",
                "contents": {"sv": {"subject": "Levererat", "blocks": [
                    {"kind": "text", "text": "Ditt paket från {{ brand_name }} är levererat."}]}}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let id = template["id"].as_i64().unwrap();
    let mut v = signed_in(&app, Role::Editor).await;
    let blocks = r#"[{"kind":"text","text":"Ditt paket från {{ brand_name }} är levererat."}]"#;
    let form = |csrf: &str, brand: Option<&str>| {
        let mut f = vec![
            ("csrf".to_string(), csrf.to_string()),
            ("name".into(), "levererat".into()),
            ("default_language".into(), "sv".into()),
            ("subject_sv".into(), "Levererat".into()),
            ("blocks_sv".into(), blocks.into()),
            ("action".into(), "preview".into()),
        ];
        if let Some(b) = brand {
            f.push(("preview_brand".into(), b.into()));
        }
        f
    };
    async fn preview_html(v: &mut Visitor, id: i64, form: Vec<(String, String)>) -> String {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let page = v.post(&format!("/portal/templates/{id}"), &form).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        page.body
    }

    // No rule uses it: the default brand, and the choice lists every brand.
    let page = v.get(&format!("/portal/templates/{id}")).await;
    assert!(page.body.contains("id=\"preview_brand\""), "{}", page.body);
    assert!(page.body.contains("<option value=\"0\" selected>"), "{}", page.body);
    let csrf = page.csrf();
    let body = preview_html(&mut v, id, form(&csrf, None)).await;
    assert!(
        body.contains(&format!("Ditt paket från {default_name} är levererat.")),
        "{body}"
    );

    // A rule in Outlet uses it: the editor opens in Outlet, and the preview shows Outlet.
    let (status, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "outlet", "trigger": "delivered", "channels": "email",
                "email_template_id": id, "brand_id": b.0})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let page = v.get(&format!("/portal/templates/{id}")).await;
    assert!(
        page.body
            .contains(&format!("<option value=\"{}\" selected>Outlet</option>", b.0)),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!("name=\"rule\" value=\"{}\"", rule["id"])),
        "{}",
        page.body
    );
    let body = preview_html(&mut v, id, form(&csrf, Some(&b.0.to_string()))).await;
    assert!(body.contains("Ditt paket från Outlet är levererat."), "{body}");
    assert!(body.contains("border-top:4px solid #aa0033"), "Outlet's colour: {body}");
    // Picking the default brand shows it again; the live preview follows the choice too.
    let body = preview_html(&mut v, id, form(&csrf, Some("0"))).await;
    assert!(
        body.contains(&format!("Ditt paket från {default_name} är levererat.")),
        "{body}"
    );
    let mut live = form(&csrf, Some(&b.0.to_string()));
    live.push(("channel".into(), "email".into()));
    let live: Vec<(&str, &str)> = live.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let page = v.post("/portal/templates/preview", &live).await;
    let p: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(p["brand_id"], b.0, "{p}");
    assert!(
        p["languages"]["sv"]["html"]
            .as_str()
            .unwrap()
            .contains("Ditt paket från Outlet är levererat."),
        "{p}"
    );
}

#[tokio::test]
async fn a_test_of_an_sms_template_goes_to_the_users_own_phone_billed_and_marked_as_a_test() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), None).await;
    let text = "Hej {{ receiver_name }}! Paketet {{ tracking_number }} har kommit. /{{ brand_name }}";
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": "kommit", "channel": "sms", "default_language": "sv",
                "contents": {"sv": {"text": text}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let id = template["id"].as_i64().unwrap();
    let mut v = signed_in(&app, Role::Editor).await;
    let page = v.get(&format!("/portal/templates/{id}")).await;
    assert!(
        page.body.contains("id=\"send-test\""),
        "an SMS template can be tested: {}",
        page.body
    );
    let csrf = page.csrf();
    let test = [
        ("csrf", csrf.as_str()),
        ("name", "kommit"),
        ("default_language", "sv"),
        ("text_sv", text),
        ("action", "test"),
    ];

    // No phone yet: a clear message with the way to add one, and nothing sent.
    let page = v.post(&format!("/portal/templates/{id}"), &test).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("To get a test SMS, add your mobile number on your account page."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<a id=\"add-phone\" href=\"/portal/account#phone\">"),
        "{}",
        page.body
    );
    assert!(provider.log.lock().unwrap().requests.is_empty());

    // The own number, checked as any phone: a landline or nonsense is refused, saying why.
    let account = v.get("/portal/account").await;
    assert!(account.body.contains("id=\"phone_number\""), "{}", account.body);
    for bad in ["12", "08-123 456 78"] {
        let page = v
            .post("/portal/account/phone", &[("csrf", &csrf), ("phone", bad)])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {}", page.body);
        assert!(page.body.contains("id=\"phone-error\""), "{}", page.body);
        assert!(
            page.body.contains(&format!("value=\"{bad}\"")),
            "what was typed stays: {}",
            page.body
        );
    }
    let saved = v
        .post("/portal/account/phone", &[("csrf", &csrf), ("phone", "070-123 45 67")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let account = v.get(saved.location.as_deref().unwrap()).await;
    assert!(account.body.contains("id=\"phone-saved\""), "{}", account.body);
    assert!(account.body.contains("value=\"+46701234567\""), "{}", account.body);

    // Sent: the preview's very text, under the brand's sender id, to the user's phone.
    let page = v.post(&format!("/portal/templates/{id}"), &test).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("A test SMS is on its way to +46701234567."),
        "{}",
        page.body
    );
    let previewed = "Hej Anna Andersson! Paketet 00370712345678901234 har kommit. /Webshop AB";
    let shown = previewed.replace('/', "&#x2f;");
    assert!(page.body.contains(&shown), "the preview: {}", page.body);
    let deadline = Instant::now() + Duration::from_secs(20);
    let sms = loop {
        if let Some(r) = provider.log.lock().unwrap().requests.first().cloned() {
            break r;
        }
        assert!(Instant::now() < deadline, "no SMS reached the provider");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(sms["to"], "+46701234567", "{sms}");
    assert_eq!(sms["text"], previewed, "{sms}");
    let (_, tenant) = app.call("GET", "/v1/tenant", None).await;
    assert_eq!(sms["from"], tenant["brand"]["sms_sender_id"], "{sms}");

    // In the log and on the bill as what it is: a test, billed as one SMS.
    let settled = app.settled_notifications().await;
    assert_eq!(settled.len(), 1, "{settled:#?}");
    assert_eq!(settled[0]["status"], "sent", "{settled:#?}");
    assert_eq!(settled[0]["tracking_number"], "TEST", "{settled:#?}");
    let month = app
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").unwrap())
        .strftime("%Y-%m")
        .to_string();
    let (_, bill) = app.call("GET", &format!("/v1/bill?month={month}"), None).await;
    let sms_line = bill["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "sms")
        .cloned();
    assert_eq!(sms_line.map(|l| l["amount_ore"].clone()), Some(json!(75)), "{bill:#}");
    let log = v.get("/portal/log").await;
    assert!(
        log.body.contains("Test of a template<br><small class=\"sent-by\">"),
        "the log says what it is and who sent it: {}",
        log.body
    );
    assert!(log.body.contains("editor@webshop.se</small>"), "{}", log.body);
}
