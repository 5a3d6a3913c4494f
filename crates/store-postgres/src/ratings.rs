//! Delivery ratings: one row per shipment, replaced by a second rating, read by period.

use crate::codec::PgTime;
use crate::db;
use avisera_domain::rating::{Rating, Stars};
use avisera_domain::{ShipmentId, TenantId, Timestamp};
use avisera_store::{StoreError, StoreResult};
use sqlx::PgPool;

type Row = (i64, String, i16, Option<String>, PgTime, Option<String>, Option<String>);

const SELECT: &str =
    "SELECT shipment_id, tracking_number, stars, comment, rated_at, carrier, pickup_point FROM ratings";

fn rating(row: Row) -> StoreResult<Rating> {
    let (shipment_id, tracking_number, stars, comment, rated_at, carrier, pickup_point) = row;
    let stars = u8::try_from(stars)
        .ok()
        .and_then(Stars::new)
        .ok_or_else(|| StoreError::Corrupt(format!("rating of shipment {shipment_id} has {stars} stars")))?;
    Ok(Rating {
        shipment_id: ShipmentId(shipment_id),
        tracking_number,
        stars,
        comment,
        rated_at: rated_at.0,
        carrier,
        pickup_point,
    })
}

pub async fn save(pool: &PgPool, tenant: TenantId, r: &Rating) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO ratings (tenant_id, shipment_id, tracking_number, stars, comment, rated_at, carrier, pickup_point)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, shipment_id) DO UPDATE SET tracking_number = excluded.tracking_number,
           stars = excluded.stars, comment = excluded.comment, rated_at = excluded.rated_at,
           carrier = excluded.carrier, pickup_point = excluded.pickup_point",
    )
    .bind(tenant.0)
    .bind(r.shipment_id.0)
    .bind(&r.tracking_number)
    .bind(i16::from(r.stars.get()))
    .bind(&r.comment)
    .bind(PgTime(r.rated_at))
    .bind(&r.carrier)
    .bind(&r.pickup_point)
    .execute(pool)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn one(pool: &PgPool, tenant: TenantId, shipment: ShipmentId) -> StoreResult<Option<Rating>> {
    let row: Option<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE tenant_id = (SELECT $1::bigint) AND shipment_id = $2"
    ))
    .bind(tenant.0)
    .bind(shipment.0)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    row.map(rating).transpose()
}

pub async fn between(
    pool: &PgPool,
    tenant: TenantId,
    from: Timestamp,
    until: Timestamp,
    limit: usize,
) -> StoreResult<Vec<Rating>> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} WHERE tenant_id = (SELECT $1::bigint) AND rated_at >= $2 AND rated_at < $3
         ORDER BY rated_at DESC, shipment_id DESC LIMIT $4"
    ))
    .bind(tenant.0)
    .bind(PgTime(from))
    .bind(PgTime(until))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.into_iter().map(rating).collect()
}
