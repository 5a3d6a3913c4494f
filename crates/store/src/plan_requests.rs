//! A tenant's request to change plan, kept until the day it takes effect; then the plan change
//! itself goes through `TenantConfig::change_plan`, which keeps the bill's history.

use crate::StoreResult;
use async_trait::async_trait;
use avisera_domain::plan::PlanRequest;
use avisera_domain::{TenantId, Timestamp};

#[async_trait]
pub trait PlanRequests: Send + Sync {
    /// Replaces the tenant's waiting request; `None` withdraws it.
    async fn set_plan_request(&self, tenant: TenantId, request: Option<&PlanRequest>) -> StoreResult<()>;
    async fn plan_request(&self, tenant: TenantId) -> StoreResult<Option<PlanRequest>>;
    /// Every tenant's request whose day has come by `now` (for the node's upkeep; not scoped
    /// by tenant, like the worker's claim, and each answer names its tenant).
    async fn due_plan_requests(&self, now: Timestamp) -> StoreResult<Vec<(TenantId, PlanRequest)>>;
    /// Withdraws the tenant's request if it is still `request` (another node may have applied
    /// it, or the tenant changed it, meanwhile).
    async fn clear_plan_request(&self, tenant: TenantId, request: &PlanRequest) -> StoreResult<()>;
}
