//! Personal data (issue 15): a person's right to see what a tenant holds about them (export),
//! their right to have it erased (erase), and the retention sweep that erases it by itself
//! `retention_days` after a journey's last event. The stores do the erasing (`Privacy`); this
//! is what the API, the CLI and a node's upkeep call.

use crate::log::{self, ShipmentView};
use crate::{Error, Result};
use avisera_domain::privacy::{Erased, Subject};
use avisera_domain::receiver::Reach;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{EventStore, NotificationLog, Privacy, Pseudonym, Receivers, StoreError, Suppressions};
use serde::Serialize;

/// The most shipments one sweep erases per tenant, so a first sweep over years of data is
/// many short transactions instead of one long one.
pub const SWEEP_BATCH: u32 = 500;

/// The subject of a request that gives some of `phone`, `email` and `tracking_number`, or the
/// error that says which one to give.
pub fn subject(phone: Option<&str>, email: Option<&str>, tracking_number: Option<&str>) -> Result<Subject> {
    Subject::from_fields(phone, email, tracking_number).map_err(|message| Error::Invalid {
        code: "invalid_subject",
        field: None,
        message,
    })
}

/// Erases what the tenant holds about the person (see `Privacy::erase_person`).
pub async fn erase<S>(
    store: &S,
    tenant: TenantId,
    subject: &Subject,
    pseudonym: &Pseudonym<'_>,
    now: Timestamp,
) -> Result<Erased>
where
    S: Privacy + ?Sized,
{
    let erased = store.erase_person(tenant, subject, pseudonym, now).await?;
    tracing::info!(%tenant, shipments = erased.shipments, notifications = erased.notifications, "personal data erased on request");
    Ok(erased)
}

/// What the tenant holds about one receiver: their preferences, opt-out and addresses, and
/// each of their shipments with its events and notifications (content included). It does not
/// repeat the subject: after an erase, the answer holds nothing of the person.
#[derive(Debug, Clone, Serialize)]
pub struct PersonalData {
    pub receiver: Option<ReceiverData>,
    pub shipments: Vec<ShipmentView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReceiverData {
    pub addresses: Vec<String>,
    pub reach: Reach,
    pub language: Option<String>,
    pub opted_out_at: Option<Timestamp>,
}

pub async fn export<S>(store: &S, tenant: TenantId, subject: &Subject) -> Result<PersonalData>
where
    S: Privacy + EventStore + NotificationLog + Receivers + Suppressions + ?Sized,
{
    let shipments = store.shipments_of_person(tenant, subject).await?;
    let mut receiver = None;
    let address = match subject.address() {
        Some(a) => Some(a.to_string()),
        None => shipments
            .iter()
            .find_map(|s| s.details.receiver_email.clone().or(s.details.receiver_phone.clone())),
    };
    if let Some(address) = address
        && let Some(r) = store.receiver_of(tenant, &address).await?
    {
        let mut opted_out_at = r.opted_out_at;
        for a in &r.addresses {
            if opted_out_at.is_none() {
                opted_out_at = store.opted_out(tenant, a).await?;
            }
        }
        receiver = Some(ReceiverData {
            addresses: r.addresses,
            reach: r.reach,
            language: r.language,
            opted_out_at,
        });
    }
    let mut views = Vec::with_capacity(shipments.len());
    for s in &shipments {
        views.push(log::shipment(store, tenant, &s.tracking_number).await?);
    }
    Ok(PersonalData {
        receiver,
        shipments: views,
    })
}

/// The retention sweep of one tenant: erases the personal data of every shipment whose last
/// event arrived more than `retention_days` before `now`, in batches. Returns what it erased.
pub async fn sweep<S>(
    store: &S,
    tenant: TenantId,
    retention_days: u32,
    pseudonym: &Pseudonym<'_>,
    now: Timestamp,
) -> std::result::Result<Erased, StoreError>
where
    S: Privacy + ?Sized,
{
    let before = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(retention_days)))
        .unwrap_or(Timestamp::MIN);
    let mut total = Erased::default();
    loop {
        let erased = store.erase_ended(tenant, before, SWEEP_BATCH, pseudonym, now).await?;
        total.add(erased);
        if erased.shipments < u64::from(SWEEP_BATCH) {
            break;
        }
    }
    if total.shipments > 0 {
        tracing::info!(%tenant, shipments = total.shipments, retention_days, "personal data past its retention erased");
    }
    Ok(total)
}
