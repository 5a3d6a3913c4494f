//! The tenant's portal users: admins add people with a role and a first password, change
//! their role, and remove them after a question (never themselves); the list then says what
//! the change did.

use super::CsrfForm;
use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::users;
use avisera_domain::UserId;
use avisera_domain::user::Role;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

async fn show(app: &App, signed: &Signed, error: Option<String>) -> Result<Response, PortalError> {
    show_with(app, signed, error, &Done::default()).await
}

async fn show_with(app: &App, signed: &Signed, error: Option<String>, done: &Done) -> Result<Response, PortalError> {
    let users = app.store.users(signed.tenant.id).await?;
    // What the last change did, said on the page it led back to.
    let changed = done
        .changed
        .and_then(|id| users.iter().find(|u| u.id.0 == id))
        .map(|u| context! { name => &u.name, email => u.email.to_string(), role => u.role.slug() });
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "users.html",
        "users",
        context! { users => view::ser(&users), roles => Role::ALL.map(|r| r.slug()).to_vec(),
        error => error.map(|e| super::words::say(signed.lang, &e)),
        changed => changed, removed => done.removed.is_some() },
    ))
}

/// After a change, the list says what it did: `?changed=<id>` (a role), `?removed=1`.
#[derive(Deserialize, Default)]
pub struct Done {
    changed: Option<i64>,
    removed: Option<String>,
}

pub async fn page(
    State(app): State<App>,
    signed: Signed,
    axum::extract::Query(done): axum::extract::Query<Done>,
) -> Result<Response, PortalError> {
    signed.require(Role::Admin)?;
    show_with(&app, &signed, None, &done).await
}

#[derive(Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    email: String,
    name: String,
    role: String,
    password: String,
}

pub async fn add(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<NewUserForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    let result = match f.role.parse::<Role>() {
        Ok(role) => users::add(
            &*app.store,
            app.clock.now(),
            signed.tenant.id,
            &f.email,
            &f.name,
            role,
            &f.password,
        )
        .await
        .map_err(|e| match e {
            avisera_core::Error::Invalid { message, .. } => Ok(message),
            other => Err(other),
        }),
        Err(e) => Err(Ok(e)),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/portal/users").into_response()),
        Err(Err(e)) => Err(e.into()),
        Err(Ok(why)) => {
            let mut r = show(&app, &signed, Some(why)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

pub async fn delete(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    users::remove(&*app.store, signed.tenant.id, signed.user.id, UserId(id)).await?;
    Ok(Redirect::to("/portal/users?removed=1").into_response())
}

/// The question before removing a user: who, and what it means.
pub async fn confirm_delete(
    State(app): State<App>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, PortalError> {
    signed.require(Role::Admin)?;
    let target = app
        .store
        .user(signed.tenant.id, UserId(id))
        .await?
        .ok_or(PortalError::NotFound)?;
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "remove_user.html",
        "users",
        context! { target => context! { id => target.id.0, name => target.name, email => target.email.to_string() } },
    ))
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<RoleForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    let role: Role = f.role.parse().map_err(PortalError::BadRequest)?;
    match users::account::change_role(app.store.as_ref(), signed.tenant.id, signed.user.id, UserId(id), role).await {
        Ok(()) => Ok(Redirect::to(&format!("/portal/users?changed={id}")).into_response()),
        Err(avisera_core::Error::Invalid { message, .. }) => {
            let mut r = show(&app, &signed, Some(message)).await?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}
