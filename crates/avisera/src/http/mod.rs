//! The HTTP API: handlers parse input into domain types, call one function, and map its error
//! to a response. Every `/v1` route is authenticated by a tenant API key and sees only that
//! tenant's data.

mod auth;
pub(crate) mod billing;
mod dev_inbox;
mod edifact;
mod error;
mod events;
mod json;
pub(crate) mod notifications;
mod ops;
mod pages;
mod plain;
mod public;
pub(crate) mod rules;
pub(crate) mod templates;
mod tenant;
mod webhooks;

pub use auth::{hash_api_key, new_api_key};
pub use error::ApiError;
pub use webhooks::new_secret as new_webhook_secret;

use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub fn router(app: App) -> Router {
    let limit = app.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/openapi.json", get(ops::openapi))
        .route("/metrics", get(ops::metrics))
        .route("/", get(dev_inbox::home))
        .route("/dev/inbox", get(dev_inbox::inbox))
        .route("/t/{tenant}/{tracking_number}/{token}", get(public::tracking))
        .route("/s/{tenant}/{shipment}/{token}", get(public::shipment_page))
        .route(
            "/u/{tenant}/{token}",
            get(public::unsubscribe_page).post(public::unsubscribe),
        )
        .route("/v1/events", post(events::post_events))
        .route("/v1/tenant", get(tenant::get_tenant))
        .route("/v1/tenant/brand", axum::routing::put(tenant::put_brand))
        .route("/v1/tenant/billing", axum::routing::put(billing::put_billing))
        .route("/v1/bill", get(billing::get_bill))
        .route("/v1/triggers", get(ops::triggers))
        .route(
            "/v1/mapping",
            get(ops::mapping).put(ops::put_mapping).delete(ops::delete_mapping),
        )
        .route("/v1/sms/count", post(billing::count))
        .route("/v1/templates", get(templates::list).post(templates::create))
        .route("/v1/templates/preview", post(templates::preview))
        .route("/v1/templates/{id}", get(templates::get_one).put(templates::update))
        .route("/v1/rules", get(rules::list).post(rules::create))
        .route("/v1/rules/{id}", get(rules::get_one).put(rules::update))
        .route("/v1/rules/{id}/enable", post(rules::enable))
        .route("/v1/rules/{id}/disable", post(rules::disable))
        .route("/v1/rules/{id}/history", get(rules::history))
        .route("/v1/notifications", get(notifications::list))
        .route("/v1/notifications/{id}", get(notifications::get_one))
        .route("/v1/shipments/{tracking_number}", get(notifications::shipment))
        .route("/l/{tenant}/{logo}", get(crate::portal::public_logo))
        .merge(crate::portal::router())
        .route("/v1/edifact", post(edifact::upload))
        .route("/v1/webhooks/tracking/{tenant}", post(webhooks::tracking))
        .route("/v1/webhooks/secret", post(webhooks::rotate_secret))
        .fallback(error::not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), plain::json_errors))
        .with_state(app)
}

/// What a node without the `api` role serves: probes and metrics.
pub fn ops_router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(error::not_found)
        .with_state(app)
}

/// Every (method, path) the router serves, for the OpenAPI completeness test.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
    ("get", "/metrics"),
    ("get", "/"),
    ("get", "/dev/inbox"),
    ("get", "/t/{tenant}/{tracking_number}/{token}"),
    ("get", "/s/{tenant}/{shipment}/{token}"),
    ("get", "/u/{tenant}/{token}"),
    ("post", "/u/{tenant}/{token}"),
    ("post", "/v1/events"),
    ("get", "/v1/tenant"),
    ("put", "/v1/tenant/brand"),
    ("put", "/v1/tenant/billing"),
    ("get", "/v1/bill"),
    ("get", "/v1/triggers"),
    ("get", "/v1/mapping"),
    ("put", "/v1/mapping"),
    ("delete", "/v1/mapping"),
    ("post", "/v1/sms/count"),
    ("get", "/v1/templates"),
    ("post", "/v1/templates"),
    ("post", "/v1/templates/preview"),
    ("get", "/v1/templates/{id}"),
    ("put", "/v1/templates/{id}"),
    ("get", "/v1/rules"),
    ("post", "/v1/rules"),
    ("get", "/v1/rules/{id}"),
    ("put", "/v1/rules/{id}"),
    ("post", "/v1/rules/{id}/enable"),
    ("post", "/v1/rules/{id}/disable"),
    ("get", "/v1/rules/{id}/history"),
    ("get", "/v1/notifications"),
    ("get", "/v1/notifications/{id}"),
    ("get", "/v1/shipments/{tracking_number}"),
    ("get", "/l/{tenant}/{logo}"),
    ("post", "/v1/edifact"),
    ("post", "/v1/webhooks/tracking/{tenant}"),
    ("post", "/v1/webhooks/secret"),
];
