//! Health, readiness, and the OpenAPI document.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_domain::mapping::Mapping;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

pub const OPENAPI: &str = include_str!("openapi.json");

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers.
pub async fn readyz(State(app): State<App>) -> impl IntoResponse {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "not ready", "reason": e.to_string() })),
        ),
    }
}

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// The trigger catalogue with the plans that have each trigger.
pub async fn triggers() -> impl IntoResponse {
    Json(crate::catalogue::triggers_json())
}

/// The tenant's effective mapping table; `?format=text` gives it in the file format.
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
    Ok(Json(json!({ "mapping": mapping.entries().collect::<Vec<_>>() })).into_response())
}

/// `PUT /v1/mapping`: the tenant's own lines (mapping file format, text), over the shipped and
/// the operator's. A bad line is refused, naming it; so is a body without lines (an empty PUT
/// used to wipe the tenant's lines by accident: removing them is `DELETE /v1/mapping`).
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
    let own = Mapping::parse(&body)
        .map_err(|e| ApiError::invalid("invalid_mapping", e.to_string()).with(json!({"line": e.line})))?;
    if own.entries().next().is_none() {
        return Err(ApiError::invalid(
            "empty_mapping",
            "the body holds no mapping lines (code trigger physical milestone note); to remove the tenant's own lines, send DELETE /v1/mapping",
        ));
    }
    app.store.set_tenant_mapping(tenant, &body, app.clock.now()).await?;
    let mapping = crate::engine::effective_mapping(&app, tenant).await?;
    Ok(Json(json!({ "mapping": mapping.entries().collect::<Vec<_>>() })).into_response())
}

/// `DELETE /v1/mapping`: removes the tenant's own lines; the shipped and the operator's remain.
pub async fn delete_mapping(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
) -> Result<axum::response::Response, ApiError> {
    app.store.set_tenant_mapping(tenant, "", app.clock.now()).await?;
    let mapping = crate::engine::effective_mapping(&app, tenant).await?;
    Ok(Json(json!({ "mapping": mapping.entries().collect::<Vec<_>>() })).into_response())
}

#[derive(serde::Deserialize)]
pub struct MappingQuery {
    format: Option<String>,
}

/// Prometheus metrics: rendered from memory; the gauges that need the store are refreshed by
/// the node every few seconds, not per scrape.
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}
