//! Sign-ups waiting for their admin's confirmation, and the tenant and admin each becomes.

use crate::codec::{Millis, Slug};
use crate::{begin_write, db};
use avisera_domain::contact::EmailAddress;
use avisera_domain::organisation::{Country, OrganisationNumber};
use avisera_domain::plan::Plan;
use avisera_domain::signup::SignUp;
use avisera_domain::user::Role;
use avisera_domain::{TenantId, Timestamp, UserId};
use avisera_store::{NewUser, StoreError, StoreResult};
use sqlx::SqlitePool;

#[derive(sqlx::FromRow)]
struct SignUpRow {
    country: String,
    organisation_number: String,
    company: String,
    admin_name: String,
    email: String,
    password_hash: String,
    plan: Slug<Plan>,
    language: String,
    expires_at: Millis,
}

impl SignUpRow {
    fn signup(&self) -> StoreResult<SignUp> {
        let corrupt = |e: String| StoreError::Corrupt(format!("sign-up: {e}"));
        let country: Country = self.country.parse().map_err(corrupt)?;
        Ok(SignUp {
            organisation: OrganisationNumber::parse(country, &self.organisation_number).map_err(corrupt)?,
            company: self.company.clone(),
            admin_name: self.admin_name.clone(),
            email: EmailAddress::parse(&self.email).map_err(|e| corrupt(e.to_string()))?,
            plan: self.plan.0,
            language: self.language.clone(),
            expires_at: self.expires_at.0,
        })
    }
}

const COLUMNS: &str =
    "country, organisation_number, company, admin_name, email, password_hash, plan, language, expires_at";

pub async fn add(
    pool: &SqlitePool,
    token_hash: &str,
    s: &SignUp,
    password_hash: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    sqlx::query("DELETE FROM signups WHERE confirmed_at IS NULL AND expires_at <= ?1")
        .bind(Millis(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO signups (token_hash, country, organisation_number, company, admin_name, email,
                              password_hash, plan, language, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .bind(token_hash)
    .bind(s.organisation.country().code())
    .bind(s.organisation.digits())
    .bind(&s.company)
    .bind(&s.admin_name)
    .bind(s.email.as_str().to_lowercase())
    .bind(password_hash)
    .bind(s.plan.slug())
    .bind(&s.language)
    .bind(Millis(now))
    .bind(Millis(s.expires_at))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)
}

async fn pending_row(
    conn: &mut sqlx::SqliteConnection,
    token_hash: &str,
    now: Timestamp,
) -> StoreResult<Option<SignUpRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM signups WHERE token_hash = ?1 AND confirmed_at IS NULL AND expires_at > ?2"
    ))
    .bind(token_hash)
    .bind(Millis(now))
    .fetch_optional(conn)
    .await
    .map_err(db)
}

pub async fn pending(pool: &SqlitePool, token_hash: &str, now: Timestamp) -> StoreResult<Option<SignUp>> {
    let mut conn = pool.acquire().await.map_err(db)?;
    pending_row(&mut conn, token_hash, now)
        .await?
        .map(|r| r.signup())
        .transpose()
}

pub async fn confirm(pool: &SqlitePool, token_hash: &str, now: Timestamp) -> StoreResult<Option<(TenantId, UserId)>> {
    let mut tx = begin_write(pool).await?;
    let Some(row) = pending_row(&mut tx, token_hash, now).await? else {
        return Ok(None);
    };
    let signup = row.signup()?;
    let tenant = crate::tenants::insert(&mut tx, &signup.company, signup.plan, &signup.brand(), now).await?;
    sqlx::query("UPDATE tenants SET country = ?2, organisation_number = ?3 WHERE id = ?1")
        .bind(tenant.0)
        .bind(signup.organisation.country().code())
        .bind(signup.organisation.digits())
        .execute(&mut *tx)
        .await
        .map_err(|e| taken_organisation(db(e), &signup.organisation))?;
    let admin = NewUser {
        email: signup.email.clone(),
        name: signup.admin_name.clone(),
        role: Role::Admin,
        password_hash: row.password_hash,
    };
    let user = crate::users::insert(&mut tx, tenant, &admin, now).await?;
    sqlx::query("UPDATE signups SET confirmed_at = ?2 WHERE token_hash = ?1")
        .bind(token_hash)
        .bind(Millis(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Some((tenant, user)))
}

fn taken_organisation(e: StoreError, organisation: &OrganisationNumber) -> StoreError {
    match e {
        StoreError::Conflict { .. } => StoreError::conflict(
            "tenants_by_organisation",
            format!("organisation {organisation} already has an account"),
        ),
        e => e,
    }
}

pub async fn registered(pool: &SqlitePool, organisation: &OrganisationNumber) -> StoreResult<Option<TenantId>> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM tenants WHERE country = ?1 AND organisation_number = ?2")
        .bind(organisation.country().code())
        .bind(organisation.digits())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(id.map(TenantId))
}
