//! A tenant's stored events read back in the order they arrived, for replaying a rule over a
//! period: one streamed query, the period's shipments' earlier events first, each with its
//! shipment's receiver (bound when the events were stored).

use crate::codec::PgTime;
use crate::db;
use avisera_domain::event::CarrierEvent;
use avisera_domain::receiver::ReceiverRef;
use avisera_domain::replay::ArrivedEvent;
use avisera_domain::{ShipmentId, TenantId, Timestamp};
use avisera_store::StoreResult;
use futures_util::TryStreamExt;
use sqlx::PgPool;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct Row {
    shipment_id: i64,
    received_at: PgTime,
    body: Json<CarrierEvent>,
    /// The shipment's receiver as its stored state names it now.
    receiver: Option<Json<ReceiverRef>>,
}

pub async fn arrived(
    pool: &PgPool,
    tenant: TenantId,
    from: Timestamp,
    until: Timestamp,
    each: &mut (dyn FnMut(ArrivedEvent) + Send),
) -> StoreResult<u64> {
    // The shipments of the period by the tenant's own unique index (tenant_id, shipment_id, event_key),
    // then all their events up to the period's end.
    let mut rows = sqlx::query_as::<_, Row>(
        "SELECT e.shipment_id, e.received_at, e.body, s.state->'receiver' AS receiver FROM events e
         LEFT JOIN shipments s ON s.tenant_id = e.tenant_id AND s.id = e.shipment_id
         WHERE e.tenant_id = (SELECT $1::bigint) AND e.received_at < $3 AND e.shipment_id IN (
             SELECT p.shipment_id FROM events p
             WHERE p.tenant_id = (SELECT $1::bigint) AND p.received_at >= $2 AND p.received_at < $3)
         ORDER BY e.received_at, e.id",
    )
    .bind(tenant.0)
    .bind(PgTime(from))
    .bind(PgTime(until))
    .fetch(pool);
    let mut count = 0;
    while let Some(row) = rows.try_next().await.map_err(db)? {
        count += 1;
        each(ArrivedEvent {
            shipment: ShipmentId(row.shipment_id),
            received_at: row.received_at.0,
            event: row.body.0,
            receiver: row.receiver.map(|r| r.0),
        });
    }
    Ok(count)
}
