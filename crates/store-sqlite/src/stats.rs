//! Engagement on SQLite: visits to tracking links and views of tracking pages counted in
//! place (an upsert per visit), opens of emails likewise, and the follow-up numbers' counts
//! added up per group in SQL.

use crate::codec::Millis;
use crate::db;
use avisera_domain::stats::{Group, Tally};
use avisera_domain::zone::offsets_between;
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{StoreResult, Visits};
use sqlx::SqlitePool;

pub async fn shipment_keys(
    pool: &SqlitePool,
    tenant: TenantId,
    shipment: ShipmentId,
    limit: u32,
) -> StoreResult<Vec<(NotificationId, String)>> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, dedupe_key FROM notifications WHERE tenant_id = ?1 AND shipment_id = ?2
         ORDER BY id DESC LIMIT ?3",
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
    pool: &SqlitePool,
    tenant: TenantId,
    id: NotificationId,
    at: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO link_visits (tenant_id, notification_id, visits, first_at, last_at)
         SELECT tenant_id, id, 1, ?3, ?3 FROM notifications WHERE tenant_id = ?1 AND id = ?2
         ON CONFLICT (tenant_id, notification_id) DO UPDATE SET visits = visits + 1,
             first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(Millis(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn record_page_view(
    pool: &SqlitePool,
    tenant: TenantId,
    shipment: ShipmentId,
    at: Timestamp,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO page_views (tenant_id, shipment_id, views, first_at, last_at)
         SELECT tenant_id, id, 1, ?3, ?3 FROM shipments WHERE tenant_id = ?1 AND id = ?2
         ON CONFLICT (tenant_id, shipment_id) DO UPDATE SET views = views + 1,
             first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)",
    )
    .bind(tenant.0)
    .bind(shipment.0)
    .bind(Millis(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn link_visits(pool: &SqlitePool, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>> {
    let row: Option<(i64, Millis, Millis)> = sqlx::query_as(
        "SELECT visits, first_at, last_at FROM link_visits WHERE tenant_id = ?1 AND notification_id = ?2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(visits))
}

pub async fn page_views(pool: &SqlitePool, tenant: TenantId, shipment: ShipmentId) -> StoreResult<Option<Visits>> {
    let row: Option<(i64, Millis, Millis)> =
        sqlx::query_as("SELECT views, first_at, last_at FROM page_views WHERE tenant_id = ?1 AND shipment_id = ?2")
            .bind(tenant.0)
            .bind(shipment.0)
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(row.map(visits))
}

fn visits((count, first_at, last_at): (i64, Millis, Millis)) -> Visits {
    Visits {
        count: u64::try_from(count).unwrap_or(0),
        first_at: first_at.0,
        last_at: last_at.0,
    }
}

pub async fn record_open(pool: &SqlitePool, tenant: TenantId, id: NotificationId, at: Timestamp) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO email_opens (tenant_id, notification_id, opens, first_at, last_at)
         SELECT tenant_id, id, 1, ?3, ?3 FROM notifications WHERE tenant_id = ?1 AND id = ?2
         ON CONFLICT (tenant_id, notification_id) DO UPDATE SET opens = opens + 1,
             first_at = MIN(first_at, excluded.first_at), last_at = MAX(last_at, excluded.last_at)",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(Millis(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn opens(pool: &SqlitePool, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>> {
    let row: Option<(i64, Millis, Millis)> = sqlx::query_as(
        "SELECT opens, first_at, last_at FROM email_opens WHERE tenant_id = ?1 AND notification_id = ?2",
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

/// The counts per group in one statement. SQLite knows no time zones, so a day is found by
/// the zone's offset in force at the instant (`?4`: the offsets of the period, from
/// `zone::offsets_between`, a handful of rows); and it has no percentile, so the median is
/// the middle one or two of each group's waits numbered by a window function: the sort is
/// SQLite's (spilling to its temporary files), and only a row per group reaches us.
pub async fn sent_tallies(
    pool: &SqlitePool,
    tenant: TenantId,
    (from, until): (Timestamp, Timestamp),
    by: Option<Group>,
    zone: &str,
) -> StoreResult<Vec<Tally>> {
    let (key, join) = match by {
        None => ("'total'", ""),
        Some(Group::Day) => (
            "strftime('%Y-%m-%d', n.sent_at / 1000 + (SELECT o.off FROM offsets o WHERE o.start <= n.sent_at
                ORDER BY o.start DESC LIMIT 1), 'unixepoch')",
            "",
        ),
        Some(Group::Trigger) => ("COALESCE(n.trigger_name, 'none')", ""),
        Some(Group::Channel) => ("n.channel", ""),
        Some(Group::Carrier) => (
            "COALESCE(NULLIF(TRIM(json_extract(s.state, '$.details.carrier')), ''), 'unknown')",
            "LEFT JOIN shipments s ON s.tenant_id = n.tenant_id AND s.id = n.shipment_id",
        ),
    };
    let offsets = match by {
        Some(Group::Day) => offsets_between(zone, from, until)
            .ok_or_else(|| avisera_store::StoreError::Database(format!("no time zone {zone:?}")))?
            .into_iter()
            .map(|(at, off)| serde_json::json!([at.as_millisecond(), off]))
            .collect(),
        _ => Vec::new(),
    };
    let sql = format!(
        "WITH offsets (start, off) AS (
             SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?4)),
         f AS (
             SELECT {key} AS key, n.channel, n.status,
                    v.notification_id IS NOT NULL AS clicked, o.notification_id IS NOT NULL AS opened,
                    CASE WHEN n.status = 'delivered' THEN MAX(0, (SELECT MIN(h.at) FROM notification_history h
                         WHERE h.tenant_id = n.tenant_id AND h.notification_id = n.id AND h.status = 'delivered')
                         - n.sent_at) END AS wait
             FROM notifications n {join}
             LEFT JOIN link_visits v ON v.tenant_id = n.tenant_id AND v.notification_id = n.id
             LEFT JOIN email_opens o ON o.tenant_id = n.tenant_id AND o.notification_id = n.id
             WHERE n.tenant_id = ?1 AND n.sent_at IS NOT NULL AND n.sent_at >= ?2 AND n.sent_at < ?3
               AND n.status IN ('sent', 'delivered', 'undelivered', 'bounced')),
         numbered AS (
             SELECT key, wait, ROW_NUMBER() OVER (PARTITION BY key ORDER BY wait) AS nth,
                    COUNT(*) OVER (PARTITION BY key) AS waits
             FROM f WHERE wait IS NOT NULL),
         medians AS (
             SELECT key, SUM(wait) / COUNT(*) AS median FROM numbered
             WHERE nth IN ((waits + 1) / 2, (waits + 2) / 2) GROUP BY key)
         SELECT f.key AS key, COUNT(*) AS sent,
                SUM(f.status = 'delivered') AS delivered, SUM(f.status = 'undelivered') AS undelivered,
                SUM(f.status = 'bounced') AS bounced, SUM(f.clicked) AS clicked,
                SUM(f.channel = 'email') AS emails, SUM(f.opened) AS opened, MAX(m.median) AS median
         FROM f LEFT JOIN medians m ON m.key = f.key
         GROUP BY f.key"
    );
    let rows: Vec<TallyRow> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(Millis(from))
        .bind(Millis(until))
        .bind(serde_json::Value::Array(offsets).to_string())
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

pub async fn suppressed_count(pool: &SqlitePool, tenant: TenantId) -> StoreResult<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM opt_outs WHERE tenant_id = ?1")
        .bind(tenant.0)
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(u64::try_from(n).unwrap_or(0))
}
