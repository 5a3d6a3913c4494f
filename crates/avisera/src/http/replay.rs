//! `POST /v1/rules/{id}/replay`: a rule, enabled or still a draft, tried on the tenant's stored
//! events of a period. Nothing is stored or sent.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::replay::{self, Period, Report};
use avisera_core::rules;
use avisera_domain::RuleId;
use avisera_domain::event::parse_instant;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The period to replay: `days` up to now, or `from` and `until`; at most 90 days. An empty
/// body is the last 30 days.
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReplayInput {
    /// The last this many days (1 to 90).
    #[schema(minimum = 1, maximum = 90, example = 30)]
    days: Option<u32>,
    /// The period's first instant (RFC 3339), with `until`.
    #[schema(format = DateTime)]
    from: Option<String>,
    /// The instant the period ends (excluded); now when left out.
    #[schema(format = DateTime)]
    until: Option<String>,
}

/// The period a replay covers when none is given.
const DEFAULT_DAYS: u32 = 30;

fn invalid(field: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::from(avisera_core::Error::field("invalid_replay", field, message))
}

impl ReplayInput {
    fn period(self, now: avisera_domain::Timestamp) -> Result<Period, ApiError> {
        let instant = |field: &str, raw: Option<String>| {
            raw.map(|raw| parse_instant(field, &raw).map_err(|e| invalid(field, e.message)))
                .transpose()
        };
        let from = instant("from", self.from)?;
        let until = instant("until", self.until)?;
        match (self.days, from, until) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err(invalid("days", "give either days or from (and until), not both"))
            }
            (Some(days), None, None) => Ok(Period::LastDays(days)),
            (None, Some(from), until) => Ok(Period::Between {
                from,
                until: until.unwrap_or(now),
            }),
            (None, None, Some(_)) => Err(invalid("from", "is required with until")),
            (None, None, None) => Ok(Period::LastDays(DEFAULT_DAYS)),
        }
    }
}

/// `domain::replay::Figures` with the period: what the rule would have done.
#[derive(ToSchema)]
#[schema(as = Replay)]
#[allow(dead_code)]
pub struct ReplayDoc {
    rule_id: i64,
    #[schema(format = DateTime)]
    from: String,
    /// Excluded.
    #[schema(format = DateTime)]
    until: String,
    /// Events stored in the period.
    events: u64,
    /// Shipments those events were about.
    shipments: u64,
    /// Messages the rule would have sent.
    notifications: u64,
    by_channel: ByChannelDoc,
    /// Billed SMS segments of those messages.
    sms_segments: u64,
    /// What they would cost at the plan's prices now, in öre.
    cost_ore: i64,
    skipped: SkippedDoc,
    /// Up to ten of the messages, rendered, their recipients masked.
    examples: Vec<ExampleDoc>,
}

#[derive(ToSchema)]
#[schema(as = ReplayByChannel)]
#[allow(dead_code)]
pub struct ByChannelDoc {
    sms: u64,
    email: u64,
}

/// Why messages would not have gone out (see README: "Try a rule on past events").
#[derive(ToSchema)]
#[schema(as = ReplaySkipped)]
#[allow(dead_code)]
pub struct SkippedDoc {
    opted_out: u64,
    declined: u64,
    no_phone: u64,
    no_email: u64,
    condition: u64,
    inactive: u64,
    not_in_plan: u64,
    cancelled: u64,
    failed: u64,
}

#[derive(ToSchema)]
#[schema(as = ReplayExample)]
#[allow(dead_code)]
pub struct ExampleDoc {
    tracking_number: String,
    #[schema(schema_with = super::schema::channel)]
    channel: String,
    /// Masked: `+46 70•••45 67`, `a•••@example.se`.
    to: String,
    subject: Option<String>,
    text: String,
    #[schema(format = DateTime)]
    due_at: String,
}

/// Runs a rule, enabled or a draft, over the tenant's stored events of a period exactly as the
/// engine would have, and says what it would have sent and cost; stores and sends nothing.
#[utoipa::path(post, path = "/v1/rules/{id}/replay", tag = "rules", security(("apiKey" = [])), params(("id" = i64, Path, description = "the rule's id")),
    request_body(content = Option<ReplayInput>, content_type = "application/json", description = "the period; no body at all means the last 30 days"),
    responses(
        (status = 200, description = "what the rule would have done", body = ReplayDoc),
        (status = 400, description = "malformed JSON, or an id that is not an integer", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 404, description = "no such rule", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a period that is wrong (named): days outside 1 to 90, until before from, longer than 90 days", body = super::api_doc::ErrorBody)))]
pub async fn replay(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<Report>, ApiError> {
    let rule = rules::get(app.store.as_ref(), tenant, RuleId(id)).await?;
    // No body at all: the last 30 days. Anything else must be a JSON object: whitespace alone
    // is no JSON document (the API's schema fuzz sent a lone carriage return).
    let input: ReplayInput = if body.is_empty() {
        ReplayInput::default()
    } else {
        json::object(&body)?
    };
    let now = app.clock.now();
    let period = input.period(now)?;
    Ok(Json(replay::replay(app.replay(), tenant, &rule, period, now).await?))
}
