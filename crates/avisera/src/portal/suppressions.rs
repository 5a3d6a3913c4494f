//! The tenant's suppressed addresses in the portal: hard bounces and spam complaints with the
//! provider's reason, and opt-outs; an editor lifts one, and the address gets messages again.

use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::receipts;
use avisera_domain::user::Role;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

pub async fn page(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    let list = receipts::suppressions(app.store.as_ref(), signed.tenant.id, Some(receipts::MAX_SUPPRESSIONS)).await?;
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "suppressions.html",
        "suppressions",
        context! { suppressions => list.iter().map(|s| context! {
            reason => s.reason.as_deref().map(|r| super::words::say(signed.lang, r)), ..view::ser(s)
        }).collect::<Vec<_>>(), can_lift => signed.user.role.allows(Role::Editor) },
    ))
}

#[derive(Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    address: String,
}

pub async fn lift(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<LiftForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Editor)?;
    receipts::lift(app.store.as_ref(), signed.tenant.id, &f.address).await?;
    Ok(Redirect::to("/portal/suppressions").into_response())
}
