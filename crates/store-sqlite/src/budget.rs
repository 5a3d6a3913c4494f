//! The SMS budget at sending: a claimed SMS reserves its price, atomically across workers,
//! against what the month already spent plus what live claims reserved; one the budget refuses
//! can become the rule's email, in one transaction with its cancellation.

use crate::codec::Millis;
use crate::events::{Planned, add_history, insert_notifications};
use crate::{begin_write, db};
use avisera_domain::billing::Charge;
use avisera_domain::money::Ore;
use avisera_domain::notification::Status;
use avisera_domain::planner::{PlannedNotification, email_key_for};
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{Reservation, StoreResult, allot};
use sqlx::SqlitePool;

pub async fn reserve_sms(
    pool: &SqlitePool,
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
    // BEGIN IMMEDIATE holds the file's one write lock from the sum to the reservations, so two
    // workers cannot both see room.
    let mut tx = begin_write(pool).await?;
    // A claim whose lease ran out is no longer this worker's to send: said before the budget,
    // which would otherwise count the worker's own lapsed reservations against it.
    let mut ours = Vec::with_capacity(wants.len());
    for (id, _) in wants {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM notifications
             WHERE tenant_id = ?1 AND id = ?2 AND lease_owner = ?3 AND status = 'scheduled' AND lease_until > ?4",
        )
        .bind(tenant.0)
        .bind(id.0)
        .bind(worker)
        .bind(Millis(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        ours.push(found.is_some());
    }
    // What counts: this month's sent SMS, and every reservation not yet finished: a claimed
    // row keeps its reservation past its lease (its worker may still be sending and can still
    // finish it) until a finish or another claim clears it. A row cancelled while in flight
    // counts only while its lease lives: nothing finishes it after that. The batch's own rows
    // are left out (their reservations are made here).
    let marks = vec!["?"; wants.len()].join(", ");
    let sql = format!(
        "SELECT COALESCE(SUM(billed_units * unit_price_ore), 0) FROM notifications
         WHERE tenant_id = ? AND channel = 'sms' AND billed_units IS NOT NULL AND id NOT IN ({marks})
           AND ((sent_at >= ? AND sent_at < ?)
                OR (sent_at IS NULL AND lease_owner IS NOT NULL
                    AND (status = 'scheduled' OR (status = 'cancelled' AND lease_until > ?))))"
    );
    let mut sum = sqlx::query_scalar::<_, i64>(&sql).bind(tenant.0);
    for (id, _) in wants {
        sum = sum.bind(id.0);
    }
    let committed = sum
        .bind(Millis(month.0))
        .bind(Millis(month.1))
        .bind(Millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let allotted = allot(
        Ore(committed),
        budget,
        &ours.iter().zip(wants).map(|(o, (_, c))| (*o, *c)).collect::<Vec<_>>(),
    );
    // The reservation is the price on the claimed row; it counts while the lease lives, and
    // finishing the delivery replaces it with the charge (or clears it).
    let mut reservations = Vec::with_capacity(wants.len());
    for ((id, charge), r) in wants.iter().zip(allotted) {
        if r != Reservation::Reserved {
            reservations.push(r);
            continue;
        }
        let done = sqlx::query(
            "UPDATE notifications SET billed_units = ?1, unit_price_ore = ?2
             WHERE tenant_id = ?3 AND id = ?4 AND lease_owner = ?5 AND status = 'scheduled' AND lease_until > ?6",
        )
        .bind(i64::from(charge.units))
        .bind(charge.unit_price.0)
        .bind(tenant.0)
        .bind(id.0)
        .bind(worker)
        .bind(Millis(now))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        reservations.push(if done.rows_affected() == 1 {
            r
        } else {
            Reservation::Lost
        });
    }
    tx.commit().await.map_err(db)?;
    Ok(reservations)
}

/// Cancels the claimed SMS with `reason` and adds `email` (keyed as the planner keys the
/// rule's email, so a second try adds nothing), together. False when the SMS is no longer this
/// worker's.
#[allow(clippy::too_many_arguments)]
pub async fn switch_to_email(
    pool: &SqlitePool,
    tenant: TenantId,
    id: NotificationId,
    worker: &str,
    reason: &str,
    email: &PlannedNotification,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = begin_write(pool).await?;
    let sms: Option<(String, Option<i64>, String)> = sqlx::query_as(
        "SELECT dedupe_key, shipment_id, tracking_number FROM notifications
         WHERE tenant_id = ?1 AND id = ?2 AND lease_owner = ?3 AND status = 'scheduled'",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(worker)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    let Some((key, shipment, tracking_number)) = sms else {
        return Ok(false);
    };
    let done = sqlx::query(
        "UPDATE notifications SET status = 'cancelled', reason = ?1, lease_owner = NULL, lease_until = NULL,
             billed_units = NULL, unit_price_ore = NULL, updated_at = ?2
         WHERE tenant_id = ?3 AND id = ?4 AND lease_owner = ?5 AND status = 'scheduled'",
    )
    .bind(reason)
    .bind(Millis(now))
    .bind(tenant.0)
    .bind(id.0)
    .bind(worker)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
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
