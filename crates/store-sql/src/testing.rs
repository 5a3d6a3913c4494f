//! Fresh stores for tests: a new PostgreSQL database (on the server named by
//! `AVISERA_TEST_POSTGRES_URL`, default the local one) or a new SQLite file per call.

use crate::{SqlStore, connect};
use avisera_store::Maintenance;
use sqlx::Connection;

pub fn postgres_server_url() -> String {
    std::env::var("AVISERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Creates an empty database and returns its URL.
pub async fn fresh_postgres_url() -> String {
    sqlx::any::install_default_drivers();
    let server = postgres_server_url();
    let name = format!("avisera_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::AnyConnection::connect(&server)
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

pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("avisera-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    format!("sqlite://{}", dir.join("avisera.sqlite").display())
}

pub async fn fresh_postgres() -> SqlStore {
    migrated(&fresh_postgres_url().await).await
}

pub async fn fresh_sqlite() -> SqlStore {
    migrated(&fresh_sqlite_url()).await
}

async fn migrated(url: &str) -> SqlStore {
    let store = connect(url).await.expect("open test store");
    store.migrate().await.expect("migrate test store");
    store
}

/// The schema as the engine reports it (columns with type, nullability and default; indexes;
/// constraints), sorted and without the order columns were added in: two databases with the
/// same fingerprint have the same shape, however they got it.
pub async fn schema_fingerprint(store: &SqlStore) -> Vec<String> {
    use sqlx::Row;
    let pool = store.pool();
    let strings = |sql: &'static str, arg: Option<String>| async move {
        let mut q = sqlx::query(sql);
        if let Some(a) = arg {
            q = q.bind(a);
        }
        let rows = q.fetch_all(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.iter().map(|r| r.get::<String, _>(0)).collect::<Vec<String>>()
    };
    let mut out = Vec::new();
    match store.dialect() {
        crate::Dialect::Sqlite => {
            let tables = strings(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
                None,
            )
            .await;
            for t in tables {
                let mut cols = strings(
                    "SELECT name || ' ' || type || ' notnull=' || \"notnull\" || ' default=' || COALESCE(dflt_value, '-') || ' pk=' || pk FROM pragma_table_info($1)",
                    Some(t.clone()),
                )
                .await;
                cols.sort();
                out.extend(cols.into_iter().map(|c| format!("{t}: column {c}")));
                let mut keys = strings(
                    "SELECT \"from\" || ' -> ' || \"table\" || '(' || COALESCE(\"to\", '') || ') on delete ' || on_delete FROM pragma_foreign_key_list($1)",
                    Some(t.clone()),
                )
                .await;
                keys.sort();
                out.extend(keys.into_iter().map(|k| format!("{t}: foreign key {k}")));
                let indexes = strings(
                    "SELECT CASE WHEN origin = 'c' THEN name ELSE origin END || ' unique=' || \"unique\" || ' partial=' || partial || ' on ' || (SELECT group_concat(name, ',') FROM pragma_index_info(il.name)) FROM pragma_index_list($1) AS il",
                    Some(t.clone()),
                )
                .await;
                let mut indexes = indexes;
                indexes.sort();
                out.extend(indexes.into_iter().map(|i| format!("{t}: index {i}")));
            }
            let mut partial = strings(
                "SELECT name || ': ' || replace(replace(sql, char(10), ' '), '  ', ' ') FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
                None,
            )
            .await;
            partial.sort();
            out.extend(partial);
        }
        crate::Dialect::Postgres => {
            out.extend(
                strings(
                    "SELECT table_name::text || ': column ' || column_name::text || ' ' || data_type::text || ' nullable=' || is_nullable::text || ' default=' || COALESCE(column_default::text, '-')
                     FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY 1",
                    None,
                )
                .await,
            );
            out.extend(
                strings(
                    "SELECT indexdef::text FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname",
                    None,
                )
                .await,
            );
            out.extend(
                strings(
                    "SELECT conrelid::regclass::text || ': ' || pg_get_constraintdef(oid) FROM pg_constraint
                     WHERE connamespace = current_schema()::regnamespace ORDER BY 1",
                    None,
                )
                .await,
            );
        }
    }
    out
}

/// Loads a plain-SQL `pg_dump` (made with `--inserts`) into the database at `url`, on a
/// connection of its own (the dump empties `search_path` for its session). psql's
/// meta-commands (`\restrict`) are skipped.
pub async fn load_postgres_dump(url: &str, dump: &str) {
    sqlx::any::install_default_drivers();
    let sql: String = dump
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .expect("connect to load the dump");
    sqlx::raw_sql(&sql).execute(&mut conn).await.expect("load the dump");
    let _ = conn.close().await;
}
