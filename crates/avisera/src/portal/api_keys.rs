//! The tenant's API keys, for admins: each listed by how it begins, its label and when it was
//! made (never the key: only its hash is stored); a new one is shown once, right after it is
//! made; a revoked one stops working at once.

use super::CsrfForm;
use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::tenants;
use avisera_domain::user::Role;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

/// The longest label a key may have.
const MAX_LABEL_CHARS: usize = 60;

async fn show(app: &App, signed: &Signed, ctx: Value) -> Result<Response, PortalError> {
    let keys = app.store.api_keys(signed.tenant.id).await?;
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "api_keys.html",
        "api-keys",
        context! { ..ctx, ..context! { keys => view::ser(&keys) } },
    ))
}

pub async fn page(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    signed.require(Role::Admin)?;
    show(&app, &signed, context! {}).await
}

#[derive(Deserialize)]
pub struct NewKeyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    label: String,
}

/// `POST /portal/api-keys`: makes a key and shows it, this once.
pub async fn create(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<NewKeyForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    let label = f.label.trim();
    let why = if label.is_empty() {
        Some("api_key_label_missing")
    } else if label.chars().count() > MAX_LABEL_CHARS {
        Some("api_key_label_too_long")
    } else {
        None
    };
    if let Some(why) = why {
        let mut r = show(&app, &signed, context! { label_error => why, label => label }).await?;
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(r);
    }
    let key = tenants::add_api_key(app.store.as_ref(), signed.tenant.id, label, app.clock.now()).await?;
    tracing::info!(tenant = %signed.tenant.id, user = %signed.user.id, prefix = tenants::api_key_prefix(&key), "API key made in the portal");
    show(&app, &signed, context! { new_key => key, new_label => label }).await
}

/// The question before revoking a key: which, and what it means.
pub async fn confirm_revoke(
    State(app): State<App>,
    signed: Signed,
    Path(hash): Path<String>,
) -> Result<Response, PortalError> {
    signed.require(Role::Admin)?;
    let keys = app.store.api_keys(signed.tenant.id).await?;
    let key = keys
        .into_iter()
        .find(|k| k.key_hash == hash)
        .ok_or(PortalError::NotFound)?;
    show(&app, &signed, context! { revoking => view::ser(&key) }).await
}

/// `POST /portal/api-keys/{hash}/revoke`.
pub async fn revoke(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(hash): Path<String>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    tenants::revoke_api_key(app.store.as_ref(), signed.tenant.id, &hash).await?;
    tracing::info!(tenant = %signed.tenant.id, user = %signed.user.id, "API key revoked in the portal");
    Ok(Redirect::to("/portal/api-keys").into_response())
}
