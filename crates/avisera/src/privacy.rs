//! Personal data on this node: erasing a person's on request (API, CLI) and the retention
//! sweep a node's upkeep runs, both keyed by the installation's `link_secret` (an erased
//! address's opt-out is kept as its keyed hash) and counted in `/metrics`.

use crate::app::App;
use avisera_domain::privacy::{Erased, Reason, Subject};
use avisera_domain::{TenantId, Timestamp};
use jiff::SignedDuration;

/// How often a node sweeps, by its clock.
pub const SWEEP_EVERY: SignedDuration = SignedDuration::from_hours(1);

/// Erases what the tenant holds about the person `subject` names.
pub async fn erase(app: &App, tenant: TenantId, subject: &Subject) -> avisera_core::Result<Erased> {
    let pseudonym = |address: &str| app.links.pseudonym(tenant, address);
    let erased = avisera_core::privacy::erase(app.store.as_ref(), tenant, subject, &pseudonym, app.clock.now()).await?;
    app.metrics.privacy_erased(Reason::Request, erased.shipments);
    Ok(erased)
}

/// Erases, in every tenant, the personal data of journeys whose last event is older than
/// `retention_days`. A tenant whose sweep fails is tried again at the next sweep.
pub async fn sweep(app: &App, now: Timestamp) -> Erased {
    let mut total = Erased::default();
    let tenants = match app.store.tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the tenants to sweep personal data; trying again later");
            return total;
        }
    };
    for tenant in tenants {
        let pseudonym = |address: &str| app.links.pseudonym(tenant.id, address);
        let days = app.config.retention_days;
        match avisera_core::privacy::sweep(app.store.as_ref(), tenant.id, days, &pseudonym, now).await {
            Ok(erased) => total.add(erased),
            Err(e) => {
                tracing::warn!(tenant = %tenant.id, error = %e, "could not sweep personal data; trying again later")
            }
        }
    }
    app.metrics.privacy_erased(Reason::Retention, total.shipments);
    total
}
