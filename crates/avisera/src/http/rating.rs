//! The receiver's rating page, `/r/<receiver token>/<shipment>`: GET shows five star buttons
//! (so a link preview or a HEAD records nothing), one POST records the stars, and the page
//! then thanks, offers a comment box and a way to change the stars. One rating per shipment.

use super::pages::render_json;
use super::receiver::{language, not_found, texts, unavailable};
use crate::app::App;
use avisera_core::ratings::{self, Rateable};
use avisera_domain::rating::{MAX_COMMENT_CHARS, Rating, RatingError, RatingForm};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;
use std::collections::BTreeMap;

/// The shipment the link names; `Err` is the answer when it names none.
async fn find(app: &App, token: &str, shipment: &str) -> Result<Rateable, Response> {
    match ratings::find(app.store.as_ref(), token, shipment).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(not_found()),
        Err(e) => {
            tracing::error!(error = %e, "could not read a rating link");
            Err(unavailable())
        }
    }
}

/// The page in one of its modes: `ask` (no stars yet), `thanks` (stars just given),
/// `rated` (given before), `commented` (comment saved); with an error and the comment typed.
fn page(
    found: &Rateable,
    rating: Option<&Rating>,
    mode: &str,
    error: Option<&RatingError>,
    typed: Option<&str>,
) -> Response {
    let tenant = &found.tenant;
    let chosen = found
        .receiver
        .language
        .as_deref()
        .or(found.shipment.details.receiver_language.as_deref())
        .unwrap_or(&tenant.brand.default_language);
    let lang = language(chosen);
    let brand = &tenant.brand.brand_name;
    let t = texts(lang, brand);
    let error = error.map(|e| match e {
        RatingError::CommentTooLong(_) => t["rate_comment_too_long"].replace("{max}", &MAX_COMMENT_CHARS.to_string()),
        RatingError::Stars(_) | RatingError::NoStars | RatingError::Nothing => t["rate_bad_stars"].clone(),
    });
    render_json(
        "rating.html",
        json!({
            "lang": lang, "brand": brand, "t": t, "mode": mode, "error": error,
            "colour": tenant.brand.colour.as_str(), "on_colour": tenant.brand.colour.text_on(),
            "logo": tenant.brand.logo_id.map(|l| format!("/l/{}/{l}", tenant.id)),
            "tracking_number": found.shipment.tracking_number,
            "stars": rating.map(|r| r.stars.get()),
            "comment": typed.map(str::to_string).or_else(|| rating.and_then(|r| r.comment.clone())),
            "max_comment": MAX_COMMENT_CHARS,
        }),
    )
}

/// The rating page: five stars to choose from, or the rating given so far. Records nothing.
#[utoipa::path(get, path = "/r/{token}/{shipment}", tag = "receiver",
    params(
        ("token" = String, Path, description = "the receiver's link token (19 characters, 0-9 and a-z)"),
        ("shipment" = String, Path, description = "the shipment's id, one of that receiver's")),
    responses(
        (status = 200, description = "the rating page, in the receiver's language and the tenant's brand", content_type = "text/html", body = String),
        (status = 404, description = "a link that names no shipment of a receiver", content_type = "text/plain", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn rating_page(State(app): State<App>, Path((token, shipment)): Path<(String, String)>) -> Response {
    match find(&app, &token, &shipment).await {
        Ok(found) => {
            let mode = if found.rating.is_some() { "rated" } else { "ask" };
            page(&found, found.rating.as_ref(), mode, None, None)
        }
        Err(answer) => answer,
    }
}

/// Records the stars (a second POST changes them: one rating per shipment) and the comment, from
/// the page's form (`application/x-www-form-urlencoded`): `stars` (`1` to `5`, replacing the
/// stars given before) and `comment` (at most 1000 characters; empty removes it; needs stars
/// given now or before). No CSRF token, like the opt-out: the link's token is the only
/// credential, and the worst a forged POST can do is what the link's holder can. (The body is
/// described here rather than as a schema: a form carries only text, so a schema's types say
/// less than these words.)
#[utoipa::path(post, path = "/r/{token}/{shipment}", tag = "receiver",
    params(
        ("token" = String, Path, description = "the receiver's link token (19 characters, 0-9 and a-z)"),
        ("shipment" = String, Path, description = "the shipment's id, one of that receiver's")),
    responses(
        (status = 200, description = "recorded: thanks, the comment box and a way to change the stars", content_type = "text/html", body = String),
        (status = 404, description = "a link that names no shipment of a receiver", content_type = "text/plain", body = String),
        (status = 422, description = "stars outside 1-5, a comment over 1000 characters, a comment before any stars, or neither stars nor a comment: the page again, saying what to fix; nothing recorded", content_type = "text/html", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn rate(State(app): State<App>, Path((token, shipment)): Path<(String, String)>, body: Bytes) -> Response {
    let found = match find(&app, &token, &shipment).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let rating_form = RatingForm {
        stars: form.get("stars").map(String::as_str),
        comment: form.get("comment").map(String::as_str),
    };
    match ratings::record(app.store.as_ref(), &found, rating_form, app.clock.now()).await {
        Ok(Ok(rating)) => {
            let mode = if rating_form.stars.is_some() {
                "thanks"
            } else {
                "commented"
            };
            page(&found, Some(&rating), mode, None, None)
        }
        Ok(Err(e)) => {
            let mode = if found.rating.is_some() { "rated" } else { "ask" };
            let mut answer = page(&found, found.rating.as_ref(), mode, Some(&e), rating_form.comment);
            *answer.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            answer
        }
        Err(e) => {
            tracing::error!(error = %e, "could not record a rating");
            unavailable()
        }
    }
}
