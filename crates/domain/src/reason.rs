//! Why a notification was not sent, was deferred or changed status, as stored: a stable code
//! and its parameters (`code:opted_out {"at":"2026-11-05T09:00:00Z"}`), not a sentence. The
//! API shows the code and the English sentence; the portal says it in the reader's language.
//! A reason stored before codes (free English text) or a provider's own words stay as they
//! are: they read as themselves.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Every code with its English sentence; `{name}` is a parameter.
pub const CODES: &[(&str, &str)] = &[
    (
        "opted_out",
        "the receiver opted out of messages from this sender at {at}",
    ),
    ("quiet_hours", "quiet hours: deferred to {until}"),
    ("rendered_nothing", "the template rendered nothing for this shipment"),
    ("chose_email_only", "the receiver chose to get email only"),
    ("chose_sms_only", "the receiver chose to get SMS only"),
    ("no_phone", "the receiver has no phone number"),
    ("no_email", "the receiver has no email address"),
    ("no_service_phone", "the tenant has no customer-service phone number"),
    ("no_service_email", "the tenant has no customer-service email address"),
    ("suppressed", "the address is suppressed after {why}"),
    (
        "fixed_list_no_email",
        "a fixed list of numbers has no email address to switch to",
    ),
    (
        "deadline_changed",
        "the storage deadline changed; a reminder for the new one replaces it",
    ),
    ("picked_up", "the parcel was picked up"),
    ("returned", "the parcel was returned to the sender"),
    ("left_pickup_point", "the parcel left the pickup point"),
    (
        "further_along",
        "the parcel was further along before this message was sent",
    ),
    (
        "went_back",
        "the parcel went back to the sender before this message was sent",
    ),
    (
        "delivered_before",
        "the parcel was delivered before this message was sent",
    ),
    ("cancelled_by", "cancelled by {who}"),
    ("rule_gone", "rule {rule} no longer exists"),
    (
        "plan_lacks_trigger",
        "plan {plan} no longer has trigger \"{trigger}\" of rule {rule}",
    ),
    (
        "rule_disabled",
        "rule {rule} \"{name}\" was disabled before this message was sent",
    ),
    ("rule_inactive", "rule {rule} \"{name}\" is no longer active"),
    (
        "sms_budget_used",
        "the SMS budget of {budget} SEK for {month} is used up ({spent} SEK spent)",
    ),
    (
        "sms_budget_switched",
        "the SMS budget of {budget} SEK for {month} is used up ({spent} SEK spent); sent as email to {to} instead",
    ),
    (
        "sms_budget_no_email",
        "the SMS budget of {budget} SEK for {month} is used up ({spent} SEK spent); the rule's email could not replace it: {why}",
    ),
    ("gave_up", "gave up after {attempts} attempts: {why}"),
    ("claim_expired", "the claim ran out of time before sending"),
    ("shipment_gone", "the shipment is gone"),
    ("erased", "not sent: the receiver's personal data was erased"),
];

const PREFIX: &str = "code:";

/// A reason as code and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: String,
    pub params: BTreeMap<String, String>,
}

/// A reason to store: `code` (one of `CODES`) with its parameters.
pub fn make(code: &str, params: &[(&str, &str)]) -> String {
    debug_assert!(
        CODES.iter().any(|(c, _)| *c == code),
        "reason code {code} is not in CODES"
    );
    if params.is_empty() {
        return format!("{PREFIX}{code}");
    }
    let map: Map<String, Value> = params
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String((*v).to_string())))
        .collect();
    format!("{PREFIX}{code} {}", Value::Object(map))
}

/// The code and parameters of a stored reason; `None` for free text.
pub fn parse(stored: &str) -> Option<Reason> {
    let rest = stored.strip_prefix(PREFIX)?;
    let (code, json) = rest.split_once(' ').unwrap_or((rest, ""));
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return None;
    }
    let params = if json.is_empty() {
        BTreeMap::new()
    } else {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else {
            return None;
        };
        map.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect()
    };
    Some(Reason {
        code: code.to_string(),
        params,
    })
}

/// The stable code of a stored reason, if it has one.
pub fn code(stored: &str) -> Option<String> {
    parse(stored).map(|r| r.code)
}

/// The English sentence of a stored reason (free text as it is).
pub fn english(stored: &str) -> String {
    let Some(reason) = parse(stored) else {
        return stored.to_string();
    };
    let Some((_, sentence)) = CODES.iter().find(|(c, _)| *c == reason.code) else {
        return stored.to_string();
    };
    // A parameter may itself be a stored reason (why the email could not replace an SMS).
    let params = reason.params.iter().map(|(k, v)| (k.clone(), english(v))).collect();
    fill(sentence, &params)
}

/// A sentence with its `{name}` placeholders filled in.
pub fn fill(sentence: &str, params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .fold(sentence.to_string(), |s, (k, v)| s.replace(&format!("{{{k}}}"), v))
}

/// `reason` and `reason_code` of a stored reason, for a record's JSON (`#[serde(flatten)]`).
pub fn serialize_fields<S: serde::Serializer>(stored: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(2))?;
    map.serialize_entry("reason", &stored.as_deref().map(english))?;
    map.serialize_entry("reason_code", &stored.as_deref().and_then(code))?;
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_stored_as_its_code_and_reads_back_in_english() {
        let stored = make("opted_out", &[("at", "2026-11-05T09:00:00Z")]);
        assert_eq!(stored, r#"code:opted_out {"at":"2026-11-05T09:00:00Z"}"#);
        assert_eq!(code(&stored).as_deref(), Some("opted_out"));
        assert_eq!(
            english(&stored),
            "the receiver opted out of messages from this sender at 2026-11-05T09:00:00Z"
        );
        assert_eq!(english(&make("picked_up", &[])), "the parcel was picked up");
        let quoted = make("rule_inactive", &[("rule", "7"), ("name", "say \"hi\"")]);
        assert_eq!(english(&quoted), "rule 7 \"say \"hi\"\" is no longer active");
    }

    #[test]
    fn free_text_from_before_codes_or_a_provider_reads_as_itself() {
        for old in [
            "the parcel was picked up",
            "soft bounce: 452 mailbox full",
            "code:",
            "code:Bad one",
            "",
        ] {
            assert_eq!(english(old), old);
            assert_eq!(code(old), None, "{old}");
        }
        assert_eq!(english("code:unheard_of"), "code:unheard_of");
    }

    #[test]
    fn every_code_is_unique_and_a_word() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, _) in CODES {
            assert!(seen.insert(code), "{code} twice");
            assert!(parse(&make(code, &[])).is_some(), "{code}");
        }
    }

    #[test]
    fn a_record_shows_the_english_sentence_and_the_code() {
        #[derive(serde::Serialize)]
        struct Row {
            id: i64,
            #[serde(flatten, serialize_with = "serialize_fields")]
            reason: Option<String>,
        }
        let row = |reason: Option<String>| serde_json::to_value(Row { id: 1, reason }).unwrap();
        assert_eq!(
            row(Some(make("cancelled_by", &[("who", "ada@example.com (portal)")]))),
            serde_json::json!({"id": 1, "reason": "cancelled by ada@example.com (portal)", "reason_code": "cancelled_by"})
        );
        assert_eq!(
            row(Some("soft bounce: 452".into())),
            serde_json::json!({"id": 1, "reason": "soft bounce: 452", "reason_code": null})
        );
        assert_eq!(
            row(None),
            serde_json::json!({"id": 1, "reason": null, "reason_code": null})
        );
    }
}
