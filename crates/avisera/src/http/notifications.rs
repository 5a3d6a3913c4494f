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
use utoipa::{IntoParams, ToSchema};

/// The log's filters; an empty value filters nothing.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[derive(Default)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    #[param(schema_with = super::schema::status_filter)]
    pub status: Option<String>,
    #[param(schema_with = super::schema::channel_filter)]
    pub channel: Option<String>,
    #[param(schema_with = super::schema::trigger_filter)]
    pub trigger: Option<String>,
    pub tracking_number: Option<String>,
    /// Only notifications with a smaller id (paging back from the newest).
    pub before_id: Option<i64>,
    /// How many (newest first); 100 when left out, at most 1000 are returned.
    #[param(schema_with = super::schema::limit)]
    pub limit: Option<u32>,
    /// First day (YYYY-MM-DD, Stockholm) of notifications created.
    #[param(schema_with = super::schema::day_filter)]
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, Stockholm), included.
    #[param(schema_with = super::schema::day_filter)]
    pub until: Option<String>,
}

/// A day's bounds in Stockholm, where bills and numbers count days. A bound past the last
/// day time can hold (the day after 9999-12-31) is no bound.
fn day_start(field: &str, raw: &str, days_after: i64) -> Result<Option<Timestamp>, ApiError> {
    let date: jiff::civil::Date = raw
        .trim()
        .parse()
        .map_err(|_| bad_query(field, format!("\"{raw}\" is not a date like 2026-11-25")))?;
    let zone = jiff::tz::TimeZone::get("Europe/Stockholm").expect("bundled zone");
    Ok(date
        .checked_add(jiff::Span::new().days(days_after))
        .and_then(|d| d.to_zoned_datetime(zone))
        .map(|z| z.timestamp())
        .ok())
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
            .transpose()?
            .flatten(),
        created_until: q
            .until
            .filter(|s| !s.is_empty())
            .map(|d| day_start("until", &d, 1))
            .transpose()?
            .flatten(),
        limit: q.limit.unwrap_or(100).min(1000),
    })
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NotificationList {
    notifications: Vec<super::schema::NotificationDoc>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ShipmentView {
    shipment: super::schema::ShipmentDoc,
    events: Vec<super::schema::StoredEventDoc>,
    notifications: Vec<super::schema::NotificationDoc>,
}

fn bad_query(field: &str, message: String) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("{field}: {message}"),
    )
    .with(json!({ "field": field }))
}

/// The notification log, newest first.
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", security(("apiKey" = [])), params(LogQuery),
    responses(
        (status = 200, description = "the notifications", body = NotificationList),
        (status = 400, description = "a filter that does not parse (named), or an unknown parameter", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
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

/// One notification: content, status and status history.
#[utoipa::path(get, path = "/v1/notifications/{id}", tag = "notifications", security(("apiKey" = [])),
    params(("id" = i64, Path, description = "the notification's id")),
    responses(
        (status = 200, description = "the notification", body = super::schema::NotificationWithHistory),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such notification", body = super::api_doc::ErrorBody)))]
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

/// A shipment with its events (unknown codes included) and notifications.
#[utoipa::path(get, path = "/v1/shipments/{tracking_number}", tag = "notifications", security(("apiKey" = [])),
    params(("tracking_number" = String, Path, description = "the shipment's tracking number")),
    responses(
        (status = 200, description = "the shipment", body = ShipmentView),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such shipment", body = super::api_doc::ErrorBody)))]
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
