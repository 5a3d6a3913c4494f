//! Rules over the API. A new rule is disabled; enabling checks the plan has its trigger.

use super::auth::{Actor, Authenticated};
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::rules;
use avisera_domain::event::parse_instant;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::timing::{LocalTime, QuietHours};
use avisera_domain::trigger::Trigger;
use avisera_domain::{RuleId, TemplateId};
use avisera_store::RuleChange;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A rule: when its trigger fires for a shipment that meets its conditions, it sends its
/// templates on its channels. A new rule is disabled.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    #[schema(schema_with = super::schema::trigger_input)]
    trigger: String,
    #[serde(default)]
    #[schema(value_type = super::schema::ConditionsDoc)]
    conditions: Conditions,
    #[schema(value_type = super::schema::ChannelChoiceDoc)]
    channels: ChannelChoice,
    #[serde(default = "receiver")]
    #[schema(schema_with = super::schema::recipient)]
    recipient: Recipient,
    /// Required when the rule sends SMS: an SMS template of the tenant.
    sms_template_id: Option<i64>,
    /// Required when the rule sends email: an email template of the tenant.
    email_template_id: Option<i64>,
    #[schema(format = DateTime)]
    active_from: Option<String>,
    /// After `active_from`.
    #[schema(format = DateTime)]
    active_until: Option<String>,
    #[serde(default)]
    once_per_shipment: bool,
    /// Only for "days left at pickup point", and required there: 1 to 14.
    #[schema(minimum = 1, maximum = 14)]
    days_before_deadline: Option<u8>,
    /// Free text or a discount code the templates can show as `campaign`; at most 1,000 bytes.
    #[schema(max_length = 1000)]
    campaign: Option<String>,
    /// Send this long after the trigger's moment (at most a week).
    #[serde(default)]
    #[schema(maximum = 10080)]
    delay_minutes: u32,
    /// Per channel, receiver-local times when nothing is sent (at most 20 windows); a message
    /// due then waits for the end.
    #[serde(default)]
    #[schema(value_type = Vec<super::schema::QuietHoursDoc>, max_items = 20)]
    quiet_hours: Vec<QuietHours>,
    /// Only for "days left at pickup point": the receiver-local time of day to send at.
    #[schema(value_type = Option<String>, pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "09:00")]
    send_at_local: Option<LocalTime>,
    /// A message due on a Sunday or a day off in the receiver's country (`GET /v1/holidays`,
    /// de facto days off included) waits for the next working day: at `send_at_local`, else
    /// when the quiet hours end, else 08:00 local.
    #[serde(default)]
    working_days_only: bool,
    /// The brand its messages carry (one of the tenant's other brands, made in the portal);
    /// left out, the default brand.
    brand_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RuleList {
    #[schema(value_type = Vec<super::schema::RuleDoc>)]
    rules: Vec<Rule>,
}

#[derive(Serialize, ToSchema)]
pub struct RuleHistory {
    #[schema(value_type = Vec<super::schema::RuleChangeDoc>)]
    history: Vec<RuleChange>,
}

fn receiver() -> Recipient {
    Recipient::Receiver
}

fn field_error(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::from(avisera_core::Error::field("invalid_rule", field, message.into()))
}

/// The rule in the body (core checks its settings and templates when it is stored).
fn parsed(id: RuleId, body: &[u8]) -> Result<Rule, ApiError> {
    let input: RuleInput = json::object(body)?;
    let trigger: Trigger = input
        .trigger
        .parse()
        .map_err(|e: avisera_domain::trigger::UnknownTrigger| field_error("trigger", e.to_string()))?;
    let instant = |field: &str, v: Option<String>| {
        v.map(|raw| parse_instant(field, &raw).map_err(|e| field_error(field, e.message)))
            .transpose()
    };
    Ok(Rule {
        id,
        name: input.name,
        trigger,
        enabled: false,
        conditions: input.conditions,
        channels: input.channels,
        recipient: input.recipient,
        sms_template_id: input.sms_template_id.map(TemplateId),
        email_template_id: input.email_template_id.map(TemplateId),
        active_from: instant("active_from", input.active_from)?,
        active_until: instant("active_until", input.active_until)?,
        once_per_shipment: input.once_per_shipment,
        days_before_deadline: input.days_before_deadline,
        campaign: input.campaign,
        delay_minutes: input.delay_minutes,
        quiet_hours: input.quiet_hours,
        send_at_local: input.send_at_local,
        working_days_only: input.working_days_only,
        brand_id: input.brand_id.map(avisera_domain::BrandId),
    })
}

/// Creates a rule, disabled.
#[utoipa::path(post, path = "/v1/rules", tag = "rules", security(("apiKey" = [])),
    request_body(content = RuleInput, content_type = "application/json"),
    responses(
        (status = 201, description = "the rule (disabled)", body = super::schema::RuleDoc),
        (status = 400, description = "malformed JSON, an empty body, or an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong (named), or a template that is not the tenant's or not for the channel", body = super::api_doc::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Actor(actor): Actor,
    body: Bytes,
) -> Result<(StatusCode, Json<Rule>), ApiError> {
    let rule = parsed(RuleId(0), &body)?;
    let rule = rules::create(app.store.as_ref(), tenant, app.change(&actor), rule).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Replaces a rule's settings; an enabled rule stays enabled if the plan has its trigger.
#[utoipa::path(put, path = "/v1/rules/{id}", tag = "rules", security(("apiKey" = [])), params(("id" = i64, Path, description = "the rule's id")),
    request_body(content = RuleInput, content_type = "application/json"),
    responses(
        (status = 200, description = "the rule", body = super::schema::RuleDoc),
        (status = 403, description = "the rule is enabled and the plan lacks its trigger", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such rule", body = super::api_doc::ErrorBody),
        (status = 400, description = "malformed JSON, an empty body, or an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong (named), or a template that is not the tenant's or not for the channel", body = super::api_doc::ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Actor(actor): Actor,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Rule>, ApiError> {
    // An unknown rule is a 404 before its body is read.
    let current = rules::get(app.store.as_ref(), tenant, RuleId(id)).await?;
    let rule = parsed(current.id, &body)?;
    Ok(Json(
        rules::update(app.store.as_ref(), tenant, app.change(&actor), rule).await?,
    ))
}

/// Enables a rule: its trigger must be in the tenant's plan.
#[utoipa::path(post, path = "/v1/rules/{id}/enable", tag = "rules", security(("apiKey" = [])), params(("id" = i64, Path, description = "the rule's id")),
    responses(
        (status = 200, description = "the rule", body = super::schema::RuleDoc),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 403, description = "the plan lacks the rule's trigger", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such rule", body = super::api_doc::ErrorBody)))]
pub async fn enable(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Actor(actor): Actor,
    Path(id): Path<i64>,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(
        rules::set_enabled(app.store.as_ref(), tenant, app.change(&actor), RuleId(id), true).await?,
    ))
}

/// Disables a rule.
#[utoipa::path(post, path = "/v1/rules/{id}/disable", tag = "rules", security(("apiKey" = [])), params(("id" = i64, Path, description = "the rule's id")),
    responses(
        (status = 200, description = "the rule", body = super::schema::RuleDoc),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such rule", body = super::api_doc::ErrorBody)))]
pub async fn disable(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Actor(actor): Actor,
    Path(id): Path<i64>,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(
        rules::set_enabled(app.store.as_ref(), tenant, app.change(&actor), RuleId(id), false).await?,
    ))
}

/// Deletes a rule: it is archived, disabled at once, out of `GET /v1/rules`, and its messages not
/// yet sent are cancelled when due ("rule N no longer exists"); `GET /v1/rules/{id}/history`
/// keeps showing what happened to it. Deleting it again answers the same and changes nothing.
#[utoipa::path(delete, path = "/v1/rules/{id}", tag = "rules", security(("apiKey" = [])), params(("id" = i64, Path, description = "the rule's id")),
    responses(
        (status = 200, description = "the rule as it was deleted (disabled)", body = super::schema::RuleDoc),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such rule", body = super::api_doc::ErrorBody)))]
pub async fn delete(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Actor(actor): Actor,
    Path(id): Path<i64>,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(
        rules::delete(app.store.as_ref(), tenant, app.change(&actor), RuleId(id)).await?,
    ))
}

/// `GET /v1/rules/{id}/history`: every create, change, enable, disable and delete, with who and when (a deleted rule's too).
#[utoipa::path(get, path = "/v1/rules/{id}/history", tag = "rules", security(("apiKey" = [])), params(("id" = i64, Path, description = "the rule's id")),
    responses(
        (status = 200, description = "the history, oldest first", body = RuleHistory),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such rule", body = super::api_doc::ErrorBody)))]
pub async fn history(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
) -> Result<Json<RuleHistory>, ApiError> {
    Ok(Json(RuleHistory {
        history: rules::history(app.store.as_ref(), tenant, RuleId(id)).await?,
    }))
}

/// One rule.
#[utoipa::path(get, path = "/v1/rules/{id}", tag = "rules", security(("apiKey" = [])), params(("id" = i64, Path, description = "the rule's id")),
    responses(
        (status = 200, description = "the rule", body = super::schema::RuleDoc),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such rule", body = super::api_doc::ErrorBody)))]
pub async fn get_one(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(rules::get(app.store.as_ref(), tenant, RuleId(id)).await?))
}

/// The tenant's rules.
#[utoipa::path(get, path = "/v1/rules", tag = "rules", security(("apiKey" = [])),
    responses(
        (status = 200, description = "the rules", body = RuleList),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn list(State(app): State<App>, Authenticated(tenant): Authenticated) -> Result<Json<RuleList>, ApiError> {
    Ok(Json(RuleList {
        rules: app.store.rules(tenant).await?,
    }))
}
