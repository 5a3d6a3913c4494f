//! Holidays and opening hours as a user meets them: `GET /v1/holidays` and `avisera holidays`,
//! a rule on working days only that waits past Trettondedag jul, a "days left" reminder that
//! counts the days the pickup point is open, and the hours on the tracking page. The clock is
//! the test's, on SQLite and PostgreSQL.

use crate::helpers::*;
use avisera::config::Role;
use avisera::delivery::worker::Worker;
use avisera_domain::FixedClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

/// Avisera on port 0 whose clock is `clock`, serving the API only: the test runs the worker
/// one step at a time.
async fn spawn_clocked(db: Db, clock: Arc<FixedClock>) -> (TestApp, Worker) {
    init();
    let config = avisera::config::Config {
        database_url: database_url(db).await.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: avisera::config::HttpUrl::parse("https://track.example.com").unwrap(),
        dev_inbox: true,
        delivery: test_delivery(),
        roles: vec![Role::Api],
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let mut app = avisera::server::build_app(config, store);
    app.clock = clock;
    let key = add_tenant(&app, "Helg AB").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    let worker = Worker {
        app: app.clone(),
        channels: avisera::server::channels(&app).unwrap(),
        name: "w".into(),
    };
    let test = TestApp {
        base,
        key,
        app,
        http: reqwest::Client::new(),
    };
    (test, worker)
}

/// An enabled SMS rule with this text and these settings.
async fn rule(app: &TestApp, text: &str, settings: Value) -> Value {
    let (status, template) = app
        .call(
            "POST",
            "/v1/templates",
            Some(json!({"name": text, "channel": "sms", "default_language": "sv", "contents": {"sv": {"text": text}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let mut body = json!({"name": text, "trigger": "delivered", "channels": "sms", "sms_template_id": template["id"]});
    body.as_object_mut()
        .unwrap()
        .extend(settings.as_object().unwrap().clone());
    let (status, rule) = app.call("POST", "/v1/rules", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{rule}");
    let id = rule["id"].as_i64().unwrap();
    let (status, enabled) = app.call("POST", &format!("/v1/rules/{id}/enable"), None).await;
    assert_eq!(status, StatusCode::OK, "{enabled}");
    enabled
}

async fn post_event(app: &TestApp, event: Value) -> Value {
    let (status, body) = app.call("POST", "/v1/events", Some(event)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    body
}

async fn notifications(app: &TestApp) -> Vec<Value> {
    let (_, body) = app.call("GET", "/v1/notifications?limit=100", None).await;
    body["notifications"].as_array().cloned().unwrap()
}

/// The texts of the messages, oldest first (the inbox shows the newest first).
fn texts(messages: &[Value]) -> Vec<&str> {
    messages.iter().rev().map(|m| m["text"].as_str().unwrap()).collect()
}

async fn a_rule_on_working_days_only_waits_past_a_swedish_holiday(db: Db) {
    // Wednesday 6 January 2027, Trettondedag jul, 10:00 in Stockholm.
    let clock = Arc::new(FixedClock::new("2027-01-06T09:00:00Z".parse().unwrap()));
    let (app, worker) = spawn_clocked(db, clock.clone()).await;
    let night = json!([{"channel": "sms", "from": "21:00", "until": "08:00"}]);
    let waits = rule(
        &app,
        "Levererat {{ tracking_number }} (vardag)",
        json!({"working_days_only": true, "quiet_hours": night}),
    )
    .await;
    assert_eq!(waits["working_days_only"], true, "{waits}");
    rule(
        &app,
        "Levererat {{ tracking_number }} (direkt)",
        json!({"quiet_hours": night}),
    )
    .await;

    let mut delivered = event("HELG1", "DELIVERED", "+46701234567");
    delivered["occurred_at"] = json!("2027-01-06T09:55:00+01:00");
    post_event(&app, delivered).await;
    worker.run_once().await.unwrap();
    assert_eq!(
        texts(&inbox(&app).await),
        ["Levererat HELG1 (direkt)"],
        "only the rule without the flag sends on the holiday"
    );
    let list = notifications(&app).await;
    let waiting = list.iter().find(|n| n["status"] == "scheduled").unwrap();
    assert_eq!(waiting["rule_id"], waits["id"]);
    assert_eq!(
        waiting["due_at"], "2027-01-07T07:00:00Z",
        "Thursday 08:00 in Stockholm, when quiet hours end"
    );

    // Still nothing a minute before; then it goes.
    clock.set("2027-01-07T06:59:00Z".parse().unwrap());
    worker.run_once().await.unwrap();
    assert_eq!(inbox(&app).await.len(), 1);
    clock.set("2027-01-07T07:00:00Z".parse().unwrap());
    worker.run_once().await.unwrap();
    assert_eq!(
        texts(&inbox(&app).await),
        ["Levererat HELG1 (direkt)", "Levererat HELG1 (vardag)"]
    );
}

#[tokio::test]
async fn a_rule_on_working_days_only_waits_past_a_swedish_holiday_sqlite() {
    a_rule_on_working_days_only_waits_past_a_swedish_holiday(Db::Sqlite).await;
}

#[tokio::test]
async fn a_rule_on_working_days_only_waits_past_a_swedish_holiday_postgres() {
    a_rule_on_working_days_only_waits_past_a_swedish_holiday(Db::Postgres).await;
}

async fn days_left_counts_the_days_the_pickup_point_is_open(db: Db) {
    // Thursday 3 December 2026; the parcel must be collected by Monday 7 December, 18:00.
    let clock = Arc::new(FixedClock::new("2026-12-03T09:00:00Z".parse().unwrap()));
    let (app, worker) = spawn_clocked(db, clock.clone()).await;
    rule(
        &app,
        "{{ days_left }} dagar kvar på {{ pickup_point_name }}.{% if pickup_point_open_today %} Öppet idag {{ pickup_point_open_today }}.{% endif %} Öppettider: {{ pickup_point_opening_hours }}",
        json!({"trigger": "days_left_at_pickup_point", "days_before_deadline": 2, "send_at_local": "18:00"}),
    )
    .await;
    let at_pickup_point = |tracking: &str, hours: &str| {
        let mut e = event(tracking, "AVAILABLE_FOR_DELIVERY_PAR_LOC", "+46701234567");
        e["occurred_at"] = json!("2026-12-03T09:30:00+01:00");
        e["pickup_point"] =
            json!({"name": "ICA Nära", "storage_deadline": "2026-12-07T18:00:00+01:00", "opening_hours": hours});
        e
    };
    // Closed on Sundays: "2 days left" goes on Friday evening, not on Saturday evening.
    let body = post_event(
        &app,
        at_pickup_point("OPEN1", "Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off"),
    )
    .await;
    assert_eq!(body["results"][0]["warnings"], json!([]), "{body}");
    // Hours that cannot be read are stored with a warning and count for nothing: Saturday.
    let body = post_event(&app, at_pickup_point("OPEN2", "Mon-Fri 9-20")).await;
    let warning = &body["results"][0]["warnings"][0];
    assert_eq!(warning["field"], "pickup_point.opening_hours", "{body}");
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .starts_with("at character 1: expected a day (Mo, Tu, We, Th, Fr, Sa, Su) or PH, found \"Mon\""),
        "{body}"
    );
    let due = |list: &[Value], tracking: &str| {
        let n = list.iter().find(|n| n["tracking_number"] == tracking).unwrap();
        n["due_at"].as_str().unwrap().to_string()
    };
    let list = notifications(&app).await;
    assert_eq!(due(&list, "OPEN1"), "2026-12-04T17:00:00Z", "Friday 18:00");
    assert_eq!(due(&list, "OPEN2"), "2026-12-05T17:00:00Z", "Saturday 18:00");

    clock.set("2026-12-04T17:00:00Z".parse().unwrap());
    worker.run_once().await.unwrap();
    assert_eq!(
        texts(&inbox(&app).await),
        ["2 dagar kvar på ICA Nära. Öppet idag 09:00-20:00. Öppettider: Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off"]
    );
    clock.set("2026-12-05T17:00:00Z".parse().unwrap());
    worker.run_once().await.unwrap();
    assert_eq!(
        texts(&inbox(&app).await)[1],
        "2 dagar kvar på ICA Nära. Öppettider: Mon-Fri 9-20"
    );
}

#[tokio::test]
async fn days_left_counts_the_days_the_pickup_point_is_open_sqlite() {
    days_left_counts_the_days_the_pickup_point_is_open(Db::Sqlite).await;
}

#[tokio::test]
async fn days_left_counts_the_days_the_pickup_point_is_open_postgres() {
    days_left_counts_the_days_the_pickup_point_is_open(Db::Postgres).await;
}

#[tokio::test]
async fn the_tracking_page_shows_the_week_of_opening_hours() {
    // Wednesday 23 December 2026, in Stockholm.
    let clock = Arc::new(FixedClock::new("2026-12-23T09:00:00Z".parse().unwrap()));
    let (app, worker) = spawn_clocked(Db::Sqlite, clock).await;
    rule(&app, "{{ tracking_link }}", json!({"trigger": "first_transport_event"})).await;
    let mut e = event("PAGE1", "EN_ROUTE", "+46701234567");
    e["occurred_at"] = json!("2026-12-23T09:30:00+01:00");
    e["pickup_point"] = json!({"name": "ICA Nära", "opening_hours": "Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off"});
    post_event(&app, e).await;
    worker.run_once().await.unwrap();
    let link = texts(&inbox(&app).await)[0].to_string();
    let path = link.trim().strip_prefix("https://track.example.com").unwrap();
    let page = app.page(path).await;
    let week = &page[page
        .find("<ul id=\"opening-hours\">")
        .unwrap_or_else(|| panic!("{page}"))..];
    // The page escapes "/" as an HTML entity; a browser shows it as "/".
    let week = week[..week.find("</ul>").unwrap()].replace("&#x2f;", "/");
    for day in [
        "<li>ons 23/12: 09:00-20:00</li>",
        "<li>tor 24/12: 09:00-20:00</li>",
        "<li>fre 25/12 (Juldagen): stängt</li>",
        "<li>lör 26/12 (Annandag jul): stängt</li>",
        "<li>sön 27/12: stängt</li>",
        "<li>mån 28/12: 09:00-20:00</li>",
    ] {
        assert!(week.contains(day), "{day} in {week}");
    }
}

#[tokio::test]
async fn holidays_are_listed_by_country_and_year() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let get = |query: &str| {
        let url = format!("{}/v1/holidays?{query}", app.base);
        let http = app.http.clone();
        async move {
            let resp = http.get(url).send().await.unwrap();
            (resp.status(), resp.json::<Value>().await.unwrap())
        }
    };
    let (status, se) = get("country=SE&year=2027").await;
    assert_eq!(status, StatusCode::OK, "{se}");
    assert_eq!((se["country"].clone(), se["year"].clone()), (json!("SE"), json!(2027)));
    let list = se["holidays"].as_array().unwrap();
    assert_eq!(
        list[0],
        json!({"date": "2027-01-01", "name": "Nyårsdagen", "de_facto": false})
    );
    assert_eq!(list.len(), 16);
    assert!(list.contains(&json!({"date": "2027-06-26", "name": "Midsommardagen", "de_facto": false})));
    assert!(list.contains(&json!({"date": "2027-06-25", "name": "Midsommarafton", "de_facto": true})));
    assert!(list.contains(&json!({"date": "2027-11-06", "name": "Alla helgons dag", "de_facto": false})));

    let bededag = |body: &Value| {
        body["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "Store bededag")
    };
    assert!(bededag(&get("country=dk&year=2023").await.1));
    assert!(!bededag(&get("country=DK&year=2024").await.1));
    let (_, fi) = get("country=FI&year=2027").await;
    assert!(
        fi["holidays"]
            .as_array()
            .unwrap()
            .contains(&json!({"date": "2027-06-26", "name": "Juhannuspäivä", "de_facto": false}))
    );

    let (status, body) = get("country=DE&year=2027").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "country");
    assert_eq!(
        body["error"]["message"],
        "country \"DE\": holidays are known for SE, NO, DK and FI"
    );
    let (status, body) = get("country=NO&year=1900").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "year", "{body}");
    for bad in ["year=2027", "country=SE&year=twenty", "country=SE&month=1"] {
        let (status, body) = get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
}

#[test]
fn the_command_line_prints_a_countrys_holidays() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_avisera"))
            .arg("holidays")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["SE", "2027"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 16);
    assert_eq!(text.lines().next(), Some("2027-01-01\tFri\tNyårsdagen"));
    assert!(text.contains("2027-12-24\tFri\tJulafton\tde facto\n"), "{text}");
    let json: Value = serde_json::from_slice(&run(&["no", "2027", "--json"]).stdout).unwrap();
    assert_eq!(json["country"], "NO");
    assert_eq!(
        json["holidays"][1],
        json!({"date": "2027-03-25", "name": "Skjærtorsdag", "de_facto": false})
    );
    let bad = run(&["SE", "1800"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8(bad.stderr).unwrap().contains("1955 to 2200"));
}

#[tokio::test]
async fn the_rule_editor_has_a_working_days_checkbox() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let rule = sms_rule(&app, "delivered", json!({})).await;
    let (_, before) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    assert_eq!(before["working_days_only"], false);
    let mut v = crate::portal::signed_in(&app, avisera_domain::user::Role::Editor).await;
    let page = v.get(&format!("/portal/rules/{rule}")).await;
    assert!(
        page.body.contains("Only on working days") && !page.body.contains("name=\"working_days_only\" checked"),
        "{}",
        page.body
    );
    let template = before["sms_template_id"].to_string();
    let csrf = page.csrf();
    let saved = v
        .post(
            &format!("/portal/rules/{rule}"),
            &[
                ("csrf", &csrf),
                ("name", "vardagar"),
                ("trigger", "delivered"),
                ("channels", "sms"),
                ("sms_template_id", &template),
                ("recipient", "receiver"),
                ("working_days_only", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (_, after) = app.call("GET", &format!("/v1/rules/{rule}"), None).await;
    assert_eq!(after["working_days_only"], true);
    let page = v.get(&format!("/portal/rules/{rule}")).await;
    assert!(
        page.body.contains("name=\"working_days_only\" checked"),
        "{}",
        page.body
    );
    let (_, history) = app.call("GET", &format!("/v1/rules/{rule}/history"), None).await;
    let last = history["history"].as_array().unwrap().last().unwrap().clone();
    assert!(last["detail"].as_str().unwrap().contains("working_days_only"), "{last}");
}
