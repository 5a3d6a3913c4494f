//! The tenant's suppressed addresses: hard bounces and spam complaints (with the reason) and
//! opt-outs, listed and lifted. Addresses go in the body, never in a URL.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::receipts;
use avisera_store::Suppression;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuppressionQuery {
    /// How many (newest first); 100 when left out, at most 1000.
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct SuppressionList {
    #[schema(value_type = Vec<SuppressionDoc>)]
    suppressions: Vec<Suppression>,
    /// What a suppression does.
    note: &'static str,
}

/// `store::Suppression`.
#[derive(ToSchema)]
#[schema(as = Suppression)]
#[allow(dead_code)]
pub struct SuppressionDoc {
    address: String,
    /// Why: a hard bounce or a spam complaint with the provider's reason; null for an opt-out
    /// by the receiver's link.
    reason: Option<String>,
    #[schema(format = DateTime)]
    at: String,
}

/// The address to lift.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lift {
    address: String,
}

#[derive(Serialize, ToSchema)]
pub struct Lifted {
    lifted: String,
}

/// The tenant's suppressed addresses, newest first: every later message to one is cancelled
/// with the reason, and after a bounce or complaint an email rule with an SMS fallback sends
/// the SMS instead.
#[utoipa::path(get, path = "/v1/suppressions", tag = "receipts", security(("apiKey" = [])), params(SuppressionQuery),
    responses(
        (status = 200, description = "the suppressed addresses", body = SuppressionList),
        (status = 400, description = "a parameter that does not parse, or an unknown one", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Query(q): Query<SuppressionQuery>,
) -> Result<Json<SuppressionList>, ApiError> {
    if q.limit.is_some_and(|n| !(1..=receipts::MAX_SUPPRESSIONS).contains(&n)) {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("limit: use 1 to {}", receipts::MAX_SUPPRESSIONS),
        )
        .with(serde_json::json!({ "field": "limit" })));
    }
    Ok(Json(SuppressionList {
        suppressions: receipts::suppressions(app.store.as_ref(), tenant, q.limit).await?,
        note: "messages to these addresses are cancelled with the reason; lift one with POST /v1/suppressions/lift",
    }))
}

/// Lifts a suppression (a bounce, a complaint or an opt-out): the address gets messages again.
#[utoipa::path(post, path = "/v1/suppressions/lift", tag = "receipts", security(("apiKey" = [])),
    request_body(content = Lift, content_type = "application/json"),
    responses(
        (status = 200, description = "lifted", body = Lifted),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "the address is not suppressed", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a body without `address`", body = super::api_doc::ErrorBody)))]
pub async fn lift(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<Lifted>, ApiError> {
    let Lift { address } = json::object(&body)?;
    receipts::lift(app.store.as_ref(), tenant, &address).await?;
    Ok(Json(Lifted {
        lifted: address.trim().to_lowercase(),
    }))
}
