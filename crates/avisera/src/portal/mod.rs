//! The tenant portal: server-rendered pages for a shipper's staff (brand, templates with live
//! preview, the ready-to-go library, rules, Track & Trace, the log and numbers, users).
//! Signed in by email and password; every form carries the session's CSRF token; every page
//! reads and writes only the signed-in user's tenant.

mod advice;
mod api_keys;
mod brand;
mod chart;
mod format;
mod home;
mod library;
mod login;
mod mail;
mod password;
mod plans;
mod profile;
mod ratings;
mod rule_delete;
mod rules;
mod session;
mod signup;
mod suppressions;
mod templates;
mod text;
mod track;
mod users;
mod view;
mod words;

pub use library::{LibraryItem, library};

use crate::app::App;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde::Deserialize;

/// A form with nothing but the CSRF token (sign out, enable, disable, delete).
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// The CSRF token of a form read as a map (forms with a field per language or setting).
pub fn csrf_in(form: &std::collections::HashMap<String, String>) -> &str {
    form.get("csrf").map_or("", String::as_str)
}

pub fn router() -> Router<App> {
    Router::new()
        .route("/portal", get(home::page))
        .route("/portal/stats.csv", get(home::stats_csv))
        .route("/portal/bill.csv", get(home::bill_csv))
        .route("/portal/log.csv", get(home::log_csv))
        .route("/portal/budget", post(home::save_budget))
        .route("/portal/login", get(login::page).post(login::sign_in))
        .route("/signup", get(signup::page).post(signup::submit))
        .route(
            "/signup/confirm/{token}",
            get(signup::confirm_page).post(signup::confirm),
        )
        .route("/portal/logout", post(login::sign_out))
        .route("/portal/lang", get(login::set_lang))
        .route("/portal/brand", get(brand::page).post(brand::save))
        .route(
            "/portal/brand/logos",
            post(brand::upload).layer(DefaultBodyLimit::max(avisera_domain::logo::MAX_LOGO_BYTES + 64 * 1024)),
        )
        .route("/portal/brand/brands", post(brand::save_other))
        .route("/portal/brand/brands/{id}", post(brand::save_other))
        .route("/portal/brand/brands/{id}/remove", post(brand::remove_other))
        .route("/portal/brand/logos/{id}/use", post(brand::use_logo))
        .route("/portal/brand/logos/{id}/delete", post(brand::delete_logo))
        .route("/portal/templates", get(templates::list).post(templates::create))
        .route("/portal/templates/new", get(templates::new))
        .route("/portal/templates/preview", post(templates::preview))
        .route("/portal/templates/{id}", get(templates::edit).post(templates::save))
        .route("/portal/library", get(library::page))
        .route("/portal/library/{key}/copy", post(library::copy))
        .route("/portal/rules", get(rules::list).post(rules::create))
        .route("/portal/rules/new", get(rules::new))
        .route("/portal/rules/{id}", get(rules::edit).post(rules::save))
        .route("/portal/rules/{id}/enable", post(rules::enable))
        .route("/portal/rules/try", post(rules::try_new))
        .route("/portal/rules/{id}/try", post(rules::try_rule))
        .route("/portal/rules/{id}/disable", post(rules::disable))
        .route("/portal/rules/deleted", get(rule_delete::list))
        .route(
            "/portal/rules/{id}/delete",
            get(rule_delete::confirm).post(rule_delete::delete),
        )
        .route("/portal/track", get(track::search))
        .route("/portal/track/{tracking_number}", get(track::shipment))
        .route("/portal/track/{tracking_number}/send", post(track::send))
        .route("/portal/log", get(home::log))
        .route("/portal/log/{id}/cancel", post(home::cancel))
        .route("/portal/plans", get(plans::page).post(plans::request))
        .route("/portal/suppressions", get(suppressions::page))
        .route("/portal/ratings", get(ratings::page))
        .route("/portal/suppressions/lift", post(suppressions::lift))
        .route("/portal/users", get(users::page).post(users::add))
        .route(
            "/portal/users/{id}/delete",
            get(users::confirm_delete).post(users::delete),
        )
        .route("/portal/users/{id}/role", post(users::change_role))
        .route("/portal/api-keys", get(api_keys::page).post(api_keys::create))
        .route(
            "/portal/api-keys/{hash}/revoke",
            get(api_keys::confirm_revoke).post(api_keys::revoke),
        )
        .route("/portal/account", get(password::account_page))
        .route("/portal/account/password", post(password::change_password))
        .route("/portal/account/phone", post(profile::save))
        .route(
            "/portal/password/forgot",
            get(password::forgot_page).post(password::forgot),
        )
        .route(
            "/portal/password/reset/{token}",
            get(password::reset_page).post(password::reset),
        )
        .layer(axum::middleware::from_fn(view::in_readers_language))
}

/// A trigger as the portal names it in a language (`sv`, `nb`, `da`, `fi`, `en`), for names
/// seeded in a tenant's language.
pub fn trigger_name(lang: &str, trigger: avisera_domain::trigger::Trigger) -> String {
    let lang = session::Lang::parse(lang).unwrap_or(session::Lang::En);
    text::fill(lang, &format!("trigger_{}", trigger.slug()), &[])
}

/// A channel as the portal names it in a language: `SMS`, `e-post`.
pub fn channel_name(lang: &str, channel: avisera_domain::notification::Channel) -> String {
    let lang = session::Lang::parse(lang).unwrap_or(session::Lang::En);
    let key = match channel {
        avisera_domain::notification::Channel::Sms => "channels_sms",
        avisera_domain::notification::Channel::Email => "email_channel",
    };
    text::fill(lang, key, &[])
}

/// A page nothing serves (`/portal/nope`), for a person: said in their language (the
/// language cookie, else the browser's), with the way back to the portal.
pub fn not_found(headers: &axum::http::HeaderMap) -> axum::response::Response {
    view::PortalError::NotFound.page(session::Lang::of(headers))
}

/// `GET /l/{tenant}/{logo}`: a tenant's logo, public because every email shows it.
pub use brand::public_logo;
