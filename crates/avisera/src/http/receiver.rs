//! The receiver's own pages, reached by the random token of its links (no tenant, no address
//! in them): the opt-out page `/u/<token>` (what stops, one POST to confirm, a way back) and
//! the preference centre `/p/<token>` (SMS, email or both, and the language).

use super::pages::render_json;
use crate::app::App;
use avisera_domain::receiver::{Reach, Receiver, ReceiverToken};
use avisera_domain::tenant::Tenant;
use avisera_domain::{TenantId, Timestamp};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The languages a receiver can choose, with their names in themselves.
const LANGUAGES: [(&str, &str); 5] = [
    ("sv", "Svenska"),
    ("nb", "Norsk"),
    ("da", "Dansk"),
    ("fi", "Suomi"),
    ("en", "English"),
];

/// The page's texts by language (the columns of `receiver_text.tsv` after the key).
static TEXT: LazyLock<BTreeMap<&'static str, BTreeMap<&'static str, &'static str>>> = LazyLock::new(|| {
    let texts = avisera_core::texts::read("receiver_text.tsv", include_str!("receiver_text.tsv"))
        .unwrap_or_else(|e| panic!("{e}"));
    avisera_core::texts::by_language(&texts, avisera_core::texts::LANGUAGES)
});

/// The page's language: a chosen one if we have it, Norwegian by any of its codes.
pub(super) fn language(lang: &str) -> &'static str {
    match lang.to_ascii_lowercase().as_str() {
        "no" | "nb" | "nn" => "nb",
        l => LANGUAGES.iter().find(|(c, _)| *c == l).map(|(c, _)| *c).unwrap_or("en"),
    }
}

pub(super) fn texts(lang: &str, brand: &str) -> BTreeMap<&'static str, String> {
    TEXT[language(lang)]
        .iter()
        .map(|(k, v)| (*k, v.replace("{brand}", brand)))
        .collect()
}

pub(super) fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        "This link is not known. Use the newest message you got, or contact the sender.",
    )
        .into_response()
}

/// A page under a receiver's link that does not exist (`/u/<token>/extra`): said in the
/// receiver's language and brand, with the way to their message settings. `None` when no
/// receiver has the token.
pub(super) async fn unknown_page(app: &App, token: &str) -> Option<Response> {
    let (tenant, r) = find(app, token).await.ok()?;
    let mut answer = page(&tenant, &r, "unknown", None);
    *answer.status_mut() = StatusCode::NOT_FOUND;
    Some(answer)
}

pub(super) fn unavailable() -> Response {
    let retry = [(axum::http::header::RETRY_AFTER, "5")];
    (StatusCode::SERVICE_UNAVAILABLE, retry, "Please try again in a moment.").into_response()
}

/// The receiver a token names, with its tenant; `Err` is the answer when there is none.
async fn find(app: &App, token: &str) -> Result<(Tenant, Receiver), Response> {
    let Some(token) = ReceiverToken::parse(token) else {
        return Err(not_found());
    };
    let (tenant_id, receiver) = match app.store.receiver_by_token(&token).await {
        Ok(Some(found)) => found,
        Ok(None) => return Err(not_found()),
        Err(e) if e.is_transient() => return Err(unavailable()),
        Err(e) => {
            tracing::error!(error = %e, "could not read a receiver");
            return Err(unavailable());
        }
    };
    match app.store.tenant(tenant_id).await {
        Ok(Some(tenant)) => Ok((tenant, receiver)),
        _ => Err(not_found()),
    }
}

/// What one page shows: the mode (`ask`, `done`, `back`, `saved`, `prefs`) and an error.
pub(crate) fn page(tenant: &Tenant, r: &Receiver, mode: &str, error: Option<&str>) -> Response {
    let lang = language(r.language.as_deref().unwrap_or(&tenant.brand.default_language));
    let brand = &tenant.brand.brand_name;
    let t = texts(lang, brand);
    let stops = match (r.has_phone(), r.has_email()) {
        (true, false) => &t["stops_sms"],
        (false, true) => &t["stops_email"],
        _ => &t["stops_both"],
    };
    let reaches: Vec<_> = [
        (Reach::Both, "reach_both"),
        (Reach::SmsOnly, "reach_sms"),
        (Reach::EmailOnly, "reach_email"),
    ]
    .iter()
    .map(|(r, key)| json!({"value": r.slug(), "label": t[key]}))
    .collect();
    let languages: Vec<_> = LANGUAGES
        .iter()
        .map(|(code, name)| json!({"code": code, "name": name}))
        .collect();
    render_json(
        "receiver.html",
        json!({
            "lang": lang, "brand": brand, "t": t, "stops": stops, "mode": mode, "error": error,
            "colour": tenant.brand.colour.as_str(), "on_colour": tenant.brand.colour.text_on(),
            "logo": tenant.brand.logo_id.map(|l| format!("/l/{}/{l}", tenant.id)),
            "opt_out_url": format!("/u/{}", r.token), "preferences_url": format!("/p/{}", r.token),
            "opted_out": r.opted_out_at.is_some(), "reach": r.reach.slug(),
            "reaches": reaches, "languages": languages,
            // Only a language the receiver chose is preselected: saving the page without
            // touching it must not switch their messages to the page's language.
            "chosen_language": r.language,
        }),
    )
}

/// Opts the receiver out now and shows what stopped; a second opt-out keeps the first time.
pub(crate) async fn opt_out_now(
    app: &App,
    tenant_id: TenantId,
    mut r: Receiver,
    now: Timestamp,
) -> Result<Receiver, Response> {
    match app.store.opt_out_receiver(tenant_id, r.id, now).await {
        Ok(_) => {
            r.opted_out_at.get_or_insert(now);
            Ok(r)
        }
        Err(e) => {
            tracing::error!(error = %e, "could not record an opt-out");
            Err(unavailable())
        }
    }
}

/// The opt-out page of a message's link: says exactly what stops and asks before stopping.
#[utoipa::path(get, path = "/u/{token}", tag = "receiver",
    params(("token" = String, Path, description = "the receiver's link token (19 characters, 0-9 and a-z)")),
    responses(
        (status = 200, description = "the opt-out page, in the receiver's language and the tenant's brand", content_type = "text/html", body = String),
        (status = 404, description = "a token no receiver has", content_type = "text/plain", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn opt_out_page(State(app): State<App>, Path(token): Path<String>) -> Response {
    match find(&app, &token).await {
        Ok((tenant, r)) if r.opted_out_at.is_some() => page(&tenant, &r, "done", None),
        Ok((tenant, r)) => page(&tenant, &r, "ask", None),
        Err(answer) => answer,
    }
}

/// One POST stops every message to the receiver, on every address, at once: the page's button,
/// or a mail client's one-click `List-Unsubscribe-Post` (RFC 8058), whatever the body.
#[utoipa::path(post, path = "/u/{token}", tag = "receiver",
    params(("token" = String, Path, description = "the receiver's link token (19 characters, 0-9 and a-z)")),
    responses(
        (status = 200, description = "done: what stopped, and a way back", content_type = "text/html", body = String),
        (status = 404, description = "a token no receiver has", content_type = "text/plain", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn opt_out(State(app): State<App>, Path(token): Path<String>) -> Response {
    let (tenant, r) = match find(&app, &token).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    match opt_out_now(&app, tenant.id, r, app.clock.now()).await {
        Ok(r) => page(&tenant, &r, "done", None),
        Err(answer) => answer,
    }
}

/// The preference centre: SMS, email or both, and the language.
#[utoipa::path(get, path = "/p/{token}", tag = "receiver",
    params(("token" = String, Path, description = "the receiver's link token (19 characters, 0-9 and a-z)")),
    responses(
        (status = 200, description = "the preference page", content_type = "text/html", body = String),
        (status = 404, description = "a token no receiver has", content_type = "text/plain", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn preferences_page(State(app): State<App>, Path(token): Path<String>) -> Response {
    match find(&app, &token).await {
        Ok((tenant, r)) => page(&tenant, &r, "prefs", None),
        Err(answer) => answer,
    }
}

/// The preference form (`application/x-www-form-urlencoded`).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PreferencesForm {
    /// `save` (the default) or `back_in` (undo an opt-out: "changed your mind?").
    action: Option<String>,
    /// `both`, `sms` or `email`; needed to save.
    reach: Option<String>,
    /// `sv`, `nb`, `da`, `fi` or `en`; empty keeps the shipment's own.
    language: Option<String>,
}

/// Saves the receiver's choice, or takes it back in after an opt-out. The rules honour it from
/// the next message on, including those already waiting.
#[utoipa::path(post, path = "/p/{token}", tag = "receiver",
    params(("token" = String, Path, description = "the receiver's link token (19 characters, 0-9 and a-z)")),
    request_body(content = PreferencesForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "saved: the preference page again", content_type = "text/html", body = String),
        (status = 404, description = "a token no receiver has", content_type = "text/plain", body = String),
        (status = 422, description = "a choice that is not offered: the page again, saying what to choose", content_type = "text/html", body = String),
        (status = 503, description = "the database did not answer; retry", content_type = "text/plain", body = String)))]
pub async fn save_preferences(State(app): State<App>, Path(token): Path<String>, body: Bytes) -> Response {
    let (tenant, mut r) = match find(&app, &token).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let form: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    if field("action") == Some("back_in") {
        if let Err(e) = app.store.opt_back_in(tenant.id, r.id).await {
            tracing::error!(error = %e, "could not undo an opt-out");
            return unavailable();
        }
        r.opted_out_at = None;
        return page(&tenant, &r, "back", None);
    }
    let reach = field("reach").and_then(Reach::from_slug);
    let language = match field("language") {
        None => Ok(None),
        Some(l) => LANGUAGES.iter().find(|(c, _)| *c == l).map(|(c, _)| Some(*c)).ok_or(()),
    };
    let (Some(reach), Ok(language)) = (reach, language) else {
        let t = texts(
            r.language.as_deref().unwrap_or(&tenant.brand.default_language),
            &tenant.brand.brand_name,
        );
        let mut answer = page(&tenant, &r, "prefs", Some(&t["bad_choice"]));
        *answer.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return answer;
    };
    if let Err(e) = app.store.set_preferences(tenant.id, r.id, reach, language).await {
        tracing::error!(error = %e, "could not save preferences");
        return unavailable();
    }
    r.reach = reach;
    r.language = language.map(str::to_string);
    page(&tenant, &r, "saved", None)
}
