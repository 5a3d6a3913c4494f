//! Users' passwords and roles, and password reset links.

use crate::codec::PgTime;
use crate::db;
use avisera_domain::user::{Role, User};
use avisera_domain::{TenantId, Timestamp, UserId};
use avisera_store::StoreResult;
use sqlx::{PgConnection, PgPool};

async fn set_password_on(conn: &mut PgConnection, tenant: TenantId, user: UserId, hash: &str) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET password_hash = $3 WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
        .bind(tenant.0)
        .bind(user.0)
        .bind(hash)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM sessions WHERE tenant_id = (SELECT $1::bigint) AND user_id = $2")
        .bind(tenant.0)
        .bind(user.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn set_password(pool: &PgPool, tenant: TenantId, user: UserId, hash: &str) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let done = set_password_on(&mut tx, tenant, user, hash).await?;
    tx.commit().await.map_err(db)?;
    Ok(done)
}

pub async fn set_role(pool: &PgPool, tenant: TenantId, user: UserId, role: Role) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET role = $3 WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
        .bind(tenant.0)
        .bind(user.0)
        .bind(role.slug())
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn add_reset(
    pool: &PgPool,
    token_hash: &str,
    tenant: TenantId,
    user: UserId,
    expires_at: Timestamp,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("DELETE FROM password_resets WHERE expires_at <= $1")
        .bind(PgTime(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO password_resets (token_hash, tenant_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(tenant.0)
    .bind(user.0)
    .bind(PgTime(now))
    .bind(PgTime(expires_at))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

async fn reset_user(
    conn: &mut PgConnection,
    token_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<(TenantId, UserId)>> {
    let found: Option<(i64, i64)> = sqlx::query_as(
        "SELECT tenant_id, user_id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 FOR UPDATE",
    )
    .bind(token_hash)
    .bind(PgTime(now))
    .fetch_optional(conn)
    .await
    .map_err(db)?;
    Ok(found.map(|(t, u)| (TenantId(t), UserId(u))))
}

pub async fn reset(pool: &PgPool, token_hash: &str, now: Timestamp) -> StoreResult<Option<User>> {
    // The connection goes back before the user is read (a pool may have only one).
    let found = {
        let mut conn = pool.acquire().await.map_err(db)?;
        reset_user(&mut conn, token_hash, now).await?
    };
    let Some((tenant, user)) = found else {
        return Ok(None);
    };
    crate::users::get(pool, tenant, user).await
}

pub async fn use_reset(pool: &PgPool, token_hash: &str, hash: &str, now: Timestamp) -> StoreResult<Option<User>> {
    let mut tx = pool.begin().await.map_err(db)?;
    let Some((tenant, user)) = reset_user(&mut tx, token_hash, now).await? else {
        return Ok(None);
    };
    set_password_on(&mut tx, tenant, user, hash).await?;
    sqlx::query("UPDATE password_resets SET used_at = $2 WHERE token_hash = $1")
        .bind(token_hash)
        .bind(PgTime(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    crate::users::get(pool, tenant, user).await
}
