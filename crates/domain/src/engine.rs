//! What the engine decides for one event, in one place: the shipment's next state and the
//! notifications the tenant's rules plan. Ingest and the replay of a rule both call `decide`.

use crate::event::CarrierEvent;
use crate::ids::TemplateId;
use crate::ingest::Decision;
use crate::links::Links;
use crate::mapping::Mapping;
use crate::planner::{Idle, Situation, idle, plan};
use crate::receipt::Suppressed;
use crate::rule::Rule;
use crate::shipment::{Shipment, apply};
use crate::template::Template;
use crate::tenant::Tenant;
use jiff::Timestamp;
use std::collections::BTreeMap;

/// A tenant's configuration as the engine applies it to events.
#[derive(Clone, Copy)]
pub struct Engine<'a> {
    pub tenant: &'a Tenant,
    pub rules: &'a [Rule],
    pub templates: &'a BTreeMap<TemplateId, Template>,
    /// Makes the tracking and opt-out links in messages.
    pub links: &'a dyn Links,
    /// The event-code mapping in force for the tenant (shipped, operator's, tenant's own).
    pub mapping: &'a Mapping,
    /// Set when the tenant's SMS budget is used up: the reason (see `Situation`).
    pub sms_blocked: Option<&'a str>,
    /// Addresses that bounced or complained, with why (see `Situation`).
    pub suppressed: &'a Suppressed,
}

impl Engine<'_> {
    /// The event applied to its shipment, and what the rules plan for it, at `now` (the
    /// moment the event is stored).
    pub fn decide(&self, shipment: Shipment, event: &CarrierEvent, now: Timestamp) -> Decision {
        let applied = apply(shipment, event, self.mapping);
        let planned = plan(&Situation {
            tenant: self.tenant,
            shipment: &applied.shipment,
            event: Some(event),
            fired: &applied.fired,
            rules: self.rules,
            templates: self.templates,
            links: self.links,
            now,
            sms_blocked: self.sms_blocked,
            suppressed: self.suppressed,
        });
        Decision { applied, planned }
    }

    /// Why `rule`, whose trigger fired, plans nothing for `shipment` at `now`: the planner's
    /// own test, asked again so a replay can say why a rule stayed silent.
    pub fn idle(&self, rule: &Rule, shipment: &Shipment, now: Timestamp) -> Option<Idle> {
        idle(
            rule,
            &Situation {
                tenant: self.tenant,
                shipment,
                event: None,
                fired: &[],
                rules: self.rules,
                templates: self.templates,
                links: self.links,
                now,
                sms_blocked: self.sms_blocked,
                suppressed: self.suppressed,
            },
        )
    }
}
