//! Personal data over real HTTP: a receiver's data exported, then erased, after which no API
//! answer, portal page, CSV or link gives any of it back, their opt-out still holds and the
//! bill is the same to the öre; and the retention sweep erasing an old journey by itself.

use crate::helpers::*;
use crate::portal::signed_in;
use avisera_domain::FixedClock;
use avisera_domain::user::Role;
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NAME: &str = "Anna Bergström";
const PHONE: &str = "+46701234567";
const PHONE_AS_GIVEN: &str = "070-123 45 67";
const EMAIL: &str = "anna.bergstrom@example.se";
const STREET: &str = "Storgatan 12, Lund";

/// Every form of Anna's data that must not come back (the name's parts too).
const PERSONAL: [&str; 7] = [NAME, "Bergström", PHONE, PHONE_AS_GIVEN, "701234567", EMAIL, STREET];

fn annas(tracking: &str, code: &str) -> Value {
    json!({
        "tracking_number": tracking, "code": code, "occurred_at": "2026-11-25T14:05:00+01:00",
        "shipment": {
            "destination_country": "SE",
            "attributes": {"delivery_address": STREET},
            "receiver": { "name": NAME, "phone": PHONE_AS_GIVEN, "email": EMAIL, "language": "sv" }
        }
    })
}

fn bos(tracking: &str) -> Value {
    json!({
        "tracking_number": tracking, "code": "DELIVERED", "occurred_at": "2026-11-25T14:05:00+01:00",
        "shipment": { "destination_country": "SE",
            "receiver": { "name": "Bo Ek", "phone": "+46709876543", "email": "bo.ek@example.se", "language": "sv" } }
    })
}

#[track_caller]
fn assert_none_of_annas(what: &str, body: &str) {
    for personal in PERSONAL {
        assert!(
            !body.to_lowercase().contains(&personal.to_lowercase()),
            "{what} still holds {personal:?}:\n{body}"
        );
    }
}

async fn raw(app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = app
        .http
        .get(format!("{}{path}", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.text().await.unwrap())
}

async fn email_rule(app: &TestApp) {
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({
                "name": "delivered email", "channel": "email", "default_language": "sv",
                "contents": {"sv": {"subject": "Paket {{ tracking_number }} till {{ receiver_name }}",
                    "text": "Hej {{ receiver_name }}! Följ paketet: {{ tracking_link }}"}}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let (_, rule) = app
        .call(
            "POST",
            "/v1/rules",
            Some(json!({"name": "delivered mail", "trigger": "delivered", "channels": "email", "email_template_id": template["id"]})),
        )
        .await;
    let (status, enabled) = app
        .call("POST", &format!("/v1/rules/{}/enable", rule["id"]), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
}

fn path_of(link: &str) -> String {
    link.trim_matches(['<', '>']).replace("https://track.example.com", "")
}

#[tokio::test]
async fn erase_then_search_finds_nothing_while_the_opt_out_and_the_bill_hold() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let smtp = spawn_smtp_server().await;
    let app = spawn_app(Db::Postgres, Some(sms_config(&provider)), Some(smtp_config(&smtp))).await;
    sms_rule(&app, "delivered", json!({})).await;
    email_rule(&app).await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(json!([annas("AB1", "DELIVERED"), bos("BO1")])),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let settled = app.settled_notifications().await;
    assert_eq!(settled.len(), 4, "{settled:#?}");
    assert!(settled.iter().all(|n| n["status"] == "sent"), "{settled:#?}");
    let mails = smtp.wait_for_mails(2).await;
    let annas_mail = mails.iter().find(|m| m["to"] == EMAIL).expect("Anna's email");
    let text = annas_mail["text"].as_str().unwrap();
    let tracking_link = path_of(
        text[text.find("https://").unwrap()..]
            .split_whitespace()
            .next()
            .unwrap(),
    );
    let opt_out_link = path_of(annas_mail["list_unsubscribe"].as_str().unwrap());

    // Anna opts out by her email's one-click link.
    let done = app
        .http
        .post(format!("{}{opt_out_link}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status().as_u16(), 200);

    // The bill before (JSON and CSV; the CSV shows her number masked).
    let (_, bill_before) = app.call("GET", "/v1/bill", None).await;
    assert!(bill_before["total_ore"].as_i64().unwrap() > 0, "{bill_before}");
    let (_, csv_before) = raw(&app, "/v1/bill?format=csv").await;
    assert!(csv_before.contains("+46 70•••45 67"), "{csv_before}");
    assert_none_of_annas("the bill CSV", &csv_before);

    // Right of access: everything held about her, before it goes.
    let (status, export) = raw(&app, "/v1/privacy/export?email=anna.bergstrom%40example.se").await;
    assert_eq!(status, StatusCode::OK, "{export}");
    for held in [NAME, PHONE, EMAIL, STREET, "AB1", "opted_out_at"] {
        assert!(export.contains(held), "the export lacks {held}: {export}");
    }
    assert!(!export.contains("Bo Ek"), "{export}");
    let (status, posted) = app
        .call("POST", "/v1/privacy/export", Some(json!({"phone": PHONE_AS_GIVEN})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(posted["shipments"].as_array().unwrap().len(), 1, "{posted}");

    // A request that names nobody, or two people at once, is refused and erases nothing.
    for bad in [
        json!({}),
        json!({"phone": PHONE, "email": EMAIL}),
        json!({"phone": "not a number"}),
    ] {
        let (status, body) = app.call("POST", "/v1/privacy/erase", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(
            body["error"]["message"].as_str().is_some_and(|m| m.contains("phone")),
            "{body}"
        );
    }
    let (status, nobody) = app
        .call("POST", "/v1/privacy/erase", Some(json!({"email": "nobody@example.se"})))
        .await;
    assert_eq!((status, &nobody["erased"]), (StatusCode::OK, &json!(0)), "{nobody}");

    let (status, erased) = app
        .call("POST", "/v1/privacy/erase", Some(json!({"phone": "+46 70 123 45 67"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["erased"], 1, "{erased}");
    assert_eq!(
        erased["opt_outs_kept"], 2,
        "her phone's and her email's opt-out: {erased}"
    );

    // Nothing in the database holds any of it: no table, no dedupe key, no opt-out.
    let dump = std::process::Command::new("pg_dump")
        .args(["--data-only", app.app.config.database_url.as_str()])
        .output()
        .expect("pg_dump");
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(dump.contains("Bo Ek"), "the dump holds the other receiver's data");
    assert_none_of_annas("the database", &dump);

    // No API answer holds any of it.
    let (_, list) = raw(&app, "/v1/notifications?limit=1000").await;
    assert_none_of_annas("the notification list", &list);
    let list: Value = serde_json::from_str(&list).unwrap();
    for n in list["notifications"].as_array().unwrap() {
        let (_, one) = raw(&app, &format!("/v1/notifications/{}", n["id"])).await;
        assert_none_of_annas("a notification", &one);
    }
    let (status, shipment) = raw(&app, "/v1/shipments/AB1").await;
    assert_eq!(status, StatusCode::OK, "the journey is still there");
    assert_none_of_annas("the shipment", &shipment);
    for query in [
        "email=anna.bergstrom%40example.se",
        "phone=%2B46701234567",
        "tracking_number=AB1",
    ] {
        let (status, export) = raw(&app, &format!("/v1/privacy/export?{query}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_none_of_annas("the export", &export);
    }
    let (_, csv_after) = raw(&app, "/v1/bill?format=csv").await;
    assert_none_of_annas("the bill CSV", &csv_after);
    assert!(!csv_after.contains("+46 70•••45 67"), "{csv_after}");
    // The bill is the same to the öre.
    let (_, bill_after) = app.call("GET", "/v1/bill", None).await;
    assert_eq!(bill_after, bill_before);
    let lines = |csv: &str| csv.split("\n\n").next().unwrap().to_string();
    assert_eq!(lines(&csv_after), lines(&csv_before));

    // Nor does any portal page: Track & Trace by name, phone, email or tracking number, the
    // shipment, the log, the suppressions.
    let mut v = signed_in(&app, Role::Admin).await;
    for (q, typed) in [
        ("Bergstr%C3%B6m", "Bergström"),
        ("Anna", "Anna"),
        ("%2B46701234567", PHONE),
        ("070-1234567", "070-1234567"),
        ("anna.bergstrom%40example.se", EMAIL),
    ] {
        let page = v.get(&format!("/portal/track?q={q}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("AB1"),
            "searching {q} still finds her parcel: {}",
            page.body
        );
        // The search box shows what was typed; nothing else may hold her data.
        let answer = page.body.replace(&format!("value=\"{typed}\""), "");
        assert_none_of_annas("a Track & Trace search", &answer);
    }
    let found = v.get("/portal/track?q=AB1").await;
    assert_eq!(
        found.location.as_deref(),
        Some("/portal/track/AB1"),
        "the journey is still found"
    );
    for path in ["/portal/track/AB1", "/portal/log", "/portal/suppressions"] {
        let page = v.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_none_of_annas(path, &page.body);
    }
    assert!(v.get("/portal/track/AB1").await.body.contains("AB1"));
    // The links in her messages name nothing of her any more.
    assert_none_of_annas("the tracking page", &app.page(&tracking_link).await);
    assert_none_of_annas("the opt-out page", &app.page(&opt_out_link).await);
    // Bo keeps his.
    let (_, bo) = raw(&app, "/v1/privacy/export?email=bo.ek%40example.se").await;
    assert!(bo.contains("Bo Ek") && bo.contains("BO1"), "{bo}");

    // Her opt-out still holds for a new parcel to the same phone and email.
    let sent_before = provider.log.lock().unwrap().requests.len();
    app.call("POST", "/v1/events", Some(annas("AB3", "DELIVERED"))).await;
    let list = app.settled_notifications().await;
    let new: Vec<&Value> = list.iter().filter(|n| n["tracking_number"] == "AB3").collect();
    assert_eq!(new.len(), 2, "{list:#?}");
    for n in new {
        assert_eq!(n["status"], "cancelled", "{n}");
        assert!(n["reason"].as_str().unwrap().contains("opted out"), "{n}");
    }
    assert_eq!(
        provider.log.lock().unwrap().requests.len(),
        sent_before,
        "no SMS went out"
    );
    assert_eq!(smtp.mails().len(), 2, "no email went out");

    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("avisera_privacy_erased_total{reason=\"request\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_retention_sweep_erases_a_journey_past_retention_days_and_keeps_a_newer_one() {
    let clock = Arc::new(FixedClock::new("2026-05-04T10:00:00Z".parse().unwrap()));
    let app = spawn_app_at(Db::Sqlite, clock.clone()).await;
    sms_rule(&app, "delivered", json!({})).await;
    let mut old = annas("OLD1", "DELIVERED");
    old["occurred_at"] = json!("2026-05-04T09:00:00Z");
    app.call("POST", "/v1/events", Some(old)).await;
    app.settled_notifications().await;
    let (_, bill_before) = app.call("GET", "/v1/bill?month=2026-05", None).await;
    clock.advance(SignedDuration::from_hours(24 * 100));
    let mut newer = bos("NEW1");
    newer["occurred_at"] = json!("2026-08-12T09:00:00Z");
    app.call("POST", "/v1/events", Some(newer)).await;
    app.settled_notifications().await;
    let (_, shipment) = raw(&app, "/v1/shipments/OLD1").await;
    assert!(
        shipment.contains(NAME),
        "not yet: 100 days are within retention: {shipment}"
    );

    // 181 days after the old journey's last event: the next upkeep sweeps it.
    clock.advance(SignedDuration::from_hours(24 * 81));
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, shipment) = raw(&app, "/v1/shipments/OLD1").await;
        if !shipment.contains(NAME) {
            break;
        }
        assert!(Instant::now() < deadline, "the sweep did not run: {shipment}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for path in [
        "/v1/shipments/OLD1",
        "/v1/notifications?limit=1000",
        "/v1/privacy/export?tracking_number=OLD1",
        "/v1/bill?month=2026-05&format=csv",
    ] {
        let (status, body) = raw(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_none_of_annas(path, &body);
    }
    let (_, bo) = raw(&app, "/v1/shipments/NEW1").await;
    assert!(bo.contains("Bo Ek"), "81 days old: kept: {bo}");
    let (_, bill_after) = app.call("GET", "/v1/bill?month=2026-05", None).await;
    assert_eq!(bill_after, bill_before);
    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("avisera_privacy_erased_total{reason=\"retention\"} 1"),
        "{metrics}"
    );
}

fn cli(database_url: &str, secret: Option<&str>, args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_avisera"));
    cmd.env_remove("AVISERA_CONFIG")
        .env_remove("AVISERA_LINK_SECRET")
        .env("AVISERA_DATABASE_URL", database_url)
        .args(args);
    if let Some(s) = secret {
        cmd.env("AVISERA_LINK_SECRET", s);
    }
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_exports_and_erases_one_person_and_says_what_to_fix() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    app.call("POST", "/v1/events", Some(annas("AB1", "DELIVERED"))).await;
    app.settled_notifications().await;
    let db = app.app.config.database_url.as_str().to_string();
    let secret = Some("cli-test-secret-0123456789abcdefghijklmnop");

    let (ok, out, err) = cli(&db, None, &["privacy", "export", "--tenant", "1", "--email", EMAIL]);
    assert!(ok, "{err}");
    let export: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        export["shipments"][0]["shipment"]["details"]["receiver_name"], NAME,
        "{out}"
    );

    let (ok, _, err) = cli(
        &db,
        secret,
        &["privacy", "erase", "--tenant", "1", "--phone", PHONE, "--email", EMAIL],
    );
    assert!(!ok && err.contains("cannot be used with"), "{err}");
    let (ok, _, err) = cli(&db, None, &["privacy", "erase", "--tenant", "1", "--phone", PHONE]);
    assert!(!ok && err.contains("link_secret"), "{err}");
    let (ok, _, err) = cli(&db, secret, &["privacy", "erase", "--tenant", "1", "--phone", "hello"]);
    assert!(!ok && err.contains("phone"), "{err}");
    let (_, shipment) = raw(&app, "/v1/shipments/AB1").await;
    assert!(shipment.contains(NAME), "a refused erase erases nothing: {shipment}");

    let (ok, out, err) = cli(
        &db,
        secret,
        &["privacy", "erase", "--tenant", "1", "--tracking-number", "AB1"],
    );
    assert!(ok, "{err}");
    let erased: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(erased["shipments"], 1, "{out}");
    let (_, shipment) = raw(&app, "/v1/shipments/AB1").await;
    assert_none_of_annas("the shipment", &shipment);
    let (ok, out, _) = cli(&db, None, &["privacy", "export", "--tenant", "1", "--email", EMAIL]);
    assert!(ok);
    assert_none_of_annas("the export", &out);
}

#[tokio::test]
async fn in_a_real_browser_erase_then_search_finds_nothing_of_the_person() {
    use crate::browser::{browser, click, fill, screenshot, start_driver, wait_text};
    // Typed into the search box once, to be sure the form searches as its URL does.
    use fantoccini::Locator;
    let driver = start_driver().await;
    let app = spawn_app(Db::Sqlite, None, None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(json!([annas("ERASE1", "DELIVERED"), bos("BO2")])),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let password = crate::portal::add_user(&app, 1, "admin@webshop.se", Role::Admin).await;
    let c = browser(&driver).await;
    let base = app.base.clone();
    async {
        c.goto(&format!("{base}/portal/login")).await.unwrap();
        fill(&c, "#email", "admin@webshop.se").await;
        fill(&c, "#password", &password).await;
        click(&c, "button[type=submit]").await;
        wait_text(&c, "h1", "Overview").await;
        let search = |q: &'static str| {
            let c = c.clone();
            let base = base.clone();
            async move {
                // The search box's own URL (one match opens that shipment's page).
                c.goto(&format!("{base}/portal/track?q={}", q.replace(' ', "+")))
                    .await
                    .unwrap();
                c.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
            }
        };
        c.goto(&format!("{base}/portal/track")).await.unwrap();
        fill(&c, "#q", "Bergström").await;
        click(&c, "#search").await;
        wait_text(&c, "main", "ERASE1").await;
        // Before: her name and her phone (written without +) find her parcel.
        assert!(search("Bergström").await.contains("ERASE1"));
        assert!(search("46701234567").await.contains("ERASE1"));

        let (status, erased) = app
            .call("POST", "/v1/privacy/erase", Some(json!({"phone": PHONE})))
            .await;
        assert_eq!(status, StatusCode::OK, "{erased}");
        assert_eq!(erased["shipments"], 1, "{erased}");

        // After: neither finds anything, and her parcel's own page shows nothing of her.
        for q in ["Bergström", "46701234567", "anna.bergstrom"] {
            let page = search(q).await;
            assert!(!page.contains("ERASE1"), "{q} still finds her parcel: {page}");
            assert_none_of_annas(q, &page);
        }
        let page = search("ERASE1").await;
        assert!(page.contains("ERASE1"), "the journey stays: {page}");
        assert_none_of_annas("the search by tracking number", &page);
        c.goto(&format!("{base}/portal/track/ERASE1")).await.unwrap();
        wait_text(&c, "h1", "ERASE1").await;
        let shipment = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
        assert_none_of_annas("her parcel's page", &shipment);
        screenshot(&c, "privacy-after-erase").await;
        // Bo, who was not erased, is still found.
        assert!(search("Bo Ek").await.contains("BO2"));
    }
    .await;
    let _ = c.close().await;
}
