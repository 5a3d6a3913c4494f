//! Claiming due notifications fairly between tenants, and within rate limits: every tenant with
//! due work gets its earliest rows into a batch before any tenant gets more (round robin), so one
//! tenant's backlog never delays another's message by more than a claim.

use crate::codec::PgTime;
use crate::db;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::rate::{Grant, LimitKey, Rate, SendLimits};
use avisera_domain::{NotificationId, RuleId, ShipmentId, TenantId, Timestamp};
use avisera_store::{DeliveryJob, DeliveryOutcome, Finished, StoreResult};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;

pub async fn claim_due(
    pool: &PgPool,
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

/// One claim under limits at a time across nodes (an advisory lock held by the claim's
/// transaction): what each limit has used is read, the claim takes what they grant, and what
/// it took is recorded, before the next claim reads them.
const LIMITS_LOCK: i64 = 0x6176_6973_7261; // "avisra"

pub async fn claim_within(
    pool: &PgPool,
    limits: &SendLimits,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
) -> StoreResult<Vec<DeliveryJob>> {
    let rows = crate::error::retrying(|| async {
        // Without any limit (none configured, no tenant with its own rate) nothing is read or
        // written beside the claim, and claims do not wait for each other.
        if !limits.any() && !any_own_rate(pool).await? {
            let mut conn = pool.acquire().await.map_err(db)?;
            return claim_rows(&mut conn, worker, now, lease_until, limit, &Grant::default()).await;
        }
        let mut tx = pool.begin().await.map_err(db)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(LIMITS_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let (own, used) = limit_state(&mut tx, now).await?;
        let grant = limits.grant(&own, &used, now);
        let rows = claim_rows(&mut tx, worker, now, lease_until, limit, &grant).await?;
        let sent: Vec<(TenantId, Channel)> = rows
            .iter()
            .filter_map(|r| Some((TenantId(r.tenant_id), r.channel.parse().ok()?)))
            .collect();
        let charged = limits.charge(&own, &used, &sent, now);
        let (names, tenants, tats): (Vec<&str>, Vec<i64>, Vec<PgTime>) = charged
            .iter()
            .map(|(key, tat)| {
                let (name, tenant) = key.columns();
                (name, tenant, PgTime(*tat))
            })
            .collect();
        sqlx::query!(
            "INSERT INTO rate_limits (name, tenant_id, tat) SELECT * FROM unnest($1::text[], $2::bigint[], $3::timestamptz[])
             ON CONFLICT (name, tenant_id) DO UPDATE SET tat = EXCLUDED.tat",
            &names as &[&str],
            &tenants,
            &tats as &[PgTime],
        )
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows)
    })
    .await?;
    jobs(pool, rows, worker, now).await
}

async fn any_own_rate(pool: &PgPool) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tenants WHERE rate_per_second IS NOT NULL)")
        .fetch_one(pool)
        .await
        .map_err(db)
}

pub async fn count_held(pool: &PgPool, limits: &SendLimits, now: Timestamp) -> StoreResult<u64> {
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
         WHERE status = 'scheduled' AND due_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
           AND (tenant_id = ANY($2) OR channel = ANY($3))",
    )
    .bind(PgTime(now))
    .bind(&tenants)
    .bind(&channels)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(n as u64)
}

pub async fn set_tenant_rate(pool: &PgPool, tenant: TenantId, rate: Option<Rate>) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET rate_per_second = $2 WHERE id = $1")
        .bind(tenant.0)
        .bind(rate.map(|r| r.get() as i32))
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

pub async fn tenant_rate(pool: &PgPool, tenant: TenantId) -> StoreResult<Option<Rate>> {
    let rate: Option<Option<i32>> = sqlx::query_scalar("SELECT rate_per_second FROM tenants WHERE id = $1")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(rate.flatten().and_then(|r| Rate::per_second(r as u32)))
}

type LimitState = (BTreeMap<TenantId, Rate>, Vec<(LimitKey, Timestamp)>);

/// The tenants' own rates, and the limits still recovering at `now` (the others have their
/// whole burst).
async fn limit_state(conn: &mut PgConnection, now: Timestamp) -> StoreResult<LimitState> {
    let own: Vec<(i64, i32)> =
        sqlx::query_as("SELECT id, rate_per_second FROM tenants WHERE rate_per_second IS NOT NULL")
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let used: Vec<(String, i64, PgTime)> =
        sqlx::query_as("SELECT name, tenant_id, tat FROM rate_limits WHERE tat > $1")
            .bind(PgTime(now))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
    let own = own
        .into_iter()
        .filter_map(|(t, r)| Some((TenantId(t), Rate::per_second(r as u32)?)))
        .collect();
    let used = used
        .into_iter()
        .filter_map(|(name, tenant, tat)| {
            let key = LimitKey::from_columns(&name, tenant)?;
            Some((key, tat.0))
        })
        .collect();
    Ok((own, used))
}

pub(crate) struct ClaimedRow {
    id: i64,
    tenant_id: i64,
    channel: String,
    message: Option<serde_json::Value>,
    idempotency_key: String,
    attempts: i64,
    billable: bool,
    rule_id: Option<i64>,
    time_zone: Option<String>,
    shipment_id: Option<i64>,
    created_at: PgTime,
    due_at: PgTime,
}

/// The claim itself, one statement. Tenants are enumerated from `tenants` (one index probe
/// each finds a tenant's earliest due row); the `limit` tenants whose earliest rows are oldest
/// each offer their first rows, as many as their grant allows and no more than a fair share
/// (`limit - tenants + 1`, so the candidates stay about `limit` however many tenants wait);
/// rows are taken round by round (every tenant's first, then every second, ...) and, within a
/// round, by due time, until a channel's grant or the batch is full. A tenant whose oldest
/// due row is on a channel with no room now takes no place among the `limit` tenants, so a
/// used-up SMS limit does not keep other tenants' email behind SMS backlogs. SKIP LOCKED lets many
/// nodes claim side by side without taking the same row. The picked rows are locked one by one
/// by primary key (checked again once locked), not through a join the planner may turn into a
/// scan of every scheduled row: with statistics that lag a fast-growing outbox it did, and with
/// a 40,000-message backlog a claim took 0.5 to 2 s. A dead claim's budget reservation (the price on a scheduled row) goes with
/// its lease.
async fn claim_rows(
    conn: &mut PgConnection,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: u32,
    grant: &Grant,
) -> StoreResult<Vec<ClaimedRow>> {
    let cap = |n: u32| n.min(i32::MAX as u32) as i32;
    let (capped, caps): (Vec<i64>, Vec<i32>) = grant.tenants.iter().map(|(t, n)| (t.0, cap(*n))).unzip();
    sqlx::query_as!(
        ClaimedRow,
        r#"WITH firsts AS (
               SELECT t.id AS tenant_id, LEAST(COALESCE(c.cap, $6, $4), $4) AS cap, f.due_at
               FROM tenants t
               LEFT JOIN unnest($5::bigint[], $9::int[]) AS c(tenant_id, cap) ON c.tenant_id = t.id
               CROSS JOIN LATERAL (
                   SELECT n.due_at, n.channel FROM notifications n
                   WHERE n.tenant_id = t.id AND n.status = 'scheduled' AND n.due_at <= $3
                     AND (n.lease_until IS NULL OR n.lease_until < $3)
                   ORDER BY n.due_at, n.id LIMIT 1) f
               WHERE COALESCE(c.cap, $6, $4) > 0
                 AND NOT (f.channel = 'sms' AND COALESCE($7, 1) = 0)
                 AND NOT (f.channel = 'email' AND COALESCE($8, 1) = 0)
               ORDER BY f.due_at LIMIT $4
           ),
           candidates AS (
               SELECT r.id, r.channel, r.due_at, r.round
               FROM firsts f CROSS JOIN LATERAL (
                   SELECT n.id, n.channel, n.due_at, row_number() OVER (ORDER BY n.due_at, n.id) AS round
                   FROM notifications n
                   WHERE n.tenant_id = f.tenant_id AND n.status = 'scheduled' AND n.due_at <= $3
                     AND (n.lease_until IS NULL OR n.lease_until < $3)
                   ORDER BY n.due_at, n.id
                   LIMIT LEAST(f.cap, $4 - (SELECT COUNT(*) FROM firsts)::int + 1)) r
           ),
           ranked AS (
               SELECT id, channel, due_at, round,
                      row_number() OVER (PARTITION BY channel ORDER BY round, due_at, id) AS nth
               FROM candidates
           ),
           picked AS (
               SELECT array_agg(id ORDER BY round, due_at, id) AS ids FROM ranked
               WHERE (channel <> 'sms' OR $7::int IS NULL OR nth <= $7)
                 AND (channel <> 'email' OR $8::int IS NULL OR nth <= $8)
           ),
           chosen AS (
               SELECT l.id FROM picked p
               CROSS JOIN LATERAL unnest(p.ids) WITH ORDINALITY AS u(id, pos)
               CROSS JOIN LATERAL (
                   SELECT n.id, n.status, n.lease_until FROM notifications n WHERE n.id = u.id
                   FOR UPDATE SKIP LOCKED) l
               WHERE l.status = 'scheduled' AND (l.lease_until IS NULL OR l.lease_until < $3)
               ORDER BY u.pos LIMIT $4
           )
           UPDATE notifications SET lease_owner = $1, lease_until = $2, billed_units = NULL, unit_price_ore = NULL
           FROM chosen WHERE notifications.id = chosen.id
           RETURNING notifications.id, notifications.tenant_id, notifications.channel, notifications.message,
                     notifications.idempotency_key, notifications.attempts, notifications.billable,
                     notifications.rule_id, notifications.time_zone, notifications.shipment_id,
                     notifications.created_at AS "created_at: PgTime", notifications.due_at AS "due_at: PgTime""#,
        worker,
        PgTime(lease_until) as _,
        PgTime(now) as _,
        cap(limit),
        &capped,
        grant.tenant_default.map(cap),
        grant.sms.map(cap),
        grant.email.map(cap),
        &caps,
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)
}

/// The claimed rows as jobs. A stored message that no longer decodes can never be sent: it
/// ends failed with the reason instead of failing the claim of every message beside it, lease
/// after lease.
async fn jobs(pool: &PgPool, rows: Vec<ClaimedRow>, worker: &str, now: Timestamp) -> StoreResult<Vec<DeliveryJob>> {
    let mut jobs = Vec::with_capacity(rows.len());
    for r in rows {
        let id = NotificationId(r.id);
        let tenant_id = TenantId(r.tenant_id);
        // Decoded row by row (not by the query), so one bad message fails alone.
        let message = match r.message.map(serde_json::from_value::<Message>) {
            Some(Ok(message)) => message,
            unreadable => {
                let why = match unreadable {
                    Some(Err(e)) => format!("message: {e}"),
                    _ => "a scheduled notification without a message".into(),
                };
                let outcome = DeliveryOutcome::Failed {
                    reason: format!("the stored message can no longer be read: {why}"),
                };
                let failed = [Finished {
                    tenant: tenant_id,
                    id,
                    outcome,
                    provider: None,
                }];
                crate::delivery::finish(pool, worker, &failed, now).await?;
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
    Ok(jobs)
}
