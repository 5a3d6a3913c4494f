//! The tenant's own record and brand.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_domain::tenant::Brand;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Value, json};

pub async fn get_tenant(State(app): State<App>, Authenticated(tenant): Authenticated) -> Result<Json<Value>, ApiError> {
    let t = app
        .store
        .tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok(Json(json!(t)))
}

pub async fn put_brand(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut brand: Brand = json::object(&body)?;
    let current = app
        .store
        .tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    // The logo is chosen in the portal; a client that does not send `logo_id` keeps it.
    let names_logo = serde_json::from_slice::<Value>(&body).is_ok_and(|v| v.get("logo_id").is_some());
    if !names_logo {
        brand.logo_id = current.brand.logo_id;
    } else if let Some(logo) = brand.logo_id
        && app.store.logo(tenant, logo).await?.is_none()
    {
        return Err(
            ApiError::invalid("invalid_brand", format!("logo_id: there is no logo {logo}"))
                .with(json!({"field": "logo_id"})),
        );
    }
    brand.check().map_err(|(field, m)| {
        ApiError::invalid("invalid_brand", format!("{field}: {m}")).with(json!({"field": field}))
    })?;
    app.store.update_brand(tenant, &brand).await?;
    Ok(Json(json!(brand)))
}
