//! Engagement on PostgreSQL: visits to tracking links and views of tracking pages counted in
//! place (an upsert per visit), opens of emails likewise, and the follow-up numbers' counts
//! added up per group in SQL.

use crate::codec::PgTime;
use crate::db;
use avisera_domain::stats::{Group, Tally};
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
        "SELECT id, dedupe_key FROM notifications WHERE tenant_id = (SELECT $1::bigint) AND shipment_id = $2
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
         SELECT tenant_id, id, 1, $3, $3 FROM notifications WHERE tenant_id = (SELECT $1::bigint) AND id = $2
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
         SELECT tenant_id, id, 1, $3, $3 FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND id = $2
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
        "SELECT visits, first_at, last_at FROM link_visits WHERE tenant_id = (SELECT $1::bigint) AND notification_id = $2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(visits))
}

pub async fn page_views(pool: &PgPool, tenant: TenantId, shipment: ShipmentId) -> StoreResult<Option<Visits>> {
    let row: Option<(i64, PgTime, PgTime)> = sqlx::query_as(
        "SELECT views, first_at, last_at FROM page_views WHERE tenant_id = (SELECT $1::bigint) AND shipment_id = $2",
    )
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

pub async fn record_open(pool: &PgPool, tenant: TenantId, id: NotificationId, at: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO email_opens (tenant_id, notification_id, opens, first_at, last_at)
         SELECT tenant_id, id, 1, $3, $3 FROM notifications WHERE tenant_id = (SELECT $1::bigint) AND id = $2
         ON CONFLICT (tenant_id, notification_id) DO UPDATE SET opens = email_opens.opens + 1,
             first_at = LEAST(email_opens.first_at, excluded.first_at),
             last_at = GREATEST(email_opens.last_at, excluded.last_at)",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(PgTime(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn opens(pool: &PgPool, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>> {
    let row: Option<(i64, PgTime, PgTime)> = sqlx::query_as(
        "SELECT opens, first_at, last_at FROM email_opens WHERE tenant_id = (SELECT $1::bigint) AND notification_id = $2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(visits))
}

#[derive(sqlx::FromRow)]
struct TallyRow {
    key: String,
    sent: i64,
    delivered: i64,
    undelivered: i64,
    bounced: i64,
    clicked: i64,
    emails: i64,
    opened: i64,
    median: Option<i64>,
}

/// The counts per group in one statement: days by the zone's own rules (`AT TIME ZONE`), the
/// median by `percentile_cont(0.5)`, the mean of the middle two for an even count as the
/// numbers define it (rounded down to the millisecond).
pub async fn sent_tallies(
    pool: &PgPool,
    tenant: TenantId,
    (from, until): (Timestamp, Timestamp),
    by: Option<Group>,
    zone: &str,
) -> StoreResult<Vec<Tally>> {
    let (key, join) = match by {
        None => ("'total'", ""),
        Some(Group::Day) => ("to_char(n.sent_at AT TIME ZONE $4, 'YYYY-MM-DD')", ""),
        Some(Group::Trigger) => ("COALESCE(n.trigger_name, 'none')", ""),
        Some(Group::Channel) => ("n.channel", ""),
        Some(Group::Carrier) => (
            "COALESCE(NULLIF(TRIM(s.state -> 'details' ->> 'carrier'), ''), 'unknown')",
            "LEFT JOIN shipments s ON s.tenant_id = n.tenant_id AND s.id = n.shipment_id",
        ),
    };
    let sql = format!(
        "WITH f AS (
             SELECT {key} AS key, n.channel, n.status,
                    v.notification_id IS NOT NULL AS clicked, o.notification_id IS NOT NULL AS opened,
                    CASE WHEN n.status = 'delivered' THEN GREATEST(0, FLOOR(EXTRACT(EPOCH FROM
                         (SELECT MIN(h.at) FROM notification_history h
                          WHERE h.tenant_id = n.tenant_id AND h.notification_id = n.id AND h.status = 'delivered')
                         - n.sent_at) * 1000))::BIGINT END AS wait
             FROM notifications n {join}
             LEFT JOIN link_visits v ON v.tenant_id = n.tenant_id AND v.notification_id = n.id
             LEFT JOIN email_opens o ON o.tenant_id = n.tenant_id AND o.notification_id = n.id
             WHERE n.tenant_id = (SELECT $1::bigint) AND n.sent_at IS NOT NULL AND n.sent_at >= $2 AND n.sent_at < $3
               AND n.status IN ('sent', 'delivered', 'undelivered', 'bounced')
               AND $4::TEXT IS NOT NULL)
         SELECT key, COUNT(*) AS sent,
                COUNT(*) FILTER (WHERE status = 'delivered') AS delivered,
                COUNT(*) FILTER (WHERE status = 'undelivered') AS undelivered,
                COUNT(*) FILTER (WHERE status = 'bounced') AS bounced,
                COUNT(*) FILTER (WHERE clicked) AS clicked,
                COUNT(*) FILTER (WHERE channel = 'email') AS emails,
                COUNT(*) FILTER (WHERE opened) AS opened,
                FLOOR(percentile_cont(0.5) WITHIN GROUP (ORDER BY wait))::BIGINT AS median
         FROM f GROUP BY key"
    );
    let rows: Vec<TallyRow> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(PgTime(from))
        .bind(PgTime(until))
        .bind(zone)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|r| Tally {
            key: r.key,
            sent: count(r.sent),
            delivered: count(r.delivered),
            undelivered: count(r.undelivered),
            bounced: count(r.bounced),
            clicked: count(r.clicked),
            emails: count(r.emails),
            opened: count(r.opened),
            median_ms_to_delivered: r.median,
        })
        .collect())
}

pub async fn suppressed_count(pool: &PgPool, tenant: TenantId) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM opt_outs WHERE tenant_id = (SELECT $1::bigint)")
        .bind(tenant.0)
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
