//! Waking delivery workers on every node: a node that stores due notifications sends
//! `NOTIFY avisera_work`, and each worker node listens on its own connection, so a message
//! stored on one node starts on another at once instead of at that node's next poll.

use crate::db;
use avisera_store::StoreResult;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::time::Duration;
use tokio::sync::watch;

/// The channel's name: one for all tenants (the payload is empty; workers claim what is due).
pub const CHANNEL: &str = "avisera_work";

pub async fn announce(pool: &PgPool) -> StoreResult<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANNEL)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}

/// Listens at `url` until `stop` turns true and calls `woken` for every announcement. A lost
/// connection is opened again (with a pause); meanwhile the workers still poll, so nothing
/// waits longer than their poll interval.
pub async fn listen(url: String, woken: impl Fn() + Send, mut stop: watch::Receiver<bool>) {
    while !*stop.borrow() {
        let mut listener = match PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for work announcements; retrying in 5 s");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                    _ = stop.changed() => break,
                }
            }
        };
        if let Err(e) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %e, "cannot listen for work announcements; retrying in 5 s");
            tokio::time::sleep(Duration::from_secs(5)).await;
            continue;
        }
        loop {
            tokio::select! {
                got = listener.recv() => match got {
                    Ok(_) => woken(),
                    Err(e) => {
                        tracing::warn!(error = %e, "work announcements interrupted; listening again");
                        break;
                    }
                },
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return;
                    }
                }
            }
        }
    }
}
