//! The dev inbox page (`/dev/inbox`): every SMS and email that would have gone out, newest
//! first. JSON for programs, HTML for people (by the Accept header, or `?format=`).

use crate::app::App;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, context};
use serde::Deserialize;
use serde_json::json;
use std::sync::LazyLock;

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("inbox.html", include_str!("pages/inbox.html"))
        .expect("inbox page compiles");
    env.add_template("home.html", include_str!("pages/home.html"))
        .expect("home page compiles");
    env
});

#[derive(Deserialize)]
pub struct InboxQuery {
    format: Option<String>,
}

pub async fn inbox(State(app): State<App>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    let Some(inbox) = &app.inbox else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": {"code": "not_found", "message": "the dev inbox is off; start with `demo` or set dev_inbox = true"}}))).into_response();
    };
    let entries = inbox.entries();
    let wants_html = match q.format.as_deref() {
        Some(f) => f == "html",
        None => headers
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
    };
    if !wants_html {
        return Json(json!({ "messages": entries })).into_response();
    }
    match PAGES
        .get_template("inbox.html")
        .and_then(|t| t.render(context!(messages => minijinja::Value::from(minijinja::value::Serde(&entries)))))
    {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

pub async fn home(State(app): State<App>) -> Response {
    match PAGES
        .get_template("home.html")
        .and_then(|t| t.render(context!(dev_inbox => app.inbox.is_some())))
    {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
