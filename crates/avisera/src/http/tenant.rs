//! The tenant's own record and brand.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_core::tenants;
use avisera_domain::tenant::{Brand, Tenant};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;

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
    // The same reading as `PUT /v1/brands/0`: what is not sent of the logo and colour stays.
    let store = app.store.as_ref();
    let current = tenants::get(store, tenant).await?.brand;
    let (brand, logo) = super::brands::parsed(&body, Some(&current))?;
    Ok(Json(tenants::set_brand(store, tenant, brand, logo).await?))
}
