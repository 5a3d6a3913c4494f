//! Sending a notification by hand for a shipment (Track & Trace): from a template or free
//! text, to the receiver or a given address, logged and billed like any other.

use crate::{Error, Result};
use avisera_domain::links::Links;
use avisera_domain::notification::Channel;
use avisera_domain::planner::{ManualContent, Situation, plan_manual};
use avisera_domain::tenant::Tenant;
use avisera_domain::{BrandId, NotificationId, TemplateId, TenantId, Timestamp, UserId};
use avisera_store::{EventStore, NotificationLog, Outbox, Portal, TenantConfig};
use std::collections::HashMap;

/// What the person chose to send.
pub struct HandSent<'a> {
    pub channel: Channel,
    /// The template to render; without one, `subject` (email) and `text` are sent as written.
    pub template: Option<TemplateId>,
    pub subject: Option<String>,
    pub text: String,
    /// The address to send to; empty is the shipment's receiver.
    pub to: &'a str,
    /// Who sends it (a portal user's id): the one-time key is theirs.
    pub by: &'a str,
    /// Unique per form shown, so a resubmitted form sends once.
    pub key: &'a str,
    /// The brand it is sent in; the default brand when none (or one the tenant no longer has).
    pub brand: Option<BrandId>,
}

/// The code of a form without its one-time key.
pub const NO_SEND_KEY: &str = "no_send_key";

/// Queues the notification; false when this key was used already (sent once before).
pub async fn send<S>(
    store: &S,
    links: &dyn Links,
    tenant: &Tenant,
    tracking_number: &str,
    what: HandSent<'_>,
    now: Timestamp,
) -> Result<bool>
where
    S: EventStore + TenantConfig + Outbox + ?Sized,
{
    let shipment = store
        .shipment(tenant.id, tracking_number)
        .await?
        .ok_or_else(|| Error::not_found(format!("shipment {tracking_number}")))?;
    let template = match what.template {
        Some(id) => Some(
            store
                .template(tenant.id, id)
                .await?
                .ok_or_else(|| Error::not_found(format!("template {id}")))?,
        ),
        None => None,
    };
    let content = match &template {
        Some(t) => ManualContent::Template(t),
        None => ManualContent::FreeText {
            subject: what.subject,
            text: what.text,
        },
    };
    if what.key.len() < 16 {
        return Err(Error::Invalid {
            code: NO_SEND_KEY,
            field: None,
            message: "the form lacks its send key; reload the page".into(),
        });
    }
    let situation = Situation {
        tenant,
        shipment: &shipment,
        event: None,
        fired: &[],
        rules: &[],
        templates: &Default::default(),
        links,
        now,
        sms_blocked: None,
        suppressed: &Default::default(),
    };
    let key = format!("{}:{}", what.by, what.key);
    let planned =
        plan_manual(&situation, what.brand, what.channel, content, Some(what.to), &key).map_err(|refused| {
            Error::Invalid {
                code: "invalid_manual_send",
                field: Some(refused.field.to_string()),
                message: refused.why,
            }
        })?;
    Ok(store
        .add_manual(tenant.id, tracking_number, &planned, now)
        .await?
        .is_some())
}

/// Who sent a notification by hand, from the dedupe key it was planned with
/// (`manual:{who}:{form key}`, as `send` makes it, or `test:{who}:{key}` for a test of a
/// template, as `profile::queue_test_sms` makes it); none for any other notification.
pub fn sender(dedupe_key: &str) -> Option<&str> {
    dedupe_key
        .strip_prefix("manual:")
        .or_else(|| dedupe_key.strip_prefix("test:"))?
        .split_once(':')
        .map(|(who, _)| who)
        .filter(|who| !who.is_empty())
}

/// Of these notifications, the ones sent by hand, each with the email of the portal user who
/// sent it (or "user N (removed)" when that user is gone).
pub async fn senders<S>(store: &S, tenant: TenantId, ids: &[NotificationId]) -> Result<HashMap<NotificationId, String>>
where
    S: NotificationLog + Portal + ?Sized,
{
    let keys = store.dedupe_keys(tenant, ids).await?;
    if !keys.values().any(|k| sender(k).is_some()) {
        return Ok(HashMap::new());
    }
    let emails: HashMap<UserId, String> = store
        .users(tenant)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email.to_string()))
        .collect();
    Ok(keys
        .iter()
        .filter_map(|(id, key)| {
            let who = sender(key)?;
            let named = who
                .parse::<i64>()
                .ok()
                .and_then(|n| emails.get(&UserId(n)).cloned())
                .unwrap_or_else(|| format!("user {who} (removed)"));
            Some((*id, named))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_is_read_from_a_hand_sent_key_only() {
        assert_eq!(sender("manual:7:0123456789abcdef"), Some("7"));
        assert_eq!(sender("test:7:template-test-7-0123456789abcdef"), Some("7"));
        assert_eq!(sender("manual::0123456789abcdef"), None);
        assert_eq!(sender("rule:3:delivered:T1"), None);
        assert_eq!(sender("manual:nokey"), None);
    }
}
