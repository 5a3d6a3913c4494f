//! The send-time decision: given a stored message and what holds at the moment of sending (its
//! rule, the receiver's opt-out, quiet hours, the tenant's limits and budget), whether the worker
//! sends it, defers it, cancels it or fails it. The worker only gathers the facts and obeys.

use crate::limits::{MessageLimits, Unfit};
use crate::money::Ore;
use crate::notification::Message;
use crate::rule::{ChannelChoice, Recipient, Rule};
use jiff::Timestamp;

/// The facts at the moment of sending.
#[derive(Debug, Clone)]
pub struct SendTime<'a> {
    pub message: &'a Message,
    pub limits: MessageLimits,
    /// Why the rule that planned the message no longer sends it (disabled, deleted, out of its
    /// interval, a trigger the plan lost), if so.
    pub rule_stopped: Option<&'a str>,
    /// When the receiver opted out of the tenant's messages, if they did.
    pub opted_out: Option<Timestamp>,
    /// Why the receiver's chosen channels leave this message's out, if they do.
    pub declined: Option<&'a str>,
    /// When the rule's quiet hours for this channel end, if `now` is inside them.
    pub quiet_until: Option<Timestamp>,
    pub now: Timestamp,
}

/// What the worker does with one message now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatch {
    Send,
    /// Not yet; try again at `until`. Not an attempt: no provider was called.
    Defer {
        until: Timestamp,
        reason: String,
    },
    /// Deliberately not sent; final.
    Cancel {
        reason: String,
    },
    /// Can never be sent as it is; final, and costs nothing.
    Fail {
        reason: String,
    },
}

pub const RENDERED_NOTHING: &str = "the template rendered nothing for this shipment";

pub fn decide(t: &SendTime<'_>) -> Dispatch {
    if let Some(why) = t.rule_stopped {
        return Dispatch::Cancel {
            reason: why.to_string(),
        };
    }
    if let Some(at) = t.opted_out {
        return Dispatch::Cancel {
            reason: crate::reason::make("opted_out", &[("at", &at.to_string())]),
        };
    }
    if let Some(why) = t.declined {
        return Dispatch::Cancel {
            reason: why.to_string(),
        };
    }
    if let Some(reason) = unsendable(t.message, t.limits) {
        return Dispatch::Fail { reason };
    }
    match t.quiet_until {
        Some(until) if until > t.now => Dispatch::Defer {
            until,
            reason: crate::reason::make("quiet_hours", &[("until", &until.to_string())]),
        },
        _ => Dispatch::Send,
    }
}

/// Why the message itself cannot go out: nothing to read, or more than the tenant allows.
fn unsendable(message: &Message, limits: MessageLimits) -> Option<String> {
    limits.check(message).err().map(|unfit| match unfit {
        Unfit::Empty(_) => crate::reason::make("rendered_nothing", &[]),
        Unfit::TooLarge(why) => format!("{why}; it was not sent and costs nothing"),
    })
}

/// Whether one more SMS may be sent when `committed` (sent this month plus what live claims
/// reserved) is already spent: yes while under the budget, so the budget holds to within one
/// message however the messages arrive.
pub fn budget_allows(committed: Ore, budget: Ore) -> bool {
    committed < budget
}

/// What becomes of an SMS the budget refuses, when the tenant chose to switch to email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverBudget {
    /// Send the rule's email template instead, to the receiver's email address.
    SwitchToEmail,
    Cancel {
        reason: String,
    },
}

/// An SMS past the budget becomes the rule's email where the rule would have sent email in the
/// SMS's place (an SMS rule with an email template, or SMS-else-email); otherwise it is
/// cancelled with `why`. A rule that sends both already sends the email; a fixed list of
/// numbers has no email address to switch to.
pub fn over_budget(rule: Option<&Rule>, why: &str) -> OverBudget {
    let switchable = rule.is_some_and(|r| {
        r.email_template_id.is_some()
            && matches!(r.channels, ChannelChoice::Sms | ChannelChoice::SmsElseEmail)
            && !matches!(r.recipient, Recipient::Fixed { .. })
    });
    if switchable {
        OverBudget::SwitchToEmail
    } else {
        OverBudget::Cancel {
            reason: why.to_string(),
        }
    }
}
