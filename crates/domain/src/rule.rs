//! Rules: which trigger, for which shipments, on which channels, to whom, from which
//! templates, and when they are active. A new rule is disabled.

use crate::ids::{BrandId, RuleId, TemplateId};
use crate::notification::Channel;
use crate::plan::Plan;
use crate::shipment::Shipment;
use crate::timing::{LocalTime, QuietHours};
use crate::trigger::Trigger;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: RuleId,
    pub name: String,
    pub trigger: Trigger,
    pub enabled: bool,
    pub conditions: Conditions,
    pub channels: ChannelChoice,
    pub recipient: Recipient,
    pub sms_template_id: Option<TemplateId>,
    pub email_template_id: Option<TemplateId>,
    pub active_from: Option<Timestamp>,
    pub active_until: Option<Timestamp>,
    pub once_per_shipment: bool,
    /// For "days left at pickup point": how many days before the storage deadline (1-14).
    pub days_before_deadline: Option<u8>,
    /// Free text or a discount code the templates can show as `campaign`.
    pub campaign: Option<String>,
    /// Send this long after the trigger's moment ("2 hours after delivered").
    #[serde(default)]
    pub delay_minutes: u32,
    /// Per channel, local times (receiver's zone) when nothing is sent; a message due then is
    /// deferred to the end of the window.
    #[serde(default)]
    pub quiet_hours: Vec<QuietHours>,
    /// For "days left at pickup point": the receiver's local time of day to send at; without
    /// it, exactly N × 24 hours before the deadline.
    #[serde(default)]
    pub send_at_local: Option<LocalTime>,
    /// A message due on a Sunday or a day off in the receiver's country waits for the next
    /// working day (`working_days::allowed_from`).
    #[serde(default)]
    pub working_days_only: bool,
    /// The brand its messages carry (sender names, logo, colour); none is the default brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
}

/// The longest delay a rule may ask for: a week.
pub const MAX_DELAY_MINUTES: u32 = 7 * 24 * 60;

/// Which shipments a rule is for. Empty lists match everything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Conditions {
    pub destination_countries: Vec<String>,
    pub service_codes: Vec<String>,
    pub sender_accounts: Vec<String>,
    pub is_return: Option<bool>,
    pub receiver_languages: Vec<String>,
    /// Each attribute must have exactly this value.
    pub attributes: BTreeMap<String, String>,
}

impl Conditions {
    pub fn matches(&self, s: &Shipment) -> bool {
        let d = &s.details;
        let one_of = |list: &[String], v: Option<&String>| {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x.eq_ignore_ascii_case(v)))
        };
        one_of(&self.destination_countries, d.destination_country.as_ref())
            && one_of(&self.service_codes, d.service_code.as_ref())
            && one_of(&self.sender_accounts, d.sender_account.as_ref())
            && one_of(&self.receiver_languages, d.receiver_language.as_ref())
            && self.is_return.is_none_or(|r| d.is_return.unwrap_or(false) == r)
            && self.attributes.iter().all(|(k, v)| d.attributes.get(k) == Some(v))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelChoice {
    Sms,
    Email,
    Both,
    /// SMS, or email when there is no usable phone number.
    SmsElseEmail,
    /// Email, or SMS when there is no usable email address.
    EmailElseSms,
}

impl ChannelChoice {
    pub fn uses(self, channel: Channel) -> bool {
        !matches!(
            (self, channel),
            (ChannelChoice::Sms, Channel::Email) | (ChannelChoice::Email, Channel::Sms)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    Receiver,
    CustomerService,
    Fixed { addresses: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("rule {rule} uses trigger \"{trigger}\" (#{number}), which needs plan {needs} (tenant is on {plan})")]
    PlanLacksTrigger {
        rule: RuleId,
        trigger: Trigger,
        number: u8,
        needs: Plan,
        plan: Plan,
    },
}

fn invalid(field: &'static str, message: impl Into<String>) -> RuleError {
    RuleError::Invalid {
        field,
        message: message.into(),
    }
}

impl Rule {
    /// Checks the rule's own consistency (templates are checked against the store by the caller).
    pub fn check(&self) -> Result<(), RuleError> {
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(invalid("name", "must be 1 to 200 characters"));
        }
        if self.channels.uses(Channel::Sms) && self.sms_template_id.is_none() {
            return Err(invalid("sms_template_id", "is required when the rule sends SMS"));
        }
        if self.channels.uses(Channel::Email) && self.email_template_id.is_none() {
            return Err(invalid("email_template_id", "is required when the rule sends email"));
        }
        if let (Some(from), Some(until)) = (self.active_from, self.active_until)
            && until <= from
        {
            return Err(invalid("active_until", "must be after active_from"));
        }
        match (self.trigger, self.days_before_deadline) {
            (Trigger::DaysLeftAtPickupPoint, Some(1..=14)) => {}
            (Trigger::DaysLeftAtPickupPoint, _) => {
                return Err(invalid(
                    "days_before_deadline",
                    "must be 1 to 14 for \"days left at pickup point\"",
                ));
            }
            (_, Some(_)) => {
                return Err(invalid(
                    "days_before_deadline",
                    "only applies to \"days left at pickup point\"",
                ));
            }
            (_, None) => {}
        }
        if let Recipient::Fixed { addresses } = &self.recipient
            && (addresses.is_empty() || addresses.len() > 20)
        {
            return Err(invalid("recipient.addresses", "must list 1 to 20 addresses"));
        }
        if self.delay_minutes > MAX_DELAY_MINUTES {
            return Err(invalid(
                "delay_minutes",
                format!("must be at most {MAX_DELAY_MINUTES} (a week)"),
            ));
        }
        for q in &self.quiet_hours {
            q.check().map_err(|m| invalid("quiet_hours", m))?;
        }
        if self.quiet_hours.len() > 20 {
            return Err(invalid("quiet_hours", "at most 20 windows"));
        }
        for channel in [Channel::Sms, Channel::Email] {
            if crate::timing::covers_whole_day(&self.quiet_hours, channel) {
                return Err(invalid(
                    "quiet_hours",
                    format!("the {channel} windows cover the whole day, so nothing could ever be sent"),
                ));
            }
        }
        if self.send_at_local.is_some() && self.trigger != Trigger::DaysLeftAtPickupPoint {
            return Err(invalid(
                "send_at_local",
                "only applies to \"days left at pickup point\"",
            ));
        }
        if self.campaign.as_ref().is_some_and(|c| c.len() > 1_000) {
            return Err(invalid("campaign", "is longer than 1000 characters"));
        }
        // Events carry two-letter codes (SE), so "Sweden" or "SWE" would match no shipment.
        if let Some(c) = self
            .conditions
            .destination_countries
            .iter()
            .find(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
        {
            return Err(invalid(
                "conditions.destination_countries",
                format!("{c:?} is not a two-letter country code like SE"),
            ));
        }
        Ok(())
    }

    /// Enabling needs a plan that has the trigger.
    pub fn check_plan(&self, plan: Plan) -> Result<(), RuleError> {
        if plan.allows(self.trigger) {
            Ok(())
        } else {
            Err(RuleError::PlanLacksTrigger {
                rule: self.id,
                trigger: self.trigger,
                number: self.trigger.number(),
                needs: Plan::cheapest_with(self.trigger),
                plan,
            })
        }
    }

    pub fn is_active_at(&self, now: Timestamp) -> bool {
        self.active_from.is_none_or(|from| now >= from) && self.active_until.is_none_or(|until| now < until)
    }
}
