//! A shipment's state and how an event moves it. The state rules:
//!
//! - facts (receiver, pickup point, references) carried by an event overwrite older facts;
//! - the milestone only moves forward in time: an event older than the last applied one is kept
//!   in history but changes no milestone and fires nothing; at the same instant the later
//!   milestone wins;
//! - delivered or returned ends the journey even when its event arrives after later ones;
//!   after it, only a later ending can follow, and a non-final event fires nothing;
//! - so any order of arrival gives the same final milestone (a property test checks this);
//! - "first transport event" fires on the first physical event, once.

use crate::event::{CarrierEvent, ShipmentDetails};
use crate::ids::ShipmentId;
use crate::mapping::{Mapping, Milestone};
use crate::trigger::Trigger;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub id: ShipmentId,
    pub tracking_number: String,
    pub details: ShipmentDetails,
    pub milestone: Option<Milestone>,
    /// When the event that set the milestone happened.
    #[serde(default)]
    pub milestone_at: Option<Timestamp>,
    pub last_event_at: Option<Timestamp>,
    pub had_physical_event: bool,
    /// Its receiver, bound by ingest from its addresses (`receiver`), with the preferences
    /// as they were at its last event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver: Option<crate::receiver::ReceiverRef>,
}

impl Shipment {
    pub fn new(tracking_number: &str) -> Self {
        Shipment {
            id: ShipmentId(0),
            tracking_number: tracking_number.to_string(),
            details: ShipmentDetails::default(),
            milestone: None,
            milestone_at: None,
            last_event_at: None,
            had_physical_event: false,
            receiver: None,
        }
    }

    pub fn storage_deadline(&self) -> Option<Timestamp> {
        self.details.pickup_point.as_ref().and_then(|p| p.storage_deadline)
    }

    /// Still waiting at the pickup point, so a "days left" reminder makes sense.
    pub fn waits_at_pickup_point(&self) -> bool {
        self.milestone == Some(Milestone::AtPickupPoint)
    }
}

/// A trigger that fired, and which occurrence of it this is (the dedupe key's last part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub trigger: Trigger,
    pub occurrence: String,
}

/// What one event did to a shipment.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub shipment: Shipment,
    pub fired: Vec<Firing>,
    /// Scheduled notifications of these triggers no longer make sense and must be cancelled,
    /// with the reason.
    pub cancel: Vec<(Trigger, String)>,
    /// The code is in no mapping table.
    pub unknown_code: bool,
}

/// Takes the event's facts. A stale event (older than the last one applied) only fills in
/// facts still unknown, so a late old event never rolls back a newer pickup point or number.
fn merge(into: &mut ShipmentDetails, from: &ShipmentDetails, stale: bool) {
    let before = into.pickup_point.clone();
    let before_deadline = before.as_ref().and_then(|p| p.storage_deadline);
    let before_address = before.as_ref().and_then(|p| p.address.clone());
    let before_hours = before.as_ref().and_then(|p| p.opening_hours.clone());
    macro_rules! take {
        ($($f:ident),*) => { $( if from.$f.is_some() && (!stale || into.$f.is_none()) { into.$f = from.$f.clone(); } )* };
    }
    take!(
        receiver_name,
        receiver_phone,
        receiver_email,
        receiver_language,
        receiver_time_zone,
        destination_country,
        service_code,
        sender_account,
        order_reference,
        is_return,
        carrier,
        expected_delivery,
        pickup_point
    );
    // A new event about the same pickup point that leaves out the deadline (or address) does
    // not erase what is known.
    if let (Some(now), Some(new)) = (&mut into.pickup_point, &from.pickup_point)
        && now.name == new.name
    {
        if new.storage_deadline.is_none() {
            now.storage_deadline = before_deadline;
        }
        if new.address.is_none() {
            now.address = before_address;
        }
        if new.opening_hours.is_none() {
            now.opening_hours = before_hours;
        }
    }
    for (k, v) in &from.attributes {
        if !stale || !into.attributes.contains_key(k) {
            into.attributes.insert(k.clone(), v.clone());
        }
    }
}

/// Applies an event to a shipment (or to a new one) and says which triggers fired.
pub fn apply(current: Shipment, event: &CarrierEvent, mapping: &Mapping) -> Applied {
    let before = current.clone();
    let mut shipment = current;
    let stale = before.last_event_at.is_some_and(|last| event.occurred_at < last);
    merge(&mut shipment.details, &event.details, stale);
    let meaning = mapping.lookup(&event.code);
    let mut fired = Vec::new();
    let mut cancel = Vec::new();

    let after_final = before.milestone.is_some_and(Milestone::is_final);

    if let Some(meaning) = meaning {
        let new_milestone = meaning.milestone;
        let t = event.occurred_at;
        let applies = match new_milestone {
            Some(new) => {
                let older = before.milestone_at.is_some_and(|at| t < at);
                // Two events at the same instant: the later milestone wins, whichever came first.
                let behind_at_same_time =
                    before.milestone_at == Some(t) && before.milestone.is_some_and(|current| new < current);
                match (after_final, new.is_final()) {
                    // Delivery or return ends the journey, however late its event arrives.
                    (false, true) => true,
                    // Between two endings, the later one wins.
                    (true, true) => !older && !behind_at_same_time,
                    // Nothing follows the end.
                    (true, false) => false,
                    // The journey only moves forward in time.
                    (false, false) => !older && !behind_at_same_time,
                }
            }
            // News without a milestone (a delay, a failed attempt) counts while it is current.
            None => !stale && !after_final,
        };
        if applies {
            if let Some(m) = new_milestone {
                shipment.milestone = Some(m);
                shipment.milestone_at = Some(t);
            }
            shipment.last_event_at = Some(before.last_event_at.map_or(t, |l| l.max(t)));
            if let Some(trigger) = meaning.trigger {
                let occurrence = match trigger {
                    Trigger::TransportOrderReceived | Trigger::Delivered => "once".to_string(),
                    Trigger::ArrivedAtPickupPoint => format!(
                        "at:{}",
                        shipment
                            .details
                            .pickup_point
                            .as_ref()
                            .map(|p| p.name.as_str())
                            .unwrap_or("")
                    ),
                    Trigger::ReturnedToSender => "once".to_string(),
                    _ => event.event_key.clone(),
                };
                fired.push(Firing { trigger, occurrence });
            }
        }
        if meaning.physical && !before.had_physical_event {
            shipment.had_physical_event = true;
            // "Your parcel is on its way" is news only while it is: a first event that already
            // finds the parcel at the pickup point, out for delivery or delivered has passed
            // that moment, and its own message says more.
            if shipment.milestone.is_none_or(|m| m <= Milestone::InTransit) {
                fired.insert(
                    0,
                    Firing {
                        trigger: Trigger::FirstTransportEvent,
                        occurrence: "once".into(),
                    },
                );
            }
        }
    }
    // An unknown code moves nothing: it must not make a later-arriving known event look stale.

    // A reminder before the storage deadline is due while the parcel waits; a new deadline
    // replaces it, and leaving the pickup point ends it.
    let deadline = shipment.storage_deadline();
    if shipment.waits_at_pickup_point() {
        if let Some(deadline) = deadline {
            if before.storage_deadline() != Some(deadline) {
                cancel.push((
                    Trigger::DaysLeftAtPickupPoint,
                    crate::reason::make("deadline_changed", &[]),
                ));
            }
            fired.push(Firing {
                trigger: Trigger::DaysLeftAtPickupPoint,
                occurrence: format!("deadline:{}", deadline.as_millisecond()),
            });
        }
    } else if before.waits_at_pickup_point() {
        let why = match shipment.milestone {
            Some(Milestone::Delivered) => "picked_up",
            Some(Milestone::Returned) => "returned",
            _ => "left_pickup_point",
        };
        cancel.push((Trigger::DaysLeftAtPickupPoint, crate::reason::make(why, &[])));
    }

    // Past "in transit", a message about the order or the start of the journey that still
    // waits (a delay, quiet hours) would reach the receiver after news of a later moment.
    // (The end of the journey cancels those below, with its own reason.)
    let past_transit = |m: Option<Milestone>| m.is_some_and(|m| m > Milestone::InTransit && !m.is_final());
    if past_transit(shipment.milestone) && before.milestone.is_some() && !past_transit(before.milestone) {
        for trigger in [Trigger::TransportOrderReceived, Trigger::FirstTransportEvent] {
            cancel.push((trigger, crate::reason::make("further_along", &[])));
        }
    }

    // Once delivered or returned, whatever still waits to be sent about the journey (deferred
    // by quiet hours or a delay) has become pointless.
    if shipment.milestone.is_some_and(Milestone::is_final) && !before.milestone.is_some_and(Milestone::is_final) {
        let why = match shipment.milestone {
            Some(Milestone::Returned) => "went_back",
            _ => "delivered_before",
        };
        for trigger in Trigger::ALL.into_iter().filter(|t| t.is_about_the_journey()) {
            if !cancel.iter().any(|(t, _)| *t == trigger) {
                cancel.push((trigger, crate::reason::make(why, &[])));
            }
        }
    }

    Applied {
        shipment,
        fired,
        cancel,
        unknown_code: meaning.is_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventInput;

    fn apply(current: Shipment, event: &CarrierEvent) -> Applied {
        super::apply(current, event, Mapping::defaults())
    }

    fn ev(code: &str, at: &str) -> CarrierEvent {
        EventInput {
            tracking_number: Some("T1".into()),
            code: Some(code.into()),
            occurred_at: Some(at.into()),
            ..Default::default()
        }
        .check()
        .unwrap()
    }

    fn triggers(a: &Applied) -> Vec<Trigger> {
        a.fired.iter().map(|f| f.trigger).collect()
    }

    #[test]
    fn first_physical_event_fires_first_transport_event_once() {
        let a = apply(Shipment::new("T1"), &ev("CREATED", "2026-11-20T08:00:00Z"));
        assert_eq!(triggers(&a), vec![Trigger::TransportOrderReceived]);
        let b = apply(a.shipment, &ev("EN_ROUTE", "2026-11-20T10:00:00Z"));
        assert_eq!(triggers(&b), vec![Trigger::FirstTransportEvent]);
        let c = apply(b.shipment, &ev("EN_ROUTE", "2026-11-20T12:00:00Z"));
        assert!(c.fired.is_empty());
    }

    #[test]
    fn a_late_event_after_delivery_fires_nothing_and_moves_nothing() {
        let a = apply(Shipment::new("T1"), &ev("DELIVERED", "2026-11-21T10:00:00Z"));
        assert_eq!(triggers(&a), vec![Trigger::Delivered]);
        let b = apply(a.shipment, &ev("AVAILABLE_FOR_DELIVERY", "2026-11-21T08:00:00Z"));
        assert!(b.fired.is_empty());
        assert_eq!(b.shipment.milestone, Some(Milestone::Delivered));
    }

    #[test]
    fn a_first_event_past_transit_does_not_say_the_parcel_is_on_its_way() {
        for (code, own) in [
            ("DELIVERED", Trigger::Delivered),
            ("AVAILABLE_FOR_DELIVERY_PAR_LOC", Trigger::ArrivedAtPickupPoint),
        ] {
            let a = apply(Shipment::new("T1"), &ev(code, "2026-11-21T10:00:00Z"));
            assert_eq!(triggers(&a), vec![own], "{code}");
            assert!(a.shipment.had_physical_event, "{code}");
            let late = apply(a.shipment, &ev("EN_ROUTE", "2026-11-21T08:00:00Z"));
            assert!(late.fired.is_empty(), "{code} then an older transport event");
        }
        let a = apply(Shipment::new("T1"), &ev("EN_ROUTE", "2026-11-21T08:00:00Z"));
        assert_eq!(triggers(&a), vec![Trigger::FirstTransportEvent]);
        // A waiting "on its way" is pointless once the parcel is at the pickup point.
        let b = apply(
            a.shipment,
            &ev("AVAILABLE_FOR_DELIVERY_PAR_LOC", "2026-11-21T09:00:00Z"),
        );
        assert!(
            b.cancel
                .contains(&(Trigger::FirstTransportEvent, crate::reason::make("further_along", &[]))),
            "{:?}",
            b.cancel
        );
    }

    #[test]
    fn delivery_cancels_what_still_waits_about_the_journey() {
        let a = apply(
            Shipment::new("T1"),
            &ev("AVAILABLE_FOR_DELIVERY", "2026-11-21T06:00:00Z"),
        );
        assert!(a.cancel.is_empty());
        let b = apply(a.shipment, &ev("DELIVERED", "2026-11-21T07:30:00Z"));
        let cancelled: Vec<Trigger> = b.cancel.iter().map(|(t, _)| *t).collect();
        assert!(cancelled.contains(&Trigger::OutForDelivery) && cancelled.contains(&Trigger::RiskOfDelay));
        assert!(!cancelled.contains(&Trigger::Delivered));
        assert!(
            b.cancel
                .iter()
                .all(|(_, why)| crate::reason::english(why) == "the parcel was delivered before this message was sent")
        );
        let c = apply(b.shipment, &ev("DELIVERED", "2026-11-21T07:35:00Z"));
        assert!(c.cancel.is_empty(), "only the move to delivered cancels");
    }

    #[test]
    fn a_late_old_event_does_not_roll_back_newer_facts() {
        let mut newer = ev("AVAILABLE_FOR_DELIVERY_PAR_LOC", "2026-11-21T10:00:00Z");
        newer.details.pickup_point = Some(crate::event::PickupPoint {
            name: "P2".into(),
            address: None,
            opening_hours: None,
            storage_deadline: None,
        });
        newer.details.receiver_phone = Some("+46700000002".into());
        let mut older = ev("EN_ROUTE", "2026-11-21T09:00:00Z");
        older.details.pickup_point = Some(crate::event::PickupPoint {
            name: "P1".into(),
            ..newer.details.pickup_point.clone().unwrap()
        });
        older.details.receiver_phone = Some("+46700000001".into());
        older.details.receiver_name = Some("Anna".into());
        let a = apply(Shipment::new("T1"), &newer);
        let b = apply(a.shipment, &older);
        assert_eq!(b.shipment.details.pickup_point.unwrap().name, "P2");
        assert_eq!(b.shipment.details.receiver_phone.as_deref(), Some("+46700000002"));
        assert_eq!(
            b.shipment.details.receiver_name.as_deref(),
            Some("Anna"),
            "unknown facts are still filled in"
        );
    }

    #[test]
    fn a_later_event_at_the_same_pickup_point_without_a_deadline_keeps_it() {
        let deadline: Timestamp = "2026-12-01T17:00:00Z".parse().unwrap();
        let point = |d: Option<Timestamp>| crate::event::PickupPoint {
            name: "ICA".into(),
            address: Some("Väg 1".into()),
            opening_hours: None,
            storage_deadline: d,
        };
        let mut first = ev("AVAILABLE_FOR_DELIVERY_PAR_LOC", "2026-11-25T10:00:00Z");
        first.details.pickup_point = Some(point(Some(deadline)));
        let mut second = ev("DELIVERY_CHANGED", "2026-11-25T11:00:00Z");
        second.details.pickup_point = Some(crate::event::PickupPoint {
            address: None,
            ..point(None)
        });
        let a = apply(Shipment::new("T1"), &first);
        let b = apply(a.shipment, &second);
        assert_eq!(b.shipment.storage_deadline(), Some(deadline));
        assert_eq!(
            b.shipment.details.pickup_point.unwrap().address.as_deref(),
            Some("Väg 1")
        );
        assert!(
            b.cancel.iter().all(|(t, _)| *t != Trigger::DaysLeftAtPickupPoint),
            "same deadline: the reminder stays"
        );
    }

    #[test]
    fn an_unknown_code_does_not_make_a_later_arriving_delivery_stale() {
        let a = apply(Shipment::new("T1"), &ev("EN_ROUTE", "2026-11-21T08:00:00Z"));
        let b = apply(a.shipment, &ev("SOMETHING_NEW", "2026-11-21T12:05:00Z"));
        let c = apply(b.shipment, &ev("DELIVERED", "2026-11-21T12:00:00Z"));
        assert_eq!(triggers(&c), vec![Trigger::Delivered]);
    }

    #[test]
    fn unknown_codes_are_kept_and_fire_nothing() {
        let a = apply(Shipment::new("T1"), &ev("WEIRD_CODE_42", "2026-11-21T10:00:00Z"));
        assert!(a.unknown_code);
        assert!(a.fired.is_empty());
    }
}
