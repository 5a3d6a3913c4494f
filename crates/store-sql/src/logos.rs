//! The tenant's logo images, stored whole (they are small and checked at upload).

use crate::codec::{ms, ts};
use crate::db;
use avisera_domain::logo::LogoKind;
use avisera_domain::{LogoId, TenantId, Timestamp};
use avisera_store::{Logo, StoreError, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

fn kind(s: &str) -> StoreResult<LogoKind> {
    LogoKind::from_content_type(s).ok_or_else(|| StoreError::Corrupt(format!("logo kind {s}")))
}

fn logo_from(r: &AnyRow, with_bytes: bool) -> StoreResult<Logo> {
    Ok(Logo {
        id: LogoId(r.try_get("id").map_err(db)?),
        kind: kind(&r.try_get::<String, _>("kind").map_err(db)?)?,
        bytes: if with_bytes {
            r.try_get("bytes").map_err(db)?
        } else {
            Vec::new()
        },
        created_at: ts(r.try_get("created_at").map_err(db)?)?,
    })
}

pub async fn add(
    pool: &AnyPool,
    tenant: TenantId,
    kind: LogoKind,
    bytes: &[u8],
    now: Timestamp,
) -> StoreResult<LogoId> {
    let row =
        sqlx::query("INSERT INTO logos (tenant_id, kind, bytes, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(tenant.0)
            .bind(kind.content_type())
            .bind(bytes.to_vec())
            .bind(ms(now))
            .fetch_one(pool)
            .await
            .map_err(db)?;
    Ok(LogoId(row.try_get(0).map_err(db)?))
}

pub async fn list(pool: &AnyPool, tenant: TenantId) -> StoreResult<Vec<Logo>> {
    let rows = sqlx::query("SELECT id, kind, created_at FROM logos WHERE tenant_id = $1 ORDER BY id DESC")
        .bind(tenant.0)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(|r| logo_from(r, false)).collect()
}

pub async fn get(pool: &AnyPool, tenant: TenantId, id: LogoId) -> StoreResult<Option<Logo>> {
    let row = sqlx::query("SELECT id, kind, bytes, created_at FROM logos WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.as_ref().map(|r| logo_from(r, true)).transpose()
}

pub async fn delete(pool: &AnyPool, tenant: TenantId, id: LogoId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM logos WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}
