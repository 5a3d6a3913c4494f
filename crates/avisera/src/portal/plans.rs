//! "See price rates": the plans side by side (fee, SMS and email prices, which triggers), and
//! an admin's request to change plan, which takes effect at the next midnight (Stockholm; the
//! bill charges each day to the plan in force at its start).

use super::session::Signed;
use super::view::{self, PortalError};
use crate::app::App;
use avisera_core::plans;
use avisera_domain::plan::Plan;
use avisera_domain::trigger::Trigger;
use avisera_domain::user::Role;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Deserialize;

pub async fn page(State(app): State<App>, signed: Signed) -> Result<Response, PortalError> {
    let tenant = &signed.tenant;
    let request = app.store.plan_request(tenant.id).await?;
    let plans: Vec<Value> = Plan::ALL
        .iter()
        .map(|p| {
            let prices = app.config.prices.for_plan(*p);
            context! { slug => p.slug(), name => p.to_string(), current => *p == tenant.plan,
            requested => request.as_ref().is_some_and(|r| r.plan == *p),
            monthly_fee => prices.monthly_fee_ore.0, sms => prices.sms_segment_ore.0, email => prices.email_ore.0 }
        })
        .collect();
    let triggers: Vec<Value> = Trigger::ALL
        .iter()
        .map(|t| {
            let plans: Vec<bool> = Plan::ALL.iter().map(|p| p.allows(*t)).collect();
            context! { slug => t.slug(), number => t.number(), plans => plans }
        })
        .collect();
    let request = request.map(|r| {
        let date = r
            .effective_at
            .to_zoned_datetime(super::rules::stockholm())
            .date()
            .to_string();
        context! { plan => r.plan.to_string(), date => date, by => r.by }
    });
    Ok(view::page(
        &signed,
        app.inbox.is_some(),
        "plans.html",
        "plans",
        context! { plans => plans, triggers => triggers, request => request,
        can_change => signed.user.role.allows(Role::Admin) },
    ))
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    plan: String,
}

pub async fn request(
    State(app): State<App>,
    signed: Signed,
    headers: HeaderMap,
    Form(f): Form<PlanForm>,
) -> Result<Response, PortalError> {
    signed.submits(&f.csrf, &headers, Role::Admin)?;
    let plan: Plan = f.plan.parse().map_err(PortalError::BadRequest)?;
    plans::request(
        app.store.as_ref(),
        &signed.tenant,
        plan,
        app.clock.now(),
        &signed.user.email.to_string(),
    )
    .await?;
    Ok(Redirect::to("/portal/plans").into_response())
}
