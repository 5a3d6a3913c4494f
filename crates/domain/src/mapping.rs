//! How carriers' event codes map onto triggers and shipment milestones. The shipped defaults
//! are data, looked up by code; an unknown code maps to nothing and is never rejected.

use crate::trigger::Trigger;
use serde::{Deserialize, Serialize};

/// Where a shipment is in its life. Ordered: a later milestone is never undone by an older
/// event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    Announced,
    InTransit,
    AtPickupPoint,
    OutForDelivery,
    Delivered,
    Returned,
}

impl Milestone {
    pub fn slug(self) -> &'static str {
        match self {
            Milestone::Announced => "announced",
            Milestone::InTransit => "in_transit",
            Milestone::AtPickupPoint => "at_pickup_point",
            Milestone::OutForDelivery => "out_for_delivery",
            Milestone::Delivered => "delivered",
            Milestone::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<Milestone> {
        [
            Milestone::Announced,
            Milestone::InTransit,
            Milestone::AtPickupPoint,
            Milestone::OutForDelivery,
            Milestone::Delivered,
            Milestone::Returned,
        ]
        .into_iter()
        .find(|m| m.slug() == s)
    }

    /// Nothing but another final milestone follows these.
    pub fn is_final(self) -> bool {
        matches!(self, Milestone::Delivered | Milestone::Returned)
    }
}

/// What one carrier code means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeMeaning {
    pub code: &'static str,
    pub trigger: Option<Trigger>,
    /// The parcel was physically handled (counts for "first transport event").
    pub physical: bool,
    pub milestone: Option<Milestone>,
}

const fn m(code: &'static str, trigger: Option<Trigger>, physical: bool, milestone: Option<Milestone>) -> CodeMeaning {
    CodeMeaning {
        code,
        trigger,
        physical,
        milestone,
    }
}

use Milestone::*;
use Trigger::*;

/// The shipped default mapping: PostNord-style tracking statuses.
pub const DEFAULT_MAPPING: &[CodeMeaning] = &[
    m("CREATED", Some(TransportOrderReceived), false, Some(Announced)),
    m("INFORMED", Some(TransportOrderReceived), false, Some(Announced)),
    m("EN_ROUTE", None, true, Some(InTransit)),
    m("PICKED_UP", None, true, Some(InTransit)),
    m(
        "AVAILABLE_FOR_DELIVERY",
        Some(Trigger::OutForDelivery),
        true,
        Some(Milestone::OutForDelivery),
    ),
    m(
        "AVAILABLE_FOR_DELIVERY_PAR_LOC",
        Some(ArrivedAtPickupPoint),
        true,
        Some(AtPickupPoint),
    ),
    m("DELAYED", Some(Delayed), false, None),
    m("EXPECTED_DELAY", Some(RiskOfDelay), false, None),
    m("DELIVERED", Some(Trigger::Delivered), true, Some(Milestone::Delivered)),
    m("DELIVERY_IMPOSSIBLE", Some(DeliveryAttemptFailed), true, None),
    m("DELIVERY_REFUSED", Some(ReturnedToSender), true, Some(Returned)),
    m("RETURNED", Some(ReturnedToSender), true, Some(Returned)),
    m("STOPPED", Some(Customs), false, None),
    m("DELIVERY_CHANGED", Some(DeliveryChanged), false, None),
    m("COLLECTION_FAILED", Some(CollectionFailed), false, None),
    m(
        "RETURN_ARRIVED",
        Some(ReturnArrivedAtSender),
        true,
        Some(Milestone::Delivered),
    ),
    m("OTHER", None, false, None),
];

/// The meaning of a carrier code, or `None` for a code nobody mapped.
pub fn lookup(code: &str) -> Option<&'static CodeMeaning> {
    DEFAULT_MAPPING.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}
