//! The tenant's API keys as a program sees them: how each begins, its label, when it was made
//! and when it was last used (to the minute), so a script can find the keys nothing uses any
//! more. Never a key, nor what it is stored as; keys are made and revoked in the portal.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_store::ApiKeyInfo;
use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Newest first.
    api_keys: Vec<ApiKey>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKey {
    /// How the key begins (`av_` and 8 hex digits); empty for keys made before it was kept.
    prefix: String,
    label: String,
    #[schema(value_type = String, format = DateTime)]
    created_at: String,
    /// When a request last used it, to the minute or so; null when never.
    #[schema(value_type = Option<String>, format = DateTime)]
    last_used_at: Option<String>,
}

impl From<ApiKeyInfo> for ApiKey {
    fn from(k: ApiKeyInfo) -> Self {
        ApiKey {
            prefix: k.prefix,
            label: k.label,
            created_at: k.created_at.to_string(),
            last_used_at: k.last_used_at.map(|t| t.to_string()),
        }
    }
}

/// The tenant's API keys, newest first, with when each was last used.
#[utoipa::path(get, path = "/v1/api-keys", tag = "tenant", security(("apiKey" = [])),
    responses(
        (status = 200, description = "the keys (never the keys themselves)", body = ApiKeyList),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn list(State(app): State<App>, Authenticated(tenant): Authenticated) -> Result<Json<ApiKeyList>, ApiError> {
    let keys = app.store.api_keys(tenant).await?;
    Ok(Json(ApiKeyList {
        api_keys: keys.into_iter().map(ApiKey::from).collect(),
    }))
}
