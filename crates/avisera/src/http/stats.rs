//! `GET /v1/stats`: the follow-up numbers of a period per day, trigger, channel or carrier,
//! as JSON or CSV, for the tenant of the API key only.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_core::stats;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// The first day (in the tenant's zone, Europe/Stockholm: `2026-11-01`) or instant (RFC 3339) of the period; 30 days before
    /// `until` when left out.
    #[param(example = "2026-11-01")]
    from: Option<String>,
    /// The last day (included) or the instant the period ends (excluded); now when left out.
    /// At most 366 days after `from`.
    #[param(example = "2026-11-30")]
    until: Option<String>,
    /// `day` (in the tenant's zone, the default), `trigger`, `channel` or `carrier`.
    #[param(inline, value_type = Option<StatsGroup>)]
    group: Option<String>,
    /// `json` (the default) or `csv`; `Accept: text/csv` asks for CSV too.
    #[param(inline, value_type = Option<StatsFormat>)]
    format: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StatsGroup {
    Day,
    Trigger,
    Channel,
    Carrier,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StatsFormat {
    Json,
    Csv,
}

/// `core::stats::Stats`: the numbers of a period, grouped by `group`.
#[derive(ToSchema)]
#[schema(as = Stats)]
#[allow(dead_code)]
pub struct StatsDoc {
    #[schema(format = DateTime)]
    from: String,
    /// Excluded.
    #[schema(format = DateTime)]
    until: String,
    #[schema(inline)]
    group: StatsGroup,
    /// The zone of the days and of dates given as `from` and `until`: the tenant's.
    #[schema(example = "Europe/Stockholm")]
    time_zone: String,
    groups: Vec<GroupStatsDoc>,
    total: GroupStatsDoc,
    /// Addresses the tenant suppresses now (bounces, complaints, opt-outs).
    suppressed_addresses: u64,
}

/// `domain::stats::GroupStats`: the numbers of one group, over the notifications a provider
/// accepted in the period.
#[derive(ToSchema)]
#[schema(as = GroupStats)]
#[allow(dead_code)]
pub struct GroupStatsDoc {
    /// The day, trigger, channel or carrier (`none`: no trigger; `unknown`: no carrier), or `total`.
    group: String,
    sent: u64,
    delivered: u64,
    undelivered: u64,
    bounced: u64,
    /// delivered / sent; null when nothing was sent.
    delivery_rate: Option<f64>,
    /// The median time from sent to delivered, in seconds; null when none was delivered.
    median_seconds_to_delivered: Option<i64>,
    /// How many had their tracking link visited by a person.
    clicked: u64,
    /// clicked / sent; null when nothing was sent.
    clicked_share: Option<f64>,
    /// How many emails were opened (their open-tracking image fetched by a person); null when
    /// the tenant's open tracking is off.
    opened: Option<u64>,
    /// opened / emails sent; null when open tracking is off or no email was sent.
    opened_share: Option<f64>,
}

/// The follow-up numbers of a period (at most 366 days) per day, trigger, channel or carrier:
/// sent, delivered, undelivered, bounced, delivery rate, median time to delivered, the share
/// whose tracking link was visited and (with open tracking on) of emails opened; and the
/// suppressed addresses. Days and dates are the tenant's (Europe/Stockholm).
#[utoipa::path(get, path = "/v1/stats", tag = "notifications", security(("apiKey" = [])), params(StatsQuery),
    responses(
        (status = 200, description = "the numbers (CSV with `format=csv` or `Accept: text/csv`)",
            content((StatsDoc = "application/json"), (String = "text/csv"))),
        (status = 400, description = "a parameter that does not parse as text, or an unknown one", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 422, description = "a period that is not a date or instant, ends before it starts or is longer than 366 days, or an unknown group or format (named in `field`)", body = super::api_doc::ErrorBody)))]
pub async fn get_stats(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    headers: HeaderMap,
    Query(q): Query<StatsQuery>,
) -> Result<Response, ApiError> {
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"));
    let csv = match q.format.as_deref() {
        None => wants_csv,
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            return Err(
                ApiError::invalid("invalid_format", format!("format {other:?}: use json or csv"))
                    .with(serde_json::json!({"field": "format"})),
            );
        }
    };
    let tenant = avisera_core::tenants::get(app.store.as_ref(), tenant).await?;
    let numbers = stats::numbers(
        app.store.as_ref(),
        &tenant,
        q.from.as_deref(),
        q.until.as_deref(),
        q.group.as_deref(),
        app.clock.now(),
    )
    .await?;
    if csv {
        let name = format!(
            "attachment; filename=\"avisera-stats-{}-{}.csv\"",
            numbers.group,
            numbers.from.strftime("%Y%m%d")
        );
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, name),
            ],
            numbers.csv(),
        )
            .into_response())
    } else {
        Ok(Json(numbers).into_response())
    }
}
