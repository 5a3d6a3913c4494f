//! API errors: a status code and a JSON body that says what is wrong and what to do.

use avisera_store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
    /// Seconds a client should wait before asking again (`Retry-After`, with 503).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
            retry_after: None,
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn with(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
}

/// Each kind of store error has its answer, here and nowhere else: what was named is missing
/// (404), the value is taken (409, naming the constraint), the database was busy or is
/// unreachable (503 with `Retry-After`), and the rest is ours to fix (500). Only the last two
/// are logged as errors.
/// A busy database is free again in a moment; an unreachable one takes longer.
const RETRY_BUSY_S: u32 = 1;
const RETRY_UNAVAILABLE_S: u32 = 5;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(message) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
            StoreError::Conflict { constraint, message } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message).with(json!({ "constraint": constraint }))
            }
            StoreError::Retryable(_) => {
                tracing::warn!(error = %e, "store gave up a transaction for a concurrent one");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_busy",
                    "the database was busy with concurrent changes; retry the request",
                )
                .retry_after(RETRY_BUSY_S)
            }
            StoreError::Unavailable(_) | StoreError::Schema(_) => {
                tracing::error!(error = %e, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the database is unavailable; retry later",
                )
                .retry_after(RETRY_UNAVAILABLE_S)
            }
            StoreError::Corrupt(_) | StoreError::Database(_) => {
                tracing::error!(error = %e, "store error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "something went wrong on our side; it is logged, and retrying will not help",
                )
            }
        }
    }
}

/// Core's refusals by their stable codes: what was named is missing (404), the input is
/// wrong (422, naming the field), the plan lacks a trigger (403), a query filter does not
/// parse (400), and store errors as above.
impl From<avisera_core::Error> for ApiError {
    fn from(e: avisera_core::Error) -> Self {
        use avisera_core::Error;
        let code = e.code();
        match e {
            Error::Store(e) => ApiError::from(e),
            Error::NotFound { what } => ApiError::not_found(&what),
            Error::Invalid { field, message, .. } => match field {
                Some(field) => ApiError::invalid(code, message).with(json!({ "field": field })),
                None => ApiError::invalid(code, message),
            },
            Error::Template(e) => ApiError::invalid(code, e.to_string()).with(json!(e)),
            Error::Mapping(e) => ApiError::invalid(code, e.to_string()).with(json!({ "line": e.line })),
            Error::PlanLacksTrigger(message) => ApiError::new(StatusCode::FORBIDDEN, code, message),
            Error::Filter { field, message } => {
                ApiError::new(StatusCode::BAD_REQUEST, code, format!("{field}: {message}"))
                    .with(json!({ "field": field }))
            }
            Error::EventTime {
                index,
                tracking_number,
                error,
            } => ApiError::invalid(
                code,
                format!("tracking number {tracking_number}: {error}; nothing of this batch was stored"),
            )
            .with(json!({ "field": error.field, "index": index })),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(obj), Value::Object(details)) = (error.as_object_mut(), self.details) {
            obj.extend(details);
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /openapi.json;")
}

/// What answers a path nothing serves: the API's JSON under `/v1`; a page in the receiver's
/// language under a receiver's link (`/u/<token>/...`, `/p/<token>/...`, `/r/<token>/...`);
/// the portal's page in the reader's language, with a link back, for the portal and for any
/// browser; JSON for the rest (a program).
pub async fn fallback(
    axum::extract::State(app): axum::extract::State<crate::app::App>,
    request: axum::extract::Request,
) -> Response {
    let path = request.uri().path();
    if path == "/v1" || path.starts_with("/v1/") {
        return not_found().await.into_response();
    }
    let mut parts = path.trim_start_matches('/').split('/');
    if let (Some("u" | "p" | "r"), Some(token)) = (parts.next(), parts.next())
        && let Some(page) = super::receiver::unknown_page(&app, token).await
    {
        return page;
    }
    let headers = request.headers();
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if browser || path == "/portal" || path.starts_with("/portal/") || path.starts_with("/signup/") {
        return crate::portal::not_found(headers);
    }
    not_found().await.into_response()
}

/// Parses a JSON body (through `json::object`, which first refuses non-objects and duplicate keys), turning decoder errors into a 400 (malformed JSON) or 422 (well-formed
/// but wrong) that names the place.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = serde_path_to_error::deserialize(&mut de).map_err(|e| (e.path().to_string(), e.into_inner()));
    let value: T = match parsed {
        Ok(v) => de.end().map(|()| v).map_err(|e| (".".to_string(), e)),
        Err(e) => Err(e),
    }
    .map_err(|(path, e)| {
        let (status, code) = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                (StatusCode::BAD_REQUEST, "malformed_json")
            }
            _ => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"),
        };
        let field = if path == "." || status == StatusCode::BAD_REQUEST {
            Value::Null
        } else {
            json!(path)
        };
        let message = match &field {
            Value::String(f) => format!("{f}: {e}"),
            _ => e.to_string(),
        };
        ApiError::new(status, code, message).with(json!({ "field": field, "line": e.line(), "column": e.column() }))
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_store_error_kind_has_its_status() {
        let cases = [
            (StoreError::NotFound("tenant 7".into()), 404, "not_found"),
            (StoreError::conflict("users_email_key", "taken"), 409, "conflict"),
            (StoreError::Retryable("deadlock detected".into()), 503, "store_busy"),
            (
                StoreError::Unavailable("pool timed out".into()),
                503,
                "store_unavailable",
            ),
            (StoreError::Schema("newer".into()), 503, "store_unavailable"),
            (StoreError::Corrupt("bad instant".into()), 500, "internal_error"),
            (StoreError::Database("syntax error".into()), 500, "internal_error"),
        ];
        for (e, status, code) in cases {
            let said = e.to_string();
            let api = ApiError::from(e);
            assert_eq!((api.status.as_u16(), api.code), (status, code), "{said}");
            let response = api.into_response();
            let retry = response.headers().get("retry-after");
            assert_eq!(retry.is_some(), status == 503, "{said}: Retry-After only with 503");
        }
        let conflict = ApiError::from(StoreError::conflict("users_email_key", "taken"));
        assert_eq!(conflict.details["constraint"], "users_email_key");
    }

    #[test]
    fn each_kind_of_core_refusal_has_its_status_and_code() {
        use avisera_core::Error;
        let cases = [
            (Error::not_found("rule 7"), 404, "not_found"),
            (Error::field("invalid_rule", "trigger", "unknown"), 422, "invalid_rule"),
            (
                Error::PlanLacksTrigger("needs Premium".into()),
                403,
                "plan_lacks_trigger",
            ),
            (
                Error::Filter {
                    field: "status",
                    message: "unknown".into(),
                },
                400,
                "invalid_query",
            ),
            (
                Error::Store(StoreError::Unavailable("down".into())),
                503,
                "store_unavailable",
            ),
        ];
        for (e, status, code) in cases {
            let said = e.to_string();
            assert_eq!(e.code(), code, "{said}");
            let api = ApiError::from(e);
            assert_eq!((api.status.as_u16(), api.code), (status, code), "{said}");
        }
        let wrong = ApiError::from(Error::field("invalid_rule", "trigger", "unknown"));
        assert_eq!(wrong.message, "trigger: unknown");
        assert_eq!(wrong.details["field"], "trigger");
    }
}
