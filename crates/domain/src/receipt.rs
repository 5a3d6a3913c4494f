//! What a provider reports after it accepted a message (an SMS delivery report, an email
//! delivery, bounce or complaint), how a provider's report is read, and what it does to the
//! notification: one pure decision, so duplicates and late reports are settled in one place.

use crate::Timestamp;
use crate::notification::Status;
use serde_json::Value;
use std::collections::BTreeMap;

/// A tenant's suppressed email addresses (lower-cased) and why each is suppressed.
pub type Suppressed = BTreeMap<String, String>;

/// Why an email to `address` is not sent, if the address is suppressed.
pub fn suppressed(list: &Suppressed, address: &str) -> Option<String> {
    list.get(&address.trim().to_lowercase())
        .map(|why| crate::reason::make("suppressed", &[("why", why)]))
}

/// What the provider says became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It reached the receiver's phone or mail server.
    Delivered,
    /// An SMS that will not arrive (failed, expired, rejected).
    Undelivered,
    /// An email the receiving server refused: `hard` for good (no such mailbox), soft for now
    /// (a full mailbox), which the provider may still retry.
    Bounced { hard: bool },
    /// The receiver marked the email as spam.
    Complained,
}

impl Outcome {
    /// The `result` label of the receipt metrics.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Undelivered => "undelivered",
            Outcome::Bounced { hard: true } => "hard_bounce",
            Outcome::Bounced { hard: false } => "soft_bounce",
            Outcome::Complained => "complained",
        }
    }

    /// After this the tenant sends nothing more to the address: a hard bounce (it does not
    /// exist) or a complaint (the receiver does not want it).
    pub fn suppresses(self) -> bool {
        matches!(self, Outcome::Bounced { hard: true } | Outcome::Complained)
    }
}

/// One receipt, read and checked: the provider's outcome, its reason and its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub outcome: Outcome,
    pub reason: Option<String>,
    /// When it happened by the provider's clock, if it said.
    pub at: Option<Timestamp>,
}

/// What a receipt does to a notification in `current` status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// The notification moves to `status` (possibly the same, with a new reason), recorded in
    /// its history at `at`.
    Change {
        status: Status,
        reason: Option<String>,
        at: Timestamp,
    },
    /// Nothing changes, and why (the metrics' `result` label).
    Keep(Kept),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The same receipt again: the status already says it.
    Duplicate,
    /// A receipt after a final one (`delivered`, `undelivered`, `bounced`): the first final
    /// receipt stands, so a late or reordered report never moves a status back.
    Late,
    /// The notification was never accepted by a provider (failed, cancelled).
    NotSent,
    /// The notification is still scheduled: being sent right now (the provider answered the
    /// receipt before Avisera recorded its answer), or waiting for a retry of a call that did
    /// reach the provider. The provider should send the receipt again later.
    NotYetSent,
}

impl Kept {
    pub fn label(self) -> &'static str {
        match self {
            Kept::Duplicate => "duplicate",
            Kept::Late => "late",
            Kept::NotSent => "not_sent",
            Kept::NotYetSent => "not_yet_sent",
        }
    }
}

/// The decision: only a `sent` notification moves, once, to its final status; a soft bounce
/// is recorded (the status stays `sent`, with the reason) and a later receipt may still
/// settle it; a complaint proves the email arrived. Billing is not touched: a message is billed
/// when its provider accepts it. `now` bounds the provider's time (its clock may run ahead).
pub fn apply(current: Status, current_reason: Option<&str>, receipt: &Receipt, now: Timestamp) -> Effect {
    let at = receipt.at.map_or(now, |at| at.min(now));
    let reason = receipt.reason.clone();
    let change = |status: Status, reason: Option<String>| Effect::Change { status, reason, at };
    match current {
        Status::Sent => match receipt.outcome {
            Outcome::Delivered => change(Status::Delivered, None),
            Outcome::Undelivered => change(Status::Undelivered, reason),
            Outcome::Bounced { hard: true } => change(Status::Bounced, reason),
            Outcome::Bounced { hard: false } => {
                let noted = Some(format!(
                    "soft bounce: {}",
                    reason.as_deref().unwrap_or("no reason given")
                ));
                if current_reason == noted.as_deref() {
                    Effect::Keep(Kept::Duplicate)
                } else {
                    change(Status::Sent, noted)
                }
            }
            Outcome::Complained => change(Status::Delivered, Some(complaint(reason.as_deref()))),
        },
        Status::Delivered | Status::Undelivered | Status::Bounced => {
            let same = match receipt.outcome {
                Outcome::Delivered => current == Status::Delivered,
                Outcome::Undelivered => current == Status::Undelivered,
                Outcome::Bounced { hard: true } => current == Status::Bounced,
                Outcome::Bounced { hard: false } => false,
                Outcome::Complained => current_reason == Some(complaint(reason.as_deref())).as_deref(),
            };
            if same {
                Effect::Keep(Kept::Duplicate)
            } else if receipt.outcome == Outcome::Complained && current == Status::Delivered {
                // A complaint after the delivery report: the status stays, the log says why
                // the address is suppressed.
                change(Status::Delivered, Some(complaint(reason.as_deref())))
            } else {
                Effect::Keep(Kept::Late)
            }
        }
        Status::Scheduled => Effect::Keep(Kept::NotYetSent),
        Status::Failed | Status::Cancelled => Effect::Keep(Kept::NotSent),
    }
}

fn complaint(reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("the receiver reported it as spam: {r}"),
        None => "the receiver reported it as spam".to_string(),
    }
}

/// The suppression reason a receipt gives an address, if it suppresses it.
pub fn suppression_reason(receipt: &Receipt) -> Option<String> {
    let why = receipt.reason.as_deref().unwrap_or("no reason given");
    match receipt.outcome {
        Outcome::Bounced { hard: true } => Some(format!("hard bounce: {why}")),
        Outcome::Complained => Some(format!("spam complaint: {why}")),
        _ => None,
    }
}

/// The longest reason kept from a provider.
pub const MAX_REASON_CHARS: usize = 500;

/// Where an SMS provider's delivery report keeps what Avisera reads, and which of its status
/// words mean delivered or undelivered (compared without regard to case). Other status words
/// (buffered, accepted, ...) are intermediate and change nothing.
/// Read from the operator's `[sms.receipts]` table; every key has a default.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmsReportShape {
    pub id_field: String,
    pub status_field: String,
    pub reason_field: String,
    pub time_field: String,
    pub delivered: Vec<String>,
    pub undelivered: Vec<String>,
}

impl Default for SmsReportShape {
    fn default() -> Self {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect();
        SmsReportShape {
            id_field: "id".into(),
            status_field: "status".into(),
            reason_field: "reason".into(),
            time_field: "at".into(),
            delivered: words(&["delivered", "DELIVRD"]),
            undelivered: words(&[
                "failed",
                "undeliverable",
                "expired",
                "rejected",
                "UNDELIV",
                "EXPIRED",
                "REJECTD",
            ]),
        }
    }
}

/// An SMS delivery report as read: the provider's message id and, when its status word is a
/// final one, the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsReport {
    pub provider_id: String,
    /// `None` for an intermediate status word.
    pub receipt: Option<Receipt>,
}

/// A field of a report that cannot be read: the field and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportError {
    pub field: String,
    pub message: String,
}

fn wrong(field: &str, message: impl Into<String>) -> ReportError {
    ReportError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// A text or a number as text (providers send ids as either).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn reason(v: Option<&Value>) -> Option<String> {
    v.and_then(text)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(MAX_REASON_CHARS).collect())
}

/// A time as RFC 3339 text or Unix seconds.
fn time(field: &str, v: Option<&Value>) -> Result<Option<Timestamp>, ReportError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|s| Timestamp::from_second(s).ok())
            .map(Some)
            .ok_or_else(|| wrong(field, "expected Unix seconds or a time like 2026-11-25T14:05:00Z")),
        Some(Value::String(s)) => s
            .trim()
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|_| wrong(field, format!("{s:?} is not a time like 2026-11-25T14:05:00Z"))),
        Some(_) => Err(wrong(
            field,
            "expected Unix seconds or a time like 2026-11-25T14:05:00Z",
        )),
    }
}

impl SmsReportShape {
    pub fn read(&self, report: &Value) -> Result<SmsReport, ReportError> {
        let Value::Object(fields) = report else {
            return Err(wrong("", "a delivery report is a JSON object"));
        };
        let provider_id = fields
            .get(&self.id_field)
            .and_then(text)
            .filter(|id| !id.is_empty() && id.len() <= 200)
            .ok_or_else(|| {
                wrong(
                    &self.id_field,
                    "the provider's message id (text, 1-200 characters) is needed",
                )
            })?;
        let word = fields
            .get(&self.status_field)
            .and_then(text)
            .ok_or_else(|| wrong(&self.status_field, "the delivery status is needed"))?;
        let is = |words: &[String]| words.iter().any(|w| w.eq_ignore_ascii_case(&word));
        let outcome = if is(&self.delivered) {
            Some(Outcome::Delivered)
        } else if is(&self.undelivered) {
            Some(Outcome::Undelivered)
        } else {
            None
        };
        let at = time(&self.time_field, fields.get(&self.time_field))?;
        let reason = reason(fields.get(&self.reason_field)).or_else(|| {
            // Without a reason the provider's status word says why.
            (outcome == Some(Outcome::Undelivered)).then(|| word.chars().take(MAX_REASON_CHARS).collect())
        });
        Ok(SmsReport {
            provider_id,
            receipt: outcome.map(|outcome| Receipt { outcome, reason, at }),
        })
    }
}

/// The domain of the Message-ID Avisera gives every email: `<idempotency key@avisera>`.
pub const MESSAGE_ID_DOMAIN: &str = "avisera";

/// The Message-ID of an email sent with `idempotency_key`.
pub fn message_id(idempotency_key: &str) -> String {
    format!("<{idempotency_key}@{MESSAGE_ID_DOMAIN}>")
}

/// The idempotency key in a Message-ID Avisera made (with or without the angle brackets);
/// `None` for any other Message-ID.
pub fn key_of_message_id(message_id: &str) -> Option<&str> {
    let id = message_id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id);
    let (key, domain) = id.rsplit_once('@')?;
    (domain.eq_ignore_ascii_case(MESSAGE_ID_DOMAIN) && !key.is_empty() && key.len() <= 100).then_some(key)
}

/// An email event: `{"message_id", "status": bounced|complained|delivered, "kind": hard|soft,
/// "reason", "at"}`.
pub fn read_email_event(event: &Value) -> Result<(String, Receipt), ReportError> {
    let Value::Object(fields) = event else {
        return Err(wrong("", "an email event is a JSON object"));
    };
    let message_id = fields
        .get("message_id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty() && m.len() <= 300)
        .ok_or_else(|| wrong("message_id", "the email's Message-ID (like <key@avisera>) is needed"))?;
    let status = fields.get("status").and_then(Value::as_str).unwrap_or_default();
    let kind = fields.get("kind").and_then(Value::as_str);
    let outcome = match status {
        "delivered" => Outcome::Delivered,
        "complained" => Outcome::Complained,
        "bounced" => match kind {
            Some("hard") => Outcome::Bounced { hard: true },
            Some("soft") => Outcome::Bounced { hard: false },
            _ => return Err(wrong("kind", "a bounce needs kind \"hard\" or \"soft\"")),
        },
        _ => {
            return Err(wrong(
                "status",
                "use \"delivered\", \"bounced\" (with kind hard or soft) or \"complained\"",
            ));
        }
    };
    Ok((
        message_id.to_string(),
        Receipt {
            outcome,
            reason: reason(fields.get("reason")),
            at: time("at", fields.get("at"))?,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2026-11-25T13:00:00Z".parse().unwrap()
    }

    fn receipt(outcome: Outcome, reason: Option<&str>) -> Receipt {
        Receipt {
            outcome,
            reason: reason.map(String::from),
            at: Some("2026-11-25T12:59:00Z".parse().unwrap()),
        }
    }

    #[test]
    fn a_sent_message_moves_once_and_never_back() {
        let delivered = receipt(Outcome::Delivered, None);
        let failed = receipt(Outcome::Undelivered, Some("EXPIRED"));
        let Effect::Change { status, at, .. } = apply(Status::Sent, None, &delivered, now()) else {
            panic!("sent moves");
        };
        assert_eq!(
            (status, at),
            (Status::Delivered, "2026-11-25T12:59:00Z".parse().unwrap())
        );
        assert_eq!(
            apply(Status::Delivered, None, &delivered, now()),
            Effect::Keep(Kept::Duplicate)
        );
        assert_eq!(apply(Status::Delivered, None, &failed, now()), Effect::Keep(Kept::Late));
        assert_eq!(
            apply(Status::Undelivered, Some("EXPIRED"), &delivered, now()),
            Effect::Keep(Kept::Late)
        );
        assert_eq!(
            apply(Status::Scheduled, None, &delivered, now()),
            Effect::Keep(Kept::NotYetSent)
        );
        assert_eq!(
            apply(Status::Cancelled, None, &failed, now()),
            Effect::Keep(Kept::NotSent)
        );
    }

    #[test]
    fn a_soft_bounce_is_noted_and_a_complaint_proves_delivery() {
        let soft = receipt(Outcome::Bounced { hard: false }, Some("452 mailbox full"));
        let Effect::Change { status, reason, .. } = apply(Status::Sent, None, &soft, now()) else {
            panic!("noted");
        };
        assert_eq!(status, Status::Sent);
        assert_eq!(reason.as_deref(), Some("soft bounce: 452 mailbox full"));
        assert_eq!(
            apply(Status::Sent, reason.as_deref(), &soft, now()),
            Effect::Keep(Kept::Duplicate)
        );
        let hard = receipt(Outcome::Bounced { hard: true }, Some("550 user unknown"));
        assert!(matches!(
            apply(Status::Sent, reason.as_deref(), &hard, now()),
            Effect::Change {
                status: Status::Bounced,
                ..
            }
        ));
        let spam = receipt(Outcome::Complained, None);
        assert!(matches!(
            apply(Status::Delivered, None, &spam, now()),
            Effect::Change {
                status: Status::Delivered,
                ..
            }
        ));
        assert!(suppression_reason(&spam).is_some() && suppression_reason(&hard).is_some());
        assert_eq!(suppression_reason(&soft), None);
    }

    #[test]
    fn a_provider_clock_ahead_of_ours_is_bounded_by_now() {
        let mut ahead = receipt(Outcome::Delivered, None);
        ahead.at = Some("2026-11-26T00:00:00Z".parse().unwrap());
        assert!(matches!(apply(Status::Sent, None, &ahead, now()), Effect::Change { at, .. } if at == now()));
    }

    #[test]
    fn sms_reports_are_read_by_the_configured_shape() {
        let shape = SmsReportShape::default();
        let r = shape
            .read(&json!({"id": 42, "status": "DELIVRD", "at": "2026-11-25T12:00:00+01:00"}))
            .unwrap();
        assert_eq!(r.provider_id, "42");
        assert_eq!(r.receipt.unwrap().outcome, Outcome::Delivered);
        let r = shape.read(&json!({"id": "m1", "status": "expired"})).unwrap();
        assert_eq!(r.receipt.unwrap().reason.as_deref(), Some("expired"));
        assert_eq!(
            shape.read(&json!({"id": "m1", "status": "buffered"})).unwrap().receipt,
            None
        );
        assert_eq!(shape.read(&json!({"status": "delivered"})).unwrap_err().field, "id");
        assert_eq!(
            shape
                .read(&json!({"id": "m1", "status": "delivered", "at": "soon"}))
                .unwrap_err()
                .field,
            "at"
        );
        assert_eq!(shape.read(&json!([1])).unwrap_err().field, "");
        let custom = SmsReportShape {
            id_field: "messageId".into(),
            status_field: "dlr".into(),
            ..SmsReportShape::default()
        };
        assert!(
            custom
                .read(&json!({"messageId": "x", "dlr": "delivered"}))
                .unwrap()
                .receipt
                .is_some()
        );
    }

    #[test]
    fn message_ids_are_avisera_s_own() {
        assert_eq!(key_of_message_id(&message_id("abc-1")), Some("abc-1"));
        assert_eq!(key_of_message_id("abc-1@avisera"), Some("abc-1"));
        assert_eq!(key_of_message_id("<abc-1@example.com>"), None);
        assert_eq!(key_of_message_id("<@avisera>"), None);
        let (id, r) = read_email_event(&json!({"message_id": "<k@avisera>", "status": "bounced", "kind": "hard", "reason": "550 5.1.1 user unknown"})).unwrap();
        assert_eq!(
            (id.as_str(), r.outcome),
            ("<k@avisera>", Outcome::Bounced { hard: true })
        );
        assert_eq!(
            read_email_event(&json!({"message_id": "<k@avisera>", "status": "bounced"}))
                .unwrap_err()
                .field,
            "kind"
        );
        assert_eq!(
            read_email_event(&json!({"message_id": "<k@avisera>", "status": "opened"}))
                .unwrap_err()
                .field,
            "status"
        );
    }
}
