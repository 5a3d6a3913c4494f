//! The tracking page's progress line: ordered, on its way, at the pickup point (or out for
//! delivery), delivered; which step the shipment's milestone is at.

use avisera_domain::mapping::Milestone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Ordered,
    OnItsWay,
    AtPickupPoint,
    OutForDelivery,
    Delivered,
}

impl Step {
    /// Its key in `tracking_text.tsv`.
    pub fn key(self) -> &'static str {
        match self {
            Step::Ordered => "step_ordered",
            Step::OnItsWay => "step_on_its_way",
            Step::AtPickupPoint => "step_at_pickup_point",
            Step::OutForDelivery => "step_out_for_delivery",
            Step::Delivered => "step_delivered",
        }
    }
}

/// The four steps and the one the parcel is at; no current step for a parcel going back to
/// its sender (the page says so instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub steps: [Step; 4],
    pub current: Option<usize>,
}

/// The progress of a shipment at `milestone` (None: nothing but the booking yet). The third
/// step is the pickup point when the parcel goes to one (or is there), else home delivery.
pub fn progress(milestone: Option<Milestone>, to_pickup_point: bool) -> Progress {
    let third = match milestone {
        Some(Milestone::OutForDelivery) => Step::OutForDelivery,
        Some(Milestone::AtPickupPoint) => Step::AtPickupPoint,
        _ if to_pickup_point => Step::AtPickupPoint,
        _ => Step::OutForDelivery,
    };
    let current = match milestone {
        None | Some(Milestone::Announced) => Some(0),
        Some(Milestone::InTransit) => Some(1),
        Some(Milestone::AtPickupPoint | Milestone::OutForDelivery) => Some(2),
        Some(Milestone::Delivered) => Some(3),
        Some(Milestone::Returned) => None,
    };
    Progress {
        steps: [Step::Ordered, Step::OnItsWay, third, Step::Delivered],
        current,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_milestone_is_at_its_step() {
        let at = |m, pickup| {
            let p = progress(m, pickup);
            p.current.map(|i| p.steps[i])
        };
        assert_eq!(at(None, false), Some(Step::Ordered));
        assert_eq!(at(Some(Milestone::Announced), true), Some(Step::Ordered));
        assert_eq!(at(Some(Milestone::InTransit), false), Some(Step::OnItsWay));
        assert_eq!(at(Some(Milestone::AtPickupPoint), false), Some(Step::AtPickupPoint));
        assert_eq!(at(Some(Milestone::OutForDelivery), true), Some(Step::OutForDelivery));
        assert_eq!(at(Some(Milestone::Delivered), true), Some(Step::Delivered));
        assert_eq!(at(Some(Milestone::Returned), true), None);
    }

    #[test]
    fn the_third_step_is_the_pickup_point_only_for_a_parcel_going_to_one() {
        let third = |m, pickup| progress(m, pickup).steps[2];
        assert_eq!(third(Some(Milestone::InTransit), true), Step::AtPickupPoint);
        assert_eq!(third(Some(Milestone::InTransit), false), Step::OutForDelivery);
        assert_eq!(third(Some(Milestone::Delivered), true), Step::AtPickupPoint);
        assert_eq!(third(Some(Milestone::Delivered), false), Step::OutForDelivery);
        assert_eq!(progress(None, false).steps[0], Step::Ordered);
        assert_eq!(progress(None, false).steps[3], Step::Delivered);
    }
}
