//! Reading notifications and their status history, always within one tenant.

use crate::codec::{PgTime, parse};
use crate::db;
use avisera_domain::billing::Charge;
use avisera_domain::money::Ore;
use avisera_domain::notification::{Message, Status};
use avisera_domain::{NotificationId, RuleId, TenantId, Timestamp};
use avisera_store::{NotificationFact, NotificationFilter, NotificationRecord, StatusChange, StoreResult};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

const COLUMNS: &str =
    "id, tenant_id, tracking_number, rule_id, trigger_name, channel, recipient, status, reason, language,
    message, due_at, attempts, provider_id, provider, idempotency_key, sent_at, billed_units, unit_price_ore, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    tenant_id: i64,
    tracking_number: String,
    rule_id: Option<i64>,
    trigger_name: Option<String>,
    channel: String,
    recipient: String,
    status: String,
    reason: Option<String>,
    language: Option<String>,
    message: Option<Json<Message>>,
    due_at: PgTime,
    attempts: i64,
    provider_id: Option<String>,
    provider: Option<String>,
    idempotency_key: String,
    sent_at: Option<PgTime>,
    billed_units: Option<i64>,
    unit_price_ore: Option<i64>,
    created_at: PgTime,
    updated_at: PgTime,
}

impl NotificationRow {
    fn into_record(self) -> StoreResult<NotificationRecord> {
        Ok(NotificationRecord {
            id: NotificationId(self.id),
            tenant_id: TenantId(self.tenant_id),
            tracking_number: self.tracking_number,
            rule_id: self.rule_id.map(RuleId),
            trigger: self.trigger_name.map(|t| parse("trigger", &t)).transpose()?,
            channel: parse("channel", &self.channel)?,
            recipient: self.recipient,
            status: parse("status", &self.status)?,
            reason: self.reason,
            language: self.language,
            message: self.message.map(|m| m.0),
            due_at: self.due_at.0,
            attempts: self.attempts as u32,
            provider_id: self.provider_id,
            provider: self.provider,
            idempotency_key: self.idempotency_key,
            sent_at: self.sent_at.map(|t| t.0),
            charge: match (self.billed_units, self.unit_price_ore) {
                // A claim reserves its SMS's price before sending; it is a cost once sent.
                (Some(units), Some(price)) if self.sent_at.is_some() => Some(Charge {
                    units: units as u32,
                    unit_price: Ore(price),
                }),
                _ => None,
            },
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        })
    }
}

pub async fn list(pool: &PgPool, tenant: TenantId, f: &NotificationFilter) -> StoreResult<Vec<NotificationRecord>> {
    let mut q = QueryBuilder::<Postgres>::new(format!("SELECT {COLUMNS} FROM "));
    // One shipment's messages are found through its shipment (notifications_shipment), and
    // those made with no shipment (tests of a template) by that index's empty shipment:
    // notifications have no index by tracking number, and the log read the tenant's messages
    // newest first until it had found the shipment's.
    match &f.tracking_number {
        Some(tracking) => {
            q.push("(SELECT * FROM notifications WHERE tenant_id = (SELECT ")
                .push_bind(tenant.0)
                .push("::bigint) AND shipment_id = (SELECT id FROM shipments WHERE tenant_id = (SELECT ")
                .push_bind(tenant.0)
                .push("::bigint) AND tracking_number = ")
                .push_bind(tracking.as_str())
                .push(") UNION ALL SELECT * FROM notifications WHERE tenant_id = (SELECT ")
                .push_bind(tenant.0)
                .push("::bigint) AND shipment_id IS NULL AND tracking_number = ")
                .push_bind(tracking.as_str())
                .push(") AS n");
        }
        None => {
            q.push("notifications");
        }
    }
    // Only the filters given are in the statement (one statement per set of filters), and the
    // page's size is written into it: planned without its values (a generic plan, PostgreSQL's
    // choice after five calls), "$n IS NULL OR column = $n" for every filter and a `LIMIT $n`
    // made the tenant's newest rows by index look dearer than reading the whole table and
    // sorting it.
    q.push(" WHERE tenant_id = (SELECT ")
        .push_bind(tenant.0)
        .push("::bigint)");
    if let Some(status) = f.status {
        q.push(" AND status = ").push_bind(status.slug());
    }
    if let Some(channel) = f.channel {
        q.push(" AND channel = ").push_bind(channel.slug());
    }
    if let Some(trigger) = f.trigger {
        q.push(" AND trigger_name = ").push_bind(trigger.slug());
    }
    if let Some(tracking) = &f.tracking_number {
        q.push(" AND tracking_number = ").push_bind(tracking.as_str());
    }
    if let Some(before) = f.before_id {
        q.push(" AND id < ").push_bind(before.0);
    }
    if let Some(from) = f.created_from {
        q.push(" AND created_at >= ").push_bind(PgTime(from));
    }
    if let Some(until) = f.created_until {
        q.push(" AND created_at < ").push_bind(PgTime(until));
    }
    q.push(format_args!(" ORDER BY id DESC LIMIT {}", f.limit.clamp(1, 1000)));
    let rows: Vec<NotificationRow> = q.build_query_as().fetch_all(pool).await.map_err(db)?;
    rows.into_iter().map(NotificationRow::into_record).collect()
}

pub async fn get(pool: &PgPool, tenant: TenantId, id: NotificationId) -> StoreResult<Option<NotificationRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE tenant_id = (SELECT $1::bigint) AND id = $2");
    let row: Option<NotificationRow> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(NotificationRow::into_record).transpose()
}

pub async fn history(pool: &PgPool, tenant: TenantId, id: NotificationId) -> StoreResult<Vec<StatusChange>> {
    let rows: Vec<(String, Option<String>, PgTime)> = sqlx::query_as(
        "SELECT status, reason, at FROM notification_history WHERE tenant_id = (SELECT $1::bigint) AND notification_id = $2 ORDER BY id",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|(status, reason, at)| {
            Ok(StatusChange {
                status: parse::<Status>("status", &status)?,
                reason,
                at: at.0,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct FactRow {
    hour: PgTime,
    trigger_name: Option<String>,
    channel: String,
    status: String,
    n: i64,
}

pub async fn facts(
    pool: &PgPool,
    tenant: TenantId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<NotificationFact>> {
    // Grouped by whole UTC hours (date_bin from the epoch, so the session's zone plays no
    // part), so the page reads a few hundred rows whatever the volume; days are made from
    // hours by the caller, in its zone.
    let rows: Vec<FactRow> = sqlx::query_as(
        "SELECT date_bin('1 hour', created_at, 'epoch'::timestamptz) AS hour, trigger_name, channel, status,
                COUNT(*) AS n
         FROM notifications
         WHERE tenant_id = (SELECT $1::bigint) AND created_at >= $2 AND created_at < $3
         GROUP BY 1, trigger_name, channel, status ORDER BY hour",
    )
    .bind(tenant.0)
    .bind(PgTime(from))
    .bind(PgTime(to))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|r| {
            Ok(NotificationFact {
                created_at: r.hour.0,
                count: u64::try_from(r.n).unwrap_or(0),
                trigger: r.trigger_name.map(|t| parse("trigger", &t)).transpose()?,
                channel: parse("channel", &r.channel)?,
                status: parse("status", &r.status)?,
            })
        })
        .collect()
}

pub async fn dedupe_keys(
    pool: &PgPool,
    tenant: TenantId,
    ids: &[NotificationId],
) -> StoreResult<std::collections::HashMap<NotificationId, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, dedupe_key FROM notifications WHERE tenant_id = (SELECT $1::bigint) AND id = ANY($2)",
    )
    .bind(tenant.0)
    .bind(&ids)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(|(id, key)| (NotificationId(id), key)).collect())
}
