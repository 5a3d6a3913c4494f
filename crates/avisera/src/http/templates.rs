//! Templates over the API. A template that does not render against the sample shipment is
//! refused with the language, part, line and variable.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::{templates, tenants};
use avisera_domain::TemplateId;
use avisera_domain::notification::Channel;
use avisera_domain::template::{Template, TemplateBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
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
    /// For email: add a small opt-out footer when the text has no `{{ unsubscribe_link }}`
    /// (default true); false for transactional-only templates.
    #[serde(default = "footer_by_default")]
    opt_out_footer: bool,
}

fn footer_by_default() -> bool {
    true
}

/// A template rendered against the sample shipment, per language, with what one message costs
/// (the document of `avisera_core::templates::Preview`).
#[derive(ToSchema)]
#[schema(as = Preview)]
#[allow(dead_code)]
pub struct PreviewDoc {
    #[schema(schema_with = super::schema::channel)]
    channel: String,
    #[schema(inline)]
    plan: super::schema::PlanDoc,
    /// Per language: for SMS the quote (text, encoding, segments, price), for email `subject`,
    /// `html`, `text` and the price.
    #[schema(value_type = BTreeMap<String, Object>)]
    languages: Value,
    /// The brand the preview is shown in: 0, the default brand.
    brand_id: i64,
    /// What the author should know, for each language with something to say: `missing` (the
    /// variables printed without `{% if %}` or `default` that some shipments lack), `sms` (an
    /// SMS past one segment: `characters`, `encoding`, `segments`, `single_segment`,
    /// `not_gsm7`) and `subject_chars` (a subject past the 78 characters inboxes show).
    #[schema(value_type = Vec<Object>)]
    advice: Vec<Value>,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    #[schema(value_type = Vec<super::schema::TemplateDoc>)]
    templates: Vec<Template>,
}

/// The template in the body (core checks it against the sample shipment when it is stored).
fn parsed(id: TemplateId, body: &[u8]) -> Result<Template, ApiError> {
    let input: TemplateInput = json::object(body)?;
    Ok(Template {
        id,
        name: input.name,
        channel: input.channel,
        default_language: input.default_language,
        contents: input.contents,
        opt_out_footer: input.opt_out_footer,
    })
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
) -> Result<(StatusCode, Json<Template>), ApiError> {
    let template = parsed(TemplateId(0), &body)?;
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    let template = templates::create(app.store.as_ref(), &tenant, template, app.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(template)))
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
) -> Result<Json<Template>, ApiError> {
    let template = parsed(TemplateId(id), &body)?;
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    Ok(Json(
        templates::update(app.store.as_ref(), &tenant, template, app.clock.now()).await?,
    ))
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
) -> Result<Json<Template>, ApiError> {
    Ok(Json(templates::get(app.store.as_ref(), tenant, TemplateId(id)).await?))
}

/// The tenant's templates.
#[utoipa::path(get, path = "/v1/templates", tag = "templates", security(("apiKey" = [])),
    responses(
        (status = 200, description = "the templates", body = TemplateList),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
) -> Result<Json<TemplateList>, ApiError> {
    Ok(Json(TemplateList {
        templates: app.store.templates(tenant).await?,
    }))
}

/// `POST /v1/templates/preview`: a template (as for create) rendered against the sample
/// shipment in each of its languages, with what one message costs on the tenant's plan: for
/// SMS the encoding and segments the worker will bill.
#[utoipa::path(post, path = "/v1/templates/preview", tag = "templates", security(("apiKey" = [])),
    request_body(content = TemplateInput, content_type = "application/json"),
    responses(
        (status = 200, description = "each language rendered, with its price", body = PreviewDoc),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong, or a template that does not render (language, part, line and variable named)", body = super::api_doc::ErrorBody)))]
pub async fn preview(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<templates::Preview>, ApiError> {
    let template = parsed(TemplateId(0), &body)?;
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    templates::check(&tenant, &template)?;
    Ok(Json(templates::preview(app.preview(), &tenant, &template)?))
}
