//! Fresh stores for tests: a new SQLite file per call, migrated; and the schema's shape, to
//! compare two databases however they got it.

use crate::{SqliteStore, connect};
use avisera_store::Maintenance;

/// The URL of a new, empty SQLite file in its own temporary folder.
pub fn fresh_sqlite_url() -> String {
    let dir = std::env::temp_dir().join(format!("avisera-test-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    format!("sqlite://{}", dir.join("avisera.sqlite").display())
}

/// A new, migrated store.
pub async fn fresh_sqlite() -> SqliteStore {
    let store = connect(&fresh_sqlite_url()).await.expect("open test store");
    store.migrate().await.expect("migrate test store");
    store
}

/// The schema as SQLite reports it (columns with type, nullability and default; foreign keys;
/// indexes), sorted and without the order columns were added in: two databases with the same
/// fingerprint have the same shape, however they got it.
pub async fn schema_fingerprint(store: &SqliteStore) -> Vec<String> {
    let pool = store.pool();
    let strings = |sql: &'static str, table: Option<String>| async move {
        let mut q = sqlx::query_scalar::<_, String>(sql);
        if let Some(t) = table {
            q = q.bind(t);
        }
        let mut out = q.fetch_all(pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        out.sort();
        out
    };
    let mut out = Vec::new();
    let tables = strings(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        None,
    )
    .await;
    for t in tables {
        let cols = strings(
            "SELECT name || ' ' || type || ' notnull=' || \"notnull\" || ' default=' || COALESCE(dflt_value, '-') || ' pk=' || pk FROM pragma_table_info(?1)",
            Some(t.clone()),
        )
        .await;
        out.extend(cols.into_iter().map(|c| format!("{t}: column {c}")));
        let keys = strings(
            "SELECT \"from\" || ' -> ' || \"table\" || '(' || COALESCE(\"to\", '') || ') on delete ' || on_delete FROM pragma_foreign_key_list(?1)",
            Some(t.clone()),
        )
        .await;
        out.extend(keys.into_iter().map(|k| format!("{t}: foreign key {k}")));
        let indexes = strings(
            "SELECT CASE WHEN origin = 'c' THEN name ELSE origin END || ' unique=' || \"unique\" || ' partial=' || partial || ' on ' || (SELECT group_concat(name, ',') FROM pragma_index_info(il.name)) FROM pragma_index_list(?1) AS il",
            Some(t.clone()),
        )
        .await;
        out.extend(indexes.into_iter().map(|i| format!("{t}: index {i}")));
    }
    out.extend(
        strings(
            "SELECT name || ': ' || replace(replace(sql, char(10), ' '), '  ', ' ') FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            None,
        )
        .await,
    );
    out
}
