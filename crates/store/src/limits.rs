//! Rate limits that hold across nodes: each tenant's own rate, and a claim that takes only what
//! the limits let go now. The limits' state (one instant per limit) lives in the store; the
//! arithmetic is `avisera_domain::rate`.

use crate::{DeliveryJob, StoreResult};
use async_trait::async_trait;
use avisera_domain::rate::{Rate, SendLimits};
use avisera_domain::{TenantId, Timestamp};

#[async_trait]
pub trait RateLimits: Send + Sync {
    /// Sets the tenant's own limit in messages per second; `None` puts it back on the
    /// operator's default (`SendLimits::tenant_default`).
    async fn set_tenant_rate(&self, tenant: TenantId, rate: Option<Rate>) -> StoreResult<()>;
    async fn tenant_rate(&self, tenant: TenantId) -> StoreResult<Option<Rate>>;
    /// Claims like `Outbox::claim_due` (fairly between tenants), but only as many of each
    /// channel and each tenant as `limits` and the tenants' own rates let go at `now`, and
    /// records what it took against them, in one step across all nodes. What a limit holds is
    /// left as it was: not claimed, not an attempt.
    async fn claim_within(
        &self,
        limits: &SendLimits,
        worker: &str,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryJob>>;
    /// How many due notifications the limits hold back at `now` (for metrics).
    async fn count_held(&self, limits: &SendLimits, now: Timestamp) -> StoreResult<u64>;
}
