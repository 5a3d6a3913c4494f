//! The notification log, one notification with its status history, and a shipment with its
//! events and notifications.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_domain::{NotificationId, TenantId};
use avisera_store::NotificationFilter;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    status: Option<String>,
    channel: Option<String>,
    trigger: Option<String>,
    tracking_number: Option<String>,
    before_id: Option<i64>,
    limit: Option<u32>,
}

fn bad_query(field: &str, message: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("{field}: {message}"),
    )
    .with(json!({ "field": field }))
}

pub async fn list(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Query(q): Query<LogQuery>,
) -> Result<Json<Value>, ApiError> {
    let filter = NotificationFilter {
        status: q
            .status
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| bad_query("status", e))?,
        channel: q
            .channel
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| bad_query("channel", e))?,
        trigger: q
            .trigger
            .map(|s| s.parse())
            .transpose()
            .map_err(|e: avisera_domain::trigger::UnknownTrigger| bad_query("trigger", e.to_string()))?,
        tracking_number: q.tracking_number,
        before_id: q.before_id.map(NotificationId),
        limit: q.limit.unwrap_or(100).min(1000),
    };
    Ok(Json(
        json!({ "notifications": app.store.notifications(tenant, &filter).await? }),
    ))
}

async fn with_history(app: &App, tenant: TenantId, id: NotificationId) -> Result<Option<Value>, ApiError> {
    let Some(n) = app.store.notification(tenant, id).await? else {
        return Ok(None);
    };
    let history = app.store.notification_history(tenant, id).await?;
    let mut v = json!(n);
    v["history"] = json!(history);
    Ok(Some(v))
}

pub async fn get_one(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    with_history(&app, tenant, NotificationId(id))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(&format!("notification {id}")))
}

pub async fn shipment(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(tracking_number): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let s = app
        .store
        .shipment(tenant, &tracking_number)
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("shipment {tracking_number}")))?;
    let events = app.store.shipment_events(tenant, &tracking_number).await?;
    let filter = NotificationFilter {
        tracking_number: Some(tracking_number),
        limit: 1000,
        ..Default::default()
    };
    let notifications = app.store.notifications(tenant, &filter).await?;
    Ok(Json(
        json!({ "shipment": s, "events": events, "notifications": notifications }),
    ))
}
