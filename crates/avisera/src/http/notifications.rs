//! The notification log, one notification with its status history, and a shipment with its
//! events and notifications.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_core::log;
use avisera_domain::NotificationId;
use avisera_store::NotificationRecord;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The log's filters; an empty value filters nothing (read by `avisera_core::log::LogQuery`).
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

impl From<LogQuery> for avisera_core::log::LogQuery {
    fn from(q: LogQuery) -> Self {
        avisera_core::log::LogQuery {
            status: q.status,
            channel: q.channel,
            trigger: q.trigger,
            tracking_number: q.tracking_number,
            before_id: q.before_id,
            limit: q.limit,
            from: q.from,
            until: q.until,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    #[schema(value_type = Vec<super::schema::NotificationDoc>)]
    notifications: Vec<NotificationRecord>,
}

/// The document of `avisera_core::log::ShipmentView`.
#[derive(ToSchema)]
#[schema(as = ShipmentView)]
#[allow(dead_code)]
pub struct ShipmentViewDoc {
    shipment: super::schema::ShipmentDoc,
    events: Vec<super::schema::StoredEventDoc>,
    notifications: Vec<super::schema::NotificationDoc>,
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
) -> Result<Json<NotificationList>, ApiError> {
    let filter = avisera_core::log::LogQuery::from(q).filter()?;
    Ok(Json(NotificationList {
        notifications: app.store.notifications(tenant, &filter).await?,
    }))
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
) -> Result<Json<log::WithHistory>, ApiError> {
    Ok(Json(
        log::notification(app.store.as_ref(), tenant, NotificationId(id)).await?,
    ))
}

/// A shipment with its events (unknown codes included) and notifications.
#[utoipa::path(get, path = "/v1/shipments/{tracking_number}", tag = "notifications", security(("apiKey" = [])),
    params(("tracking_number" = String, Path, description = "the shipment's tracking number")),
    responses(
        (status = 200, description = "the shipment", body = ShipmentViewDoc),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such shipment", body = super::api_doc::ErrorBody)))]
pub async fn shipment(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(tracking_number): Path<String>,
) -> Result<Json<log::ShipmentView>, ApiError> {
    Ok(Json(log::shipment(app.store.as_ref(), tenant, &tracking_number).await?))
}
