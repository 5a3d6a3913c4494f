//! Who is calling: the tenant whose API key (`avisera_core::tenants`) the request carries.

use super::error::ApiError;
use crate::app::App;
use avisera_domain::TenantId;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

/// The tenant whose API key authenticated the request.
pub struct Authenticated(pub TenantId);

impl FromRequestParts<App> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .or_else(|| parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()));
        let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
        let key = header.ok_or_else(|| unauthorized("send your API key as `Authorization: Bearer <key>`"))?;
        match avisera_core::tenants::by_api_key(app.store.as_ref(), key, app.clock.now()).await? {
            Some((tenant, label)) => {
                // Every log line of the request names its tenant (the request span's field).
                tracing::Span::current().record("tenant", tracing::field::display(tenant));
                parts.extensions.insert(Actor(format!("api key \"{label}\"")));
                Ok(Authenticated(tenant))
            }
            None => Err(unauthorized(
                "unknown API key; check it, or ask your operator for a new one",
            )),
        }
    }
}

/// Who is making the request, for audit histories: the API key's label.
#[derive(Clone)]
pub struct Actor(pub String);

impl FromRequestParts<App> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        if parts.extensions.get::<Actor>().is_none() {
            Authenticated::from_request_parts(parts, app).await?;
        }
        Ok(parts
            .extensions
            .get::<Actor>()
            .cloned()
            .expect("authentication names the actor"))
    }
}
