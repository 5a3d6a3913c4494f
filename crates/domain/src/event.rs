//! A carrier event as it arrives, and its checked form. Checking names the field that is wrong
//! and says what would be right, so the sender can fix its input.

use crate::contact::{EmailAddress, PhoneNumber};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An event as posted (JSON). Everything is optional here so that checking, not the JSON
/// decoder, can say what is missing.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub event_id: Option<String>,
    pub tracking_number: Option<String>,
    pub code: Option<String>,
    pub occurred_at: Option<String>,
    pub location: Option<String>,
    pub shipment: Option<ShipmentInput>,
    pub pickup_point: Option<PickupPointInput>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentInput {
    pub receiver: Option<ReceiverInput>,
    pub destination_country: Option<String>,
    pub service_code: Option<String>,
    pub sender_account: Option<String>,
    pub order_reference: Option<String>,
    pub is_return: Option<bool>,
    pub carrier: Option<String>,
    pub expected_delivery: Option<String>,
    pub attributes: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverInput {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
    /// IANA zone such as Europe/Oslo; derived from the destination country when absent.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PickupPointInput {
    pub name: Option<String>,
    pub address: Option<String>,
    pub opening_hours: Option<String>,
    pub storage_deadline: Option<String>,
}

/// A checked carrier event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CarrierEvent {
    /// Identifies the event for deduplication: the carrier's id, or one derived from content.
    pub event_key: String,
    pub tracking_number: String,
    pub code: String,
    pub occurred_at: Timestamp,
    pub location: Option<String>,
    pub details: ShipmentDetails,
}

/// Shipment facts an event may carry; present fields overwrite what was known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShipmentDetails {
    pub receiver_name: Option<String>,
    /// Kept as given: a receiver's bad number must not lose the event; the notification that
    /// needs it fails with the reason instead.
    pub receiver_phone: Option<String>,
    pub receiver_email: Option<String>,
    pub receiver_language: Option<String>,
    #[serde(default)]
    pub receiver_time_zone: Option<String>,
    pub destination_country: Option<String>,
    pub service_code: Option<String>,
    pub sender_account: Option<String>,
    pub order_reference: Option<String>,
    pub is_return: Option<bool>,
    pub carrier: Option<String>,
    pub expected_delivery: Option<String>,
    pub attributes: BTreeMap<String, String>,
    pub pickup_point: Option<PickupPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PickupPoint {
    pub name: String,
    pub address: Option<String>,
    pub opening_hours: Option<String>,
    pub storage_deadline: Option<Timestamp>,
}

impl PickupPoint {
    /// Its opening hours when they are given and readable (`opening_hours`); unreadable hours
    /// are shown as given but count for nothing (the event's warnings say so).
    pub fn hours(&self) -> Option<crate::opening_hours::OpeningHours> {
        self.opening_hours.as_deref()?.parse().ok()
    }
}

/// Which field is wrong and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

const MAX_TEXT: usize = 500;

fn text(field: &str, value: Option<String>, required: bool) -> Result<Option<String>, FieldError> {
    match value.map(|v| v.trim().to_string()) {
        None if required => Err(FieldError::new(field, "is required")),
        None => Ok(None),
        Some(v) if v.is_empty() && required => Err(FieldError::new(field, "must not be empty")),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.chars().count() > MAX_TEXT => {
            Err(FieldError::new(field, format!("is longer than {MAX_TEXT} characters")))
        }
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n') => {
            Err(FieldError::new(field, "must not contain control characters"))
        }
        Some(v) => Ok(Some(v)),
    }
}

/// The earliest event time accepted: no carrier system of ours reports before this, and a
/// zero or default date (1970, 0001) is a sender's bug, not an event.
pub const EARLIEST_EVENT: Timestamp = Timestamp::constant(946_684_800, 0); // 2000-01-01T00:00:00Z

/// How far ahead of now an event may be: enough for clocks and zones that are off, not enough
/// for a wrong year, which would freeze the shipment's state (the milestone only moves forward
/// in time).
pub const MAX_AHEAD_HOURS: i64 = 24;

/// Refuses an event time outside 2000-01-01 .. now + 24 h, naming the field and the range.
pub fn check_event_time(field: &str, at: Timestamp, now: Timestamp) -> Result<(), FieldError> {
    let latest = now
        .checked_add(jiff::SignedDuration::from_hours(MAX_AHEAD_HOURS))
        .unwrap_or(Timestamp::MAX);
    if at < EARLIEST_EVENT {
        return Err(FieldError::new(
            field,
            format!(
                "{at} is outside the allowed range: from {EARLIEST_EVENT} to {MAX_AHEAD_HOURS} hours after now; check the year"
            ),
        ));
    }
    if at > latest {
        return Err(FieldError::new(
            field,
            format!(
                "{at} is outside the allowed range: from {EARLIEST_EVENT} to {MAX_AHEAD_HOURS} hours after now ({}); check the year and the offset",
                latest.round(jiff::Unit::Second).unwrap_or(latest)
            ),
        ));
    }
    Ok(())
}

/// Parses an instant with an explicit offset, e.g. `2026-11-25T14:05:00+01:00`.
pub fn parse_instant(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    raw.parse::<Timestamp>().map_err(|_| {
        FieldError::new(
            field,
            format!("{raw:?} is not a time with offset; write it like 2026-11-25T14:05:00+01:00"),
        )
    })
}

fn country(field: &str, value: Option<String>) -> Result<Option<String>, FieldError> {
    match text(field, value, false)? {
        Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => Ok(Some(c.to_ascii_uppercase())),
        Some(c) => Err(FieldError::new(
            field,
            format!("{c:?} is not a two-letter country code like SE"),
        )),
        None => Ok(None),
    }
}

fn language(field: &str, value: Option<String>) -> Result<Option<String>, FieldError> {
    match text(field, value, false)? {
        Some(l) if (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()) => {
            Ok(Some(l.to_ascii_lowercase()))
        }
        Some(l) => Err(FieldError::new(
            field,
            format!("{l:?} is not a language code like sv or en"),
        )),
        None => Ok(None),
    }
}

impl EventInput {
    /// Checks the event at `now`: every field, and that it happened between 2000 and 24 hours
    /// from now. The error names the first wrong field.
    pub fn check_at(self, now: Timestamp) -> Result<CarrierEvent, FieldError> {
        let event = self.check()?;
        check_event_time("occurred_at", event.occurred_at, now)?;
        Ok(event)
    }

    /// Checks every field without a clock: an event before 2000 is refused, one in the future
    /// is not (a door without a clock gets that from `engine::ingest`). Doors that have the
    /// clock call `check_at`.
    pub fn check(self) -> Result<CarrierEvent, FieldError> {
        let tracking_number = text("tracking_number", self.tracking_number, true)?.unwrap_or_default();
        if tracking_number.len() > 64 || !tracking_number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(FieldError::new(
                "tracking_number",
                "must be at most 64 letters, digits and dashes",
            ));
        }
        let code = text("code", self.code, true)?.unwrap_or_default().to_ascii_uppercase();
        if code.len() > 64 {
            return Err(FieldError::new("code", "is longer than 64 characters"));
        }
        let occurred_raw = text("occurred_at", self.occurred_at, true)?.unwrap_or_default();
        let occurred_at = parse_instant("occurred_at", &occurred_raw)?;
        if occurred_at < EARLIEST_EVENT {
            // Without a clock only the lower bound can be checked: `now` = the event's own time.
            check_event_time("occurred_at", occurred_at, occurred_at)?;
        }
        let location = text("location", self.location, false)?;
        let event_id = text("event_id", self.event_id, false)?;
        let event_key = match event_id {
            Some(id) => format!("id:{id}"),
            None => format!(
                "{code}@{}@{}",
                occurred_at.as_millisecond(),
                location.as_deref().unwrap_or("")
            ),
        };

        let mut details = ShipmentDetails::default();
        if let Some(s) = self.shipment {
            details.destination_country = country("shipment.destination_country", s.destination_country)?;
            if let Some(r) = s.receiver {
                details.receiver_name = text("shipment.receiver.name", r.name, false)?;
                // Stored in E.164 when it parses, so Track & Trace finds it however it was
                // written; otherwise as given, and planning says what is wrong with it.
                details.receiver_phone = text("shipment.receiver.phone", r.phone, false)?.map(|raw| {
                    PhoneNumber::parse(&raw, details.destination_country.as_deref())
                        .map(String::from)
                        .unwrap_or(raw)
                });
                details.receiver_email = text("shipment.receiver.email", r.email, false)?;
                details.receiver_language = language("shipment.receiver.language", r.language)?;
                details.receiver_time_zone = match text("shipment.receiver.time_zone", r.time_zone, false)? {
                    Some(z) if jiff::tz::TimeZone::get(&z).is_ok() => Some(z),
                    Some(z) => {
                        return Err(FieldError::new(
                            "shipment.receiver.time_zone",
                            format!("{z:?} is not a time zone; write it like Europe/Stockholm"),
                        ));
                    }
                    None => None,
                };
            }
            details.service_code = text("shipment.service_code", s.service_code, false)?;
            details.sender_account = text("shipment.sender_account", s.sender_account, false)?;
            details.order_reference = text("shipment.order_reference", s.order_reference, false)?;
            details.is_return = s.is_return;
            details.carrier = text("shipment.carrier", s.carrier, false)?;
            details.expected_delivery = text("shipment.expected_delivery", s.expected_delivery, false)?;
            let attributes = s.attributes.unwrap_or_default();
            if attributes.len() > 50 {
                return Err(FieldError::new("shipment.attributes", "has more than 50 entries"));
            }
            for (k, v) in attributes {
                let field = format!("shipment.attributes.{k}");
                let v = text(&field, Some(v), false)?.unwrap_or_default();
                details.attributes.insert(k, v);
            }
        }
        if let Some(p) = self.pickup_point {
            let name = text("pickup_point.name", p.name, true)?.unwrap_or_default();
            let storage_deadline = match text("pickup_point.storage_deadline", p.storage_deadline, false)? {
                Some(raw) => Some(parse_instant("pickup_point.storage_deadline", &raw)?),
                None => None,
            };
            details.pickup_point = Some(PickupPoint {
                name,
                address: text("pickup_point.address", p.address, false)?,
                opening_hours: text("pickup_point.opening_hours", p.opening_hours, false)?,
                storage_deadline,
            });
        }
        Ok(CarrierEvent {
            event_key,
            tracking_number,
            code,
            occurred_at,
            location,
            details,
        })
    }
}

impl CarrierEvent {
    /// What is accepted but will keep a message from its receiver: a phone number or email
    /// that does not parse, or a phone that cannot take an SMS. The event is stored all the
    /// same (the notifications that need the address fail with the reason); the sender is
    /// told, so it can fix its data.
    pub fn warnings(&self) -> Vec<FieldError> {
        let mut out = Vec::new();
        match receiver_phone(&self.details) {
            Some(Ok(phone)) => {
                if let Err(e) = phone.for_sms() {
                    out.push(FieldError::new("shipment.receiver.phone", e.to_string()));
                }
            }
            Some(Err(why)) => out.push(FieldError::new("shipment.receiver.phone", why)),
            None => {}
        }
        if let Some(Err(why)) = receiver_email(&self.details) {
            out.push(FieldError::new("shipment.receiver.email", why));
        }
        let hours = self
            .details
            .pickup_point
            .as_ref()
            .and_then(|p| p.opening_hours.as_deref());
        if let Some(Err(why)) = hours.map(str::parse::<crate::opening_hours::OpeningHours>) {
            out.push(FieldError::new(
                "pickup_point.opening_hours",
                format!("{why}; the hours are shown as given but not used for timing"),
            ));
        }
        out
    }
}

/// Receiver contact points parsed for sending; the errors are kept for the log.
pub fn receiver_phone(details: &ShipmentDetails) -> Option<Result<PhoneNumber, String>> {
    details
        .receiver_phone
        .as_deref()
        .map(|raw| PhoneNumber::parse(raw, details.destination_country.as_deref()).map_err(|e| e.to_string()))
}

pub fn receiver_email(details: &ShipmentDetails) -> Option<Result<EmailAddress, String>> {
    details
        .receiver_email
        .as_deref()
        .map(|raw| EmailAddress::parse(raw).map_err(|e| e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> EventInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_complete_event_checks() {
        let e = input(
            r#"{"tracking_number":"AB123SE","code":"delivered","occurred_at":"2026-11-25T14:05:00+01:00",
                "shipment":{"destination_country":"se","receiver":{"name":"Anna","phone":"070-1234567","language":"SV"}}}"#,
        )
        .check()
        .unwrap();
        assert_eq!(e.code, "DELIVERED");
        assert_eq!(e.details.destination_country.as_deref(), Some("SE"));
        assert_eq!(e.details.receiver_language.as_deref(), Some("sv"));
        assert_eq!(e.occurred_at.to_string(), "2026-11-25T13:05:00Z");
    }

    #[test]
    fn an_address_that_will_keep_messages_from_the_receiver_is_a_warning_not_an_error() {
        let event = |receiver: &str| {
            input(&format!(
                r#"{{"tracking_number":"T1","code":"DELIVERED","occurred_at":"2026-11-25T14:05:00+01:00",
                    "shipment":{{"destination_country":"SE","receiver":{receiver}}}}}"#
            ))
            .check()
            .unwrap()
        };
        assert!(
            event(r#"{"phone":"+46 (0)70-123 45 67","email":"a@b.se"}"#)
                .warnings()
                .is_empty()
        );
        let w = event(r#"{"phone":"08-123 456 78","email":"a@b"}"#).warnings();
        assert_eq!(
            w.iter().map(|w| w.field.as_str()).collect::<Vec<_>>(),
            ["shipment.receiver.phone", "shipment.receiver.email"]
        );
        assert!(w[0].message.contains("fixed line"), "{w:?}");
        let w = event(r#"{"phone":"12ab"}"#).warnings();
        assert!(w[0].message.contains("only digits"), "{w:?}");
    }

    #[test]
    fn unreadable_opening_hours_are_a_warning_and_count_for_nothing() {
        let event = |hours: &str| {
            input(&format!(
                r#"{{"tracking_number":"T1","code":"ARRIVED","occurred_at":"2026-11-25T14:05:00+01:00",
                    "pickup_point":{{"name":"ICA","opening_hours":"{hours}"}}}}"#
            ))
            .check()
            .unwrap()
        };
        let good = event("Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off");
        assert!(good.warnings().is_empty());
        assert!(good.details.pickup_point.unwrap().hours().is_some());
        let bad = event("Mon-Fri 9-17");
        let w = bad.warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].field, "pickup_point.opening_hours");
        assert!(w[0].message.starts_with("at character 1: "), "{w:?}");
        assert!(w[0].message.ends_with("not used for timing"), "{w:?}");
        let p = bad.details.pickup_point.unwrap();
        assert_eq!(p.opening_hours.as_deref(), Some("Mon-Fri 9-17"), "kept as given");
        assert!(p.hours().is_none());
    }

    #[test]
    fn errors_name_the_field() {
        let err = input(r#"{"code":"DELIVERED","occurred_at":"2026-11-25T14:05:00+01:00"}"#)
            .check()
            .unwrap_err();
        assert_eq!(err.field, "tracking_number");
        let err = input(r#"{"tracking_number":"A1","code":"X","occurred_at":"yesterday"}"#)
            .check()
            .unwrap_err();
        assert_eq!(err.field, "occurred_at");
        assert!(err.message.contains("2026-11-25T14:05:00+01:00"));
        let err = input(r#"{"tracking_number":"A1","code":"X","occurred_at":"2026-11-25T14:05:00Z","shipment":{"destination_country":"Sweden"}}"#)
            .check()
            .unwrap_err();
        assert_eq!(err.field, "shipment.destination_country");
    }

    #[test]
    fn event_times_must_lie_between_2000_and_a_day_ahead() {
        let now: Timestamp = "2026-11-29T12:00:00Z".parse().unwrap();
        let at =
            |t: &str| input(&format!(r#"{{"tracking_number":"A1","code":"X","occurred_at":"{t}"}}"#)).check_at(now);
        assert!(at("2026-11-30T11:59:59Z").is_ok());
        assert!(at("2000-01-01T00:00:00Z").is_ok());
        for bad in [
            "2062-01-01T00:00:00Z",
            "2026-11-30T12:00:01Z",
            "1999-12-31T23:59:59Z",
            "1970-01-01T00:00:00Z",
        ] {
            let err = at(bad).unwrap_err();
            assert_eq!(err.field, "occurred_at", "{bad}");
            assert!(err.message.contains("allowed range"), "{bad}: {}", err.message);
            assert!(err.message.contains("2000-01-01T00:00:00Z"), "{}", err.message);
            assert!(!err.message.contains("is not a time with offset"), "{}", err.message);
        }
        // Without a clock only the lower bound holds.
        let err = input(r#"{"tracking_number":"A1","code":"X","occurred_at":"1999-06-01T00:00:00Z"}"#).check();
        assert_eq!(err.unwrap_err().field, "occurred_at");
    }
}
