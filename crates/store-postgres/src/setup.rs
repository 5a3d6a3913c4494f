//! Opening a store from a `postgres://` URL.

use crate::PgStore;
use avisera_store::{StoreError, StoreResult};
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// Opens a pool on the database at `url`.
pub async fn connect(url: &str) -> StoreResult<PgStore> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::Database(format!(
            "database URL must start with postgres:// (got {:?})",
            url.split(':').next().unwrap_or("")
        )));
    }
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await
        .map_err(|e| {
            let said = format!("cannot open {}: {e}", redact(url));
            match crate::error::classify(e) {
                StoreError::Unavailable(_) => StoreError::Unavailable(said),
                _ => StoreError::Database(said),
            }
        })?;
    Ok(PgStore::from_pool(pool))
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}
