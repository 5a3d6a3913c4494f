//! SMS budgets at sending: a tenant that switches to email past its budget has its batch's
//! SMS prices reserved together (one transaction and one look at the month's spending per
//! tenant and batch), in the order claimed; `send` then sends, or switches to email, or cancels.

use super::send::Claimed;
use avisera_domain::billing::Month;
use avisera_domain::notification::Channel;
use avisera_domain::tenant::BudgetAction;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{DeliveryStore, StoreError};
use std::collections::BTreeMap;

/// Reserves, per tenant, the price of every claimed SMS that a budget applies to and that may
/// go out (not stopped by its rule, not opted out), and notes each one's reservation. A store
/// that does not answer stops the batch (its leases run out and it is claimed again).
pub async fn reserve(
    store: &dyn DeliveryStore,
    worker: &str,
    claimed: &mut [Claimed],
    now: Timestamp,
) -> Result<(), StoreError> {
    let mut by_tenant: BTreeMap<TenantId, Vec<usize>> = BTreeMap::new();
    for (at, c) in claimed.iter().enumerate() {
        if applies(c) {
            by_tenant.entry(c.job.tenant_id).or_default().push(at);
        }
    }
    let month = Month::of(now);
    for (tenant, ats) in by_tenant {
        let Some(budget) = claimed[ats[0]].tenant.as_ref().and_then(|t| t.billing.sms_budget_ore) else {
            continue;
        };
        let wants: Vec<(NotificationId, _)> = ats
            .iter()
            .filter_map(|&at| Some((claimed[at].job.id, claimed[at].charge?)))
            .collect();
        let reserved = store
            .reserve_sms_batch(tenant, worker, &wants, budget, month.bounds(), now)
            .await?;
        for (&at, reservation) in ats.iter().zip(reserved) {
            claimed[at].reservation = Some(reservation);
        }
    }
    Ok(())
}

/// A billable SMS, of a tenant that switches to email past its budget, that may be sent.
fn applies(c: &Claimed) -> bool {
    let Some(tenant) = &c.tenant else { return false };
    c.charge.is_some()
        && c.job.message.channel() == Channel::Sms
        && tenant.billing.sms_budget_ore.is_some()
        && tenant.billing.when_budget_is_used_up == BudgetAction::SwitchToEmail
        && c.rule_stopped.is_none()
        && c.opted_out.is_none()
}
