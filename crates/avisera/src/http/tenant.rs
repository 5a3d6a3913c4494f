//! The tenant's own record and brand.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::tenants::{self, Logo};
use avisera_domain::tenant::{Brand, Tenant};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::Value;

/// The tenant of the API key: its plan, brand and billing settings.
#[utoipa::path(get, path = "/v1/tenant", tag = "tenant", security(("apiKey" = [])),
    responses(
        (status = 200, description = "the tenant", body = super::schema::TenantDoc),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn get_tenant(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
) -> Result<Json<Tenant>, ApiError> {
    Ok(Json(tenants::get(app.store.as_ref(), tenant).await?))
}

/// Sets the (default) brand: what receivers see of the shipper. Without `logo_id` the logo
/// stays, without `colour` the colour.
#[utoipa::path(put, path = "/v1/tenant/brand", tag = "tenant", security(("apiKey" = [])),
    request_body(content = super::schema::BrandDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "the brand as stored", body = super::schema::BrandDoc),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong (named)", body = super::api_doc::ErrorBody)))]
pub async fn put_brand(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<Brand>, ApiError> {
    let mut brand: Brand = json::object(&body)?;
    // The logo is chosen in the portal; a client that does not send `logo_id` keeps it, and
    // one that does not send `colour` (written before brands had one) keeps the colour.
    let sent = serde_json::from_slice::<Value>(&body).unwrap_or_default();
    let logo = if sent.get("logo_id").is_some() {
        Logo::AsGiven
    } else {
        Logo::Keep
    };
    if sent.get("colour").is_none() {
        brand.colour = tenants::get(app.store.as_ref(), tenant).await?.brand.colour;
    }
    Ok(Json(tenants::set_brand(app.store.as_ref(), tenant, brand, logo).await?))
}
