//! Templates over the API. A template that does not render against the sample shipment is
//! refused with the language, part, line and variable.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_domain::billing::Charge;
use avisera_domain::links::Links;
use avisera_domain::notification::Channel;
use avisera_domain::template::{Template, TemplateBody, sample_variables};
use avisera_domain::tenant::Tenant;
use avisera_domain::{TemplateId, TenantId};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A template: per language, for SMS a `text`, for email a `subject` and an `html` or `text`
/// (minijinja, strict: an unknown variable is refused).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    #[schema(schema_with = super::schema::channel)]
    channel: Channel,
    /// One of the languages in `contents`.
    default_language: String,
    /// Per language code, at least one.
    #[schema(value_type = BTreeMap<String, super::schema::TemplateBodyDoc>)]
    contents: BTreeMap<String, TemplateBody>,
}

/// A template rendered against the sample shipment, per language, with what one message costs.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Preview {
    #[schema(schema_with = super::schema::channel)]
    channel: String,
    #[schema(inline)]
    plan: super::schema::PlanDoc,
    /// Per language: for SMS the quote (text, encoding, segments, price), for email `subject`,
    /// `html`, `text` and the price.
    #[schema(value_type = BTreeMap<String, Object>)]
    languages: Value,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TemplateList {
    templates: Vec<super::schema::TemplateDoc>,
}

/// The template in the body, checked against the sample shipment within the tenant's limits.
async fn checked(app: &App, tenant: TenantId, id: TemplateId, body: &[u8]) -> Result<Template, ApiError> {
    let input: TemplateInput = json::object(body)?;
    let limits = app
        .store
        .tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?
        .billing
        .message_limits();
    let template = Template {
        id,
        name: input.name,
        channel: input.channel,
        default_language: input.default_language,
        contents: input.contents,
    };
    template
        .check_within(&limits)
        .map_err(|e| ApiError::invalid("invalid_template", e.to_string()).with(json!(e)))?;
    Ok(template)
}

/// Creates a template; it is checked against the sample shipment within the tenant's limits.
#[utoipa::path(post, path = "/v1/templates", tag = "templates", security(("apiKey" = [])),
    request_body(content = TemplateInput, content_type = "application/json"),
    responses(
        (status = 201, description = "the template", body = super::schema::TemplateDoc),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong, or a template that does not render (language, part, line and variable named)", body = super::api_doc::ErrorBody)))]
pub async fn create(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut template = checked(&app, tenant, TemplateId(0), &body).await?;
    template.id = app.store.create_template(tenant, &template, app.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(json!(template))))
}

/// Replaces a template (checked as at create).
#[utoipa::path(put, path = "/v1/templates/{id}", tag = "templates", security(("apiKey" = [])),
    params(("id" = i64, Path, description = "the template's id")),
    request_body(content = TemplateInput, content_type = "application/json"),
    responses(
        (status = 200, description = "the template", body = super::schema::TemplateDoc),
        (status = 404, description = "no such template", body = super::api_doc::ErrorBody),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong, or a template that does not render (language, part, line and variable named)", body = super::api_doc::ErrorBody)))]
pub async fn update(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let template = checked(&app, tenant, TemplateId(id), &body).await?;
    if !app.store.update_template(tenant, &template, app.clock.now()).await? {
        return Err(ApiError::not_found(&format!("template {id}")));
    }
    Ok(Json(json!(template)))
}

/// One template.
#[utoipa::path(get, path = "/v1/templates/{id}", tag = "templates", security(("apiKey" = [])),
    params(("id" = i64, Path, description = "the template's id")),
    responses(
        (status = 200, description = "the template", body = super::schema::TemplateDoc),
        (status = 400, description = "an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such template", body = super::api_doc::ErrorBody)))]
pub async fn get_one(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let t = app
        .store
        .template(tenant, TemplateId(id))
        .await?
        .ok_or_else(|| ApiError::not_found(&format!("template {id}")))?;
    Ok(Json(json!(t)))
}

/// The tenant's templates.
#[utoipa::path(get, path = "/v1/templates", tag = "templates", security(("apiKey" = [])),
    responses(
        (status = 200, description = "the templates", body = TemplateList),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn list(State(app): State<App>, Authenticated(tenant): Authenticated) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "templates": app.store.templates(tenant).await? })))
}

/// `POST /v1/templates/preview`: a template (as for create) rendered against the sample
/// shipment in each of its languages, with what one message costs on the tenant's plan: for
/// SMS the encoding and segments the worker will bill.
#[utoipa::path(post, path = "/v1/templates/preview", tag = "templates", security(("apiKey" = [])),
    request_body(content = TemplateInput, content_type = "application/json"),
    responses(
        (status = 200, description = "each language rendered, with its price", body = Preview),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong, or a template that does not render (language, part, line and variable named)", body = super::api_doc::ErrorBody)))]
pub async fn preview(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let template = checked(&app, tenant, TemplateId(0), &body).await?;
    let tenant = app
        .store
        .tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    Ok(Json(preview_of(&app, &tenant, &template)?))
}

/// Each language of a template rendered against the sample shipment (with the tenant's own
/// logo), with what one message costs on the tenant's plan.
pub(crate) fn preview_of(app: &App, tenant: &Tenant, template: &Template) -> Result<Value, ApiError> {
    let mut vars = sample_variables();
    // Links as this installation writes them, so the preview counts what will be billed.
    let tracking = vars["tracking_number"].clone();
    vars.insert(
        "tracking_link",
        app.links
            .tracking(tenant.id, avisera_domain::ShipmentId(1_234_567), &tracking),
    );
    vars.insert("unsubscribe_link", app.links.unsubscribe(tenant.id, "+46701234567"));
    if let Some(logo) = tenant.brand.logo_id {
        vars.insert("logo_url", app.links.logo(tenant.id, logo));
    }
    let prices = app.config.prices.for_plan(tenant.plan);
    let mut out = serde_json::Map::new();
    for language in template.contents.keys() {
        let r = template
            .render(Some(language), &vars)
            .map_err(|e| ApiError::invalid("invalid_template", e.to_string()).with(json!(e)))?;
        let rendered = match template.channel {
            Channel::Sms => super::billing::sms_quote(&r.text, tenant.billing.transliterate_sms, prices),
            Channel::Email => {
                let charge = Charge::for_message(Channel::Email, 0, prices);
                json!({"subject": r.subject, "html": r.html, "text": r.text,
                       "price_ore": charge.cost(), "price_sek": charge.cost().to_string()})
            }
        };
        out.insert(language.clone(), rendered);
    }
    Ok(json!({ "channel": template.channel, "plan": tenant.plan, "languages": out }))
}
