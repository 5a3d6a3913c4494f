//! Portal users and their sessions. Users are found by tenant, except when signing in (by
//! email) and when a session cookie comes back (by the hash of its token).

use crate::codec::{PgTime, parse};
use crate::db;
use avisera_domain::contact::{EmailAddress, PhoneNumber};
use avisera_domain::user::User;
use avisera_domain::{TenantId, Timestamp, UserId};
use avisera_store::{NewUser, Session, StoreError, StoreResult};
use sqlx::PgPool;

const COLUMNS: &str = "id, tenant_id, email, name, role, phone";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    tenant_id: i64,
    email: String,
    name: String,
    role: String,
    phone: Option<String>,
}

impl UserRow {
    fn into_user(self) -> StoreResult<User> {
        Ok(User {
            id: UserId(self.id),
            tenant_id: TenantId(self.tenant_id),
            email: EmailAddress::parse(&self.email).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            name: self.name,
            phone: self
                .phone
                .map(|p| PhoneNumber::parse(&p, None).map_err(|e| StoreError::Corrupt(e.to_string())))
                .transpose()?,
            role: parse("user role", &self.role)?,
        })
    }
}

pub async fn create(pool: &PgPool, tenant: TenantId, user: &NewUser, now: Timestamp) -> StoreResult<UserId> {
    let mut conn = pool.acquire().await.map_err(db)?;
    insert(&mut conn, tenant, user, now).await
}

/// A new user, on the caller's connection (or inside its transaction).
pub(crate) async fn insert(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    user: &NewUser,
    now: Timestamp,
) -> StoreResult<UserId> {
    let email = user.email.to_string().to_lowercase();
    let taken = |email: &str| {
        StoreError::conflict(
            "users_email_key",
            format!("a user with the email {email} already exists (users_email_key)"),
        )
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (tenant_id, email, name, role, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(tenant.0)
    .bind(&email)
    .bind(&user.name)
    .bind(user.role.slug())
    .bind(&user.password_hash)
    .bind(PgTime(now))
    .fetch_one(conn)
    .await
    .map_err(|e| match db(e) {
        StoreError::Conflict { constraint, .. } if constraint == "users_email_key" => taken(&email),
        other => other,
    })?;
    Ok(UserId(id))
}

pub async fn list(pool: &PgPool, tenant: TenantId) -> StoreResult<Vec<User>> {
    let rows: Vec<UserRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = (SELECT $1::bigint) ORDER BY id"
    ))
    .bind(tenant.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter().map(UserRow::into_user).collect()
}

pub async fn get(pool: &PgPool, tenant: TenantId, id: UserId) -> StoreResult<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM users WHERE tenant_id = (SELECT $1::bigint) AND id = $2"
    ))
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(UserRow::into_user).transpose()
}

pub async fn delete(pool: &PgPool, tenant: TenantId, id: UserId) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    sqlx::query("DELETE FROM sessions WHERE tenant_id = (SELECT $1::bigint) AND user_id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let done = sqlx::query("DELETE FROM users WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(done.rows_affected() > 0)
}

#[derive(sqlx::FromRow)]
struct SignInRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

pub async fn by_email(pool: &PgPool, email: &str) -> StoreResult<Option<(User, String)>> {
    let row: Option<SignInRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS}, password_hash FROM users WHERE email = $1"))
            .bind(email.trim().to_lowercase())
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    row.map(|r| Ok((r.user.into_user()?, r.password_hash))).transpose()
}

pub async fn create_session(pool: &PgPool, s: &Session, now: Timestamp) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(PgTime(now))
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
    .bind(PgTime(s.expires_at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    tenant_id: i64,
    user_id: i64,
    csrf_token: String,
    expires_at: PgTime,
}

pub async fn session(pool: &PgPool, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT token_hash, tenant_id, user_id, csrf_token, expires_at FROM sessions
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(PgTime(now))
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(|r| Session {
        token_hash: r.token_hash,
        tenant_id: TenantId(r.tenant_id),
        user_id: UserId(r.user_id),
        csrf_token: r.csrf_token,
        expires_at: r.expires_at.0,
    }))
}

pub async fn delete_session(pool: &PgPool, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}

/// Sets (or, with none, removes) user `id`'s own phone; false when the tenant has no such user.
pub async fn set_phone(pool: &PgPool, tenant: TenantId, id: UserId, phone: Option<&PhoneNumber>) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE users SET phone = $3 WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .bind(phone.map(|p| p.to_string()))
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() == 1)
}
