//! The connection as the typed options set it up: the file is created when missing, written
//! ahead (WAL) with NORMAL syncs, checks foreign keys, and waits for a busy file.

use avisera_store::{Maintenance, SchemaStatus};
use avisera_store_sqlite::connect;
use avisera_store_sqlite::testing::fresh_sqlite_url;

#[tokio::test]
async fn a_new_file_is_created_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    let url = fresh_sqlite_url();
    let path = url.trim_start_matches("sqlite://").to_string();
    assert!(!std::path::Path::new(&path).exists());
    let store = connect(&url).await.unwrap();
    assert!(std::path::Path::new(&path).exists(), "mode=rwc: the file is created");
    let known = avisera_store::latest(avisera_store_sqlite::MIGRATIONS);
    assert_eq!(store.schema_status().await.unwrap(), SchemaStatus::Empty { known });
    let pool = store.pool();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
    assert_eq!(journal, "wal");
    for (pragma, expected) in [("foreign_keys", 1), ("busy_timeout", 5000), ("synchronous", 1)] {
        let value: i64 = sqlx::query_scalar(&format!("PRAGMA {pragma}"))
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(value, expected, "{pragma}");
    }
}

#[tokio::test]
async fn a_url_that_names_a_mode_is_taken_as_it_says() {
    let url = fresh_sqlite_url();
    let opened = connect(&format!("{url}?mode=rw")).await;
    assert!(opened.is_err(), "mode=rw does not create a missing file");
    let path = url.trim_start_matches("sqlite://");
    assert!(!std::path::Path::new(path).exists());
}
