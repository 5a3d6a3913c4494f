//! Deleting a rule: a question first, then the rule is archived (it stops at once and leaves
//! the list); the deleted rules keep their history, shown on their own page.

use super::CsrfForm;
use super::rules::actor;
use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::rules;
use avisera_domain::RuleId;
use avisera_domain::user::Role;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

/// The question before deleting a rule: which one, and what it means.
pub async fn confirm(State(app): State<App>, signed: Signed, Path(id): Path<i64>) -> Result<Response, PortalError> {
    signed.require(Role::Editor)?;
    let rule = rules::get(app.store.as_ref(), signed.tenant.id, RuleId(id)).await?;
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "delete_rule.html",
        "rules",
        context! { rule => context! { id => rule.id.0, name => rule.name } },
    ))
}

pub async fn delete(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Editor)?;
    let actor = actor(&signed);
    rules::delete(app.store.as_ref(), signed.tenant.id, app.change(&actor), RuleId(id)).await?;
    Ok(Redirect::to("/portal/rules/deleted").into_response())
}

/// The deleted rules, the latest first, each with its history.
pub async fn list(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    let store = app.store.as_ref();
    let mut deleted: Vec<Value> = Vec::new();
    for gone in rules::deleted(store, signed.tenant.id).await? {
        let history = rules::history(store, signed.tenant.id, gone.rule.id).await?;
        deleted.push(context! {
            id => gone.rule.id.0, name => gone.rule.name, trigger => gone.rule.trigger.slug(),
            number => gone.rule.trigger.number(), deleted_at => view::ser(gone.archived_at),
            history => view::ser(&history),
        });
    }
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "deleted_rules.html",
        "rules",
        context! { deleted => deleted },
    ))
}
