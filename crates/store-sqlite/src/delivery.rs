//! The delivery worker's side of the outbox: record how sending a claimed notification went
//! (`claim` claims them with a lease). A lease that runs out (its worker died) makes the job
//! claimable again; the provider's idempotency key keeps that from becoming a second message.

use crate::codec::{Millis, Slug};
use crate::events::add_history;
use crate::{begin_write, db};
use avisera_domain::billing::{Billed, Charge};
use avisera_domain::money::Ore;
use avisera_domain::notification::Channel;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{DeliveryOutcome, Finished, StoreResult};
use sqlx::SqlitePool;
use std::collections::HashMap;

pub async fn finish(
    pool: &SqlitePool,
    worker: &str,
    finished: &[Finished],
    now: Timestamp,
) -> StoreResult<Vec<NotificationId>> {
    if finished.is_empty() {
        return Ok(Vec::new());
    }
    crate::error::retrying(|| finish_once(pool, worker, finished, now)).await
}

/// Every outcome of the batch in one write transaction (SQLite runs the statements in process,
/// so one statement per row costs no round trips).
async fn finish_once(
    pool: &SqlitePool,
    worker: &str,
    finished: &[Finished],
    now: Timestamp,
) -> StoreResult<Vec<NotificationId>> {
    let mut tx = begin_write(pool).await?;
    let mut recorded = Vec::with_capacity(finished.len());
    for f in finished {
        let outcome = &f.outcome;
        let status = outcome.status();
        let (provider_id, charge) = match outcome {
            DeliveryOutcome::Sent { provider_id, charge } => (provider_id.as_deref(), *charge),
            _ => (None, None),
        };
        let sent_at = matches!(outcome, DeliveryOutcome::Sent { .. }).then_some(Millis(now));
        let done = sqlx::query(
            "UPDATE notifications SET status = ?1, reason = ?2, provider_id = COALESCE(?3, provider_id),
                 due_at = COALESCE(?4, due_at), lease_owner = NULL, lease_until = NULL, updated_at = ?5,
                 sent_at = ?9, billed_units = ?10, unit_price_ore = ?11, attempts = attempts + ?12,
                 provider = COALESCE(?13, provider)
             WHERE tenant_id = ?6 AND id = ?7 AND lease_owner = ?8
               AND (status = 'scheduled' OR (status = 'cancelled' AND ?1 = 'sent'))",
        )
        .bind(status.slug())
        .bind(outcome.reason())
        .bind(provider_id)
        .bind(outcome.due_again().map(Millis))
        .bind(Millis(now))
        .bind(f.tenant.0)
        .bind(f.id.0)
        .bind(worker)
        .bind(sent_at)
        .bind(charge.map(|c| i64::from(c.units)))
        .bind(charge.map(|c| c.unit_price.0))
        .bind(i64::from(outcome.is_attempt()))
        .bind(f.provider.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        if done.rows_affected() != 1 {
            continue;
        }
        add_history(
            &mut tx,
            f.tenant,
            f.id.0,
            status,
            outcome.history_reason().as_deref(),
            now,
        )
        .await?;
        recorded.push(f.id);
    }
    tx.commit().await.map_err(db)?;
    Ok(recorded)
}

pub async fn count_scheduled(pool: &SqlitePool) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'scheduled'")
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(n as u64)
}

#[derive(sqlx::FromRow)]
struct BilledRow {
    id: i64,
    channel: Slug<Channel>,
    sent_at: Millis,
    billed_units: i64,
    unit_price_ore: i64,
    tracking_number: String,
    recipient: String,
}

pub async fn billed(pool: &SqlitePool, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Billed>> {
    let rows: Vec<BilledRow> = sqlx::query_as(
        "SELECT id, channel, sent_at, billed_units, unit_price_ore, tracking_number, recipient FROM notifications
         WHERE tenant_id = ?1 AND sent_at >= ?2 AND sent_at < ?3 AND billed_units IS NOT NULL
         ORDER BY sent_at, id",
    )
    .bind(tenant.0)
    .bind(Millis(from))
    .bind(Millis(to))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|r| Billed {
            id: NotificationId(r.id),
            channel: r.channel.0,
            sent_at: r.sent_at.0,
            charge: Charge {
                units: r.billed_units as u32,
                unit_price: Ore(r.unit_price_ore),
            },
            tracking_number: r.tracking_number,
            recipient: r.recipient,
        })
        .collect())
}

pub async fn sms_spend(pool: &SqlitePool, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Ore> {
    let spent: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(billed_units * unit_price_ore), 0) FROM notifications
         WHERE tenant_id = ?1 AND channel = 'sms' AND sent_at >= ?2 AND sent_at < ?3 AND billed_units IS NOT NULL",
    )
    .bind(tenant.0)
    .bind(Millis(from))
    .bind(Millis(to))
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(Ore(spent))
}

/// Addresses are compared case-insensitively: `Anna@x.se` who opted out is `anna@x.se` too.
pub async fn opt_out(pool: &SqlitePool, tenant: TenantId, address: &str, at: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO opt_outs (tenant_id, address, at) VALUES (?1, ?2, ?3) ON CONFLICT (tenant_id, address) DO NOTHING",
    )
    .bind(tenant.0)
    .bind(address.to_lowercase())
    .bind(Millis(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn opted_out(pool: &SqlitePool, tenant: TenantId, address: &str) -> StoreResult<Option<Timestamp>> {
    let at: Option<Millis> = sqlx::query_scalar("SELECT at FROM opt_outs WHERE tenant_id = ?1 AND address = ?2")
        .bind(tenant.0)
        .bind(address.to_lowercase())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(at.map(|m| m.0))
}

pub async fn opted_out_among(
    pool: &SqlitePool,
    tenant: TenantId,
    addresses: &[&str],
) -> StoreResult<HashMap<String, Timestamp>> {
    let mut found = HashMap::new();
    // Chunks stay far below SQLite's limit on parameters.
    for chunk in addresses.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!("SELECT address, at FROM opt_outs WHERE tenant_id = ? AND address IN ({marks})");
        let mut query = sqlx::query_as::<_, (String, Millis)>(&sql).bind(tenant.0);
        for address in chunk {
            query = query.bind(address.to_lowercase());
        }
        for (address, at) in query.fetch_all(pool).await.map_err(db)? {
            found.insert(address, at.0);
        }
    }
    Ok(found)
}
