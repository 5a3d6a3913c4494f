//! Every brand of the tenant over the API: the default one (id 0, also `PUT /v1/tenant/brand`)
//! and the others a rule or a message sent by hand can pick ("one or more logos for your brands").

use super::auth::{Actor, Authenticated};
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::tenants::{self, Logo};
use avisera_domain::BrandId;
use avisera_domain::tenant::{Brand, Tenant};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One brand: id 0 is the default brand, the one every message without another carries.
#[derive(Serialize, ToSchema)]
pub struct BrandEntry {
    /// 0 for the default brand; a rule's `brand_id` names one of the others.
    id: i64,
    /// Whether it is the default brand (id 0).
    default: bool,
    #[schema(value_type = super::schema::BrandDoc)]
    brand: Brand,
}

#[derive(Serialize, ToSchema)]
pub struct BrandList {
    /// The default brand first, then the others by id.
    brands: Vec<BrandEntry>,
}

fn entry(id: BrandId, brand: &Brand) -> BrandEntry {
    BrandEntry {
        id: id.0,
        default: id.0 == 0,
        brand: brand.clone(),
    }
}

/// Brand `id` of the tenant: 0 is the default one.
fn find(tenant: &Tenant, id: i64) -> Result<&Brand, ApiError> {
    if id == 0 {
        return Ok(&tenant.brand);
    }
    tenant
        .brands
        .iter()
        .find(|b| b.id.0 == id)
        .map(|b| &b.brand)
        .ok_or_else(|| avisera_core::Error::not_found(format!("brand {id}")).into())
}

/// The brand in a body; without `logo_id` or `colour`, those of `current` (a new brand: none
/// and the default colour). The logo is chosen in the portal, so a client that does not send
/// `logo_id` keeps it (`Logo::Keep`), and one written before brands had a colour keeps that.
pub(super) fn parsed(body: &[u8], current: Option<&Brand>) -> Result<(Brand, Logo), ApiError> {
    let mut brand: Brand = json::object(body)?;
    let sent = serde_json::from_slice::<Value>(body).unwrap_or_default();
    let logo = if sent.get("logo_id").is_some() {
        Logo::AsGiven
    } else {
        Logo::Keep
    };
    if let Some(current) = current {
        if matches!(logo, Logo::Keep) {
            brand.logo_id = current.logo_id;
        }
        if sent.get("colour").is_none() {
            brand.colour = current.colour.clone();
        }
    }
    Ok((brand, logo))
}

/// Every brand of the tenant, the default one (id 0) first.
#[utoipa::path(get, path = "/v1/brands", tag = "tenant", security(("apiKey" = [])),
    responses(
        (status = 200, description = "the brands", body = BrandList),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn list(State(app): State<App>, Authenticated(tenant): Authenticated) -> Result<Json<BrandList>, ApiError> {
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    let brands = std::iter::once(entry(BrandId(0), &tenant.brand))
        .chain(tenant.brands.iter().map(|b| entry(b.id, &b.brand)))
        .collect();
    Ok(Json(BrandList { brands }))
}

/// Adds a brand beside the default one; a rule (`brand_id`) or a message sent by hand picks
/// it. Its `logo_id`, if any, is a logo uploaded in the portal; without `colour`, the default.
#[utoipa::path(post, path = "/v1/brands", tag = "tenant", security(("apiKey" = [])),
    request_body(content = super::schema::BrandDoc, content_type = "application/json"),
    responses(
        (status = 201, description = "the brand with its id", body = BrandEntry),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong (named), an unknown logo, or 50 brands already", body = super::api_doc::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<(StatusCode, Json<BrandEntry>), ApiError> {
    let (brand, _) = parsed(&body, None)?;
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    let id = tenants::save_other_brand(app.store.as_ref(), &tenant, None, brand.clone()).await?;
    Ok((StatusCode::CREATED, Json(entry(id, &brand))))
}

/// One brand; 0 is the default brand.
#[utoipa::path(get, path = "/v1/brands/{id}", tag = "tenant", security(("apiKey" = [])),
    params(("id" = i64, Path, description = "the brand's id (0: the default brand)")),
    responses(
        (status = 200, description = "the brand", body = BrandEntry),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such brand", body = super::api_doc::ErrorBody)))]
pub async fn get_one(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
) -> Result<Json<BrandEntry>, ApiError> {
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    Ok(Json(entry(BrandId(id), find(&tenant, id)?)))
}

/// Replaces a brand (0: the default brand, as `PUT /v1/tenant/brand`). Without `logo_id` the
/// logo stays, without `colour` the colour.
#[utoipa::path(put, path = "/v1/brands/{id}", tag = "tenant", security(("apiKey" = [])),
    params(("id" = i64, Path, description = "the brand's id (0: the default brand)")),
    request_body(content = super::schema::BrandDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "the brand as stored", body = BrandEntry),
        (status = 400, description = "malformed JSON, an empty body, or an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such brand", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong (named), or an unknown logo", body = super::api_doc::ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<BrandEntry>, ApiError> {
    let store = app.store.as_ref();
    let tenant = tenants::get(store, tenant).await?;
    let current = find(&tenant, id)?;
    let (brand, logo) = parsed(&body, Some(current))?;
    if id == 0 {
        let brand = tenants::set_brand(store, tenant.id, brand, logo).await?;
        return Ok(Json(entry(BrandId(0), &brand)));
    }
    tenants::save_other_brand(store, &tenant, Some(BrandId(id)), brand.clone()).await?;
    Ok(Json(entry(BrandId(id), &brand)))
}

/// Removes a brand; rules that named it send in the default brand from then on (their history
/// says so). The default brand (0) cannot be removed, only changed.
#[utoipa::path(delete, path = "/v1/brands/{id}", tag = "tenant", security(("apiKey" = [])),
    params(("id" = i64, Path, description = "the brand's id (not 0, the default brand)")),
    responses(
        (status = 204, description = "removed"),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such brand", body = super::api_doc::ErrorBody),
        (status = 422, description = "the default brand (0), which can only be changed", body = super::api_doc::ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Actor(actor): Actor,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if id == 0 {
        return Err(avisera_core::Error::field(
            "invalid_brand",
            "id",
            "the default brand (0) cannot be removed; change it with PUT /v1/brands/0",
        )
        .into());
    }
    let store = app.store.as_ref();
    let tenant = tenants::get(store, tenant).await?;
    tenants::remove_other_brand(store, &tenant, app.change(&actor), BrandId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
