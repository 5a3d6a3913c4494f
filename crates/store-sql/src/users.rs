//! Portal users and their sessions. Users are found by tenant, except when signing in (by
//! email) and when a session cookie comes back (by the hash of its token).

use crate::codec::{ms, parse, ts};
use crate::db;
use avisera_domain::contact::EmailAddress;
use avisera_domain::user::User;
use avisera_domain::{TenantId, Timestamp, UserId};
use avisera_store::{NewUser, Session, StoreError, StoreResult};
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

const COLUMNS: &str = "id, tenant_id, email, name, role";

fn user_from(r: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: UserId(r.try_get("id").map_err(db)?),
        tenant_id: TenantId(r.try_get("tenant_id").map_err(db)?),
        email: EmailAddress::parse(&r.try_get::<String, _>("email").map_err(db)?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        name: r.try_get("name").map_err(db)?,
        role: parse("user role", &r.try_get::<String, _>("role").map_err(db)?)?,
    })
}

pub async fn create(pool: &AnyPool, tenant: TenantId, user: &NewUser, now: Timestamp) -> StoreResult<UserId> {
    let email = user.email.to_string().to_lowercase();
    let taken = sqlx::query("SELECT 1 FROM users WHERE email = $1")
        .bind(&email)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    if taken.is_some() {
        return Err(StoreError::conflict(
            "users.email",
            format!("a user with the email {email} already exists"),
        ));
    }
    let row = sqlx::query(
        "INSERT INTO users (tenant_id, email, name, role, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(tenant.0)
    .bind(&email)
    .bind(&user.name)
    .bind(user.role.slug())
    .bind(&user.password_hash)
    .bind(ms(now))
    .fetch_one(pool)
    .await
    .map_err(|e| match e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::conflict("users.email", format!("a user with the email {email} already exists"))
        }
        e => db(e),
    })?;
    Ok(UserId(row.try_get(0).map_err(db)?))
}

pub async fn list(pool: &AnyPool, tenant: TenantId) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 ORDER BY id"))
        .bind(tenant.0)
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.iter().map(user_from).collect()
}

pub async fn get(pool: &AnyPool, tenant: TenantId, id: UserId) -> StoreResult<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.as_ref().map(user_from).transpose()
}

pub async fn delete(pool: &AnyPool, tenant: TenantId, id: UserId) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let done = sqlx::query("DELETE FROM users WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn by_email(pool: &AnyPool, email: &str) -> StoreResult<Option<(User, String)>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS}, password_hash FROM users WHERE email = $1"))
        .bind(email.trim().to_lowercase())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| Ok((user_from(&r)?, r.try_get("password_hash").map_err(db)?)))
        .transpose()
}

pub async fn create_session(pool: &AnyPool, s: &Session, now: Timestamp) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(ms(now))
        .execute(pool)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, tenant_id, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.token_hash)
    .bind(s.tenant_id.0)
    .bind(s.user_id.0)
    .bind(&s.csrf_token)
    .bind(ms(s.expires_at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn session(pool: &AnyPool, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
    let row = sqlx::query(
        "SELECT token_hash, tenant_id, user_id, csrf_token, expires_at FROM sessions
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(ms(now))
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(|r| {
        Ok(Session {
            token_hash: r.try_get("token_hash").map_err(db)?,
            tenant_id: TenantId(r.try_get("tenant_id").map_err(db)?),
            user_id: UserId(r.try_get("user_id").map_err(db)?),
            csrf_token: r.try_get("csrf_token").map_err(db)?,
            expires_at: ts(r.try_get("expires_at").map_err(db)?)?,
        })
    })
    .transpose()
}

pub async fn delete_session(pool: &AnyPool, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}
