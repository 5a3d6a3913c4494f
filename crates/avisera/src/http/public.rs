//! What a receiver opens from a message: the shipment's tracking page (`tracking`) and the
//! opt-out page. Both are reached by signed links (see `links`); a wrong or altered link is
//! not found.

use super::pages::render_json;
use super::tracking::{self, Asked};
use super::visits::Visitor;
use crate::app::App;
use crate::links::LinkKind;
use avisera_domain::contact::{EmailAddress, PhoneNumber};
use avisera_domain::{ShipmentId, TenantId};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not found").into_response()
}

fn swedish(lang: &str) -> bool {
    matches!(lang, "sv" | "no" | "nb" | "nn" | "da")
}

const LANG_PARAM: &str = "the page's language (its language switch): sv, nb, da, fi or en; others are passed over";

/// `/s/{tenant}/{shipment}/{token}`: the short link messages carry.
#[utoipa::path(get, path = "/s/{tenant}/{shipment}/{token}", tag = "receiver",
    params(("tenant" = i64, Path), ("shipment" = i64, Path), ("token" = String, Path, description = "the link's signature"),
        ("lang" = Option<String>, Query, description = LANG_PARAM)),
    responses(
        (status = 200, description = "the shipment's tracking page", content_type = "text/html", body = String),
        (status = 400, description = "a path parameter that does not parse", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong, altered or expired link: a page that says what to do", content_type = "text/html", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn shipment_page(
    State(app): State<App>,
    Path((tenant, shipment, token)): Path<(i64, i64, String)>,
    visitor: Visitor,
    asked: Asked,
) -> Response {
    let tenant_id = TenantId(tenant);
    if !app
        .links
        .verify_short(LinkKind::Shipment, tenant_id, &shipment.to_string(), &token)
    {
        return tracking::link_not_found(None, &asked);
    }
    match app.store.shipment_by_id(tenant_id, ShipmentId(shipment)).await {
        Ok(Some(s)) => tracking::page(&app, tenant_id, &s.tracking_number, &visitor, &asked).await,
        _ => tracking::shipment_not_found(&app, tenant_id, &asked).await,
    }
}

/// `/t/{tenant}/{tracking_number}/{token}`: the first, longer form of the link.
#[utoipa::path(get, path = "/t/{tenant}/{tracking_number}/{token}", tag = "receiver",
    params(("tenant" = i64, Path), ("tracking_number" = String, Path), ("token" = String, Path, description = "the link's signature"),
        ("lang" = Option<String>, Query, description = LANG_PARAM)),
    responses(
        (status = 200, description = "the shipment's tracking page", content_type = "text/html", body = String),
        (status = 400, description = "a path parameter that does not parse", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong, altered or expired link: a page that says what to do", content_type = "text/html", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn tracking(
    State(app): State<App>,
    Path((tenant, tracking, token)): Path<(i64, String, String)>,
    visitor: Visitor,
    asked: Asked,
) -> Response {
    let tenant_id = TenantId(tenant);
    if !app.links.verify(LinkKind::Tracking, tenant_id, &tracking, &token) {
        return tracking::link_not_found(None, &asked);
    }
    tracking::page(&app, tenant_id, &tracking, &visitor, &asked).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OptOutQuery {
    /// The address (phone or email) the link is for.
    a: String,
}

async fn opt_out_page(app: App, tenant: i64, token: String, address: String, confirm: bool) -> Response {
    let tenant_id = TenantId(tenant);
    // Only addresses Avisera itself wrote into a link verify; they are already normalised.
    let valid = EmailAddress::parse(&address).is_ok() || PhoneNumber::parse(&address, None).is_ok();
    if !valid || !app.links.verify(LinkKind::Unsubscribe, tenant_id, &address, &token) {
        return not_found();
    }
    let Ok(Some(tenant)) = app.store.tenant(tenant_id).await else {
        return not_found();
    };
    // A link sent before receivers: the address's receiver opts out, on every address.
    if let Ok(Some(receiver)) = app.store.receiver_of(tenant_id, &address).await {
        return match (confirm, receiver.opted_out_at) {
            (false, None) => super::receiver::page(&tenant, &receiver, "ask", None),
            (false, Some(_)) => super::receiver::page(&tenant, &receiver, "done", None),
            (true, _) => match super::receiver::opt_out_now(&app, tenant_id, receiver, app.clock.now()).await {
                Ok(r) => super::receiver::page(&tenant, &r, "done", None),
                Err(answer) => answer,
            },
        };
    }
    if confirm && let Err(e) = app.store.opt_out(tenant_id, &address, app.clock.now()).await {
        tracing::error!(error = %e, "could not record an opt-out");
        let retry = [(axum::http::header::RETRY_AFTER, "5")];
        return (StatusCode::SERVICE_UNAVAILABLE, retry, "Please try again in a moment.").into_response();
    }
    let done = confirm || matches!(app.store.opted_out(tenant_id, &address).await, Ok(Some(_)));
    let sv = swedish(&tenant.brand.default_language);
    let brand = tenant.brand.brand_name.clone();
    let t = if sv {
        json!({"ask": format!("Vill du sluta få meddelanden från {brand}?"), "confirm": "Ja, avsluta",
               "done": format!("Klart. {brand} skickar inga fler meddelanden till dig.")})
    } else {
        json!({"ask": format!("Stop messages from {brand}?"), "confirm": "Yes, stop them",
               "done": format!("Done. {brand} will send you no more messages.")})
    };
    render_json(
        "unsubscribe.html",
        json!({"lang": tenant.brand.default_language, "brand": brand, "address": address, "done": done, "t": t}),
    )
}

/// The opt-out page of a message's unsubscribe link: asks before stopping.
#[utoipa::path(get, path = "/u/{tenant}/{token}", tag = "receiver",
    params(("tenant" = i64, Path), ("token" = String, Path, description = "the link's signature"), OptOutQuery),
    responses(
        (status = 200, description = "the opt-out page", content_type = "text/html", body = String),
        (status = 400, description = "a path or query parameter that does not parse, or no `a`", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong or altered link; under a receiver's own link (`/u/<token>/...`), a page in the receiver's language", content(
            (String = "text/plain"), (String = "text/html")))))]
pub async fn unsubscribe_page(
    State(app): State<App>,
    Path((tenant, token)): Path<(String, String)>,
    query: Result<Query<OptOutQuery>, QueryRejection>,
) -> Response {
    match old_link(&app, &tenant, query).await {
        Ok((tenant, q)) => opt_out_page(app, tenant, token, q.a, false).await,
        Err(answer) => answer,
    }
}

/// An old link's tenant and address; a path under a receiver's own link (`/u/<token>/extra`,
/// whose first part is a token, not a tenant) is answered with a page in their language.
async fn old_link(
    app: &App,
    first: &str,
    query: Result<Query<OptOutQuery>, QueryRejection>,
) -> Result<(i64, OptOutQuery), Response> {
    let Ok(tenant) = first.parse::<i64>() else {
        return Err(super::receiver::unknown_page(app, first)
            .await
            .unwrap_or_else(not_found));
    };
    match query {
        Ok(Query(q)) => Ok((tenant, q)),
        Err(rejection) => Err(rejection.into_response()),
    }
}

/// One click (or a mail client's List-Unsubscribe-Post) stops further messages at once.
#[utoipa::path(post, path = "/u/{tenant}/{token}", tag = "receiver",
    params(("tenant" = i64, Path), ("token" = String, Path, description = "the link's signature"), OptOutQuery),
    responses(
        (status = 200, description = "the opt-out page", content_type = "text/html", body = String),
        (status = 400, description = "a path or query parameter that does not parse, or no `a`", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong or altered link; under a receiver's own link (`/u/<token>/...`), a page in the receiver's language", content(
            (String = "text/plain"), (String = "text/html")))))]
pub async fn unsubscribe(
    State(app): State<App>,
    Path((tenant, token)): Path<(String, String)>,
    query: Result<Query<OptOutQuery>, QueryRejection>,
) -> Response {
    match old_link(&app, &tenant, query).await {
        Ok((tenant, q)) => opt_out_page(app, tenant, token, q.a, true).await,
        Err(answer) => answer,
    }
}

/// A tenant's logo, public because every email shows it.
#[utoipa::path(get, path = "/l/{tenant}/{logo}", tag = "receiver",
    params(("tenant" = i64, Path), ("logo" = i64, Path)),
    responses(
        (status = 200, description = "the logo", content(
            (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (String = "image/svg+xml"))),
        (status = 400, description = "a path parameter that does not parse", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong or altered link", content_type = "text/plain", body = String)))]
pub async fn logo(state: State<App>, path: Path<(i64, i64)>) -> Response {
    crate::portal::public_logo(state, path).await
}
