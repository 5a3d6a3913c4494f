//! Tenants, their API keys, and the rows a tenant owns whole (templates, rules), stored as
//! `jsonb` bodies. Every query names the tenant.

use crate::codec::{PgTime, parse};
use crate::{Tx, db};
use avisera_domain::billing::PlanPeriod;
use avisera_domain::plan::Plan;
use avisera_domain::tenant::{BillingSettings, Brand, OtherBrand, Tenant};
use avisera_domain::{TenantId, Timestamp};
use avisera_store::StoreResult;
use serde::{Serialize, de::DeserializeOwned};
use sqlx::PgPool;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: i64,
    name: String,
    plan: String,
    brand: Json<Brand>,
    billing: Json<BillingSettings>,
    open_tracking: bool,
    brands: Json<Vec<OtherBrand>>,
}

impl TenantRow {
    pub(crate) fn into_tenant(self) -> StoreResult<Tenant> {
        Ok(Tenant {
            id: TenantId(self.id),
            name: self.name,
            plan: parse("tenant plan", &self.plan)?,
            brand: self.brand.0,
            billing: self.billing.0,
            open_tracking: self.open_tracking,
            brands: self.brands.0,
        })
    }
}

pub async fn create(pool: &PgPool, name: &str, plan: Plan, brand: &Brand, now: Timestamp) -> StoreResult<Tenant> {
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
    let id: i64 =
        sqlx::query_scalar("INSERT INTO tenants (name, plan, brand, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(name)
            .bind(plan.slug())
            .bind(Json(brand))
            .bind(PgTime(now))
            .fetch_one(&mut **tx)
            .await
            .map_err(db)?;
    let id = TenantId(id);
    insert_plan_change(tx, id, plan, now).await?;
    Ok(id)
}

async fn insert_plan_change(tx: &mut Tx, tenant: TenantId, plan: Plan, at: Timestamp) -> StoreResult<()> {
    sqlx::query("INSERT INTO plan_changes (tenant_id, plan, effective_at) VALUES ($1, $2, $3)")
        .bind(tenant.0)
        .bind(plan.slug())
        .bind(PgTime(at))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

/// An update of a tenant that changed no row: the tenant does not exist.
fn found(rows: u64, tenant: TenantId) -> StoreResult<()> {
    if rows == 0 {
        return Err(avisera_store::StoreError::NotFound(format!(
            "tenant {tenant} does not exist"
        )));
    }
    Ok(())
}

pub async fn update_billing(pool: &PgPool, tenant: TenantId, billing: &BillingSettings) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET billing = $1 WHERE id = $2")
        .bind(Json(billing))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

/// Switches the open-tracking image in the tenant's emails on or off.
pub async fn set_open_tracking(pool: &PgPool, tenant: TenantId, on: bool) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET open_tracking = $1 WHERE id = $2")
        .bind(on)
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn change_plan(pool: &PgPool, tenant: TenantId, plan: Plan, at: Timestamp) -> StoreResult<()> {
    let mut tx = pool.begin().await.map_err(db)?;
    let done = sqlx::query("UPDATE tenants SET plan = $1 WHERE id = $2")
        .bind(plan.slug())
        .bind(tenant.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)?;
    insert_plan_change(&mut tx, tenant, plan, at).await?;
    tx.commit().await.map_err(db)
}

pub async fn plan_periods(pool: &PgPool, tenant: TenantId) -> StoreResult<Vec<PlanPeriod>> {
    let rows: Vec<(String, PgTime)> = sqlx::query_as(
        "SELECT plan, effective_at FROM plan_changes WHERE tenant_id = (SELECT $1::bigint) ORDER BY effective_at, id",
    )
    .bind(tenant.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter()
        .map(|(plan, from)| {
            Ok(PlanPeriod {
                plan: parse("plan", &plan)?,
                from: from.0,
            })
        })
        .collect()
}

pub async fn get(pool: &PgPool, tenant: TenantId) -> StoreResult<Option<Tenant>> {
    sqlx::query_as::<_, TenantRow>(
        "SELECT id, name, plan, brand, billing, open_tracking, brands FROM tenants WHERE id = $1",
    )
    .bind(tenant.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?
    .map(TenantRow::into_tenant)
    .transpose()
}

pub async fn all(pool: &PgPool) -> StoreResult<Vec<Tenant>> {
    sqlx::query_as::<_, TenantRow>(
        "SELECT id, name, plan, brand, billing, open_tracking, brands FROM tenants ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .map_err(db)?
    .into_iter()
    .map(TenantRow::into_tenant)
    .collect()
}

pub async fn update_brand(pool: &PgPool, tenant: TenantId, brand: &Brand) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET brand = $1 WHERE id = $2")
        .bind(Json(brand))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn update_brands(pool: &PgPool, tenant: TenantId, brands: &[OtherBrand]) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET brands = $1 WHERE id = $2")
        .bind(Json(brands))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn add_api_key(
    pool: &PgPool,
    tenant: TenantId,
    key_hash: &str,
    prefix: &str,
    label: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_keys (key_hash, tenant_id, prefix, label, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(key_hash)
        .bind(tenant.0)
        .bind(prefix)
        .bind(label)
        .bind(PgTime(now))
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn api_keys(pool: &PgPool, tenant: TenantId) -> StoreResult<Vec<avisera_store::ApiKeyInfo>> {
    let rows: Vec<(String, String, String, PgTime, Option<PgTime>)> = sqlx::query_as(
        "SELECT key_hash, prefix, label, created_at, last_used_at FROM api_keys WHERE tenant_id = (SELECT $1::bigint) ORDER BY created_at DESC, key_hash",
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

pub async fn revoke_api_key(pool: &PgPool, tenant: TenantId, key_hash: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM api_keys WHERE tenant_id = (SELECT $1::bigint) AND key_hash = $2")
        .bind(tenant.0)
        .bind(key_hash)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() > 0)
}

/// Authentication on every API request: a checked query.
pub async fn by_api_key(pool: &PgPool, key_hash: &str) -> StoreResult<Option<avisera_store::ApiKeyOwner>> {
    let row = sqlx::query!(
        r#"SELECT tenant_id, label, last_used_at AS "last_used_at: PgTime" FROM api_keys WHERE key_hash = $1"#,
        key_hash
    )
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(|r| avisera_store::ApiKeyOwner {
        tenant: TenantId(r.tenant_id),
        label: r.label,
        last_used_at: r.last_used_at.map(|t| t.0),
    }))
}

/// Keeps the latest use: a node that records an older one (out of order) changes nothing.
pub async fn record_api_key_use(pool: &PgPool, key_hash: &str, at: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $2 WHERE key_hash = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
    )
    .bind(key_hash)
    .bind(PgTime(at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

/// The tables whose rows are one tenant-owned JSON body.
fn owned_table(table: &str) -> &'static str {
    match table {
        "templates" => "templates",
        other => panic!("{other} is not a tenant-owned body table"),
    }
}

pub async fn insert_owned<T: Serialize + Sync>(
    pool: &PgPool,
    table: &str,
    tenant: TenantId,
    body: &T,
    now: Timestamp,
) -> StoreResult<i64> {
    let sql = format!(
        "INSERT INTO {} (tenant_id, body, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        owned_table(table)
    );
    sqlx::query_scalar(&sql)
        .bind(tenant.0)
        .bind(Json(body))
        .bind(PgTime(now))
        .fetch_one(pool)
        .await
        .map_err(db)
}

pub async fn update_owned<T: Serialize + Sync>(
    pool: &PgPool,
    table: &str,
    tenant: TenantId,
    id: i64,
    body: &T,
    now: Timestamp,
) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE {} SET body = $1, updated_at = $2 WHERE tenant_id = (SELECT $3::bigint) AND id = $4",
        owned_table(table)
    );
    let done = sqlx::query(&sql)
        .bind(Json(body))
        .bind(PgTime(now))
        .bind(tenant.0)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub async fn get_owned<T: DeserializeOwned + Send + Unpin + 'static>(
    pool: &PgPool,
    table: &str,
    tenant: TenantId,
    id: i64,
    set_id: impl Fn(&mut T, i64),
) -> StoreResult<Option<T>> {
    let sql = format!(
        "SELECT id, body FROM {} WHERE tenant_id = (SELECT $1::bigint) AND id = $2",
        owned_table(table)
    );
    let row: Option<(i64, Json<T>)> = sqlx::query_as(&sql)
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(|(id, Json(mut value))| {
        set_id(&mut value, id);
        value
    }))
}

pub async fn list_owned<T: DeserializeOwned + Send + Unpin + 'static>(
    pool: &PgPool,
    table: &str,
    tenant: TenantId,
    set_id: impl Fn(&mut T, i64),
) -> StoreResult<Vec<T>> {
    let sql = format!(
        "SELECT id, body FROM {} WHERE tenant_id = (SELECT $1::bigint) ORDER BY id",
        owned_table(table)
    );
    let rows: Vec<(i64, Json<T>)> = sqlx::query_as(&sql).bind(tenant.0).fetch_all(pool).await.map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, Json(mut value))| {
            set_id(&mut value, id);
            value
        })
        .collect())
}

pub async fn mapping(pool: &PgPool, tenant: TenantId) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT body FROM tenant_mappings WHERE tenant_id = (SELECT $1::bigint)")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)
}

pub async fn set_mapping(pool: &PgPool, tenant: TenantId, lines: &str, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tenant_mappings (tenant_id, body, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(tenant.0)
    .bind(lines)
    .bind(PgTime(now))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn webhook_secret(pool: &PgPool, tenant: TenantId) -> StoreResult<Option<String>> {
    sqlx::query_scalar("SELECT secret FROM webhook_secrets WHERE tenant_id = (SELECT $1::bigint)")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)
}

pub async fn set_webhook_secret(pool: &PgPool, tenant: TenantId, secret: &str, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhook_secrets (tenant_id, secret, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at",
    )
    .bind(tenant.0)
    .bind(secret)
    .bind(PgTime(now))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}
