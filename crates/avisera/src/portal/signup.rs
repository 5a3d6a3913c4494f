//! `/signup`: a business creates its own account. The form is checked field by field; a good
//! one is kept as a pending sign-up and its admin gets an email with a link; the link's page
//! asks once more (a mail scanner that opens links must not create accounts), and its POST
//! makes the tenant and admin and signs the admin in. An operator can switch it off (`signup`).

use super::login::{check_form_before_sign_in, with_form_token};
use super::session::{Lang, SESSION_COOKIE, SESSION_HOURS, check_same_site, new_token, set_cookie};
use super::view::{PortalError, public_page};
use crate::app::App;
use avisera_core::signups::{self, Refused, Started};
use avisera_domain::organisation::Country;
use avisera_domain::plan::Plan;
use avisera_domain::signup::SignUpForm;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    organisation_number: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    plan: String,
    terms: Option<String>,
}

pub async fn page(State(app): State<App>, lang: Lang) -> Response {
    if !app.config.signup {
        return closed(lang);
    }
    let form = SignUpForm {
        country: "SE".into(),
        plan: "plus".into(),
        ..SignUpForm::default()
    };
    form_page(&app, lang, &form, &BTreeMap::new(), StatusCode::OK)
}

pub async fn submit(
    State(app): State<App>,
    lang: Lang,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Result<Response, PortalError> {
    if !app.config.signup {
        return Ok(closed(lang));
    }
    check_form_before_sign_in(&app, &headers, &f.csrf)?;
    let form = SignUpForm {
        country: f.country,
        organisation_number: f.organisation_number,
        company: f.company,
        name: f.name,
        email: f.email,
        password: f.password,
        plan: f.plan,
        terms_accepted: f.terms.is_some(),
        language: lang.code().into(),
    };
    let started = match signups::start(app.store.as_ref(), &form, app.clock.now()).await {
        Ok(started) => started,
        Err(Refused::Fields(errors)) => {
            let errors: BTreeMap<&str, String> = errors.into_iter().collect();
            return Ok(form_page(&app, lang, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY));
        }
        Err(Refused::Store(e)) => return Err(e.into()),
    };
    let email = started.signup().email.to_string();
    // A brake like the password reset's: nobody can fill an address's inbox by signing up with
    // it again and again. The page does not say so, as it says nothing else.
    let braked = app
        .throttle
        .attempt(&format!("signup:{email}"), app.clock.now())
        .is_err();
    if !braked && send_emails(&app, &started).await.is_err() {
        return Ok(problem(
            lang,
            "signup_not_sent_title",
            "signup_not_sent",
            StatusCode::SERVICE_UNAVAILABLE,
            true,
        ));
    }
    Ok(public_page(
        lang,
        "signup.html",
        context! { mode => "sent", email => email },
    ))
}

/// The email a sign-up leads to: the confirmation link to a new address, a note (with a reset
/// link) to the owner of an address that signs in already, or a note to each admin of an
/// organisation that has an account.
async fn send_emails(app: &App, started: &Started) -> Result<(), String> {
    let base = app.config.public_url.trim_end_matches('/');
    match started {
        Started::New { signup, token } => {
            let link = format!("{base}/signup/confirm/{token}");
            let message = signups::confirmation_email(signup, &link);
            super::mail::send(app, message, format!("signup-{}", &token[..32])).await
        }
        Started::EmailTaken { signup, user, token } => {
            let reset = format!("{base}/portal/password/reset/{token}");
            let message = signups::address_taken_email(user, signup, &reset, &format!("{base}/portal/login"));
            super::mail::send(app, message, format!("signup-taken-{}", &token[..32])).await
        }
        Started::OrganisationTaken { signup, admins } => {
            let users = format!("{base}/portal/users");
            let asked = new_token();
            for admin in admins {
                let message = signups::organisation_taken_email(admin, signup, &users);
                let key = format!("signup-org-{}-{}", admin.id, &asked[..24]);
                super::mail::send(app, message, key).await?;
            }
            Ok(())
        }
    }
}

/// The link's page: what will be created, and the button that creates it.
pub async fn confirm_page(
    State(app): State<App>,
    lang: Lang,
    Path(token): Path<String>,
) -> Result<Response, PortalError> {
    match signups::pending(app.store.as_ref(), &token, app.clock.now()).await? {
        Some(s) => Ok(public_page(
            lang,
            "signup.html",
            context! { mode => "confirm", token => token, signup => context! {
            company => s.company, organisation => s.organisation.to_string(),
            email => s.email.to_string(), plan => s.plan.to_string() } },
        )),
        None => Ok(expired(&app, lang)),
    }
}

pub async fn confirm(
    State(app): State<App>,
    lang: Lang,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, PortalError> {
    check_same_site(&headers, &app.config.public_url)?;
    let session = match signups::confirm(app.store.as_ref(), &token, app.clock.now()).await {
        Ok(Some(session)) => session,
        Ok(None) => return Ok(expired(&app, lang)),
        Err(avisera_core::Error::Invalid { message, .. }) => {
            let title = super::text::get(lang, "signup_title").unwrap_or("Sign-up");
            return Ok(problem_page(
                lang,
                title,
                &super::words::say(lang, &message),
                StatusCode::CONFLICT,
                app.config.signup,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        AppendHeaders([(
            SET_COOKIE,
            set_cookie(&app, SESSION_COOKIE, &session, SESSION_HOURS * 3600),
        )]),
        Redirect::to("/portal"),
    )
        .into_response())
}

fn form_page(
    app: &App,
    lang: Lang,
    form: &SignUpForm,
    errors: &BTreeMap<&str, String>,
    status: StatusCode,
) -> Response {
    let token = new_token();
    let countries: Vec<Value> = Country::ALL
        .iter()
        .map(|c| context! { code => c.code(), name => country_name(*c, lang) })
        .collect();
    let plans: Vec<Value> = [Plan::Plus, Plan::Premium, Plan::Enterprise]
        .iter()
        .map(|p| {
            let prices = app.config.prices.for_plan(*p);
            context! { slug => p.slug(), name => p.to_string(),
            monthly_fee => prices.monthly_fee_ore.0,
            sms => prices.sms_segment_ore.0, email => prices.email_ore.0 }
        })
        .collect();
    let shown = context! {
        country => &form.country, organisation_number => &form.organisation_number, company => &form.company,
        name => &form.name, email => &form.email, plan => &form.plan, terms_accepted => form.terms_accepted,
    };
    // Every field has an entry (empty when it is fine): the pages' templates are strict.
    let has_errors = !errors.is_empty();
    let mut all: BTreeMap<&str, String> = FIELDS.iter().map(|f| (*f, String::new())).collect();
    all.extend(errors.iter().map(|(f, m)| (*f, super::words::say(lang, m))));
    let errors = super::view::ser(all);
    let mut r = public_page(
        lang,
        "signup.html",
        context! { mode => "form", csrf => token.clone(), form => shown, errors => errors, has_errors => has_errors,
        countries => countries, plans => plans },
    );
    *r.status_mut() = status;
    with_form_token(app, r, &token)
}

const FIELDS: [&str; 8] = [
    "country",
    "organisation_number",
    "company",
    "name",
    "email",
    "password",
    "plan",
    "terms",
];

fn country_name(c: Country, lang: Lang) -> &'static str {
    match (c, lang) {
        (Country::Se, Lang::Sv | Lang::Nb | Lang::Da) => "Sverige",
        (Country::No, Lang::Sv | Lang::Nb | Lang::Da) => "Norge",
        (Country::Dk, Lang::Sv | Lang::Nb | Lang::Da) => "Danmark",
        (Country::Fi, Lang::Sv | Lang::Nb | Lang::Da | Lang::En) => "Finland",
        (Country::Se, Lang::Fi) => "Ruotsi",
        (Country::No, Lang::Fi) => "Norja",
        (Country::Dk, Lang::Fi) => "Tanska",
        (Country::Fi, Lang::Fi) => "Suomi",
        (Country::Se, Lang::En) => "Sweden",
        (Country::No, Lang::En) => "Norway",
        (Country::Dk, Lang::En) => "Denmark",
    }
}

fn closed(lang: Lang) -> Response {
    problem(
        lang,
        "signup_closed_title",
        "signup_closed",
        StatusCode::NOT_FOUND,
        false,
    )
}

fn expired(app: &App, lang: Lang) -> Response {
    problem(
        lang,
        "signup_expired_title",
        "signup_expired",
        StatusCode::NOT_FOUND,
        app.config.signup,
    )
}

fn problem(lang: Lang, title: &str, message: &str, status: StatusCode, signup_open: bool) -> Response {
    let text = |key: &str| super::text::get(lang, key).unwrap_or_default().to_string();
    problem_page(lang, &text(title), &text(message), status, signup_open)
}

fn problem_page(lang: Lang, title: &str, message: &str, status: StatusCode, signup_open: bool) -> Response {
    let mut r = public_page(
        lang,
        "signup.html",
        context! { mode => "problem", title => title, message => message, signup_open => signup_open },
    );
    *r.status_mut() = status;
    r
}
