//! The delivery worker's side of the outbox: record how sending a claimed notification went
//! (`claim` claims them with a lease). A lease that runs out (its worker died) makes the job
//! claimable again; the provider's idempotency key keeps that from becoming a second message.

use crate::codec::{PgTime, parse};
use crate::db;
use crate::spend::{SPENT, Spent, Stretch};
use avisera_domain::billing::{Billed, Charge};
use avisera_domain::money::Ore;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{DeliveryOutcome, Finished, StoreResult};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

pub async fn finish(
    pool: &PgPool,
    worker: &str,
    finished: &[Finished],
    now: Timestamp,
) -> StoreResult<Vec<NotificationId>> {
    if finished.is_empty() {
        return Ok(Vec::new());
    }
    crate::error::retrying(|| finish_once(pool, worker, finished, now)).await
}

/// Every outcome of the batch in one transaction: one `UPDATE … FROM unnest(…)` guarded by the
/// lease owner, then the history rows of those it updated.
async fn finish_once(
    pool: &PgPool,
    worker: &str,
    finished: &[Finished],
    now: Timestamp,
) -> StoreResult<Vec<NotificationId>> {
    let n = finished.len();
    let (mut tenants, mut ids, mut statuses) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut reasons, mut provider_ids, mut dues) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut sent, mut units, mut prices, mut attempted) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for f in finished {
        let o = &f.outcome;
        tenants.push(f.tenant.0);
        ids.push(f.id.0);
        statuses.push(o.status().slug());
        reasons.push(o.reason());
        dues.push(o.due_again().map(PgTime));
        let (provider_id, charge) = match o {
            DeliveryOutcome::Sent { provider_id, charge } => (provider_id.as_deref(), *charge),
            _ => (None, None),
        };
        provider_ids.push(provider_id);
        sent.push(matches!(o, DeliveryOutcome::Sent { .. }).then_some(PgTime(now)));
        units.push(charge.map(|c| i64::from(c.units)));
        prices.push(charge.map(|c| c.unit_price.0));
        attempted.push(i64::from(o.is_attempt()));
    }
    let mut tx = pool.begin().await.map_err(db)?;
    let providers: Vec<Option<&str>> = finished.iter().map(|f| f.provider.as_deref()).collect();
    // A runtime statement (not `query!`): it gained the provider with migration 8.
    // A sent row is marked counted: its price goes into the tenant's counter below, in this
    // transaction.
    let done: Vec<(i64, String)> = sqlx::query_as(
        "UPDATE notifications n SET status = f.status, reason = f.reason,
             provider_id = COALESCE(f.provider_id, n.provider_id), due_at = COALESCE(f.due_at, n.due_at),
             lease_owner = NULL, lease_until = NULL, updated_at = $1, sent_at = f.sent_at,
             billed_units = f.units, unit_price_ore = f.price, attempts = n.attempts + f.attempted,
             provider = COALESCE(f.provider, n.provider), spend_counted = f.sent_at IS NOT NULL
         FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[],
                     $8::timestamptz[], $9::bigint[], $10::bigint[], $11::bigint[], $13::text[])
              AS f(tenant_id, id, status, reason, provider_id, due_at, sent_at, units, price, attempted, provider)
         WHERE n.tenant_id = f.tenant_id AND n.id = f.id AND n.lease_owner = $12
           AND (n.status = 'scheduled' OR (n.status = 'cancelled' AND f.status = 'sent'))
         RETURNING n.id, n.channel",
    )
    .bind(PgTime(now))
    .bind(&tenants[..])
    .bind(&ids[..])
    .bind(&statuses[..])
    .bind(&reasons[..])
    .bind(&provider_ids[..])
    .bind(&dues[..])
    .bind(&sent[..])
    .bind(&units[..])
    .bind(&prices[..])
    .bind(&attempted[..])
    .bind(worker)
    .bind(&providers[..])
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let sms: HashSet<i64> = done.iter().filter(|(_, c)| c == "sms").map(|(id, _)| *id).collect();
    let recorded: HashSet<i64> = done.into_iter().map(|(id, _)| id).collect();
    let mut history = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for f in finished.iter().filter(|f| recorded.contains(&f.id.0)) {
        history.0.push(f.tenant.0);
        history.1.push(f.id.0);
        history.2.push(f.outcome.status().slug());
        history.3.push(f.outcome.history_reason());
    }
    // The history, and what the batch's SMS cost added to their tenants' counters (`spend`):
    // last, so a counter's row is held only until the commit.
    let spent = Spent::of(
        finished
            .iter()
            .filter(|f| sms.contains(&f.id.0))
            .filter_map(|f| match f.outcome {
                DeliveryOutcome::Sent { charge: Some(c), .. } => Some((f.tenant, now, c.cost())),
                _ => None,
            }),
    );
    sqlx::query(
        "WITH history AS (
             INSERT INTO notification_history (tenant_id, notification_id, status, reason, at)
             SELECT h.tenant_id, h.id, h.status, h.reason, $1
             FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS h(tenant_id, id, status, reason))
         INSERT INTO sms_spend (tenant_id, hour, ore)
         SELECT s.tenant_id, s.hour, s.ore
         FROM unnest($6::bigint[], $7::timestamptz[], $8::bigint[]) WITH ORDINALITY AS s(tenant_id, hour, ore, n)
         ORDER BY s.n
         ON CONFLICT (tenant_id, hour) DO UPDATE SET ore = sms_spend.ore + EXCLUDED.ore",
    )
    .bind(PgTime(now))
    .bind(&history.0[..])
    .bind(&history.1[..])
    .bind(&history.2[..])
    .bind(&history.3[..])
    .bind(&spent.tenants[..])
    .bind(&spent.hours[..])
    .bind(&spent.ore[..])
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(finished
        .iter()
        .filter(|f| recorded.contains(&f.id.0))
        .map(|f| f.id)
        .collect())
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
         WHERE tenant_id = (SELECT $1::bigint) AND sent_at >= $2 AND sent_at < $3 AND billed_units IS NOT NULL
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
    static STATEMENT: LazyLock<String> = LazyLock::new(|| format!("SELECT CAST({SPENT} AS BIGINT)"));
    let [from, first, last, to] = Stretch::new(from, to).bounds();
    let spent: i64 = sqlx::query_scalar(STATEMENT.as_str())
        .bind(tenant.0)
        .bind(from)
        .bind(first)
        .bind(last)
        .bind(to)
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
    let at: Option<PgTime> =
        sqlx::query_scalar("SELECT at FROM opt_outs WHERE tenant_id = (SELECT $1::bigint) AND address = $2")
            .bind(tenant.0)
            .bind(address.to_lowercase())
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(at.map(|t| t.0))
}

pub async fn opted_out_among(
    pool: &PgPool,
    tenant: TenantId,
    addresses: &[&str],
) -> StoreResult<HashMap<String, Timestamp>> {
    if addresses.is_empty() {
        return Ok(HashMap::new());
    }
    let lower: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
    let rows: Vec<(String, PgTime)> = sqlx::query_as(
        "SELECT address, at FROM opt_outs WHERE tenant_id = (SELECT $1::bigint) AND address = ANY($2::text[])",
    )
    .bind(tenant.0)
    .bind(&lower[..])
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(|(address, at)| (address, at.0)).collect())
}
