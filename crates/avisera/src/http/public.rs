//! What a receiver opens from a message: the shipment's tracking page and the opt-out page.
//! Both are reached by signed links (see `links`); a wrong or altered link is simply not found.

use super::pages::render_json;
use super::visits::Visitor;
use crate::app::App;
use crate::links::LinkKind;
use avisera_domain::contact::{EmailAddress, PhoneNumber};
use avisera_domain::holidays::{self, Country};
use avisera_domain::mapping::Milestone;
use avisera_domain::opening_hours::describe;
use avisera_domain::zone::zone_for_country;
use avisera_domain::{ShipmentId, TenantId};
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

fn milestone_text(m: Option<Milestone>, sv: bool) -> &'static str {
    match (m, sv) {
        (Some(Milestone::Announced), true) => "Bokad hos transportören",
        (Some(Milestone::Announced), false) => "Booked with the carrier",
        (Some(Milestone::InTransit), true) => "På väg",
        (Some(Milestone::InTransit), false) => "On its way",
        (Some(Milestone::AtPickupPoint), true) => "Redo att hämtas",
        (Some(Milestone::AtPickupPoint), false) => "Ready for pickup",
        (Some(Milestone::OutForDelivery), true) => "Ute för leverans",
        (Some(Milestone::OutForDelivery), false) => "Out for delivery",
        (Some(Milestone::Delivered), true) => "Levererat",
        (Some(Milestone::Delivered), false) => "Delivered",
        (Some(Milestone::Returned), true) => "Skickat tillbaka till avsändaren",
        (Some(Milestone::Returned), false) => "Returned to the sender",
        (None, true) => "Registrerat",
        (None, false) => "Registered",
    }
}

/// `/s/{tenant}/{shipment}/{token}`: the short link messages carry.
#[utoipa::path(get, path = "/s/{tenant}/{shipment}/{token}", tag = "receiver",
    params(("tenant" = i64, Path), ("shipment" = i64, Path), ("token" = String, Path, description = "the link's signature")),
    responses(
        (status = 200, description = "the shipment's tracking page", content_type = "text/html", body = String),
        (status = 400, description = "a path parameter that does not parse", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong or altered link", content_type = "text/plain", body = String)))]
pub async fn shipment_page(
    State(app): State<App>,
    Path((tenant, shipment, token)): Path<(i64, i64, String)>,
    visitor: Visitor,
) -> Response {
    let tenant_id = TenantId(tenant);
    if !app
        .links
        .verify_short(LinkKind::Shipment, tenant_id, &shipment.to_string(), &token)
    {
        return not_found();
    }
    match app.store.shipment_by_id(tenant_id, ShipmentId(shipment)).await {
        Ok(Some(s)) => page(&app, tenant_id, &s.tracking_number, &visitor).await,
        _ => not_found(),
    }
}

/// `/t/{tenant}/{tracking_number}/{token}`: the first, longer form of the link.
#[utoipa::path(get, path = "/t/{tenant}/{tracking_number}/{token}", tag = "receiver",
    params(("tenant" = i64, Path), ("tracking_number" = String, Path), ("token" = String, Path, description = "the link's signature")),
    responses(
        (status = 200, description = "the shipment's tracking page", content_type = "text/html", body = String),
        (status = 400, description = "a path parameter that does not parse", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong or altered link", content_type = "text/plain", body = String)))]
pub async fn tracking(
    State(app): State<App>,
    Path((tenant, tracking, token)): Path<(i64, String, String)>,
    visitor: Visitor,
) -> Response {
    let tenant_id = TenantId(tenant);
    if !app.links.verify(LinkKind::Tracking, tenant_id, &tracking, &token) {
        return not_found();
    }
    page(&app, tenant_id, &tracking, &visitor).await
}

/// The tracking page, after the visit is counted (`visits`).
pub(crate) async fn page(app: &App, tenant_id: TenantId, tracking: &str, visitor: &Visitor) -> Response {
    let (Ok(Some(tenant)), Ok(Some(shipment)), Ok(events)) = (
        app.store.tenant(tenant_id).await,
        app.store.shipment(tenant_id, tracking).await,
        app.store.shipment_events(tenant_id, tracking).await,
    ) else {
        return not_found();
    };
    super::visits::count(app, tenant_id, shipment.id, visitor).await;
    let d = &shipment.details;
    let lang = d
        .receiver_language
        .clone()
        .unwrap_or_else(|| tenant.brand.default_language.clone());
    let sv = swedish(&lang);
    let zone = d
        .receiver_time_zone
        .as_deref()
        .and_then(|z| jiff::tz::TimeZone::get(z).ok())
        .unwrap_or_else(|| zone_for_country(d.destination_country.as_deref()));
    let Ok(mapping) = crate::engine::effective_mapping(app, tenant_id).await else {
        return not_found();
    };
    let local = |t: avisera_domain::Timestamp| t.to_zoned_datetime(zone.clone()).strftime("%Y-%m-%d %H:%M").to_string();
    let events: Vec<_> = events
        .iter()
        .rev()
        .map(|e| {
            let what = match mapping.lookup(&e.code) {
                Some(m) if m.milestone.is_some() => milestone_text(m.milestone, sv).to_string(),
                Some(m) => m
                    .trigger
                    .map(|t| t.title().to_string())
                    .unwrap_or_else(|| e.code.clone()),
                None => e.code.clone(),
            };
            json!({"when": local(e.occurred_at), "location": e.location, "what": what})
        })
        .collect();
    let t = if sv {
        json!({"parcel": "Paket", "pickup": "Utlämningsställe", "collect_by": "hämta senast", "history": "Händelser", "nothing": "Inga händelser än.", "hours": "Öppettider"})
    } else {
        json!({"parcel": "Parcel", "pickup": "Pickup point", "collect_by": "collect by", "history": "History", "nothing": "Nothing yet.", "hours": "Opening hours"})
    };
    let pickup = d
        .pickup_point
        .as_ref()
        .map(|p| json!({"name": p.name, "address": p.address}));
    let deadline = d.pickup_point.as_ref().and_then(|p| p.storage_deadline).map(local);
    let today = app.clock.now().to_zoned_datetime(zone.clone()).date();
    let (hours, hours_text) = opening_hours(d, today, sv);
    render_json(
        "tracking.html",
        json!({
            "lang": lang, "brand": tenant.brand.brand_name, "tracking_number": tracking,
            "status": milestone_text(shipment.milestone, sv), "events": events, "t": t,
            "pickup": pickup, "deadline": deadline, "hours": hours, "hours_text": hours_text,
            "logo": tenant.brand.logo_id.map(|l| format!("/l/{}/{l}", tenant.id)),
        }),
    )
}

/// The pickup point's next seven days from `today` (day, times or closed, the holiday's name),
/// or, for hours we cannot read, the text as the carrier gave it.
fn opening_hours(
    d: &avisera_domain::event::ShipmentDetails,
    today: jiff::civil::Date,
    sv: bool,
) -> (Vec<serde_json::Value>, Option<String>) {
    let Some(point) = &d.pickup_point else {
        return (Vec::new(), None);
    };
    let Some(hours) = point.hours() else {
        return (Vec::new(), point.opening_hours.clone());
    };
    let country = d.destination_country.as_deref().and_then(|c| c.parse::<Country>().ok());
    let holiday = |day| {
        country
            .and_then(|c| holidays::holiday_on(c, day))
            .filter(|h| !h.de_facto)
    };
    let names = if sv {
        ["mån", "tis", "ons", "tor", "fre", "lör", "sön"]
    } else {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    };
    let week = hours
        .days_from(today, 7, |day| holiday(day).is_some())
        .into_iter()
        .map(|(day, spans)| {
            let name = names[day.weekday().to_monday_zero_offset() as usize];
            let times = match describe(spans) {
                t if t.is_empty() && sv => "stängt".to_string(),
                t if t.is_empty() => "closed".to_string(),
                t => t,
            };
            json!({"day": format!("{name} {}/{}", day.day(), day.month()), "times": times,
                   "holiday": holiday(day).map(|h| h.name)})
        })
        .collect();
    (week, None)
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
        (status = 404, description = "a wrong or altered link", content_type = "text/plain", body = String)))]
pub async fn unsubscribe_page(
    State(app): State<App>,
    Path((tenant, token)): Path<(i64, String)>,
    Query(q): Query<OptOutQuery>,
) -> Response {
    opt_out_page(app, tenant, token, q.a, false).await
}

/// One click (or a mail client's List-Unsubscribe-Post) stops further messages at once.
#[utoipa::path(post, path = "/u/{tenant}/{token}", tag = "receiver",
    params(("tenant" = i64, Path), ("token" = String, Path, description = "the link's signature"), OptOutQuery),
    responses(
        (status = 200, description = "the opt-out page", content_type = "text/html", body = String),
        (status = 400, description = "a path or query parameter that does not parse, or no `a`", content_type = "text/plain", body = String),
        (status = 404, description = "a wrong or altered link", content_type = "text/plain", body = String)))]
pub async fn unsubscribe(
    State(app): State<App>,
    Path((tenant, token)): Path<(i64, String)>,
    Query(q): Query<OptOutQuery>,
) -> Response {
    opt_out_page(app, tenant, token, q.a, true).await
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
