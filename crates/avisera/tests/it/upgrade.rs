//! Upgrading from release 4b9a3ab (the last before versioned migrations): a SQLite file and a
//! PostgreSQL dump that release made (tests/fixtures/release-4b9a3ab, with make.py, which
//! made them) are refused by `serve`, migrated by `avisera migrate`, and then answer exactly
//! as that release answered: tenants, API keys, shipments, notifications, rules, templates,
//! users, the portal session and the bills to the öre.

use crate::helpers::*;
use avisera_core::tenants::hash_secret;
use avisera_domain::FixedClock;
use avisera_store::ShipmentSearch;
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;

const LINK_SECRET: &str = "upgrade-fixture-link-secret-of-32-characters";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/release-4b9a3ab/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn expected(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn avisera(url: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args(args)
        .env("AVISERA_DATABASE_URL", url)
        .env("AVISERA_LINK_SECRET", LINK_SECRET)
        .env("AVISERA_LISTEN", "127.0.0.1:0")
        .env("AVISERA_LOG", "warn")
        .env_remove("AVISERA_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn release_database_upgrades_with_all_its_data(url: String, expected: Value) {
    init();
    // The new binary will not serve the old schema, and says what to run.
    let (ok, _, err) = avisera(&url, &["serve"]);
    assert!(!ok, "serve must refuse a database from before migrations");
    assert!(
        err.contains("from before versioned migrations") && err.contains("run `avisera migrate`"),
        "{err}"
    );
    let (ok, _, err) = avisera(&url, &["tenant", "list"]);
    assert!(!ok && err.contains("run `avisera migrate`"), "{err}");

    // Adopted as version 1, then every later migration of the store (PostgreSQL's native
    // types among them).
    let latest = if url.starts_with("sqlite:") {
        avisera_store::latest(avisera_store_sqlite::MIGRATIONS)
    } else {
        avisera_store::latest(avisera_store_postgres::MIGRATIONS)
    };
    let (ok, out, err) = avisera(&url, &["migrate"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("adopted a database made before versioned migrations")
            && out.contains(&format!("schema is now at version {latest}")),
        "{out}"
    );
    let (ok, out, err) = avisera(&url, &["migrate"]);
    assert!(
        ok && out == format!("schema is up to date at version {latest}\n"),
        "{out}{err}"
    );

    // The operator's commands print what the old release printed.
    let month = expected["month"].as_str().unwrap();
    for tenant in ["1", "2"] {
        let (ok, csv, err) = avisera(&url, &["bill", "--tenant", tenant, "--month", month, "--csv"]);
        assert!(ok, "{err}");
        // The same bill, except that addresses now show masked (issue 15).
        let old = expected["bill_csv"][tenant].as_str().unwrap();
        assert_eq!(csv, masked_recipients(old), "tenant {tenant}'s bill");
        let (_, text, _) = avisera(&url, &["bill", "--tenant", tenant, "--month", month]);
        assert_eq!(text, expected["bill_text"][tenant].as_str().unwrap());
    }
    let (_, users, _) = avisera(&url, &["user", "list", "--tenant", "1"]);
    assert_eq!(users, expected["users"].as_str().unwrap());

    // A node on the migrated database, its clock when the release made the session.
    let config = avisera::config::Config {
        database_url: url.clone().into(),
        public_url: avisera::config::HttpUrl::parse("https://track.example.com").unwrap(),
        link_secret: Some(LINK_SECRET.to_string().into()),
        dev_inbox: true,
        delivery: test_delivery(),
        ..Default::default()
    };
    let store = avisera::server::open_store(&config)
        .await
        .expect("serve accepts the migrated schema");
    let made_at = expected["session_made_at"].as_i64().unwrap();
    let clock = Arc::new(FixedClock::new(
        avisera_domain::Timestamp::from_millisecond(made_at + 60_000).unwrap(),
    ));
    let mut app = avisera::server::build_app(config, store);
    app.clock = clock.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let key = |t: &str| expected["api_keys"][t].as_str().unwrap().to_string();
    let get = |key: String, path: String| {
        let (http, base) = (http.clone(), base.clone());
        async move {
            let (status, body) = call_as(&http, &base, &key, "GET", &path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            body
        }
    };
    for t in ["1", "2"] {
        // Added since the release: open tracking, off for every tenant an upgrade brings along.
        let mut tenant = expected["tenant"][t].clone();
        tenant["open_tracking"] = false.into();
        // And the brand colour (the default until one is chosen) and the other brands (none).
        tenant["brand"]["colour"] = avisera_domain::colour::DEFAULT_COLOUR.into();
        tenant["brands"] = serde_json::json!([]);
        assert_eq!(
            get(key(t), "/v1/tenant".into()).await,
            tenant,
            "tenant {t} with its old API key"
        );
    }
    // Every field the release answered, as it answered it; and `provider` (added since, with
    // failover) is null: the release recorded no provider's name; `reason_code` (added since)
    // is null: the release stored reasons as English text, which reads as it was.
    let without_provider = |mut answer: Value| {
        for n in answer["notifications"].as_array_mut().into_iter().flatten() {
            let provider = n.as_object_mut().unwrap().remove("provider");
            assert_eq!(provider, Some(Value::Null), "{n}");
            let code = n.as_object_mut().unwrap().remove("reason_code");
            assert_eq!(code, Some(Value::Null), "{n}");
        }
        answer
    };
    assert_eq!(
        without_provider(get(key("1"), "/v1/notifications".into()).await),
        expected["notifications"]
    );
    // A rule stored before a setting existed reads back with that setting's default.
    let mut rules = expected["rules"].clone();
    for rule in rules["rules"].as_array_mut().unwrap() {
        rule.as_object_mut()
            .unwrap()
            .entry("working_days_only")
            .or_insert(serde_json::Value::Bool(false));
    }
    assert_eq!(get(key("1"), "/v1/rules".into()).await, rules);
    // A template made before issue 15 keeps the opt-out footer on: the one field it gained.
    let mut templates = expected["templates"].clone();
    for t in templates["templates"].as_array_mut().unwrap() {
        t["opt_out_footer"] = serde_json::json!(true);
    }
    assert_eq!(get(key("1"), "/v1/templates".into()).await, templates);
    let shipments = expected["shipments"].as_object().unwrap();
    assert_eq!(shipments.len(), 3);
    for (tracking, shipment) in shipments {
        assert_eq!(
            &without_provider(get(key("1"), format!("/v1/shipments/{tracking}")).await),
            shipment
        );
    }
    let tenant1 = avisera_domain::TenantId(1);
    let found = app
        .store
        .find_shipments(tenant1, &ShipmentSearch::OrderReference("ord-1042".into()), 10)
        .await
        .unwrap();
    assert_eq!(
        found.len(),
        1,
        "Track & Trace finds the old shipment by order reference"
    );

    // The admin's portal session is still signed in.
    let token = expected["session_token"].as_str().unwrap();
    let session = app
        .store
        .session(&hash_secret(token), avisera_domain::Clock::now(&*clock))
        .await
        .unwrap()
        .expect("the session row is kept");
    assert_eq!(session.tenant_id, tenant1);
    let portal = http
        .get(format!("{base}/portal"))
        .header("Cookie", format!("avisera_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(portal.status(), StatusCode::OK, "the old session opens the portal");
    assert!(portal.text().await.unwrap().contains("Webshop AB"));

    // And the upgraded database takes new events.
    let (status, body) = call_as(
        &http,
        &base,
        &key("1"),
        "POST",
        "/v1/events",
        Some(event("00370712345678909999", "EN_ROUTE", "+46701234599")),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn a_sqlite_file_made_by_the_last_release_upgrades_with_all_its_data() {
    let url = database_url(Db::Sqlite).await;
    let path = url.trim_start_matches("sqlite://");
    std::fs::copy(fixture("avisera.sqlite"), path).unwrap();
    release_database_upgrades_with_all_its_data(url, expected("sqlite.json")).await;
}

#[tokio::test]
async fn a_postgres_database_dumped_from_the_last_release_upgrades_with_all_its_data() {
    let url = database_url(Db::Postgres).await;
    let dump = std::fs::read_to_string(fixture("postgres.sql")).unwrap();
    avisera_store_postgres::testing::load_postgres_dump(&url, &dump).await;
    release_database_upgrades_with_all_its_data(url, expected("postgres.json")).await;
}

/// Only `migrate` changes the schema: serve refuses a new database and one migrated by a later
/// release, each time with the command that helps.
#[tokio::test]
async fn serve_refuses_a_schema_it_does_not_know_and_says_which_command_to_run() {
    let url = database_url(Db::Sqlite).await;
    let (ok, _, err) = avisera(&url, &["serve"]);
    assert!(
        !ok && err.contains("no Avisera schema yet: run `avisera migrate`"),
        "{err}"
    );

    let (ok, out, err) = avisera(&url, &["migrate"]);
    assert!(ok, "{err}");
    let known = avisera_store::latest(avisera_store_sqlite::MIGRATIONS);
    let applied: String = avisera_store_sqlite::MIGRATIONS
        .iter()
        .map(|m| format!("applied {:04} {}\n", m.version, m.name))
        .collect();
    assert_eq!(out, format!("{applied}schema is now at version {known}\n"));

    // A later release migrates the database one version further; this one must not touch it.
    let store = avisera_store_sqlite::connect(&url).await.unwrap();
    let mut later = avisera_store_sqlite::MIGRATIONS.to_vec();
    later.push(avisera_store_sqlite::Migration {
        version: known + 1,
        name: "from_the_future",
        sql: "CREATE TABLE from_the_future (x INTEGER)",
    });
    store.migrate_with(&later).await.unwrap();
    let (ok, _, err) = avisera(&url, &["serve"]);
    assert!(
        !ok && err.contains(&format!(
            "the database schema is at version {}, newer than this avisera knows ({known}): upgrade avisera",
            known + 1
        )),
        "{err}"
    );
    let (ok, _, err) = avisera(&url, &["migrate"]);
    assert!(
        !ok && err.contains(&format!("newer than this avisera knows ({known})")),
        "{err}"
    );

    // What a node of an older release would say to a database it is behind (worded here
    // without a binary of that release to show it).
    assert_eq!(
        avisera::server::schema_advice(avisera_store::SchemaStatus::At { version: 1, known: 2 }).as_deref(),
        Some("the database schema is at version 1, this avisera needs 2: run `avisera migrate`")
    );
    assert_eq!(
        avisera::server::schema_advice(avisera_store::SchemaStatus::At { version: 2, known: 2 }),
        None
    );
}

/// Every value the old answer had is in the new one, equal; a later release may add fields.
fn assert_kept(old: &Value, new: &Value, path: &str) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, v) in o {
                let there = n.get(k).unwrap_or_else(|| panic!("{path}.{k} is gone: {new}"));
                assert_kept(v, there, &format!("{path}.{k}"));
            }
        }
        (Value::Array(o), Value::Array(n)) => {
            assert_eq!(o.len(), n.len(), "{path}: {new}");
            for (i, (a, b)) in o.iter().zip(n).enumerate() {
                assert_kept(a, b, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(old, new, "{path}"),
    }
}

/// The oldest data a release binary could make (d058bd1: no billing columns, phones kept as
/// given, no Track & Trace columns) upgrades too, and its shipments are found by order
/// reference, phone (now in E.164) and email.
async fn oldest_release_database_upgrades(url: String, expected: Value) {
    init();
    let (ok, _, err) = avisera(&url, &["serve"]);
    assert!(!ok && err.contains("run `avisera migrate`"), "{err}");
    let (ok, out, err) = avisera(&url, &["migrate"]);
    assert!(ok && out.contains("adopted"), "{out}{err}");

    let config = avisera::config::Config {
        database_url: url.into(),
        dev_inbox: true,
        delivery: test_delivery(),
        ..Default::default()
    };
    let store = avisera::server::open_store(&config).await.unwrap();
    let app = avisera::server::build_app(config, store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    let http = reqwest::Client::new();
    let key = expected["api_key"].as_str().unwrap();
    let answers = expected["answers"].as_object().unwrap();
    assert_eq!(answers.len(), 6);
    for (path, old) in answers {
        let (status, new) = call_as(&http, &base, key, "GET", path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {new}");
        assert_kept(old, &new, path);
    }
    let tenant = avisera_domain::TenantId(1);
    for (search, tracking) in [
        (ShipmentSearch::OrderReference("ord-0".into()), "T0"),
        (ShipmentSearch::Phone("+46701234561".into()), "T1"),
        (ShipmentSearch::Email("anna0@example.se".into()), "T0"),
    ] {
        let found = app.store.find_shipments(tenant, &search, 10).await.unwrap();
        assert_eq!(
            found.iter().map(|s| s.tracking_number.as_str()).collect::<Vec<_>>(),
            vec![tracking],
            "{search:?}"
        );
    }
}

fn oldest(name: &str) -> String {
    format!("{}/tests/fixtures/release-d058bd1/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn a_sqlite_file_made_by_the_oldest_release_upgrades() {
    let url = database_url(Db::Sqlite).await;
    std::fs::copy(oldest("avisera.sqlite"), url.trim_start_matches("sqlite://")).unwrap();
    let expected = serde_json::from_str(&std::fs::read_to_string(oldest("sqlite.json")).unwrap()).unwrap();
    oldest_release_database_upgrades(url, expected).await;
}

#[tokio::test]
async fn a_postgres_database_dumped_from_the_oldest_release_upgrades() {
    let url = database_url(Db::Postgres).await;
    avisera_store_postgres::testing::load_postgres_dump(
        &url,
        &std::fs::read_to_string(oldest("postgres.sql")).unwrap(),
    )
    .await;
    let expected = serde_json::from_str(&std::fs::read_to_string(oldest("postgres.json")).unwrap()).unwrap();
    oldest_release_database_upgrades(url, expected).await;
}

/// The bill CSV of the last release with each billed notification's recipient (the fifth
/// column) masked, as the bill shows it now.
fn masked_recipients(csv: &str) -> String {
    let (lines, billed) = csv
        .split_once("\n\n")
        .expect("a bill CSV with its billed notifications");
    let mut out = format!("{lines}\n\n");
    for (i, row) in billed.lines().enumerate() {
        let mut fields: Vec<String> = row.split(',').map(str::to_string).collect();
        if i > 0 && fields.len() == 8 {
            fields[4] = avisera_domain::contact::masked(&fields[4]);
        }
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}
