//! Health, readiness, and the OpenAPI document.

use crate::app::App;
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

/// The effective mapping table; `?format=text` gives it in the file format.
pub async fn mapping(State(app): State<App>, Query(q): Query<MappingQuery>) -> axum::response::Response {
    if q.format.as_deref() == Some("text") {
        return (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            crate::catalogue::mapping_text(&app.mapping),
        )
            .into_response();
    }
    Json(json!({ "mapping": app.mapping.entries().collect::<Vec<_>>() })).into_response()
}

#[derive(serde::Deserialize)]
pub struct MappingQuery {
    format: Option<String>,
}

/// Prometheus metrics.
pub async fn metrics(State(app): State<App>) -> impl IntoResponse {
    let scheduled = app.store.count_scheduled().await.ok();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(scheduled),
    )
}
