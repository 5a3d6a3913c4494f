//! Rendering portal pages: compiled-in templates (autoescaped, strict), the interface text in
//! the user's language, and the errors a page can end in.

use super::session::{Lang, Signed};
use super::{format, text};
use avisera_store::StoreError;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value, context};
use std::sync::LazyLock;

pub(crate) const PAGES: &[(&str, &str)] = &[
    ("layout.html", include_str!("pages/layout.html")),
    ("login.html", include_str!("pages/login.html")),
    ("error.html", include_str!("pages/error.html")),
    ("home.html", include_str!("pages/home.html")),
    ("brand.html", include_str!("pages/brand.html")),
    ("templates.html", include_str!("pages/templates.html")),
    ("template.html", include_str!("pages/template.html")),
    ("library.html", include_str!("pages/library.html")),
    ("rules.html", include_str!("pages/rules.html")),
    ("rule.html", include_str!("pages/rule.html")),
    ("track.html", include_str!("pages/track.html")),
    ("shipment.html", include_str!("pages/shipment.html")),
    ("log.html", include_str!("pages/log.html")),
    ("users.html", include_str!("pages/users.html")),
    ("suppressions.html", include_str!("pages/suppressions.html")),
    ("ratings.html", include_str!("pages/ratings.html")),
    ("public.html", include_str!("pages/public.html")),
    ("signup.html", include_str!("pages/signup.html")),
    ("plans.html", include_str!("pages/plans.html")),
    ("password.html", include_str!("pages/password.html")),
    ("account.html", include_str!("pages/account.html")),
    ("remove_user.html", include_str!("pages/remove_user.html")),
    ("delete_rule.html", include_str!("pages/delete_rule.html")),
    ("deleted_rules.html", include_str!("pages/deleted_rules.html")),
    ("api_keys.html", include_str!("pages/api_keys.html")),
];

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("when", when);
    env.add_filter("sek", |state: &minijinja::State, ore: i64| {
        format::amount(reader(state), ore)
    });
    env.add_filter("number", |state: &minijinja::State, n: i64| {
        format::number(reader(state), n)
    });
    env.add_filter("day", day);
    env.add_filter("percent", |state: &minijinja::State, share: f64| {
        format::percent(reader(state), share)
    });
    for (name, source) in PAGES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("portal page {name} does not compile: {e}"));
    }
    env
});

/// Any serialisable value for a page's context.
pub fn ser<T: serde::Serialize>(value: T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// The language a page is rendered in (its `lang`), English when it has none.
fn reader(state: &minijinja::State) -> Lang {
    state
        .lookup("lang")
        .and_then(|l| l.as_str().and_then(Lang::parse))
        .unwrap_or(Lang::En)
}

/// An instant as people in the portal read it: Stockholm time, to the minute, written the
/// reader's way.
fn when(state: &minijinja::State, value: String) -> String {
    match value.parse::<avisera_domain::Timestamp>() {
        Ok(t) => format::date_time(
            reader(state),
            t.to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Stockholm").expect("bundled zone"))
                .datetime(),
        ),
        Err(_) => value,
    }
}

/// A day (`2026-11-05`) or a month (`2026-11`) written the reader's way.
fn day(state: &minijinja::State, value: String) -> String {
    let lang = reader(state);
    if let Ok(d) = value.parse::<jiff::civil::Date>() {
        return format::date(lang, d);
    }
    match avisera_domain::billing::Month::parse(&value) {
        Ok(m) => format::month(lang, m.first),
        Err(_) => value,
    }
}

tokio::task_local! {
    /// The language of the request being answered, for the error page (which is made
    /// without the request at hand).
    static READER: Lang;
}

/// Answers a portal request knowing its reader's language, so an error page speaks it too.
pub async fn in_readers_language(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let lang = Lang::of(request.headers());
    READER.scope(lang, next.run(request)).await
}

/// The switch in the header: every language in its own name.
fn langs() -> Value {
    Value::from_iter(
        Lang::ALL
            .iter()
            .map(|l| context! { code => l.code(), name => l.own_name() }),
    )
}

/// What ended a portal request early, shown as a page that says what to do.
#[derive(Debug)]
pub enum PortalError {
    NotFound,
    Forbidden(String),
    /// The form's CSRF token was missing or wrong, or it came from another site.
    Csrf,
    BadRequest(String),
    Store(StoreError),
}

impl From<StoreError> for PortalError {
    fn from(e: StoreError) -> Self {
        PortalError::Store(e)
    }
}

/// Core's refusals as pages; a form shows its own (a wrong field) beside what was typed, so
/// what reaches here is what the form could not foresee.
impl From<avisera_core::Error> for PortalError {
    fn from(e: avisera_core::Error) -> Self {
        use avisera_core::Error;
        match e {
            Error::NotFound { .. } => PortalError::NotFound,
            Error::Store(e) => PortalError::Store(e),
            Error::PlanLacksTrigger(m) => PortalError::Forbidden(m),
            other => PortalError::BadRequest(other.to_string()),
        }
    }
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let lang = READER.try_with(|l| *l).unwrap_or(Lang::En);
        self.page(lang)
    }
}

impl PortalError {
    /// The error's page in `lang`: what happened, what to do, and the way back to the portal.
    pub fn page(self, lang: Lang) -> Response {
        let (status, key, detail) = match self {
            PortalError::NotFound => (StatusCode::NOT_FOUND, "error_not_found", String::new()),
            PortalError::Forbidden(m) => (StatusCode::FORBIDDEN, "error_forbidden", m),
            PortalError::Csrf => (StatusCode::FORBIDDEN, "error_csrf", String::new()),
            PortalError::BadRequest(m) => (StatusCode::BAD_REQUEST, "error_bad_request", m),
            PortalError::Store(StoreError::NotFound(_)) => (StatusCode::NOT_FOUND, "error_not_found", String::new()),
            PortalError::Store(StoreError::Conflict { message, .. }) => {
                (StatusCode::CONFLICT, "error_bad_request", message)
            }
            PortalError::Store(e) => {
                tracing::error!(error = %e, "portal page failed");
                let status = if e.is_transient() {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                (status, "error_internal", String::new())
            }
        };
        let detail = super::words::say(lang, &detail);
        let ctx = context! {
            t => text::table(lang), lang => lang.code(),
            key => key, detail => detail, status => status.as_u16(),
        };
        let mut r = render_raw("error.html", ctx);
        *r.status_mut() = status;
        // A busy or unreachable database: the browser (or a person) may try again shortly.
        if status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(5u32));
        }
        r
    }
}

fn render_raw(name: &str, ctx: Value) -> Response {
    match ENV.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => ([("cache-control", "no-store"), ("x-frame-options", "DENY")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, page = name, "portal page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "this page could not be shown").into_response()
        }
    }
}

/// A page for a signed-in user: the layout gets the user, the tenant, the CSRF token, the
/// interface text and which section is active.
pub fn page(signed: &Signed, demo: bool, name: &str, section: &str, ctx: Value) -> Response {
    let common = context! {
        t => text::table(signed.lang),
        lang => signed.lang.code(),
        langs => langs(),
        user => ser(&signed.user),
        tenant_name => signed.tenant.name.clone(),
        plan => signed.tenant.plan.to_string(),
        csrf => signed.session.csrf_token.clone(),
        section => section,
        demo => demo,
        can_edit => signed.user.role.allows(avisera_domain::user::Role::Editor),
        is_admin => signed.user.role.allows(avisera_domain::user::Role::Admin),
    };
    render_raw(name, context! { ..ctx, ..common })
}

/// A page without a signed-in user (sign-in).
pub fn public_page(lang: Lang, name: &str, ctx: Value) -> Response {
    render_raw(
        name,
        context! { ..ctx, ..context! { t => text::table(lang), lang => lang.code(), langs => langs() } },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t.key` a page uses exists in all five languages (a missing one would fail the page
    /// at render time under strict undefined).
    #[test]
    fn every_text_key_used_by_a_page_exists() {
        for (name, source) in PAGES {
            let mut rest = *source;
            while let Some(i) = rest.find("t.") {
                let before = rest[..i].chars().last();
                rest = &rest[i + 2..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                let key: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if key.is_empty() {
                    continue;
                }
                for lang in Lang::ALL {
                    assert!(
                        text::get(lang, &key).is_some(),
                        "{name} uses t.{key}, missing in {}",
                        lang.code()
                    );
                }
            }
        }
        LazyLock::force(&ENV);
    }

    #[test]
    fn a_database_that_does_not_answer_is_a_503_to_retry() {
        let busy = PortalError::Store(StoreError::Retryable("deadlock".into())).into_response();
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(busy.headers().contains_key("retry-after"));
        let broken = PortalError::Store(StoreError::Corrupt("bad".into())).into_response();
        assert_eq!(broken.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!broken.headers().contains_key("retry-after"));
    }

    /// Keys pages build from values (`t["trigger_" ~ slug]` and the like) exist for every value.
    #[test]
    fn every_built_text_key_exists() {
        let mut keys: Vec<String> = avisera_domain::trigger::Trigger::ALL
            .iter()
            .map(|t| format!("trigger_{}", t.slug()))
            .collect();
        keys.extend(["sms", "email", "both", "sms_else_email", "email_else_sms"].map(|c| format!("channels_{c}")));
        keys.extend(avisera_domain::notification::Status::ALL.map(|s| format!("status_{s}")));
        keys.extend(avisera_domain::user::Role::ALL.map(|r| format!("role_{r}")));
        keys.extend(
            avisera_domain::template::LANGUAGES
                .iter()
                .map(|l| format!("language_{l}")),
        );
        keys.extend(["receiver", "customer_service", "fixed"].map(|r| format!("recipient_{r}")));
        for (name, about) in avisera_domain::template::VARIABLES {
            assert_eq!(
                text::get(Lang::En, &format!("var_{name}")),
                Some(*about),
                "var_{name} in English"
            );
        }
        keys.extend(
            avisera_domain::template::VARIABLES
                .iter()
                .map(|(name, _)| format!("var_{name}")),
        );
        keys.extend(
            [
                "announced",
                "in_transit",
                "at_pickup_point",
                "out_for_delivery",
                "delivered",
                "returned",
            ]
            .map(|m| format!("milestone_{m}")),
        );
        keys.extend(
            [
                "error_not_found",
                "error_forbidden",
                "error_csrf",
                "error_bad_request",
                "error_internal",
            ]
            .map(String::from),
        );
        for key in keys {
            for lang in Lang::ALL {
                assert!(text::get(lang, &key).is_some(), "{key} missing in {}", lang.code());
            }
        }
    }
}
