//! Where each value of an event came from in its EDIFACT message, so a value the event rules
//! refuse is reported at its segment and element in EDIFACT terms, not as a JSON field.

use super::content;
use avisera_domain::event::FieldError;
use avisera_edifact::{Message, ParseError, Place, quoted};

/// Where the values of one event were read, by the event's field, so that a value the domain
/// refuses is reported at its segment and element.
#[derive(Default)]
pub(super) struct Sources {
    pub(super) tracking_number: Option<Place>,
    pub(super) code: Option<Place>,
    pub(super) occurred_at: Option<Place>,
    pub(super) location: Option<Place>,
    pub(super) destination_country: Option<Place>,
    pub(super) receiver_name: Option<Place>,
    pub(super) receiver_phone: Option<Place>,
    pub(super) receiver_email: Option<Place>,
    pub(super) service_code: Option<Place>,
    pub(super) sender_account: Option<Place>,
    pub(super) order_reference: Option<Place>,
    pub(super) expected_delivery: Option<Place>,
}

impl Sources {
    /// The domain's complaint about a field, placed at the EDIFACT element it came from and
    /// said in EDIFACT terms; `None` for a field no segment fed.
    pub(super) fn fault(&self, m: &Message, e: &FieldError) -> Option<ParseError> {
        let (place, what) = match e.field.as_str() {
            "tracking_number" => (self.tracking_number, "tracking number"),
            "code" => (self.code, "status event code (4405)"),
            "occurred_at" => (self.occurred_at, "date/time (2380)"),
            "location" => (self.location, "location (3224, else 3225)"),
            "shipment.destination_country" => (self.destination_country, "country code (3207)"),
            "shipment.receiver.name" => (self.receiver_name, "party name (3036)"),
            "shipment.receiver.phone" => (self.receiver_phone, "communication address (3148)"),
            "shipment.receiver.email" => (self.receiver_email, "communication address (3148)"),
            "shipment.service_code" => (self.service_code, "service code (4065)"),
            "shipment.sender_account" => (self.sender_account, "party id (3039)"),
            "shipment.order_reference" => (self.order_reference, "reference (1154)"),
            "shipment.expected_delivery" => (self.expected_delivery, "date/time (2380)"),
            _ => return None,
        };
        let place = place?;
        // The domain's message may quote the value already ("SWE" is not ...).
        let found = match m.value_at(place) {
            Some(v) if !e.message.starts_with('"') => Some(quoted(v)),
            _ => None,
        };
        let expected = if e.message.starts_with('"') {
            format!("a valid {what}: {}", e.message)
        } else {
            format!("a valid {what}: it {}", e.message)
        };
        Some(content(m.position_of(place), &expected, found))
    }
}
