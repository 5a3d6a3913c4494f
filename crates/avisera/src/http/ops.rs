//! Health, readiness, metrics, the trigger catalogue and the tenant's mapping table.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_domain::mapping::Mapping;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The process answers.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// Whether the database answers.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    status: &'static str,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: ready when the database answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses(
    (status = 200, description = "the database answers", body = Readiness),
    (status = 503, description = "the database does not answer", body = Readiness)))]
pub async fn readyz(State(app): State<App>) -> (StatusCode, Json<Readiness>) {
    match app.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Readiness {
                status: "ready",
                reason: None,
            }),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Readiness {
                status: "not ready",
                reason: Some(e.to_string()),
            }),
        ),
    }
}

/// The trigger catalogue with the plans that have each trigger.
#[utoipa::path(get, path = "/v1/triggers", tag = "rules",
    responses((status = 200, description = "the 14 triggers", body = Vec<super::schema::TriggerInfo>)))]
pub async fn triggers() -> impl IntoResponse {
    Json(crate::catalogue::triggers_json())
}

/// The effective mapping table: the shipped lines, the operator's over them, the tenant's
/// over those.
#[derive(Serialize, ToSchema)]
pub struct MappingTable {
    #[schema(value_type = Vec<super::schema::CodeMeaningDoc>)]
    mapping: Vec<avisera_domain::mapping::CodeMeaning>,
}

impl MappingTable {
    fn of(mapping: &Mapping) -> Json<MappingTable> {
        Json(MappingTable {
            mapping: mapping.entries().cloned().collect(),
        })
    }
}

/// The tenant's effective mapping table; `?format=text` gives it in the file format.
#[utoipa::path(get, path = "/v1/mapping", tag = "mapping", security(("apiKey" = [])), params(MappingQuery),
    responses(
        (status = 200, description = "the effective table (as text in the mapping file format with `?format=text`)",
            content((MappingTable = "application/json"), (String = "text/plain"))),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn mapping(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Query(q): Query<MappingQuery>,
) -> Result<axum::response::Response, ApiError> {
    let mapping = crate::engine::effective_mapping(&app, tenant).await?;
    if q.format.as_deref() == Some("text") {
        return Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            crate::catalogue::mapping_text(&mapping),
        )
            .into_response());
    }
    Ok(MappingTable::of(&mapping).into_response())
}

/// `PUT /v1/mapping`: the tenant's own lines (mapping file format, text), over the shipped and
/// the operator's. A bad line is refused, naming it; so is a body without lines (an empty PUT
/// used to wipe the tenant's lines by accident: removing them is `DELETE /v1/mapping`).
#[utoipa::path(put, path = "/v1/mapping", tag = "mapping", security(("apiKey" = [])),
    request_body(content = String, content_type = "text/plain",
        description = "mapping lines: `code trigger physical milestone note`, at most 200 kB"),
    responses(
        (status = 200, description = "the new effective table", body = MappingTable),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "over 200 kB", body = super::api_doc::ErrorBody),
        (status = 422, description = "a line that does not parse (named), or no lines", body = super::api_doc::ErrorBody)))]
pub async fn put_mapping(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: String,
) -> Result<axum::response::Response, ApiError> {
    if body.len() > 200_000 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "mapping_too_large",
            "a tenant mapping is at most 200 kB",
        ));
    }
    avisera_core::tenants::set_mapping(app.store.as_ref(), tenant, &body, app.clock.now()).await?;
    let mapping = crate::engine::effective_mapping(&app, tenant).await?;
    Ok(MappingTable::of(&mapping).into_response())
}

/// `DELETE /v1/mapping`: removes the tenant's own lines; the shipped and the operator's remain.
#[utoipa::path(delete, path = "/v1/mapping", tag = "mapping", security(("apiKey" = [])),
    responses(
        (status = 200, description = "the effective table without the tenant's lines", body = MappingTable),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn delete_mapping(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
) -> Result<axum::response::Response, ApiError> {
    avisera_core::tenants::clear_mapping(app.store.as_ref(), tenant, app.clock.now()).await?;
    let mapping = crate::engine::effective_mapping(&app, tenant).await?;
    Ok(MappingTable::of(&mapping).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MappingQuery {
    /// `text` for the mapping file format; anything else gives JSON.
    format: Option<String>,
}

/// Prometheus metrics: rendered from memory; the gauges that need the store are refreshed by
/// the node every few seconds, not per scrape.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}
