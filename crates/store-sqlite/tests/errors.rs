//! Real SQLite errors sorted into the store's kinds: a taken value is a conflict that names
//! its columns, a busy file is retryable (and retried), a closed pool is unavailable, a stored
//! value that does not read back is corrupt.

use avisera_domain::TenantId;
use avisera_domain::contact::EmailAddress;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::plan::Plan;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::tenant::Brand;
use avisera_domain::user::Role;
use avisera_store::{Maintenance, NewUser, Outbox, Portal, StoreError, TenantConfig};
use avisera_store_sqlite::testing::{fresh_sqlite, fresh_sqlite_url};
use avisera_store_sqlite::{SqliteStore, classify, connect};

fn now() -> avisera_domain::Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

async fn tenant(store: &SqliteStore, name: &str) -> TenantId {
    store
        .create_tenant(name, Plan::Plus, &Brand::named(name), now())
        .await
        .unwrap()
        .id
}

#[tokio::test]
async fn a_unique_violation_is_a_conflict_naming_the_columns() {
    let store = fresh_sqlite().await;
    let t = tenant(&store, "A").await;
    store.add_api_key(t, "hash", "av_0", "first", now()).await.unwrap();
    match store.add_api_key(t, "hash", "av_0", "second", now()).await {
        Err(StoreError::Conflict { constraint, message }) => {
            // A primary key (extended code 1555).
            assert_eq!(constraint, "api_keys.key_hash");
            assert!(message.contains("api_keys.key_hash"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A UNIQUE column (extended code 2067), straight from the database.
    let e = sqlx::query("INSERT INTO users (tenant_id, email, name, role, password_hash, created_at) VALUES (?1, 'a@b.se', 'A', 'admin', 'h', 0)")
        .bind(t.0)
        .execute(store.pool())
        .await
        .and(
            sqlx::query("INSERT INTO users (tenant_id, email, name, role, password_hash, created_at) VALUES (?1, 'a@b.se', 'B', 'admin', 'h', 0)")
                .bind(t.0)
                .execute(store.pool())
                .await,
        )
        .unwrap_err();
    match classify(e) {
        StoreError::Conflict { constraint, .. } => assert_eq!(constraint, "users.email"),
        other => panic!("{other:?}"),
    }
    // Through the store, the portal's own words.
    let user = NewUser {
        email: EmailAddress::parse("A@B.se").unwrap(),
        name: "A".into(),
        role: Role::Admin,
        password_hash: "h".into(),
    };
    match store.create_user(t, &user, now()).await {
        Err(StoreError::Conflict { constraint, message }) => {
            assert_eq!(constraint, "users.email");
            assert!(message.contains("a@b.se already exists"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_reference_to_a_missing_row_is_not_found() {
    let store = fresh_sqlite().await;
    let key = store.add_api_key(TenantId(42), "hash", "av_0", "orphan", now()).await;
    assert!(matches!(key, Err(StoreError::NotFound(_))), "{key:?}");
}

#[tokio::test]
async fn a_busy_file_is_retryable() {
    let url = fresh_sqlite_url();
    let holder = connect(&url).await.unwrap();
    holder.migrate().await.unwrap();
    let id = tenant(&holder, "A").await;
    let waiter = connect(&url).await.unwrap();
    // Fail at once instead of after the usual five seconds of waiting for the lock.
    sqlx::query("PRAGMA busy_timeout = 0")
        .execute(waiter.pool())
        .await
        .unwrap();
    let tx = holder.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
    let busy = waiter.add_api_key(id, "hash", "av_0", "key", now()).await;
    assert!(matches!(busy, Err(StoreError::Retryable(_))), "{busy:?}");
    tx.rollback().await.unwrap();
    waiter
        .add_api_key(id, "hash", "av_0", "key", now())
        .await
        .expect("the same write once the file is free");
}

#[tokio::test]
async fn a_closed_pool_is_unavailable() {
    let store = fresh_sqlite().await;
    store.pool().close().await;
    let ping = store.ping().await;
    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
}

#[tokio::test]
async fn a_url_for_another_database_is_refused_with_what_to_write() {
    match connect("postgres://localhost/avisera").await {
        Err(StoreError::Database(why)) => assert!(why.contains("sqlite://"), "{why}"),
        other => panic!("{:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_stored_value_that_does_not_read_back_is_corrupt() {
    let store = fresh_sqlite().await;
    let id = tenant(&store, "A").await;
    sqlx::query("UPDATE tenants SET brand = 'not json' WHERE id = ?1")
        .bind(id.0)
        .execute(store.pool())
        .await
        .unwrap();
    let read = store.tenant(id).await;
    assert!(
        matches!(read, Err(StoreError::Corrupt(ref m)) if m.contains("brand")),
        "{read:?}"
    );
    sqlx::query("UPDATE tenants SET brand = '{}', plan = 'platinum' WHERE id = ?1")
        .bind(id.0)
        .execute(store.pool())
        .await
        .unwrap();
    let read = store.tenants().await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
}

fn notice(n: u32) -> PlannedNotification {
    PlannedNotification {
        rule_id: None,
        trigger: None,
        channel: Channel::Email,
        recipient: "ekonomi@example.se".into(),
        dedupe_key: format!("notice:{n}"),
        due_at: now(),
        time_zone: None,
        language: None,
        message: Ok(Message::Email {
            from_name: "Avisera".into(),
            from_address: None,
            reply_to: None,
            to: "ekonomi@example.se".into(),
            subject: format!("Notice {n}"),
            html: None,
            text: "text".into(),
            list_unsubscribe: None,
        }),
    }
}

#[tokio::test]
async fn a_stored_message_that_does_not_read_back_fails_alone_and_the_claim_goes_on() {
    let store = fresh_sqlite().await;
    let t = tenant(&store, "A").await;
    assert_eq!(
        store
            .add_notices(t, &[notice(1), notice(2), notice(3)], now())
            .await
            .unwrap(),
        3
    );
    sqlx::query("UPDATE notifications SET message = 'not json' WHERE id = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let lease: avisera_domain::Timestamp = "2026-11-25T10:01:00Z".parse().unwrap();
    let jobs = store.claim_due("w1", now(), lease, 10).await.unwrap();
    let mut ids: Vec<i64> = jobs.iter().map(|j| j.id.0).collect();
    ids.sort();
    assert_eq!(ids, [1, 3], "the readable ones are claimed");
    let (status, reason): (String, String) = sqlx::query_as("SELECT status, reason FROM notifications WHERE id = 2")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(status, "failed");
    assert!(reason.contains("can no longer be read"), "{reason}");
}
