//! Receipts on PostgreSQL: finding the notification a provider's receipt names (across
//! tenants, by the provider's id or the email's idempotency key), moving it with its history,
//! and the suppressed addresses (kept beside opt-outs, with their reason).

use crate::codec::{PgTime, parse};
use crate::db;
use crate::events::add_history;
use avisera_domain::notification::{Channel, Status};
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{ReceiptKey, ReceiptTarget, StatusChange, StoreResult, Suppression};
use sqlx::PgPool;

pub async fn targets(pool: &PgPool, channel: Channel, key: &ReceiptKey) -> StoreResult<Vec<ReceiptTarget>> {
    let (column, value, provider) = match key {
        ReceiptKey::ProviderId(id) => ("provider_id", id, None),
        ReceiptKey::ProviderMessage { provider, id } => ("provider_id", id, Some(provider)),
        ReceiptKey::IdempotencyKey(key) => ("idempotency_key", key, None),
    };
    let rows: Vec<(i64, i64, String, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT tenant_id, id, recipient, status, reason FROM notifications
         WHERE channel = '{channel}' AND {column} = $1 AND ($2::text IS NULL OR provider = $2 OR provider IS NULL)
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
    rows.into_iter()
        .map(|(tenant_id, id, recipient, status, reason)| {
            Ok(ReceiptTarget {
                tenant_id: TenantId(tenant_id),
                id: NotificationId(id),
                recipient,
                status: parse("notifications.status", &status)?,
                reason,
            })
        })
        .collect()
}

pub async fn record(
    pool: &PgPool,
    tenant: TenantId,
    id: NotificationId,
    from: (Status, Option<&str>),
    change: &StatusChange,
    now: Timestamp,
) -> StoreResult<bool> {
    crate::error::retrying(|| record_once(pool, tenant, id, from, change, now)).await
}

async fn record_once(
    pool: &PgPool,
    tenant: TenantId,
    id: NotificationId,
    from: (Status, Option<&str>),
    change: &StatusChange,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let moved = sqlx::query(
        "UPDATE notifications SET status = $1, reason = $2, updated_at = $3
         WHERE tenant_id = (SELECT $4::bigint) AND id = $5 AND status = $6 AND reason IS NOT DISTINCT FROM $7",
    )
    .bind(change.status.slug())
    .bind(change.reason.as_deref())
    .bind(PgTime(now))
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

pub async fn suppress(pool: &PgPool, tenant: TenantId, address: &str, reason: &str, at: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO opt_outs (tenant_id, address, at, reason) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, address) DO NOTHING",
    )
    .bind(tenant.0)
    .bind(address.to_lowercase())
    .bind(PgTime(at))
    .bind(reason)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn list(pool: &PgPool, tenant: TenantId, limit: u32) -> StoreResult<Vec<Suppression>> {
    let rows: Vec<(String, Option<String>, PgTime)> = sqlx::query_as(
        "SELECT address, reason, at FROM opt_outs WHERE tenant_id = (SELECT $1::bigint) ORDER BY at DESC, address LIMIT $2",
    )
    .bind(tenant.0)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(address, reason, at)| Suppression {
            address,
            reason,
            at: at.0,
        })
        .collect())
}

pub async fn remove(pool: &PgPool, tenant: TenantId, address: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM opt_outs WHERE tenant_id = (SELECT $1::bigint) AND address = $2")
        .bind(tenant.0)
        .bind(address.trim().to_lowercase())
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}
