//! Recording events: the event, its shipment's new state and the notifications it causes,
//! all in one transaction, each notification at most once by its dedupe key.
//!
//! Every batch statement passes its rows as arrays and `unnest`s them: one fixed statement
//! (checked at build time by `query!`) whatever the batch's size, no parameter limit to chunk
//! around, and one plan PostgreSQL prepares once per connection.

use crate::codec::PgTime;
use crate::{Tx, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::ingest::{Cancel, EventPlan, plan_batch};
use avisera_domain::notification::Status;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::Shipment;
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{
    Decide, EventOutcome, InsertedNotification, Lease, ShipmentSearch, StoreError, StoreResult, StoredBatch,
    StoredEvent, due_now,
};
use sqlx::PgPool;
use sqlx::types::Json;
use std::collections::{BTreeSet, HashMap, HashSet};

pub async fn record(
    pool: &PgPool,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
    lease: Option<&Lease<'_>>,
) -> StoreResult<StoredBatch> {
    crate::error::retrying(|| record_once(pool, tenant, events, decide, now, lease)).await
}

async fn record_once(
    pool: &PgPool,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
    lease: Option<&Lease<'_>>,
) -> StoreResult<StoredBatch> {
    let mut tx = pool.begin().await.map_err(db)?;
    let recorded = record_batch(&mut tx, tenant, events, decide, now, lease).await?;
    tx.commit().await.map_err(db)?;
    Ok(recorded)
}

/// A notification planned by one event of the batch.
pub(crate) struct Planned<'a> {
    pub(crate) event: usize,
    /// None for the tenant's own notices, which are not billed.
    pub(crate) shipment: Option<ShipmentId>,
    pub(crate) tracking_number: &'a str,
    pub(crate) notification: PlannedNotification,
}

/// Inserts the tenant's own notices (no shipment, not billed) in their own transaction.
pub async fn add_notices(
    pool: &PgPool,
    tenant: TenantId,
    notices: &[PlannedNotification],
    now: Timestamp,
) -> StoreResult<u32> {
    let planned: Vec<Planned<'_>> = notices
        .iter()
        .enumerate()
        .map(|(i, n)| Planned {
            event: i,
            shipment: None,
            tracking_number: "",
            notification: n.clone(),
        })
        .collect();
    let mut tx = pool.begin().await.map_err(db)?;
    let inserted = insert_notifications(&mut tx, tenant, &planned, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(inserted.len() as u32)
}

/// Records a batch with a fixed number of statements, whatever its size: upsert its shipments,
/// bind their receivers, insert its events (learning which are new), let the domain decide the batch in memory, then
/// write the shipments' new states, the cancels and all notifications.
async fn record_batch(
    tx: &mut Tx,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
    lease: Option<&Lease<'_>>,
) -> StoreResult<StoredBatch> {
    let Loaded {
        mut shipments,
        new: created,
    } = load_shipments(tx, tenant, events).await?;
    crate::receivers::bind(tx, tenant, &mut shipments, events, now).await?;
    let created: HashMap<&str, ShipmentId> = created.into_iter().map(|t| (t, shipments[t].id)).collect();
    let mut stored = insert_events(tx, tenant, events, &shipments, now).await?;
    // An event is new once: a second copy in the same batch is a duplicate too.
    let new: Vec<bool> = events
        .iter()
        .map(|e| stored.remove(&(shipments[e.tracking_number.as_str()].id.0, e.event_key.clone())))
        .collect();
    let plan = plan_batch(events, shipments, &new, decide);

    let mut outcomes = Vec::with_capacity(events.len());
    let (mut unknown_shipments, mut unknown_keys) = (Vec::new(), Vec::new());
    for (event, planned) in events.iter().zip(&plan.events) {
        outcomes.push(match *planned {
            EventPlan::Duplicate { shipment_id } => EventOutcome::Duplicate { shipment_id },
            EventPlan::Accepted {
                shipment_id,
                unknown_code,
            } => {
                if unknown_code {
                    unknown_shipments.push(shipment_id.0);
                    unknown_keys.push(event.event_key.as_str());
                }
                EventOutcome::Accepted {
                    shipment_id,
                    notifications: 0,
                    unknown_code,
                }
            }
        });
    }
    // Every new shipment is saved (its events refer to it), changed by the batch or not.
    let changed: HashSet<&str> = plan.shipments.iter().map(|s| s.tracking_number.as_str()).collect();
    let unchanged_new: Vec<Shipment> = created
        .iter()
        .filter(|(t, _)| !changed.contains(*t))
        .map(|(t, id)| Shipment {
            id: *id,
            ..Shipment::new(t)
        })
        .collect();
    let to_save: Vec<&Shipment> = plan.shipments.iter().chain(&unchanged_new).collect();
    let created: HashSet<&str> = created.into_keys().collect();
    save_shipments(tx, tenant, &to_save, &created, now).await?;
    if !unknown_keys.is_empty() {
        sqlx::query!(
            "UPDATE events SET unknown_code = true
             WHERE tenant_id = $1 AND (shipment_id, event_key) IN (SELECT * FROM unnest($2::bigint[], $3::text[]))",
            tenant.0,
            &unknown_shipments[..] as _,
            &unknown_keys[..] as _,
        )
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    cancel_scheduled(tx, tenant, &plan.cancels, now).await?;
    let planned: Vec<Planned<'_>> = plan
        .notifications
        .into_iter()
        .map(|n| Planned {
            event: n.event,
            shipment: Some(n.shipment),
            tracking_number: n.tracking_number,
            notification: n.notification,
        })
        .collect();
    let lease = lease.filter(|l| l.takes(planned.iter().map(|p| &p.notification), now));
    let inserted = insert_leasing(tx, tenant, &planned, now, lease).await?;
    let of = |i: usize| (planned[i].event, planned[i].shipment, &planned[i].notification);
    Ok(StoredBatch::of(tenant, outcomes, inserted, of, now))
}

/// The batch's shipments: those stored, locked for this transaction, and for the others a new
/// id from the shipments' sequence (they are inserted once, with their state after the batch,
/// by `save_shipments`).
///
/// Rows are taken in tracking-number order, so concurrent batches lock shared shipments in
/// the same order and cannot deadlock; the locks hold until commit, so two nodes never apply
/// events of one shipment at the same time.
async fn load_shipments<'e>(tx: &mut Tx, tenant: TenantId, events: &'e [CarrierEvent]) -> StoreResult<Loaded<'e>> {
    let tracking: Vec<&str> = events
        .iter()
        .map(|e| e.tracking_number.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = sqlx::query!(
        r#"SELECT id, tracking_number, state AS "state: Json<Shipment>" FROM shipments
           WHERE tenant_id = $1 AND tracking_number = ANY($2)
           ORDER BY tracking_number FOR UPDATE"#,
        tenant.0,
        &tracking[..] as _,
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let mut loaded = Loaded {
        shipments: HashMap::with_capacity(tracking.len()),
        new: Vec::new(),
    };
    for row in rows {
        let key = tracking
            .binary_search(&row.tracking_number.as_str())
            .map(|at| tracking[at])
            .map_err(|_| {
                StoreError::Corrupt(format!("the lookup returned unknown shipment {}", row.tracking_number))
            })?;
        let mut shipment = row.state.0;
        shipment.id = ShipmentId(row.id);
        loaded.shipments.insert(key, shipment);
    }
    let missing: Vec<&str> = tracking
        .iter()
        .copied()
        .filter(|t| !loaded.shipments.contains_key(t))
        .collect();
    if !missing.is_empty() {
        let ids = sqlx::query_scalar!(
            r#"SELECT nextval(pg_get_serial_sequence('shipments', 'id')) AS "id!" FROM generate_series(1, $1)"#,
            missing.len() as i32,
        )
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
        for (t, id) in missing.into_iter().zip(ids) {
            let mut shipment = Shipment::new(t);
            shipment.id = ShipmentId(id);
            loaded.shipments.insert(t, shipment);
            loaded.new.push(t);
        }
    }
    Ok(loaded)
}

/// The batch's shipments by tracking number, and which of them are not stored yet.
struct Loaded<'e> {
    shipments: HashMap<&'e str, Shipment>,
    new: Vec<&'e str>,
}

/// Inserts the events; returns (shipment, event key) of those not stored before.
async fn insert_events(
    tx: &mut Tx,
    tenant: TenantId,
    events: &[CarrierEvent],
    shipments: &HashMap<&str, Shipment>,
    now: Timestamp,
) -> StoreResult<HashSet<(i64, String)>> {
    let shipment_ids: Vec<i64> = events
        .iter()
        .map(|e| shipments[e.tracking_number.as_str()].id.0)
        .collect();
    let keys: Vec<&str> = events.iter().map(|e| e.event_key.as_str()).collect();
    let codes: Vec<&str> = events.iter().map(|e| e.code.as_str()).collect();
    let occurred: Vec<PgTime> = events.iter().map(|e| PgTime(e.occurred_at)).collect();
    let locations: Vec<Option<&str>> = events.iter().map(|e| e.location.as_deref()).collect();
    let bodies: Vec<Json<&CarrierEvent>> = events.iter().map(Json).collect();
    let rows = sqlx::query!(
        r#"INSERT INTO events (tenant_id, shipment_id, event_key, code, occurred_at, received_at, location, unknown_code, body)
           SELECT $1, u.shipment_id, u.event_key, u.code, u.occurred_at, $2, u.location, false, u.body
           FROM unnest($3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::jsonb[])
             WITH ORDINALITY AS u(shipment_id, event_key, code, occurred_at, location, body, n)
           ORDER BY u.n
           ON CONFLICT (tenant_id, shipment_id, event_key) DO NOTHING
           RETURNING shipment_id, event_key"#,
        tenant.0,
        PgTime(now) as _,
        &shipment_ids[..] as _,
        &keys[..] as _,
        &codes[..] as _,
        &occurred[..] as _,
        &locations[..] as _,
        &bodies[..] as _,
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(|r| (r.shipment_id, r.event_key)).collect())
}

/// Writes the shipments' states after the batch: the new ones inserted (with the ids
/// `load_shipments` drew), the stored ones updated. A new one that another batch inserted in
/// the meantime makes the whole batch run again (it then finds and locks that row).
async fn save_shipments(
    tx: &mut Tx,
    tenant: TenantId,
    shipments: &[&Shipment],
    new: &HashSet<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    let (inserts, updates): (Vec<&Shipment>, Vec<&Shipment>) =
        shipments.iter().partition(|s| new.contains(s.tracking_number.as_str()));
    if !inserts.is_empty() {
        let c = Columns::of(&inserts);
        let inserted = sqlx::query_scalar!(
            "INSERT INTO shipments (id, tenant_id, tracking_number, state, updated_at, order_reference, receiver_phone, receiver_email)
             SELECT u.id, $1, u.tracking_number, u.state, $2, u.order_reference, u.receiver_phone, u.receiver_email
             FROM unnest($3::bigint[], $4::text[], $5::jsonb[], $6::text[], $7::text[], $8::text[])
               WITH ORDINALITY AS u(id, tracking_number, state, order_reference, receiver_phone, receiver_email, n)
             ORDER BY u.n
             ON CONFLICT (tenant_id, tracking_number) DO NOTHING
             RETURNING id",
            tenant.0,
            PgTime(now) as _,
            &c.ids[..],
            &c.tracking[..] as _,
            &c.states[..] as _,
            &c.orders[..] as _,
            &c.phones[..] as _,
            &c.emails[..] as _,
        )
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
        if inserted.len() != inserts.len() {
            return Err(StoreError::Retryable(
                "another batch stored one of this batch's new shipments at the same moment".into(),
            ));
        }
    }
    if !updates.is_empty() {
        let c = Columns::of(&updates);
        sqlx::query!(
            "UPDATE shipments s SET state = u.state, updated_at = $2, order_reference = u.order_reference,
                 receiver_phone = u.receiver_phone, receiver_email = u.receiver_email
             FROM unnest($3::bigint[], $4::jsonb[], $5::text[], $6::text[], $7::text[])
               AS u(id, state, order_reference, receiver_phone, receiver_email)
             WHERE s.tenant_id = $1 AND s.id = u.id",
            tenant.0,
            PgTime(now) as _,
            &c.ids[..],
            &c.states[..] as _,
            &c.orders[..] as _,
            &c.phones[..] as _,
            &c.emails[..] as _,
        )
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    }
    Ok(())
}

/// Shipments as the columns of `shipments`, for `unnest`.
struct Columns<'s> {
    ids: Vec<i64>,
    tracking: Vec<&'s str>,
    states: Vec<Json<&'s Shipment>>,
    orders: Vec<Option<String>>,
    phones: Vec<Option<&'s str>>,
    emails: Vec<Option<String>>,
}

impl<'s> Columns<'s> {
    fn of(shipments: &[&'s Shipment]) -> Self {
        Columns {
            ids: shipments.iter().map(|s| s.id.0).collect(),
            tracking: shipments.iter().map(|s| s.tracking_number.as_str()).collect(),
            states: shipments.iter().map(|s| Json(*s)).collect(),
            orders: shipments
                .iter()
                .map(|s| s.details.order_reference.as_ref().map(|r| r.trim().to_lowercase()))
                .collect(),
            phones: shipments.iter().map(|s| s.details.receiver_phone.as_deref()).collect(),
            emails: shipments
                .iter()
                .map(|s| s.details.receiver_email.as_ref().map(|e| e.trim().to_lowercase()))
                .collect(),
        }
    }
}

/// Cancels what still waits of the given (shipment, trigger) pairs, each with its reason, in
/// one statement: a delivered event cancels several journey triggers, and bulk imports cancel
/// for thousands of shipments. One a worker is sending right now is cancelled too: if the
/// provider takes it anyway, `finish` records it as sent (the truth); if the send fails, it
/// stays cancelled and is never retried.
async fn cancel_scheduled(tx: &mut Tx, tenant: TenantId, cancels: &[Cancel], now: Timestamp) -> StoreResult<()> {
    if cancels.is_empty() {
        return Ok(());
    }
    let shipments: Vec<i64> = cancels.iter().map(|c| c.shipment.0).collect();
    let triggers: Vec<&str> = cancels.iter().map(|c| c.trigger.slug()).collect();
    let reasons: Vec<&str> = cancels.iter().map(|c| c.reason.as_str()).collect();
    sqlx::query!(
        "WITH cancelled AS (
             UPDATE notifications n SET status = 'cancelled', reason = c.reason, updated_at = $2
             FROM unnest($3::bigint[], $4::text[], $5::text[]) AS c(shipment_id, trigger_name, reason)
             WHERE n.tenant_id = $1 AND n.status = 'scheduled'
               AND n.shipment_id = c.shipment_id AND n.trigger_name = c.trigger_name
             RETURNING n.id, n.reason)
         INSERT INTO notification_history (tenant_id, notification_id, status, reason, at)
         SELECT $1, id, 'cancelled', reason, $2 FROM cancelled ORDER BY id",
        tenant.0,
        PgTime(now) as _,
        &shipments[..] as _,
        &triggers[..] as _,
        &reasons[..] as _,
    )
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

pub(crate) async fn add_history(
    tx: &mut Tx,
    tenant: TenantId,
    notification: i64,
    status: Status,
    reason: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query!(
        "INSERT INTO notification_history (tenant_id, notification_id, status, reason, at) VALUES ($1, $2, $3, $4, $5)",
        tenant.0,
        notification,
        status.slug(),
        reason,
        PgTime(now) as _,
    )
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Inserts the planned notifications, each unless one with its dedupe key exists, with their
/// first status in the history. Returns, for each inserted one, the index of the event that
/// planned it and its id.
pub(crate) async fn insert_notifications(
    tx: &mut Tx,
    tenant: TenantId,
    planned: &[Planned<'_>],
    now: Timestamp,
) -> StoreResult<Vec<(usize, i64)>> {
    let rows = insert_leasing(tx, tenant, planned, now, None).await?;
    Ok(rows.into_iter().map(|r| (planned[r.planned].event, r.id)).collect())
}

/// `insert_notifications`, with those due at `now` taken by `lease` (unless the tenant has its
/// own rate limit, which only a claim applies).
pub(crate) async fn insert_leasing(
    tx: &mut Tx,
    tenant: TenantId,
    planned: &[Planned<'_>],
    now: Timestamp,
    lease: Option<&Lease<'_>>,
) -> StoreResult<Vec<InsertedNotification>> {
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    let mut planned_by: HashMap<&str, usize> = HashMap::with_capacity(planned.len());
    for (i, p) in planned.iter().enumerate() {
        planned_by.entry(p.notification.dedupe_key.as_str()).or_insert(i);
    }
    let n = planned.len();
    let (mut shipments, mut tracking, mut rules, mut triggers) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut channels, mut recipients, mut keys, mut idempotency) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut statuses, mut reasons, mut languages, mut messages) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut due, mut zones) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut owners, mut untils) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for p in planned {
        let n = &p.notification;
        let (status, reason, message) = match &n.message {
            Ok(m) => (Status::Scheduled, None, Some(Json(m))),
            Err(not_sent) => (not_sent.status(), Some(not_sent.reason().to_string()), None),
        };
        shipments.push(p.shipment.map(|s| s.0));
        tracking.push(p.tracking_number);
        rules.push(n.rule_id.map(|r| r.0));
        triggers.push(n.trigger.map(|t| t.slug()));
        channels.push(n.channel.slug());
        recipients.push(n.recipient.as_str());
        keys.push(n.dedupe_key.as_str());
        idempotency.push(uuid::Uuid::new_v4().to_string());
        statuses.push(status.slug());
        reasons.push(reason);
        languages.push(n.language.as_deref());
        messages.push(message);
        due.push(PgTime(n.due_at));
        zones.push(n.time_zone.as_deref());
        let lease = lease.filter(|_| due_now(n, now));
        owners.push(lease.map(|l| l.owner));
        untils.push(lease.map(|l| PgTime(l.until)));
    }
    let rows = sqlx::query!(
        r#"WITH limited AS (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1 AND rate_per_second IS NOT NULL) AS own),
           inserted AS (
             INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient,
                 dedupe_key, idempotency_key, status, reason, language, message, due_at, created_at, updated_at, billable, time_zone,
                 lease_owner, lease_until)
             SELECT $1, u.shipment_id, u.tracking_number, u.rule_id, u.trigger_name, u.channel, u.recipient,
                 u.dedupe_key, u.idempotency_key, u.status, u.reason, u.language, u.message, u.due_at, $2, $2,
                 u.shipment_id IS NOT NULL, u.time_zone,
                 CASE WHEN l.own THEN NULL ELSE u.lease_owner END, CASE WHEN l.own THEN NULL ELSE u.lease_until END
             FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[],
                         $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::timestamptz[], $16::text[],
                         $17::text[], $18::timestamptz[])
               WITH ORDINALITY AS u(shipment_id, tracking_number, rule_id, trigger_name, channel, recipient, dedupe_key,
                         idempotency_key, status, reason, language, message, due_at, time_zone, lease_owner, lease_until, n)
             CROSS JOIN limited l
             ORDER BY u.n
             ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
             RETURNING id, dedupe_key, idempotency_key, status, reason, lease_owner IS NOT NULL AS leased),
           history AS (
             INSERT INTO notification_history (tenant_id, notification_id, status, reason, at)
             SELECT $1, id, status, reason, $2 FROM inserted ORDER BY id)
         SELECT id AS "id!", dedupe_key AS "dedupe_key!", idempotency_key AS "idempotency_key!", leased AS "leased!"
         FROM inserted ORDER BY id"#,
        tenant.0,
        PgTime(now) as _,
        &shipments[..] as _,
        &tracking[..] as _,
        &rules[..] as _,
        &triggers[..] as _,
        &channels[..] as _,
        &recipients[..] as _,
        &keys[..] as _,
        &idempotency[..] as _,
        &statuses[..] as _,
        &reasons[..] as _,
        &languages[..] as _,
        &messages[..] as _,
        &due[..] as _,
        &zones[..] as _,
        &owners[..] as _,
        &untils[..] as _,
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|r| InsertedNotification {
            planned: planned_by[r.dedupe_key.as_str()],
            id: r.id,
            idempotency_key: r.idempotency_key,
            leased: r.leased,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ShipmentRow {
    id: i64,
    state: Json<Shipment>,
}

impl ShipmentRow {
    fn into_shipment(self) -> Shipment {
        let mut s = self.state.0;
        s.id = ShipmentId(self.id);
        s
    }
}

pub async fn shipment(pool: &PgPool, tenant: TenantId, tracking_number: &str) -> StoreResult<Option<Shipment>> {
    let row: Option<ShipmentRow> =
        sqlx::query_as("SELECT id, state FROM shipments WHERE tenant_id = $1 AND tracking_number = $2")
            .bind(tenant.0)
            .bind(tracking_number)
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(row.map(ShipmentRow::into_shipment))
}

pub async fn shipment_by_id(pool: &PgPool, tenant: TenantId, id: ShipmentId) -> StoreResult<Option<Shipment>> {
    let row: Option<ShipmentRow> = sqlx::query_as("SELECT id, state FROM shipments WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(ShipmentRow::into_shipment))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    code: String,
    occurred_at: PgTime,
    received_at: PgTime,
    location: Option<String>,
    unknown_code: bool,
}

pub async fn history(pool: &PgPool, tenant: TenantId, tracking_number: &str) -> StoreResult<Vec<StoredEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.code, e.occurred_at, e.received_at, e.location, e.unknown_code FROM events e
         JOIN shipments s ON s.id = e.shipment_id AND s.tenant_id = e.tenant_id
         WHERE e.tenant_id = $1 AND s.tracking_number = $2 ORDER BY e.occurred_at, e.id",
    )
    .bind(tenant.0)
    .bind(tracking_number)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|r| StoredEvent {
            code: r.code,
            occurred_at: r.occurred_at.0,
            received_at: r.received_at.0,
            location: r.location,
            unknown_code: r.unknown_code,
        })
        .collect())
}

/// Adds a notification sent by hand from the portal: tied to its shipment and billed.
pub async fn add_manual(
    pool: &PgPool,
    tenant: TenantId,
    tracking_number: &str,
    notification: &PlannedNotification,
    now: Timestamp,
) -> StoreResult<Option<NotificationId>> {
    let Some(shipment) = shipment(pool, tenant, tracking_number).await? else {
        return Ok(None);
    };
    let planned = [Planned {
        event: 0,
        shipment: Some(shipment.id),
        tracking_number,
        notification: notification.clone(),
    }];
    let mut tx = pool.begin().await.map_err(db)?;
    let inserted = insert_notifications(&mut tx, tenant, &planned, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(inserted.first().map(|(_, id)| NotificationId(*id)))
}

/// Track & Trace: shipments by tracking number (exact), order reference or email (whole
/// values, case ignored) or receiver phone (E.164), each by its own index.
pub async fn find(pool: &PgPool, tenant: TenantId, search: &ShipmentSearch, limit: u32) -> StoreResult<Vec<Shipment>> {
    let (sql, needle) = match search {
        ShipmentSearch::TrackingNumber(t) => ("tracking_number = $2", t.trim().to_string()),
        ShipmentSearch::OrderReference(r) => ("order_reference = $2", r.trim().to_lowercase()),
        ShipmentSearch::Phone(p) => ("receiver_phone = $2", p.trim().to_string()),
        ShipmentSearch::Email(e) => ("receiver_email = $2", e.trim().to_lowercase()),
        // Parts read the tenant's shipments (by its index on tenant_id); strpos, not LIKE, so a
        // % or _ typed is itself.
        ShipmentSearch::TrackingNumberPart(t) => ("strpos(lower(tracking_number), $2) > 0", t.trim().to_lowercase()),
        ShipmentSearch::ReceiverName(n) => (
            "strpos(lower(state->'details'->>'receiver_name'), $2) > 0",
            n.trim().to_lowercase(),
        ),
    };
    let rows: Vec<ShipmentRow> = sqlx::query_as(&format!(
        "SELECT id, state FROM shipments WHERE tenant_id = $1 AND {sql} ORDER BY updated_at DESC, id DESC LIMIT $3"
    ))
    .bind(tenant.0)
    .bind(needle)
    .bind(i64::from(limit.clamp(1, 200)))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(ShipmentRow::into_shipment).collect())
}

/// A person (or a program) cancels one message that still waits; see `Outbox::cancel_waiting`.
pub async fn cancel_waiting(
    pool: &PgPool,
    tenant: TenantId,
    id: NotificationId,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let cancelled: Option<i64> = sqlx::query_scalar(
        "UPDATE notifications SET status = 'cancelled', reason = $3, updated_at = $4
         WHERE tenant_id = $1 AND id = $2 AND status = 'scheduled' RETURNING id",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(reason)
    .bind(PgTime(now))
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?;
    if cancelled.is_some() {
        add_history(&mut tx, tenant, id.0, Status::Cancelled, Some(reason), now).await?;
    }
    tx.commit().await.map_err(db)?;
    Ok(cancelled.is_some())
}

/// A test of a template to the portal user who asked: no shipment, `TEST_LABEL` for its
/// tracking number, and billed (a notice without a shipment is not, so it is marked so at once,
/// in the same transaction).
pub async fn add_test(
    pool: &PgPool,
    tenant: TenantId,
    notification: &PlannedNotification,
    now: Timestamp,
) -> StoreResult<Option<NotificationId>> {
    let planned = [Planned {
        event: 0,
        shipment: None,
        tracking_number: avisera_store::TEST_LABEL,
        notification: notification.clone(),
    }];
    let mut tx = pool.begin().await.map_err(db)?;
    let inserted = insert_notifications(&mut tx, tenant, &planned, now).await?;
    let id = match inserted.first() {
        None => None,
        Some(_) => {
            let id: i64 = sqlx::query_scalar("SELECT id FROM notifications WHERE tenant_id = $1 AND dedupe_key = $2")
                .bind(tenant.0)
                .bind(&notification.dedupe_key)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query("UPDATE notifications SET billable = TRUE WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            Some(NotificationId(id))
        }
    };
    tx.commit().await.map_err(db)?;
    Ok(id)
}
