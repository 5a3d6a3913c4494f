//! Tenants' waiting plan change requests (three columns of `tenants`).

use crate::codec::PgTime;
use crate::db;
use avisera_domain::plan::PlanRequest;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{StoreError, StoreResult};
use sqlx::PgPool;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    requested_plan: String,
    requested_plan_at: PgTime,
    requested_plan_by: String,
}

impl Row {
    fn request(self) -> StoreResult<(TenantId, PlanRequest)> {
        let request = PlanRequest {
            plan: self.requested_plan.parse().map_err(StoreError::Corrupt)?,
            effective_at: self.requested_plan_at.0,
            by: self.requested_plan_by,
        };
        Ok((TenantId(self.id), request))
    }
}

const WAITING: &str = "SELECT id, requested_plan, requested_plan_at, requested_plan_by FROM tenants
                       WHERE requested_plan IS NOT NULL";

pub async fn set(pool: &PgPool, tenant: TenantId, request: Option<&PlanRequest>) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE tenants SET requested_plan = $2, requested_plan_at = $3, requested_plan_by = $4 WHERE id = $1",
    )
    .bind(tenant.0)
    .bind(request.map(|r| r.plan.slug()))
    .bind(request.map(|r| PgTime(r.effective_at)))
    .bind(request.map(|r| r.by.as_str()))
    .execute(pool)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("tenant {tenant} does not exist")));
    }
    Ok(())
}

pub async fn get(pool: &PgPool, tenant: TenantId) -> StoreResult<Option<PlanRequest>> {
    let row: Option<Row> = sqlx::query_as(&format!("{WAITING} AND id = $1"))
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(Row::request).transpose()?.map(|(_, r)| r))
}

pub async fn due(pool: &PgPool, now: Timestamp) -> StoreResult<Vec<(TenantId, PlanRequest)>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{WAITING} AND requested_plan_at <= $1 ORDER BY id"))
        .bind(PgTime(now))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    rows.into_iter().map(Row::request).collect()
}

pub async fn clear(pool: &PgPool, tenant: TenantId, request: &PlanRequest) -> StoreResult<()> {
    sqlx::query(
        "UPDATE tenants SET requested_plan = NULL, requested_plan_at = NULL, requested_plan_by = NULL
         WHERE id = $1 AND requested_plan = $2 AND requested_plan_at = $3",
    )
    .bind(tenant.0)
    .bind(request.plan.slug())
    .bind(PgTime(request.effective_at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}
