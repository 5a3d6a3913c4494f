//! The OpenAPI document, generated from the routes as they are registered (`routes!` in
//! `mod.rs`) and the types the handlers read and write; `/openapi.json` serves it and `/docs`
//! shows it as a page.

use super::pages::render_json;
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Avisera API",
        description = "Branded SMS and email notifications for parcel receivers. Every `/v1` route \
            but the carrier webhook takes the tenant's API key as `Authorization: Bearer <key>`. \
            Every error of the API is `{\"error\": {\"code\": ..., \"message\": ...}}`."
    ),
    modifiers(&Security),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.components.get_or_insert_with(Default::default).add_security_scheme(
            "apiKey",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every error of the API: a stable code, what is wrong and what to do, and where it applies
/// the place (`field`, `line`, `column`, and for templates `language`, `part`, `variable`).
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable, for programs: `invalid_body`, `not_found`, `unauthorized`, ...
    code: String,
    /// For people: what is wrong and what to do.
    message: String,
    /// The field that is wrong (null when the whole body is).
    field: Option<String>,
    line: Option<u64>,
    column: Option<u64>,
}

/// The document, built once from the registered routes, with the store's answers added.
pub static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
    let mut doc = super::documented().into_openapi();
    document_store_errors(&mut doc);
    doc
});

/// Every `/v1` route reads or writes the store, so each can answer as `ApiError::from(StoreError)`
/// does (one mapping, in `error.rs`): 503 with `Retry-After` when the database is busy or
/// unreachable, 500 when it is broken, and a write 409 when a value is taken. Added here in
/// one place rather than beside each route, where one would be forgotten.
fn document_store_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, HeaderBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new().description(description).content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Error")))
                .build(),
        )
    };
    let unavailable = error("the database is busy or unreachable; retry after the seconds `Retry-After` says")
        .header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(<u32 as utoipa::PartialSchema>::schema()))
                .description(Some("seconds to wait before asking again"))
                .build(),
        )
        .build();
    let internal = error("something went wrong on our side; it is logged, and retrying will not help").build();
    let conflict = error("a value that must be unique is taken (`constraint` names it)").build();
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/v1/") {
            continue;
        }
        let operations = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.delete, true),
        ];
        for (operation, writes) in operations {
            let Some(operation) = operation else { continue };
            let responses = &mut operation.responses.responses;
            let mut add = |status: &str, response: &utoipa::openapi::Response| {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| response.clone().into());
            };
            add("503", &unavailable);
            add("500", &internal);
            if writes {
                add("409", &conflict);
            }
        }
    }
}

static DOCUMENT_JSON: LazyLock<String> =
    LazyLock::new(|| DOCUMENT.to_pretty_json().expect("the OpenAPI document serializes"));

/// The OpenAPI document of this API (generated from the code).
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
pub async fn openapi() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        DOCUMENT_JSON.as_str(),
    )
        .into_response()
}

/// The API's documentation as a page: every operation with its parameters, body and answers.
#[utoipa::path(get, path = "/docs", tag = "ops",
    responses((status = 200, description = "the documentation page", content_type = "text/html", body = String)))]
pub async fn docs() -> Response {
    let doc = serde_json::to_value(&*DOCUMENT).unwrap_or_default();
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let responses: Vec<_> = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| serde_json::json!({"status": status, "description": r["description"], "content": pretty(&r["content"])}))
                .collect();
            operations.push(serde_json::json!({
                "method": method.to_uppercase(), "path": path, "summary": op["summary"], "description": op["description"],
                "parameters": op["parameters"].as_array().map(|p| pretty(&serde_json::Value::Array(p.clone()))),
                "body": op.get("requestBody").map(pretty),
                "responses": responses,
                "authenticated": op.get("security").is_some(),
            }));
        }
    }
    let schemas: Vec<_> = doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| serde_json::json!({"name": name, "schema": pretty(s)}))
        .collect();
    render_json(
        "docs.html",
        serde_json::json!({"title": doc["info"]["title"], "description": doc["info"]["description"],
                           "version": doc["info"]["version"], "operations": operations, "schemas": schemas}),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_v1_operation_documents_what_the_store_can_answer() {
        let doc = serde_json::to_value(&*super::DOCUMENT).unwrap();
        let mut seen = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for (method, operation) in item.as_object().unwrap() {
                let responses = &operation["responses"];
                assert!(responses["500"].is_object(), "{method} {path} lacks 500");
                let busy = &responses["503"];
                assert!(
                    busy["headers"]["Retry-After"].is_object(),
                    "{method} {path}: 503 without Retry-After"
                );
                if method != "get" {
                    assert!(responses["409"].is_object(), "{method} {path} lacks 409");
                }
                seen += 1;
            }
        }
        assert!(seen > 20, "only {seen} operations under /v1");
    }
}
