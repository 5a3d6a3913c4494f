//! Moving a tenant to another plan: the bill's plan history, and on a downgrade every enabled
//! rule whose trigger the new plan lacks is disabled, recorded in the rule's history with why.

use avisera_domain::plan::Plan;
use avisera_domain::rule::Rule;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{RuleChange, StoreError, TenantConfig};

/// Returns the rules the change disabled.
pub async fn change_plan(
    store: &dyn TenantConfig,
    tenant: TenantId,
    plan: Plan,
    now: Timestamp,
    actor: &str,
) -> Result<Vec<Rule>, StoreError> {
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
