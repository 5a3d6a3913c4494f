//! The running node's handle on `avisera_core::ingest`, for the doors that hold an `App`
//! (the EDIFACT import, the demo feed, tests): the decisions live in core.

use crate::app::App;
use avisera_core::ingest::Source;
use avisera_domain::TenantId;
use avisera_domain::event::CarrierEvent;
use avisera_store::EventOutcome;

pub use avisera_core::Error as IngestError;

/// Events posted to the API.
pub async fn ingest(app: &App, tenant: TenantId, events: &[CarrierEvent]) -> Result<Vec<EventOutcome>, IngestError> {
    ingest_from(app, Source::Api, tenant, events).await
}

/// Events from `source` (the metrics' label).
pub async fn ingest_from(
    app: &App,
    source: Source,
    tenant: TenantId,
    events: &[CarrierEvent],
) -> Result<Vec<EventOutcome>, IngestError> {
    app.ingest().events(source, tenant, events).await
}

/// The shipped mapping, the operator's lines over it, and the tenant's own over both.
pub async fn effective_mapping(
    app: &App,
    tenant: TenantId,
) -> Result<std::borrow::Cow<'_, avisera_domain::mapping::Mapping>, avisera_store::StoreError> {
    avisera_core::ingest::effective_mapping(app.store.as_ref(), app.mapping.as_ref(), tenant).await
}
