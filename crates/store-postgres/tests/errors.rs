//! Real PostgreSQL errors sorted into the store's kinds: a taken value is a conflict naming
//! its constraint, what the database gives up for a concurrent transaction is retryable, a
//! closed pool is unavailable, a stored value that does not read back is corrupt.

use avisera_domain::TenantId;
use avisera_domain::plan::Plan;
use avisera_domain::tenant::Brand;
use avisera_store::{Maintenance, StoreError, TenantConfig};
use avisera_store_postgres::testing::fresh_postgres;
use avisera_store_postgres::{PgStore, classify};
use sqlx::PgConnection;

fn now() -> avisera_domain::Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

async fn tenant(store: &PgStore, name: &str) -> i64 {
    store
        .create_tenant(name, Plan::Plus, &Brand::named(name), now())
        .await
        .unwrap()
        .id
        .0
}

async fn rename(conn: &mut PgConnection, id: i64, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tenants SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_unique_violation_is_a_conflict_with_the_constraint_postgres_names() {
    let store = fresh_postgres().await;
    let id = TenantId(tenant(&store, "A").await);
    store.add_api_key(id, "hash", "av_0", "first", now()).await.unwrap();
    match store.add_api_key(id, "hash", "av_0", "second", now()).await {
        Err(StoreError::Conflict { constraint, message }) => {
            assert_eq!(constraint, "api_keys_pkey");
            assert!(message.contains("api_keys_pkey"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A raw statement's error, classified the same way.
    let e =
        sqlx::query("INSERT INTO api_keys (key_hash, tenant_id, label, created_at) VALUES ('hash', $1, 'x', now())")
            .bind(id.0)
            .execute(store.pool())
            .await
            .unwrap_err();
    assert!(matches!(classify(e), StoreError::Conflict { ref constraint, .. } if constraint == "api_keys_pkey"));
}

#[tokio::test]
async fn a_reference_to_a_missing_row_is_not_found() {
    let store = fresh_postgres().await;
    let e = store.add_api_key(TenantId(99), "hash", "av_0", "orphan", now()).await;
    assert!(
        matches!(e, Err(StoreError::NotFound(ref m)) if m.contains("api_keys_tenant_id_fkey")),
        "{e:?}"
    );
}

#[tokio::test]
async fn a_serialization_failure_is_retryable() {
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
async fn a_deadlock_is_retryable() {
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
async fn a_closed_pool_is_unavailable() {
    let store = fresh_postgres().await;
    store.pool().close().await;
    let ping = store.ping().await;
    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
}

#[tokio::test]
async fn a_server_that_does_not_answer_is_unavailable() {
    // Nothing listens on port 1.
    let e = avisera_store_postgres::connect("postgres://postgres@127.0.0.1:1/none").await;
    assert!(matches!(e, Err(StoreError::Unavailable(_))), "{:?}", e.err());
}

#[tokio::test]
async fn a_stored_value_that_does_not_read_back_is_corrupt() {
    let store = fresh_postgres().await;
    let id = tenant(&store, "A").await;
    // Valid JSON (jsonb refuses anything else), but not a brand.
    sqlx::query(r#"UPDATE tenants SET brand = '"not a brand"' WHERE id = $1"#)
        .bind(id)
        .execute(store.pool())
        .await
        .unwrap();
    let read = store.tenant(TenantId(id)).await;
    assert!(matches!(read, Err(StoreError::Corrupt(_))), "{read:?}");
}

#[tokio::test]
async fn a_stored_message_that_does_not_read_back_fails_alone_and_the_claim_goes_on() {
    use avisera_domain::notification::{Channel, Message};
    use avisera_domain::planner::PlannedNotification;
    use avisera_store::Outbox;
    let store = fresh_postgres().await;
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
            list_unsubscribe: None,
        }),
    };
    assert_eq!(
        store
            .add_notices(tenant, &[notice(1), notice(2), notice(3)], now())
            .await
            .unwrap(),
        3
    );
    sqlx::query(r#"UPDATE notifications SET message = '{"channel": "pigeon"}' WHERE id = 2"#)
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

/// Instants are stored as timestamptz in whole milliseconds and read back exactly, also before
/// 2000 (PostgreSQL's own epoch) and with the session in another zone.
#[tokio::test]
async fn instants_round_trip_exactly_through_timestamptz() {
    use avisera_store_postgres::PgTime;
    let store = fresh_postgres().await;
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query("SET TIME ZONE 'Asia/Kolkata'")
        .execute(&mut *conn)
        .await
        .unwrap();
    for text in [
        "2026-11-25T10:00:00.123Z",
        "1999-12-31T23:59:59.999Z",
        "1970-01-01T00:00:00Z",
        "2026-03-29T01:30:00.001Z",
    ] {
        let t: avisera_domain::Timestamp = text.parse().unwrap();
        let (back, ms): (PgTime, i64) = sqlx::query_as("SELECT $1, (extract(epoch FROM $1) * 1000)::bigint")
            .bind(PgTime(t))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(back.0, t, "{text}");
        assert_eq!(ms, t.as_millisecond(), "{text}");
    }
    // Kept to the millisecond, as on the other engines.
    let fine: avisera_domain::Timestamp = "2026-11-25T10:00:00.123456Z".parse().unwrap();
    let back: PgTime = sqlx::query_scalar("SELECT $1")
        .bind(PgTime(fine))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(back.0.to_string(), "2026-11-25T10:00:00.123Z");
}
