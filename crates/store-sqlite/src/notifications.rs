//! Reading notifications and their status history, always within one tenant.

use crate::codec::{Millis, Slug};
use crate::db;
use avisera_domain::billing::Charge;
use avisera_domain::money::Ore;
use avisera_domain::notification::{Channel, Message, Status};
use avisera_domain::trigger::Trigger;
use avisera_domain::{NotificationId, RuleId, TenantId, Timestamp};
use avisera_store::{NotificationFact, NotificationFilter, NotificationRecord, StatusChange, StoreResult};
use sqlx::SqlitePool;
use sqlx::types::Json;

const COLUMNS: &str =
    "id, tenant_id, tracking_number, rule_id, trigger_name, channel, recipient, status, reason, language,
    message, due_at, attempts, provider_id, provider, idempotency_key, sent_at, billed_units, unit_price_ore, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: i64,
    tenant_id: i64,
    tracking_number: String,
    rule_id: Option<i64>,
    trigger_name: Option<Slug<Trigger>>,
    channel: Slug<Channel>,
    recipient: String,
    status: Slug<Status>,
    reason: Option<String>,
    language: Option<String>,
    message: Option<Json<Message>>,
    due_at: Millis,
    attempts: i64,
    provider_id: Option<String>,
    provider: Option<String>,
    idempotency_key: String,
    sent_at: Option<Millis>,
    billed_units: Option<i64>,
    unit_price_ore: Option<i64>,
    created_at: Millis,
    updated_at: Millis,
}

impl From<RecordRow> for NotificationRecord {
    fn from(r: RecordRow) -> NotificationRecord {
        NotificationRecord {
            id: NotificationId(r.id),
            tenant_id: TenantId(r.tenant_id),
            tracking_number: r.tracking_number,
            rule_id: r.rule_id.map(RuleId),
            trigger: r.trigger_name.map(|t| t.0),
            channel: r.channel.0,
            recipient: r.recipient,
            status: r.status.0,
            reason: r.reason,
            language: r.language,
            message: r.message.map(|m| m.0),
            due_at: r.due_at.0,
            attempts: r.attempts as u32,
            provider_id: r.provider_id,
            provider: r.provider,
            idempotency_key: r.idempotency_key,
            sent_at: r.sent_at.map(|s| s.0),
            charge: match (r.billed_units, r.unit_price_ore, r.sent_at) {
                // A claim reserves its SMS's price before sending; it is a cost once sent.
                (Some(units), Some(price), Some(_)) => Some(Charge {
                    units: units as u32,
                    unit_price: Ore(price),
                }),
                _ => None,
            },
            created_at: r.created_at.0,
            updated_at: r.updated_at.0,
        }
    }
}

pub async fn list(pool: &SqlitePool, tenant: TenantId, f: &NotificationFilter) -> StoreResult<Vec<NotificationRecord>> {
    // Optional filters are written as "?n IS NULL OR column = ?n" so one statement serves all.
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE tenant_id = ?1
           AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR channel = ?3)
           AND (?4 IS NULL OR trigger_name = ?4) AND (?5 IS NULL OR tracking_number = ?5)
           AND (?6 IS NULL OR id < ?6)
           AND (?8 IS NULL OR created_at >= ?8) AND (?9 IS NULL OR created_at < ?9)
         ORDER BY id DESC LIMIT ?7"
    );
    let rows: Vec<RecordRow> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(f.status.map(|s| s.slug()))
        .bind(f.channel.map(|c| c.slug()))
        .bind(f.trigger.map(|t| t.slug()))
        .bind(f.tracking_number.as_deref())
        .bind(f.before_id.map(|i| i.0))
        .bind(i64::from(f.limit.clamp(1, 1000)))
        .bind(f.created_from.map(Millis))
        .bind(f.created_until.map(Millis))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    Ok(rows.into_iter().map(NotificationRecord::from).collect())
}

pub async fn get(pool: &SqlitePool, tenant: TenantId, id: NotificationId) -> StoreResult<Option<NotificationRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE tenant_id = ?1 AND id = ?2");
    let row: Option<RecordRow> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(NotificationRecord::from))
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    status: Slug<Status>,
    reason: Option<String>,
    at: Millis,
}

pub async fn history(pool: &SqlitePool, tenant: TenantId, id: NotificationId) -> StoreResult<Vec<StatusChange>> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT status, reason, at FROM notification_history WHERE tenant_id = ?1 AND notification_id = ?2 ORDER BY id",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|r| StatusChange {
            status: r.status.0,
            reason: r.reason,
            at: r.at.0,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct FactRow {
    hour: i64,
    trigger_name: Option<Slug<Trigger>>,
    channel: Slug<Channel>,
    status: Slug<Status>,
    n: i64,
}

pub async fn facts(
    pool: &SqlitePool,
    tenant: TenantId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<NotificationFact>> {
    // Grouped by whole hours (integer division), so the page reads a few hundred rows whatever
    // the volume; days are made from hours by the caller, in its zone.
    let rows: Vec<FactRow> = sqlx::query_as(
        "SELECT created_at / 3600000 AS hour, trigger_name, channel, status, COUNT(*) AS n FROM notifications
         WHERE tenant_id = ?1 AND created_at >= ?2 AND created_at < ?3
         GROUP BY created_at / 3600000, trigger_name, channel, status ORDER BY hour",
    )
    .bind(tenant.0)
    .bind(Millis(from))
    .bind(Millis(to))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|r| {
            Ok(NotificationFact {
                created_at: Timestamp::from_millisecond(r.hour * 3_600_000)
                    .map_err(|e| avisera_store::StoreError::Corrupt(format!("bad hour {}: {e}", r.hour)))?,
                count: u64::try_from(r.n).unwrap_or(0),
                trigger: r.trigger_name.map(|t| t.0),
                channel: r.channel.0,
                status: r.status.0,
            })
        })
        .collect()
}

pub async fn dedupe_keys(
    pool: &SqlitePool,
    tenant: TenantId,
    ids: &[NotificationId],
) -> StoreResult<std::collections::HashMap<NotificationId, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, dedupe_key FROM notifications WHERE tenant_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
    )
    .bind(tenant.0)
    .bind(Json(&ids))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(|(id, key)| (NotificationId(id), key)).collect())
}
