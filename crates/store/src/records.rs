//! What the store hands back: notifications with their status, events as stored, delivery
//! jobs for the worker.

use avisera_domain::billing::Charge;
use avisera_domain::notification::{Channel, Message, Status};
use avisera_domain::planner::PlannedNotification;
use avisera_domain::trigger::Trigger;
use avisera_domain::{NotificationId, RuleId, ShipmentId, TenantId, Timestamp};
use serde::Serialize;

/// The engine's answer for one event (the domain's batch decision takes one per event).
pub use avisera_domain::ingest::Decision;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum EventOutcome {
    Accepted {
        shipment_id: ShipmentId,
        notifications: u32,
        unknown_code: bool,
    },
    Duplicate {
        shipment_id: ShipmentId,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    pub code: String,
    pub occurred_at: Timestamp,
    pub received_at: Timestamp,
    pub location: Option<String>,
    /// The code maps to no trigger or milestone.
    pub unknown_code: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NotificationRecord {
    pub id: NotificationId,
    pub tenant_id: TenantId,
    pub tracking_number: String,
    pub rule_id: Option<RuleId>,
    pub trigger: Option<Trigger>,
    pub channel: Channel,
    pub recipient: String,
    pub status: Status,
    /// Stored as a code with parameters (`avisera_domain::reason`); shown as `reason` (the
    /// English sentence) and `reason_code`.
    #[serde(flatten, serialize_with = "avisera_domain::reason::serialize_fields")]
    pub reason: Option<String>,
    pub language: Option<String>,
    pub message: Option<Message>,
    pub due_at: Timestamp,
    pub attempts: u32,
    pub provider_id: Option<String>,
    /// The named SMS provider or SMTP server that sent it (or, not sent, that its last
    /// attempt reached); none before a provider was called, or when sent before providers
    /// were recorded.
    pub provider: Option<String>,
    pub idempotency_key: String,
    /// When the provider accepted it, and what that is billed.
    pub sent_at: Option<Timestamp>,
    pub charge: Option<Charge>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub status: Status,
    #[serde(flatten, serialize_with = "avisera_domain::reason::serialize_fields")]
    pub reason: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    pub status: Option<Status>,
    pub channel: Option<Channel>,
    pub trigger: Option<Trigger>,
    pub tracking_number: Option<String>,
    /// Only notifications with an id below this (paging backwards from the newest).
    pub before_id: Option<NotificationId>,
    /// Only notifications created at or after this instant.
    pub created_from: Option<Timestamp>,
    /// Only notifications created before this instant.
    pub created_until: Option<Timestamp>,
    pub limit: u32,
}

/// A lease offered to ingest: the notifications a batch makes that are due at once are taken
/// by `owner` (the node's express lane) in the same transaction, as a claim would take them,
/// and handed to it in memory, so the first send needs no wake-up and no claim. A batch with
/// more than `most` of them leaves them all to the claim (a backlog is claimed fairly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease<'a> {
    pub owner: &'a str,
    pub until: Timestamp,
    pub most: usize,
}

impl Lease<'_> {
    /// Whether a batch's notifications are leased: some are due at `now`, and at most `most`.
    pub fn takes<'n>(&self, notifications: impl IntoIterator<Item = &'n PlannedNotification>, now: Timestamp) -> bool {
        let due = notifications.into_iter().filter(|n| due_now(n, now)).count();
        due > 0 && due <= self.most
    }
}

impl DeliveryJob {
    /// The notification `n`, stored as `id` and leased as it was stored: the job a claim would
    /// read back (none if `n` is not to be sent).
    pub fn leased(
        tenant: TenantId,
        id: NotificationId,
        idempotency_key: String,
        shipment: Option<ShipmentId>,
        n: &PlannedNotification,
        now: Timestamp,
    ) -> Option<DeliveryJob> {
        Some(DeliveryJob {
            id,
            tenant_id: tenant,
            message: n.message.as_ref().ok()?.clone(),
            idempotency_key,
            attempt: 1,
            billable: shipment.is_some(),
            rule_id: n.rule_id,
            time_zone: n.time_zone.clone(),
            shipment_id: shipment,
            created_at: now,
            due_at: n.due_at,
        })
    }
}

/// A notification that is to be sent as soon as it is stored (so a lease takes it).
pub fn due_now(n: &PlannedNotification, now: Timestamp) -> bool {
    n.message.is_ok() && n.due_at <= now
}

/// What a recorded batch did: each event's outcome, and the notifications it leased to the
/// lease's owner (empty when none was offered, none was due, or there were too many).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredBatch {
    pub outcomes: Vec<EventOutcome>,
    pub leased: Vec<DeliveryJob>,
}

/// A planned notification a store inserted (one with its dedupe key may have existed).
pub struct InsertedNotification {
    /// Its index in the planned notifications.
    pub planned: usize,
    pub id: i64,
    pub idempotency_key: String,
    /// Taken by the lease's owner.
    pub leased: bool,
}

impl StoredBatch {
    /// Each inserted notification counted on the event that planned it, and the leased ones as
    /// their jobs. `planned(i)` is the planned notification `i`: its event's index, its
    /// shipment and the notification.
    pub fn of<'p>(
        tenant: TenantId,
        mut outcomes: Vec<EventOutcome>,
        inserted: Vec<InsertedNotification>,
        planned: impl Fn(usize) -> (usize, Option<ShipmentId>, &'p PlannedNotification),
        now: Timestamp,
    ) -> StoredBatch {
        let mut leased = Vec::new();
        for row in inserted {
            let (event, shipment, notification) = planned(row.planned);
            if let EventOutcome::Accepted { notifications, .. } = &mut outcomes[event] {
                *notifications += 1;
            }
            if row.leased {
                let id = NotificationId(row.id);
                leased.extend(DeliveryJob::leased(
                    tenant,
                    id,
                    row.idempotency_key,
                    shipment,
                    notification,
                    now,
                ));
            }
        }
        StoredBatch { outcomes, leased }
    }
}

/// A notification claimed for sending.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryJob {
    pub id: NotificationId,
    pub tenant_id: TenantId,
    pub message: Message,
    pub idempotency_key: String,
    /// Attempts including this one, if it calls the provider. Only calls that reached a
    /// provider count: a claim lost with its node, or a deferral, does not use up retries.
    pub attempt: u32,
    /// Billed when sent (false for Avisera's own notices to the tenant).
    pub billable: bool,
    /// The rule that planned it, checked again before sending.
    pub rule_id: Option<RuleId>,
    /// The receiver's zone, for the rule's quiet hours at sending.
    pub time_zone: Option<String>,
    /// The shipment it is about (none for the tenant's own notices), to render the rule's
    /// email when the SMS budget refuses the SMS.
    pub shipment_id: Option<ShipmentId>,
    /// When it was created, with the event that caused it (for the delivery-latency metric).
    pub created_at: Timestamp,
    /// When it became (or becomes) due, as claimed (for the outbox-lag metric).
    pub due_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DeliveryOutcome {
    /// Accepted by the provider, billed `charge` (none when not billable).
    Sent {
        provider_id: Option<String>,
        charge: Option<Charge>,
    },
    /// The provider was called and the call may work later: an attempt.
    RetryAt {
        at: Timestamp,
        reason: String,
    },
    /// Not sent now, without calling a provider (quiet hours, the lease ran short): no attempt.
    Deferred {
        until: Timestamp,
        reason: String,
    },
    /// Not sent on purpose (the receiver opted out), with why.
    Cancelled {
        reason: String,
    },
    Failed {
        reason: String,
    },
}

/// One claimed notification's outcome, as a worker records it with others of its batch.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    pub tenant: TenantId,
    pub id: NotificationId,
    pub outcome: DeliveryOutcome,
    /// The named provider its call reached (the one that sent it, or refused it last); none
    /// when no provider was called, which keeps the one recorded before.
    pub provider: Option<String>,
}

impl DeliveryOutcome {
    /// The status the notification is left in.
    pub fn status(&self) -> Status {
        match self {
            DeliveryOutcome::Sent { .. } => Status::Sent,
            DeliveryOutcome::RetryAt { .. } | DeliveryOutcome::Deferred { .. } => Status::Scheduled,
            DeliveryOutcome::Failed { .. } => Status::Failed,
            DeliveryOutcome::Cancelled { .. } => Status::Cancelled,
        }
    }

    /// An attempt is a call that reached a provider (or timed out waiting for it).
    pub fn is_attempt(&self) -> bool {
        !matches!(
            self,
            DeliveryOutcome::Deferred { .. } | DeliveryOutcome::Cancelled { .. }
        )
    }

    /// The reason kept on the notification itself.
    pub fn reason(&self) -> Option<&str> {
        match self {
            DeliveryOutcome::Sent { .. } => None,
            DeliveryOutcome::RetryAt { reason, .. }
            | DeliveryOutcome::Deferred { reason, .. }
            | DeliveryOutcome::Cancelled { reason }
            | DeliveryOutcome::Failed { reason } => Some(reason),
        }
    }

    /// The reason in the status history, which says what happens next.
    pub fn history_reason(&self) -> Option<String> {
        match self {
            DeliveryOutcome::RetryAt { reason, .. } => Some(format!("will retry: {reason}")),
            DeliveryOutcome::Deferred { reason, .. } => Some(format!("deferred: {reason}")),
            other => other.reason().map(str::to_string),
        }
    }

    /// When a notification left scheduled becomes due again.
    pub fn due_again(&self) -> Option<Timestamp> {
        match self {
            DeliveryOutcome::RetryAt { at, .. } | DeliveryOutcome::Deferred { until: at, .. } => Some(*at),
            _ => None,
        }
    }
}

/// What became of a claimed SMS's budget reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    Reserved,
    /// The month's SMS (sent and reserved by live claims) already reach the budget.
    Refused {
        committed: avisera_domain::money::Ore,
    },
    /// The claim is no longer this worker's.
    Lost,
}

/// Reserves SMS prices in order against a budget: each SMS still this worker's (`ours`) is
/// reserved while what is committed (the month's spending plus the live reservations, and
/// those made here) is under the budget, and refused with that sum once it is not.
pub fn allot(
    mut committed: avisera_domain::money::Ore,
    budget: avisera_domain::money::Ore,
    wants: &[(bool, Charge)],
) -> Vec<Reservation> {
    wants
        .iter()
        .map(|&(ours, charge)| {
            if !ours {
                Reservation::Lost
            } else if avisera_domain::dispatch::budget_allows(committed, budget) {
                committed = avisera_domain::money::Ore(committed.0 + charge.cost().0);
                Reservation::Reserved
            } else {
                Reservation::Refused { committed }
            }
        })
        .collect()
}

/// A deleted rule: archived, out of every list and no longer sending, its history kept.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivedRule {
    pub rule: avisera_domain::rule::Rule,
    pub archived_at: Timestamp,
}

/// One entry in a rule's audit history: who did what to it, when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleChange {
    pub at: Timestamp,
    /// The API key's label, or "operator" for the command line.
    pub actor: String,
    /// created, changed, enabled, disabled.
    pub action: String,
    /// What changed, or why.
    pub detail: String,
}

impl RuleChange {
    pub fn new(at: Timestamp, actor: &str, action: &str, detail: impl Into<String>) -> Self {
        RuleChange {
            at,
            actor: actor.to_string(),
            action: action.to_string(),
            detail: detail.into(),
        }
    }
}

/// A portal user to be created; the password is already hashed by the edge.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub email: avisera_domain::contact::EmailAddress,
    pub name: String,
    pub role: avisera_domain::user::Role,
    pub password_hash: String,
}

/// A signed-in portal session. Only the hash of its cookie token is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub token_hash: String,
    pub tenant_id: TenantId,
    pub user_id: avisera_domain::UserId,
    /// The token every form of this session must carry.
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// A stored logo.
#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    pub id: avisera_domain::LogoId,
    pub kind: avisera_domain::logo::LogoKind,
    pub bytes: Vec<u8>,
    pub created_at: Timestamp,
}

/// How Track & Trace looks for a shipment.
#[derive(Debug, Clone, PartialEq)]
pub enum ShipmentSearch {
    TrackingNumber(String),
    OrderReference(String),
    /// E.164, as shipments store it.
    Phone(String),
    /// Compared without regard to case.
    Email(String),
    /// Part of a tracking number, case ignored (the portal asks only for 4 characters or more).
    TrackingNumberPart(String),
    /// Part of the receiver's name, case ignored.
    ReceiverName(String),
}

/// How many notifications were created in one hour with one trigger, channel and status: what
/// the follow-up numbers are made of, at most one row per hour and kind however many were sent.
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationFact {
    /// The start of the hour (UTC) they were created in.
    pub created_at: Timestamp,
    pub count: u64,
    pub trigger: Option<avisera_domain::trigger::Trigger>,
    pub channel: avisera_domain::notification::Channel,
    pub status: avisera_domain::notification::Status,
}

/// How a receipt names its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptKey {
    /// The provider's message id, recorded when it accepted the message, from any provider.
    ProviderId(String),
    /// A message id of the named provider (`[[sms.providers]]`): ids are unique per provider
    /// only. What was sent before providers were recorded (none recorded) is matched too.
    ProviderMessage { provider: String, id: String },
    /// The notification's idempotency key (an email's Message-ID is made from it).
    IdempotencyKey(String),
}

/// A notification a receipt names, with what the receipt decision needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptTarget {
    pub tenant_id: TenantId,
    pub id: NotificationId,
    pub recipient: String,
    pub status: Status,
    pub reason: Option<String>,
}

/// An address a tenant sends nothing more to: an opt-out (no reason), a hard bounce or a spam
/// complaint (with the reason).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppression {
    pub address: String,
    pub reason: Option<String>,
    pub at: Timestamp,
}

/// An API key as its tenant sees it: the hash it is stored as, how it begins (empty for keys
/// made before prefixes were kept), its label, when it was made and when it was last used
/// (to the minute or so; none when never).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    pub key_hash: String,
    pub prefix: String,
    pub label: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

/// Who an API key authenticates, and when its use was last recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyOwner {
    pub tenant: TenantId,
    pub label: String,
    pub last_used_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisera_domain::planner::NotSent;

    fn sms(due_at: &str, sendable: bool) -> PlannedNotification {
        PlannedNotification {
            rule_id: None,
            trigger: None,
            channel: Channel::Sms,
            recipient: "+46701234567".into(),
            dedupe_key: due_at.into(),
            due_at: due_at.parse().unwrap(),
            time_zone: None,
            language: None,
            message: if sendable {
                Ok(Message::Sms {
                    sender_id: "Shop".into(),
                    to: "+46701234567".into(),
                    text: "Hej".into(),
                })
            } else {
                Err(NotSent::Failed("no address".into()))
            },
        }
    }

    #[test]
    fn a_lease_takes_a_batch_only_when_some_and_at_most_most_are_due_at_once() {
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let lease = Lease {
            owner: "lane",
            until: now,
            most: 2,
        };
        let due = sms("2026-11-25T10:00:00Z", true);
        let earlier = sms("2026-11-25T09:59:00Z", true);
        let later = sms("2026-11-25T10:05:00Z", true);
        let failed = sms("2026-11-25T09:00:00Z", false);
        assert!(lease.takes([&due, &earlier], now));
        assert!(!lease.takes([&due, &earlier, &due], now), "three due, at most two");
        assert!(
            lease.takes([&due, &later, &later, &failed, &failed], now),
            "only the due count"
        );
        assert!(!lease.takes([&later, &failed], now), "nothing due at once");
        assert!(!lease.takes([], now));
        assert!(due_now(&earlier, now) && !due_now(&later, now) && !due_now(&failed, now));
    }
}
