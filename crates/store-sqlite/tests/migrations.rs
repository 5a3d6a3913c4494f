//! Versioned migrations: every SQLite schema an earlier release created upgrades in place with
//! its rows, to exactly the shape a new database gets; later migrations apply once, in order;
//! a newer or edited schema is refused, with what to do.

use avisera_domain::TenantId;
use avisera_domain::notification::Status;
use avisera_store::{
    EventStore, Maintenance, NotificationFilter, NotificationLog, SchemaStatus, ShipmentSearch, StoreError,
    TenantConfig, latest,
};
use avisera_store_sqlite::testing::{fresh_sqlite_url, schema_fingerprint};
use avisera_store_sqlite::{MIGRATIONS, Migration, SqliteStore, connect};

/// Every shape the SQLite schema had before versioned migrations (tests/fixtures/old_schemas,
/// as the releases made them), by the commit that introduced it (0df1969's is migration 1 itself; the release fixtures in
/// crates/avisera/tests cover it with real data).
const OLD_SHAPES: &[&str] = &[
    "9d98c37", // first: foreign keys on the hot tables
    "d058bd1", // no foreign keys on the hot tables
    "db9be2b", // billing: tenants.billing, plan_changes, notifications' charge columns
    "1b060f0", // opt_outs
    "4179d7f", // rule_changes
    "796ae40", // tenant_mappings
    "2e8c6a0", // notifications.time_zone
    "e54bed3", // users, sessions, logos
    "2a91818", // webhook_secrets (and, by a merge, without users, sessions, logos)
];

fn old_schema(commit: &str) -> String {
    let path = format!("{}/tests/fixtures/old_schemas/{commit}.sql", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn run(store: &SqliteStore, sql: &str) {
    for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

// Rows as release 4b9a3ab stored them (its fixture database), in the columns every old shape has;
// ids from the sequences, as the releases took them (a fresh database numbers them from 1). The
// state's phone is as given and its order reference untrimmed, as releases before de534b1 kept them.
const BRAND: &str = r#"{"brand_name":"Webshop AB","sms_sender_id":"WebshopAB","email_from_name":"Webshop AB","email_from_address":null,"reply_to":null,"customer_service_email":null,"customer_service_phone":null,"default_language":"sv","logo_id":null}"#;
const STATE: &str = r#"{"id":1,"tracking_number":"00370712345678900000","details":{"receiver_name":"Anna","receiver_phone":"070-123 45 67","receiver_email":"Anna@Example.se","receiver_language":"sv","receiver_time_zone":null,"destination_country":"SE","service_code":null,"sender_account":null,"order_reference":" ORD-1042","is_return":null,"carrier":"PostNord","expected_delivery":null,"attributes":{},"pickup_point":null},"milestone":"delivered","milestone_at":"2026-11-25T13:05:00Z","last_event_at":"2026-11-25T13:05:00Z","had_physical_event":true}"#;
const EVENT: &str = r#"{"event_key":"id:e0a","tracking_number":"00370712345678900000","code":"DELIVERED","occurred_at":"2026-11-25T13:05:00Z","location":"Stockholm","details":{"receiver_name":"Anna","receiver_phone":"+46701234567","receiver_email":"Anna@Example.se","receiver_language":"sv","receiver_time_zone":null,"destination_country":"SE","service_code":null,"sender_account":null,"order_reference":" ORD-1042","is_return":null,"carrier":"PostNord","expected_delivery":null,"attributes":{},"pickup_point":null}}"#;
const MESSAGE: &str = r#"{"channel":"sms","sender_id":"WebshopAB","to":"+46701234567","text":"Hej Anna! Paket 00370712345678900000 är levererat. /Webshop AB"}"#;

async fn add_old_rows(store: &SqliteStore) {
    let q = |sql: &'static str| sqlx::query(sql);
    let pool = store.pool();
    q("INSERT INTO tenants (name, plan, brand, created_at) VALUES ('Webshop AB', 'plus', $1, 1764000000000)")
        .bind(BRAND)
        .execute(pool)
        .await
        .unwrap();
    q("INSERT INTO api_keys (key_hash, tenant_id, label, created_at) VALUES ('abc123', 1, 'first key', 1764000000000)")
        .execute(pool)
        .await
        .unwrap();
    q("INSERT INTO shipments (tenant_id, tracking_number, state, updated_at) VALUES (1, '00370712345678900000', $1, 1764000000000)")
        .bind(STATE)
        .execute(pool)
        .await
        .unwrap();
    q("INSERT INTO events (tenant_id, shipment_id, event_key, code, occurred_at, received_at, location, unknown_code, body)
       VALUES (1, 1, 'id:e0a', 'DELIVERED', 1764075900000, 1764000000000, 'Stockholm', 0, $1)")
    .bind(EVENT)
    .execute(pool)
    .await
    .unwrap();
    q(
        "INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient,
         dedupe_key, idempotency_key, status, language, message, due_at, attempts, provider_id, created_at, updated_at)
       VALUES (1, 1, '00370712345678900000', 1, 'delivered', 'sms', '+46701234567', 'd1', 'i1', 'sent', 'sv', $1,
         1764000000000, 1, 'p1', 1764000000000, 1764000000000)",
    )
    .bind(MESSAGE)
    .execute(pool)
    .await
    .unwrap();
    q("INSERT INTO notification_history (tenant_id, notification_id, status, at) VALUES (1, 1, 'sent', 1764000000000)")
        .execute(pool)
        .await
        .unwrap();
}

/// A database made by `commit`'s schema with rows, migrated: every row is still there and
/// readable, the lookup columns are filled from the stored state, the shape is a new
/// database's, and migrating again changes nothing.
async fn an_old_database_upgrades_in_place(commit: &str) {
    let store = connect(&fresh_sqlite_url()).await.unwrap();
    run(&store, &old_schema(commit)).await;
    add_old_rows(&store).await;
    assert_eq!(
        store.schema_status().await.unwrap(),
        SchemaStatus::PreMigrations {
            known: latest(MIGRATIONS)
        },
        "{commit}"
    );

    // Adopted as version 1, then the later migrations applied.
    let report = store.migrate().await.unwrap();
    assert!(
        report.adopted
            && report.version == latest(MIGRATIONS)
            && report.applied.iter().map(|m| m.version).eq(2..=latest(MIGRATIONS)),
        "{commit}: {report:?}"
    );
    assert!(store.schema_status().await.unwrap().is_current());

    let t = TenantId(1);
    let tenant = store.tenant(t).await.unwrap().expect("the tenant is kept");
    assert_eq!(
        (tenant.name.as_str(), tenant.brand.sms_sender_id.as_str()),
        ("Webshop AB", "WebshopAB")
    );
    assert_eq!(
        store.tenant_by_api_key("abc123").await.unwrap(),
        Some((t, "first key".to_string())),
        "{commit}: the API key still authenticates"
    );
    let shipment = store
        .shipment(t, "00370712345678900000")
        .await
        .unwrap()
        .expect("the shipment is kept");
    assert_eq!(shipment.details.receiver_name.as_deref(), Some("Anna"));
    assert_eq!(store.shipment_events(t, "00370712345678900000").await.unwrap().len(), 1);
    for search in [
        ShipmentSearch::OrderReference("ord-1042".into()),
        ShipmentSearch::Phone("+46701234567".into()),
        ShipmentSearch::Email("anna@example.se".into()),
    ] {
        let found = store.find_shipments(t, &search, 10).await.unwrap();
        assert_eq!(
            found.len(),
            1,
            "{commit}: {search:?} finds the old shipment (backfilled)"
        );
    }
    let notes = store
        .notifications(
            t,
            &NotificationFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(notes.len(), 1, "{commit}");
    assert_eq!(
        (notes[0].status, notes[0].recipient.as_str()),
        (Status::Sent, "+46701234567")
    );
    assert_eq!(store.notification_history(t, notes[0].id).await.unwrap().len(), 1);

    let new = connect(&fresh_sqlite_url()).await.unwrap();
    new.migrate().await.unwrap();
    let (upgraded, made_new) = (schema_fingerprint(&store).await, schema_fingerprint(&new).await);
    assert!(made_new.len() > 100, "{made_new:?}");
    let differ = |a: &[String], b: &[String]| a.iter().filter(|x| !b.contains(x)).cloned().collect::<Vec<_>>();
    assert_eq!(
        (differ(&upgraded, &made_new), differ(&made_new, &upgraded)),
        (vec![], vec![]),
        "{commit}: the upgraded schema (left: only there) is a new database's (right: only there)"
    );

    let again = store.migrate().await.unwrap();
    assert!(
        !again.adopted && again.applied.is_empty() && again.version == latest(MIGRATIONS),
        "{again:?}"
    );
    // New rows go in beside the old ones.
    let second = store
        .create_tenant(
            "Butik Nord",
            avisera_domain::plan::Plan::Plus,
            &tenant.brand,
            "2026-11-29T12:00:00Z".parse().unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(second.id, TenantId(2));
}

#[tokio::test]
async fn every_old_sqlite_schema_upgrades_in_place_with_its_rows() {
    for commit in OLD_SHAPES {
        an_old_database_upgrades_in_place(commit).await;
    }
}

/// A fake migration after this build's last (whatever its number: branches add theirs).
fn next() -> Migration {
    Migration {
        version: latest(MIGRATIONS) + 1,
        name: "shipment_notes",
        sql: "CREATE TABLE shipment_notes (tenant_id BIGINT NOT NULL, note TEXT NOT NULL); CREATE INDEX shipment_notes_of ON shipment_notes (tenant_id)",
    }
}

/// This build's migrations and `next()`.
fn with_next() -> Vec<Migration> {
    let mut all = MIGRATIONS.to_vec();
    all.push(next());
    all
}

/// A release with a further migration: the database is behind until migrate applies it, once.
#[tokio::test]
async fn a_later_migration_applies_once_and_a_newer_schema_is_refused() {
    let store = connect(&fresh_sqlite_url()).await.unwrap();
    let known = latest(MIGRATIONS);
    assert_eq!(store.schema_status().await.unwrap(), SchemaStatus::Empty { known });
    let first = store.migrate().await.unwrap();
    assert_eq!(
        first
            .applied
            .iter()
            .map(|m| (m.version, m.name.clone()))
            .collect::<Vec<_>>(),
        MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name.to_string()))
            .collect::<Vec<_>>()
    );
    assert!(!first.adopted);
    let with_next = with_next();
    assert_eq!(
        store.schema_status_with(&with_next).await.unwrap(),
        SchemaStatus::At {
            version: known,
            known: known + 1
        }
    );
    let report = store.migrate_with(&with_next).await.unwrap();
    assert_eq!(
        report
            .applied
            .iter()
            .map(|m| (m.version, m.name.as_str()))
            .collect::<Vec<_>>(),
        vec![(known + 1, "shipment_notes")]
    );
    assert_eq!(report.version, known + 1);
    assert!(store.migrate_with(&with_next).await.unwrap().applied.is_empty());
    sqlx::query("INSERT INTO shipment_notes (tenant_id, note) VALUES (1, 'x')")
        .execute(store.pool())
        .await
        .unwrap();

    // This build knows only its own: the database is newer than it.
    assert_eq!(
        store.schema_status().await.unwrap(),
        SchemaStatus::At {
            version: known + 1,
            known
        }
    );
    match store.migrate().await {
        Err(StoreError::Schema(why)) => assert!(
            why.contains(&format!("newer than this avisera knows ({known})")),
            "{why}"
        ),
        other => panic!("migrating a newer schema must be refused: {other:?}"),
    }

    // A migration edited after it was applied is noticed, not run around.
    let mut edited = with_next;
    edited.last_mut().unwrap().sql = "CREATE TABLE shipment_notes (tenant_id BIGINT NOT NULL)";
    match store.migrate_with(&edited).await {
        Err(StoreError::Schema(why)) => {
            assert!(
                why.contains(&format!("{:04} (shipment_notes)", known + 1)) && why.contains("edited"),
                "{why}"
            )
        }
        other => panic!("an edited migration must be refused: {other:?}"),
    }
}

/// A failing migration leaves nothing of itself and the version where it was.
#[tokio::test]
async fn a_failing_migration_changes_nothing() {
    let store = connect(&fresh_sqlite_url()).await.unwrap();
    store.migrate().await.unwrap();
    let known = latest(MIGRATIONS);
    let mut broken = MIGRATIONS.to_vec();
    broken.push(Migration {
        version: known + 1,
        name: "broken",
        sql: "CREATE TABLE half_done (x BIGINT); INSERT INTO no_such_table VALUES (1)",
    });
    match store.migrate_with(&broken).await {
        Err(StoreError::Schema(why)) => assert!(why.contains(&format!("{:04} (broken) failed", known + 1)), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store.schema_status_with(&broken).await.unwrap(),
        SchemaStatus::At {
            version: known,
            known: known + 1
        }
    );
    assert!(
        sqlx::query("SELECT 1 FROM half_done")
            .execute(store.pool())
            .await
            .is_err(),
        "the failed migration's first statement was rolled back"
    );
}

/// Processes starting together each run `migrate` on one file: SQLite's write lock, taken at
/// BEGIN IMMEDIATE, lets one apply each migration and the others find it done.
#[tokio::test]
async fn processes_migrating_one_file_at_once_apply_each_migration_once() {
    let url = fresh_sqlite_url();
    let mut nodes = Vec::new();
    for _ in 0..4 {
        let url = url.clone();
        nodes.push(tokio::spawn(async move {
            let store = connect(&url).await.unwrap();
            store.migrate_with(&with_next()).await.unwrap()
        }));
    }
    let mut applied = Vec::new();
    for n in nodes {
        let report = n.await.unwrap();
        assert_eq!(report.version, latest(MIGRATIONS) + 1);
        applied.extend(report.applied.into_iter().map(|m| m.version));
    }
    applied.sort();
    assert_eq!(
        applied,
        (1..=latest(MIGRATIONS) + 1).collect::<Vec<_>>(),
        "each migration applied by exactly one process"
    );
}
