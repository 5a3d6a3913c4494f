//! The bill, billing settings (SMS budget), and what an SMS text will cost.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_core::{billing, tenants};
use avisera_domain::billing::{Bill, LineKind, Month};
use avisera_domain::money::Ore;
use avisera_domain::tenant::BillingSettings;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BillQuery {
    /// The month, `YYYY-MM` (2000 to 2999); this month (in Stockholm) when left out.
    #[param(pattern = "^2[0-9]{3}-(0[1-9]|1[0-2])$", example = "2026-11")]
    month: Option<String>,
    /// `json` (the default) or `csv`.
    #[param(inline, value_type = Option<BillFormat>)]
    format: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum BillFormat {
    Json,
    Csv,
}

/// A month's bill.
#[derive(Serialize, ToSchema)]
#[schema(as = Bill)]
pub struct BillDoc {
    #[schema(example = "2026-11")]
    month: String,
    #[schema(example = "SEK")]
    currency: &'static str,
    lines: Vec<BillLineDoc>,
    #[schema(value_type = i64)]
    total_ore: Ore,
    /// The total in kronor, e.g. "12.50".
    total_sek: String,
    billed_notifications: usize,
}

#[derive(Serialize, ToSchema)]
#[schema(as = BillLine)]
pub struct BillLineDoc {
    #[schema(value_type = String)]
    kind: LineKind,
    description: String,
    quantity: i64,
    #[schema(value_type = i64)]
    unit_price_ore: Ore,
    #[schema(value_type = i64)]
    amount_ore: Ore,
    amount_sek: String,
}

impl BillDoc {
    fn of(bill: Bill, billed: usize) -> Self {
        BillDoc {
            currency: "SEK",
            lines: bill
                .lines
                .into_iter()
                .map(|l| BillLineDoc {
                    kind: l.kind,
                    description: l.description,
                    quantity: l.quantity,
                    unit_price_ore: l.unit_price,
                    amount_ore: l.amount,
                    amount_sek: l.amount.to_string(),
                })
                .collect(),
            total_ore: bill.total,
            total_sek: bill.total.to_string(),
            billed_notifications: billed,
            month: bill.month,
        }
    }
}

/// The bill of a month (`?month=2026-11`, this month when none is given), as JSON or CSV.
#[utoipa::path(get, path = "/v1/bill", tag = "billing", security(("apiKey" = [])), params(BillQuery),
    responses(
        (status = 200, description = "the bill (CSV with `format=csv`)",
            content((BillDoc = "application/json"), (String = "text/csv"))),
        (status = 400, description = "a month or format that does not parse, or an unknown parameter", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody)))]
pub async fn get_bill(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Query(q): Query<BillQuery>,
) -> Result<Response, ApiError> {
    let month = match &q.month {
        Some(m) => Month::parse(m).map_err(|e| {
            ApiError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_query", e.to_string())
                .with(json!({"field": "month"}))
        })?,
        None => Month::of(app.clock.now()),
    };
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    let (bill, billed) = billing::monthly(app.store.as_ref(), &app.config.prices, &tenant, month).await?;
    match q.format.as_deref() {
        Some("csv") => {
            let name = format!("attachment; filename=\"avisera-bill-{}.csv\"", bill.month);
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                billing::csv(&bill, &billed),
            )
                .into_response())
        }
        None | Some("json") => Ok(Json(BillDoc::of(bill, billed.len())).into_response()),
        Some(other) => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("format {other:?}: use json or csv"),
        )),
    }
}

/// Sets the billing settings: the SMS budget and what happens when it is used up, and how
/// SMS are written and limited. A field left out takes its default.
#[utoipa::path(put, path = "/v1/tenant/billing", tag = "billing", security(("apiKey" = [])),
    request_body(content = super::schema::BillingSettingsDoc, content_type = "application/json"),
    responses(
        (status = 200, description = "the settings as stored", body = super::schema::BillingSettingsDoc),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong (named)", body = super::api_doc::ErrorBody)))]
pub async fn put_billing(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<BillingSettings>, ApiError> {
    let settings: BillingSettings = json::object(&body)?;
    tenants::set_billing(app.store.as_ref(), tenant, &settings).await?;
    Ok(Json(settings))
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountInput {
    /// At most 10,000 bytes.
    #[schema(max_length = 10000)]
    text: String,
    /// Count as the tenant's setting would send it (default), or force it on or off.
    transliterate: Option<bool>,
}

/// `POST /v1/sms/count`: encoding, characters, segments and the price of one message on the
/// tenant's plan — the same numbers the worker bills.
#[utoipa::path(post, path = "/v1/sms/count", tag = "billing", security(("apiKey" = [])),
    request_body(content = CountInput, content_type = "application/json"),
    responses(
        (status = 200, description = "what one SMS with this text is and costs", body = SmsQuoteDoc),
        (status = 400, description = "malformed JSON or an empty body", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 413, description = "a body over max_body_bytes", body = super::api_doc::ErrorBody),
        (status = 422, description = "a field that is wrong (named), or a text over 10,000 bytes", body = super::api_doc::ErrorBody)))]
pub async fn count(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<billing::SmsQuote>, ApiError> {
    let input: CountInput = json::object(&body)?;
    if input.text.len() > 10_000 {
        return Err(
            ApiError::invalid("text_too_long", "text is longer than 10000 bytes").with(json!({"field": "text"}))
        );
    }
    let tenant = tenants::get(app.store.as_ref(), tenant).await?;
    let transliterate = input.transliterate.unwrap_or(tenant.billing.transliterate_sms);
    let mut quote = billing::sms_quote(&input.text, transliterate, app.config.prices.for_plan(tenant.plan));
    quote.plan = Some(tenant.plan);
    Ok(Json(quote))
}

/// What one SMS is and costs (`plan` only from `/v1/sms/count`): the document of
/// `avisera_core::billing::SmsQuote`.
#[derive(ToSchema)]
#[schema(as = SmsQuote)]
#[allow(dead_code)]
pub struct SmsQuoteDoc {
    /// The text as it will be sent (transliterated when the setting says so).
    text: String,
    /// `gsm7` or `ucs2`.
    encoding: String,
    characters: usize,
    /// Septets (GSM-7) or UTF-16 units.
    units: usize,
    segments: usize,
    price_ore: i64,
    price_sek: String,
    #[schema(inline)]
    plan: Option<super::schema::PlanDoc>,
}
