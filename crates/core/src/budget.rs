//! SMS budgets: past the budget, SMS switches to email (if the tenant chose so), and the
//! tenant is warned by email at 80 % and at 100 %, once per month each.

use avisera_domain::Timestamp;
use avisera_domain::billing::Month;
use avisera_domain::money::Ore;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::planner::{NotSent, PlannedNotification};
use avisera_domain::tenant::{BudgetAction, Tenant};
use avisera_store::{DeliveryStore, StoreError, Usage};

/// Why SMS must not be sent now, when the tenant's budget is used up and it chose email.
pub async fn sms_blocked(store: &dyn Usage, tenant: &Tenant, now: Timestamp) -> Result<Option<String>, StoreError> {
    let (Some(budget), BudgetAction::SwitchToEmail) =
        (tenant.billing.sms_budget_ore, tenant.billing.when_budget_is_used_up)
    else {
        return Ok(None);
    };
    let month = Month::of(now);
    let (from, to) = month.bounds();
    let spent = store.sms_spend(tenant.id, from, to).await?;
    Ok((spent >= budget).then(|| {
        avisera_domain::reason::make(
            "sms_budget_used",
            &[
                ("budget", &budget.to_string()),
                ("month", &month.label()),
                ("spent", &spent.to_string()),
            ],
        )
    }))
}

/// After SMS were billed: warns the tenant when spending crossed 80 % or 100 % of its budget.
/// True when a new warning waits in the outbox (the worker should look again).
pub async fn warn_if_crossed(store: &dyn DeliveryStore, tenant: &Tenant, now: Timestamp) -> Result<bool, StoreError> {
    let Some(budget) = tenant.billing.sms_budget_ore else {
        return Ok(false);
    };
    let month = Month::of(now);
    let (from, to) = month.bounds();
    let spent = store.sms_spend(tenant.id, from, to).await?;
    let mut notices = Vec::new();
    for percent in [80i64, 100] {
        if i128::from(spent.0) * 100 < i128::from(budget.0) * i128::from(percent) {
            continue;
        }
        notices.push(notice(tenant, &month, percent, spent, budget, now));
    }
    Ok(!notices.is_empty() && store.add_notices(tenant.id, &notices, now).await? > 0)
}

fn notice(
    tenant: &Tenant,
    month: &Month,
    percent: i64,
    spent: Ore,
    budget: Ore,
    now: Timestamp,
) -> PlannedNotification {
    let to = tenant
        .billing
        .alert_email
        .as_ref()
        .or(tenant.brand.customer_service_email.as_ref());
    let then = match tenant.billing.when_budget_is_used_up {
        BudgetAction::KeepSending => "SMS keep being sent and billed.",
        BudgetAction::SwitchToEmail => {
            "SMS rules now send email instead where they have an email template; other SMS are cancelled."
        }
    };
    let text = if percent >= 100 {
        format!(
            "{} has used its SMS budget for {}: {spent} of {budget} SEK. {then}",
            tenant.name,
            month.label()
        )
    } else {
        format!(
            "{} has used {percent} % of its SMS budget for {}: {spent} of {budget} SEK.",
            tenant.name,
            month.label()
        )
    };
    let message = match to {
        Some(to) => Ok(Message::Email {
            from_name: "Avisera".into(),
            from_address: None,
            reply_to: None,
            to: to.to_string(),
            subject: format!("SMS budget: {percent} % used ({})", month.label()),
            html: None,
            text,
            list_unsubscribe: None,
        }),
        None => Err(NotSent::Failed(format!(
            "budget warning not sent: set billing.alert_email or a customer-service email ({text})"
        ))),
    };
    PlannedNotification {
        rule_id: None,
        trigger: None,
        channel: Channel::Email,
        recipient: to.map(|e| e.to_string()).unwrap_or_default(),
        dedupe_key: format!("budget:{}:{percent}", month.label()),
        due_at: now,
        time_zone: None,
        language: None,
        message,
    }
}
