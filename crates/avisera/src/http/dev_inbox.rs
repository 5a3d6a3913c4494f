//! The dev inbox page (`/dev/inbox`): every SMS and email that would have gone out, newest
//! first. JSON for programs, HTML for people (by the Accept header, or `?format=`).

use crate::app::App;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

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
    super::pages::render(
        "inbox.html",
        context!(messages => minijinja::Value::from(minijinja::value::Serde(&entries))),
    )
}

pub async fn home(State(app): State<App>) -> Response {
    super::pages::render("home.html", context!(dev_inbox => app.inbox.is_some()))
}
