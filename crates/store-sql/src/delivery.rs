//! The delivery worker's side of the outbox: claim due notifications with a lease, then record
//! how sending went. A lease that runs out (its worker died) makes the job claimable again;
//! the provider's idempotency key keeps that from becoming a second message.

use crate::codec::{from_json, ms, parse, ts};
use crate::events::add_history;
use crate::{Dialect, db};
use avisera_domain::billing::{Billed, Charge};
use avisera_domain::money::Ore;
use avisera_domain::notification::Status;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{DeliveryJob, DeliveryOutcome, StoreResult};
use sqlx::{AnyPool, Row};

pub async fn claim(
    pool: &AnyPool,
    dialect: Dialect,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<DeliveryJob>> {
    let (jobs, unreadable) =
        crate::error::retrying(|| claim_once(pool, dialect, worker, now, lease_until, limit)).await?;
    // A stored message that no longer decodes can never be sent: it ends failed with the
    // reason instead of failing the claim of every message beside it, lease after lease.
    for (tenant, id, why) in unreadable {
        let outcome = DeliveryOutcome::Failed {
            reason: format!("the stored message can no longer be read: {why}"),
        };
        finish(pool, dialect, tenant, id, worker, &outcome, now).await?;
    }
    Ok(jobs)
}

type Unreadable = Vec<(TenantId, NotificationId, String)>;

async fn claim_once(
    pool: &AnyPool,
    dialect: Dialect,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<(Vec<DeliveryJob>, Unreadable)> {
    // PostgreSQL: SKIP LOCKED lets many nodes claim side by side without taking the same row.
    // SQLite: one writer, so the single UPDATE is already exclusive. A dead claim's budget
    // reservation (the price on a scheduled row) goes with its lease.
    let lock = match dialect {
        Dialect::Postgres => "FOR UPDATE SKIP LOCKED",
        Dialect::Sqlite => "",
    };
    let sql = format!(
        "UPDATE notifications SET lease_owner = $1, lease_until = $2, billed_units = NULL, unit_price_ore = NULL
         WHERE id IN (SELECT id FROM notifications
                      WHERE status = 'scheduled' AND due_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                      ORDER BY due_at LIMIT $4 {lock})
         RETURNING id, tenant_id, message, idempotency_key, attempts, billable, rule_id, time_zone, shipment_id,
                   created_at, due_at"
    );
    let rows = sqlx::query(&sql)
        .bind(worker)
        .bind(ms(lease_until))
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let mut unreadable = Vec::new();
    let mut jobs = Vec::with_capacity(rows.len());
    for r in &rows {
        let id = NotificationId(r.try_get("id").map_err(db)?);
        let tenant_id = TenantId(r.try_get("tenant_id").map_err(db)?);
        let message = match from_json("message", &r.try_get::<String, _>("message").map_err(db)?) {
            Ok(message) => message,
            Err(e) => {
                unreadable.push((tenant_id, id, e.to_string()));
                continue;
            }
        };
        jobs.push(DeliveryJob {
            id,
            tenant_id,
            message,
            idempotency_key: r.try_get("idempotency_key").map_err(db)?,
            // The attempts made so far are provider calls; this one is the next.
            attempt: r.try_get::<i64, _>("attempts").map_err(db)? as u32 + 1,
            billable: r.try_get::<i64, _>("billable").map_err(db)? != 0,
            rule_id: r
                .try_get::<Option<i64>, _>("rule_id")
                .map_err(db)?
                .map(avisera_domain::RuleId),
            time_zone: r.try_get("time_zone").map_err(db)?,
            shipment_id: r
                .try_get::<Option<i64>, _>("shipment_id")
                .map_err(db)?
                .map(avisera_domain::ShipmentId),
            created_at: ts(r.try_get("created_at").map_err(db)?)?,
            due_at: ts(r.try_get("due_at").map_err(db)?)?,
        });
    }
    Ok((jobs, unreadable))
}

pub async fn finish(
    pool: &AnyPool,
    dialect: Dialect,
    tenant: TenantId,
    id: NotificationId,
    worker: &str,
    outcome: &DeliveryOutcome,
    now: Timestamp,
) -> StoreResult<bool> {
    crate::error::retrying(|| finish_once(pool, dialect, tenant, id, worker, outcome, now)).await
}

async fn finish_once(
    pool: &AnyPool,
    dialect: Dialect,
    tenant: TenantId,
    id: NotificationId,
    worker: &str,
    outcome: &DeliveryOutcome,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = crate::begin_write(pool, dialect).await?;
    let (status, reason, provider_id, due_at) = match outcome {
        DeliveryOutcome::Sent { provider_id, .. } => (Status::Sent, None, provider_id.clone(), None),
        DeliveryOutcome::RetryAt { at, reason } | DeliveryOutcome::Deferred { until: at, reason } => {
            (Status::Scheduled, Some(reason.as_str()), None, Some(ms(*at)))
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
        DeliveryOutcome::Sent { charge, .. } => (Some(ms(now)), *charge),
        _ => (None, None),
    };
    let done = sqlx::query(
        "UPDATE notifications SET status = $1, reason = $2, provider_id = COALESCE($3, provider_id),
             due_at = COALESCE($4, due_at), lease_owner = NULL, lease_until = NULL, updated_at = $5,
             sent_at = $9, billed_units = $10, unit_price_ore = $11, attempts = attempts + $12
         WHERE tenant_id = $6 AND id = $7 AND lease_owner = $8
           AND (status = 'scheduled' OR (status = 'cancelled' AND $1 = 'sent'))",
    )
    .bind(status.slug())
    .bind(reason.map(str::to_string))
    .bind(provider_id)
    .bind(due_at)
    .bind(ms(now))
    .bind(tenant.0)
    .bind(id.0)
    .bind(worker)
    .bind(sent_at)
    .bind(charge.map(|c| i64::from(c.units)))
    .bind(charge.map(|c| c.unit_price.0))
    .bind(i64::from(attempted))
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

pub async fn count_scheduled(pool: &AnyPool) -> StoreResult<u64> {
    let row = sqlx::query("SELECT COUNT(*) FROM notifications WHERE status = 'scheduled'")
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(row.try_get::<i64, _>(0).map_err(db)? as u64)
}

pub async fn billed(pool: &AnyPool, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Vec<Billed>> {
    let rows = sqlx::query(
        "SELECT id, channel, sent_at, billed_units, unit_price_ore, tracking_number, recipient FROM notifications
         WHERE tenant_id = $1 AND sent_at >= $2 AND sent_at < $3 AND billed_units IS NOT NULL
         ORDER BY sent_at, id",
    )
    .bind(tenant.0)
    .bind(ms(from))
    .bind(ms(to))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(Billed {
                id: NotificationId(r.try_get("id").map_err(db)?),
                channel: parse("channel", &r.try_get::<String, _>("channel").map_err(db)?)?,
                sent_at: ts(r.try_get("sent_at").map_err(db)?)?,
                charge: Charge {
                    units: r.try_get::<i64, _>("billed_units").map_err(db)? as u32,
                    unit_price: Ore(r.try_get("unit_price_ore").map_err(db)?),
                },
                tracking_number: r.try_get("tracking_number").map_err(db)?,
                recipient: r.try_get("recipient").map_err(db)?,
            })
        })
        .collect()
}

pub async fn sms_spend(pool: &AnyPool, tenant: TenantId, from: Timestamp, to: Timestamp) -> StoreResult<Ore> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(billed_units * unit_price_ore), 0) AS BIGINT) FROM notifications
         WHERE tenant_id = $1 AND channel = 'sms' AND sent_at >= $2 AND sent_at < $3 AND billed_units IS NOT NULL",
    )
    .bind(tenant.0)
    .bind(ms(from))
    .bind(ms(to))
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(Ore(row.try_get::<i64, _>(0).map_err(db)?))
}

/// Addresses are compared case-insensitively: `Anna@x.se` who opted out is `anna@x.se` too.
pub async fn opt_out(pool: &AnyPool, tenant: TenantId, address: &str, at: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO opt_outs (tenant_id, address, at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, address) DO NOTHING",
    )
    .bind(tenant.0)
    .bind(address.to_lowercase())
    .bind(ms(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn opted_out(pool: &AnyPool, tenant: TenantId, address: &str) -> StoreResult<Option<Timestamp>> {
    let row = sqlx::query("SELECT at FROM opt_outs WHERE tenant_id = $1 AND address = $2")
        .bind(tenant.0)
        .bind(address.to_lowercase())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| ts(r.try_get("at").map_err(db)?)).transpose()
}
