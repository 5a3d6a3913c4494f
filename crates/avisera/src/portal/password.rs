//! A forgotten password: the email asked for gets a link (the page says the same whether or not
//! it signs in, and as fast, so it tells nobody which addresses have accounts); the link's page sets a new
//! password, ends the user's other sessions and signs them in. And the signed-in user's own
//! account page, where they change their password.

use super::login::{check_form_before_sign_in, with_form_token};
use super::session::{Lang, SESSION_COOKIE, SESSION_HOURS, Signed, check_same_site, new_token, set_cookie};
use super::view::{self, PortalError, public_page};
use crate::app::App;
use avisera_core::users::account;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

pub async fn forgot_page(State(app): State<App>, lang: Lang) -> Response {
    forgot_form(&app, lang, "")
}

fn forgot_form(app: &App, lang: Lang, email: &str) -> Response {
    let token = new_token();
    let page = public_page(
        lang,
        "password.html",
        context! { mode => "forgot", csrf => token.clone(), email => email },
    );
    with_form_token(app, page, &token)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    State(app): State<App>,
    lang: Lang,
    headers: HeaderMap,
    Form(f): Form<ForgotForm>,
) -> Result<Response, PortalError> {
    check_form_before_sign_in(&app, &headers, &f.csrf)?;
    let email = f.email.trim();
    // A brake like signing in's, counted apart from it: links cannot be asked for without end,
    // and asking does not lock anyone out of signing in.
    if app
        .throttle
        .attempt(&format!("reset:{email}"), app.clock.now())
        .is_err()
    {
        return Ok(sent(lang, email));
    }
    if let Some((user, token)) = account::start_reset(app.store.as_ref(), email, app.clock.now()).await? {
        let link = format!(
            "{}/portal/password/reset/{token}",
            app.config.public_url.trim_end_matches('/')
        );
        let message = account::reset_email(&user, &link, lang.code());
        // Sent after answering: neither the answer nor how long it takes may depend on whether
        // the address has an account, and an unknown address could never hear that its email
        // failed. A failure is logged; the person asks again.
        let app = app.clone();
        tokio::spawn(async move {
            let _ = super::mail::send(&app, message, format!("reset-{}", &token[..32])).await;
        });
    }
    Ok(sent(lang, email))
}

fn sent(lang: Lang, email: &str) -> Response {
    public_page(lang, "password.html", context! { mode => "sent", email => email })
}

fn problem(lang: Lang, title: &str, message: &str, status: StatusCode) -> Response {
    let title = super::text::get(lang, title).unwrap_or_default();
    let mut r = public_page(
        lang,
        "password.html",
        context! { mode => "problem", title => title, message => message },
    );
    *r.status_mut() = status;
    r
}

fn expired(lang: Lang) -> Response {
    let text = super::text::get(lang, "password_expired").unwrap_or_default();
    problem(lang, "password_expired_title", text, StatusCode::NOT_FOUND)
}

pub async fn reset_page(
    State(app): State<App>,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Response, PortalError> {
    match account::reset_for(app.store.as_ref(), &token, app.clock.now()).await? {
        Some(user) => Ok(reset_form(lang, &token, &user.email.to_string(), None)),
        None => Ok(expired(lang)),
    }
}

fn reset_form(lang: Lang, token: &str, email: &str, error: Option<String>) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut r = public_page(
        lang,
        "password.html",
        context! { mode => "reset", token => token, email => email,
        error => error.map(|e| super::words::say(lang, &e)) },
    );
    *r.status_mut() = status;
    r
}

#[derive(Deserialize)]
pub struct NewPassword {
    #[serde(default)]
    new_password: String,
}

pub async fn reset(
    State(app): State<App>,
    lang: Lang,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<NewPassword>,
) -> Result<Response, PortalError> {
    check_same_site(&headers, &app.config.public_url)?;
    let now = app.clock.now();
    match account::finish_reset(app.store.as_ref(), &token, &f.new_password, now).await {
        Ok(Some(session)) => Ok(signed_in(&app, &session, "/portal")),
        Ok(None) => Ok(expired(lang)),
        Err(avisera_core::Error::Invalid { message, .. }) => {
            let email = account::reset_for(app.store.as_ref(), &token, now)
                .await?
                .map(|u| u.email.to_string())
                .unwrap_or_default();
            Ok(reset_form(lang, &token, &email, Some(message)))
        }
        Err(e) => Err(e.into()),
    }
}

fn signed_in(app: &App, session: &str, to: &str) -> Response {
    (
        AppendHeaders([(
            SET_COOKIE,
            set_cookie(app, SESSION_COOKIE, session, SESSION_HOURS * 3600),
        )]),
        Redirect::to(to),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct Saved {
    saved: Option<String>,
    /// After the own mobile number was saved (`profile.rs`).
    phone_saved: Option<String>,
}

pub async fn account_page(
    State(app): State<App>,
    signed: Signed,
    axum::extract::Query(q): axum::extract::Query<Saved>,
) -> Result<Response, PortalError> {
    let mut r = account(&app, &signed, q.saved.is_some(), None);
    if q.phone_saved.is_some() {
        r = view::page(
            &signed,
            app.inbox.is_some(),
            "account.html",
            "account",
            context! { saved => false, error => None::<String>, phone_saved => true },
        );
    }
    Ok(r)
}

fn account(app: &App, signed: &Signed, saved: bool, error: Option<String>) -> Response {
    let mut r = view::page(
        signed,
        app.inbox.is_some(),
        "account.html",
        "account",
        context! { saved => saved, error => error.as_deref().map(|e| super::words::say(signed.lang, e)) },
    );
    if error.is_some() {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

#[derive(Deserialize)]
pub struct ChangePassword {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn change_password(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<ChangePassword>,
) -> Result<Response, PortalError> {
    signed.check_form(&f.csrf, &headers)?;
    let changed = account::change_password(
        app.store.as_ref(),
        &signed.user,
        &f.current_password,
        &f.new_password,
        app.clock.now(),
    )
    .await;
    match changed {
        Ok(session) => Ok(signed_in(&app, &session, "/portal/account?saved=1")),
        Err(avisera_core::Error::Invalid { message, .. }) => Ok(account(&app, &signed, false, Some(message))),
        Err(e) => Err(e.into()),
    }
}
