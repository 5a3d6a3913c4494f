//! Rules: create (always disabled), change, enable and disable (checked against the plan),
//! delete (archived, its history kept), and the history of who did what and when. Shared by
//! the API, the portal and the library.

use crate::{Error, Result};
use avisera_domain::notification::Channel;
use avisera_domain::rule::{Rule, RuleError};
use avisera_domain::{RuleId, TenantId, Timestamp};
use avisera_store::{ArchivedRule, RuleChange, TenantConfig};
use serde_json::{Value, json};

const CODE: &str = "invalid_rule";

/// Who changes rules, and when: written into every rule's history.
#[derive(Clone, Copy)]
pub struct Change<'a> {
    /// The API key's label (`api key "ci"`), a portal user, or "operator".
    pub actor: &'a str,
    pub now: Timestamp,
}

/// One rule of the tenant.
pub async fn get(store: &dyn TenantConfig, tenant: TenantId, id: RuleId) -> Result<Rule> {
    store
        .rule(tenant, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("rule {id}")))
}

/// Checks a rule's settings and that its templates are the tenant's own and for the right
/// channel.
pub async fn check(store: &dyn TenantConfig, tenant: TenantId, rule: &Rule) -> Result<()> {
    rule.check().map_err(|e| match e {
        RuleError::Invalid { field, message } => Error::field(CODE, field, message),
        other => Error::Invalid {
            code: CODE,
            field: None,
            message: other.to_string(),
        },
    })?;
    for (field, id, channel) in [
        ("sms_template_id", rule.sms_template_id, Channel::Sms),
        ("email_template_id", rule.email_template_id, Channel::Email),
    ] {
        let Some(id) = id else { continue };
        match store.template(tenant, id).await? {
            None => return Err(Error::field(CODE, field, format!("template {id} does not exist"))),
            Some(t) if t.channel != channel => {
                return Err(Error::field(
                    CODE,
                    field,
                    format!("template {id} is a {} template, not {channel}", t.channel),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(brand) = rule.brand_id {
        let known = crate::tenants::get(store, tenant)
            .await?
            .brands
            .iter()
            .any(|b| b.id == brand);
        if !known {
            return Err(Error::field(
                CODE,
                "brand_id",
                format!("brand {brand} does not exist; leave it out for the default brand"),
            ));
        }
    }
    Ok(())
}

/// Refuses a rule whose trigger the tenant's plan lacks, naming the plan that has it.
pub async fn check_plan(store: &dyn TenantConfig, tenant: TenantId, rule: &Rule) -> Result<()> {
    let plan = crate::tenants::get(store, tenant).await?.plan;
    rule.check_plan(plan)
        .map_err(|e| Error::PlanLacksTrigger(e.to_string()))
}

/// Creates a rule, disabled whatever it says, and returns it with its id.
pub async fn create(store: &dyn TenantConfig, tenant: TenantId, by: Change<'_>, rule: Rule) -> Result<Rule> {
    create_noting(store, tenant, by, rule, "created disabled").await
}

/// Creates a rule as `create` does, with `detail` in its history (where it came from).
pub async fn create_noting(
    store: &dyn TenantConfig,
    tenant: TenantId,
    by: Change<'_>,
    mut rule: Rule,
    detail: &str,
) -> Result<Rule> {
    rule.enabled = false;
    check(store, tenant, &rule).await?;
    let change = RuleChange::new(by.now, by.actor, "created", detail);
    rule.id = store.create_rule(tenant, &rule, &change).await?;
    Ok(rule)
}

/// Replaces the settings of rule `rule.id`; it stays enabled or disabled as it was, and an
/// enabled rule must still have its trigger in the plan.
pub async fn update(store: &dyn TenantConfig, tenant: TenantId, by: Change<'_>, mut rule: Rule) -> Result<Rule> {
    let current = get(store, tenant, rule.id).await?;
    rule.enabled = current.enabled;
    check(store, tenant, &rule).await?;
    if rule.enabled {
        check_plan(store, tenant, &rule).await?;
    }
    let change = RuleChange::new(by.now, by.actor, "changed", what_changed(&current, &rule));
    if !store.update_rule(tenant, &rule, &change).await? {
        return Err(Error::not_found(format!("rule {}", rule.id)));
    }
    Ok(rule)
}

/// Enables (its trigger must be in the plan) or disables a rule; either is recorded, also
/// when the rule already was so.
pub async fn set_enabled(
    store: &dyn TenantConfig,
    tenant: TenantId,
    by: Change<'_>,
    id: RuleId,
    enabled: bool,
) -> Result<Rule> {
    let mut rule = get(store, tenant, id).await?;
    if enabled {
        check_plan(store, tenant, &rule).await?;
    }
    let was = rule.enabled;
    rule.enabled = enabled;
    let action = if enabled { "enabled" } else { "disabled" };
    let detail = if was == enabled {
        format!("was already {action}")
    } else {
        String::new()
    };
    store
        .update_rule(tenant, &rule, &RuleChange::new(by.now, by.actor, action, detail))
        .await?;
    Ok(rule)
}

/// Deletes a rule: it is archived, so it stops at once (its messages not yet sent are cancelled
/// when they are due, as for a rule that no longer exists), leaves the lists, and keeps its
/// history. Returns the rule as it was deleted (disabled). Deleting a deleted rule again
/// changes nothing and answers the same (a DELETE repeated after a lost answer succeeds).
pub async fn delete(store: &dyn TenantConfig, tenant: TenantId, by: Change<'_>, id: RuleId) -> Result<Rule> {
    let deleted_already = || async {
        store
            .archived_rules(tenant)
            .await
            .map(|gone| gone.into_iter().find(|a| a.rule.id == id).map(|a| a.rule))
    };
    let Some(rule) = store.rule(tenant, id).await? else {
        return deleted_already()
            .await?
            .ok_or_else(|| Error::not_found(format!("rule {id}")));
    };
    let change = RuleChange::new(by.now, by.actor, "deleted", "");
    if !store.archive_rule(tenant, id, &change).await? {
        // Deleted meanwhile by another request.
        return deleted_already()
            .await?
            .ok_or_else(|| Error::not_found(format!("rule {id}")));
    }
    Ok(Rule { enabled: false, ..rule })
}

/// The tenant's deleted rules, the latest deleted first.
pub async fn deleted(store: &dyn TenantConfig, tenant: TenantId) -> Result<Vec<ArchivedRule>> {
    Ok(store.archived_rules(tenant).await?)
}

/// Every create, change, enable, disable and delete of a rule, oldest first; a deleted rule's
/// history too.
pub async fn history(store: &dyn TenantConfig, tenant: TenantId, id: RuleId) -> Result<Vec<RuleChange>> {
    if store.rule(tenant, id).await?.is_none() && !store.archived_rules(tenant).await?.iter().any(|a| a.rule.id == id) {
        return Err(Error::not_found(format!("rule {id}")));
    }
    Ok(store.rule_history(tenant, id).await?)
}

/// The top-level fields that differ, for the history, each with its old and new value:
/// `changed name, delay_minutes; name: "a" → "b"; delay_minutes: 0 → 5` (the portal says each
/// part in the reader's language, with the form's labels).
fn what_changed(before: &Rule, after: &Rule) -> String {
    let (Value::Object(a), Value::Object(b)) = (json!(before), json!(after)) else {
        return String::new();
    };
    let fields: Vec<&str> = b
        .iter()
        .filter(|(k, v)| a.get(*k) != Some(v))
        .map(|(k, _)| k.as_str())
        .collect();
    if fields.is_empty() {
        return "no change".into();
    }
    let mut detail = format!("changed {}", fields.join(", "));
    for field in &fields {
        detail.push_str(&format!(
            "; {field}: {} → {}",
            history_value(a.get(*field)),
            history_value(b.get(*field))
        ));
    }
    detail
}

/// A value as a rule's history shows it: JSON, "–" for none, cut after 120 characters.
fn history_value(value: Option<&Value>) -> String {
    const MAX: usize = 120;
    let shown = match value {
        None | Some(Value::Null) => return "–".into(),
        Some(v) => v.to_string().replace("; ", ";\u{a0}"),
    };
    if shown.chars().count() <= MAX {
        shown
    } else {
        format!("{}…", shown.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisera_domain::rule::{ChannelChoice, Conditions, Recipient};
    use avisera_domain::trigger::Trigger;

    #[test]
    fn the_history_names_the_fields_that_changed() {
        let before = Rule {
            id: RuleId(1),
            name: "a".into(),
            trigger: Trigger::Delivered,
            enabled: false,
            conditions: Conditions::default(),
            channels: ChannelChoice::Sms,
            recipient: Recipient::Receiver,
            sms_template_id: None,
            email_template_id: None,
            active_from: None,
            active_until: None,
            once_per_shipment: true,
            days_before_deadline: None,
            campaign: None,
            delay_minutes: 0,
            quiet_hours: Vec::new(),
            send_at_local: None,
            working_days_only: false,
            brand_id: None,
        };
        let mut after = before.clone();
        assert_eq!(what_changed(&before, &after), "no change");
        after.name = "b".into();
        after.delay_minutes = 5;
        assert_eq!(
            what_changed(&before, &after),
            "changed delay_minutes, name; delay_minutes: 0 → 5; name: \"a\" → \"b\""
        );
        after.active_from = Some("2026-12-01T00:00:00Z".parse().unwrap());
        after.name = "x".repeat(200);
        let long = what_changed(&before, &after);
        assert!(long.contains("active_from: – → \"2026-12-01T00:00:00Z\""), "{long}");
        assert!(long.ends_with("…"), "a long value is cut: {long}");
    }
}
