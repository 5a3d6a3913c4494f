//! Fresh stores for tests: a new PostgreSQL database per call, on the server named by
//! `AVISERA_TEST_POSTGRES_URL` (default the local one).

use crate::{PgStore, connect};
use avisera_store::Maintenance;
use sqlx::{Connection, PgConnection};

pub fn postgres_server_url() -> String {
    std::env::var("AVISERA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Creates an empty database and returns its URL. Its name is `avisera_test_<run>_<uuid>` when
/// `AVISERA_TEST_RUN` names the test run (`scripts/test` sets it, and drops the run's databases
/// when the run ends), else `avisera_test_<uuid>`.
pub async fn fresh_postgres_url() -> String {
    let server = postgres_server_url();
    let name = database_name(std::env::var("AVISERA_TEST_RUN").ok().as_deref());
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

/// A new test database's name: the run's tag (letters and digits only, at most 16, lower-cased)
/// and a fresh uuid, within PostgreSQL's 63 characters.
fn database_name(run: Option<&str>) -> String {
    let tag: String = run
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(16)
        .collect::<String>()
        .to_ascii_lowercase();
    let id = uuid::Uuid::new_v4().simple();
    match tag.as_str() {
        "" => format!("avisera_test_{id}"),
        tag => format!("avisera_test_{tag}_{id}"),
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

#[cfg(test)]
mod tests {
    use super::database_name;

    #[test]
    fn a_test_database_carries_its_runs_tag_so_the_run_can_drop_it() {
        let tagged = database_name(Some("R1a2b"));
        assert!(tagged.starts_with("avisera_test_r1a2b_"), "{tagged}");
        let odd = database_name(Some("x'; DROP DATABASE test; --0123456789abcdef"));
        assert!(odd.starts_with("avisera_test_xdropdatabasetes_"), "{odd}");
        assert!(odd.len() <= 63, "{odd}");
        let untagged = database_name(None);
        assert!(
            untagged.starts_with("avisera_test_") && untagged.len() == 45,
            "{untagged}"
        );
        assert_eq!(database_name(Some("")).len(), 45);
    }
}
