//! Track & Trace: find a shipment by tracking number, order reference, phone or email; see
//! its events and every notification with status and content; send one by hand (logged and
//! billed like any other, through the same outbox and worker).

use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::manual::{self, HandSent};
use avisera_domain::TemplateId;
use avisera_domain::contact::PhoneNumber;
use avisera_domain::notification::Channel;
use avisera_domain::user::Role;
use avisera_store::{NotificationFilter, ShipmentSearch};
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    /// Read leniently: a page number that is not one is the first page.
    page: Option<String>,
}

/// Shipments shown per page of results.
const PER_PAGE: usize = 50;
/// Shipments each kind of search may give, at most.
const MOST: u32 = 200;

/// The searches a query can mean: a whole tracking number, order reference, email or phone
/// (also one written without `+`), a part of a tracking number (4 characters or more) or of
/// the receiver's name.
fn searches(query: &str) -> Vec<ShipmentSearch> {
    let mut searches = vec![ShipmentSearch::TrackingNumber(query.to_string())];
    let upper = query.to_uppercase();
    if upper != query {
        searches.push(ShipmentSearch::TrackingNumber(upper));
    }
    searches.push(ShipmentSearch::OrderReference(query.to_string()));
    if query.contains('@') {
        searches.push(ShipmentSearch::Email(query.to_string()));
        return searches;
    }
    // A national number means different things in each Nordic country: try them all; digits
    // that start with a Nordic country code (46701234562) are also an international number.
    let digits: String = query.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let mut phones: Vec<String> = ["SE", "NO", "DK", "FI"]
        .into_iter()
        .filter_map(|c| PhoneNumber::parse(query, Some(c)).ok())
        .chain(
            (digits.len() >= 10 && digits.chars().all(|c| c.is_ascii_digit()))
                .then(|| PhoneNumber::parse(&format!("+{digits}"), None).ok())
                .flatten(),
        )
        .map(|p| p.to_string())
        .collect();
    phones.sort();
    phones.dedup();
    searches.extend(phones.into_iter().map(ShipmentSearch::Phone));
    if query.chars().count() >= 4 {
        searches.push(ShipmentSearch::TrackingNumberPart(query.to_string()));
    }
    if query.chars().count() >= 2 && query.chars().any(char::is_alphabetic) {
        searches.push(ShipmentSearch::ReceiverName(query.to_string()));
    }
    searches
}

pub async fn search(
    State(app): State<App>,
    signed: Signed,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PortalError> {
    let query = q.q.unwrap_or_default().trim().to_string();
    let mut found: Vec<avisera_domain::shipment::Shipment> = Vec::new();
    if !query.is_empty() && query.len() <= 200 {
        let tenant = signed.tenant.id;
        for s in &searches(&query) {
            for shipment in app.store.find_shipments(tenant, s, MOST).await? {
                if !found.iter().any(|f| f.tracking_number == shipment.tracking_number) {
                    found.push(shipment);
                }
            }
        }
        // One hit: straight to it.
        if found.len() == 1 {
            let to = format!("/portal/track/{}", crate::links::query_value(&found[0].tracking_number));
            return Ok(Redirect::to(&to).into_response());
        }
    }
    // Newest news first, then a page of them.
    found.sort_by_key(|s| std::cmp::Reverse(s.last_event_at));
    let total = found.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q
        .page
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown: Vec<_> = found.into_iter().skip((page - 1) * PER_PAGE).take(PER_PAGE).collect();
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "track.html",
        "track",
        context! { q => query, shipments => view::ser(&shown), total => total, first => (page - 1) * PER_PAGE + 1,
        page => page, pages => pages },
    ))
}

/// The send-by-hand form as it comes back to the person: what they typed, the field an error
/// is about, and the question before a long SMS.
#[derive(Default)]
struct SendForm {
    typed: HashMap<String, String>,
    field: Option<String>,
    confirm: Option<avisera_core::billing::SmsQuote>,
}

/// The fields of the form, so a page shown afresh has each (empty).
const FORM_FIELDS: [&str; 7] = [
    "channel",
    "to",
    "sms_template_id",
    "email_template_id",
    "subject",
    "text",
    "brand_id",
];

/// An SMS typed by hand longer than this many segments is sent only once confirmed.
const CONFIRM_ABOVE_SEGMENTS: usize = 3;

async fn show(
    app: &App,
    signed: &Signed,
    tracking_number: &str,
    message: Option<String>,
    error: Option<String>,
    form: SendForm,
) -> Result<Response, PortalError> {
    let tenant = signed.tenant.id;
    let shipment = app
        .store
        .shipment(tenant, tracking_number)
        .await?
        .ok_or(PortalError::NotFound)?;
    let events = app.store.shipment_events(tenant, tracking_number).await?;
    // Each code with what it means (the tenant's own mapping over the operator's), so a reader
    // sees "Arrived at pickup point", not AVAILABLE_FOR_DELIVERY_PAR_LOC.
    let mapping = avisera_core::ingest::effective_mapping(app.store.as_ref(), &app.mapping, tenant).await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            let meaning = mapping.lookup(&e.code);
            context! { code => e.code.clone(), occurred_at => e.occurred_at.to_string(), location => e.location.clone(),
            unknown_code => e.unknown_code,
            trigger => meaning.and_then(|m| m.trigger).map(|t| t.slug()),
            milestone => meaning.and_then(|m| m.milestone).map(|m| m.slug()) }
        })
        .collect();
    let filter = NotificationFilter {
        tracking_number: Some(tracking_number.to_string()),
        limit: 500,
        ..Default::default()
    };
    let notifications = app.store.notifications(tenant, &filter).await?;
    let senders = super::home::senders_of(app, signed, &notifications).await?;
    let templates = app.store.templates(tenant).await?;
    let options = |channel: Channel| -> Vec<Value> {
        templates
            .iter()
            .filter(|t| t.channel == channel)
            .map(|t| context! { id => t.id.0, name => t.name.clone() })
            .collect()
    };
    let prices = app.config.prices.for_plan(signed.tenant.plan);
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "shipment.html",
        "track",
        context! {
            shipment => view::ser(&shipment),
            events => events,
            notifications => super::words::notifications(signed.lang, &notifications),
            senders => senders,
            sms_templates => options(Channel::Sms),
            email_templates => options(Channel::Email),
            send_key => super::session::new_token(),
            message => message,
            error => error.map(|e| super::words::say(signed.lang, &e)),
            send_field => form.field,
            confirm => form.confirm.map(view::ser),
            typed => FORM_FIELDS
                .iter()
                .map(|k| (*k, form.typed.get(*k).cloned().unwrap_or_default()))
                .collect::<HashMap<_, _>>(),
            brands => signed.tenant.brands.iter().map(|b| context! { id => b.id.0, name => b.brand.brand_name.clone() }).collect::<Vec<_>>(),
            default_brand_name => signed.tenant.brand.brand_name.clone(),
            segment_price_ore => prices.sms_segment_ore.0,
            money => view::ser(super::format::amount_style(signed.lang)),
            transliterate => signed.tenant.billing.transliterate_sms,
        },
    ))
}

pub async fn shipment(
    State(app): State<App>,
    signed: Signed,
    Path(tracking_number): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    let message = q.contains_key("sent").then(|| {
        super::text::get(signed.lang, "manual_sent")
            .unwrap_or("Sent")
            .to_string()
    });
    show(&app, &signed, &tracking_number, message, None, SendForm::default()).await
}

/// `POST /portal/track/{tracking_number}/send`: channel, a template or free text, an
/// optional recipient, and a one-time key so a resubmitted form sends once.
pub async fn send(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(tracking_number): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    signed.submits(super::csrf_in(&f), &headers, Role::Editor)?;
    let channel = if get("channel") == "email" {
        Channel::Email
    } else {
        Channel::Sms
    };
    let template_field = if channel == Channel::Sms {
        "sms_template_id"
    } else {
        "email_template_id"
    };
    let to = get("to");
    let text = f.get("text").cloned().unwrap_or_default().replace("\r\n", "\n");
    let typed = || -> HashMap<String, String> {
        FORM_FIELDS
            .iter()
            .map(|k| (k.to_string(), f.get(*k).cloned().unwrap_or_default()))
            .collect()
    };
    // A long SMS typed by hand costs several messages: asked once more, with its price.
    if channel == Channel::Sms && get(template_field).is_empty() {
        let quote = avisera_core::billing::sms_quote(
            &text,
            signed.tenant.billing.transliterate_sms,
            app.config.prices.for_plan(signed.tenant.plan),
        );
        let confirmed = get("confirmed").parse::<usize>().ok() == Some(quote.segments);
        if quote.segments > CONFIRM_ABOVE_SEGMENTS && !confirmed {
            let form = SendForm {
                typed: typed(),
                field: None,
                confirm: Some(quote),
            };
            return show(&app, &signed, &tracking_number, None, None, form).await;
        }
    }
    let (by, key) = (signed.user.id.to_string(), get("send_key"));
    let what = HandSent {
        channel,
        template: get(template_field).parse::<i64>().ok().map(TemplateId),
        subject: Some(get("subject")).filter(|s| !s.is_empty()),
        text,
        to: &to,
        by: &by,
        key: &key,
        brand: get("brand_id").parse::<i64>().ok().map(avisera_domain::BrandId),
    };
    let links = &*app.links;
    match manual::send(
        app.store.as_ref(),
        links,
        &signed.tenant,
        &tracking_number,
        what,
        app.clock.now(),
    )
    .await
    {
        Ok(true) => {
            app.wake_workers();
            tracing::info!(tenant = %signed.tenant.id, user = %signed.user.id, tracking_number, "sent by hand");
        }
        Ok(false) => {}
        Err(avisera_core::Error::Invalid { code, message, field }) if code != manual::NO_SEND_KEY => {
            let form = SendForm {
                typed: typed(),
                field,
                confirm: None,
            };
            let mut r = show(&app, &signed, &tracking_number, None, Some(message), form).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Redirect::to(&format!(
        "/portal/track/{}?sent=1",
        crate::links::query_value(&tracking_number)
    ))
    .into_response())
}
