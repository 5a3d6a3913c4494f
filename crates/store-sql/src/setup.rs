//! Opening a store from a URL.

use crate::SqlStore;
use avisera_store::{StoreError, StoreResult};
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of_url(url: &str) -> Result<Dialect, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Dialect::Postgres)
        } else {
            Err(StoreError::Database(format!(
                "database URL must start with sqlite:// or postgres:// (got {:?})",
                url.split(':').next().unwrap_or("")
            )))
        }
    }
}

/// Opens (and for SQLite creates) the database at `url`.
pub async fn connect(url: &str) -> StoreResult<SqlStore> {
    sqlx::any::install_default_drivers();
    let dialect = Dialect::of_url(url)?;
    let pool = match dialect {
        // SQLite has one writer; one connection serialises every transaction, so a reader
        // can never hold a stale snapshot that a write then has to abandon.
        Dialect::Sqlite => {
            let url = if url.contains('?') || url.contains(":memory:") { url.to_string() } else { format!("{url}?mode=rwc") };
            AnyPoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;").await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await
        }
        Dialect::Postgres => {
            AnyPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(url).await
        }
    }
    .map_err(|e| {
        let said = format!("cannot open {}: {e}", redact(url));
        match crate::error::classify(e) {
            StoreError::Unavailable(_) => StoreError::Unavailable(said),
            _ => StoreError::Database(said),
        }
    })?;
    Ok(SqlStore { pool, dialect })
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}
