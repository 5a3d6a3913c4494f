//! API errors: a status code and a JSON body that says what is wrong and what to do.

use avisera_store::StoreError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn with(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "store error");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the database is unavailable; retry later",
        )
    }
}

impl From<crate::engine::IngestError> for ApiError {
    fn from(e: crate::engine::IngestError) -> Self {
        use crate::engine::IngestError;
        match e {
            IngestError::Store(e) => ApiError::from(e),
            IngestError::NoTenant(t) => ApiError::not_found(&format!("tenant {t}")),
            IngestError::EventTime {
                index,
                tracking_number,
                error,
            } => ApiError::invalid(
                "invalid_event",
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
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; see /openapi.json;")
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
