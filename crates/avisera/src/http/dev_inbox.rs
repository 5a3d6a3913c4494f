//! The dev inbox page (`/dev/inbox`): every SMS and email that would have gone out, newest
//! first. JSON for programs, HTML for people (by the Accept header, or `?format=`): a page of
//! 50 with a search, older and newer pages (each named by the message it starts below, so new
//! arrivals do not shift them), and new messages added to the first page as they arrive (it
//! asks for what came after its newest; it never reloads whole).

use super::error::ApiError;
use crate::app::App;
use crate::delivery::channel::dev_inbox::{InboxEntry, InboxQuery as Asked, KEEP};
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
    /// Only messages whose recipient, subject or text holds this (any case).
    q: Option<String>,
    /// Only messages newer than this `seq` (what a page that shows up to it lacks).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// Only messages older than this `seq`: the page below one whose oldest is it. Pages
    /// named so stay the same while new messages arrive.
    #[param(value_type = Option<i64>, minimum = 0)]
    before: Option<String>,
    /// Messages to skip, newest first (below `before` when given), 0 to 1000.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1000)]
    offset: Option<String>,
    /// At most this many, 1 to 1000 (JSON: all it keeps, 1000; the page: 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

/// The messages in the dev inbox that match, newest first.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Inbox {
    /// Newest first: `seq`, ids, when, and the message (`channel`, `to`, and text or subject
    /// and html).
    #[schema(value_type = Vec<Object>)]
    messages: Vec<InboxEntry>,
    /// How many match in all (the inbox keeps the newest 1000).
    total: usize,
    /// The newest `seq` in the inbox; `after` this is what is new.
    newest: u64,
    /// `before` this is the next older page; none when this one is the last.
    older: Option<u64>,
}

/// HTML shows a page of this many.
const PAGE: usize = 50;

/// A whole number from 0 to `i64::MAX` (what the document says a query number is).
fn number(name: &str, value: Option<&str>) -> Result<Option<u64>, ApiError> {
    value
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .ok()
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| {
                    let m = format!("{name}: expected a whole number, got \"{v}\"");
                    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m)
                })
        })
        .transpose()
}

/// The dev inbox: every SMS and email that would have gone out, newest first.
#[utoipa::path(get, path = "/dev/inbox", tag = "ops", params(InboxQuery),
    responses(
        (status = 200, description = "the messages", content((Inbox = "application/json"), (String = "text/html"))),
        (status = 400, description = "a number that is not one, a limit outside 1 to 1000 or an offset over 1000, or a query parameter given twice", body = super::api_doc::ErrorBody),
        (status = 404, description = "the dev inbox is off", body = super::api_doc::ErrorBody)))]
pub async fn inbox(State(app): State<App>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    let Some(inbox) = &app.inbox else {
        let off = "the dev inbox is off; start with `demo` or set dev_inbox = true";
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", off).into_response();
    };
    let wants_html = match q.format.as_deref() {
        Some(f) => f == "html",
        None => headers
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html")),
    };
    let asked = match asked(&q, wants_html) {
        Ok(asked) => asked,
        Err(e) => return e.into_response(),
    };
    let page = inbox.page(&asked);
    if !wants_html {
        return Json(Inbox {
            messages: page.messages,
            total: page.total,
            newest: page.newest,
            older: page.older,
        })
        .into_response();
    }
    // The newer page: its `before`, or "" for the first page (which takes new messages live).
    let newer = page.newer.map(|before| before.map_or(String::new(), |b| b.to_string()));
    super::pages::render(
        "inbox.html",
        context!(messages => minijinja::Value::from(minijinja::value::Serde(&page.messages)),
                 total => page.total, newest => page.newest, q => asked.search.unwrap_or_default(),
                 first => page.above == 0, above => page.above, older => page.older, newer => newer),
    )
}

fn asked(q: &InboxQuery, html: bool) -> Result<Asked, ApiError> {
    let limit = number("limit", q.limit.as_deref())?.map_or(if html { PAGE } else { KEEP }, |n| n as usize);
    if !(1..=KEEP).contains(&limit) {
        let m = format!("limit: between 1 and {KEEP}, got {limit}");
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m));
    }
    let offset = number("offset", q.offset.as_deref())?.unwrap_or(0) as usize;
    if offset > KEEP {
        let m = format!("offset: between 0 and {KEEP} (the inbox keeps {KEEP}), got {offset}");
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", m));
    }
    Ok(Asked {
        search: q.q.clone(),
        after: number("after", q.after.as_deref())?,
        before: number("before", q.before.as_deref())?,
        offset,
        limit,
    })
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
