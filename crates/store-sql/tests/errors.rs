//! Real database errors sorted into the store's kinds: what the database gives up for a
//! concurrent transaction is retryable, a closed pool is unavailable, a stored value that does
//! not read back is corrupt. (Conflicts and missing tenants are in the conformance suite.)

use avisera_domain::plan::Plan;
use avisera_domain::tenant::Brand;
use avisera_store::{Maintenance, StoreError, TenantConfig};
use avisera_store_sql::testing::{fresh_postgres, fresh_sqlite, fresh_sqlite_url};
use avisera_store_sql::{SqlStore, classify, connect};

fn now() -> avisera_domain::Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

async fn tenant(store: &SqlStore, name: &str) -> i64 {
    store
        .create_tenant(name, Plan::Plus, &Brand::named(name), now())
        .await
        .unwrap()
        .id
        .0
}

async fn rename(conn: &mut sqlx::AnyConnection, id: i64, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tenants SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn postgres_a_serialization_failure_is_retryable() {
    let store = fresh_postgres().await;
    let id = tenant(&store, "A").await;
    let mut tx = store.pool().begin().await.unwrap();
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("SELECT name FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let mut other = store.pool().acquire().await.unwrap();
    rename(&mut other, id, "changed meanwhile").await.unwrap();
    let e = rename(&mut tx, id, "too late").await.unwrap_err();
    assert!(matches!(classify(e), StoreError::Retryable(_)));
}

#[tokio::test]
async fn postgres_a_deadlock_is_retryable() {
    let store = fresh_postgres().await;
    let (a, b) = (tenant(&store, "A").await, tenant(&store, "B").await);
    let mut one = store.pool().begin().await.unwrap();
    let mut two = store.pool().begin().await.unwrap();
    rename(&mut one, a, "one").await.unwrap();
    rename(&mut two, b, "two").await.unwrap();
    // Each now waits for the row the other holds; PostgreSQL breaks the cycle after a second.
    let (x, y) = tokio::join!(rename(&mut one, b, "one"), rename(&mut two, a, "two"));
    let lost = x
        .err()
        .or(y.err())
        .expect("one of them is chosen as the deadlock's victim");
    let kind = classify(lost);
    assert!(
        matches!(kind, StoreError::Retryable(ref m) if m.contains("deadlock")),
        "{kind:?}"
    );
}

#[tokio::test]
async fn sqlite_a_busy_file_is_retryable() {
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
    let busy = waiter
        .add_api_key(avisera_domain::TenantId(id), "hash", "key", now())
        .await;
    assert!(matches!(busy, Err(StoreError::Retryable(_))), "{busy:?}");
    tx.rollback().await.unwrap();
    waiter
        .add_api_key(avisera_domain::TenantId(id), "hash", "key", now())
        .await
        .expect("the same write once the file is free");
}

#[tokio::test]
async fn a_closed_pool_is_unavailable_on_both_engines() {
    for store in [fresh_sqlite().await, fresh_postgres().await] {
        store.pool().close().await;
        let ping = store.ping().await;
        assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
    }
}

#[tokio::test]
async fn a_stored_value_that_does_not_read_back_is_corrupt() {
    for store in [fresh_sqlite().await, fresh_postgres().await] {
        let id = tenant(&store, "A").await;
        sqlx::query("UPDATE tenants SET brand = 'not json' WHERE id = $1")
            .bind(id)
            .execute(store.pool())
            .await
            .unwrap();
        let read = store.tenant(avisera_domain::TenantId(id)).await;
        assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
    }
}

#[tokio::test]
async fn a_stored_message_that_does_not_read_back_fails_alone_and_the_claim_goes_on() {
    use avisera_domain::TenantId;
    use avisera_domain::notification::{Channel, Message};
    use avisera_domain::planner::PlannedNotification;
    use avisera_store::Outbox;
    for store in [fresh_sqlite().await, fresh_postgres().await] {
        let tenant = TenantId(tenant(&store, "A").await);
        let notice = |n: u32| PlannedNotification {
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
            }),
        };
        assert_eq!(
            store
                .add_notices(tenant, &[notice(1), notice(2), notice(3)], now())
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
        // (The log cannot show the row either: it decodes the message.)
        let (status, reason): (String, String) =
            sqlx::query_as("SELECT status, reason FROM notifications WHERE id = 2")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(status, "failed");
        assert!(reason.contains("can no longer be read"), "{reason}");
    }
}
