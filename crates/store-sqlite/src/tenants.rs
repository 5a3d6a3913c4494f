//! Tenants, their API keys, and the rows a tenant owns whole (templates, rules), stored as
//! JSON bodies. Every query names the tenant.

use crate::codec::{Millis, Slug};
use crate::{Tx, db};
use avisera_domain::billing::PlanPeriod;
use avisera_domain::plan::Plan;
use avisera_domain::tenant::{BillingSettings, Brand, OtherBrand, Tenant};
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{StoreError, StoreResult};
use serde::{Serialize, de::DeserializeOwned};
use sqlx::SqlitePool;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: i64,
    name: String,
    plan: Slug<Plan>,
    brand: Json<Brand>,
    billing: Json<BillingSettings>,
    open_tracking: bool,
    brands: Json<Vec<OtherBrand>>,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Tenant {
        Tenant {
            id: TenantId(r.id),
            name: r.name,
            plan: r.plan.0,
            brand: r.brand.0,
            billing: r.billing.0,
            open_tracking: r.open_tracking,
            brands: r.brands.0,
        }
    }
}

pub async fn create(pool: &SqlitePool, name: &str, plan: Plan, brand: &Brand, now: Timestamp) -> StoreResult<Tenant> {
    let mut tx = pool.begin().await.map_err(db)?;
    let id = insert(&mut tx, name, plan, brand, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(Tenant {
        id,
        name: name.to_string(),
        plan,
        brand: brand.clone(),
        billing: BillingSettings::default(),
        open_tracking: false,
        brands: Vec::new(),
    })
}

/// A new tenant on `plan` from `now`, inside the caller's transaction.
pub(crate) async fn insert(
    tx: &mut Tx,
    name: &str,
    plan: Plan,
    brand: &Brand,
    now: Timestamp,
) -> StoreResult<TenantId> {
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO tenants (name, plan, brand, created_at) VALUES (?1, ?2, ?3, ?4) RETURNING id")
            .bind(name)
            .bind(plan.slug())
            .bind(Json(brand))
            .bind(Millis(now))
            .fetch_one(&mut **tx)
            .await
            .map_err(db)?;
    let id = TenantId(id);
    insert_plan_change(tx, id, plan, now).await?;
    Ok(id)
}

async fn insert_plan_change(tx: &mut Tx, tenant: TenantId, plan: Plan, at: Timestamp) -> StoreResult<()> {
    sqlx::query("INSERT INTO plan_changes (tenant_id, plan, effective_at) VALUES (?1, ?2, ?3)")
        .bind(tenant.0)
        .bind(plan.slug())
        .bind(Millis(at))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

/// An update of a tenant that changed no row: the tenant does not exist.
fn found(rows: u64, tenant: TenantId) -> StoreResult<()> {
    if rows == 0 {
        return Err(StoreError::NotFound(format!("tenant {tenant} does not exist")));
    }
    Ok(())
}

pub async fn update_billing(pool: &SqlitePool, tenant: TenantId, billing: &BillingSettings) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET billing = ?1 WHERE id = ?2")
        .bind(Json(billing))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

/// Switches the open-tracking image in the tenant's emails on or off.
pub async fn set_open_tracking(pool: &SqlitePool, tenant: TenantId, on: bool) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET open_tracking = ?1 WHERE id = ?2")
        .bind(on)
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn change_plan(pool: &SqlitePool, tenant: TenantId, plan: Plan, at: Timestamp) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db)?;
    let done = sqlx::query("UPDATE tenants SET plan = ?1 WHERE id = ?2")
        .bind(plan.slug())
        .bind(tenant.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)?;
    insert_plan_change(&mut tx, tenant, plan, at).await?;
    tx.commit().await.map_err(db)
}

pub async fn plan_periods(pool: &SqlitePool, tenant: TenantId) -> StoreResult<Vec<PlanPeriod>> {
    let rows: Vec<(Slug<Plan>, Millis)> =
        sqlx::query_as("SELECT plan, effective_at FROM plan_changes WHERE tenant_id = ?1 ORDER BY effective_at, id")
            .bind(tenant.0)
            .fetch_all(pool)
            .await
            .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(plan, from)| PlanPeriod {
            plan: plan.0,
            from: from.0,
        })
        .collect())
}

pub async fn get(pool: &SqlitePool, tenant: TenantId) -> StoreResult<Option<Tenant>> {
    let row: Option<TenantRow> =
        sqlx::query_as("SELECT id, name, plan, brand, billing, open_tracking, brands FROM tenants WHERE id = ?1")
            .bind(tenant.0)
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(row.map(Tenant::from))
}

pub async fn all(pool: &SqlitePool) -> StoreResult<Vec<Tenant>> {
    let rows: Vec<TenantRow> =
        sqlx::query_as("SELECT id, name, plan, brand, billing, open_tracking, brands FROM tenants ORDER BY id")
            .fetch_all(pool)
            .await
            .map_err(db)?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

pub async fn update_brand(pool: &SqlitePool, tenant: TenantId, brand: &Brand) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET brand = ?1 WHERE id = ?2")
        .bind(Json(brand))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn update_brands(pool: &SqlitePool, tenant: TenantId, brands: &[OtherBrand]) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET brands = ?1 WHERE id = ?2")
        .bind(Json(brands))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn add_api_key(
    pool: &SqlitePool,
    tenant: TenantId,
    key_hash: &str,
    prefix: &str,
    label: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_keys (key_hash, tenant_id, prefix, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5)")
        .bind(key_hash)
        .bind(tenant.0)
        .bind(prefix)
        .bind(label)
        .bind(Millis(now))
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn api_keys(pool: &SqlitePool, tenant: TenantId) -> StoreResult<Vec<avisera_store::ApiKeyInfo>> {
    let rows: Vec<(String, String, String, Millis, Option<Millis>)> = sqlx::query_as(
        "SELECT key_hash, prefix, label, created_at, last_used_at FROM api_keys WHERE tenant_id = ?1 ORDER BY created_at DESC, key_hash",
    )
    .bind(tenant.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(
            |(key_hash, prefix, label, created_at, last_used_at)| avisera_store::ApiKeyInfo {
                key_hash,
                prefix,
                label,
                created_at: created_at.0,
                last_used_at: last_used_at.map(|t| t.0),
            },
        )
        .collect())
}

pub async fn revoke_api_key(pool: &SqlitePool, tenant: TenantId, key_hash: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM api_keys WHERE tenant_id = ?1 AND key_hash = ?2")
        .bind(tenant.0)
        .bind(key_hash)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub async fn by_api_key(pool: &SqlitePool, key_hash: &str) -> StoreResult<Option<avisera_store::ApiKeyOwner>> {
    let row: Option<(i64, String, Option<Millis>)> =
        sqlx::query_as("SELECT tenant_id, label, last_used_at FROM api_keys WHERE key_hash = ?1")
            .bind(key_hash)
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(row.map(|(tenant, label, last_used_at)| avisera_store::ApiKeyOwner {
        tenant: TenantId(tenant),
        label,
        last_used_at: last_used_at.map(|t| t.0),
    }))
}

/// Keeps the latest use: a node that records an older one (out of order) changes nothing.
pub async fn record_api_key_use(pool: &SqlitePool, key_hash: &str, at: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = ?2 WHERE key_hash = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
    )
    .bind(key_hash)
    .bind(Millis(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

/// The tables whose rows are one tenant-owned JSON body (rules, which can be archived, have
/// their own queries in `rules.rs`).
#[derive(Debug, Clone, Copy)]
pub enum Owned {
    Templates,
}

impl Owned {
    fn table(self) -> &'static str {
        match self {
            Owned::Templates => "templates",
        }
    }
}

pub async fn insert_owned<T: Serialize>(
    pool: &SqlitePool,
    owned: Owned,
    tenant: TenantId,
    body: &T,
    now: Timestamp,
) -> StoreResult<i64> {
    let sql = format!(
        "INSERT INTO {} (tenant_id, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) RETURNING id",
        owned.table()
    );
    let (id,): (i64,) = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(Json(body))
        .bind(Millis(now))
        .fetch_one(pool)
        .await
        .map_err(db)?;
    Ok(id)
}

pub async fn update_owned<T: Serialize>(
    pool: &SqlitePool,
    owned: Owned,
    tenant: TenantId,
    id: i64,
    body: &T,
    now: Timestamp,
) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE {} SET body = ?1, updated_at = ?2 WHERE tenant_id = ?3 AND id = ?4",
        owned.table()
    );
    let done = sqlx::query(&sql)
        .bind(Json(body))
        .bind(Millis(now))
        .bind(tenant.0)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

/// A tenant-owned body with its row id, which the body itself does not keep.
#[derive(sqlx::FromRow)]
struct OwnedRow<T> {
    id: i64,
    body: Json<T>,
}

impl<T> OwnedRow<T> {
    fn with_id(self, set_id: &impl Fn(&mut T, i64)) -> T {
        let mut value = self.body.0;
        set_id(&mut value, self.id);
        value
    }
}

pub async fn get_owned<T: DeserializeOwned + Send + Unpin + 'static>(
    pool: &SqlitePool,
    owned: Owned,
    tenant: TenantId,
    id: i64,
    set_id: impl Fn(&mut T, i64),
) -> StoreResult<Option<T>> {
    let sql = format!(
        "SELECT id, body FROM {} WHERE tenant_id = ?1 AND id = ?2",
        owned.table()
    );
    let row: Option<OwnedRow<T>> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(|r| r.with_id(&set_id)))
}

pub async fn list_owned<T: DeserializeOwned + Send + Unpin + 'static>(
    pool: &SqlitePool,
    owned: Owned,
    tenant: TenantId,
    set_id: impl Fn(&mut T, i64),
) -> StoreResult<Vec<T>> {
    let sql = format!(
        "SELECT id, body FROM {} WHERE tenant_id = ?1 ORDER BY id",
        owned.table()
    );
    let rows: Vec<OwnedRow<T>> = sqlx::query_as(&sql).bind(tenant.0).fetch_all(pool).await.map_err(db)?;
    Ok(rows.into_iter().map(|r| r.with_id(&set_id)).collect())
}

pub async fn mapping(pool: &SqlitePool, tenant: TenantId) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT body FROM tenant_mappings WHERE tenant_id = ?1")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)
}

pub async fn set_mapping(pool: &SqlitePool, tenant: TenantId, lines: &str, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tenant_mappings (tenant_id, body, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(tenant.0)
    .bind(lines)
    .bind(Millis(now))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn webhook_secret(pool: &SqlitePool, tenant: TenantId) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT secret FROM webhook_secrets WHERE tenant_id = ?1")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)
}

pub async fn set_webhook_secret(pool: &SqlitePool, tenant: TenantId, secret: &str, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhook_secrets (tenant_id, secret, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant_id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at",
    )
    .bind(tenant.0)
    .bind(secret)
    .bind(Millis(now))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}
