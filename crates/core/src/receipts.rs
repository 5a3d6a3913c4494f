//! Providers' receipts applied: find the notification a receipt names (across tenants, by the
//! provider's id or the email's Message-ID), let `domain::receipt::apply` decide, record it,
//! and suppress an address that hard-bounced or complained. Suppressions are also listed and
//! lifted here, for the API and the portal.

use crate::{Error, Result};
use avisera_domain::notification::Channel;
use avisera_domain::receipt::{self, Effect, Kept, Receipt, SmsReport};
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{ReceiptKey, ReceiptTarget, Receipts, StatusChange, Suppression};

/// What became of one receipt (each is a `result` label of the metrics and the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The notification moved (or, for a soft bounce or a complaint, noted it) as `outcome`.
    Recorded(receipt::Outcome),
    /// Nothing changed, and why.
    Kept(Kept),
    /// An intermediate status (buffered, accepted): nothing to record.
    Intermediate,
    /// No notification has this id (perhaps a message Avisera did not send).
    Unknown,
    /// More than one notification has this id: none is touched.
    Ambiguous,
}

impl Applied {
    pub fn label(self) -> &'static str {
        match self {
            Applied::Recorded(outcome) => outcome.label(),
            Applied::Kept(kept) => kept.label(),
            Applied::Intermediate => "intermediate",
            Applied::Unknown => "unknown",
            Applied::Ambiguous => "ambiguous",
        }
    }
}

/// How often a receipt is decided again when a concurrent one moved its notification first.
const ATTEMPTS: usize = 4;

/// Applies an SMS provider's delivery report: of the named `provider` (its id is unique
/// only among that provider's), or, none named, of whichever provider gave the id.
pub async fn sms(store: &dyn Receipts, report: &SmsReport, provider: Option<&str>, now: Timestamp) -> Result<Applied> {
    let Some(receipt) = &report.receipt else {
        return Ok(Applied::Intermediate);
    };
    let id = report.provider_id.clone();
    let key = match provider {
        Some(provider) => ReceiptKey::ProviderMessage {
            provider: provider.into(),
            id,
        },
        None => ReceiptKey::ProviderId(id),
    };
    apply(store, Channel::Sms, &key, receipt, now).await
}

/// Applies an email event named by the Message-ID Avisera gave the email. A Message-ID that
/// Avisera did not make is unknown.
pub async fn email(store: &dyn Receipts, message_id: &str, receipt: &Receipt, now: Timestamp) -> Result<Applied> {
    let Some(key) = receipt::key_of_message_id(message_id) else {
        return Ok(Applied::Unknown);
    };
    apply(
        store,
        Channel::Email,
        &ReceiptKey::IdempotencyKey(key.to_string()),
        receipt,
        now,
    )
    .await
}

async fn apply(
    store: &dyn Receipts,
    channel: Channel,
    key: &ReceiptKey,
    receipt: &Receipt,
    now: Timestamp,
) -> Result<Applied> {
    let mut target = match one(store.receipt_targets(channel, key).await?) {
        Ok(target) => target,
        Err(not_one) => return Ok(not_one),
    };
    let mut applied = None;
    for _ in 0..ATTEMPTS {
        let change = match receipt::apply(target.status, target.reason.as_deref(), receipt, now) {
            Effect::Keep(kept) => {
                applied = Some(Applied::Kept(kept));
                break;
            }
            Effect::Change { status, reason, at } => StatusChange { status, reason, at },
        };
        let from = (target.status, target.reason.as_deref());
        if store
            .record_receipt(target.tenant_id, target.id, from, &change, now)
            .await?
        {
            applied = Some(Applied::Recorded(receipt.outcome));
            break;
        }
        // Another receipt moved it between our read and our write: read and decide again.
        target = match one(store.receipt_targets(channel, key).await?) {
            Ok(target) => target,
            Err(not_one) => return Ok(not_one),
        };
    }
    let applied = applied.ok_or_else(|| {
        Error::Store(avisera_store::StoreError::Retryable(
            "the notification kept changing under its receipts".into(),
        ))
    })?;
    // The address is dead or unwilling whatever the status says (a late hard bounce too).
    if channel == Channel::Email
        && let Some(why) = receipt::suppression_reason(receipt)
    {
        store.suppress(target.tenant_id, &target.recipient, &why, now).await?;
    }
    tracing::info!(
        tenant = target.tenant_id.0,
        notification = target.id.0,
        result = applied.label(),
        "receipt"
    );
    Ok(applied)
}

fn one(mut found: Vec<ReceiptTarget>) -> std::result::Result<ReceiptTarget, Applied> {
    match found.len() {
        0 => Err(Applied::Unknown),
        1 => Ok(found.remove(0)),
        _ => Err(Applied::Ambiguous),
    }
}

/// The most suppressions one page shows.
pub const MAX_SUPPRESSIONS: u32 = 1000;

pub async fn suppressions(store: &dyn Receipts, tenant: TenantId, limit: Option<u32>) -> Result<Vec<Suppression>> {
    let limit = limit.unwrap_or(100).clamp(1, MAX_SUPPRESSIONS);
    Ok(store.suppressions(tenant, limit).await?)
}

/// Lifts a suppression (a bounce, a complaint or an opt-out): the address gets messages again.
pub async fn lift(store: &dyn Receipts, tenant: TenantId, address: &str) -> Result<()> {
    if store.remove_suppression(tenant, address).await? {
        Ok(())
    } else {
        Err(Error::not_found(format!("suppressed address {:?}", address.trim())))
    }
}

/// The most suppressions planning takes into account per batch: the newest, enough for the
/// dead addresses of any one tenant; older ones are still cancelled when sending.
pub const MAX_PLANNED_SUPPRESSIONS: u32 = 10_000;

/// The tenant's addresses that hard-bounced or complained (an opt-out by link has no reason
/// and is not among them: it is honoured when sending, with no fallback to another channel).
pub async fn bounced(store: &dyn Receipts, tenant: TenantId) -> Result<avisera_domain::receipt::Suppressed> {
    Ok(store
        .suppressions(tenant, MAX_PLANNED_SUPPRESSIONS)
        .await?
        .into_iter()
        .filter_map(|s| s.reason.map(|why| (s.address.to_lowercase(), why)))
        .collect())
}
