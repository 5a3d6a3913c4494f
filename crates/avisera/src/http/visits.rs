//! Counting people on the tracking page: the link in a message names its notification
//! (`/s/{tenant}/{shipment}/{token}/{code}`), so a visit counts for that notification and
//! for its shipment's page; the shipment-only links count for the page. An email of a tenant
//! whose open tracking is on carries a 1×1 image (`/o/...`, the same code) that counts its
//! opens. HEAD requests and known link-preview bots (`domain::visit`) count for nothing.

use super::tracking::{self, Asked};
use crate::app::App;
use crate::links::LinkKind;
use avisera_core::stats::{self, Counted, Opened};
use avisera_domain::visit::Request;
use avisera_domain::{ShipmentId, TenantId};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Who asks for a tracking page, as far as counting goes, and the notification code its link
/// carried (none for the shipment-only links).
pub(crate) struct Visitor {
    method: Method,
    user_agent: Option<String>,
    code: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Visitor {
            method: parts.method.clone(),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            code: None,
        })
    }
}

/// Counts the visit to the shipment's page (and its notification's link). The page is shown
/// whatever happens here: a failure to count is logged, never the receiver's problem.
pub(crate) async fn count(app: &App, tenant: TenantId, shipment: ShipmentId, visitor: &Visitor) {
    let code_of = |key: &str| app.links.notification_code(tenant, key);
    let request = Request {
        method: visitor.method.as_str(),
        user_agent: visitor.user_agent.as_deref(),
    };
    let counted = stats::visit(
        app.store.as_ref(),
        tenant,
        shipment,
        visitor.code.as_deref(),
        &code_of,
        request,
        app.clock.now(),
    )
    .await;
    let label = match counted {
        Ok(Counted::LinkVisit(id)) => {
            tracing::debug!(tenant = tenant.0, notification = id.0, "link visit");
            "link_visit"
        }
        Ok(Counted::PageView) => "page_view",
        Ok(Counted::Nothing) => "not_counted",
        Err(e) => {
            tracing::warn!(tenant = tenant.0, shipment = shipment.0, error = %e, "a visit was not counted");
            "failed"
        }
    };
    app.metrics.tracking_visit(label);
}

/// `/s/{tenant}/{shipment}/{token}/{code}`: the link messages carry, naming the notification.
#[utoipa::path(get, path = "/s/{tenant}/{shipment}/{token}/{code}", tag = "receiver",
    params(("tenant" = i64, Path), ("shipment" = i64, Path),
        ("token" = String, Path, description = "the link's signature"),
        ("code" = String, Path, description = "which of the shipment's notifications carried the link"),
        ("lang" = Option<String>, Query, description = "the page's language (its language switch): sv, nb, da, fi or en; others are passed over")),
    responses(
        (status = 200, description = "the shipment's tracking page", content_type = "text/html", body = String),
        (status = 400, description = "a path parameter that does not parse", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong, altered or expired link: a page that says what to do", content_type = "text/html", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn notification_page(
    State(app): State<App>,
    Path((tenant, shipment, token, code)): Path<(i64, i64, String, String)>,
    mut visitor: Visitor,
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
        Ok(Some(s)) => {
            // A code is at most 8 base-36 digits; anything else names no notification.
            visitor.code =
                (code.len() <= 8 && code.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())).then_some(code);
            tracking::page(&app, tenant_id, &s.tracking_number, &visitor, &asked).await
        }
        _ => tracking::shipment_not_found(&app, tenant_id, &asked).await,
    }
}

/// A transparent 1×1 GIF: what an email's open-tracking image shows.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// `/o/{tenant}/{shipment}/{token}/{code}`: the image in an email of a tenant whose open
/// tracking is on; fetching it counts an open of the email the code names (not a HEAD
/// request, not a preview bot, not while the tenant's open tracking is off). The image is
/// the same whatever was counted, and never cached, so each open asks again.
#[utoipa::path(get, path = "/o/{tenant}/{shipment}/{token}/{code}", tag = "receiver",
    params(("tenant" = i64, Path), ("shipment" = i64, Path),
        ("token" = String, Path, description = "the image's signature"),
        ("code" = String, Path, description = "which of the shipment's notifications carried the image")),
    responses(
        (status = 200, description = "a transparent 1×1 GIF", content((Vec<u8> = "image/gif"))),
        (status = 400, description = "a path parameter that does not parse", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong or altered link", content_type = "text/plain", body = String)))]
pub async fn open_pixel(
    State(app): State<App>,
    Path((tenant, shipment, token, code)): Path<(i64, i64, String, String)>,
    visitor: Visitor,
) -> Response {
    let tenant_id = TenantId(tenant);
    if !app
        .links
        .verify_short(LinkKind::Open, tenant_id, &shipment.to_string(), &token)
    {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let counted = match app.store.tenant(tenant_id).await {
        Ok(Some(t)) => {
            let code_of = |key: &str| app.links.notification_code(tenant_id, key);
            let request = Request {
                method: visitor.method.as_str(),
                user_agent: visitor.user_agent.as_deref(),
            };
            stats::open(
                app.store.as_ref(),
                &t,
                ShipmentId(shipment),
                &code,
                &code_of,
                request,
                app.clock.now(),
            )
            .await
        }
        Ok(None) => return (StatusCode::NOT_FOUND, "Not found").into_response(),
        Err(e) => Err(e.into()),
    };
    let label = match counted {
        Ok(Opened::Open(id)) => {
            tracing::debug!(tenant, notification = id.0, "email opened");
            "email_open"
        }
        Ok(Opened::Nothing) => "not_counted",
        Err(e) => {
            tracing::warn!(tenant, shipment, error = %e, "an open was not counted");
            "failed"
        }
    };
    app.metrics.tracking_visit(label);
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store, private"),
        ],
        PIXEL,
    )
        .into_response()
}
