//! Moving a tenant to another plan: the bill's plan history, and on a downgrade every enabled
//! rule whose trigger the new plan lacks is disabled, recorded in the rule's history with why.
//! A tenant asks from the portal; the change takes effect on the next billing day.

use avisera_domain::billing::next_billing_day;
use avisera_domain::plan::{Plan, PlanRequest};
use avisera_domain::rule::Rule;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{PlanRequests, RuleChange, StoreError, TenantConfig};

/// Returns the rules the change disabled.
pub async fn change_plan<S>(
    store: &S,
    tenant: TenantId,
    plan: Plan,
    now: Timestamp,
    actor: &str,
) -> Result<Vec<Rule>, StoreError>
where
    S: TenantConfig + ?Sized,
{
    store.change_plan(tenant, plan, now).await?;
    let mut disabled = Vec::new();
    for mut rule in store.rules(tenant).await? {
        if rule.enabled && !plan.allows(rule.trigger) {
            rule.enabled = false;
            let detail = format!(
                "plan changed to {plan}, which lacks trigger \"{}\" (#{}); {} has it",
                rule.trigger,
                rule.trigger.number(),
                Plan::cheapest_with(rule.trigger)
            );
            store
                .update_rule(tenant, &rule, &RuleChange::new(now, actor, "disabled", detail))
                .await?;
            disabled.push(rule);
        }
    }
    Ok(disabled)
}

/// Asks for `plan` from the next billing day (00:00 Stockholm), replacing any request waiting;
/// asking for the plan the tenant has withdraws it. Returns what waits now.
pub async fn request<S>(
    store: &S,
    tenant: &avisera_domain::tenant::Tenant,
    plan: Plan,
    now: Timestamp,
    by: &str,
) -> Result<Option<PlanRequest>, StoreError>
where
    S: PlanRequests + ?Sized,
{
    let request = (plan != tenant.plan).then(|| PlanRequest {
        plan,
        effective_at: next_billing_day(now),
        by: by.to_string(),
    });
    store.set_plan_request(tenant.id, request.as_ref()).await?;
    Ok(request)
}

/// Applies every request whose day has come (a node's upkeep calls this): the plan changes
/// from the request's day, with the bill's history and rules the new plan lacks disabled.
/// Applying one twice (two nodes at once) records the same change at the same instant.
pub async fn apply_due<S>(store: &S, now: Timestamp) -> Result<usize, StoreError>
where
    S: PlanRequests + TenantConfig + ?Sized,
{
    let due = store.due_plan_requests(now).await?;
    for (tenant, request) in &due {
        let actor = format!("{} (requested)", request.by);
        let disabled = change_plan(store, *tenant, request.plan, request.effective_at, &actor).await?;
        store.clear_plan_request(*tenant, request).await?;
        tracing::info!(%tenant, plan = %request.plan, disabled = disabled.len(), "requested plan change applied");
    }
    Ok(due.len())
}
