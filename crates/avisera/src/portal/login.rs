//! Signing in and out. A wrong email and a wrong password get the same message; guessing is
//! slowed per email by the `LoginThrottle`.

use super::CsrfForm;
use super::session::{Lang, SESSION_COOKIE, SESSION_HOURS, Signed, check_same_site, cookie, new_token, set_cookie};
use super::view::{PortalError, public_page};
use crate::app::App;
use avisera_core::sessions::{self, SignInError};
use axum::Form;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

/// Before sign-in there is no session to hold a CSRF token, so the sign-in form carries one
/// that must match this cookie (double submit).
pub(super) const LOGIN_CSRF_COOKIE: &str = "avisera_login_csrf";

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only the portal's own pages are followed after sign-in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/portal") && !n.contains("://") && !n.chars().any(|c| c.is_control() || c == '\\') =>
        {
            n.to_string()
        }
        _ => "/portal".into(),
    }
}

/// A form shown before sign-in (sign-in, sign-up, a forgotten password) with its token:
/// the page carries `token` in the form and gets it as the cookie beside.
pub(super) fn with_form_token(app: &App, mut page: Response, token: &str) -> Response {
    if let Ok(v) = set_cookie(app, LOGIN_CSRF_COOKIE, token, 3600).parse() {
        page.headers_mut().append(SET_COOKIE, v);
    }
    page
}

/// A form posted before sign-in: from this site, and its token the cookie's (double submit).
pub(super) fn check_form_before_sign_in(app: &App, headers: &HeaderMap, csrf: &str) -> Result<(), PortalError> {
    check_same_site(headers, &app.config.public_url)?;
    let expected = cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !super::session::constant_time_eq(expected.as_bytes(), csrf.as_bytes()) {
        return Err(PortalError::Csrf);
    }
    Ok(())
}

fn form(app: &App, lang: Lang, next: &str, email: &str, message: Option<String>) -> Response {
    let token = new_token();
    let page = public_page(
        lang,
        "login.html",
        context! { csrf => token.clone(), next => next, email => email, message => message,
        demo => app.inbox.is_some(), signup => app.config.signup },
    );
    with_form_token(app, page, &token)
}

pub async fn page(State(app): State<App>, lang: Lang, Query(q): Query<Next>) -> Response {
    form(&app, lang, &safe_next(q.next.as_deref()), "", None)
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

pub async fn sign_in(
    State(app): State<App>,
    lang: Lang,
    headers: HeaderMap,
    Form(c): Form<Credentials>,
) -> Result<Response, PortalError> {
    check_form_before_sign_in(&app, &headers, &c.csrf)?;
    let next = safe_next(c.next.as_deref());
    let text = |key| super::text::get(lang, key).unwrap_or(key).to_string();
    let old = cookie(&headers, SESSION_COOKIE);
    let signed_in = sessions::sign_in(
        app.store.as_ref(),
        &app.throttle,
        app.clock.now(),
        &c.email,
        &c.password,
        old.as_deref(),
    )
    .await;
    let token = match signed_in {
        Ok(s) => s.token,
        Err(SignInError::Locked { minutes }) => {
            let m = text("login_locked").replace("{minutes}", &minutes.to_string());
            return Ok(form(&app, lang, &next, &c.email, Some(m)));
        }
        Err(SignInError::Wrong) => return Ok(form(&app, lang, &next, &c.email, Some(text("login_wrong")))),
        Err(SignInError::Store(e)) => return Err(e.into()),
    };
    Ok((
        AppendHeaders([
            (
                SET_COOKIE,
                set_cookie(&app, SESSION_COOKIE, &token, SESSION_HOURS * 3600),
            ),
            (SET_COOKIE, set_cookie(&app, LOGIN_CSRF_COOKIE, "", 0)),
        ]),
        Redirect::to(&next),
    )
        .into_response())
}

pub async fn sign_out(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    signed.check_form(&f.csrf, &headers)?;
    app.store.delete_session(&signed.session.token_hash).await?;
    Ok((
        [(SET_COOKIE, set_cookie(&app, SESSION_COOKIE, "", 0))],
        Redirect::to("/portal/login"),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LangChoice {
    to: String,
    back: Option<String>,
}

/// Switches the interface language (a cookie; nothing stored).
pub async fn set_lang(State(app): State<App>, Query(q): Query<LangChoice>) -> Response {
    let lang = Lang::parse(&q.to).unwrap_or(Lang::En).code();
    (
        [(
            SET_COOKIE,
            set_cookie(&app, super::session::LANG_COOKIE, lang, 365 * 24 * 3600),
        )],
        Redirect::to(&safe_next(q.back.as_deref())),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_portal_pages_are_followed_after_sign_in() {
        assert_eq!(super::safe_next(Some("/portal/rules")), "/portal/rules");
        assert_eq!(super::safe_next(Some("https://evil.example/portal")), "/portal");
        assert_eq!(super::safe_next(Some("//evil.example")), "/portal");
        assert_eq!(super::safe_next(None), "/portal");
        assert_eq!(super::safe_next(Some("/portal\n")), "/portal", "no header injection");
    }
}
