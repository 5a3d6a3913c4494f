//! What an operator sees: the metrics after real sends, JSON log lines from the binary
//! configured by environment alone, and api-only and worker-only nodes sharing a database.

use crate::helpers::*;
use avisera::app::App;
use avisera::config::{Config, DeliveryConfig, HttpUrl, Role};
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Scrapes until every line is there (gauges are refreshed by the worker, a moment after the
/// last send), then returns the page.
async fn metrics_with(app: &TestApp, lines: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = app.page("/metrics").await;
        let missing: Vec<_> = lines.iter().filter(|l| !page.lines().any(|p| p == **l)).collect();
        if missing.is_empty() {
            return page;
        }
        assert!(Instant::now() < deadline, "{missing:?} not in\n{page}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn metrics_after_sending_keep_the_old_names_and_add_labels_and_histograms() {
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let app = spawn_app(Db::Sqlite, Some(sms_config(&provider)), None).await;
    sms_rule(&app, "delivered", json!({})).await;
    let (status, body) = app
        .call(
            "POST",
            "/v1/events",
            Some(json!([
                event("M1", "DELIVERED", "+46701234561"),
                // The provider refuses numbers ending in 000: a permanent failure.
                event("M2", "DELIVERED", "+46701234000"),
                json!({"tracking_number": "M3"}),
            ])),
        )
        .await;
    assert_eq!(status.as_u16(), 207, "{body}");
    let list = app.settled_notifications().await;
    assert_eq!(list.len(), 2);
    let edifact = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/iftmin_unoc.edi")).unwrap();
    let upload = app
        .http
        .post(format!("{}/v1/edifact", app.base))
        .bearer_auth(&app.key)
        .body(edifact)
        .send()
        .await
        .unwrap();
    // The file holds good messages and one that is rejected.
    assert_eq!(upload.status().as_u16(), 207);

    // A carrier's signed push: one good event, one without a code.
    let (_, created) = app.call("POST", "/v1/webhooks/secret", None).await;
    let secret = created["secret"].as_str().unwrap();
    let body = serde_json::to_vec(&json!({"events": [
        {"event_id": "wh-1", "item_id": "W1", "event_code": "IN_TRANSIT", "event_time": "2026-11-25T10:00:00+01:00"},
        {"event_id": "wh-2", "item_id": "W2", "event_time": "2026-11-25T10:00:00+01:00"}
    ]}))
    .unwrap();
    let ts = jiff::Timestamp::now().as_second();
    let pushed = app
        .http
        .post(format!("{}/v1/webhooks/tracking/1", app.base))
        .header("content-type", "application/json")
        .header("x-avisera-timestamp", ts.to_string())
        .header("x-avisera-signature", avisera::ingest::webhook::sign(secret, ts, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status().as_u16(), 207, "{}", pushed.text().await.unwrap());

    let page = metrics_with(
        &app,
        &[
            // Today's names and labels, with the new tenant-free ones beside them.
            "avisera_events_total{result=\"accepted\",source=\"api\"} 2",
            "avisera_events_total{result=\"rejected\",source=\"api\"} 1",
            "avisera_notifications_created_total 2",
            "avisera_deliveries_total{outcome=\"sent\",channel=\"sms\",provider=\"sms_http\"} 1",
            "avisera_deliveries_total{outcome=\"failed\",channel=\"sms\",provider=\"sms_http\"} 1",
            "avisera_notifications_scheduled 0",
            "avisera_outbox_lag_seconds 0",
            "# TYPE avisera_events_total counter",
            "# TYPE avisera_notifications_scheduled gauge",
            // Histograms.
            "# TYPE avisera_delivery_latency_seconds histogram",
            "avisera_delivery_latency_seconds_count{channel=\"sms\",provider=\"sms_http\"} 1",
            "avisera_provider_call_seconds_count{channel=\"sms\",provider=\"sms_http\",outcome=\"sent\"} 1",
            "avisera_provider_call_seconds_count{channel=\"sms\",provider=\"sms_http\",outcome=\"permanent\"} 1",
            "avisera_provider_call_seconds_bucket{channel=\"sms\",provider=\"sms_http\",outcome=\"sent\",le=\"+Inf\"} 1",
            "avisera_ingest_batch_seconds_count{source=\"api\"} 1",
            "avisera_events_total{result=\"accepted\",source=\"webhook\"} 1",
            "avisera_events_total{result=\"rejected\",source=\"webhook\"} 1",
            "avisera_ingest_batch_seconds_count{source=\"webhook\"} 1",
        ],
    )
    .await;
    assert!(
        page.lines()
            .any(|l| l.starts_with("avisera_events_total{result=\"accepted\",source=\"edifact\"} ")),
        "{page}"
    );
    assert!(
        page.contains("avisera_ingest_batch_seconds_count{source=\"edifact\"}"),
        "{page}"
    );
    assert!(
        page.contains("avisera_events_total{result=\"rejected\",source=\"edifact\"} "),
        "{page}"
    );
    assert!(!page.contains("tenant"), "no label names a tenant:\n{page}");
}

/// The binary with its configuration in the environment alone.
fn avisera(env: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avisera"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env_remove("AVISERA_CONFIG");
    cmd
}

async fn in_memory_app() -> App {
    let config = Config {
        database_url: "sqlite::memory:".into(),
        ..Default::default()
    };
    let (store, _) = avisera::server::open_migrated_store(&config).await.unwrap();
    avisera::server::build_app(config, store)
}

async fn wait_ready(http: &reqwest::Client, base: &str, node: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(node.try_wait().unwrap().is_none(), "avisera serve exited");
        assert!(Instant::now() < deadline, "avisera serve did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_request_tenant_notification_and_shipment() {
    init();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let env = [
        ("AVISERA_DATABASE_URL", database_url(Db::Sqlite).await),
        ("AVISERA_LISTEN", format!("127.0.0.1:{port}")),
        ("AVISERA_DEV_INBOX", "true".into()),
        ("AVISERA_DELIVERY__POLL_MS", "50".into()),
        ("AVISERA_LOG_FORMAT", "json".into()),
        ("AVISERA_LOG", "info,avisera=debug".into()),
    ];
    assert!(avisera(&env).arg("migrate").output().unwrap().status.success());
    let out = avisera(&env)
        .args(["tenant", "create", "--name", "Logs AB"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8(out.stdout).unwrap();
    let key = key.split("API key (shown once): ").nth(1).unwrap().trim().to_string();

    let log_path = std::env::temp_dir().join(format!("avisera-json-log-{}.log", uuid::Uuid::new_v4().simple()));
    let mut node = avisera(&env)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    wait_ready(&http, &base, &mut node).await;
    let app = TestApp {
        base: base.clone(),
        key: key.clone(),
        app: in_memory_app().await,
        http: http.clone(),
    };
    sms_rule(&app, "delivered", json!({})).await;
    let answer = http
        .post(format!("{base}/v1/events"))
        .bearer_auth(&key)
        .header("x-request-id", "req-from-the-caller-42")
        .json(&event("LOG1", "DELIVERED", "+46701234561"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    assert_eq!(answer.headers()["x-request-id"], "req-from-the-caller-42");
    let list = app.settled_notifications().await;
    assert_eq!(list[0]["status"], "sent");
    let notification = list[0]["id"].as_i64().unwrap().to_string();
    node.kill().unwrap();
    node.wait().unwrap();

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON object ({e}): {l}")))
        .collect();
    assert!(lines.len() > 3, "{text}");
    assert!(
        lines
            .iter()
            .all(|l| l["level"].is_string() && l["timestamp"].is_string()),
        "{text}"
    );
    let spans = |l: &Value| l["spans"].as_array().cloned().unwrap_or_default();
    let in_span = |name: &str, check: &dyn Fn(&Value) -> bool| {
        lines
            .iter()
            .any(|l| spans(l).iter().any(|s| s["name"] == name && check(s)))
    };
    assert!(
        in_span("request", &|s| s["request_id"] == "req-from-the-caller-42"
            && s["tenant"] == "1"
            && s["route"] == "/v1/events"),
        "no line of the request carries its id and tenant:\n{text}"
    );
    assert!(
        in_span("ingest", &|s| s["tenant"] == "1" && s["source"] == "api"),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l["fields"]["message"] == "delivery finished"
            && spans(l).iter().any(|s| s["name"] == "deliver"
                && s["tenant"] == "1"
                && s["notification"] == notification.as_str()
                && s["shipment"].is_number())),
        "the delivery's line does not name its tenant, notification and shipment:\n{text}"
    );
}

#[tokio::test]
async fn text_logs_carry_no_colour_codes_when_not_on_a_terminal() {
    init();
    let port = free_port();
    let log_path = std::env::temp_dir().join(format!("avisera-text-log-{}.log", uuid::Uuid::new_v4().simple()));
    let env = [
        ("AVISERA_DATABASE_URL", database_url(Db::Sqlite).await),
        ("AVISERA_LISTEN", format!("127.0.0.1:{port}")),
        ("AVISERA_DEV_INBOX", "1".into()),
    ];
    assert!(avisera(&env).arg("migrate").output().unwrap().status.success());
    let mut node = avisera(&env)
        .env_remove("AVISERA_LOG_FORMAT")
        .env_remove("NO_COLOR")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    wait_ready(&reqwest::Client::new(), &format!("http://127.0.0.1:{port}"), &mut node).await;
    node.kill().unwrap();
    node.wait().unwrap();
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(text.contains("avisera serving"), "{text}");
    assert!(text.contains("roles=api,worker"), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a file:\n{text:?}");
}

async fn node(database_url: &str, roles: Vec<Role>) -> TestApp {
    node_delivering(database_url, roles, test_delivery()).await
}

async fn node_delivering(database_url: &str, roles: Vec<Role>, delivery: DeliveryConfig) -> TestApp {
    let config = Config {
        database_url: database_url.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        public_url: HttpUrl::parse("https://track.example.com").unwrap(),
        dev_inbox: true,
        delivery,
        roles,
        ..Config::default()
    };
    let (store, _) = avisera::server::open_migrated_store(&config).await.unwrap();
    let app = avisera::server::build_app(config, store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    TestApp {
        base,
        key: String::new(),
        app,
        http: reqwest::Client::new(),
    }
}

#[tokio::test]
async fn an_api_node_only_takes_events_and_a_worker_node_only_delivers() {
    init();
    let db = database_url(Db::Postgres).await;
    let mut api = node(&db, vec![Role::Api]).await;
    api.key = add_tenant(&api.app, "Roles AB").await;
    sms_rule(&api, "delivered", json!({})).await;
    let (status, body) = api
        .call(
            "POST",
            "/v1/events",
            Some(json!(event("R1", "DELIVERED", "+46701234561"))),
        )
        .await;
    assert_eq!(status.as_u16(), 202, "{body}");
    // Forty polls of a worker, were there one: the message stays scheduled.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let (_, list) = api.call("GET", "/v1/notifications", None).await;
    assert_eq!(list["notifications"][0]["status"], "scheduled", "{list}");
    assert!(api.app.inbox.as_ref().unwrap().entries().is_empty());

    let worker = node(&db, vec![Role::Worker]).await;
    let list = api.settled_notifications().await;
    assert_eq!(list[0]["status"], "sent", "{list:#?}");
    assert_eq!(
        worker.app.inbox.as_ref().unwrap().entries().len(),
        1,
        "the worker node sent it"
    );
    assert!(api.app.inbox.as_ref().unwrap().entries().is_empty());

    // The worker node answers probes and scrapes, and nothing else.
    for (path, code) in [
        ("/healthz", 200),
        ("/readyz", 200),
        ("/metrics", 200),
        ("/v1/notifications", 404),
    ] {
        let resp = worker.http.get(format!("{}{path}", worker.base)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), code, "{path}");
    }
    let (status, _) = worker
        .call_as(
            &api.key,
            "POST",
            "/v1/events",
            Some(json!(event("R2", "DELIVERED", "+46701234561"))),
        )
        .await;
    assert_eq!(status.as_u16(), 404);
    let page = worker.page("/metrics").await;
    assert!(
        page.contains("avisera_deliveries_total{outcome=\"sent\",channel=\"sms\",provider=\"dev_inbox\"} 1"),
        "{page}"
    );
    assert!(
        !api.page("/metrics").await.contains("avisera_deliveries_total{"),
        "the api node delivered nothing"
    );
}

/// On PostgreSQL a node that stores notifications tells the worker nodes (NOTIFY), so a
/// worker that polls once an hour still sends at once what another node took in.
#[tokio::test]
async fn a_worker_node_is_woken_by_what_an_api_node_stored() {
    init();
    let db = database_url(Db::Postgres).await;
    let mut api = node(&db, vec![Role::Api]).await;
    api.key = add_tenant(&api.app, "Wake AB").await;
    sms_rule(&api, "delivered", json!({})).await;
    let hourly = DeliveryConfig {
        poll_ms: 3_600_000,
        ..test_delivery()
    };
    let worker = node_delivering(&db, vec![Role::Worker], hourly).await;
    let sent = || worker.app.inbox.as_ref().unwrap().entries().len();
    // The worker's first poll finds nothing; its listener may take a moment to connect, so
    // events keep coming until one is sent (without the announcement: none in the hour).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut posted = 0;
    while sent() == 0 {
        assert!(
            Instant::now() < deadline,
            "the worker node was not woken: {posted} events stored, nothing sent"
        );
        posted += 1;
        let (status, body) = api
            .call(
                "POST",
                "/v1/events",
                Some(json!(event(&format!("W{posted}"), "DELIVERED", "+46701234561"))),
            )
            .await;
        assert_eq!(status.as_u16(), 202, "{body}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Once listening, every later event goes out without waiting for a poll.
    for n in 1..=3 {
        let before = sent();
        let (status, _) = api
            .call(
                "POST",
                "/v1/events",
                Some(json!(event(&format!("X{n}"), "DELIVERED", "+46701234561"))),
            )
            .await;
        assert_eq!(status.as_u16(), 202);
        let deadline = Instant::now() + Duration::from_secs(30);
        while sent() == before {
            assert!(
                Instant::now() < deadline,
                "event X{n} was not sent: no announcement reached the worker"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A node that takes events in and delivers sends a batch's few due messages itself, at once:
/// ingest leases them to its express lane as it stores them, with no wake-up, claim or poll
/// (here a poll comes once an hour). A larger batch is a backlog: its messages are claimed.
#[tokio::test]
async fn a_node_sends_what_it_takes_in_at_once_and_claims_a_backlog() {
    init();
    let db = database_url(Db::Postgres).await;
    let hourly = DeliveryConfig {
        poll_ms: 3_600_000,
        ..test_delivery()
    };
    let mut node = node_delivering(&db, vec![Role::Api, Role::Worker], hourly).await;
    node.key = add_tenant(&node.app, "Handoff AB").await;
    sms_rule(&node, "delivered", json!({})).await;
    let sent = || node.app.inbox.as_ref().unwrap().entries();
    let (status, body) = node
        .call(
            "POST",
            "/v1/events",
            Some(json!([event("H1", "DELIVERED", "+46701234561")])),
        )
        .await;
    assert_eq!(status.as_u16(), 202, "{body}");
    metrics_with(&node, &["avisera_notifications_handed_off_total 1"]).await;
    let list = node.settled_notifications().await;
    assert_eq!(list[0]["status"], "sent", "{list:#?}");
    assert_eq!(sent().len(), 1);
    let message = format!("{:?}", sent()[0].message);
    assert!(message.contains("H1"), "{message}");

    // Eleven at once is more than the lane takes (express_batch 10): they are claimed.
    let backlog: Vec<Value> = (1..=11)
        .map(|i| event(&format!("B{i}"), "DELIVERED", "+46701234561"))
        .collect();
    let (status, body) = node.call("POST", "/v1/events", Some(json!(backlog))).await;
    assert_eq!(status.as_u16(), 202, "{body}");
    let list = node.settled_notifications().await;
    assert_eq!(list.len(), 12);
    assert!(list.iter().all(|n| n["status"] == "sent"), "{list:#?}");
    assert_eq!(sent().len(), 12, "each message once");
    let page = node.page("/metrics").await;
    assert!(
        page.lines().any(|l| l == "avisera_notifications_handed_off_total 1"),
        "the backlog went through the claim:\n{page}"
    );
}

/// `/metrics` reads memory only: with the database closed, a scrape still answers at once with
/// what was counted (a query would wait for the pool's timeout and fail).
#[tokio::test]
async fn a_scrape_queries_no_database() {
    let app = spawn_app(Db::Postgres, None, None).await;
    let (status, _) = app
        .call(
            "POST",
            "/v1/events",
            Some(json!(event("S1", "DELIVERED", "+46701234561"))),
        )
        .await;
    assert_eq!(status.as_u16(), 202);
    let url = app.app.config.database_url.as_str();
    let name = url.split('?').next().unwrap().rsplit('/').next().unwrap();
    // Closed to new connections and its open ones ended: a query now fails.
    let sql = format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
    );
    let closed = tokio::process::Command::new("psql")
        .arg(avisera_store_postgres::testing::postgres_server_url())
        .args(["-c", &sql])
        .output()
        .await
        .expect("psql");
    assert!(closed.status.success(), "{}", String::from_utf8_lossy(&closed.stderr));
    let ready = app.http.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 503, "the database refuses the node now");
    let scrape = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(scrape.status().as_u16(), 200);
    let page = scrape.text().await.unwrap();
    assert!(
        page.contains("avisera_events_total{result=\"accepted\",source=\"api\"} 1"),
        "{page}"
    );
    // The last count the worker took; a count per scrape would have failed and left it out.
    assert!(
        page.lines().any(|l| l.starts_with("avisera_notifications_scheduled ")),
        "{page}"
    );
}
