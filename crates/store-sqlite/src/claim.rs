//! Claiming due notifications fairly between tenants, and within rate limits: every tenant with
//! due work gets its earliest rows into a batch before any tenant gets more (round robin), so one
//! tenant's backlog never delays another's message by more than a claim.

use crate::codec::Millis;
use crate::{begin_write, db};
use avisera_domain::notification::Channel;
use avisera_domain::rate::{Grant, LimitKey, Rate, SendLimits};
use avisera_domain::{NotificationId, RuleId, ShipmentId, TenantId, Timestamp};
use avisera_store::{DeliveryJob, DeliveryOutcome, Finished, StoreResult};
use sqlx::{SqliteConnection, SqlitePool};
use std::collections::BTreeMap;

pub async fn claim_due(
    pool: &SqlitePool,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<DeliveryJob>> {
    let rows = crate::error::retrying(|| async {
        let mut conn = pool.acquire().await.map_err(db)?;
        claim_rows(&mut conn, worker, now, lease_until, limit, &Grant::default()).await
    })
    .await?;
    jobs(pool, rows, worker, now).await
}

/// Reading what each limit has used, claiming what they grant and recording it are one write
/// transaction, and SQLite has one writer at a time, so no two claims grant the same room.
pub async fn claim_within(
    pool: &SqlitePool,
    limits: &SendLimits,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<DeliveryJob>> {
    let rows = crate::error::retrying(|| async {
        let mut tx = begin_write(pool).await?;
        let (own, used) = limit_state(&mut tx, now).await?;
        let grant = limits.grant(&own, &used, now);
        let rows = claim_rows(&mut tx, worker, now, lease_until, limit, &grant).await?;
        let sent: Vec<(TenantId, Channel)> = rows
            .iter()
            .filter_map(|r| Some((TenantId(r.tenant_id), r.channel.parse().ok()?)))
            .collect();
        for (key, tat) in limits.charge(&own, &used, &sent, now) {
            let (name, tenant) = key.columns();
            sqlx::query(
                "INSERT INTO rate_limits (name, tenant_id, tat_us) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name, tenant_id) DO UPDATE SET tat_us = excluded.tat_us",
            )
            .bind(name)
            .bind(tenant)
            .bind(micros(tat))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(rows)
    })
    .await?;
    jobs(pool, rows, worker, now).await
}

pub async fn count_held(pool: &SqlitePool, limits: &SendLimits, now: Timestamp) -> StoreResult<u64> {
    let mut conn = pool.acquire().await.map_err(db)?;
    let (own, used) = limit_state(&mut conn, now).await?;
    let (tenants, channels) = limits.grant(&own, &used, now).held();
    if tenants.is_empty() && channels.is_empty() {
        return Ok(0);
    }
    let tenants: Vec<i64> = tenants.iter().map(|t| t.0).collect();
    let channels: Vec<&str> = channels.iter().map(|c| c.slug()).collect();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications
         WHERE status = 'scheduled' AND due_at <= ?1 AND (lease_until IS NULL OR lease_until < ?1)
           AND (tenant_id IN (SELECT value FROM json_each(?2)) OR channel IN (SELECT value FROM json_each(?3)))",
    )
    .bind(Millis(now))
    .bind(serde_json::to_string(&tenants).map_err(|e| avisera_store::StoreError::Database(e.to_string()))?)
    .bind(serde_json::to_string(&channels).map_err(|e| avisera_store::StoreError::Database(e.to_string()))?)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(n as u64)
}

pub async fn set_tenant_rate(pool: &SqlitePool, tenant: TenantId, rate: Option<Rate>) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET rate_per_second = ?2 WHERE id = ?1")
        .bind(tenant.0)
        .bind(rate.map(|r| i64::from(r.get())))
        .execute(pool)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(avisera_store::StoreError::NotFound(format!(
            "tenant {tenant} does not exist"
        )));
    }
    Ok(())
}

pub async fn tenant_rate(pool: &SqlitePool, tenant: TenantId) -> StoreResult<Option<Rate>> {
    let rate: Option<Option<i64>> = sqlx::query_scalar("SELECT rate_per_second FROM tenants WHERE id = ?1")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(rate.flatten().and_then(|r| Rate::per_second(u32::try_from(r).ok()?)))
}

/// Whether the tenant has its own rate limit (which only a claim applies).
pub(crate) async fn has_own_rate(conn: &mut SqliteConnection, tenant: TenantId) -> StoreResult<bool> {
    let own: Option<bool> = sqlx::query_scalar("SELECT rate_per_second IS NOT NULL FROM tenants WHERE id = ?1")
        .bind(tenant.0)
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    Ok(own.unwrap_or(false))
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

type LimitState = (BTreeMap<TenantId, Rate>, Vec<(LimitKey, Timestamp)>);

/// The tenants' own rates, and the limits still recovering at `now` (the others have their
/// whole burst).
async fn limit_state(conn: &mut SqliteConnection, now: Timestamp) -> StoreResult<LimitState> {
    let own: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, rate_per_second FROM tenants WHERE rate_per_second IS NOT NULL")
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let used: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT name, tenant_id, tat_us FROM rate_limits WHERE tat_us > ?1")
            .bind(micros(now))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let own = own
        .into_iter()
        .filter_map(|(t, r)| Some((TenantId(t), Rate::per_second(u32::try_from(r).ok()?)?)))
        .collect();
    let used = used
        .into_iter()
        .filter_map(|(name, tenant, tat)| {
            let key = LimitKey::from_columns(&name, tenant)?;
            Some((key, Timestamp::from_microsecond(tat).ok()?))
        })
        .collect();
    Ok((own, used))
}

/// A claimed row. The message stays text here and is read per row, so one that no longer
/// decodes fails alone (see `jobs`).
#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    tenant_id: i64,
    channel: String,
    message: Option<String>,
    idempotency_key: String,
    attempts: i64,
    billable: bool,
    rule_id: Option<i64>,
    time_zone: Option<String>,
    shipment_id: Option<i64>,
    created_at: Millis,
    due_at: Millis,
}

impl ClaimedRow {
    fn job(self) -> Result<DeliveryJob, String> {
        let message = self.message.as_deref().ok_or("it has no message")?;
        Ok(DeliveryJob {
            id: NotificationId(self.id),
            tenant_id: TenantId(self.tenant_id),
            message: serde_json::from_str(message).map_err(|e| e.to_string())?,
            idempotency_key: self.idempotency_key,
            // The attempts made so far are provider calls; this one is the next.
            attempt: self.attempts as u32 + 1,
            billable: self.billable,
            rule_id: self.rule_id.map(RuleId),
            time_zone: self.time_zone,
            shipment_id: self.shipment_id.map(ShipmentId),
            created_at: self.created_at.0,
            due_at: self.due_at.0,
        })
    }
}

/// The claim itself, one statement (SQLite has one writer, so it is exclusive). The `limit`
/// tenants whose earliest due rows are oldest each offer their first rows (at most `limit`
/// each, read through the per-tenant index, never a tenant's whole backlog), as many as their
/// grant allows and no more than a fair share (`limit - tenants + 1`); rows are taken round by
/// round (every tenant's first, then every second, ...) and, within a round, by due time,
/// until a channel's grant or the batch is full. A tenant whose oldest due row is on a channel
/// with no room now takes no place among the `limit` tenants (see the PostgreSQL store). A
/// dead claim's budget reservation (the price on a scheduled row) goes with its lease.
async fn claim_rows(
    conn: &mut SqliteConnection,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
    grant: &Grant,
) -> StoreResult<Vec<ClaimedRow>> {
    let caps: BTreeMap<String, u32> = grant.tenants.iter().map(|(t, n)| (t.0.to_string(), *n)).collect();
    let caps = serde_json::to_string(&caps).map_err(|e| avisera_store::StoreError::Database(e.to_string()))?;
    sqlx::query_as(
        "WITH firsts AS (
             SELECT w.tenant_id, w.cap, head.due_at AS first_due FROM (
                 SELECT t.id AS tenant_id, MIN(COALESCE(c.value, ?6, ?4), ?4) AS cap,
                        (SELECT n.id FROM notifications n
                         WHERE n.tenant_id = t.id AND n.status = 'scheduled' AND n.due_at <= ?3
                           AND (n.lease_until IS NULL OR n.lease_until < ?3)
                         ORDER BY n.due_at, n.id LIMIT 1) AS first_id
                 FROM tenants t LEFT JOIN json_each(?5) c ON CAST(c.key AS INTEGER) = t.id) w
             JOIN notifications head ON head.id = w.first_id
             WHERE w.cap > 0
               AND NOT (head.channel = 'sms' AND COALESCE(?7, 1) = 0)
               AND NOT (head.channel = 'email' AND COALESCE(?8, 1) = 0)
             ORDER BY head.due_at LIMIT ?4
         ),
         candidates AS (
             SELECT n.id, n.channel, n.due_at, f.cap,
                    row_number() OVER (PARTITION BY n.tenant_id ORDER BY n.due_at, n.id) AS round
             FROM firsts f JOIN notifications n ON n.id IN (
                 SELECT m.id FROM notifications m
                 WHERE m.tenant_id = f.tenant_id AND m.status = 'scheduled' AND m.due_at <= ?3
                   AND (m.lease_until IS NULL OR m.lease_until < ?3)
                 ORDER BY m.due_at, m.id LIMIT ?4)
         ),
         ranked AS (
             SELECT id, channel, due_at, round,
                    row_number() OVER (PARTITION BY channel ORDER BY round, due_at, id) AS nth
             FROM candidates WHERE round <= MIN(cap, ?4 - (SELECT COUNT(*) FROM firsts) + 1)
         )
         UPDATE notifications SET lease_owner = ?1, lease_until = ?2, billed_units = NULL, unit_price_ore = NULL
         WHERE id IN (SELECT id FROM ranked
                      WHERE (channel <> 'sms' OR ?7 IS NULL OR nth <= ?7)
                        AND (channel <> 'email' OR ?8 IS NULL OR nth <= ?8)
                      ORDER BY round, due_at, id LIMIT ?4)
         RETURNING id, tenant_id, channel, message, idempotency_key, attempts, billable, rule_id, time_zone,
                   shipment_id, created_at, due_at",
    )
    .bind(worker)
    .bind(Millis(lease_until))
    .bind(Millis(now))
    .bind(i64::from(limit))
    .bind(caps)
    .bind(grant.tenant_default.map(i64::from))
    .bind(grant.sms.map(i64::from))
    .bind(grant.email.map(i64::from))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)
}

/// The claimed rows as jobs. A stored message that no longer decodes can never be sent: it
/// ends failed with the reason instead of failing the claim of every message beside it, lease
/// after lease.
async fn jobs(pool: &SqlitePool, rows: Vec<ClaimedRow>, worker: &str, now: Timestamp) -> StoreResult<Vec<DeliveryJob>> {
    let mut jobs = Vec::with_capacity(rows.len());
    for row in rows {
        let (tenant, id) = (TenantId(row.tenant_id), NotificationId(row.id));
        match row.job() {
            Ok(job) => jobs.push(job),
            Err(why) => {
                let outcome = DeliveryOutcome::Failed {
                    reason: format!("the stored message can no longer be read: {why}"),
                };
                crate::delivery::finish(
                    pool,
                    worker,
                    &[Finished {
                        tenant,
                        id,
                        outcome,
                        provider: None,
                    }],
                    now,
                )
                .await?;
            }
        }
    }
    Ok(jobs)
}
