//! `GET /v1/holidays`: a Nordic country's public holidays of a year, as the domain computes them
//! from the country's laws, with the days off in practice marked `de_facto`. Like the trigger
//! catalogue it holds no tenant's data, so it needs no API key.

use super::error::ApiError;
use crate::app::App;
use avisera_domain::holidays::{self, Country};
use axum::Json;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HolidaysQuery {
    /// SE, NO, DK or FI.
    #[param(example = "SE")]
    country: String,
    /// 1955 to 2200; this year (UTC) when left out.
    #[param(example = 2027)]
    year: Option<i64>,
}

/// The holidays of one country and year.
#[derive(Serialize, ToSchema)]
pub struct HolidayList {
    #[schema(example = "SE")]
    country: String,
    #[schema(example = 2027)]
    year: i16,
    /// By date; a day that is two holidays is listed twice.
    holidays: Vec<HolidayEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct HolidayEntry {
    #[schema(format = Date, example = "2027-01-01")]
    date: String,
    /// In the country's language.
    #[schema(example = "Nyårsdagen")]
    name: String,
    /// Off in practice (julafton, midsommarafton, nyårsafton and their kin) but not by law.
    /// A rule on working days only waits past these too; `PH` in opening hours does not.
    de_facto: bool,
}

/// A country's public holidays of a year (SE, NO, DK, FI), named in its language, computed
/// from its laws; the days off in practice but not by law are marked `de_facto`.
#[utoipa::path(get, path = "/v1/holidays", tag = "rules", params(HolidaysQuery),
    responses(
        (status = 200, description = "the holidays", body = HolidayList),
        (status = 400, description = "no country, a year that is not a whole number, or an unknown parameter", body = super::api_doc::ErrorBody),
        (status = 422, description = "a country other than SE, NO, DK and FI, or a year outside 1955 to 2200 (named in `field`)", body = super::api_doc::ErrorBody)))]
pub async fn list(State(app): State<App>, Query(q): Query<HolidaysQuery>) -> Result<Json<HolidayList>, ApiError> {
    let country: Country = q.country.parse().map_err(|e: holidays::HolidayError| {
        ApiError::invalid("invalid_country", e.to_string()).with(json!({"field": "country"}))
    })?;
    let year = q
        .year
        .unwrap_or_else(|| i64::from(app.clock.now().to_zoned_datetime(jiff::tz::TimeZone::UTC).year()));
    let year = holidays::check_year(year)
        .map_err(|e| ApiError::invalid("invalid_year", e.to_string()).with(json!({"field": "year"})))?;
    Ok(Json(HolidayList {
        country: country.code().to_string(),
        year,
        holidays: holidays::holidays(country, year)
            .into_iter()
            .map(|h| HolidayEntry {
                date: h.date.to_string(),
                name: h.name.to_string(),
                de_facto: h.de_facto,
            })
            .collect(),
    }))
}
