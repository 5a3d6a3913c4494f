//! The HTTP API: handlers parse input into domain types, call one function, and map its error
//! to a response. Every `/v1` route is authenticated by a tenant API key and sees only that
//! tenant's data.

mod api_doc;
mod api_keys;
mod auth;
mod billing;
mod brands;
mod dev_inbox;
mod edifact;
mod error;
mod events;
mod holidays;
pub(crate) mod json;
mod notifications;
mod ops;
mod pages;
mod plain;
mod privacy;
mod public;
mod rating;
mod ratings;
mod receipts;
mod receiver;
mod replay;
mod rules;
mod schema;
mod stats;
mod suppressions;
mod templates;
mod tenant;
mod tracking;
mod visits;
mod webhooks;

pub use error::ApiError;

use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router(app: App) -> Router {
    let limit = app.config.max_body_bytes;
    let (documented, _) = documented().split_for_parts();
    documented
        // The portal is HTML forms for people (session and CSRF token), not part of the API.
        .merge(crate::portal::router())
        .fallback(error::fallback)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(app.clone(), plain::json_errors))
        .with_state(app)
}

/// Every route of the API with its documentation: `routes!` registers a handler and its
/// `#[utoipa::path]` together, so a route cannot be served undocumented (a test checks that
/// this function registers nothing else).
pub(crate) fn documented() -> OpenApiRouter<App> {
    OpenApiRouter::with_openapi(api_doc::ApiDoc::openapi())
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(api_doc::openapi))
        .routes(routes!(api_doc::docs))
        .routes(routes!(ops::metrics))
        .routes(routes!(dev_inbox::home))
        .routes(routes!(dev_inbox::inbox))
        .routes(routes!(public::tracking))
        .routes(routes!(public::shipment_page))
        .routes(routes!(visits::notification_page))
        .routes(routes!(visits::open_pixel))
        .routes(routes!(public::unsubscribe_page, public::unsubscribe))
        .routes(routes!(receiver::opt_out_page, receiver::opt_out))
        .routes(routes!(receiver::preferences_page, receiver::save_preferences))
        .routes(routes!(rating::rating_page, rating::rate))
        .routes(routes!(public::logo))
        .routes(routes!(events::post_events))
        .routes(routes!(tenant::get_tenant))
        .routes(routes!(tenant::put_brand))
        .routes(routes!(api_keys::list))
        .routes(routes!(brands::list, brands::create))
        .routes(routes!(brands::get_one, brands::update, brands::delete))
        .routes(routes!(billing::put_billing))
        .routes(routes!(billing::get_bill))
        .routes(routes!(billing::count))
        .routes(routes!(ops::triggers))
        .routes(routes!(holidays::list))
        .routes(routes!(ops::mapping, ops::put_mapping, ops::delete_mapping))
        .routes(routes!(templates::list, templates::create))
        .routes(routes!(templates::preview))
        .routes(routes!(templates::get_one, templates::update))
        .routes(routes!(rules::list, rules::create))
        .routes(routes!(rules::get_one, rules::update, rules::delete))
        .routes(routes!(rules::enable))
        .routes(routes!(rules::disable))
        .routes(routes!(rules::history))
        .routes(routes!(replay::replay))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::get_one))
        .routes(routes!(notifications::shipment))
        .routes(routes!(edifact::upload))
        .routes(routes!(webhooks::tracking))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(receipts::sms))
        .routes(routes!(receipts::sms_of_provider))
        .routes(routes!(receipts::email))
        .routes(routes!(suppressions::list))
        .routes(routes!(suppressions::lift))
        .routes(routes!(stats::get_stats))
        .routes(routes!(privacy::erase))
        .routes(routes!(privacy::export, privacy::export_posted))
        .routes(routes!(ratings::list))
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

#[cfg(test)]
mod tests {
    /// `documented()` is the one place routes are added, and only through `routes!`, which
    /// documents each one; a plain `.route(...)` there would serve an undocumented endpoint.
    #[test]
    fn every_route_is_registered_with_its_documentation() {
        let source = include_str!("mod.rs");
        let body = &source[source.find("fn documented()").unwrap()..];
        let body = &body[..body.find("\n}\n").unwrap()];
        for line in body.lines().skip(2) {
            let line = line.trim();
            assert!(
                line.starts_with(".routes(routes!(") && line.ends_with("))"),
                "a route registered without documentation: {line}"
            );
        }
        let router = &source[source.find("pub fn router(").unwrap()..source.find("fn documented()").unwrap()];
        assert!(
            !router.contains(".route("),
            "router() serves a route that is not in documented()"
        );
    }
}
