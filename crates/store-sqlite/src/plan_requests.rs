//! Tenants' waiting plan change requests (three columns of `tenants`).

use crate::codec::{Millis, Slug};
use crate::db;
use avisera_domain::plan::{Plan, PlanRequest};
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{StoreError, StoreResult};
use sqlx::SqlitePool;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    requested_plan: Slug<Plan>,
    requested_plan_at: Millis,
    requested_plan_by: String,
}

impl Row {
    fn request(self) -> (TenantId, PlanRequest) {
        let request = PlanRequest {
            plan: self.requested_plan.0,
            effective_at: self.requested_plan_at.0,
            by: self.requested_plan_by,
        };
        (TenantId(self.id), request)
    }
}

const WAITING: &str = "SELECT id, requested_plan, requested_plan_at, requested_plan_by FROM tenants
                       WHERE requested_plan IS NOT NULL";

pub async fn set(pool: &SqlitePool, tenant: TenantId, request: Option<&PlanRequest>) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE tenants SET requested_plan = ?2, requested_plan_at = ?3, requested_plan_by = ?4 WHERE id = ?1",
    )
    .bind(tenant.0)
    .bind(request.map(|r| r.plan.slug()))
    .bind(request.map(|r| Millis(r.effective_at)))
    .bind(request.map(|r| r.by.as_str()))
    .execute(pool)
    .await
    .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(format!("tenant {tenant} does not exist")));
    }
    Ok(())
}

pub async fn get(pool: &SqlitePool, tenant: TenantId) -> StoreResult<Option<PlanRequest>> {
    let row: Option<Row> = sqlx::query_as(&format!("{WAITING} AND id = ?1"))
        .bind(tenant.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(|r| r.request().1))
}

pub async fn due(pool: &SqlitePool, now: Timestamp) -> StoreResult<Vec<(TenantId, PlanRequest)>> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{WAITING} AND requested_plan_at <= ?1 ORDER BY id"))
        .bind(Millis(now))
        .fetch_all(pool)
        .await
        .map_err(db)?;
    Ok(rows.into_iter().map(Row::request).collect())
}

pub async fn clear(pool: &SqlitePool, tenant: TenantId, request: &PlanRequest) -> StoreResult<()> {
    sqlx::query(
        "UPDATE tenants SET requested_plan = NULL, requested_plan_at = NULL, requested_plan_by = NULL
         WHERE id = ?1 AND requested_plan = ?2 AND requested_plan_at = ?3",
    )
    .bind(tenant.0)
    .bind(request.plan.slug())
    .bind(Millis(request.effective_at))
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}
