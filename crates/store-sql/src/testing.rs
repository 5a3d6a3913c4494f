//! Fresh stores for tests: a new PostgreSQL database (on the server named by
//! `AVISERA_TEST_POSTGRES_URL`, default the local one) or a new SQLite file per call.

use crate::{SqlStore, connect};
use avisera_store::Store;
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
