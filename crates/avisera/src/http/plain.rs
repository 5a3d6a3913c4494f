//! Errors that axum answers itself under `/v1` and at `/dev/inbox` (a path parameter that does not parse, a body
//! over the limit, a method the route lacks) come as plain text; this layer gives them the
//! API's JSON error shape, so a client reads every error of the API the same way.

use super::error::ApiError;
use crate::app::App;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn json_errors(State(app): State<App>, request: Request, next: Next) -> Response {
    // The dev inbox's JSON is read by programs too.
    let path = request.uri().path();
    let api = path == "/v1" || path.starts_with("/v1/") || path == "/dev/inbox";
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let (code, advice) = match status {
        StatusCode::BAD_REQUEST => (
            "bad_request",
            "check the path and query against /openapi.json".to_string(),
        ),
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint; see /openapi.json".to_string()),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            (
                "method_not_allowed",
                format!("this endpoint takes {allowed}; see /openapi.json"),
            )
        }
        StatusCode::PAYLOAD_TOO_LARGE => (
            "body_too_large",
            format!(
                "the body is larger than {} bytes (max_body_bytes); nothing was stored; split it",
                app.config.max_body_bytes
            ),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "send Content-Type: application/json".into()),
        s if s.is_server_error() => ("internal_error", "the server failed; retry later".into()),
        _ => ("invalid_request", "see /openapi.json".into()),
    };
    let message = if text.is_empty() {
        advice
    } else {
        format!("{text}; {advice}")
    };
    let mut json = ApiError::new(status, code, message).into_response();
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = parts.headers.get(&name) {
            json.headers_mut().insert(name, v.clone());
        }
    }
    json
}
