//! Delivery ratings: the receiver's rating page finds the shipment its link names (the
//! receiver's token and one of its shipments) and records the stars and the comment; the
//! tenant reads a period's ratings with their averages per week, carrier and pickup point.

use crate::{Error, Result};
use avisera_domain::rating::{self, Rating, RatingError, RatingForm, Summary};
use avisera_domain::receiver::Receiver;
use avisera_domain::shipment::Shipment;
use avisera_domain::stats::Period;
use avisera_domain::tenant::Tenant;
use avisera_domain::zone::{TENANT_ZONE, tenant_zone};
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{EventStore, Ratings, Receivers, TenantConfig};
use serde::Serialize;

/// What the rating page reads and writes.
pub trait RatingStore: Receivers + EventStore + TenantConfig + Ratings {}

impl<T> RatingStore for T where T: Receivers + EventStore + TenantConfig + Ratings + ?Sized {}

/// The most ratings one period may hold; a longer answer asks for a shorter period.
pub const MAX_RATINGS: usize = 100_000;

/// The shipment a rating link names, with its receiver, tenant and rating so far.
#[derive(Debug, Clone)]
pub struct Rateable {
    pub tenant: Tenant,
    pub receiver: Receiver,
    pub shipment: Shipment,
    pub rating: Option<Rating>,
}

/// The shipment of the link `/r/<token>/<shipment>`; `None` when the link names none: an
/// unknown token, or a shipment that is not that receiver's (so a token cannot rate another
/// receiver's parcel, nor another tenant's).
pub async fn find<S: RatingStore + ?Sized>(store: &S, token: &str, shipment: &str) -> Result<Option<Rateable>> {
    let Some((token, shipment_id)) = rating::parse_rating_path(token, shipment) else {
        return Ok(None);
    };
    let Some((tenant_id, receiver)) = store.receiver_by_token(&token).await? else {
        return Ok(None);
    };
    let Some(shipment) = store.shipment_by_id(tenant_id, shipment_id).await? else {
        return Ok(None);
    };
    if shipment.receiver.as_ref().map(|r| r.id) != Some(receiver.id) {
        return Ok(None);
    }
    let Some(tenant) = store.tenant(tenant_id).await? else {
        return Ok(None);
    };
    let rating = store.rating(tenant_id, shipment.id).await?;
    Ok(Some(Rateable {
        tenant,
        receiver,
        shipment,
        rating,
    }))
}

/// Records the receiver's form: the rating as it now stands, or what to fix (nothing stored).
pub async fn record<S: RatingStore + ?Sized>(
    store: &S,
    found: &Rateable,
    form: RatingForm<'_>,
    now: Timestamp,
) -> Result<Result<Rating, RatingError>> {
    let rated = match rating::rate(&found.shipment, found.rating.as_ref(), form, now) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    store.save_rating(found.tenant.id, &rated).await?;
    Ok(Ok(rated))
}

/// A period's ratings, newest first, and what they add up to.
#[derive(Debug, Clone, Serialize)]
pub struct RatingsReport {
    pub from: Timestamp,
    pub until: Timestamp,
    /// The zone of the weeks and of dates given as `from` and `until`: the tenant's.
    pub time_zone: &'static str,
    pub summary: Summary,
    pub ratings: Vec<Rating>,
}

/// The ratings of the period `from`/`until` (dates in the tenant's zone or instants, as the
/// follow-up numbers take them; the last 30 days by default). A wrong one is `Invalid`
/// naming it.
pub async fn report(
    store: &dyn Ratings,
    tenant: TenantId,
    from: Option<&str>,
    until: Option<&str>,
    now: Timestamp,
) -> Result<RatingsReport> {
    let period = Period::parse(from, until, now, &tenant_zone()).map_err(|e| Error::Invalid {
        code: "invalid_period",
        field: Some(e.field().to_string()),
        message: e.to_string(),
    })?;
    let ratings = store
        .ratings(tenant, period.from, period.until, MAX_RATINGS + 1)
        .await?;
    if ratings.len() > MAX_RATINGS {
        return Err(Error::field(
            "invalid_period",
            "until",
            format!("the period holds more than {MAX_RATINGS} ratings: ask for a shorter one"),
        ));
    }
    Ok(RatingsReport {
        from: period.from,
        until: period.until,
        time_zone: TENANT_ZONE,
        summary: rating::summarize(&ratings),
        ratings,
    })
}
