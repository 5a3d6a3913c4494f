//! Tenants, their API keys, and the rows a tenant owns whole (templates, rules), stored as
//! JSON bodies. Every query names the tenant.

use crate::codec::{from_json, ms, parse, to_json, ts};
use crate::db;
use avisera_domain::billing::PlanPeriod;
use avisera_domain::plan::Plan;
use avisera_domain::tenant::{BillingSettings, Brand, Tenant};
use avisera_domain::{TenantId, Timestamp};
use avisera_store::StoreResult;
use serde::{Serialize, de::DeserializeOwned};
use sqlx::{AnyPool, Row};

pub async fn create(pool: &AnyPool, name: &str, plan: Plan, brand: &Brand, now: Timestamp) -> StoreResult<Tenant> {
    let mut tx = pool.begin().await.map_err(db)?;
    let row = sqlx::query("INSERT INTO tenants (name, plan, brand, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(name)
        .bind(plan.slug())
        .bind(to_json(brand))
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let id = TenantId(row.try_get(0).map_err(db)?);
    insert_plan_change(&mut tx, id, plan, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(Tenant {
        id,
        name: name.to_string(),
        plan,
        brand: brand.clone(),
        billing: BillingSettings::default(),
    })
}

async fn insert_plan_change(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    tenant: TenantId,
    plan: Plan,
    at: Timestamp,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO plan_changes (tenant_id, plan, effective_at) VALUES ($1, $2, $3)")
        .bind(tenant.0)
        .bind(plan.slug())
        .bind(ms(at))
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

pub async fn update_billing(pool: &AnyPool, tenant: TenantId, billing: &BillingSettings) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET billing = $1 WHERE id = $2")
        .bind(to_json(billing))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn change_plan(pool: &AnyPool, tenant: TenantId, plan: Plan, at: Timestamp) -> StoreResult<()> {
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

pub async fn plan_periods(pool: &AnyPool, tenant: TenantId) -> StoreResult<Vec<PlanPeriod>> {
    let rows =
        sqlx::query("SELECT plan, effective_at FROM plan_changes WHERE tenant_id = $1 ORDER BY effective_at, id")
            .bind(tenant.0)
            .fetch_all(pool)
            .await
            .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(PlanPeriod {
                plan: parse("plan", &r.try_get::<String, _>("plan").map_err(db)?)?,
                from: ts(r.try_get("effective_at").map_err(db)?)?,
            })
        })
        .collect()
}

fn tenant_from(row: &sqlx::any::AnyRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: TenantId(row.try_get("id").map_err(db)?),
        name: row.try_get("name").map_err(db)?,
        plan: parse("tenant plan", &row.try_get::<String, _>("plan").map_err(db)?)?,
        brand: from_json("tenant brand", &row.try_get::<String, _>("brand").map_err(db)?)?,
        billing: from_json("tenant billing", &row.try_get::<String, _>("billing").map_err(db)?)?,
    })
}

pub async fn get(pool: &AnyPool, tenant: TenantId) -> StoreResult<Option<Tenant>> {
    sqlx::query("SELECT id, name, plan, brand, billing FROM tenants WHERE id = $1")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(tenant_from)
        .transpose()
}

pub async fn all(pool: &AnyPool) -> StoreResult<Vec<Tenant>> {
    sqlx::query("SELECT id, name, plan, brand, billing FROM tenants ORDER BY id")
        .fetch_all(pool)
        .await
        .map_err(db)?
        .iter()
        .map(tenant_from)
        .collect()
}

pub async fn update_brand(pool: &AnyPool, tenant: TenantId, brand: &Brand) -> StoreResult<()> {
    let done = sqlx::query("UPDATE tenants SET brand = $1 WHERE id = $2")
        .bind(to_json(brand))
        .bind(tenant.0)
        .execute(pool)
        .await
        .map_err(db)?;
    found(done.rows_affected(), tenant)
}

pub async fn add_api_key(
    pool: &AnyPool,
    tenant: TenantId,
    key_hash: &str,
    label: &str,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO api_keys (key_hash, tenant_id, label, created_at) VALUES ($1, $2, $3, $4)")
        .bind(key_hash)
        .bind(tenant.0)
        .bind(label)
        .bind(ms(now))
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(())
}

pub async fn by_api_key(pool: &AnyPool, key_hash: &str) -> StoreResult<Option<(TenantId, String)>> {
    let row = sqlx::query("SELECT tenant_id, label FROM api_keys WHERE key_hash = $1")
        .bind(key_hash)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| {
        Ok((
            TenantId(r.try_get("tenant_id").map_err(db)?),
            r.try_get("label").map_err(db)?,
        ))
    })
    .transpose()
}

/// The tables whose rows are one tenant-owned JSON body.
fn owned_table(table: &str) -> &'static str {
    match table {
        "templates" => "templates",
        "rules" => "rules",
        other => panic!("{other} is not a tenant-owned body table"),
    }
}

pub async fn insert_owned<T: Serialize>(
    pool: &AnyPool,
    table: &str,
    tenant: TenantId,
    body: &T,
    now: Timestamp,
) -> StoreResult<i64> {
    let sql = format!(
        "INSERT INTO {} (tenant_id, body, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        owned_table(table)
    );
    let row = sqlx::query(&sql)
        .bind(tenant.0)
        .bind(to_json(body))
        .bind(ms(now))
        .fetch_one(pool)
        .await
        .map_err(db)?;
    row.try_get(0).map_err(db)
}

pub async fn update_owned<T: Serialize>(
    pool: &AnyPool,
    table: &str,
    tenant: TenantId,
    id: i64,
    body: &T,
    now: Timestamp,
) -> StoreResult<bool> {
    let sql = format!(
        "UPDATE {} SET body = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
        owned_table(table)
    );
    let done = sqlx::query(&sql)
        .bind(to_json(body))
        .bind(ms(now))
        .bind(tenant.0)
        .bind(id)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

fn decode_owned<T: DeserializeOwned>(
    table: &str,
    row: &sqlx::any::AnyRow,
    set_id: &impl Fn(&mut T, i64),
) -> StoreResult<T> {
    let id: i64 = row.try_get("id").map_err(db)?;
    let body: String = row.try_get("body").map_err(db)?;
    let mut value: T = from_json(table, &body)?;
    set_id(&mut value, id);
    Ok(value)
}

pub async fn get_owned<T: DeserializeOwned>(
    pool: &AnyPool,
    table: &str,
    tenant: TenantId,
    id: i64,
    set_id: impl Fn(&mut T, i64),
) -> StoreResult<Option<T>> {
    let sql = format!(
        "SELECT id, body FROM {} WHERE tenant_id = $1 AND id = $2",
        owned_table(table)
    );
    let row = sqlx::query(&sql)
        .bind(tenant.0)
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.as_ref().map(|r| decode_owned(table, r, &set_id)).transpose()
}

pub async fn list_owned<T: DeserializeOwned>(
    pool: &AnyPool,
    table: &str,
    tenant: TenantId,
    set_id: impl Fn(&mut T, i64),
) -> StoreResult<Vec<T>> {
    let sql = format!(
        "SELECT id, body FROM {} WHERE tenant_id = $1 ORDER BY id",
        owned_table(table)
    );
    let rows = sqlx::query(&sql).bind(tenant.0).fetch_all(pool).await.map_err(db)?;
    rows.iter().map(|r| decode_owned(table, r, &set_id)).collect()
}

pub async fn mapping(pool: &AnyPool, tenant: TenantId) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT body FROM tenant_mappings WHERE tenant_id = $1")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| r.try_get("body").map_err(db)).transpose()
}

pub async fn set_mapping(pool: &AnyPool, tenant: TenantId, lines: &str, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO tenant_mappings (tenant_id, body, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(tenant.0)
    .bind(lines)
    .bind(ms(now))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn webhook_secret(pool: &AnyPool, tenant: TenantId) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT secret FROM webhook_secrets WHERE tenant_id = $1")
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.map(|r| r.try_get("secret").map_err(db)).transpose()
}

pub async fn set_webhook_secret(pool: &AnyPool, tenant: TenantId, secret: &str, now: Timestamp) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO webhook_secrets (tenant_id, secret, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at",
    )
    .bind(tenant.0)
    .bind(secret)
    .bind(ms(now))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}
