//! Clicks, views and the numbers end to end: SMS sent through a provider played by a real
//! HTTP server, their receipts posted signed, their tracking links visited by a person, a
//! preview bot and a HEAD request; the numbers of `GET /v1/stats` in JSON and CSV match what
//! was sent, bad parameters get a clear 422, and one tenant's numbers never hold another's.

use crate::helpers::*;
use crate::portal::signed_in;
use crate::receipts::{RECEIPTS_SECRET, post_receipts};
use avisera_domain::user::Role;
use avisera_domain::{ShipmentId, TenantId, Timestamp};
use reqwest::StatusCode;
use serde_json::{Value, json};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
const SLACK: &str = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)";

async fn app_with_provider(provider: &SmsProvider) -> TestApp {
    spawn_app_configured(Db::Sqlite, Some(sms_config(provider)), None, |c| {
        c.receipts_secret = Some(RECEIPTS_SECRET.to_string().into());
    })
    .await
}

/// An enabled "delivered" SMS rule whose text carries the tracking link, for the tenant of `key`.
async fn link_rule(app: &TestApp, key: &str) {
    let (status, t) = app
        .call_as(
            key,
            "POST",
            "/v1/templates",
            Some(json!({"name": "t", "channel": "sms", "default_language": "sv",
                "contents": {"sv": {"text": "Levererat! Spåra: {{ tracking_link }}"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let (status, r) = app
        .call_as(
            key,
            "POST",
            "/v1/rules",
            Some(json!({"name": "r", "trigger": "delivered", "channels": "sms", "sms_template_id": t["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let (status, e) = app
        .call_as(key, "POST", &format!("/v1/rules/{}/enable", r["id"]), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{e}");
}

/// Posts a delivered event for each tracking number (carrier PostNord) as the tenant of
/// `key` and waits until their SMS are sent; returns them by tracking number.
async fn send(app: &TestApp, key: &str, trackings: &[&str]) -> Vec<Value> {
    for (i, tracking) in trackings.iter().enumerate() {
        let mut e = event(tracking, "DELIVERED", &format!("+4670123456{i}"));
        e["shipment"]["carrier"] = json!("PostNord");
        let (status, body) = app.call_as(key, "POST", "/v1/events", Some(e)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }
    let list = wait_settled(&app.http, &app.base, key).await;
    trackings
        .iter()
        .map(|t| {
            let n = list
                .iter()
                .find(|n| n["tracking_number"] == *t)
                .cloned()
                .unwrap_or_else(|| panic!("no notification for {t}: {list:#?}"));
            assert_eq!(n["status"], "sent", "{n}");
            n
        })
        .collect()
}

/// The path of the tracking link in a sent SMS.
fn link_of(n: &Value) -> String {
    let text = n["message"]["text"].as_str().expect("an SMS text");
    let start = text
        .find("https://track.example.com")
        .unwrap_or_else(|| panic!("no link in {text}"));
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    link.replace("https://track.example.com", "")
}

async fn visit(app: &TestApp, method: &str, path: &str, agent: &str) -> u16 {
    app.http
        .request(method.parse().unwrap(), format!("{}{path}", app.base))
        .header("user-agent", agent)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.call("GET", path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn at(v: &Value) -> Timestamp {
    v.as_str().expect("an instant").parse().expect("an RFC 3339 instant")
}

#[tokio::test]
async fn stats_count_a_link_visit_once_per_visit_for_its_notification_and_not_for_a_preview_bot_or_head() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = app_with_provider(&provider).await;
    link_rule(&app, &app.key).await;
    let sent = send(&app, &app.key, &["CLICK1", "CLICK2"]).await;
    let path = link_of(&sent[0]);
    let parts: Vec<&str> = path.split('/').collect();
    assert_eq!(parts.len(), 6, "/s/tenant/shipment/token/code: {path}");
    assert!(!path.contains("4670"), "no phone number in the link: {path}");
    let one = format!("/v1/notifications/{}", sent[0]["id"]);
    let other = format!("/v1/notifications/{}", sent[1]["id"]);

    // A link preview and a HEAD request see the page but count nothing.
    assert_eq!(visit(&app, "GET", &path, SLACK).await, 200);
    assert_eq!(visit(&app, "GET", &path, "WhatsApp/2.23.20.0 A").await, 200);
    assert_eq!(visit(&app, "HEAD", &path, IPHONE).await, 200);
    assert_eq!(get(&app, &one).await["link_visits"], Value::Null);

    assert_eq!(visit(&app, "GET", &path, IPHONE).await, 200);
    let first = get(&app, &one).await["link_visits"].clone();
    assert_eq!(first["count"], 1, "{first}");
    assert_eq!(visit(&app, "GET", &path, IPHONE).await, 200);
    let second = get(&app, &one).await["link_visits"].clone();
    assert_eq!(second["count"], 2, "{second}");
    assert_eq!(second["first_at"], first["first_at"], "the first visit's time is kept");
    assert!(at(&second["last_at"]) >= at(&first["first_at"]));
    assert_eq!(
        get(&app, &other).await["link_visits"],
        Value::Null,
        "another notification's visit"
    );

    // The shipment's own link (no notification code) and the first form count for the page
    // only; a forged code shows the page and counts for no notification.
    let shipment_link = parts[..5].join("/");
    assert_eq!(visit(&app, "GET", &shipment_link, IPHONE).await, 200);
    assert_eq!(
        visit(&app, "GET", &format!("{shipment_link}/zzzzzzzz"), IPHONE).await,
        200
    );
    assert_eq!(get(&app, &one).await["link_visits"]["count"], 2);
    let shipment: i64 = parts[3].parse().unwrap();
    let views = app
        .app
        .store
        .page_views(TenantId(1), ShipmentId(shipment))
        .await
        .unwrap()
        .expect("page views");
    assert_eq!(views.count, 4, "two link visits, the shipment link, the forged code");
    // A link altered in its token is not found and counts nothing.
    assert_eq!(
        visit(
            &app,
            "GET",
            &format!("/s/1/{shipment}/{}x/{}", parts[4], parts[5]),
            IPHONE
        )
        .await,
        404
    );

    let metrics = app.page("/metrics").await;
    for line in [
        "avisera_tracking_visits_total{counted=\"link_visit\"} 2",
        "avisera_tracking_visits_total{counted=\"page_view\"} 2",
        "avisera_tracking_visits_total{counted=\"not_counted\"} 3",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    let stats = get(&app, "/v1/stats?group=channel").await;
    assert_eq!(stats["groups"][0]["group"], "sms", "{stats}");
    assert_eq!(stats["groups"][0]["clicked"], 1, "{stats}");
    assert_eq!(stats["groups"][0]["clicked_share"], 0.5, "{stats}");
}

#[tokio::test]
async fn stats_after_real_sends_and_receipts_match_what_was_sent_in_json_and_csv() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = app_with_provider(&provider).await;
    link_rule(&app, &app.key).await;
    let sent = send(&app, &app.key, &["NUM1", "NUM2", "NUM3", "NUM4"]).await;
    let report = |n: &Value, status: &str| json!({"id": n["provider_id"], "status": status});
    let body = json!([
        report(&sent[0], "DELIVRD"),
        report(&sent[1], "delivered"),
        report(&sent[2], "UNDELIV"),
        report(&sent[3], "ACCEPTED")
    ]);
    let (status, answer) = post_receipts(&app, "sms", body.to_string().as_bytes(), RECEIPTS_SECRET, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(visit(&app, "GET", &link_of(&sent[0]), IPHONE).await, 200);

    // What the API says of each notification is what the numbers must add up to.
    let mut waits_ms = Vec::new();
    for n in &sent[..2] {
        let n = get(&app, &format!("/v1/notifications/{}", n["id"])).await;
        assert_eq!(n["status"], "delivered", "{n}");
        let delivered = n["history"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["status"] == "delivered")
            .expect("delivered in the history");
        waits_ms.push(
            at(&delivered["at"])
                .duration_since(at(&n["sent_at"]))
                .as_millis()
                .max(0) as i64,
        );
    }
    let median_s = (waits_ms[0] + waits_ms[1]) / 2 / 1000;

    // Dates and days are the tenant's: Stockholm's.
    let today = app
        .app
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").unwrap())
        .date();
    let query = format!(
        "/v1/stats?from={}&until={today}&group=trigger",
        today.yesterday().unwrap()
    );
    let stats = get(&app, &query).await;
    assert_eq!(stats["group"], "trigger");
    assert_eq!(stats["time_zone"], "Europe/Stockholm");
    let groups = stats["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{stats}");
    let row = &groups[0];
    assert_eq!(row["group"], "delivered");
    assert_eq!(
        [
            &row["sent"],
            &row["delivered"],
            &row["undelivered"],
            &row["bounced"],
            &row["clicked"]
        ],
        [4, 2, 1, 0, 1],
        "{stats}"
    );
    assert_eq!(row["delivery_rate"], 0.5);
    assert_eq!(row["clicked_share"], 0.25);
    assert_eq!(row["median_seconds_to_delivered"], median_s);
    assert_eq!(stats["total"]["sent"], 4);
    assert_eq!(stats["suppressed_addresses"], 0);
    let by_carrier = get(&app, "/v1/stats?group=carrier").await;
    assert_eq!(by_carrier["groups"][0]["group"], "PostNord", "{by_carrier}");
    let by_day = get(&app, "/v1/stats?group=day").await;
    assert_eq!(by_day["groups"][0]["group"], today.to_string(), "{by_day}");

    // The same numbers as CSV, asked by parameter or by Accept.
    let expected = format!(
        "trigger,sent,delivered,undelivered,bounced,delivery_rate,median_seconds_to_delivered,clicked,clicked_share,opened,opened_share,suppressed_addresses\n\
         delivered,4,2,1,0,0.5000,{median_s},1,0.2500,,,\n\
         total,4,2,1,0,0.5000,{median_s},1,0.2500,,,0\n"
    );
    let csv = app
        .http
        .get(format!("{}{query}&format=csv", app.base))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert!(
        csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"),
        "{:?}",
        csv.headers()
    );
    assert_eq!(csv.text().await.unwrap(), expected);
    let accepted = app
        .http
        .get(format!("{}{query}", app.base))
        .bearer_auth(&app.key)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(accepted, expected);

    // The portal's overview shows the same for the chosen period, and its CSV is the same.
    let mut viewer = signed_in(&app, Role::Viewer).await;
    let chosen = format!("from={}&until={today}&group=trigger", today.yesterday().unwrap());
    let page = viewer.get(&format!("/portal?{chosen}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!(
            "<td>delivered</td><td>4</td><td>2</td><td>1</td><td>0</td><td>50.0 %</td><td>{median_s} s</td><td>1 (25.0 %)</td>"
        )),
        "{}",
        page.body
    );
    let csv = viewer.get(&format!("/portal/stats.csv?{chosen}")).await;
    assert_eq!((csv.status, csv.body), (StatusCode::OK, expected));
    let wrong = viewer.get("/portal?group=week").await;
    assert_eq!(wrong.status, StatusCode::OK);
    assert!(
        wrong.body.contains("use day, trigger, channel or carrier"),
        "{}",
        wrong.body
    );
}

/// An app whose clock stands at `now`, on `db`, sending SMS through `provider`.
async fn clocked_app(db: Db, now: &str, provider: &SmsProvider) -> TestApp {
    init();
    let config = avisera::config::Config {
        database_url: database_url(db).await.into(),
        public_url: avisera::config::HttpUrl::parse("https://track.example.com").unwrap(),
        delivery: test_delivery(),
        sms: Some(sms_config(provider).into()),
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let mut app = avisera::server::build_app(config, store);
    app.clock = std::sync::Arc::new(avisera_domain::FixedClock::new(now.parse().unwrap()));
    let key = add_tenant(&app, "Webshop AB").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    TestApp {
        base,
        key,
        app,
        http: reqwest::Client::new(),
    }
}

/// The portal and the tenant speak Stockholm time, so its days are Stockholm's: a message sent
/// at 23:30 UTC on a winter day was sent at 00:30 the next day there.
#[tokio::test]
async fn stats_group_days_in_the_tenants_zone_so_a_winter_23_30_utc_send_is_on_the_next_day() {
    for db in [Db::Sqlite, Db::Postgres] {
        let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
        let app = clocked_app(db, "2026-11-25T23:30:00Z", &provider).await;
        link_rule(&app, &app.key).await;
        let sent = send(&app, &app.key, &["LATE1"]).await;
        assert_eq!(sent[0]["sent_at"], "2026-11-25T23:30:00Z");
        let by_day = get(&app, "/v1/stats?from=2026-11-25&until=2026-11-26&group=day").await;
        assert_eq!(by_day["from"], "2026-11-24T23:00:00Z", "Stockholm's midnight: {by_day}");
        assert_eq!(by_day["until"], "2026-11-26T23:00:00Z", "{by_day}");
        let days: Vec<(&str, u64)> = by_day["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["group"].as_str().unwrap(), g["sent"].as_u64().unwrap()))
            .collect();
        assert_eq!(days, [("2026-11-26", 1)], "{by_day}");
        let the_25th = get(&app, "/v1/stats?from=2026-11-25&until=2026-11-25").await;
        assert_eq!(the_25th["total"]["sent"], 0, "not on Stockholm's 25th: {the_25th}");
    }
}

#[tokio::test]
async fn stats_with_bad_parameters_get_a_clear_422_that_names_the_parameter() {
    let app = spawn_app(Db::Sqlite, None, None).await;
    let cases = [
        (
            "group=week",
            "group",
            "invalid_group",
            "use day, trigger, channel or carrier",
        ),
        ("from=yesterday", "from", "invalid_period", "is not a date"),
        (
            "from=2026-11-01&until=2026-13-01",
            "until",
            "invalid_period",
            "is not a date",
        ),
        (
            "from=2026-11-02&until=2026-11-01",
            "until",
            "invalid_period",
            "until must be after from",
        ),
        (
            "from=2025-01-01&until=2026-11-30",
            "until",
            "invalid_period",
            "at most 366 days",
        ),
        ("format=xml", "format", "invalid_format", "use json or csv"),
        ("format=", "format", "invalid_format", "use json or csv"),
        (
            "group=",
            "group",
            "invalid_group",
            "use day, trigger, channel or carrier",
        ),
    ];
    for (query, field, code, says) in cases {
        let (status, body) = app.call("GET", &format!("/v1/stats?{query}"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    let (status, body) = app.call("GET", "/v1/stats?colour=red", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an unknown parameter: {body}");
    let (status, _) = call_as(&app.http, &app.base, "wrong-key", "GET", "/v1/stats", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .call("GET", "/v1/stats?from=2025-11-30&until=2026-11-30", None)
        .await;
    assert_eq!(status, StatusCode::OK, "366 days are allowed: {body}");
}

#[tokio::test]
async fn stats_of_one_tenant_never_include_another_tenants_sends_clicks_or_suppressions() {
    let provider = spawn_sms_provider(std::time::Duration::ZERO).await;
    let app = app_with_provider(&provider).await;
    let other = add_tenant(&app.app, "Other").await;
    link_rule(&app, &app.key).await;
    link_rule(&app, &other).await;
    // The same tracking numbers in both tenants: each tenant's own shipments.
    let mine = send(&app, &app.key, &["SAME1"]).await;
    let theirs = send(&app, &other, &["SAME1", "SAME2", "SAME3"]).await;
    assert_eq!(visit(&app, "GET", &link_of(&theirs[0]), IPHONE).await, 200);
    assert_eq!(visit(&app, "GET", &link_of(&theirs[1]), IPHONE).await, 200);
    app.app
        .store
        .suppress(TenantId(2), "dead@example.se", "hard bounce: 550", app.app.clock.now())
        .await
        .unwrap();

    let (_, my_stats) = app.call("GET", "/v1/stats?group=channel", None).await;
    let (_, their_stats) = app.call_as(&other, "GET", "/v1/stats?group=channel", None).await;
    assert_eq!(
        (
            &my_stats["total"]["sent"],
            &my_stats["total"]["clicked"],
            &my_stats["suppressed_addresses"]
        ),
        (&json!(1), &json!(0), &json!(0)),
        "{my_stats}"
    );
    assert_eq!(
        (
            &their_stats["total"]["sent"],
            &their_stats["total"]["clicked"],
            &their_stats["suppressed_addresses"]
        ),
        (&json!(3), &json!(2), &json!(1)),
        "{their_stats}"
    );
    // A tenant's link never counts for another tenant's notification, even by the same path
    // shape under another tenant id.
    let mut forged: Vec<String> = link_of(&mine[0]).split('/').map(str::to_string).collect();
    forged[2] = "2".into();
    assert_eq!(visit(&app, "GET", &forged.join("/"), IPHONE).await, 404);
}
