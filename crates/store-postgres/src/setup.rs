//! Opening a store from a `postgres://` URL.

use crate::PgStore;
use avisera_store::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Opens a pool on the database at `url`, each connection with `connect_options`.
pub async fn connect(url: &str) -> StoreResult<PgStore> {
    let options = connect_options(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
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

/// How the store's connections to the database at `url` open: every statement is planned
/// anew at each run (`plan_cache_mode = force_custom_plan`), for the tables as they are then.
/// By default PostgreSQL may, after five runs of a prepared statement, keep a generic plan for
/// the connection's life: the worker's claim kept one made while the outbox held a few rows,
/// which read the whole outbox once for each message it claimed (a 40,000-message backlog
/// drained at 800 a second instead of 6,000), and nothing made it plan again. Planning costs
/// a claim of hundreds of messages a millisecond or two; the statements of a small ingest batch
/// were planned anew at each run already (a custom plan knows its arrays' lengths). This also
/// sets aside a `plan_cache_mode` an operator set on the server or the database.
pub fn connect_options(url: &str) -> StoreResult<PgConnectOptions> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(StoreError::Database(format!(
            "database URL must start with postgres:// (got {:?})",
            url.split(':').next().unwrap_or("")
        )));
    }
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Database(format!("cannot read the database URL {}: {e}", redact(url))))?;
    Ok(options.options([("plan_cache_mode", "force_custom_plan")]))
}

/// The URL without its password, for error messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}
