//! Fresh stores for tests: a new PostgreSQL database per call, on the server named by
//! `AVISERA_TEST_POSTGRES_URL` (default the local one).

use crate::{PgStore, connect};
use avisera_store::Maintenance;
use sqlx::{Connection, PgConnection};

pub fn postgres_server_url() -> String {
    std::env::var("AVISERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Creates an empty database and returns its URL.
pub async fn fresh_postgres_url() -> String {
    let server = postgres_server_url();
    let name = format!("avisera_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("tests need PostgreSQL at {server} (set AVISERA_TEST_POSTGRES_URL): {e}"));
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let _ = admin.close().await;
    let (path, query) = server
        .split_once('?')
        .map_or((server.as_str(), None), |(p, q)| (p, Some(q)));
    let base = path.rsplit_once('/').map(|(b, _)| b).unwrap_or(path);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A new, migrated, empty store.
pub async fn fresh_postgres() -> PgStore {
    let store = connect(&fresh_postgres_url().await).await.expect("open test store");
    store.migrate().await.expect("migrate test store");
    store
}

/// The schema as PostgreSQL reports it (columns with type, nullability and default; indexes;
/// constraints), sorted and without the order columns were added in: two databases with the
/// same fingerprint have the same shape, however they got it.
pub async fn schema_fingerprint(store: &PgStore) -> Vec<String> {
    let pool = store.pool();
    let mut out = Vec::new();
    for sql in [
        "SELECT table_name::text || ': column ' || column_name::text || ' ' || data_type::text || ' nullable=' || is_nullable::text || ' default=' || COALESCE(column_default::text, '-')
         FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1",
        "SELECT indexdef::text FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname",
        "SELECT conrelid::regclass::text || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
         WHERE connamespace = current_schema()::regnamespace ORDER BY 1",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        out.extend(rows);
    }
    out
}

/// Loads a plain-SQL `pg_dump` (made with `--inserts`) into the database at `url`, on a
/// connection of its own (the dump empties `search_path` for its session). psql's
/// meta-commands (`\restrict`) are skipped.
pub async fn load_postgres_dump(url: &str, dump: &str) {
    let sql: String = dump
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut conn = PgConnection::connect(url).await.expect("connect to load the dump");
    sqlx::raw_sql(&sql).execute(&mut conn).await.expect("load the dump");
    let _ = conn.close().await;
}
