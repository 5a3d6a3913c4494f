//! The tenant's portal users: admins add people with a role and a first password, and
//! remove them (never themselves).

use super::CsrfForm;
use super::password;
use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_domain::UserId;
use avisera_domain::contact::EmailAddress;
use avisera_domain::user::{Role, check_new_password};
use avisera_store::{NewUser, StoreError};
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

async fn show(app: &App, signed: &Signed, error: Option<String>) -> Result<Response, PortalError> {
    let users = app.store.users(signed.tenant.id).await?;
    Ok(view::page(
        signed,
        app.inbox.is_some(),
        "users.html",
        "users",
        context! { users => view::ser(&users), roles => Role::ALL.map(|r| r.slug()).to_vec(), error => error },
    ))
}

pub async fn page(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    signed.require(Role::Admin)?;
    show(&app, &signed, None).await
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

/// Creates a user; the error says what to fix. Shared with `avisera user add`.
pub async fn add_user(
    store: &dyn avisera_store::Store,
    now: avisera_domain::Timestamp,
    tenant: avisera_domain::TenantId,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<UserId, String> {
    let email = EmailAddress::parse(email).map_err(|e| e.to_string())?;
    check_new_password(password)?;
    let password_hash = password::hash_async(password.to_string()).await;
    let user = NewUser {
        email,
        name: name.trim().to_string(),
        role,
        password_hash,
    };
    match store.create_user(tenant, &user, now).await {
        Ok(id) => Ok(id),
        // Logins are unique across tenants; the answer is the same whether the address is
        // taken here or by another company, so it tells nothing about other tenants.
        Err(StoreError::Conflict { .. }) => Err(format!(
            "{} cannot be added as a new user; use another address, or ask the person which address they sign in with",
            user.email
        )),
        Err(e) => Err(e.to_string()),
    }
}

pub async fn add(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<NewUserForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    let result = match f.role.parse::<Role>() {
        Ok(role) => {
            add_user(
                &*app.store,
                app.clock.now(),
                signed.tenant.id,
                &f.email,
                &f.name,
                role,
                &f.password,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/portal/users").into_response()),
        Err(why) => {
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
    if UserId(id) == signed.user.id {
        return Err(PortalError::BadRequest(
            "you cannot remove yourself; ask another admin".into(),
        ));
    }
    if !app.store.delete_user(signed.tenant.id, UserId(id)).await? {
        return Err(PortalError::NotFound);
    }
    Ok(Redirect::to("/portal/users").into_response())
}
