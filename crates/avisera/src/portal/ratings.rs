//! The tenant's delivery ratings in the portal: the average of a period, per ISO week,
//! carrier and pickup point, and the receivers' comments, newest first.

use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::ratings;
use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::context;
use std::collections::HashMap;

/// The most comments the page lists; the API has them all.
const SHOWN_COMMENTS: usize = 200;

pub async fn page(
    State(app): State<App>,
    signed: Signed,
    Query(raw): Query<HashMap<String, String>>,
) -> Result<Response, PortalError> {
    // A page, not the API: a link's extra parameters are ignored.
    let from = raw.get("from").cloned().unwrap_or_default();
    let until = raw.get("until").cloned().unwrap_or_default();
    let asked = ratings::report(
        app.store.as_ref(),
        signed.tenant.id,
        Some(from.as_str()),
        Some(until.as_str()),
        app.clock.now(),
    )
    .await;
    let (report, comments, error) = match asked {
        Ok(report) => {
            let comments: Vec<_> = report
                .ratings
                .iter()
                .filter(|r| r.comment.is_some())
                .take(SHOWN_COMMENTS)
                .collect();
            (view::ser(&report.summary), view::ser(&comments), None)
        }
        Err(avisera_core::Error::Invalid { message, .. }) => {
            (().into(), ().into(), Some(super::words::say(signed.lang, &message)))
        }
        Err(e) => return Err(e.into()),
    };
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "ratings.html",
        "ratings",
        context! { summary => report, comments => comments, error => error, chosen => context! { from, until } },
    ))
}
