//! `POST /v1/receipts/sms` and `POST /v1/receipts/email`: providers report what became of
//! messages they accepted. Signed like a carrier's webhook (`ingest::webhook`), with the
//! operator's `receipts_secret`: a receipt names no tenant, so no tenant's secret can sign it.
//! Each receipt is read here (the SMS report by `[sms.receipts]`), applied by `core::receipts`.
//! With several SMS providers each posts to its own path, `/v1/receipts/sms/{provider}`: its
//! reports are read by its own `receipts` table and its ids looked up among its messages.

use super::error::ApiError;
use super::json;
use crate::app::App;
use crate::ingest::webhook::{SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, verify};
use avisera_core::receipts::{self, Applied};
use avisera_domain::notification::Channel;
use avisera_domain::receipt::{ReportError, read_email_event};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// The most receipts one request may carry; a provider sends more as several requests.
pub const MAX_RECEIPTS: usize = 1000;

/// What became of each receipt of a request, by its index, and the counts.
#[derive(Serialize, ToSchema)]
pub struct ReceiptResults {
    /// Receipts in the request.
    received: usize,
    /// Receipts that changed or noted a notification's status.
    recorded: usize,
    /// Receipts refused (unreadable), listed in `results` with the field and why.
    rejected: usize,
    results: Vec<ReceiptResult>,
    /// How to read `results`.
    note: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptResult {
    index: usize,
    /// delivered, undelivered, hard_bounce, soft_bounce, complained (recorded); duplicate,
    /// late, not_sent, intermediate, unknown, ambiguous (nothing changed); rejected. (A receipt
    /// for a message not yet recorded as sent makes the whole answer a 503: send it again.)
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

const NOTE: &str = "unknown: no message of Avisera has this id (answered 202 so the provider does not retry); \
    duplicate or late: the status already holds this or a final receipt, and stays; billing never changes \
    (a message is billed when its provider accepts it)";

/// A 422: a batch that is empty (an error), or one none of whose receipts could be read (the
/// results).
#[derive(ToSchema)]
#[schema(as = ReceiptsUnprocessable)]
#[serde(untagged)]
#[allow(dead_code)]
enum Unprocessable {
    Error(super::api_doc::ErrorBody),
    Results(ReceiptResults),
}

/// One SMS delivery report: its fields are named by `[sms.receipts]` (defaults `id`, `status`,
/// `reason`, `at`); the body is one report or an array of 1 to 1000.
#[derive(ToSchema)]
#[allow(dead_code)]
struct SmsReport {
    /// The provider's message id, as it answered when accepting the message (text or number).
    id: String,
    /// The provider's status word: `delivered`/`DELIVRD` and `failed`, `undeliverable`,
    /// `expired`, `rejected`, `UNDELIV`, `EXPIRED`, `REJECTD` by default; others change nothing.
    status: String,
    reason: Option<String>,
    /// RFC 3339 or Unix seconds.
    at: Option<String>,
}

/// The body: one report or an array of 1 to 1000.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum SmsReports {
    List(Vec<SmsReport>),
    One(SmsReport),
}

/// One email event, as an email provider's webhook or a bounce-mailbox relay sends it.
#[derive(ToSchema)]
#[allow(dead_code)]
struct EmailEvent {
    /// The email's Message-ID header as Avisera sent it: `<key@avisera>`.
    message_id: String,
    /// `delivered`, `bounced` or `complained`.
    status: String,
    /// For a bounce: `hard` (the address is suppressed) or `soft` (noted only).
    kind: Option<String>,
    reason: Option<String>,
    /// RFC 3339 or Unix seconds.
    at: Option<String>,
}

/// The body: one event or an array of 1 to 1000.
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum EmailEvents {
    List(Vec<EmailEvent>),
    One(EmailEvent),
}

/// An SMS provider's delivery reports (no API key: the signature with the operator's
/// `receipts_secret` is the authentication). A sent SMS becomes `delivered` or `undelivered`
/// once; a repeated or late report changes nothing.
#[utoipa::path(post, path = "/v1/receipts/sms", tag = "receipts",
    params(
        ("x-avisera-timestamp" = String, Header, description = "Unix seconds of the signature"),
        ("x-avisera-signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\"> with receipts_secret")),
    request_body(content = SmsReports, content_type = "application/json"),
    responses(
        (status = 202, description = "every report taken (unknown ids and duplicates included)", body = ReceiptResults),
        (status = 207, description = "some reports refused (listed); the others taken", body = ReceiptResults),
        (status = 400, description = "malformed JSON", body = super::api_doc::ErrorBody),
        (status = 401, description = "a missing, wrong or stale signature; nothing changed", body = super::api_doc::ErrorBody),
        (status = 413, description = "more than 1000 reports, or a body over max_body_bytes; nothing changed", body = super::api_doc::ErrorBody),
        (status = 422, description = "no reports, or none could be read", body = Unprocessable),
        (status = 503, description = "receipts are off (no receipts_secret is configured), a receipt names a message not yet recorded as sent (`not_yet_sent`, with the receipts' `indexes`: send the request again), or the database is busy or unreachable; retry after `Retry-After`", body = super::api_doc::ErrorBody,
            headers(("Retry-After" = u32, description = "seconds to wait before asking again")))))]
pub async fn sms(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ReceiptResults>), ApiError> {
    let items = signed_batch(&app, &headers, &body)?;
    // Read as the first provider's reports (the only one's, with one), its id looked up
    // among every provider's messages.
    let shape = app
        .config
        .sms
        .as_ref()
        .map(|s| s.first().receipts.clone())
        .unwrap_or_default();
    sms_reports(&app, &items, &shape, None).await
}

/// One named SMS provider's delivery reports (`[[sms.providers]]`), signed like those of
/// `/v1/receipts/sms`: read by that provider's `receipts` table, and its message ids looked
/// up among the messages it sent (an id is unique per provider only).
#[utoipa::path(post, path = "/v1/receipts/sms/{provider}", tag = "receipts",
    params(
        ("provider" = String, Path, description = "the provider's `name` in [[sms.providers]] (the single [sms] table's is sms_http unless named)"),
        ("x-avisera-timestamp" = String, Header, description = "Unix seconds of the signature"),
        ("x-avisera-signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\"> with receipts_secret")),
    request_body(content = SmsReports, content_type = "application/json"),
    responses(
        (status = 202, description = "every report taken (unknown ids and duplicates included)", body = ReceiptResults),
        (status = 207, description = "some reports refused (listed); the others taken", body = ReceiptResults),
        (status = 400, description = "malformed JSON", body = super::api_doc::ErrorBody),
        (status = 401, description = "a missing, wrong or stale signature; nothing changed", body = super::api_doc::ErrorBody),
        (status = 404, description = "no SMS provider of this name is configured (`unknown_provider`, with the names there are); nothing changed", body = super::api_doc::ErrorBody),
        (status = 413, description = "more than 1000 reports, or a body over max_body_bytes; nothing changed", body = super::api_doc::ErrorBody),
        (status = 422, description = "no reports, or none could be read", body = Unprocessable),
        (status = 503, description = "receipts are off (no receipts_secret is configured), a receipt names a message not yet recorded as sent (`not_yet_sent`, with the receipts' `indexes`: send the request again), or the database is busy or unreachable; retry after `Retry-After`", body = super::api_doc::ErrorBody,
            headers(("Retry-After" = u32, description = "seconds to wait before asking again")))))]
pub async fn sms_of_provider(
    State(app): State<App>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ReceiptResults>), ApiError> {
    let items = signed_batch(&app, &headers, &body)?;
    let providers = app.config.sms.as_ref().map(|s| s.all()).unwrap_or_default();
    let Some(named) = providers.iter().find(|p| p.name() == provider) else {
        let names: Vec<&str> = providers.iter().map(|p| p.name()).collect();
        let message = if names.is_empty() {
            format!("no SMS provider \"{provider}\" is configured: this server has no [sms] provider")
        } else {
            format!(
                "no SMS provider \"{provider}\" is configured; post to /v1/receipts/sms/NAME with one of: {}",
                names.join(", ")
            )
        };
        return Err(
            ApiError::new(StatusCode::NOT_FOUND, "unknown_provider", message).with(json!({ "providers": names }))
        );
    };
    sms_reports(&app, &items, &named.receipts, Some(named.name())).await
}

async fn sms_reports(
    app: &App,
    items: &[Value],
    shape: &avisera_domain::receipt::SmsReportShape,
    provider: Option<&str>,
) -> Result<(StatusCode, Json<ReceiptResults>), ApiError> {
    let now = app.clock.now();
    let mut results = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let result = match shape.read(item) {
            Ok(report) => Ok(receipts::sms(app.store.as_ref(), &report, provider, now).await?),
            Err(e) => Err(e),
        };
        results.push(answer(index, result));
    }
    finish(app, Channel::Sms, results)
}

/// An email provider's delivery, bounce and complaint events (signed like the SMS reports). A
/// hard bounce or a complaint suppresses the address for the email's tenant: later emails to
/// it are cancelled, and a rule with an SMS fallback sends the SMS instead.
#[utoipa::path(post, path = "/v1/receipts/email", tag = "receipts",
    params(
        ("x-avisera-timestamp" = String, Header, description = "Unix seconds of the signature"),
        ("x-avisera-signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of \"<timestamp>.<body>\"> with receipts_secret")),
    request_body(content = EmailEvents, content_type = "application/json"),
    responses(
        (status = 202, description = "every event taken (unknown Message-IDs and duplicates included)", body = ReceiptResults),
        (status = 207, description = "some events refused (listed); the others taken", body = ReceiptResults),
        (status = 400, description = "malformed JSON", body = super::api_doc::ErrorBody),
        (status = 401, description = "a missing, wrong or stale signature; nothing changed", body = super::api_doc::ErrorBody),
        (status = 413, description = "more than 1000 events, or a body over max_body_bytes; nothing changed", body = super::api_doc::ErrorBody),
        (status = 422, description = "no events, or none could be read", body = Unprocessable),
        (status = 503, description = "receipts are off (no receipts_secret is configured), a receipt names a message not yet recorded as sent (`not_yet_sent`, with the receipts' `indexes`: send the request again), or the database is busy or unreachable; retry after `Retry-After`", body = super::api_doc::ErrorBody,
            headers(("Retry-After" = u32, description = "seconds to wait before asking again")))))]
pub async fn email(
    State(app): State<App>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<ReceiptResults>), ApiError> {
    let items = signed_batch(&app, &headers, &body)?;
    let now = app.clock.now();
    let mut results = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let result = match read_email_event(item) {
            Ok((message_id, receipt)) => Ok(receipts::email(app.store.as_ref(), &message_id, &receipt, now).await?),
            Err(e) => Err(e),
        };
        results.push(answer(index, result));
    }
    finish(&app, Channel::Email, results)
}

/// The receipts of a signed body, each as JSON; nothing is read before the signature holds.
fn signed_batch(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<Vec<Value>, ApiError> {
    let Some(secret) = &app.config.receipts_secret else {
        // 503 with a long Retry-After: providers keep their receipts and retry, so those sent
        // before the operator switches receipts on still arrive.
        let mut off = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "receipts_off",
            "receipts are off on this server: set receipts_secret (AVISERA_RECEIPTS_SECRET) to at least 32 random \
             characters on every node, and give it to the providers that post receipts",
        );
        off.retry_after = Some(3600);
        return Err(off);
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(e) = verify(
        secret.expose_secret(),
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        body,
        app.clock.now(),
    ) {
        let (code, message) = match e {
            SignatureError::Stale(_) => ("stale_signature", e.to_string()),
            SignatureError::Mismatch => (
                "bad_signature",
                "the signature does not match the body and timestamp; sign with the operator's receipts_secret, over the exact bytes you send (a trailing newline counts)".to_string(),
            ),
            _ => ("bad_signature", e.to_string()),
        };
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, code, message));
    }
    let items = json::batch(body, MAX_RECEIPTS, false)
        .map_err(|e| match e.code {
            "batch_too_large" => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "batch_too_large",
                format!("a request holds at most {MAX_RECEIPTS} receipts; send more as several requests (nothing was recorded)"),
            )
            .with(json!({ "max_receipts": MAX_RECEIPTS })),
            _ => e,
        })?
        .items;
    if items.is_empty() {
        return Err(ApiError::invalid(
            "invalid_batch",
            format!("send one receipt (a JSON object) or an array of 1 to {MAX_RECEIPTS}"),
        ));
    }
    items
        .into_iter()
        .map(|raw| serde_json::from_str(raw.get()).map_err(|e| ApiError::invalid("invalid_body", e.to_string())))
        .collect()
}

fn answer(index: usize, result: Result<Applied, ReportError>) -> ReceiptResult {
    match result {
        Ok(applied) => ReceiptResult {
            index,
            result: applied.label(),
            field: None,
            message: None,
        },
        Err(e) => ReceiptResult {
            index,
            result: "rejected",
            field: (!e.field.is_empty()).then_some(e.field),
            message: Some(e.message),
        },
    }
}

/// Seconds a provider waits before sending again receipts that came before their message was
/// recorded as sent.
const RETRY_EARLY_S: u32 = 5;

fn finish(
    app: &App,
    channel: Channel,
    results: Vec<ReceiptResult>,
) -> Result<(StatusCode, Json<ReceiptResults>), ApiError> {
    let channel_label = channel.slug();
    let mut counts = std::collections::BTreeMap::<&'static str, u64>::new();
    for r in &results {
        *counts.entry(r.result).or_default() += 1;
    }
    for (result, n) in counts {
        app.metrics.receipts(channel_label, result, n);
    }
    let rejected = results.iter().filter(|r| r.result == "rejected").count();
    let recorded = results
        .iter()
        .filter(|r| {
            matches!(
                r.result,
                "delivered" | "undelivered" | "hard_bounce" | "soft_bounce" | "complained"
            )
        })
        .count();
    let early: Vec<usize> = results
        .iter()
        .filter(|r| r.result == "not_yet_sent")
        .map(|r| r.index)
        .collect();
    if !early.is_empty() {
        // Sending the whole request again is safe: what was recorded now is a duplicate then.
        let mut again = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_yet_sent",
            format!(
                "{} receipt(s) name a message Avisera has not yet recorded as sent (it is being sent, or waits for a retry); \
                 send the request again after {RETRY_EARLY_S} s: the receipts recorded now will count as duplicates",
                early.len()
            ),
        )
        .with(json!({ "indexes": early }));
        again.retry_after = Some(RETRY_EARLY_S);
        return Err(again);
    }
    let status = match rejected {
        0 => StatusCode::ACCEPTED,
        n if n == results.len() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::MULTI_STATUS,
    };
    Ok((
        status,
        Json(ReceiptResults {
            received: results.len(),
            recorded,
            rejected,
            results,
            note: NOTE,
        }),
    ))
}
