//! Rules with their audit history: a rule and the record of what happened to it are written
//! in one transaction.

use crate::codec::PgTime;
use crate::{Tx, db};
use avisera_domain::rule::Rule;
use avisera_domain::{RuleId, TenantId};
use avisera_store::{ArchivedRule, RuleChange, StoreResult};
use sqlx::PgPool;
use sqlx::types::Json;

async fn record(tx: &mut Tx, tenant: TenantId, rule: i64, change: &RuleChange) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO rule_changes (tenant_id, rule_id, at, actor, action, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant.0)
    .bind(rule)
    .bind(PgTime(change.at))
    .bind(&change.actor)
    .bind(&change.action)
    .bind(&change.detail)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn create(pool: &PgPool, tenant: TenantId, rule: &Rule, change: &RuleChange) -> StoreResult<RuleId> {
    let mut tx = pool.begin().await.map_err(db)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO rules (tenant_id, body, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(tenant.0)
    .bind(Json(rule))
    .bind(PgTime(change.at))
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    record(&mut tx, tenant, id, change).await?;
    tx.commit().await.map_err(db)?;
    Ok(RuleId(id))
}

pub async fn update(pool: &PgPool, tenant: TenantId, rule: &Rule, change: &RuleChange) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let done = sqlx::query(
        "UPDATE rules SET body = $1, updated_at = $2 WHERE tenant_id = (SELECT $3::bigint) AND id = $4 AND archived_at IS NULL",
    )
    .bind(Json(rule))
    .bind(PgTime(change.at))
    .bind(tenant.0)
    .bind(rule.id.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    record(&mut tx, tenant, rule.id.0, change).await?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}

/// The live rule, or none (an archived rule is gone for sending and editing).
pub async fn live(pool: &PgPool, tenant: TenantId, id: RuleId) -> StoreResult<Option<Rule>> {
    let row: Option<(i64, Json<Rule>)> = sqlx::query_as(
        "SELECT id, body FROM rules WHERE tenant_id = (SELECT $1::bigint) AND id = $2 AND archived_at IS NULL",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(|(id, Json(rule))| Rule { id: RuleId(id), ..rule }))
}

pub async fn all_live(pool: &PgPool, tenant: TenantId) -> StoreResult<Vec<Rule>> {
    let rows: Vec<(i64, Json<Rule>)> = sqlx::query_as(
        "SELECT id, body FROM rules WHERE tenant_id = (SELECT $1::bigint) AND archived_at IS NULL ORDER BY id",
    )
    .bind(tenant.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, Json(rule))| Rule { id: RuleId(id), ..rule })
        .collect())
}

/// Archives a live rule, disabled, and records `change`, together.
pub async fn archive(pool: &PgPool, tenant: TenantId, id: RuleId, change: &RuleChange) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let done = sqlx::query(
        "UPDATE rules SET archived_at = $1, updated_at = $1, body = jsonb_set(body, '{enabled}', 'false')
         WHERE tenant_id = (SELECT $2::bigint) AND id = $3 AND archived_at IS NULL",
    )
    .bind(PgTime(change.at))
    .bind(tenant.0)
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    record(&mut tx, tenant, id.0, change).await?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}

pub async fn archived(pool: &PgPool, tenant: TenantId) -> StoreResult<Vec<ArchivedRule>> {
    let rows: Vec<(i64, Json<Rule>, PgTime)> = sqlx::query_as(
        "SELECT id, body, archived_at FROM rules WHERE tenant_id = (SELECT $1::bigint) AND archived_at IS NOT NULL
         ORDER BY archived_at DESC, id DESC",
    )
    .bind(tenant.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, Json(rule), at)| ArchivedRule {
            rule: Rule { id: RuleId(id), ..rule },
            archived_at: at.0,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    at: PgTime,
    actor: String,
    action: String,
    detail: String,
}

pub async fn history(pool: &PgPool, tenant: TenantId, id: RuleId) -> StoreResult<Vec<RuleChange>> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "SELECT at, actor, action, detail FROM rule_changes WHERE tenant_id = (SELECT $1::bigint) AND rule_id = $2 ORDER BY id",
    )
    .bind(tenant.0)
    .bind(id.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|r| RuleChange {
            at: r.at.0,
            actor: r.actor,
            action: r.action,
            detail: r.detail,
        })
        .collect())
}
