//! Personal data: who a request to erase or to see one's data names (`Subject`), what of a
//! shipment, a stored event and a notification is the receiver's, and how it is blanked. The
//! stores hold it in few, known places (the shipment's details, each event's body, each
//! notification's recipient, message and dedupe key, the receiver and its addresses, the
//! opt-outs), so erasing and the retention sweep are one plan, applied there.
//!
//! What a bill counts (channel, units, unit price, when it was sent) is no personal data and
//! is never touched, so a bill is the same to the öre before and after an erase.

use crate::contact::{EmailAddress, PhoneNumber};
use crate::event::{CarrierEvent, ShipmentDetails};
use crate::shipment::Shipment;
use serde::{Deserialize, Serialize};

/// What an erased notification's recipient reads (the column is never empty for a live one).
pub const ERASED: &str = "";

/// What stands in a text (a status reason, a provider's answer) for a personal value.
pub const HIDDEN: &str = "•••";

/// The days after a journey's last event before its personal data is erased, unless the
/// operator configures otherwise (`retention_days`).
pub const DEFAULT_RETENTION_DAYS: u32 = 180;

/// The person a request names: by a phone number, an email address or a tracking number (the
/// receiver of that shipment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Phone(String),
    Email(String),
    TrackingNumber(String),
}

impl Subject {
    /// The one subject of a request that gives some of `phone`, `email` and `tracking_number`:
    /// exactly one must be given; the address is read as the stores keep it (E.164, lower case).
    pub fn from_fields(
        phone: Option<&str>,
        email: Option<&str>,
        tracking_number: Option<&str>,
    ) -> Result<Subject, String> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (given(phone), given(email), given(tracking_number)) {
            (Some(p), None, None) => PhoneNumber::parse(p, None)
                .map(|n| Subject::Phone(n.as_str().to_string()))
                .map_err(|e| format!("phone: {e}; write it in international form, like +46701234567")),
            (None, Some(e), None) => EmailAddress::parse(e)
                .map(|a| Subject::Email(a.as_str().to_lowercase()))
                .map_err(|e| format!("email: {e}")),
            (None, None, Some(t)) => Ok(Subject::TrackingNumber(t.to_string())),
            (None, None, None) => Err("name the person: give one of phone, email or tracking_number".into()),
            _ => Err("give only one of phone, email or tracking_number".into()),
        }
    }

    /// The address it names, if it is one (a tracking number is not).
    pub fn address(&self) -> Option<&str> {
        match self {
            Subject::Phone(a) | Subject::Email(a) => Some(a),
            Subject::TrackingNumber(_) => None,
        }
    }
}

/// Why personal data was erased: a person asked, or the retention time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Request,
    Retention,
}

impl Reason {
    pub fn slug(self) -> &'static str {
        match self {
            Reason::Request => "request",
            Reason::Retention => "retention",
        }
    }
}

/// What an erase changed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Erased {
    pub shipments: u64,
    pub events: u64,
    pub notifications: u64,
    /// Receivers (with their addresses) removed.
    pub receivers: u64,
    /// Opt-outs and suppressions kept as a keyed hash instead of the address.
    pub opt_outs_kept: u64,
}

impl Erased {
    pub fn add(&mut self, other: Erased) {
        self.shipments += other.shipments;
        self.events += other.events;
        self.notifications += other.notifications;
        self.receivers += other.receivers;
        self.opt_outs_kept += other.opt_outs_kept;
    }
}

/// The personal values among a shipment's details, to find them in free text: the name,
/// the phone as given and in E.164, the email, and every attribute's value (a tenant's own
/// fields, where a delivery address arrives; nothing tells which hold a person's data).
pub fn personal_values(d: &ShipmentDetails) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    out.extend(d.receiver_name.iter().cloned());
    if let Some(p) = &d.receiver_phone {
        out.push(p.clone());
        if let Ok(n) = PhoneNumber::parse(p, d.destination_country.as_deref()) {
            out.push(n.as_str().to_string());
        }
    }
    out.extend(d.receiver_email.iter().cloned());
    out.extend(d.attributes.values().cloned());
    out.retain(|v| v.trim().chars().count() >= 3);
    out.sort();
    out.dedup();
    out
}

/// Blanks the receiver's name, phone, email and the attributes; keeps what describes the
/// parcel's journey (codes, country, carrier, pickup point, language, time zone).
pub fn blank_details(d: &mut ShipmentDetails) {
    d.receiver_name = None;
    d.receiver_phone = None;
    d.receiver_email = None;
    d.attributes.clear();
}

/// A shipment without its receiver: blank details, and no receiver (its token named them).
pub fn blank_shipment(s: &mut Shipment) {
    blank_details(&mut s.details);
    s.receiver = None;
}

/// A stored event without the receiver's data it carried.
pub fn blank_event(e: &mut CarrierEvent) {
    blank_details(&mut e.details);
}

/// `text` with every one of `personal` (case-insensitively) replaced by [`HIDDEN`]: for
/// status reasons and providers' answers, which may quote an address.
pub fn scrub(text: &str, personal: &[String]) -> String {
    let mut out = text.to_string();
    for value in personal.iter().filter(|v| !v.trim().is_empty()) {
        loop {
            let lower = out.to_lowercase();
            let needle = value.to_lowercase();
            // Lower-casing may change byte lengths outside ASCII; then only exact matches go.
            let at = if lower.len() == out.len() {
                lower.find(&needle)
            } else {
                out.find(value.as_str())
            };
            match at {
                Some(i) if out.is_char_boundary(i) && out.is_char_boundary(i + value.len()) => {
                    out.replace_range(i..i + value.len(), HIDDEN);
                }
                _ => break,
            }
        }
    }
    out
}

/// The dedupe key an erased notification keeps: unique (its id) and without the recipient.
pub fn erased_dedupe_key(id: i64) -> String {
    format!("erased:{id}")
}

/// The stored form of an opt-out after erase: the address's keyed hash (`hash`, hex), marked
/// so it cannot be read as an address.
pub fn hashed_address(hash_hex: &str) -> String {
    format!("#{hash_hex}")
}

/// Whether a stored suppression's address is a keyed hash rather than an address.
pub fn is_hashed(address: &str) -> bool {
    address.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn details() -> ShipmentDetails {
        ShipmentDetails {
            receiver_name: Some("Anna Berg".into()),
            receiver_phone: Some("070-123 45 67".into()),
            receiver_email: Some("anna@example.se".into()),
            receiver_language: Some("sv".into()),
            destination_country: Some("SE".into()),
            carrier: Some("PostNord".into()),
            attributes: BTreeMap::from([("address".into(), "Storgatan 1, Lund".into())]),
            ..Default::default()
        }
    }

    /// Phone, email and tracking number given, and the subject (or a part of the error).
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<&'a str>,
        Result<Subject, &'a str>,
    );

    #[test]
    fn a_subject_is_exactly_one_key_read_as_stored() {
        let cases: &[Case] = &[
            (
                Some("+46 70 123 45 67"),
                None,
                None,
                Ok(Subject::Phone("+46701234567".into())),
            ),
            (
                None,
                Some(" Anna@Example.SE "),
                None,
                Ok(Subject::Email("anna@example.se".into())),
            ),
            (
                None,
                None,
                Some("AB123SE"),
                Ok(Subject::TrackingNumber("AB123SE".into())),
            ),
            (None, None, None, Err("name the person")),
            (Some(""), Some("  "), None, Err("name the person")),
            (Some("+46701234567"), Some("a@b.se"), None, Err("only one")),
            (None, Some("a@b.se"), Some("X1"), Err("only one")),
            (Some("hello"), None, None, Err("phone:")),
            (None, Some("no-at-sign"), None, Err("email:")),
        ];
        for (phone, email, tracking, want) in cases {
            let got = Subject::from_fields(*phone, *email, *tracking);
            match (want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(w, g),
                (Err(w), Err(g)) => assert!(g.contains(w), "{g:?} should say {w:?}"),
                _ => panic!("{phone:?} {email:?} {tracking:?}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn blanking_removes_the_person_and_keeps_the_journey() {
        let mut d = details();
        blank_details(&mut d);
        assert_eq!(d.receiver_name, None);
        assert_eq!(d.receiver_phone, None);
        assert_eq!(d.receiver_email, None);
        assert!(d.attributes.is_empty());
        assert_eq!(d.receiver_language.as_deref(), Some("sv"));
        assert_eq!(d.carrier.as_deref(), Some("PostNord"));
        let text = serde_json::to_string(&d).unwrap();
        for personal in personal_values(&details()) {
            assert!(!text.contains(&personal), "{personal} left in {text}");
        }
    }

    #[test]
    fn personal_values_hold_every_form_of_the_address() {
        let v = personal_values(&details());
        for want in [
            "Anna Berg",
            "070-123 45 67",
            "+46701234567",
            "anna@example.se",
            "Storgatan 1, Lund",
        ] {
            assert!(v.iter().any(|x| x == want), "{want} not in {v:?}");
        }
        assert!(!v.iter().any(|x| x == "sv"));
    }

    #[test]
    fn scrubbing_hides_each_value_wherever_and_however_written() {
        let personal = personal_values(&details());
        let cases = [
            (
                "550 5.1.1 <ANNA@example.se>: no such user",
                "550 5.1.1 <•••>: no such user",
            ),
            ("+46701234567 is not a mobile; +46701234567", "••• is not a mobile; •••"),
            ("Hej Anna Berg!", "Hej •••!"),
            ("nothing personal", "nothing personal"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(scrub(text, &personal), want, "{text}");
        }
    }

    #[test]
    fn an_erased_key_and_a_hashed_address_hold_no_address() {
        assert_eq!(erased_dedupe_key(42), "erased:42");
        assert!(is_hashed(&hashed_address("ab12")));
        assert!(!is_hashed("+46701234567"));
        assert!(!is_hashed("anna@example.se"));
    }
}
