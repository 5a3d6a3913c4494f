//! Files made by earlier releases (the release fixtures of crates/avisera, and a database of the
//! oldest schema), migrated by this store, read back what `avisera-store-sql` (the store those
//! releases ran on) read from a copy of the same file: tenants, API keys, sessions,
//! notifications, shipments, bills.
//!
//! store-sql's answers are committed in `tests/fixtures/upgrade-expected/<fixture>.txt`, one
//! `Debug` line per read. store-sql itself wrote them (commit 5768d51, with
//! `AVISERA_WRITE_GOLDEN=1 cargo nextest run -p avisera-store-sqlite --test upgrade`) before it
//! was removed. Since then that command rewrites the read files from this store's answers: only
//! for a deliberate change (a type's `Debug` form, a read that should answer otherwise), and
//! every line of the diff is a read that no longer answers as the releases' store did. The
//! shape of store-sql's files (`schema.txt`) is never rewritten.

use avisera_domain::contact::PhoneNumber;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{
    Maintenance, NotificationFilter, NotificationLog, Portal, ShipmentSearch, Store, TenantConfig, Usage,
};
use avisera_store_sqlite::SqliteStore;
use avisera_store_sqlite::testing::fresh_sqlite_url;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn release(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../avisera/tests/fixtures")
        .join(name)
}

fn path_of(url: &str) -> &str {
    url.trim_start_matches("sqlite://")
}

/// A copy of `file`, migrated by this store.
async fn migrated_copy(file: &Path) -> SqliteStore {
    let url = fresh_sqlite_url();
    std::fs::copy(file, path_of(&url)).unwrap();
    let store = avisera_store_sqlite::connect(&url).await.unwrap();
    let report = store.migrate().await.unwrap();
    let known = avisera_store::latest(avisera_store_sqlite::MIGRATIONS);
    assert!(report.adopted && report.version == known, "{report:?}");
    store
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Appends a store's answer to `out` as a `Debug` line and gives the answer back.
macro_rules! ask {
    ($out:ident, $store:ident.$call:ident($($arg:expr),*)) => {{
        let answer = $store.$call($($arg),*).await.unwrap();
        $out.push(format!("{}{:?}: {answer:#?}", stringify!($call), ($(&$arg,)*)));
        answer
    }};
}

/// Everything a tenant has, read through `store`, one line per read; and how many
/// notifications the tenant has, so the caller can check the file was not empty.
async fn tenant_answers(store: &dyn Store, t: TenantId, out: &mut Vec<String>) -> usize {
    out.push(format!("== tenant {t}"));
    ask!(out, store.tenant(t));
    ask!(out, store.plan_periods(t));
    ask!(out, store.templates(t));
    for rule in ask!(out, store.rules(t)) {
        ask!(out, store.rule_history(t, rule.id));
    }
    ask!(out, store.tenant_mapping(t));
    ask!(out, store.webhook_secret(t));
    for user in ask!(out, store.users(t)) {
        // Signing in: the user and its password hash.
        ask!(out, store.user_by_email(&user.email.to_string()));
    }
    ask!(out, store.logos(t));
    let all = NotificationFilter {
        limit: 1000,
        ..Default::default()
    };
    let notes = ask!(out, store.notifications(t, &all));
    for n in &notes {
        ask!(out, store.notification(t, n.id));
        ask!(out, store.notification_history(t, n.id));
        ask!(out, store.shipment_events(t, &n.tracking_number));
        let Some(shipment) = ask!(out, store.shipment(t, &n.tracking_number)) else {
            continue;
        };
        ask!(out, store.shipment_by_id(t, shipment.id));
        // Track & Trace by the lookup columns the upgrade backfilled.
        let d = &shipment.details;
        let searches = [
            d.order_reference.clone().map(ShipmentSearch::OrderReference),
            // Releases before de534b1 kept the phone as given; it is looked up in E.164.
            d.receiver_phone.as_deref().map(|raw| {
                let e164 = PhoneNumber::parse(raw, d.destination_country.as_deref()).map(String::from);
                ShipmentSearch::Phone(e164.unwrap_or_else(|_| raw.to_string()))
            }),
            d.receiver_email.clone().map(ShipmentSearch::Email),
        ];
        for search in searches.iter().flatten() {
            let found = ask!(out, store.find_shipments(t, search, 10));
            assert!(
                found.iter().any(|s| s.id == shipment.id),
                "{search:?} finds {}",
                shipment.tracking_number
            );
        }
    }
    let (from, to) = (at("2020-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z"));
    ask!(out, store.notification_facts(t, from, to));
    // The bills: what was sent and billed, and the SMS spend, month by month and all at once.
    for (from, to) in [(from, to), (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))] {
        ask!(out, store.billed(t, from, to));
        ask!(out, store.sms_spend(t, from, to));
    }
    notes.len()
}

/// The API key hashes and session token hashes in the file, asked of both stores alike.
async fn keys_and_sessions(store: &SqliteStore) -> (Vec<String>, Vec<String>) {
    let strings = |sql: &'static str| sqlx::query_scalar::<_, String>(sql).fetch_all(store.pool());
    (
        strings("SELECT key_hash FROM api_keys ORDER BY 1").await.unwrap(),
        strings("SELECT token_hash FROM sessions ORDER BY 1").await.unwrap(),
    )
}

/// Every answer `store` gives about the file: all tenants' data, then each API key and
/// session (found without a tenant), then the scheduled count.
async fn answers(store: &dyn Store, asked: &(Vec<String>, Vec<String>), session_at: Timestamp) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut notifications = 0;
    for t in ask!(out, store.tenants()) {
        notifications += tenant_answers(store, t.id, &mut out).await;
    }
    let (keys, sessions) = asked;
    assert!(!keys.is_empty());
    for key in keys {
        let found = ask!(out, store.tenant_by_api_key(key));
        assert!(found.is_some(), "API key {key} authenticates");
    }
    for token in sessions {
        let found = ask!(out, store.session(token, session_at));
        assert!(found.is_some(), "session {token} is still signed in");
    }
    ask!(out, store.count_scheduled());
    (out, notifications)
}

/// Compares this store's answers with store-sql's, committed in
/// `tests/fixtures/upgrade-expected/<name>.txt`; with `AVISERA_WRITE_GOLDEN=1` and `rewritable`,
/// first rewrites that file from this store's answers (see the module's comment).
fn same_as_store_sql(name: &str, new: &[String], rewritable: bool) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/upgrade-expected/{name}.txt"));
    if rewritable && std::env::var_os("AVISERA_WRITE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, new.join("\n") + "\n").unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let new = new.join("\n") + "\n";
    let (expected, new): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), new.lines().collect());
    let differ: Vec<(usize, &str, &str)> = expected
        .iter()
        .zip(&new)
        .enumerate()
        .filter(|(_, (e, n))| e != n)
        .map(|(i, (e, n))| (i + 1, *e, *n))
        .take(20)
        .collect();
    assert!(
        differ.is_empty() && expected.len() == new.len(),
        "{name}: store-sql (left, {}) and this store (right) answer differently: {differ:#?} ({} and {} lines)",
        path.display(),
        expected.len(),
        new.len()
    );
}

async fn a_release_file_reads_back_as_store_sql_read_it(name: &str) -> (SqliteStore, Value) {
    let dir = release(name);
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("sqlite.json")).unwrap()).unwrap();
    let file = dir.join("avisera.sqlite");
    let new = migrated_copy(&file).await;
    let session_at = expected["session_made_at"]
        .as_i64()
        .map_or(at("2026-11-29T12:00:00Z"), |ms| {
            Timestamp::from_millisecond(ms + 60_000).unwrap()
        });
    let asked = keys_and_sessions(&new).await;
    let (lines, notifications) = answers(&new, &asked, session_at).await;
    assert!(notifications > 0, "{name}: the file has notifications");
    same_as_store_sql(name, &lines, true);
    // The keys the release handed out (shown once) still find their tenants.
    let keys: Vec<(String, String)> = match (&expected["api_keys"], &expected["api_key"]) {
        (Value::Object(keys), _) => keys
            .iter()
            .map(|(t, k)| (t.clone(), k.as_str().unwrap().to_string()))
            .collect(),
        (_, Value::String(key)) => vec![("1".into(), key.clone())],
        _ => panic!("{name}: no API keys in sqlite.json"),
    };
    for (tenant, key) in keys {
        let found = new.tenant_by_api_key(&hash(&key)).await.unwrap();
        assert_eq!(found.map(|(t, _)| t.0.to_string()), Some(tenant), "{name}: key {key}");
    }
    (new, expected)
}

#[tokio::test]
async fn the_last_release_before_migrations_reads_back_whole() {
    let (new, expected) = a_release_file_reads_back_as_store_sql_read_it("release-4b9a3ab").await;
    // Beyond agreeing with store-sql: what the release itself answered.
    let notes = new
        .notifications(
            TenantId(1),
            &NotificationFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let answered = expected["notifications"]["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), answered.len());
    for (note, answer) in notes.iter().zip(answered) {
        assert_eq!(serde_json::to_value(note.id).unwrap(), answer["id"]);
        assert_eq!(note.status.slug(), answer["status"].as_str().unwrap());
        assert_eq!(note.idempotency_key, answer["idempotency_key"].as_str().unwrap());
    }
    let token = expected["session_token"].as_str().unwrap();
    let made_at = expected["session_made_at"].as_i64().unwrap();
    let session = new
        .session(&hash(token), Timestamp::from_millisecond(made_at + 60_000).unwrap())
        .await
        .unwrap()
        .expect("the admin's session is kept");
    assert_eq!(session.tenant_id, TenantId(1));
    let admin = expected["admin"]["email"].as_str().unwrap();
    let (user, _) = new.user_by_email(admin).await.unwrap().expect("the admin signs in");
    assert_eq!(user.tenant_id, TenantId(1));
    // Three SMS at 0.75 SEK in 2026-11, as the release's bill says.
    let spent = new
        .sms_spend(TenantId(1), at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(spent.0, 225);
}

#[tokio::test]
async fn an_older_release_reads_back_whole() {
    a_release_file_reads_back_as_store_sql_read_it("release-d058bd1").await;
}

/// Rows in the oldest schema's tables (9d98c37: foreign keys on the hot tables, no billing,
/// no users), as that release wrote them.
const OLDEST_ROWS: &str = r#"
INSERT INTO tenants (name, plan, brand, created_at) VALUES ('Webshop AB', 'plus', '{"brand_name":"Webshop AB","sms_sender_id":"WebshopAB","email_from_name":"Webshop AB","email_from_address":null,"reply_to":null,"customer_service_email":null,"customer_service_phone":null,"default_language":"sv","logo_id":null}', 1764000000000);
INSERT INTO api_keys (key_hash, tenant_id, label, created_at) VALUES ('abc123', 1, 'first key', 1764000000000);
INSERT INTO shipments (tenant_id, tracking_number, state, updated_at) VALUES (1, '00370712345678900000', '{"id":1,"tracking_number":"00370712345678900000","details":{"receiver_name":"Anna","receiver_phone":"070-123 45 67","receiver_email":"Anna@Example.se","receiver_language":"sv","receiver_time_zone":null,"destination_country":"SE","service_code":null,"sender_account":null,"order_reference":" ORD-1042","is_return":null,"carrier":"PostNord","expected_delivery":null,"attributes":{},"pickup_point":null},"milestone":"delivered","milestone_at":"2026-11-25T13:05:00Z","last_event_at":"2026-11-25T13:05:00Z","had_physical_event":true}', 1764000000000);
INSERT INTO events (tenant_id, shipment_id, event_key, code, occurred_at, received_at, location, unknown_code, body) VALUES (1, 1, 'id:e0a', 'DELIVERED', 1764075900000, 1764000000000, 'Stockholm', 0, '{"event_key":"id:e0a","tracking_number":"00370712345678900000","code":"DELIVERED","occurred_at":"2026-11-25T13:05:00Z","location":"Stockholm","details":{}}');
INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient, dedupe_key, idempotency_key, status, language, message, due_at, attempts, provider_id, created_at, updated_at) VALUES (1, 1, '00370712345678900000', 1, 'delivered', 'sms', '+46701234567', 'd1', 'i1', 'sent', 'sv', '{"channel":"sms","sender_id":"WebshopAB","to":"+46701234567","text":"Hej Anna! Paket 00370712345678900000 är levererat. /Webshop AB"}', 1764000000000, 1, 'p1', 1764000000000, 1764000000000);
INSERT INTO notification_history (tenant_id, notification_id, status, at) VALUES (1, 1, 'sent', 1764000000000);
"#;

#[tokio::test]
async fn a_database_of_the_oldest_schema_reads_back_whole() {
    let url = fresh_sqlite_url();
    let schema =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/old_schemas/9d98c37.sql"))
            .unwrap();
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc"))
            .await
            .unwrap();
        sqlx::raw_sql(&format!("{schema};{OLDEST_ROWS}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    }
    let file = Path::new(path_of(&url));
    let new = migrated_copy(file).await;
    let (asked, session_at) = (keys_and_sessions(&new).await, at("2026-11-29T12:00:00Z"));
    let (lines, notifications) = answers(&new, &asked, session_at).await;
    assert_eq!(notifications, 1);
    same_as_store_sql("oldest-9d98c37", &lines, true);
    assert_eq!(
        new.tenant_by_api_key("abc123").await.unwrap(),
        Some((TenantId(1), "first key".to_string()))
    );
}

/// The schema's shape and the migration record (version, name, checksum) of a file migrated
/// from nothing and of release 4b9a3ab's file migrated.
async fn shapes(fresh: &SqliteStore, release: &SqliteStore) -> Vec<String> {
    let mut lines = Vec::new();
    for (what, store) in [("new file", fresh), ("release-4b9a3ab", release)] {
        lines.push(format!("== {what}"));
        lines.extend(avisera_store_sqlite::testing::schema_fingerprint(store).await);
        let record: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
                .fetch_all(store.pool())
                .await
                .unwrap();
        lines.extend(record.iter().map(|r| format!("migration {r:?}")));
    }
    lines
}

/// Installations that ran the last release migrated their file with store-sql. This store's
/// migration 1, on a new file and on release 4b9a3ab's file, gives the shape and migration
/// record (version, name, checksum) store-sql gave them (`schema.txt`, written by store-sql):
/// so this store finds store-sql's files current, and a file made here at version 1 opens in
/// store-sql's release unchanged, so going back a release is possible.
#[tokio::test]
async fn migration_1_here_gives_the_shape_and_record_store_sql_gave() {
    let first = &avisera_store_sqlite::MIGRATIONS[..1];
    let fresh = avisera_store_sqlite::connect(&fresh_sqlite_url()).await.unwrap();
    assert!(!fresh.migrate_with(first).await.unwrap().adopted);
    let url = fresh_sqlite_url();
    std::fs::copy(release("release-4b9a3ab").join("avisera.sqlite"), path_of(&url)).unwrap();
    let from_release = avisera_store_sqlite::connect(&url).await.unwrap();
    assert!(from_release.migrate_with(first).await.unwrap().adopted);
    let report = from_release.migrate_with(first).await.unwrap();
    assert!(
        !report.adopted && report.applied.is_empty() && report.version == 1,
        "{report:?}"
    );
    same_as_store_sql("schema", &shapes(&fresh, &from_release).await, false);
}
