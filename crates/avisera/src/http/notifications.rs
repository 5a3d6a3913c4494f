//! The notification log, one notification with its status history, and a shipment with its
//! events and notifications.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::NotificationFilter;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[derive(Default)]
pub struct LogQuery {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub trigger: Option<String>,
    pub tracking_number: Option<String>,
    pub before_id: Option<i64>,
    pub limit: Option<u32>,
    /// First day (YYYY-MM-DD, Stockholm) of notifications created.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, Stockholm), included.
    pub until: Option<String>,
}

/// A day's bounds in Stockholm, where bills and numbers count days.
fn day_start(field: &str, raw: &str, days_after: i64) -> Result<Timestamp, ApiError> {
    let date: jiff::civil::Date = raw
        .trim()
        .parse()
        .map_err(|_| bad_query(field, format!("\"{raw}\" is not a date like 2026-11-25")))?;
    date.checked_add(jiff::Span::new().days(days_after))
        .and_then(|d| d.to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").expect("bundled zone")))
        .map(|z| z.timestamp())
        .map_err(|e| bad_query(field, e.to_string()))
}

/// The log's filter from query parameters, shared by the API and the portal.
pub(crate) fn log_filter(q: LogQuery) -> Result<NotificationFilter, ApiError> {
    Ok(NotificationFilter {
        status: q
            .status
            .filter(|s| !s.is_empty())
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| bad_query("status", e))?,
        channel: q
            .channel
            .filter(|s| !s.is_empty())
            .map(|s| s.parse())
            .transpose()
            .map_err(|e| bad_query("channel", e))?,
        trigger: q
            .trigger
            .filter(|s| !s.is_empty())
            .map(|s| s.parse())
            .transpose()
            .map_err(|e: avisera_domain::trigger::UnknownTrigger| bad_query("trigger", e.to_string()))?,
        tracking_number: q.tracking_number.filter(|s| !s.is_empty()),
        before_id: q.before_id.map(NotificationId),
        created_from: q
            .from
            .filter(|s| !s.is_empty())
            .map(|d| day_start("from", &d, 0))
            .transpose()?,
        created_until: q
            .until
            .filter(|s| !s.is_empty())
            .map(|d| day_start("until", &d, 1))
            .transpose()?,
        limit: q.limit.unwrap_or(100).min(1000),
    })
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
    let filter = log_filter(q)?;
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
