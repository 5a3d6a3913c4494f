//! The operator's rate limits, applied where the worker claims: a claim takes only what the
//! SMS provider's, the SMTP server's and each tenant's limit let go now (across all nodes, as
//! the store keeps the limits' state), so a held message is never claimed, tried or failed.

use crate::app::App;
use crate::config::Config;
use avisera_domain::Timestamp;
use avisera_domain::rate::{Rate, SendLimits};
use avisera_store::{DeliveryJob, StoreResult};

/// The limits in `config`. A channel's limit is its providers', so it applies only when a
/// provider is configured (the dev inbox has none). With several providers it is the lowest
/// of their rates: whichever provider a message fails over to, none gets more than its own.
pub fn send_limits(config: &Config) -> SendLimits {
    let rate = |n: Option<u32>| n.and_then(Rate::per_second);
    let lowest = |rates: &mut dyn Iterator<Item = Option<u32>>| rate(rates.flatten().min());
    SendLimits {
        sms: lowest(&mut config.sms.iter().flat_map(|s| s.all()).map(|p| p.rate_per_second)),
        email: lowest(&mut config.smtp.iter().flat_map(|s| s.all()).map(|p| p.rate_per_second)),
        tenant_default: rate(config.delivery.tenant_rate_per_second),
    }
}

/// Claims up to `batch` due notifications, fairly between tenants, within the limits.
pub async fn claim(
    app: &App,
    worker: &str,
    now: Timestamp,
    lease_until: Timestamp,
    batch: u32,
) -> StoreResult<Vec<DeliveryJob>> {
    let limits = send_limits(&app.config);
    app.store.claim_within(&limits, worker, now, lease_until, batch).await
}

/// Sets the `avisera_notifications_held` gauge: due notifications a limit holds back now.
pub async fn count_held(app: &App) {
    let limits = send_limits(&app.config);
    match app.store.count_held(&limits, app.clock.now()).await {
        Ok(n) => app.metrics.set_held(n),
        Err(e) => tracing::warn!(error = %e, "could not count the notifications held by rate limits"),
    }
}
