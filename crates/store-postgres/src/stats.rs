//! Engagement on PostgreSQL: visits to tracking links and views of tracking pages counted in
//! place (an upsert per visit), and the sent notifications the follow-up numbers are made of.

use crate::codec::{PgTime, parse};
use crate::db;
use avisera_domain::stats::SentFact;
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{StoreResult, Visits};
use sqlx::PgPool;

pub async fn shipment_keys(
    pool: &PgPool,
    tenant: TenantId,
    shipment: ShipmentId,
    limit: u32,
) -> StoreResult<Vec<(NotificationId, String)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, dedupe_key FROM notifications WHERE tenant_id = $1 AND shipment_id = $2
         ORDER BY id DESC LIMIT $3",
    )
    .bind(tenant.0)
    .bind(shipment.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(|(id, key)| (NotificationId(id), key)).collect())
}

pub async fn record_link_visit(
    pool: &PgPool,
    tenant: TenantId,
    id: NotificationId,
    at: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO link_visits (tenant_id, notification_id, visits, first_at, last_at)
         SELECT tenant_id, id, 1, $3, $3 FROM notifications WHERE tenant_id = $1 AND id = $2
         ON CONFLICT (tenant_id, notification_id) DO UPDATE SET visits = link_visits.visits + 1,
             first_at = LEAST(link_visits.first_at, excluded.first_at),
             last_at = GREATEST(link_visits.last_at, excluded.last_at)",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(PgTime(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn record_page_view(
    pool: &PgPool,
    tenant: TenantId,
    shipment: ShipmentId,
    at: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO page_views (tenant_id, shipment_id, views, first_at, last_at)
         SELECT tenant_id, id, 1, $3, $3 FROM shipments WHERE tenant_id = $1 AND id = $2
         ON CONFLICT (tenant_id, shipment_id) DO UPDATE SET views = page_views.views + 1,
             first_at = LEAST(page_views.first_at, excluded.first_at),
             last_at = GREATEST(page_views.last_at, excluded.last_at)",
    )
    .bind(tenant.0)
    .bind(shipment.0)
    .bind(PgTime(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn link_visits(pool: &PgPool, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>> {
    let row: Option<(i64, PgTime, PgTime)> = sqlx::query_as(
        "SELECT visits, first_at, last_at FROM link_visits WHERE tenant_id = $1 AND notification_id = $2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(visits))
}

pub async fn page_views(pool: &PgPool, tenant: TenantId, shipment: ShipmentId) -> StoreResult<Option<Visits>> {
    let row: Option<(i64, PgTime, PgTime)> =
        sqlx::query_as("SELECT views, first_at, last_at FROM page_views WHERE tenant_id = $1 AND shipment_id = $2")
            .bind(tenant.0)
            .bind(shipment.0)
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(row.map(visits))
}

fn visits((count, first_at, last_at): (i64, PgTime, PgTime)) -> Visits {
    Visits {
        count: u64::try_from(count).unwrap_or(0),
        first_at: first_at.0,
        last_at: last_at.0,
    }
}

type FactRow = (
    PgTime,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<PgTime>,
    bool,
);

pub async fn sent_facts(
    pool: &PgPool,
    tenant: TenantId,
    from: Timestamp,
    until: Timestamp,
) -> StoreResult<Vec<SentFact>> {
    let rows: Vec<FactRow> = sqlx::query_as(
        "SELECT n.sent_at, n.trigger_name, n.channel, n.status,
                s.state -> 'details' ->> 'carrier' AS carrier,
                (SELECT MIN(h.at) FROM notification_history h
                  WHERE h.tenant_id = n.tenant_id AND h.notification_id = n.id AND h.status = 'delivered') AS delivered_at,
                EXISTS (SELECT 1 FROM link_visits v
                  WHERE v.tenant_id = n.tenant_id AND v.notification_id = n.id) AS clicked
         FROM notifications n
         LEFT JOIN shipments s ON s.tenant_id = n.tenant_id AND s.id = n.shipment_id
         WHERE n.tenant_id = $1 AND n.sent_at IS NOT NULL AND n.sent_at >= $2 AND n.sent_at < $3
           AND n.status IN ('sent', 'delivered', 'undelivered', 'bounced')",
    )
    .bind(tenant.0)
    .bind(PgTime(from))
    .bind(PgTime(until))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|(sent_at, trigger, channel, status, carrier, delivered_at, clicked)| {
            Ok(SentFact {
                sent_at: sent_at.0,
                trigger: trigger.map(|t| parse("notifications.trigger_name", &t)).transpose()?,
                channel: parse("notifications.channel", &channel)?,
                carrier,
                status: parse("notifications.status", &status)?,
                delivered_at: delivered_at.map(|d| d.0),
                clicked,
            })
        })
        .collect()
}

pub async fn suppressed_count(pool: &PgPool, tenant: TenantId) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM opt_outs WHERE tenant_id = $1")
        .bind(tenant.0)
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
