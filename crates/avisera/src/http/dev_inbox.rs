//! The dev inbox page (`/dev/inbox`): every SMS and email that would have gone out, newest
//! first. JSON for programs, HTML for people (by the Accept header, or `?format=`).

use super::error::ApiError;
use crate::app::App;
use crate::delivery::channel::dev_inbox::InboxEntry;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `html` for the page; anything else JSON. Without it, the Accept header decides.
    format: Option<String>,
}

/// Every message that went to the dev inbox.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Inbox {
    /// Newest first: ids, when, and the message (`channel`, `to`, and text or subject and html).
    #[schema(value_type = Vec<Object>)]
    messages: Vec<InboxEntry>,
}

/// The dev inbox: every SMS and email that would have gone out, newest first.
#[utoipa::path(get, path = "/dev/inbox", tag = "ops", params(InboxQuery),
    responses(
        (status = 200, description = "the messages", content((Inbox = "application/json"), (String = "text/html"))),
        (status = 404, description = "the dev inbox is off", body = super::api_doc::ErrorBody)))]
pub async fn inbox(State(app): State<App>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    let Some(inbox) = &app.inbox else {
        let off = "the dev inbox is off; start with `demo` or set dev_inbox = true";
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", off).into_response();
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
        return Json(Inbox { messages: entries }).into_response();
    }
    super::pages::render(
        "inbox.html",
        context!(messages => minijinja::Value::from(minijinja::value::Serde(&entries))),
    )
}

/// The home page: links to the documentation and, when on, the dev inbox.
#[utoipa::path(get, path = "/", tag = "ops",
    responses((status = 200, description = "the home page", content_type = "text/html", body = String)))]
pub async fn home(State(app): State<App>) -> Response {
    super::pages::render(
        "home.html",
        context!(dev_inbox => app.inbox.is_some(), signup => app.config.signup),
    )
}
