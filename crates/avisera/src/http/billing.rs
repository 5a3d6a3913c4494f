//! The bill, billing settings (SMS budget), and what an SMS text will cost.

use super::auth::Authenticated;
use super::error::ApiError;
use super::json;
use crate::app::App;
use avisera_domain::billing::{Charge, Month};
use avisera_domain::notification::Channel;
use avisera_domain::sms;
use avisera_domain::tenant::BillingSettings;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillQuery {
    month: Option<String>,
    format: Option<String>,
}

/// `GET /v1/bill?month=2026-11[&format=csv]`; this month when none is given.
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
    let tenant = app
        .store
        .tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let (bill, billed) = crate::bill::monthly(app.store.as_ref(), &app.config.prices, &tenant, month).await?;
    match q.format.as_deref() {
        Some("csv") => {
            let name = format!("attachment; filename=\"avisera-bill-{}.csv\"", bill.month);
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, name),
                ],
                crate::bill::csv(&bill, &billed),
            )
                .into_response())
        }
        None | Some("json") => {
            let lines: Vec<Value> = bill
                .lines
                .iter()
                .map(|l| json!({"kind": l.kind, "description": l.description, "quantity": l.quantity,
                                "unit_price_ore": l.unit_price, "amount_ore": l.amount, "amount_sek": l.amount.to_string()}))
                .collect();
            Ok(Json(
                json!({"month": bill.month, "currency": "SEK", "lines": lines, "total_ore": bill.total,
                           "total_sek": bill.total.to_string(), "billed_notifications": billed.len()}),
            )
            .into_response())
        }
        Some(other) => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("format {other:?}: use json or csv"),
        )),
    }
}

pub async fn put_billing(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let settings: BillingSettings = json::object(&body)?;
    if let Err((field, message)) = settings.check() {
        return Err(ApiError::invalid("invalid_billing", message).with(json!({"field": field})));
    }
    app.store.update_billing(tenant, &settings).await?;
    Ok(Json(json!(settings)))
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CountInput {
    text: String,
    /// Count as the tenant's setting would send it (default), or force it on or off.
    transliterate: Option<bool>,
}

/// `POST /v1/sms/count`: encoding, characters, segments and the price of one message on the
/// tenant's plan — the same numbers the worker bills.
pub async fn count(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input: CountInput = json::object(&body)?;
    if input.text.len() > 10_000 {
        return Err(
            ApiError::invalid("text_too_long", "text is longer than 10000 bytes").with(json!({"field": "text"}))
        );
    }
    let tenant = app
        .store
        .tenant(tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let transliterate = input.transliterate.unwrap_or(tenant.billing.transliterate_sms);
    let mut quote = sms_quote(&input.text, transliterate, app.config.prices.for_plan(tenant.plan));
    quote["plan"] = json!(tenant.plan);
    Ok(Json(quote))
}

/// What one SMS with this text is: the text as sent, encoding, characters, units, segments and
/// price — the numbers the worker bills. Shared by the count and the template preview.
pub fn sms_quote(text: &str, transliterate: bool, prices: &avisera_domain::billing::Prices) -> Value {
    let text = sms::as_sent(text, transliterate);
    let c = sms::count(&text);
    let cost = Charge::for_message(Channel::Sms, c.segments, prices).cost();
    json!({"text": text, "encoding": c.encoding, "characters": c.characters, "units": c.units,
           "segments": c.segments, "price_ore": cost, "price_sek": cost.to_string()})
}
