//! Receipts on SQLite: finding the notification a provider's receipt names (across tenants,
//! by the provider's id or the email's idempotency key), moving it with its history, and the
//! suppressed addresses (kept beside opt-outs, with their reason).

use crate::codec::{Millis, Slug};
use crate::events::add_history;
use crate::{begin_write, db};
use avisera_domain::notification::{Channel, Status};
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{ReceiptKey, ReceiptTarget, StatusChange, StoreResult, Suppression};
use sqlx::SqlitePool;

#[derive(sqlx::FromRow)]
struct TargetRow {
    tenant_id: i64,
    id: i64,
    recipient: String,
    status: Slug<Status>,
    reason: Option<String>,
}

pub async fn targets(pool: &SqlitePool, channel: Channel, key: &ReceiptKey) -> StoreResult<Vec<ReceiptTarget>> {
    let (column, value, provider) = match key {
        ReceiptKey::ProviderId(id) => ("provider_id", id, None),
        ReceiptKey::ProviderMessage { provider, id } => ("provider_id", id, Some(provider)),
        ReceiptKey::IdempotencyKey(key) => ("idempotency_key", key, None),
    };
    let rows: Vec<TargetRow> = sqlx::query_as(&format!(
        "SELECT tenant_id, id, recipient, status, reason FROM notifications
         WHERE channel = '{channel}' AND {column} = ?1 AND (?2 IS NULL OR provider = ?2 OR provider IS NULL)
         ORDER BY id LIMIT 2",
        // A literal (one of the channels' fixed slugs), so the planner can use the index of
        // emails' keys, which covers only `channel = 'email'`.
        channel = channel.slug()
    ))
    .bind(value)
    .bind(provider)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|r| ReceiptTarget {
            tenant_id: TenantId(r.tenant_id),
            id: NotificationId(r.id),
            recipient: r.recipient,
            status: r.status.0,
            reason: r.reason,
        })
        .collect())
}

pub async fn record(
    pool: &SqlitePool,
    tenant: TenantId,
    id: NotificationId,
    from: (Status, Option<&str>),
    change: &StatusChange,
    now: Timestamp,
) -> StoreResult<bool> {
    crate::error::retrying(|| record_once(pool, tenant, id, from, change, now)).await
}

async fn record_once(
    pool: &SqlitePool,
    tenant: TenantId,
    id: NotificationId,
    from: (Status, Option<&str>),
    change: &StatusChange,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = begin_write(pool).await?;
    let moved = sqlx::query(
        "UPDATE notifications SET status = ?1, reason = ?2, updated_at = ?3
         WHERE tenant_id = ?4 AND id = ?5 AND status = ?6 AND reason IS ?7",
    )
    .bind(change.status.slug())
    .bind(change.reason.as_deref())
    .bind(Millis(now))
    .bind(tenant.0)
    .bind(id.0)
    .bind(from.0.slug())
    .bind(from.1)
    .execute(&mut *tx)
    .await
    .map_err(db)?
    .rows_affected()
        == 1;
    if moved {
        add_history(
            &mut tx,
            tenant,
            id.0,
            change.status,
            change.reason.as_deref(),
            change.at,
        )
        .await?;
    }
    tx.commit().await.map_err(db)?;
    Ok(moved)
}

pub async fn suppress(
    pool: &SqlitePool,
    tenant: TenantId,
    address: &str,
    reason: &str,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO opt_outs (tenant_id, address, at, reason) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, address) DO NOTHING",
    )
    .bind(tenant.0)
    .bind(address.to_lowercase())
    .bind(Millis(at))
    .bind(reason)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SuppressionRow {
    address: String,
    reason: Option<String>,
    at: Millis,
}

pub async fn list(pool: &SqlitePool, tenant: TenantId, limit: u32) -> StoreResult<Vec<Suppression>> {
    let rows: Vec<SuppressionRow> = sqlx::query_as(
        "SELECT address, reason, at FROM opt_outs WHERE tenant_id = ?1 ORDER BY at DESC, address LIMIT ?2",
    )
    .bind(tenant.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|r| Suppression {
            address: r.address,
            reason: r.reason,
            at: r.at.0,
        })
        .collect())
}

pub async fn remove(pool: &SqlitePool, tenant: TenantId, address: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM opt_outs WHERE tenant_id = ?1 AND address = ?2")
        .bind(tenant.0)
        .bind(address.trim().to_lowercase())
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}
