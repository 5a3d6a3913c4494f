//! Reading notifications and their status history, always within one tenant.

use crate::codec::{PgTime, parse};
use crate::db;
use avisera_domain::billing::Charge;
use avisera_domain::money::Ore;
use avisera_domain::notification::{Message, Status};
use avisera_domain::{NotificationId, RuleId, TenantId, Timestamp};
use avisera_store::{NotificationFact, NotificationFilter, NotificationRecord, StatusChange, StoreResult};
use sqlx::PgPool;
use sqlx::types::Json;

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
    // One shipment's messages are found through its shipment (notifications_shipment), and
    // those made with no shipment (tests of a template) by that index's empty shipment:
    // notifications have no index by tracking number, and the log read the tenant's messages
    // newest first until it had found the shipment's.
    let source = match f.tracking_number {
        Some(_) => {
            "(SELECT * FROM notifications
              WHERE tenant_id = (SELECT $1::bigint)
                AND shipment_id = (SELECT id FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND tracking_number = $5)
              UNION ALL
              SELECT * FROM notifications
              WHERE tenant_id = (SELECT $1::bigint) AND shipment_id IS NULL AND tracking_number = $5) AS n"
        }
        None => "notifications",
    };
    // Optional filters are written as "$n IS NULL OR column = $n" so one statement serves all.
    let sql = format!(
        "SELECT {COLUMNS} FROM {source} WHERE tenant_id = (SELECT $1::bigint)
           AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR channel = $3)
           AND ($4::text IS NULL OR trigger_name = $4) AND ($5::text IS NULL OR tracking_number = $5)
           AND ($6::bigint IS NULL OR id < $6)
           AND ($8::timestamptz IS NULL OR created_at >= $8) AND ($9::timestamptz IS NULL OR created_at < $9)
         ORDER BY id DESC LIMIT $7"
    );
    let rows: Vec<NotificationRow> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(f.status.map(|s| s.slug()))
        .bind(f.channel.map(|c| c.slug()))
        .bind(f.trigger.map(|t| t.slug()))
        .bind(f.tracking_number.as_deref())
        .bind(f.before_id.map(|i| i.0))
        .bind(i64::from(f.limit.clamp(1, 1000)))
        .bind(f.created_from.map(PgTime))
        .bind(f.created_until.map(PgTime))
        .fetch_all(pool)
        .await
        .map_err(db)?;
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
