//! Files made by earlier releases (the release fixtures of crates/avisera, and a database of the
//! oldest schema), migrated by this store, read back equal to what today's `avisera-store-sql`
//! gives for a copy of the same file: tenants, API keys, sessions, notifications, shipments,
//! bills.

use avisera_domain::contact::PhoneNumber;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{
    EventStore, Maintenance, NotificationFilter, NotificationLog, Outbox, Portal, ShipmentSearch, TenantConfig, Usage,
};
use avisera_store_sql::SqlStore;
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

/// Two copies of `file`, one migrated by this store and one by store-sql.
async fn migrated_copies(file: &Path) -> (SqliteStore, SqlStore) {
    let (new_url, old_url) = (fresh_sqlite_url(), fresh_sqlite_url());
    std::fs::copy(file, path_of(&new_url)).unwrap();
    std::fs::copy(file, path_of(&old_url)).unwrap();
    let new = avisera_store_sqlite::connect(&new_url).await.unwrap();
    let report = new.migrate().await.unwrap();
    assert!(report.adopted && report.version == 1, "{report:?}");
    let old = avisera_store_sql::connect(&old_url).await.unwrap();
    old.migrate().await.unwrap();
    (new, old)
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Everything a tenant has, read through both stores, must be equal; returns how many
/// notifications the tenant has, so the caller can check the file was not empty.
async fn same_tenant_data(new: &SqliteStore, old: &SqlStore, t: TenantId) -> usize {
    macro_rules! same {
        ($call:ident($($arg:expr),*)) => {{
            let (a, b) = (new.$call($($arg),*).await.unwrap(), old.$call($($arg),*).await.unwrap());
            assert_eq!(a, b, "tenant {t}: {}", stringify!($call));
            a
        }};
    }
    same!(tenant(t));
    same!(plan_periods(t));
    same!(templates(t));
    for rule in same!(rules(t)) {
        same!(rule_history(t, rule.id));
    }
    same!(tenant_mapping(t));
    same!(webhook_secret(t));
    for user in same!(users(t)) {
        // Signing in: the user and its password hash.
        same!(user_by_email(&user.email.to_string()));
    }
    same!(logos(t));
    let all = NotificationFilter {
        limit: 1000,
        ..Default::default()
    };
    let notes = same!(notifications(t, &all));
    for n in &notes {
        same!(notification(t, n.id));
        same!(notification_history(t, n.id));
        same!(shipment_events(t, &n.tracking_number));
        let Some(shipment) = same!(shipment(t, &n.tracking_number)) else {
            continue;
        };
        same!(shipment_by_id(t, shipment.id));
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
            let found = same!(find_shipments(t, search, 10));
            assert!(
                found.iter().any(|s| s.id == shipment.id),
                "{search:?} finds {}",
                shipment.tracking_number
            );
        }
    }
    let (from, to) = (at("2020-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z"));
    same!(notification_facts(t, from, to));
    // The bills: what was sent and billed, and the SMS spend, month by month and all at once.
    for (from, to) in [(from, to), (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))] {
        same!(billed(t, from, to));
        same!(sms_spend(t, from, to));
    }
    notes.len()
}

/// API keys and sessions are found without a tenant: every key and session in the file finds
/// the same tenant, label and session through both stores.
async fn same_authentication(new: &SqliteStore, old: &SqlStore, session_at: Timestamp) {
    let keys: Vec<String> = sqlx::query_scalar("SELECT key_hash FROM api_keys")
        .fetch_all(new.pool())
        .await
        .unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        let found = new.tenant_by_api_key(&key).await.unwrap();
        assert!(found.is_some(), "API key {key} authenticates");
        assert_eq!(found, old.tenant_by_api_key(&key).await.unwrap());
    }
    let sessions: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(new.pool())
        .await
        .unwrap();
    for token in sessions {
        let found = new.session(&token, session_at).await.unwrap();
        assert!(found.is_some(), "session {token} is still signed in");
        assert_eq!(found, old.session(&token, session_at).await.unwrap());
    }
    assert_eq!(
        new.count_scheduled().await.unwrap(),
        old.count_scheduled().await.unwrap()
    );
}

async fn a_release_file_reads_back_as_store_sql_reads_it(name: &str) -> (SqliteStore, Value) {
    let dir = release(name);
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("sqlite.json")).unwrap()).unwrap();
    let (new, old) = migrated_copies(&dir.join("avisera.sqlite")).await;
    let tenants = new.tenants().await.unwrap();
    assert_eq!(tenants, old.tenants().await.unwrap());
    assert!(!tenants.is_empty(), "{name}");
    let mut notifications = 0;
    for t in &tenants {
        notifications += same_tenant_data(&new, &old, t.id).await;
    }
    assert!(notifications > 0, "{name}: the file has notifications");
    let session_at = expected["session_made_at"]
        .as_i64()
        .map_or(at("2026-11-29T12:00:00Z"), |ms| {
            Timestamp::from_millisecond(ms + 60_000).unwrap()
        });
    same_authentication(&new, &old, session_at).await;
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
    let (new, expected) = a_release_file_reads_back_as_store_sql_reads_it("release-4b9a3ab").await;
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
    a_release_file_reads_back_as_store_sql_reads_it("release-d058bd1").await;
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
    let (new, old) = migrated_copies(Path::new(path_of(&url))).await;
    assert_eq!(new.tenants().await.unwrap(), old.tenants().await.unwrap());
    assert_eq!(same_tenant_data(&new, &old, TenantId(1)).await, 1);
    same_authentication(&new, &old, at("2026-11-29T12:00:00Z")).await;
    assert_eq!(
        new.tenant_by_api_key("abc123").await.unwrap(),
        Some((TenantId(1), "first key".to_string()))
    );
}

/// Installations that ran today's release migrated their file with store-sql: this store finds
/// it current (the same migration 1, by checksum) and reads it as store-sql does; and a file
/// this store made opens in store-sql unchanged, so going back a release is possible too.
#[tokio::test]
async fn a_file_either_store_migrated_is_current_for_the_other() {
    let url = fresh_sqlite_url();
    std::fs::copy(release("release-4b9a3ab").join("avisera.sqlite"), path_of(&url)).unwrap();
    let old = avisera_store_sql::connect(&url).await.unwrap();
    assert!(old.migrate().await.unwrap().adopted);
    let new = avisera_store_sqlite::connect(&url).await.unwrap();
    assert!(new.schema_status().await.unwrap().is_current());
    let report = new.migrate().await.unwrap();
    assert!(
        !report.adopted && report.applied.is_empty() && report.version == 1,
        "{report:?}"
    );
    for t in new.tenants().await.unwrap() {
        same_tenant_data(&new, &old, t.id).await;
    }

    let made_here = fresh_sqlite_url();
    let new = avisera_store_sqlite::connect(&made_here).await.unwrap();
    new.migrate().await.unwrap();
    let old = avisera_store_sql::connect(&made_here).await.unwrap();
    assert!(old.schema_status().await.unwrap().is_current());
    let report = old.migrate().await.unwrap();
    assert!(!report.adopted && report.applied.is_empty(), "{report:?}");
    assert_eq!(
        avisera_store_sqlite::testing::schema_fingerprint(&new).await,
        avisera_store_sql::testing::schema_fingerprint(&old).await
    );
}
