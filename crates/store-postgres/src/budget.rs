//! The SMS budget at sending: a claimed SMS reserves its price, atomically across nodes, against
//! what the month already spent plus what live claims reserved; one the budget refuses can
//! become the rule's email, in one transaction with its cancellation.

use crate::codec::PgTime;
use crate::db;
use crate::events::{Planned, add_history, insert_notifications};
use crate::spend::{SPENT, Stretch};
use avisera_domain::billing::Charge;
use avisera_domain::money::Ore;
use avisera_domain::notification::Status;
use avisera_domain::planner::{PlannedNotification, email_key_for};
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{Reservation, StoreResult, allot};
use sqlx::PgPool;
use std::sync::LazyLock;

pub async fn reserve_sms(
    pool: &PgPool,
    tenant: TenantId,
    worker: &str,
    wants: &[(NotificationId, Charge)],
    budget: Ore,
    month: (Timestamp, Timestamp),
    now: Timestamp,
) -> StoreResult<Vec<Reservation>> {
    if wants.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = wants.iter().map(|(id, _)| id.0).collect();
    let mut tx = pool.begin().await.map_err(db)?;
    // Every node reserving for this tenant waits here, so two cannot both see room.
    sqlx::query("SELECT id FROM tenants WHERE id = $1 FOR UPDATE")
        .bind(tenant.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    // A claim whose lease ran out is no longer this worker's to send: said before the budget,
    // which would otherwise count the worker's own lapsed reservations against it.
    // Each read finds the batch's rows by key and names the tenant as a subquery, as ingest does
    // (`events::load_shipments`): statistics that lag a new tenant's burst made the planner read
    // all of the tenant's waiting messages here.
    let ours: Vec<i64> = sqlx::query_scalar(
        "SELECT n.id FROM unnest($2::bigint[]) AS w(id)
         CROSS JOIN LATERAL (
             SELECT id FROM notifications
             WHERE id = w.id AND tenant_id = (SELECT $1::bigint) AND lease_owner = $3 AND status = 'scheduled'
               AND lease_until > $4 OFFSET 0) n",
    )
    .bind(tenant.0)
    .bind(&ids[..])
    .bind(worker)
    .bind(PgTime(now))
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    // What counts: this month's sent SMS (the counter, `spend`), and every reservation not yet
    // finished: a claimed row keeps its reservation past its lease (its worker may still be
    // sending and can still finish it) until a finish or another claim clears it. A row
    // cancelled while in flight counts only while its lease lives: nothing finishes it after
    // that. The live reservations come from their own index (notifications_reserved, migration
    // 19). One statement, so a reservation becoming a sent SMS is seen once.
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT CAST({SPENT}
               + COALESCE((SELECT SUM(billed_units * unit_price_ore) FROM notifications
                           WHERE tenant_id = (SELECT $1::bigint) AND sent_at IS NULL AND billed_units IS NOT NULL
                             AND channel = 'sms' AND lease_owner IS NOT NULL AND id <> ALL($6)
                             AND (status = 'scheduled' OR (status = 'cancelled' AND lease_until > $7))), 0)
             AS BIGINT)"
        )
    });
    let [from, first, last, to] = Stretch::new(month.0, month.1).bounds();
    let committed: i64 = sqlx::query_scalar(STATEMENT.as_str())
        .bind(tenant.0)
        .bind(from)
        .bind(first)
        .bind(last)
        .bind(to)
        .bind(&ids[..])
        .bind(PgTime(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let allotted = allot(
        Ore(committed),
        budget,
        &wants
            .iter()
            .map(|(id, charge)| (ours.contains(&id.0), *charge))
            .collect::<Vec<_>>(),
    );
    // The reservation is the price on the claimed row; it counts while the lease lives, and
    // finishing the delivery replaces it with the charge (or clears it).
    let (mut reserved, mut units, mut prices) = (Vec::new(), Vec::new(), Vec::new());
    for ((id, charge), r) in wants.iter().zip(&allotted) {
        if *r == Reservation::Reserved {
            reserved.push(id.0);
            units.push(i64::from(charge.units));
            prices.push(charge.unit_price.0);
        }
    }
    let written: Vec<i64> = sqlx::query_scalar(
        "UPDATE notifications n SET billed_units = r.units, unit_price_ore = r.price
         FROM (SELECT r.units, r.price, t.id
               FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS r(id, units, price)
               CROSS JOIN LATERAL (
                   SELECT id FROM notifications WHERE id = r.id AND tenant_id = (SELECT $4::bigint) OFFSET 0) t) r
         WHERE n.id = r.id AND n.lease_owner = $5 AND n.status = 'scheduled' AND n.lease_until > $6
         RETURNING n.id",
    )
    .bind(&reserved[..])
    .bind(&units[..])
    .bind(&prices[..])
    .bind(tenant.0)
    .bind(worker)
    .bind(PgTime(now))
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    // A row claimed away between the look and the write is not this worker's to send.
    Ok(wants
        .iter()
        .zip(allotted)
        .map(|((id, _), r)| match r {
            Reservation::Reserved if !written.contains(&id.0) => Reservation::Lost,
            r => r,
        })
        .collect())
}

/// Cancels the claimed SMS with `reason` and adds `email` (keyed as the planner keys the
/// rule's email, so a second try adds nothing), together. False when the SMS is no longer this
/// worker's.
#[allow(clippy::too_many_arguments)]
pub async fn switch_to_email(
    pool: &PgPool,
    tenant: TenantId,
    id: NotificationId,
    worker: &str,
    reason: &str,
    email: &PlannedNotification,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    // Cancelled and read in one statement, locking the row: it is this worker's or nothing.
    let row: Option<(String, Option<i64>, String)> = sqlx::query_as(
        "UPDATE notifications SET status = 'cancelled', reason = $1, lease_owner = NULL, lease_until = NULL,
             billed_units = NULL, unit_price_ore = NULL, updated_at = $2
         WHERE tenant_id = (SELECT $3::bigint) AND id = $4 AND lease_owner = $5 AND status = 'scheduled'
         RETURNING dedupe_key, shipment_id, tracking_number",
    )
    .bind(reason)
    .bind(PgTime(now))
    .bind(tenant.0)
    .bind(id.0)
    .bind(worker)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some((key, shipment, tracking_number)) = row else {
        return Ok(false);
    };
    add_history(&mut tx, tenant, id.0, Status::Cancelled, Some(reason), now).await?;
    let mut email = email.clone();
    email.dedupe_key = email_key_for(&key, &email.recipient);
    let planned = [Planned {
        event: 0,
        shipment: shipment.map(ShipmentId),
        tracking_number: &tracking_number,
        notification: email,
    }];
    insert_notifications(&mut tx, tenant, &planned, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}
