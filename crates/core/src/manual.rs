//! Sending a notification by hand for a shipment (Track & Trace): from a template or free
//! text, to the receiver or a given address, logged and billed like any other.

use crate::{Error, Result};
use avisera_domain::links::Links;
use avisera_domain::notification::Channel;
use avisera_domain::planner::{ManualContent, Situation, plan_manual};
use avisera_domain::tenant::Tenant;
use avisera_domain::{TemplateId, Timestamp};
use avisera_store::{EventStore, Outbox, TenantConfig};

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
        plan_manual(&situation, what.channel, content, Some(what.to), &key).map_err(|refused| Error::Invalid {
            code: "invalid_manual_send",
            field: Some(refused.field.to_string()),
            message: refused.why,
        })?;
    Ok(store
        .add_manual(tenant.id, tracking_number, &planned, now)
        .await?
        .is_some())
}
