//! Recording events: the event, its shipment's new state and the notifications it causes,
//! all in one transaction, each notification at most once by its dedupe key.

use crate::codec::{from_json, ms, to_json, ts};
use crate::{Dialect, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::notification::Status;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::Shipment;
use avisera_domain::trigger::Trigger;
use avisera_domain::{ShipmentId, TenantId, Timestamp};
use avisera_store::{Decide, EventOutcome, StoreResult, StoredEvent};
use sqlx::{Any, AnyPool, Row, Transaction};

pub async fn record(
    pool: &AnyPool,
    dialect: Dialect,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
) -> StoreResult<Vec<EventOutcome>> {
    let mut tx = match dialect {
        Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Dialect::Postgres => pool.begin().await,
    }
    .map_err(db)?;
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        outcomes.push(record_one(&mut tx, tenant, event, decide, now).await?);
    }
    tx.commit().await.map_err(db)?;
    Ok(outcomes)
}

async fn record_one(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    event: &CarrierEvent,
    decide: &Decide<'_>,
    now: Timestamp,
) -> StoreResult<EventOutcome> {
    // Creates the shipment on its first event; on PostgreSQL the row stays locked until commit,
    // so two nodes can never apply events of one shipment at the same time.
    let row = sqlx::query(
        "INSERT INTO shipments (tenant_id, tracking_number, state, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, tracking_number) DO UPDATE SET updated_at = shipments.updated_at
         RETURNING id, state",
    )
    .bind(tenant.0)
    .bind(&event.tracking_number)
    .bind(to_json(&Shipment::new(&event.tracking_number)))
    .bind(ms(now))
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    let shipment_id = ShipmentId(row.try_get("id").map_err(db)?);
    let mut shipment: Shipment = from_json("shipment state", &row.try_get::<String, _>("state").map_err(db)?)?;
    shipment.id = shipment_id;

    let decision = decide(shipment, event);
    let applied = &decision.applied;
    let inserted = sqlx::query(
        "INSERT INTO events (tenant_id, shipment_id, event_key, code, occurred_at, received_at, location, unknown_code, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, shipment_id, event_key) DO NOTHING RETURNING id",
    )
    .bind(tenant.0)
    .bind(shipment_id.0)
    .bind(&event.event_key)
    .bind(&event.code)
    .bind(ms(event.occurred_at))
    .bind(ms(now))
    .bind(event.location.clone())
    .bind(i64::from(applied.unknown_code))
    .bind(to_json(event))
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    if inserted.is_none() {
        return Ok(EventOutcome::Duplicate { shipment_id });
    }

    sqlx::query("UPDATE shipments SET state = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
        .bind(to_json(&applied.shipment))
        .bind(ms(now))
        .bind(tenant.0)
        .bind(shipment_id.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;

    for (trigger, reason) in &applied.cancel {
        cancel_scheduled(tx, tenant, shipment_id, *trigger, reason, now).await?;
    }
    let mut created = 0;
    for planned in &decision.planned {
        if insert_notification(tx, tenant, shipment_id, &event.tracking_number, planned, now).await? {
            created += 1;
        }
    }
    Ok(EventOutcome::Accepted {
        shipment_id,
        notifications: created,
        unknown_code: applied.unknown_code,
    })
}

/// Cancels notifications of a trigger that still wait (and that no worker holds right now).
async fn cancel_scheduled(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    shipment: ShipmentId,
    trigger: Trigger,
    reason: &str,
    now: Timestamp,
) -> StoreResult<()> {
    let rows = sqlx::query(
        "UPDATE notifications SET status = 'cancelled', reason = $1, updated_at = $2
         WHERE tenant_id = $3 AND shipment_id = $4 AND trigger_name = $5 AND status = 'scheduled'
           AND (lease_until IS NULL OR lease_until < $2)
         RETURNING id",
    )
    .bind(reason)
    .bind(ms(now))
    .bind(tenant.0)
    .bind(shipment.0)
    .bind(trigger.slug())
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for row in rows {
        let id: i64 = row.try_get(0).map_err(db)?;
        add_history(tx, tenant, id, Status::Cancelled, Some(reason), now).await?;
    }
    Ok(())
}

pub(crate) async fn add_history(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    notification: i64,
    status: Status,
    reason: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notification_history (tenant_id, notification_id, status, reason, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(tenant.0)
    .bind(notification)
    .bind(status.slug())
    .bind(reason.map(str::to_string))
    .bind(ms(now))
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Inserts a planned notification unless one with its dedupe key exists. True when inserted.
pub(crate) async fn insert_notification(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    shipment: ShipmentId,
    tracking_number: &str,
    planned: &PlannedNotification,
    now: Timestamp,
) -> StoreResult<bool> {
    let (status, reason, message) = match &planned.message {
        Ok(m) => (Status::Scheduled, None, Some(to_json(m))),
        Err(why) => (Status::Failed, Some(why.clone()), None),
    };
    let row = sqlx::query(
        "INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient,
             dedupe_key, idempotency_key, status, reason, language, message, due_at, attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, $15, $15)
         ON CONFLICT (tenant_id, dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(tenant.0)
    .bind(shipment.0)
    .bind(tracking_number)
    .bind(planned.rule_id.map(|r| r.0))
    .bind(planned.trigger.map(|t| t.slug().to_string()))
    .bind(planned.channel.slug())
    .bind(&planned.recipient)
    .bind(&planned.dedupe_key)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(status.slug())
    .bind(reason.clone())
    .bind(planned.language.clone())
    .bind(message)
    .bind(ms(planned.due_at))
    .bind(ms(now))
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    let Some(row) = row else { return Ok(false) };
    let id: i64 = row.try_get(0).map_err(db)?;
    add_history(tx, tenant, id, status, reason.as_deref(), now).await?;
    Ok(true)
}

pub async fn shipment(pool: &AnyPool, tenant: TenantId, tracking_number: &str) -> StoreResult<Option<Shipment>> {
    let row = sqlx::query("SELECT id, state FROM shipments WHERE tenant_id = $1 AND tracking_number = $2")
        .bind(tenant.0)
        .bind(tracking_number)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    let Some(row) = row else { return Ok(None) };
    let mut s: Shipment = from_json("shipment state", &row.try_get::<String, _>("state").map_err(db)?)?;
    s.id = ShipmentId(row.try_get("id").map_err(db)?);
    Ok(Some(s))
}

pub async fn history(pool: &AnyPool, tenant: TenantId, tracking_number: &str) -> StoreResult<Vec<StoredEvent>> {
    let rows = sqlx::query(
        "SELECT e.code, e.occurred_at, e.received_at, e.location, e.unknown_code FROM events e
         JOIN shipments s ON s.id = e.shipment_id AND s.tenant_id = e.tenant_id
         WHERE e.tenant_id = $1 AND s.tracking_number = $2 ORDER BY e.occurred_at, e.id",
    )
    .bind(tenant.0)
    .bind(tracking_number)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(StoredEvent {
                code: r.try_get("code").map_err(db)?,
                occurred_at: ts(r.try_get("occurred_at").map_err(db)?)?,
                received_at: ts(r.try_get("received_at").map_err(db)?)?,
                location: r.try_get("location").map_err(db)?,
                unknown_code: r.try_get::<i64, _>("unknown_code").map_err(db)? != 0,
            })
        })
        .collect()
}
