//! The batch decision of ingest: given a batch's events, the current state of their shipments
//! and which events are new, what the batch does. The store persists the plan it is handed.

use crate::ShipmentId;
use crate::event::CarrierEvent;
use crate::planner::{NotSent, PlannedNotification};
use crate::shipment::{Applied, Shipment};
use crate::trigger::Trigger;
use std::collections::{BTreeSet, HashMap, HashSet};

/// What one event does: its shipment's next state (and what it cancels), and the
/// notifications it causes. The engine decides it from the tenant's mapping and rules.
pub struct Decision {
    pub applied: Applied,
    pub planned: Vec<PlannedNotification>,
}

/// What becomes of one event of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventPlan {
    /// Stored before (or earlier in this batch): changes nothing.
    Duplicate { shipment_id: ShipmentId },
    Accepted {
        shipment_id: ShipmentId,
        unknown_code: bool,
    },
}

/// A notification planned by one event of the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification<'e> {
    /// The index of the event that planned it.
    pub event: usize,
    pub shipment: ShipmentId,
    pub tracking_number: &'e str,
    /// Already marked cancelled when a later event of the batch cancelled its trigger.
    pub notification: PlannedNotification,
}

/// Notifications of `trigger` still waiting for `shipment` (stored before this batch) are
/// cancelled, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    pub shipment: ShipmentId,
    pub trigger: Trigger,
    pub reason: String,
}

/// Everything a batch does, for the store to write in one transaction.
#[derive(Debug, Default)]
pub struct BatchPlan<'e> {
    /// One per event, in the batch's order.
    pub events: Vec<EventPlan>,
    /// The new state of every shipment an event changed, in tracking-number order.
    pub shipments: Vec<Shipment>,
    /// Each (shipment, trigger) at most once, with the first reason given.
    pub cancels: Vec<Cancel>,
    /// Each still to be stored at most once by its dedupe key (the store's to enforce).
    pub notifications: Vec<NewNotification<'e>>,
}

/// Decides a batch. `shipments` holds the current state (with its id) of every shipment the
/// batch names; `new[i]` says whether event `i` was not stored before. Events apply in the
/// batch's order, each to the state the previous one left. What an event cancels is cancelled
/// among the notifications the batch planned before it (stored as cancelled, with why), and
/// among those stored before, unless its shipment had no event stored before (nothing waits).
pub fn plan_batch<'e>(
    events: &'e [CarrierEvent],
    mut shipments: HashMap<&'e str, Shipment>,
    new: &[bool],
    decide: &dyn Fn(Shipment, &CarrierEvent) -> Decision,
) -> BatchPlan<'e> {
    let mut plan = BatchPlan {
        events: Vec::with_capacity(events.len()),
        ..BatchPlan::default()
    };
    let mut changed: BTreeSet<&str> = BTreeSet::new();
    let mut cancelled: HashSet<(ShipmentId, Trigger)> = HashSet::new();
    // Where each shipment's notifications sit in `plan.notifications`.
    let mut planned_for: HashMap<ShipmentId, Vec<usize>> = HashMap::new();
    // Only an event that applied can have planned a notification, and it set `last_event_at`.
    let stored_before: HashSet<ShipmentId> = shipments
        .values()
        .filter(|s| s.last_event_at.is_some())
        .map(|s| s.id)
        .collect();
    for (i, event) in events.iter().enumerate() {
        let tracking = event.tracking_number.as_str();
        let current = shipments.get(tracking).expect("every shipment of the batch is given");
        let shipment_id = current.id;
        if !new[i] {
            plan.events.push(EventPlan::Duplicate { shipment_id });
            continue;
        }
        let decision = decide(current.clone(), event);
        let mut next = decision.applied.shipment;
        next.id = shipment_id;
        shipments.insert(tracking, next);
        changed.insert(tracking);
        for (trigger, reason) in decision.applied.cancel {
            // Only this shipment's notifications planned earlier in the batch can be cancelled.
            for &at in planned_for.get(&shipment_id).into_iter().flatten() {
                let p = &mut plan.notifications[at];
                if p.notification.trigger == Some(trigger) && p.notification.message.is_ok() {
                    p.notification.message = Err(NotSent::Cancelled(reason.clone()));
                }
            }
            if stored_before.contains(&shipment_id) && cancelled.insert((shipment_id, trigger)) {
                plan.cancels.push(Cancel {
                    shipment: shipment_id,
                    trigger,
                    reason,
                });
            }
        }
        let first = plan.notifications.len();
        planned_for
            .entry(shipment_id)
            .or_default()
            .extend(first..first + decision.planned.len());
        plan.notifications
            .extend(decision.planned.into_iter().map(|notification| NewNotification {
                event: i,
                shipment: shipment_id,
                tracking_number: tracking,
                notification,
            }));
        plan.events.push(EventPlan::Accepted {
            shipment_id,
            unknown_code: decision.applied.unknown_code,
        });
    }
    plan.shipments = changed
        .into_iter()
        .map(|t| shipments.remove(t).expect("a changed shipment"))
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Timestamp;
    use crate::event::EventInput;
    use crate::mapping::Mapping;
    use crate::notification::{Channel, Message};
    use crate::shipment::apply;

    fn event(tracking: &str, code: &str, time: &str) -> CarrierEvent {
        EventInput {
            tracking_number: Some(tracking.into()),
            code: Some(code.into()),
            occurred_at: Some(time.into()),
            ..Default::default()
        }
        .check()
        .expect("valid test event")
    }

    fn reminder(tracking: &str, trigger: Trigger) -> PlannedNotification {
        PlannedNotification {
            rule_id: None,
            trigger: Some(trigger),
            channel: Channel::Sms,
            recipient: "+46701234567".into(),
            dedupe_key: format!("{tracking} {}", trigger.slug()),
            due_at: "2026-11-28T10:00:00Z".parse::<Timestamp>().unwrap(),
            time_zone: None,
            language: None,
            message: Ok(Message::Sms {
                sender_id: "Shop".into(),
                to: "+46701234567".into(),
                text: "2 dagar kvar".into(),
            }),
        }
    }

    /// T1 stored before (an event applied), T2 new.
    fn shipments() -> HashMap<&'static str, Shipment> {
        let mut t1 = Shipment::new("T1");
        t1.id = ShipmentId(1);
        t1.last_event_at = Some("2026-11-25T08:00:00Z".parse().unwrap());
        let mut t2 = Shipment::new("T2");
        t2.id = ShipmentId(2);
        HashMap::from([("T1", t1), ("T2", t2)])
    }

    /// "PLAN" plans a reminder, "CANCEL" cancels reminders with the event's location as the reason.
    fn decide(shipment: Shipment, e: &CarrierEvent) -> Decision {
        let mut applied = apply(shipment, e, Mapping::defaults());
        let mut planned = Vec::new();
        match e.code.as_str() {
            "PLAN" => planned.push(reminder(&e.tracking_number, Trigger::DaysLeftAtPickupPoint)),
            "CANCEL" => applied.cancel.push((
                Trigger::DaysLeftAtPickupPoint,
                e.location.clone().unwrap_or_else(|| "picked up".into()),
            )),
            _ => {}
        }
        Decision { applied, planned }
    }

    #[test]
    fn duplicates_are_decided_nothing_and_the_rest_apply_in_order() {
        let events = [
            event("T1", "DELIVERED", "2026-11-25T09:00:00Z"),
            event("T1", "DELIVERED", "2026-11-25T09:00:00Z"),
            event("T2", "PLAN", "2026-11-25T09:30:00Z"),
        ];
        let plan = plan_batch(&events, shipments(), &[true, false, true], &decide);
        assert_eq!(
            plan.events,
            vec![
                EventPlan::Accepted {
                    shipment_id: ShipmentId(1),
                    unknown_code: false
                },
                EventPlan::Duplicate {
                    shipment_id: ShipmentId(1)
                },
                EventPlan::Accepted {
                    shipment_id: ShipmentId(2),
                    unknown_code: true
                },
            ]
        );
        let tracking: Vec<&str> = plan.shipments.iter().map(|s| s.tracking_number.as_str()).collect();
        assert_eq!(tracking, ["T1", "T2"]);
        assert_eq!(plan.shipments[0].id, ShipmentId(1), "the id is kept");
        assert!(plan.shipments[0].last_event_at.is_some());
        assert_eq!(plan.notifications.len(), 1);
        assert_eq!(
            (plan.notifications[0].event, plan.notifications[0].tracking_number),
            (2, "T2")
        );
    }

    #[test]
    fn a_reminder_planned_and_cancelled_in_one_batch_is_stored_cancelled_with_why() {
        let mut cancel = event("T2", "CANCEL", "2026-11-25T10:00:00Z");
        cancel.location = Some("the parcel was picked up".into());
        let events = [
            event("T2", "PLAN", "2026-11-25T09:00:00Z"),
            event("T1", "PLAN", "2026-11-25T09:00:00Z"),
            cancel,
        ];
        let plan = plan_batch(&events, shipments(), &[true, true, true], &decide);
        let by_tracking = |t: &str| {
            &plan
                .notifications
                .iter()
                .find(|n| n.tracking_number == t)
                .unwrap()
                .notification
        };
        assert_eq!(
            by_tracking("T2").message,
            Err(NotSent::Cancelled("the parcel was picked up".into()))
        );
        assert!(by_tracking("T1").message.is_ok(), "another shipment's reminder is kept");
        assert!(
            plan.cancels.is_empty(),
            "T2 had no event stored before: nothing of it waits in the store"
        );
    }

    #[test]
    fn what_waits_in_the_store_is_cancelled_once_with_the_first_reason() {
        let mut first = event("T1", "CANCEL", "2026-11-25T09:00:00Z");
        first.location = Some("picked up".into());
        let mut second = event("T1", "CANCEL", "2026-11-25T09:05:00Z");
        second.location = Some("picked up again".into());
        let events = [first, second];
        let plan = plan_batch(&events, shipments(), &[true, true], &decide);
        assert_eq!(
            plan.cancels,
            vec![Cancel {
                shipment: ShipmentId(1),
                trigger: Trigger::DaysLeftAtPickupPoint,
                reason: "picked up".into()
            }]
        );
    }

    #[test]
    fn a_cancel_reaches_only_what_was_planned_before_it() {
        let events = [
            event("T1", "CANCEL", "2026-11-25T09:00:00Z"),
            event("T1", "PLAN", "2026-11-25T09:30:00Z"),
        ];
        let plan = plan_batch(&events, shipments(), &[true, true], &decide);
        assert!(plan.notifications[0].notification.message.is_ok());
        assert_eq!(plan.cancels.len(), 1);
    }
}
