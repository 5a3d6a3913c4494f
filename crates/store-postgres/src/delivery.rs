//! The delivery worker's side of the outbox: record how sending a claimed notification went
//! (`claim` claims them with a lease). A lease that runs out (its worker died) makes the job
//! claimable again; the provider's idempotency key keeps that from becoming a second message.

use crate::codec::{PgTime, parse};
use crate::db;
use crate::events::add_history;
use avisera_domain::billing::{Billed, Charge};
use avisera_domain::money::Ore;
use avisera_domain::notification::Status;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{DeliveryOutcome, StoreResult};
use sqlx::PgPool;

pub async fn finish(
    pool: &PgPool,
    tenant: TenantId,
    id: NotificationId,
    worker: &str,
    outcome: &DeliveryOutcome,
    now: Timestamp,
) -> StoreResult<bool> {
    crate::error::retrying(|| finish_once(pool, tenant, id, worker, outcome, now)).await
}

async fn finish_once(
    pool: &PgPool,
    tenant: TenantId,
    id: NotificationId,
    worker: &str,
    outcome: &DeliveryOutcome,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let (status, reason, provider_id, due_at) = match outcome {
        DeliveryOutcome::Sent { provider_id, .. } => (Status::Sent, None, provider_id.as_deref(), None),
        DeliveryOutcome::RetryAt { at, reason } | DeliveryOutcome::Deferred { until: at, reason } => {
            (Status::Scheduled, Some(reason.as_str()), None, Some(PgTime(*at)))
        }
        DeliveryOutcome::Failed { reason } => (Status::Failed, Some(reason.as_str()), None, None),
        DeliveryOutcome::Cancelled { reason } => (Status::Cancelled, Some(reason.as_str()), None, None),
    };
    // An attempt is a call that reached a provider (or timed out waiting for it).
    let attempted = !matches!(
        outcome,
        DeliveryOutcome::Deferred { .. } | DeliveryOutcome::Cancelled { .. }
    );
    let (sent_at, charge) = match outcome {
        DeliveryOutcome::Sent { charge, .. } => (Some(PgTime(now)), *charge),
        _ => (None, None),
    };
    let done = sqlx::query!(
        "UPDATE notifications SET status = $1, reason = $2, provider_id = COALESCE($3, provider_id),
             due_at = COALESCE($4, due_at), lease_owner = NULL, lease_until = NULL, updated_at = $5,
             sent_at = $9, billed_units = $10, unit_price_ore = $11, attempts = attempts + $12
         WHERE tenant_id = $6 AND id = $7 AND lease_owner = $8
           AND (status = 'scheduled' OR (status = 'cancelled' AND $1 = 'sent'))",
        status.slug(),
        reason,
        provider_id,
        due_at as _,
        PgTime(now) as _,
        tenant.0,
        id.0,
        worker,
        sent_at as _,
        charge.map(|c| i64::from(c.units)),
        charge.map(|c| c.unit_price.0),
        i64::from(attempted),
    )
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    let history_reason = match outcome {
        DeliveryOutcome::RetryAt { reason, .. } => Some(format!("will retry: {reason}")),
        DeliveryOutcome::Deferred { reason, .. } => Some(format!("deferred: {reason}")),
        _ => reason.map(str::to_string),
    };
    add_history(&mut tx, tenant, id.0, status, history_reason.as_deref(), now).await?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}

pub async fn count_scheduled(pool: &PgPool) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE status = 'scheduled'")
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(n as u64)
}

#[derive(sqlx::FromRow)]
struct BilledRow {
    id: i64,
    channel: String,
    sent_at: PgTime,
    billed_units: i64,
    unit_price_ore: i64,
    tracking_number: String,
    recipient: String,
}

pub async fn billed(pool: &PgPool, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Billed>> {
    let rows: Vec<BilledRow> = sqlx::query_as(
        "SELECT id, channel, sent_at, billed_units, unit_price_ore, tracking_number, recipient FROM notifications
         WHERE tenant_id = $1 AND sent_at >= $2 AND sent_at < $3 AND billed_units IS NOT NULL
         ORDER BY sent_at, id",
    )
    .bind(tenant.0)
    .bind(PgTime(from))
    .bind(PgTime(to))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|r| {
            Ok(Billed {
                id: NotificationId(r.id),
                channel: parse("channel", &r.channel)?,
                sent_at: r.sent_at.0,
                charge: Charge {
                    units: r.billed_units as u32,
                    unit_price: Ore(r.unit_price_ore),
                },
                tracking_number: r.tracking_number,
                recipient: r.recipient,
            })
        })
        .collect()
}

pub async fn sms_spend(pool: &PgPool, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Ore> {
    let spent: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(billed_units * unit_price_ore), 0) AS BIGINT) FROM notifications
         WHERE tenant_id = $1 AND channel = 'sms' AND sent_at >= $2 AND sent_at < $3 AND billed_units IS NOT NULL",
    )
    .bind(tenant.0)
    .bind(PgTime(from))
    .bind(PgTime(to))
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(Ore(spent))
}

/// Addresses are compared case-insensitively: `Anna@x.se` who opted out is `anna@x.se` too.
pub async fn opt_out(pool: &PgPool, tenant: TenantId, address: &str, at: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO opt_outs (tenant_id, address, at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, address) DO NOTHING",
    )
    .bind(tenant.0)
    .bind(address.to_lowercase())
    .bind(PgTime(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn opted_out(pool: &PgPool, tenant: TenantId, address: &str) -> StoreResult<Option<Timestamp>> {
    let at: Option<PgTime> = sqlx::query_scalar("SELECT at FROM opt_outs WHERE tenant_id = $1 AND address = $2")
        .bind(tenant.0)
        .bind(address.to_lowercase())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(at.map(|t| t.0))
}
