//! The server-rendered pages (compiled in, autoescaped, strict).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::Environment;
use std::sync::LazyLock;

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in [
        ("inbox.html", include_str!("pages/inbox.html")),
        ("home.html", include_str!("pages/home.html")),
        ("tracking_base.html", include_str!("pages/tracking_base.html")),
        ("tracking_contact.html", include_str!("pages/tracking_contact.html")),
        ("tracking.html", include_str!("pages/tracking.html")),
        ("tracking_not_found.html", include_str!("pages/tracking_not_found.html")),
        ("unsubscribe.html", include_str!("pages/unsubscribe.html")),
        ("receiver.html", include_str!("pages/receiver.html")),
        ("rating.html", include_str!("pages/rating.html")),
        ("docs.html", include_str!("pages/docs.html")),
    ] {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("page {name} does not compile: {e}"));
    }
    env
});

pub fn render(name: &str, context: minijinja::Value) -> Response {
    match PAGES.get_template(name).and_then(|t| t.render(context)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, page = name, "page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "this page could not be shown").into_response()
        }
    }
}

/// Renders with a JSON context.
pub fn render_json(name: &str, context: serde_json::Value) -> Response {
    render(name, minijinja::Value::from(minijinja::value::Serde(context)))
}
