//! `GET /v1/ratings`: the delivery ratings of a period with their averages per week, carrier
//! and pickup point, for the tenant of the API key only.

use super::auth::Authenticated;
use super::error::ApiError;
use crate::app::App;
use avisera_core::ratings::{self, RatingsReport};
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RatingsQuery {
    /// The first day (in the tenant's zone, Europe/Stockholm: `2026-11-01`) or instant (RFC 3339)
    /// of the period; 30 days before `until` when left out.
    #[param(example = "2026-11-01")]
    from: Option<String>,
    /// The last day (included) or the instant the period ends (excluded); now when left out.
    /// At most 366 days after `from`.
    #[param(example = "2026-11-30")]
    until: Option<String>,
}

/// `core::ratings::RatingsReport`: a period's ratings and what they add up to.
#[derive(ToSchema)]
#[schema(as = Ratings)]
#[allow(dead_code)]
pub struct RatingsDoc {
    #[schema(format = DateTime)]
    from: String,
    /// Excluded.
    #[schema(format = DateTime)]
    until: String,
    /// The zone of the weeks and of dates given as `from` and `until`: the tenant's.
    #[schema(example = "Europe/Stockholm")]
    time_zone: String,
    summary: RatingSummaryDoc,
    /// Newest first.
    ratings: Vec<RatingDoc>,
}

/// `domain::rating::Rating`: one shipment's rating (a second rating replaces the first).
#[derive(ToSchema)]
#[schema(as = Rating)]
#[allow(dead_code)]
pub struct RatingDoc {
    shipment_id: i64,
    tracking_number: String,
    #[schema(minimum = 1, maximum = 5)]
    stars: u8,
    comment: Option<String>,
    /// When the stars were last given.
    #[schema(format = DateTime)]
    rated_at: String,
    /// The shipment's carrier when it was rated, if known.
    carrier: Option<String>,
    /// The shipment's pickup point when it was rated; null for a delivery to the door.
    pickup_point: Option<String>,
}

/// `domain::rating::Summary`.
#[derive(ToSchema)]
#[schema(as = RatingSummary)]
#[allow(dead_code)]
pub struct RatingSummaryDoc {
    count: u64,
    /// The average stars, to two decimals; null without ratings.
    average: Option<f64>,
    /// Per ISO week in the tenant's zone (`2026-W49`), oldest first.
    per_week: Vec<RatingAverageDoc>,
    /// Per carrier (`unknown`: none given), best first.
    per_carrier: Vec<RatingAverageDoc>,
    /// Per pickup point (`none`: delivered to the door), best first.
    per_pickup_point: Vec<RatingAverageDoc>,
}

/// `domain::rating::Average`: one group's ratings.
#[derive(ToSchema)]
#[schema(as = RatingAverage)]
#[allow(dead_code)]
pub struct RatingAverageDoc {
    group: String,
    count: u64,
    /// The average stars, to two decimals.
    average: f64,
}

/// The delivery ratings receivers gave in a period (at most 366 days; by when they were
/// given), newest first, with their count and average per ISO week (Europe/Stockholm),
/// carrier and pickup point.
#[utoipa::path(get, path = "/v1/ratings", tag = "notifications", security(("apiKey" = [])), params(RatingsQuery),
    responses(
        (status = 200, description = "the ratings and their summary", body = RatingsDoc),
        (status = 400, description = "a parameter that does not parse as text, or an unknown one", body = super::api_doc::ErrorBody),
        (status = 401, description = "no or an unknown API key", body = super::api_doc::ErrorBody),
        (status = 422, description = "a period that is not a date or instant, ends before it starts, is longer than 366 days or holds over 100,000 ratings (named in `field`)", body = super::api_doc::ErrorBody)))]
pub async fn list(
    State(app): State<App>,
    Authenticated(tenant): Authenticated,
    Query(q): Query<RatingsQuery>,
) -> Result<Json<RatingsReport>, ApiError> {
    let report = ratings::report(
        app.store.as_ref(),
        tenant,
        q.from.as_deref(),
        q.until.as_deref(),
        app.clock.now(),
    )
    .await?;
    Ok(Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisera_domain::rating::{RatingForm, rate, summarize};
    use avisera_domain::shipment::Shipment;
    use std::collections::BTreeSet;
    use utoipa::PartialSchema;

    fn documented<T: PartialSchema>() -> BTreeSet<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        schema["properties"].as_object().unwrap().keys().cloned().collect()
    }

    fn served(value: &serde_json::Value) -> BTreeSet<String> {
        value.as_object().unwrap().keys().cloned().collect()
    }

    /// The documented shapes have the fields the report serves, no more and no fewer.
    #[test]
    fn the_documented_ratings_have_the_served_fields() {
        let now: avisera_domain::Timestamp = "2026-12-07T10:00:00Z".parse().unwrap();
        let form = RatingForm {
            stars: Some("4"),
            comment: Some("Bra"),
        };
        let rating = rate(&Shipment::new("T1"), None, form, now).unwrap();
        let report = RatingsReport {
            from: now,
            until: now,
            time_zone: "Europe/Stockholm",
            summary: summarize(std::slice::from_ref(&rating)),
            ratings: vec![rating],
        };
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(documented::<RatingsDoc>(), served(&json));
        assert_eq!(documented::<RatingDoc>(), served(&json["ratings"][0]));
        assert_eq!(documented::<RatingSummaryDoc>(), served(&json["summary"]));
        assert_eq!(
            documented::<RatingAverageDoc>(),
            served(&json["summary"]["per_week"][0])
        );
    }
}
