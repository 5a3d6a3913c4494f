//! The delivery worker's side of the outbox: claim due notifications with a lease, then record
//! how sending went. A lease that runs out (its worker died) makes the job claimable again;
//! the provider's idempotency key keeps that from becoming a second message.

use crate::codec::{PgTime, parse};
use crate::db;
use crate::events::add_history;
use avisera_domain::billing::{Billed, Charge};
use avisera_domain::money::Ore;
use avisera_domain::notification::{Message, Status};
use avisera_domain::{NotificationId, RuleId, ShipmentId, TenantId, Timestamp};
use avisera_store::{DeliveryJob, DeliveryOutcome, StoreResult};
use sqlx::PgPool;

pub async fn claim(
    pool: &PgPool,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<DeliveryJob>> {
    let (jobs, unreadable) = crate::error::retrying(|| claim_once(pool, worker, now, lease_until, limit)).await?;
    // A stored message that no longer decodes can never be sent: it ends failed with the
    // reason instead of failing the claim of every message beside it, lease after lease.
    for (tenant, id, why) in unreadable {
        let outcome = DeliveryOutcome::Failed {
            reason: format!("the stored message can no longer be read: {why}"),
        };
        finish(pool, tenant, id, worker, &outcome, now).await?;
    }
    Ok(jobs)
}

type Unreadable = Vec<(TenantId, NotificationId, String)>;

async fn claim_once(
    pool: &PgPool,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<(Vec<DeliveryJob>, Unreadable)> {
    // SKIP LOCKED lets many nodes claim side by side without taking the same row. A dead
    // claim's budget reservation (the price on a scheduled row) goes with its lease.
    let rows = sqlx::query!(
        r#"UPDATE notifications SET lease_owner = $1, lease_until = $2, billed_units = NULL, unit_price_ore = NULL
           WHERE id IN (SELECT id FROM notifications
                        WHERE status = 'scheduled' AND due_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                        ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING id, tenant_id, message, idempotency_key, attempts, billable, rule_id, time_zone, shipment_id,
                     created_at AS "created_at: PgTime", due_at AS "due_at: PgTime""#,
        worker,
        PgTime(lease_until) as _,
        PgTime(now) as _,
        i64::from(limit),
    )
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut unreadable = Vec::new();
    let mut jobs = Vec::with_capacity(rows.len());
    for r in rows {
        let id = NotificationId(r.id);
        let tenant_id = TenantId(r.tenant_id);
        // Decoded row by row (not by the query), so one bad message fails alone.
        let message = match r.message.map(serde_json::from_value::<Message>) {
            Some(Ok(message)) => message,
            Some(Err(e)) => {
                unreadable.push((tenant_id, id, format!("message: {e}")));
                continue;
            }
            None => {
                unreadable.push((tenant_id, id, "a scheduled notification without a message".into()));
                continue;
            }
        };
        jobs.push(DeliveryJob {
            id,
            tenant_id,
            message,
            idempotency_key: r.idempotency_key,
            // The attempts made so far are provider calls; this one is the next.
            attempt: r.attempts as u32 + 1,
            billable: r.billable,
            rule_id: r.rule_id.map(RuleId),
            time_zone: r.time_zone,
            shipment_id: r.shipment_id.map(ShipmentId),
            created_at: r.created_at.0,
            due_at: r.due_at.0,
        });
    }
    Ok((jobs, unreadable))
}

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
