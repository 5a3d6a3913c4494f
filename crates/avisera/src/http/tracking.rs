//! The receiver's tracking page, in the tenant's brand and the receiver's language: where the
//! parcel is, when it comes, the pickup point, every event, whom to ask; and the page a wrong
//! or expired link gets instead, which says what to do.

mod colours;
mod dates;
mod language;
mod progress;

use super::pages::render_json;
use super::visits::Visitor;
use crate::app::App;
use avisera_domain::event::ShipmentDetails;
use avisera_domain::holidays::{self, Country};
use avisera_domain::mapping::{Mapping, Milestone};
use avisera_domain::opening_hours::describe;
use avisera_domain::shipment::Shipment;
use avisera_domain::tenant::{Brand, Tenant};
use avisera_domain::zone::zone_for_country;
use avisera_domain::{TenantId, Timestamp};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use language::Language;
use serde_json::{Value, json};

/// What a visitor asks of the page beyond its link: `?lang=` from the page's language switch,
/// and the browser's languages.
pub(crate) struct Asked {
    lang: Option<String>,
    accept_language: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Asked {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        Ok(Asked {
            lang: form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "lang")
                .map(|(_, v)| v.into_owned()),
            accept_language: parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        })
    }
}

impl Asked {
    /// The page's language: the switch, then `choices` in order, then the browser's.
    fn language<'a>(&'a self, choices: impl IntoIterator<Item = Option<&'a str>>) -> Language {
        let asked = std::iter::once(self.lang.as_deref());
        Language::choose(asked.chain(choices), self.accept_language.as_deref())
    }
}

/// Where a delivered parcel's "Rate your delivery" link goes (this installation's rating page
/// for the shipment's receiver); None before delivery or without a receiver.
fn rating_url(shipment: &Shipment) -> Option<String> {
    avisera_domain::rating::rating_link_for(&avisera_domain::links::PlainLinks(String::new()), shipment)
}

/// The "Rate your delivery" box of a delivered parcel's page: hidden without a URL.
fn rating_invitation(url: Option<String>) -> Option<Value> {
    url.map(|url| json!({ "url": url }))
}

/// The parts of the page every receiver page shares: brand, colours, language and its switch.
fn frame(language: Language, brand: &Brand, tenant: Option<TenantId>) -> Value {
    let palette = colours::palette(&colours::accent_colour(brand));
    let languages: Vec<_> = Language::ALL
        .iter()
        .map(|l| json!({"code": l.code(), "name": l.name(), "current": *l == language}))
        .collect();
    json!({
        "lang": language.code(), "brand": brand.brand_name, "t": language.words(&brand.brand_name),
        "colours": {"accent": palette.accent, "on_accent": palette.on_accent, "accent_text": palette.accent_text},
        "languages": languages,
        "logo": tenant.zip(brand.logo_id).map(|(t, l)| format!("/l/{t}/{l}")),
        "contact": contact(brand),
    })
}

/// The brand's customer service, when it has given one.
fn contact(brand: &Brand) -> Option<Value> {
    let email = brand.customer_service_email.as_ref().map(|e| e.as_str().to_string());
    let phone = brand.customer_service_phone.as_ref().map(|p| p.as_str().to_string());
    (email.is_some() || phone.is_some()).then(|| json!({"email": email, "phone": phone}))
}

fn with(mut base: Value, more: Value) -> Value {
    if let (Some(base), Value::Object(more)) = (base.as_object_mut(), more) {
        base.extend(more);
    }
    base
}

/// A wrong, altered or expired link: 404, and what to do. In the tenant's brand when the link
/// proved which tenant it is (a valid signature), else neutral: a tenant id anyone can type
/// must not show whose customers exist.
pub(crate) fn link_not_found(tenant: Option<&Tenant>, asked: &Asked) -> Response {
    let neutral = Brand::named("");
    let brand = tenant.map_or(&neutral, |t| &t.brand);
    let language = asked.language([tenant.map(|t| t.brand.default_language.as_str())]);
    let mut context = frame(language, brand, tenant.map(|t| t.id));
    if tenant.is_none() {
        context["brand"] = json!(language.word("neutral_brand"));
    }
    let mut answer = render_json("tracking_not_found.html", context);
    *answer.status_mut() = StatusCode::NOT_FOUND;
    answer
}

/// The link was signed for this tenant, but its shipment is not (or no longer) here.
pub(crate) async fn shipment_not_found(app: &App, tenant: TenantId, asked: &Asked) -> Response {
    match app.store.tenant(tenant).await {
        Ok(found) => link_not_found(found.as_ref(), asked),
        Err(e) => unavailable(&e),
    }
}

fn unavailable(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "could not read a tracking page");
    let retry = [(header::RETRY_AFTER, "5")];
    (StatusCode::SERVICE_UNAVAILABLE, retry, "Please try again in a moment.").into_response()
}

/// The tracking page of a verified link, after the visit is counted (`visits`).
pub(crate) async fn page(app: &App, tenant_id: TenantId, tracking: &str, visitor: &Visitor, asked: &Asked) -> Response {
    let (tenant, shipment, events) = match (
        app.store.tenant(tenant_id).await,
        app.store.shipment(tenant_id, tracking).await,
        app.store.shipment_events(tenant_id, tracking).await,
    ) {
        (Ok(Some(tenant)), Ok(Some(shipment)), Ok(events)) => (tenant, shipment, events),
        (Ok(tenant), Ok(None), _) => return link_not_found(tenant.as_ref(), asked),
        (Ok(None), _, _) => return link_not_found(None, asked),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return unavailable(&e),
    };
    let mapping = match crate::engine::effective_mapping(app, tenant_id).await {
        Ok(mapping) => mapping,
        Err(e) => return unavailable(&e),
    };
    super::visits::count(app, tenant_id, shipment.id, visitor).await;
    let d = &shipment.details;
    let language = asked.language([
        shipment.receiver.as_ref().and_then(|r| r.language.as_deref()),
        d.receiver_language.as_deref(),
        Some(tenant.brand.default_language.as_str()),
    ]);
    let zone = d
        .receiver_time_zone
        .as_deref()
        .and_then(|z| TimeZone::get(z).ok())
        .unwrap_or_else(|| zone_for_country(d.destination_country.as_deref()));
    let today = app.clock.now().to_zoned_datetime(zone.clone()).date();
    let ended = shipment.milestone.is_some_and(Milestone::is_final);

    let progress = progress::progress(shipment.milestone, d.pickup_point.is_some());
    let steps: Vec<_> = progress
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let state = match progress.current {
                Some(c) if i < c => "done",
                Some(c) if i == c => "current",
                _ => "todo",
            };
            json!({"label": language.word(step.key()), "state": state})
        })
        .collect();
    let events: Vec<_> = events
        .iter()
        .rev()
        .map(|e| {
            let at = e.occurred_at.to_zoned_datetime(zone.clone());
            json!({"when": dates::date_time(&at, language), "datetime": at.timestamp().to_string(),
                   "location": e.location, "what": event_text(&mapping, &e.code, language)})
        })
        .collect();
    let pickup = d
        .pickup_point
        .as_ref()
        .map(|p| json!({"name": p.name, "address": p.address}));
    let collect_by = d
        .pickup_point
        .as_ref()
        .and_then(|p| p.storage_deadline)
        .filter(|_| !ended)
        .map(|t| dates::long_date(t.to_zoned_datetime(zone.clone()).date(), language));
    let (hours, hours_text) = if ended {
        (Vec::new(), None)
    } else {
        opening_hours(d, today, language)
    };
    let expected = d
        .expected_delivery
        .as_deref()
        .filter(|_| !ended)
        .map(|e| expected_date(e, &zone, language));
    let rating = (shipment.milestone == Some(Milestone::Delivered))
        .then(|| rating_invitation(rating_url(&shipment)))
        .flatten();
    let context = with(
        frame(language, &tenant.brand, Some(tenant.id)),
        json!({
            "tracking_number": tracking, "steps": steps,
            "returned": shipment.milestone == Some(Milestone::Returned),
            "expected": expected, "pickup": pickup, "collect_by": collect_by,
            "hours": hours, "hours_text": hours_text, "events": events, "rating": rating,
        }),
    );
    render_json("tracking.html", context)
}

/// An event as the receiver reads it: what its trigger or milestone means, else "news from
/// the carrier" (a code in no table means nothing to a receiver).
fn event_text(mapping: &Mapping, code: &str, language: Language) -> &'static str {
    let meaning = mapping.lookup(code);
    let key = match (meaning.and_then(|m| m.trigger), meaning.and_then(|m| m.milestone)) {
        (Some(trigger), _) => format!("event_{}", trigger.slug()),
        (None, Some(milestone)) => format!("event_{}", milestone.slug()),
        (None, None) => "event_other".to_string(),
    };
    language.word(&key)
}

/// The expected delivery as the shipper gave it: a date or an instant, in words; anything
/// else as given.
fn expected_date(given: &str, zone: &TimeZone, language: Language) -> String {
    if let Ok(day) = given.parse::<jiff::civil::Date>() {
        return dates::long_date(day, language);
    }
    match given.parse::<Timestamp>() {
        Ok(at) => dates::long_date(at.to_zoned_datetime(zone.clone()).date(), language),
        Err(_) => given.to_string(),
    }
}

/// The pickup point's next seven days from `today` (day, times or closed, the holiday's name),
/// or, for hours we cannot read, the text as the carrier gave it.
fn opening_hours(d: &ShipmentDetails, today: jiff::civil::Date, language: Language) -> (Vec<Value>, Option<String>) {
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
    let week = hours
        .days_from(today, 7, |day| holiday(day).is_some())
        .into_iter()
        .map(|(day, spans)| {
            let times = match describe(spans) {
                t if t.is_empty() => language.word("closed").to_string(),
                t => t,
            };
            json!({"day": dates::short_day(day, language), "times": times, "holiday": holiday(day).map(|h| h.name)})
        })
        .collect();
    (week, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_trigger_and_milestone_reads_in_every_language() {
        let mapping = Mapping::defaults();
        for language in Language::ALL {
            for t in avisera_domain::trigger::Trigger::ALL {
                language.word(&format!("event_{}", t.slug()));
            }
            assert_eq!(
                event_text(mapping, "EN_ROUTE", language),
                language.word("event_in_transit")
            );
            assert_eq!(
                event_text(mapping, "NO_SUCH_CODE", language),
                language.word("event_other")
            );
        }
        assert_eq!(event_text(mapping, "DELIVERED", Language::Nb), "Levert");
        assert_eq!(event_text(mapping, "DELAYED", Language::Sv), "Paketet är försenat");
    }

    #[test]
    fn the_expected_delivery_reads_as_a_date_when_it_is_one() {
        let zone = TimeZone::get("Europe/Stockholm").unwrap();
        assert_eq!(expected_date("2026-12-08", &zone, Language::Nb), "tirsdag 8. desember");
        assert_eq!(
            expected_date("2026-12-08T23:30:00Z", &zone, Language::Sv),
            "onsdag 9 december"
        );
        assert_eq!(expected_date("next week", &zone, Language::Sv), "next week");
    }

    #[test]
    fn the_rating_box_shows_only_with_a_link() {
        assert_eq!(rating_invitation(None), None);
        assert_eq!(rating_invitation(Some("/r/abc".into())), Some(json!({"url": "/r/abc"})));
    }
}
