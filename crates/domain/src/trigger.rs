//! The trigger catalogue: the fourteen kinds of moment a rule can react to (SPEC.md).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    TransportOrderReceived,
    FirstTransportEvent,
    Delivered,
    DaysLeftAtPickupPoint,
    ArrivedAtPickupPoint,
    OutForDelivery,
    DeliveryAttemptFailed,
    RiskOfDelay,
    Delayed,
    ReturnedToSender,
    ReturnArrivedAtSender,
    CollectionFailed,
    Customs,
    DeliveryChanged,
}

impl Trigger {
    pub const ALL: [Trigger; 14] = [
        Trigger::TransportOrderReceived,
        Trigger::FirstTransportEvent,
        Trigger::Delivered,
        Trigger::DaysLeftAtPickupPoint,
        Trigger::ArrivedAtPickupPoint,
        Trigger::OutForDelivery,
        Trigger::DeliveryAttemptFailed,
        Trigger::RiskOfDelay,
        Trigger::Delayed,
        Trigger::ReturnedToSender,
        Trigger::ReturnArrivedAtSender,
        Trigger::CollectionFailed,
        Trigger::Customs,
        Trigger::DeliveryChanged,
    ];

    /// The catalogue number, 1 to 14.
    pub fn number(self) -> u8 {
        Self::ALL.iter().position(|t| *t == self).expect("in catalogue") as u8 + 1
    }

    pub fn slug(self) -> &'static str {
        match self {
            Trigger::TransportOrderReceived => "transport_order_received",
            Trigger::FirstTransportEvent => "first_transport_event",
            Trigger::Delivered => "delivered",
            Trigger::DaysLeftAtPickupPoint => "days_left_at_pickup_point",
            Trigger::ArrivedAtPickupPoint => "arrived_at_pickup_point",
            Trigger::OutForDelivery => "out_for_delivery",
            Trigger::DeliveryAttemptFailed => "delivery_attempt_failed",
            Trigger::RiskOfDelay => "risk_of_delay",
            Trigger::Delayed => "delayed",
            Trigger::ReturnedToSender => "returned_to_sender",
            Trigger::ReturnArrivedAtSender => "return_arrived_at_sender",
            Trigger::CollectionFailed => "collection_failed",
            Trigger::Customs => "customs",
            Trigger::DeliveryChanged => "delivery_changed",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Trigger::TransportOrderReceived => "transport order received (EDI)",
            Trigger::FirstTransportEvent => "first transport event",
            Trigger::Delivered => "delivered",
            Trigger::DaysLeftAtPickupPoint => "days left at pickup point",
            Trigger::ArrivedAtPickupPoint => "arrived at pickup point",
            Trigger::OutForDelivery => "out for delivery",
            Trigger::DeliveryAttemptFailed => "delivery attempt failed",
            Trigger::RiskOfDelay => "risk of delay",
            Trigger::Delayed => "delayed / deviation",
            Trigger::ReturnedToSender => "returned to sender",
            Trigger::ReturnArrivedAtSender => "return arrived at sender",
            Trigger::CollectionFailed => "collection failed",
            Trigger::Customs => "customs",
            Trigger::DeliveryChanged => "delivery changed",
        }
    }

    /// Messages about a parcel still on its way, pointless once it is delivered or returned.
    pub fn is_about_the_journey(self) -> bool {
        !matches!(
            self,
            Trigger::Delivered | Trigger::ReturnedToSender | Trigger::ReturnArrivedAtSender | Trigger::CollectionFailed
        )
    }

    /// The four basic triggers every plan has.
    pub fn is_basic(self) -> bool {
        self.number() <= 4
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trigger {0:?}; use one of the names or numbers 1-14 of `avisera triggers`")]
pub struct UnknownTrigger(pub String);

impl FromStr for Trigger {
    type Err = UnknownTrigger;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(n) = s.parse::<usize>() {
            return n
                .checked_sub(1)
                .and_then(|i| Self::ALL.get(i).copied())
                .ok_or_else(|| UnknownTrigger(s.into()));
        }
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.slug() == s)
            .ok_or_else(|| UnknownTrigger(s.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_numbers_and_names_round_trip() {
        for (i, t) in Trigger::ALL.iter().enumerate() {
            assert_eq!(t.number() as usize, i + 1);
            assert_eq!(t.slug().parse::<Trigger>().unwrap(), *t);
            assert_eq!((i + 1).to_string().parse::<Trigger>().unwrap(), *t);
        }
        assert!("15".parse::<Trigger>().is_err());
        assert_eq!(Trigger::ALL.iter().filter(|t| t.is_basic()).count(), 4);
    }
}
