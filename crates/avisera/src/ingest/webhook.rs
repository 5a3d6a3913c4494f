//! Carrier webhooks: a PostNord-like JSON tracking-event push, signed with HMAC-SHA256 over
//! `"<timestamp>.<body>"` with the tenant's webhook secret. This module checks signatures and
//! turns the payload into events; the handler is `http::webhooks`.
//!
//! ```json
//! {"events": [{"event_id": "optional", "shipment_id": "70712345678SE", "item_id": "00370712345678901234",
//!   "event_code": "DELIVERED", "event_time": "2026-11-25T14:05:00+01:00",
//!   "location": {"name": "Stockholm", "postcode": "11122", "country_code": "SE"},
//!   "flags": {"return": false, "pickup_point": true}}]}
//! ```
//!
//! A single event object is accepted too. `item_id` is the tracking number (else
//! `shipment_id`); `event_code` goes through the mapping table like any code; flags are kept
//! as shipment attributes `flag.<name>`, and `return` sets the shipment's return flag.

use avisera_domain::Timestamp;
use avisera_domain::event::{EventInput, ShipmentInput};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;

/// How far a signature's timestamp may be from our clock, either way.
pub const MAX_SKEW_SECONDS: i64 = 300;
pub const TIMESTAMP_HEADER: &str = "x-avisera-timestamp";
pub const SIGNATURE_HEADER: &str = "x-avisera-signature";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "send the headers X-Avisera-Timestamp (Unix seconds) and X-Avisera-Signature (sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\">)"
    )]
    Missing,
    #[error("X-Avisera-Timestamp must be Unix seconds")]
    BadTimestamp,
    #[error(
        "the signature is stale: its timestamp is {0} s from now, more than {MAX_SKEW_SECONDS} s; sign each request when sending it"
    )]
    Stale(i64),
    #[error(
        "the signature does not match the body and timestamp; check the webhook secret (set one with POST /v1/webhooks/secret), and sign the exact bytes you send (a trailing newline counts)"
    )]
    Mismatch,
}

pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks the timestamp against `now` and the signature in constant time.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureError::Missing);
    };
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::BadTimestamp)?;
    let skew = now.as_second().saturating_sub(ts);
    if skew.abs() > MAX_SKEW_SECONDS {
        return Err(SignatureError::Stale(skew));
    }
    let given = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Mismatch)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

/// One pushed tracking event. Unknown fields are ignored: carriers add fields over time.
/// `item_id` (the tracking number), `event_code` and `event_time` are needed.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct TrackingEvent {
    pub event_id: Option<String>,
    pub shipment_id: Option<String>,
    pub item_id: Option<String>,
    pub event_code: Option<String>,
    pub event_time: Option<String>,
    pub location: Option<Location>,
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = TrackingLocation)]
pub struct Location {
    pub name: Option<String>,
    pub postcode: Option<String>,
    pub country_code: Option<String>,
}

impl TrackingEvent {
    /// The event in Avisera's input form; checking it names fields in that form, which
    /// [`field_name`] translates back.
    pub fn into_input(self) -> EventInput {
        let mut attributes = BTreeMap::new();
        if let Some(s) = &self.shipment_id {
            attributes.insert("shipment_id".to_string(), s.clone());
        }
        for (k, v) in &self.flags {
            attributes.insert(format!("flag.{k}"), v.to_string());
        }
        let location = self.location.and_then(|l| {
            let parts: Vec<String> = [l.name, l.postcode, l.country_code].into_iter().flatten().collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        });
        EventInput {
            event_id: self.event_id,
            tracking_number: self.item_id.or(self.shipment_id),
            code: self.event_code,
            occurred_at: self.event_time,
            location,
            shipment: Some(ShipmentInput {
                is_return: self.flags.get("return").copied(),
                attributes: Some(attributes),
                ..ShipmentInput::default()
            }),
            pickup_point: None,
        }
    }
}

/// The webhook's own name for a field of [`EventInput`].
pub fn field_name(field: &str) -> String {
    match field {
        "tracking_number" => "item_id".into(),
        "code" => "event_code".into(),
        "occurred_at" => "event_time".into(),
        other => other.replace("shipment.attributes.flag.", "flags."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_for_body_secret_and_age() {
        let now: Timestamp = "2026-11-25T13:00:00Z".parse().unwrap();
        let ts = now.as_second();
        let sig = sign("s3cret", ts, b"{}");
        let t = ts.to_string();
        assert_eq!(verify("s3cret", Some(&t), Some(&sig), b"{}", now), Ok(()));
        assert_eq!(
            verify("other", Some(&t), Some(&sig), b"{}", now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("s3cret", Some(&t), Some(&sig), b"{ }", now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("s3cret", Some(&t), None, b"{}", now),
            Err(SignatureError::Missing)
        );
        let old = (ts - 301).to_string();
        let old_sig = sign("s3cret", ts - 301, b"{}");
        assert_eq!(
            verify("s3cret", Some(&old), Some(&old_sig), b"{}", now),
            Err(SignatureError::Stale(301))
        );
        let near = (ts - 299).to_string();
        assert_eq!(
            verify(
                "s3cret",
                Some(&near),
                Some(&sign("s3cret", ts - 299, b"{}")),
                b"{}",
                now
            ),
            Ok(())
        );
    }
}
