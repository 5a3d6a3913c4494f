//! Personal data (issue 15): `POST /v1/privacy/erase` erases what the tenant holds about one
//! receiver; `GET /v1/privacy/export` (and `POST`, which keeps the address out of the URL and
//! so out of access logs) returns it all as JSON, the receiver's right of access.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::privacy::{self, PersonalData};
use avisera_domain::privacy::Erased;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The person: exactly one of `phone`, `email` or `tracking_number` (the receiver of that
/// shipment).
#[derive(Deserialize, Serialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Person {
    /// A phone number, best in international form (`+46701234567`).
    #[schema(example = "+46701234567")]
    phone: Option<String>,
    #[schema(example = "anna@example.se")]
    email: Option<String>,
    tracking_number: Option<String>,
}

impl Person {
    fn subject(&self) -> Result<avisera_domain::privacy::Subject, ApiError> {
        Ok(privacy::subject(
            self.phone.as_deref(),
            self.email.as_deref(),
            self.tracking_number.as_deref(),
        )?)
    }
}

/// What an erase changed; all zeros when the tenant held nothing about the person.
#[derive(Serialize, ToSchema)]
pub struct ErasedDoc {
    /// Shipments that held the person's data (each keeps its journey, without them).
    erased: u64,
    shipments: u64,
    events: u64,
    notifications: u64,
    receivers: u64,
    /// Opt-outs and suppressions kept as a keyed hash, so they still hold.
    opt_outs_kept: u64,
}

impl From<Erased> for ErasedDoc {
    fn from(e: Erased) -> Self {
        ErasedDoc {
            erased: e.shipments,
            shipments: e.shipments,
            events: e.events,
            notifications: e.notifications,
            receivers: e.receivers,
            opt_outs_kept: e.opt_outs_kept,
        }
    }
}

/// Erases the person's name, phone, email and address from every shipment, stored event,
/// notification and log of the tenant; a message still waiting for them is cancelled, their
/// opt-out still holds (kept as a keyed hash), and the bill does not change.
#[utoipa::path(post, path = "/v1/privacy/erase", tag = "privacy", security(("apiKey" = [])),
    request_body(content = Person, content_type = "application/json"),
    responses(
        (status = 200, description = "what was erased (zeros when nothing was held)", body = ErasedDoc),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "none or several of phone, email and tracking_number, or one that does not parse", body = super::api_doc::ErrorBody)))]
pub async fn erase(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<ErasedDoc>, ApiError> {
    let person: Person = json::object(&body)?;
    let subject = person.subject()?;
    Ok(Json(crate::privacy::erase(&app, tenant, &subject).await?.into()))
}

/// Everything the tenant holds about a receiver (`avisera_core::privacy::PersonalData`).
#[derive(ToSchema)]
#[schema(as = PersonalData)]
#[allow(dead_code)]
pub struct PersonalDataDoc {
    /// Their addresses, the channels and language they chose, and when they opted out.
    receiver: Option<Object>,
    /// Each of their shipments with its events and notifications (content included).
    shipments: Vec<Object>,
}

type Object = serde_json::Map<String, serde_json::Value>;

/// What the tenant holds about the person, as JSON: the right of access. Prefer `POST` with
/// the same body, which keeps the address out of the URL.
#[utoipa::path(get, path = "/v1/privacy/export", tag = "privacy", security(("apiKey" = [])), params(Person),
    responses(
        (status = 200, description = "everything held about the person (empty lists when nothing)", body = PersonalDataDoc),
        (status = 400, description = "an unknown parameter", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 422, description = "none or several of phone, email and tracking_number, or one that does not parse", body = super::api_doc::ErrorBody)))]
pub async fn export(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Query(person): Query<Person>,
) -> Result<Json<PersonalData>, ApiError> {
    let subject = person.subject()?;
    Ok(Json(privacy::export(app.store.as_ref(), tenant, &subject).await?))
}

/// `GET /v1/privacy/export` with the person in the body.
#[utoipa::path(post, path = "/v1/privacy/export", tag = "privacy", security(("apiKey" = [])),
    request_body(content = Person, content_type = "application/json"),
    responses(
        (status = 200, description = "everything held about the person (empty lists when nothing)", body = PersonalDataDoc),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "none or several of phone, email and tracking_number, or one that does not parse", body = super::api_doc::ErrorBody)))]
pub async fn export_posted(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<PersonalData>, ApiError> {
    let person: Person = json::object(&body)?;
    let subject = person.subject()?;
    Ok(Json(privacy::export(app.store.as_ref(), tenant, &subject).await?))
}
