//! `POST /v1/webhooks/tracking/{tenant}`: a carrier pushes tracking events, signed with the
//! tenant's webhook secret (format and signature in `ingest::webhook`). No API key: the
//! signature is the authentication. `POST /v1/webhooks/secret` (API key) sets a new secret
//! and shows it once; the old one stops working at once.

use super::auth::Authenticated;
use super::error::ApiError;
use super::events::{EventKey, EventResult, EventResults};
use super::json;
use crate::app::App;
use crate::ingest::webhook::{SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, TrackingEvent, field_name, verify};
use crate::metrics::Source;
use avisera_domain::TenantId;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};

const MAX_EVENTS: usize = 10_000;

/// The body: one event, an array of 1 to 10,000, or an object with `events` (other keys are
/// ignored).
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum TrackingBatch {
    List(Vec<TrackingEvent>),
    Wrapped(TrackingList),
    One(TrackingEvent),
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct TrackingList {
    #[schema(min_items = 1, max_items = 10000)]
    events: Vec<TrackingEvent>,
}

/// A carrier's signed tracking push (no API key: the signature is the authentication).
/// `X-Avisera-Signature` is `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the
/// tenant's webhook secret; the timestamp (Unix seconds) must be within 5 minutes.
#[utoipa::path(post, path = "/v1/webhooks/tracking/{tenant}", tag = "events",
    params(
        ("tenant" = i64, Path, description = "the tenant's id"),
        ("x-avisera-timestamp" = String, Header, description = "Unix seconds of the signature"),
        ("x-avisera-signature" = String, Header, description = "sha256=<hex>")),
    request_body(content = TrackingBatch, content_type = "application/json"),
    responses(
        (status = 202, description = "every event accepted or a duplicate", body = super::events::EventResults),
        (status = 207, description = "some events rejected (listed); the others stored", body = super::events::EventResults),
        (status = 400, description = "malformed JSON, an empty body, or a tenant that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "a missing, wrong or stale signature (the same for a tenant without a secret)", body = super::api_doc::ErrorBody),
        (status = 413, description = "more than 10,000 events, or a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "no events, or none could be accepted", body = super::events::Unprocessable)))]
pub async fn tracking(
    State(app): State<App>,
    Path(tenant): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<super::events::EventResults>), ApiError> {
    let tenant = TenantId(tenant);
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // A tenant without a secret (or no such tenant) is checked against a random one, so it gets
    // exactly the answer a wrong signature gets: the 401 does not tell which tenants exist or
    // have a webhook.
    let known = app.store.webhook_secret(tenant).await?;
    let secret = known.clone().unwrap_or_else(avisera_core::tenants::new_webhook_secret);
    let checked = verify(
        &secret,
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
        app.clock.now(),
    )
    .and_then(|()| known.map(drop).ok_or(SignatureError::Mismatch));
    if let Err(e) = checked {
        let code = match e {
            SignatureError::Stale(_) => "stale_signature",
            _ => "bad_signature",
        };
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, code, e.to_string()));
    }

    let items = json::batch(&body, MAX_EVENTS, true)?.items;
    if items.is_empty() {
        return Err(ApiError::invalid(
            "invalid_batch",
            format!("send 1 to {MAX_EVENTS} events"),
        ));
    }
    let mut results: Vec<Option<EventResult>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    let now = app.clock.now();
    let (good, refused) = json::check_each(items, |ev: TrackingEvent| {
        ev.into_input()
            .check_at(now)
            .map_err(|e| (Some(field_name(&e.field).to_string()), e.message))
    });
    for (i, field, message) in refused {
        results[i] = Some(EventResult::rejected(i, field, message));
    }
    let (index, valid): (Vec<usize>, Vec<_>) = good.into_iter().unzip();
    let rejected = results.iter().filter(|r| r.is_some()).count();
    app.metrics.events(Source::Webhook, "rejected", rejected as u64);
    let outcomes = app.ingest().events(Source::Webhook, tenant, &valid).await?;
    let (status, answer) = EventResults::of(results, index, &valid, outcomes, EventKey::ItemId);
    Ok((status, Json(answer)))
}

/// A new webhook secret, shown once; the old one stops working at once.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WebhookSecret {
    secret: String,
    /// Where the carrier posts.
    url: String,
    note: &'static str,
}

/// Sets a new webhook secret and shows it once (the old one stops working).
#[utoipa::path(post, path = "/v1/webhooks/secret", tag = "events", security(("apiKey" = [])),
    responses(
        (status = 201, description = "the new secret", body = WebhookSecret),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn rotate_secret(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
) -> Result<(StatusCode, Json<WebhookSecret>), ApiError> {
    let secret = avisera_core::tenants::rotate_webhook_secret(app.store.as_ref(), tenant, app.clock.now()).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookSecret {
            url: format!(
                "{}/v1/webhooks/tracking/{}",
                app.config.public_url.trim_end_matches('/'),
                tenant.0
            ),
            secret,
            note: "shown once; the previous secret no longer works",
        }),
    ))
}
