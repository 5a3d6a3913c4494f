//! The tenant's own record and brand.

use super::auth::Authenticated;
use super::error::{ApiError, parse_json};
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
    let brand: Brand = parse_json(&body)?;
    brand.check().map_err(|(field, m)| {
        ApiError::invalid("invalid_brand", format!("{field}: {m}")).with(json!({"field": field}))
    })?;
    app.store.update_brand(tenant, &brand).await?;
    Ok(Json(json!(brand)))
}
