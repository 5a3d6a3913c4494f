//! The tenant's logo images, stored whole (they are small and checked at upload).

use crate::codec::PgTime;
use crate::db;
use avisera_domain::logo::LogoKind;
use avisera_domain::{LogoId, TenantId, Timestamp};
use avisera_store::{Logo, StoreError, StoreResult};
use sqlx::PgPool;

#[derive(sqlx::FromRow)]
struct LogoRow {
    id: i64,
    kind: String,
    /// Empty when the list leaves the bytes out.
    bytes: Vec<u8>,
    created_at: PgTime,
}

impl LogoRow {
    fn into_logo(self) -> StoreResult<Logo> {
        Ok(Logo {
            id: LogoId(self.id),
            kind: LogoKind::from_content_type(&self.kind)
                .ok_or_else(|| StoreError::Corrupt(format!("logo kind {}", self.kind)))?,
            bytes: self.bytes,
            created_at: self.created_at.0,
        })
    }
}

pub async fn add(pool: &PgPool, tenant: TenantId, kind: LogoKind, bytes: &[u8], now: Timestamp) -> StoreResult<LogoId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO logos (tenant_id, kind, bytes, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(tenant.0)
    .bind(kind.content_type())
    .bind(bytes)
    .bind(PgTime(now))
    .fetch_one(pool)
    .await
    .map_err(db)?;
    Ok(LogoId(id))
}

pub async fn list(pool: &PgPool, tenant: TenantId) -> StoreResult<Vec<Logo>> {
    let rows: Vec<LogoRow> = sqlx::query_as(
        "SELECT id, kind, ''::bytea AS bytes, created_at FROM logos WHERE tenant_id = (SELECT $1::bigint) ORDER BY id DESC",
    )
    .bind(tenant.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter().map(LogoRow::into_logo).collect()
}

pub async fn get(pool: &PgPool, tenant: TenantId, id: LogoId) -> StoreResult<Option<Logo>> {
    let row: Option<LogoRow> = sqlx::query_as(
        "SELECT id, kind, bytes, created_at FROM logos WHERE tenant_id = (SELECT $1::bigint) AND id = $2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(LogoRow::into_logo).transpose()
}

pub async fn delete(pool: &PgPool, tenant: TenantId, id: LogoId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM logos WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}
