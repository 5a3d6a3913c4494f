//! `POST /v1/edifact`: an EDIFACT file (IFTMIN, IFTSTA) as the raw body, or as the `file`
//! field(s) of a multipart form. The answer is the import summary, per interchange like a
//! CONTRL report, with every rejected message and its place.
//!
//! The body is read whole (at most `max_body_bytes`) before anything is stored, so an upload
//! that is too large gets 413 and changes nothing; larger files go through `avisera import`,
//! which streams.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use crate::ingest::edifact::{Import, ImportSummary};
use avisera_domain::TenantId;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "upload_too_large",
        format!(
            "the upload is larger than {limit} bytes (max_body_bytes); nothing was stored. Split the file, or import it with `avisera import --tenant <id> FILE`"
        ),
    )
}

/// A multipart upload: one or more EDIFACT files as `file`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EdifactForm {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A 422: a form without a file (an error), or an upload none of whose messages could be
/// accepted (the summary).
#[derive(utoipa::ToSchema)]
#[schema(as = ImportUnprocessable)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum Unprocessable {
    Error(super::api_doc::ErrorBody),
    Summary(ImportSummary),
}

/// Upload an EDIFACT file (IFTMIN, IFTSTA): the raw body, or `file` field(s) of a multipart
/// form. The answer is the import summary, per interchange like a CONTRL report.
#[utoipa::path(post, path = "/v1/edifact", tag = "events", security(("apiKey" = [])),
    request_body(content(
        (String = "application/edifact"),
        (EdifactForm = "multipart/form-data"))),
    responses(
        (status = 202, description = "every message accepted", body = ImportSummary),
        (status = 207, description = "some messages rejected (listed with their place)", body = ImportSummary),
        (status = 400, description = "a multipart form that does not parse", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "an upload over max_body_bytes; nothing stored", body = super::api_doc::ErrorBody),
        (status = 422, description = "no message could be accepted, or a form without a file", body = Unprocessable)))]
pub async fn upload(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    request: Request,
) -> Result<(StatusCode, Json<ImportSummary>), ApiError> {
    let limit = app.config.max_body_bytes;
    let headers = request.headers();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let files: Vec<Bytes> = if multipart {
        let mut form = Multipart::from_request(request, &app)
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_multipart", e.body_text()))?;
        let mut files = Vec::new();
        while let Some(field) = form.next_field().await.map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => too_large(limit),
            status => ApiError::new(status, "invalid_multipart", e.body_text()),
        })? {
            if field.name() == Some("file") || field.file_name().is_some() {
                files.push(field.bytes().await.map_err(|e| match e.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => too_large(limit),
                    status => ApiError::new(status, "invalid_multipart", e.body_text()),
                })?);
            }
        }
        if files.is_empty() {
            return Err(ApiError::invalid(
                "no_file",
                "the form has no `file` field; send the EDIFACT file as `file`",
            ));
        }
        files
    } else {
        vec![Bytes::from_request(request, &app).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => too_large(limit),
            other => ApiError::new(other.status(), "unreadable_body", other.body_text()),
        })?]
    };
    let summary = import_all(&app, tenant, &files).await?;
    tracing::info!(
        tenant = %tenant,
        messages = summary.messages,
        rejected = summary.rejected_messages,
        events = summary.events,
        duplicates = summary.duplicates,
        "edifact upload"
    );
    // A file without messages is rejected by the import itself (the same rule as the CLI's),
    // so it arrives here with an error and gets 422 like any other upload with nothing accepted.
    let status = if !summary.has_rejects() {
        StatusCode::ACCEPTED
    } else if summary.accepted_messages == 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::MULTI_STATUS
    };
    Ok((status, Json(summary)))
}

async fn import_all(app: &App, tenant: TenantId, files: &[Bytes]) -> Result<ImportSummary, ApiError> {
    let mut total = ImportSummary::default();
    for file in files {
        let mut import = Import::new(Some((app, tenant)));
        let result = async {
            import.push(file).await?;
            import.finish().await
        }
        .await;
        total.add(result?);
    }
    Ok(total)
}
