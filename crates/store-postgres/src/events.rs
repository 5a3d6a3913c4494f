//! Recording events: the event, its shipment's new state and the notifications it causes,
//! all in one transaction, each notification at most once by its dedupe key.
//!
//! Every batch statement passes its rows as arrays and `unnest`s them: one fixed statement
//! whatever the batch's size, no parameter limit to chunk around, and one plan PostgreSQL
//! prepares once per connection. A batch costs three round trips inside its transaction (see
//! `record_batch`); each costs more than most of its statements.

use crate::batch::{CancelColumns, EventColumns, NotificationColumns, ShipmentColumns, Writes};
use crate::codec::PgTime;
use crate::{Tx, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::ingest::{EventPlan, plan_batch};
use avisera_domain::notification::Status;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::Shipment;
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{Decide, EventOutcome, Lease, ShipmentSearch, StoreError, StoreResult, StoredBatch, StoredEvent};
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

/// Records a batch in three round trips, whatever its size: lock its stored shipments (drawing
/// ids for the new ones) and learn which of its events are stored already; bind its receivers;
/// let the domain decide the batch in memory; then write it all in one statement (`batch.rs`).
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
        stored,
    } = load_shipments(tx, tenant, events).await?;
    let receivers = crate::receivers::bind(tx, tenant, &mut shipments, events).await?;
    let created: HashMap<&str, ShipmentId> = created.into_iter().map(|t| (t, shipments[t].id)).collect();
    // An event is new once: a second copy in the same batch is a duplicate too.
    let mut seen = HashSet::with_capacity(events.len());
    let new: Vec<bool> = events
        .iter()
        .map(|e| {
            let id = shipments[e.tracking_number.as_str()].id.0;
            let was_stored = !stored.is_empty() && stored.contains(&(id, e.event_key.clone()));
            !was_stored && seen.insert((id, e.event_key.as_str()))
        })
        .collect();
    let plan = plan_batch(events, shipments, &new, decide);

    let mut outcomes = Vec::with_capacity(events.len());
    let mut new_events = EventColumns::default();
    for (event, planned) in events.iter().zip(&plan.events) {
        outcomes.push(match *planned {
            EventPlan::Duplicate { shipment_id } => EventOutcome::Duplicate { shipment_id },
            EventPlan::Accepted {
                shipment_id,
                unknown_code,
            } => {
                new_events.push(shipment_id.0, event, unknown_code);
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
    let (inserts, updates): (Vec<&Shipment>, Vec<&Shipment>) = plan
        .shipments
        .iter()
        .chain(&unchanged_new)
        .partition(|s| created.contains_key(s.tracking_number.as_str()));
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
    let writes = Writes {
        receivers: receivers.writes(),
        events: new_events,
        new_shipments: ShipmentColumns::of(&inserts),
        changed_shipments: ShipmentColumns::of(&updates),
        cancels: CancelColumns::of(&plan.cancels),
        notifications: NotificationColumns::of(&planned, now, lease),
    };
    let written = crate::batch::write(tx, tenant, &writes, now).await?;
    // Fewer rows than meant: another batch wrote one of them at the same moment (a shipment
    // both took for new, an address both bound); the batch runs again and finds it.
    if written.addresses != writes.receivers.addresses.len() {
        return Err(StoreError::Retryable(
            "another batch bound one of this batch's addresses to a receiver at the same moment".into(),
        ));
    }
    if written.shipments != writes.new_shipments.len() || written.events != writes.events.len() {
        return Err(StoreError::Retryable(
            "another batch stored one of this batch's new shipments at the same moment".into(),
        ));
    }
    let of = |i: usize| (planned[i].event, planned[i].shipment, &planned[i].notification);
    Ok(StoredBatch::of(tenant, outcomes, written.notifications, of, now))
}

/// The batch's shipments: those stored, locked for this transaction, and for the others a new
/// id from the shipments' sequence (they are inserted once, with their state after the batch,
/// by the batch's write); and which of the batch's events are stored already. One statement.
///
/// Rows are locked one tracking number after another in the database's order of tracking
/// numbers (as before the `LATERAL` lookup, so nodes of the previous release lock in the same
/// order), so concurrent batches lock shared shipments in the same order and cannot deadlock;
/// the locks hold until commit, so two nodes never apply events of one shipment at the same
/// time, and no other batch stores an event of a locked shipment before this one commits.
///
/// Each row of the batch finds its shipment and its stored events by key, in a `LATERAL`
/// subquery the planner cannot turn into a join the other way round (`FOR UPDATE`, `OFFSET 0`),
/// and the tenant is a subquery, `(SELECT $1::bigint)`, whose value the planner does not look
/// up in the statistics. A new tenant's burst, which the statistics do not know yet, looks to
/// the planner like a tenant with a row or two: any index that starts with the tenant then
/// seems as good as the key, and it read all of the tenant's shipments for every batch
/// (`tests/plans.rs`, and the same for receivers, opt-outs and waiting messages).
async fn load_shipments<'e>(tx: &mut Tx, tenant: TenantId, events: &'e [CarrierEvent]) -> StoreResult<Loaded<'e>> {
    let tracking: Vec<&str> = events
        .iter()
        .map(|e| e.tracking_number.as_str())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let event_tracking: Vec<&str> = events.iter().map(|e| e.tracking_number.as_str()).collect();
    let event_keys: Vec<&str> = events.iter().map(|e| e.event_key.as_str()).collect();
    // A runtime statement (not `query!`): the new ids come from `nextval` only for the rows
    // no stored shipment matched (COALESCE evaluates it only then).
    let rows: Vec<LoadedRow> = sqlx::query_as(
        "WITH locked AS MATERIALIZED (
             SELECT s.id, s.tracking_number, s.state
             FROM (SELECT t FROM unnest($2::text[]) AS u(t) ORDER BY t) AS w(tracking_number)
             CROSS JOIN LATERAL (
                 SELECT id, tracking_number, state FROM shipments
                 WHERE tenant_id = (SELECT $1::bigint) AND tracking_number = w.tracking_number FOR UPDATE) s),
         stored AS (
             SELECT l.tracking_number, array_agg(p.event_key) AS keys
             FROM unnest($3::text[], $4::text[]) AS p(tracking_number, event_key)
             JOIN locked l ON l.tracking_number = p.tracking_number
             CROSS JOIN LATERAL (
                 SELECT 1 FROM events e
                 WHERE e.tenant_id = (SELECT $1::bigint) AND e.shipment_id = l.id AND e.event_key = p.event_key OFFSET 0) e
             GROUP BY l.tracking_number)
         SELECT w.tracking_number, l.id IS NULL AS new,
                COALESCE(l.id, nextval(pg_get_serial_sequence('shipments', 'id'))) AS id,
                l.state, COALESCE(s.keys, '{}') AS stored
         FROM unnest($2::text[]) AS w(tracking_number)
         LEFT JOIN locked l ON l.tracking_number = w.tracking_number
         LEFT JOIN stored s ON s.tracking_number = w.tracking_number",
    )
    .bind(tenant.0)
    .bind(&tracking[..])
    .bind(&event_tracking[..])
    .bind(&event_keys[..])
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let mut loaded = Loaded {
        shipments: HashMap::with_capacity(tracking.len()),
        new: Vec::new(),
        stored: HashSet::new(),
    };
    for row in rows {
        let key = tracking
            .binary_search(&row.tracking_number.as_str())
            .map(|at| tracking[at])
            .map_err(|_| {
                StoreError::Corrupt(format!("the lookup returned unknown shipment {}", row.tracking_number))
            })?;
        let mut shipment = match row.state {
            Some(state) if !row.new => state.0,
            _ => {
                loaded.new.push(key);
                Shipment::new(key)
            }
        };
        shipment.id = ShipmentId(row.id);
        loaded.stored.extend(row.stored.into_iter().map(|k| (row.id, k)));
        loaded.shipments.insert(key, shipment);
    }
    Ok(loaded)
}

#[derive(sqlx::FromRow)]
struct LoadedRow {
    tracking_number: String,
    new: bool,
    id: i64,
    state: Option<Json<Shipment>>,
    stored: Vec<String>,
}

/// The batch's shipments by tracking number, which of them are not stored yet, and the
/// (shipment, event key) of its events stored already.
struct Loaded<'e> {
    shipments: HashMap<&'e str, Shipment>,
    new: Vec<&'e str>,
    stored: HashSet<(i64, String)>,
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
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    let writes = Writes {
        notifications: NotificationColumns::of(planned, now, None),
        ..Writes::default()
    };
    let written = crate::batch::write(tx, tenant, &writes, now).await?;
    Ok(written
        .notifications
        .into_iter()
        .map(|r| (planned[r.planned].event, r.id))
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
    let row: Option<ShipmentRow> = sqlx::query_as(
        "SELECT id, state FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND tracking_number = $2",
    )
    .bind(tenant.0)
    .bind(tracking_number)
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(ShipmentRow::into_shipment))
}

pub async fn shipment_by_id(pool: &PgPool, tenant: TenantId, id: ShipmentId) -> StoreResult<Option<Shipment>> {
    let row: Option<ShipmentRow> =
        sqlx::query_as("SELECT id, state FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
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
         WHERE e.tenant_id = (SELECT $1::bigint) AND s.tracking_number = $2 ORDER BY e.occurred_at, e.id",
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
        "SELECT id, state FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND {sql} ORDER BY updated_at DESC, id DESC LIMIT $3"
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
         WHERE tenant_id = (SELECT $1::bigint) AND id = $2 AND status = 'scheduled' RETURNING id",
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
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM notifications WHERE tenant_id = (SELECT $1::bigint) AND dedupe_key = $2",
            )
            .bind(tenant.0)
            .bind(&notification.dedupe_key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            sqlx::query("UPDATE notifications SET billable = TRUE WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
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
