//! Reading notifications and their status history, always within one tenant.

use crate::codec::{from_json, ms, parse, ts};
use crate::db;
use avisera_domain::billing::Charge;
use avisera_domain::money::Ore;
use avisera_domain::notification::Status;
use avisera_domain::{NotificationId, RuleId, TenantId, Timestamp};
use avisera_store::{NotificationFact, NotificationFilter, NotificationRecord, StatusChange, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

const COLUMNS: &str =
    "id, tenant_id, tracking_number, rule_id, trigger_name, channel, recipient, status, reason, language,
    message, due_at, attempts, provider_id, idempotency_key, sent_at, billed_units, unit_price_ore, created_at, updated_at";

fn record_from(r: &AnyRow) -> StoreResult<NotificationRecord> {
    let trigger: Option<String> = r.try_get("trigger_name").map_err(db)?;
    let message: Option<String> = r.try_get("message").map_err(db)?;
    Ok(NotificationRecord {
        id: NotificationId(r.try_get("id").map_err(db)?),
        tenant_id: TenantId(r.try_get("tenant_id").map_err(db)?),
        tracking_number: r.try_get("tracking_number").map_err(db)?,
        rule_id: r.try_get::<Option<i64>, _>("rule_id").map_err(db)?.map(RuleId),
        trigger: trigger.map(|t| parse("trigger", &t)).transpose()?,
        channel: parse("channel", &r.try_get::<String, _>("channel").map_err(db)?)?,
        recipient: r.try_get("recipient").map_err(db)?,
        status: parse("status", &r.try_get::<String, _>("status").map_err(db)?)?,
        reason: r.try_get("reason").map_err(db)?,
        language: r.try_get("language").map_err(db)?,
        message: message.map(|m| from_json("message", &m)).transpose()?,
        due_at: ts(r.try_get("due_at").map_err(db)?)?,
        attempts: r.try_get::<i64, _>("attempts").map_err(db)? as u32,
        provider_id: r.try_get("provider_id").map_err(db)?,
        idempotency_key: r.try_get("idempotency_key").map_err(db)?,
        sent_at: r
            .try_get::<Option<i64>, _>("sent_at")
            .map_err(db)?
            .map(ts)
            .transpose()?,
        charge: match (
            r.try_get::<Option<i64>, _>("billed_units").map_err(db)?,
            r.try_get::<Option<i64>, _>("unit_price_ore").map_err(db)?,
        ) {
            // A claim reserves its SMS's price before sending; it is a cost once sent.
            (Some(units), Some(price)) if r.try_get::<Option<i64>, _>("sent_at").map_err(db)?.is_some() => {
                Some(Charge {
                    units: units as u32,
                    unit_price: Ore(price),
                })
            }
            _ => None,
        },
        created_at: ts(r.try_get("created_at").map_err(db)?)?,
        updated_at: ts(r.try_get("updated_at").map_err(db)?)?,
    })
}

pub async fn list(pool: &AnyPool, tenant: TenantId, f: &NotificationFilter) -> StoreResult<Vec<NotificationRecord>> {
    // Optional filters are written as "$n IS NULL OR column = $n" so one statement serves all.
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE tenant_id = $1
           AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR channel = $3)
           AND ($4 IS NULL OR trigger_name = $4) AND ($5 IS NULL OR tracking_number = $5)
           AND ($6 IS NULL OR id < $6)
           AND ($8 IS NULL OR created_at >= $8) AND ($9 IS NULL OR created_at < $9)
         ORDER BY id DESC LIMIT $7"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant.0)
        .bind(f.status.map(|s| s.slug().to_string()))
        .bind(f.channel.map(|c| c.slug().to_string()))
        .bind(f.trigger.map(|t| t.slug().to_string()))
        .bind(f.tracking_number.clone())
        .bind(f.before_id.map(|i| i.0))
        .bind(i64::from(f.limit.clamp(1, 1000)))
        .bind(f.created_from.map(ms))
        .bind(f.created_until.map(ms))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(record_from).collect()
}

pub async fn get(pool: &AnyPool, tenant: TenantId, id: NotificationId) -> StoreResult<Option<NotificationRecord>> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE tenant_id = $1 AND id = $2");
    let row = sqlx::query(&sql)
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.as_ref().map(record_from).transpose()
}

pub async fn history(pool: &AnyPool, tenant: TenantId, id: NotificationId) -> StoreResult<Vec<StatusChange>> {
    let rows = sqlx::query(
        "SELECT status, reason, at FROM notification_history WHERE tenant_id = $1 AND notification_id = $2 ORDER BY id",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(StatusChange {
                status: parse::<Status>("status", &r.try_get::<String, _>("status").map_err(db)?)?,
                reason: r.try_get("reason").map_err(db)?,
                at: ts(r.try_get("at").map_err(db)?)?,
            })
        })
        .collect()
}

pub async fn facts(
    pool: &AnyPool,
    tenant: TenantId,
    from: Timestamp,
    to: Timestamp,
) -> StoreResult<Vec<NotificationFact>> {
    // Grouped by whole hours (integer division on both engines), so the page reads a few
    // hundred rows whatever the volume; days are made from hours by the caller, in its zone.
    let rows = sqlx::query(
        "SELECT created_at / 3600000 AS hour, trigger_name, channel, status, COUNT(*) AS n FROM notifications
         WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
         GROUP BY created_at / 3600000, trigger_name, channel, status ORDER BY hour",
    )
    .bind(tenant.0)
    .bind(ms(from))
    .bind(ms(to))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(NotificationFact {
                created_at: ts(r.try_get::<i64, _>("hour").map_err(db)? * 3_600_000)?,
                count: u64::try_from(r.try_get::<i64, _>("n").map_err(db)?).unwrap_or(0),
                trigger: r
                    .try_get::<Option<String>, _>("trigger_name")
                    .map_err(db)?
                    .map(|t| parse("trigger", &t))
                    .transpose()?,
                channel: parse("channel", &r.try_get::<String, _>("channel").map_err(db)?)?,
                status: parse("status", &r.try_get::<String, _>("status").map_err(db)?)?,
            })
        })
        .collect()
}
