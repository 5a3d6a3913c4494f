//! The one door for events: the API, carrier webhooks, EDIFACT files, the demo feed and the
//! NATS consumer all pass here. Reads what a batch is decided with in one read (the tenant's
//! configuration and the bounces among the batch's addresses), then lets the domain decide
//! inside the store's one transaction.

use crate::{Error, Result};
use avisera_domain::engine::Engine;
use avisera_domain::event::CarrierEvent;
use avisera_domain::links::Links;
use avisera_domain::mapping::Mapping;
use avisera_domain::rule::Rule;
use avisera_domain::shipment::Shipment;
use avisera_domain::tenant::Tenant;
use avisera_domain::{Clock, TenantId};
use avisera_store::{
    DeliveryJob, EventOutcome, IngestContext, IngestStore, Lease, StoreError, StoredBatch, TenantConfig,
};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

/// Where events came from (the metrics' `source` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Api,
    Webhook,
    Edifact,
    Nats,
    /// The demo's simulated carrier feed.
    Demo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Api => "api",
            Source::Webhook => "webhook",
            Source::Edifact => "edifact",
            Source::Nats => "nats",
            Source::Demo => "demo",
        }
    }
}

/// What a stored batch did, for the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub accepted: u64,
    pub duplicates: u64,
    pub unknown_codes: u64,
    pub notifications: u64,
}

/// Who hears about a stored batch: the node's metrics, and its delivery worker, woken when
/// new notifications are committed.
pub trait IngestObserver: Sync {
    fn stored(&self, source: Source, took: Duration, counts: &BatchCounts);
    /// The lease this node's sender takes a batch's notifications that are due at once with,
    /// if it can take them now (see `avisera_store::Lease`).
    fn lease(&self) -> Option<Lease<'_>> {
        None
    }
    /// The batch is committed: `leased` are this node's sender's to send now; `waiting` says
    /// whether others were stored, which workers claim.
    fn new_work(&self, leased: Leased<'_>, waiting: bool);
}

/// A committed batch's notifications leased to this node's sender, with the tenant and the
/// rules they were planned with a moment ago (so the sender need not read them again).
pub struct Leased<'a> {
    pub jobs: Vec<DeliveryJob>,
    pub tenant: &'a Tenant,
    pub rules: &'a [Rule],
}

/// Everything ingest uses, and nothing more.
#[derive(Clone, Copy)]
pub struct Ingest<'a> {
    /// The tenant's configuration, its SMS spend and the events' transaction.
    pub store: &'a dyn IngestStore,
    pub clock: &'a dyn Clock,
    /// Writes the tracking and opt-out links into messages.
    pub links: &'a dyn Links,
    /// The shipped event-code mapping with the operator's lines over it.
    pub mapping: &'a Mapping,
    pub observer: &'a dyn IngestObserver,
}

impl Ingest<'_> {
    /// Stores a batch of checked events of one tenant from `source`, and the notifications
    /// they cause, in one transaction.
    #[tracing::instrument(name = "ingest", skip_all, fields(tenant = %tenant, source = source.as_str(), events = events.len()))]
    pub async fn events(&self, source: Source, tenant: TenantId, events: &[CarrierEvent]) -> Result<Vec<EventOutcome>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        // Every door passes here: a future event would freeze the shipment's milestone.
        for (index, e) in events.iter().enumerate() {
            avisera_domain::event::check_event_time("occurred_at", e.occurred_at, now).map_err(|error| {
                Error::EventTime {
                    index,
                    tracking_number: e.tracking_number.clone(),
                    error,
                }
            })?;
        }
        let store = self.store;
        // One round trip, not one per read: on PostgreSQL each costs more than its statement.
        let IngestContext {
            tenant,
            rules,
            templates,
            mapping,
            bounced: suppressed,
        } = store
            .ingest_context(tenant, events)
            .await?
            .ok_or_else(|| Error::not_found(format!("tenant {tenant}")))?;
        let templates: BTreeMap<_, _> = templates.into_iter().map(|t| (t.id, t)).collect();
        let sms_blocked = crate::budget::sms_blocked(store, &tenant, now).await?;
        let mapping = with_own_lines(self.mapping, tenant.id, mapping.as_deref());
        let engine = Engine {
            tenant: &tenant,
            rules: &rules,
            templates: &templates,
            links: self.links,
            mapping: &mapping,
            sms_blocked: sms_blocked.as_deref(),
            suppressed: &suppressed,
        };
        let decide = |shipment: Shipment, event: &CarrierEvent| engine.decide(shipment, event, now);
        let started = std::time::Instant::now();
        let lease = self.observer.lease();
        let StoredBatch { outcomes, leased } = store
            .record_events_leasing(tenant.id, events, &decide, now, lease.as_ref())
            .await?;
        let took = started.elapsed();
        let mut counts = BatchCounts::default();
        for o in &outcomes {
            match o {
                EventOutcome::Accepted {
                    notifications,
                    unknown_code,
                    ..
                } => {
                    counts.accepted += 1;
                    counts.notifications += u64::from(*notifications);
                    counts.unknown_codes += u64::from(*unknown_code);
                }
                EventOutcome::Duplicate { .. } => counts.duplicates += 1,
            }
        }
        self.observer.stored(source, took, &counts);
        tracing::debug!(
            accepted = counts.accepted,
            duplicates = counts.duplicates,
            notifications = counts.notifications,
            "events stored"
        );
        if counts.notifications > 0 {
            let waiting = counts.notifications > leased.len() as u64;
            let leased = Leased {
                jobs: leased,
                tenant: &tenant,
                rules: &rules,
            };
            self.observer.new_work(leased, waiting);
        }
        Ok(outcomes)
    }
}

/// The shipped mapping with the operator's lines (`operator`), and the tenant's own over both.
pub async fn effective_mapping<'a>(
    store: &dyn TenantConfig,
    operator: &'a Mapping,
    tenant: TenantId,
) -> Result<Cow<'a, Mapping>, StoreError> {
    Ok(with_own_lines(
        operator,
        tenant,
        store.tenant_mapping(tenant).await?.as_deref(),
    ))
}

/// `operator` with the tenant's own mapping `lines` over it, if it has any.
fn with_own_lines<'a>(operator: &'a Mapping, tenant: TenantId, lines: Option<&str>) -> Cow<'a, Mapping> {
    match lines {
        Some(lines) => match Mapping::parse(lines) {
            Ok(own) => Cow::Owned(operator.with(&own)),
            Err(e) => {
                // Checked when saved; a table that no longer parses must not stop events.
                tracing::error!(tenant = %tenant, error = %e, "tenant mapping does not parse; using the operator's");
                Cow::Borrowed(operator)
            }
        },
        None => Cow::Borrowed(operator),
    }
}
