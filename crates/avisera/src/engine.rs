//! Turning checked events into stored state and notification jobs: loads the tenant's rules
//! and templates once per batch, then lets the domain decide inside the store's transaction.

use crate::app::App;
use crate::metrics::Source;
use avisera_domain::TenantId;
use avisera_domain::event::CarrierEvent;
use avisera_domain::mapping::Mapping;
use avisera_domain::planner::{Situation, plan};
use avisera_domain::shipment::{Shipment, apply};
use avisera_store::{Decision, EventOutcome, IngestStore, StoreError, TenantConfig};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("tenant {0} does not exist")]
    NoTenant(TenantId),
    /// An event dated outside the allowed range reached ingest from a door that checks
    /// without a clock; nothing of the batch is stored.
    #[error("event {index} (tracking number {tracking_number}): {error}")]
    EventTime {
        index: usize,
        tracking_number: String,
        error: avisera_domain::event::FieldError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Events posted to the API.
pub async fn ingest(app: &App, tenant: TenantId, events: &[CarrierEvent]) -> Result<Vec<EventOutcome>, IngestError> {
    ingest_from(app, Source::Api, tenant, events).await
}

/// Events from `source` (the metrics' label).
#[tracing::instrument(name = "ingest", skip_all, fields(tenant = %tenant, source = source.as_str(), events = events.len()))]
pub async fn ingest_from(
    app: &App,
    source: Source,
    tenant: TenantId,
    events: &[CarrierEvent],
) -> Result<Vec<EventOutcome>, IngestError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let now = app.clock.now();
    // Every door passes here: a future event would freeze the shipment's milestone.
    for (index, e) in events.iter().enumerate() {
        avisera_domain::event::check_event_time("occurred_at", e.occurred_at, now).map_err(|error| {
            IngestError::EventTime {
                index,
                tracking_number: e.tracking_number.clone(),
                error,
            }
        })?;
    }
    // Ingest uses the tenant's configuration, its SMS spend and the events' transaction: no more.
    let store: &dyn IngestStore = app.store.as_ref();
    let tenant = store.tenant(tenant).await?.ok_or(IngestError::NoTenant(tenant))?;
    let rules = store.rules(tenant.id).await?;
    let templates: BTreeMap<_, _> = store
        .templates(tenant.id)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let sms_blocked = crate::budget::sms_blocked(store, &tenant, now).await?;
    let mapping = mapping_of(app, store, tenant.id).await?;
    let decide = |shipment: Shipment, event: &CarrierEvent| {
        let applied = apply(shipment, event, &mapping);
        let planned = plan(&Situation {
            tenant: &tenant,
            shipment: &applied.shipment,
            event: Some(event),
            fired: &applied.fired,
            rules: &rules,
            templates: &templates,
            links: app.links.as_ref(),
            now,
            sms_blocked: sms_blocked.as_deref(),
        });
        Decision { applied, planned }
    };
    let started = std::time::Instant::now();
    let outcomes = store.record_events(tenant.id, events, &decide, now).await?;
    let m = &app.metrics;
    m.ingest_batch(source, started.elapsed());
    let (mut accepted, mut duplicates, mut unknown, mut created) = (0, 0, 0, 0);
    for o in &outcomes {
        match o {
            EventOutcome::Accepted {
                notifications,
                unknown_code,
                ..
            } => {
                accepted += 1;
                created += u64::from(*notifications);
                unknown += u64::from(*unknown_code);
            }
            EventOutcome::Duplicate { .. } => duplicates += 1,
        }
    }
    m.events(source, "accepted", accepted);
    m.events(source, "duplicate", duplicates);
    m.notifications_created(created);
    if unknown > 0 {
        m.unknown_codes(source, unknown);
    }
    tracing::debug!(accepted, duplicates, notifications = created, "events stored");
    if outcomes
        .iter()
        .any(|o| matches!(o, EventOutcome::Accepted { notifications: 1.., .. }))
    {
        app.work.notify_one();
    }
    Ok(outcomes)
}

/// The shipped mapping, the operator's lines over it, and the tenant's own over both.
pub async fn effective_mapping(app: &App, tenant: TenantId) -> Result<std::borrow::Cow<'_, Mapping>, StoreError> {
    mapping_of(app, app.store.as_ref(), tenant).await
}

async fn mapping_of<'a>(
    app: &'a App,
    store: &dyn TenantConfig,
    tenant: TenantId,
) -> Result<std::borrow::Cow<'a, Mapping>, StoreError> {
    Ok(match store.tenant_mapping(tenant).await? {
        Some(lines) => match Mapping::parse(&lines) {
            Ok(own) => std::borrow::Cow::Owned(app.mapping.with(&own)),
            Err(e) => {
                // Checked when saved; a table that no longer parses must not stop events.
                tracing::error!(tenant = %tenant, error = %e, "tenant mapping does not parse; using the operator's");
                std::borrow::Cow::Borrowed(app.mapping.as_ref())
            }
        },
        None => std::borrow::Cow::Borrowed(app.mapping.as_ref()),
    })
}
