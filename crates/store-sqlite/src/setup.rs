//! Opening the store: one SQLite file (created when missing), its connection set up by
//! sqlx's typed options.

use crate::SqliteStore;
use avisera_store::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// Opens (and creates, unless the URL names a `mode`) the SQLite database at `url`.
pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
    if !url.starts_with("sqlite:") {
        return Err(StoreError::Database(format!(
            "database URL must start with sqlite:// (got {:?})",
            url.split(':').next().unwrap_or("")
        )));
    }
    let cannot_open = |e: sqlx::Error| {
        let said = format!("cannot open {url}: {e}");
        match crate::error::classify(e) {
            StoreError::Unavailable(_) => StoreError::Unavailable(said),
            _ => StoreError::Database(said),
        }
    };
    let mut options = SqliteConnectOptions::from_str(url)
        .map_err(cannot_open)?
        // WAL: readers never wait for the writer. NORMAL is durable at each checkpoint and
        // safe against corruption in WAL mode, at a fraction of FULL's fsyncs.
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    if !url.contains("mode=") {
        options = options.create_if_missing(true);
    }
    // SQLite has one writer; one connection serialises every transaction, so a reader can
    // never hold a stale snapshot that a write then has to abandon.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
        .map_err(cannot_open)?;
    Ok(SqliteStore { pool })
}
