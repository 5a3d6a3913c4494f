//! Recording events: the event, its shipment's new state and the notifications it causes,
//! all in one transaction, each notification at most once by its dedupe key.

use crate::codec::Millis;
use crate::{Tx, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::ingest::{Cancel, EventPlan, plan_batch};
use avisera_domain::notification::Status;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::Shipment;
use avisera_domain::trigger::Trigger;
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{
    Decide, EventOutcome, InsertedNotification, Lease, ShipmentSearch, StoreError, StoreResult, StoredBatch,
    StoredEvent, due_now,
};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Bind parameters per statement, under SQLite's limit (32,766 since 3.32). Statements are
/// built with anonymous `?` parameters: sqlx looks up every parameter's name, and SQLite finds
/// a name by walking the list of names, which made large batches quadratic.
const MAX_PARAMS: usize = 30_000;

/// Rows per multi-row statement for a table of `cols` columns.
fn rows_per_statement(cols: usize) -> usize {
    MAX_PARAMS / cols
}

pub async fn record(
    pool: &SqlitePool,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
    lease: Option<&Lease<'_>>,
) -> StoreResult<StoredBatch> {
    crate::error::retrying(|| async move {
        let mut tx = crate::begin_write(pool).await?;
        let recorded = record_batch(&mut tx, tenant, events, decide, now, lease).await?;
        tx.commit().await.map_err(db)?;
        Ok(recorded)
    })
    .await
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
    pool: &SqlitePool,
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
    let mut tx = crate::begin_write(pool).await?;
    let inserted = insert_notifications(&mut tx, tenant, &planned, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(inserted.len() as u32)
}

/// Records a batch with a fixed number of statements, whatever its size: upsert its shipments,
/// insert its events (learning which are new), let the domain decide the batch in memory, then
/// write the shipments' new states, the cancels and all notifications with multi-row statements.
async fn record_batch(
    tx: &mut Tx,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
    lease: Option<&Lease<'_>>,
) -> StoreResult<StoredBatch> {
    let mut shipments = load_shipments(tx, tenant, events, now).await?;
    crate::receivers::bind(tx, tenant, &mut shipments, events, now).await?;
    let mut stored = insert_events(tx, tenant, events, &shipments, now).await?;
    // An event is new once: a second copy in the same batch is a duplicate too.
    let new: Vec<bool> = events
        .iter()
        .map(|e| stored.remove(&(shipments[e.tracking_number.as_str()].id.0, e.event_key.clone())))
        .collect();
    let plan = plan_batch(events, shipments, &new, decide);

    let mut outcomes = Vec::with_capacity(events.len());
    let mut unknown: Vec<(ShipmentId, &str)> = Vec::new();
    for (event, planned) in events.iter().zip(&plan.events) {
        outcomes.push(match *planned {
            EventPlan::Duplicate { shipment_id } => EventOutcome::Duplicate { shipment_id },
            EventPlan::Accepted {
                shipment_id,
                unknown_code,
            } => {
                if unknown_code {
                    unknown.push((shipment_id, event.event_key.as_str()));
                }
                EventOutcome::Accepted {
                    shipment_id,
                    notifications: 0,
                    unknown_code,
                }
            }
        });
    }
    save_shipments(tx, tenant, &plan.shipments, now).await?;
    for (shipment, key) in unknown {
        sqlx::query("UPDATE events SET unknown_code = ?1 WHERE tenant_id = ?2 AND shipment_id = ?3 AND event_key = ?4")
            .bind(true)
            .bind(tenant.0)
            .bind(shipment.0)
            .bind(key)
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

/// A shipment's row: its id and its state (which keeps the id too, as written).
#[derive(sqlx::FromRow)]
struct ShipmentRow {
    id: i64,
    state: Json<Shipment>,
}

impl From<ShipmentRow> for Shipment {
    fn from(r: ShipmentRow) -> Shipment {
        let mut s = r.state.0;
        s.id = ShipmentId(r.id);
        s
    }
}

/// Creates the batch's new shipments and returns every shipment of the batch with its state.
async fn load_shipments<'e>(
    tx: &mut Tx,
    tenant: TenantId,
    events: &'e [CarrierEvent],
    now: Timestamp,
) -> StoreResult<HashMap<&'e str, Shipment>> {
    let tracking: BTreeSet<&str> = events.iter().map(|e| e.tracking_number.as_str()).collect();
    let tracking: Vec<&str> = tracking.into_iter().collect();
    let mut out = HashMap::with_capacity(tracking.len());
    for rows in tracking.chunks(rows_per_statement(4)) {
        let mut q =
            QueryBuilder::<Sqlite>::new("INSERT INTO shipments (tenant_id, tracking_number, state, updated_at) ");
        q.push_values(rows, |mut row, t| {
            row.push_bind(tenant.0)
                .push_bind(*t)
                .push_bind(Json(Shipment::new(t)))
                .push_bind(Millis(now));
        });
        q.push(
            " ON CONFLICT (tenant_id, tracking_number) DO UPDATE SET updated_at = shipments.updated_at
             RETURNING id, tracking_number, state",
        );
        #[derive(sqlx::FromRow)]
        struct Upserted {
            tracking_number: String,
            #[sqlx(flatten)]
            shipment: ShipmentRow,
        }
        let upserted: Vec<Upserted> = q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
        let asked: HashSet<&'e str> = rows.iter().copied().collect();
        for u in upserted {
            let key = asked.get(u.tracking_number.as_str()).copied().ok_or_else(|| {
                StoreError::Corrupt(format!("upsert returned unknown shipment {}", u.tracking_number))
            })?;
            out.insert(key, u.shipment.into());
        }
    }
    Ok(out)
}

/// Inserts the events; returns (shipment, event key) of those not stored before.
async fn insert_events(
    tx: &mut Tx,
    tenant: TenantId,
    events: &[CarrierEvent],
    shipments: &HashMap<&str, Shipment>,
    now: Timestamp,
) -> StoreResult<HashSet<(i64, String)>> {
    let mut new = HashSet::with_capacity(events.len());
    for rows in events.chunks(rows_per_statement(9)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (tenant_id, shipment_id, event_key, code, occurred_at, received_at, location, unknown_code, body) ",
        );
        q.push_values(rows, |mut row, e| {
            row.push_bind(tenant.0)
                .push_bind(shipments[e.tracking_number.as_str()].id.0)
                .push_bind(&e.event_key)
                .push_bind(&e.code)
                .push_bind(Millis(e.occurred_at))
                .push_bind(Millis(now))
                .push_bind(e.location.as_deref())
                .push_bind(false)
                .push_bind(Json(e));
        });
        q.push(" ON CONFLICT (tenant_id, shipment_id, event_key) DO NOTHING RETURNING shipment_id, event_key");
        let inserted: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
        new.extend(inserted);
    }
    Ok(new)
}

async fn save_shipments(tx: &mut Tx, tenant: TenantId, shipments: &[Shipment], now: Timestamp) -> StoreResult<()> {
    for rows in shipments.chunks(rows_per_statement(7)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO shipments (tenant_id, tracking_number, state, updated_at, order_reference, receiver_phone, receiver_email) ",
        );
        q.push_values(rows, |mut row, s| {
            let d = &s.details;
            row.push_bind(tenant.0)
                .push_bind(&s.tracking_number)
                .push_bind(Json(s))
                .push_bind(Millis(now))
                .push_bind(d.order_reference.as_ref().map(|r| r.trim().to_lowercase()))
                .push_bind(d.receiver_phone.as_deref())
                .push_bind(d.receiver_email.as_ref().map(|e| e.trim().to_lowercase()));
        });
        q.push(
            " ON CONFLICT (tenant_id, tracking_number) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
               order_reference = excluded.order_reference, receiver_phone = excluded.receiver_phone,
               receiver_email = excluded.receiver_email",
        );
        q.build().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

/// Cancels what still waits of the given (shipment, trigger) pairs, with the reason, in one
/// statement per trigger and reason rather than one per pair: a delivered event cancels
/// several journey triggers, and one round trip each made bulk imports crawl. One a worker is
/// sending right now is cancelled too: if the provider takes it anyway, `finish` records it as
/// sent (the truth); if the send fails, it stays cancelled and is never retried.
async fn cancel_scheduled(tx: &mut Tx, tenant: TenantId, cancels: &[Cancel], now: Timestamp) -> StoreResult<()> {
    if cancels.is_empty() {
        return Ok(());
    }
    // Most shipments have nothing waiting (messages go out at once): one read finds the pairs
    // that do, so the updates below run only for them.
    let shipment_ids: BTreeSet<i64> = cancels.iter().map(|c| c.shipment.0).collect();
    let shipment_ids: Vec<i64> = shipment_ids.into_iter().collect();
    let mut waiting: HashSet<(i64, String)> = HashSet::new();
    for chunk in shipment_ids.chunks(MAX_PARAMS - 1) {
        let mut q =
            QueryBuilder::<Sqlite>::new("SELECT shipment_id, trigger_name FROM notifications WHERE tenant_id = ");
        q.push_bind(tenant.0)
            .push(" AND status = 'scheduled' AND trigger_name IS NOT NULL AND shipment_id IN (");
        let mut ids = q.separated(", ");
        for id in chunk {
            ids.push_bind(*id);
        }
        q.push(")");
        let rows: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
        waiting.extend(rows);
    }
    // One statement per trigger and reason; the domain gave each pair once.
    let mut groups: Vec<((Trigger, &str), Vec<i64>)> = Vec::new();
    for c in cancels
        .iter()
        .filter(|c| waiting.contains(&(c.shipment.0, c.trigger.slug().to_string())))
    {
        match groups.iter_mut().find(|((t, r), _)| *t == c.trigger && *r == c.reason) {
            Some((_, ids)) => ids.push(c.shipment.0),
            None => groups.push(((c.trigger, c.reason.as_str()), vec![c.shipment.0])),
        }
    }
    let mut history = Vec::new();
    for ((trigger, reason), shipments) in groups {
        for chunk in shipments.chunks(MAX_PARAMS - 4) {
            let mut q = QueryBuilder::<Sqlite>::new("UPDATE notifications SET status = 'cancelled', reason = ");
            q.push_bind(reason)
                .push(", updated_at = ")
                .push_bind(Millis(now))
                .push(" WHERE tenant_id = ")
                .push_bind(tenant.0)
                .push(" AND trigger_name = ")
                .push_bind(trigger.slug())
                .push(" AND status = 'scheduled' AND shipment_id IN (");
            let mut ids = q.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            q.push(") RETURNING id");
            let cancelled: Vec<i64> = q.build_query_scalar().fetch_all(&mut **tx).await.map_err(db)?;
            history.extend(
                cancelled
                    .into_iter()
                    .map(|id| (id, Status::Cancelled, Some(reason.to_string()))),
            );
        }
    }
    add_history_rows(tx, tenant, &history, now).await
}

pub(crate) async fn add_history(
    tx: &mut Tx,
    tenant: TenantId,
    notification: i64,
    status: Status,
    reason: Option<&str>,
    now: Timestamp,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO notification_history (tenant_id, notification_id, status, reason, at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(tenant.0)
    .bind(notification)
    .bind(status.slug())
    .bind(reason)
    .bind(Millis(now))
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Inserts the planned notifications, each unless one with its dedupe key exists, with their
/// first status. Returns, for each inserted one, the index of the event that planned it.
pub(crate) async fn insert_notifications(
    tx: &mut Tx,
    tenant: TenantId,
    planned: &[Planned<'_>],
    now: Timestamp,
) -> StoreResult<Vec<usize>> {
    let rows = insert_leasing(tx, tenant, planned, now, None).await?;
    Ok(rows.into_iter().map(|r| planned[r.planned].event).collect())
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
    let lease = match lease {
        Some(l) if !crate::claim::has_own_rate(tx, tenant).await? => Some(l),
        _ => None,
    };
    let mut planned_by: HashMap<&str, usize> = HashMap::with_capacity(planned.len());
    for (i, p) in planned.iter().enumerate() {
        planned_by.entry(p.notification.dedupe_key.as_str()).or_insert(i);
    }
    let mut inserted = Vec::with_capacity(planned.len());
    for rows in planned.chunks(rows_per_statement(20)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient,
                 dedupe_key, idempotency_key, status, reason, language, message, due_at, created_at, updated_at, billable, time_zone,
                 lease_owner, lease_until) ",
        );
        q.push_values(rows, |mut row, p| {
            let n = &p.notification;
            let (status, reason, message) = match &n.message {
                Ok(m) => (Status::Scheduled, None, Some(Json(m))),
                Err(not_sent) => (not_sent.status(), Some(not_sent.reason().to_string()), None),
            };
            let lease = lease.filter(|_| due_now(n, now));
            row.push_bind(tenant.0)
                .push_bind(p.shipment.map(|s| s.0))
                .push_bind(p.tracking_number)
                .push_bind(n.rule_id.map(|r| r.0))
                .push_bind(n.trigger.map(|t| t.slug()))
                .push_bind(n.channel.slug())
                .push_bind(&n.recipient)
                .push_bind(&n.dedupe_key)
                .push_bind(uuid::Uuid::new_v4().to_string())
                .push_bind(status.slug())
                .push_bind(reason)
                .push_bind(n.language.as_deref())
                .push_bind(message)
                .push_bind(Millis(n.due_at))
                .push_bind(Millis(now))
                .push_bind(Millis(now))
                .push_bind(p.shipment.is_some())
                .push_bind(n.time_zone.as_deref())
                .push_bind(lease.map(|l| l.owner))
                .push_bind(lease.map(|l| Millis(l.until)));
        });
        q.push(
            " ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
              RETURNING id, dedupe_key, idempotency_key, status, reason, lease_owner IS NOT NULL AS leased",
        );
        #[derive(sqlx::FromRow)]
        struct Inserted {
            id: i64,
            dedupe_key: String,
            idempotency_key: String,
            status: crate::codec::Slug<Status>,
            reason: Option<String>,
            leased: bool,
        }
        let rows: Vec<Inserted> = q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
        let mut history = Vec::with_capacity(rows.len());
        for row in rows {
            inserted.push(InsertedNotification {
                planned: planned_by[row.dedupe_key.as_str()],
                id: row.id,
                idempotency_key: row.idempotency_key,
                leased: row.leased,
            });
            history.push((row.id, row.status.0, row.reason));
        }
        add_history_rows(tx, tenant, &history, now).await?;
    }
    Ok(inserted)
}

async fn add_history_rows(
    tx: &mut Tx,
    tenant: TenantId,
    rows: &[(i64, Status, Option<String>)],
    now: Timestamp,
) -> StoreResult<()> {
    for chunk in rows.chunks(rows_per_statement(5)) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO notification_history (tenant_id, notification_id, status, reason, at) ",
        );
        q.push_values(chunk, |mut row, (id, status, reason)| {
            row.push_bind(tenant.0)
                .push_bind(*id)
                .push_bind(status.slug())
                .push_bind(reason.as_deref())
                .push_bind(Millis(now));
        });
        q.build().execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

pub async fn shipment(pool: &SqlitePool, tenant: TenantId, tracking_number: &str) -> StoreResult<Option<Shipment>> {
    let row: Option<ShipmentRow> =
        sqlx::query_as("SELECT id, state FROM shipments WHERE tenant_id = ?1 AND tracking_number = ?2")
            .bind(tenant.0)
            .bind(tracking_number)
            .fetch_optional(pool)
            .await
            .map_err(db)?;
    Ok(row.map(Shipment::from))
}

pub async fn shipment_by_id(pool: &SqlitePool, tenant: TenantId, id: ShipmentId) -> StoreResult<Option<Shipment>> {
    let row: Option<ShipmentRow> = sqlx::query_as("SELECT id, state FROM shipments WHERE tenant_id = ?1 AND id = ?2")
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(Shipment::from))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    code: String,
    occurred_at: Millis,
    received_at: Millis,
    location: Option<String>,
    unknown_code: bool,
}

pub async fn history(pool: &SqlitePool, tenant: TenantId, tracking_number: &str) -> StoreResult<Vec<StoredEvent>> {
    let rows: Vec<EventRow> = sqlx::query_as(
        "SELECT e.code, e.occurred_at, e.received_at, e.location, e.unknown_code FROM events e
         JOIN shipments s ON s.id = e.shipment_id AND s.tenant_id = e.tenant_id
         WHERE e.tenant_id = ?1 AND s.tracking_number = ?2 ORDER BY e.occurred_at, e.id",
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
    pool: &SqlitePool,
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
    let mut tx = crate::begin_write(pool).await?;
    let inserted = insert_notifications(&mut tx, tenant, &planned, now).await?;
    let id = if inserted.is_empty() {
        None
    } else {
        let id = sqlx::query_scalar("SELECT id FROM notifications WHERE tenant_id = ?1 AND dedupe_key = ?2")
            .bind(tenant.0)
            .bind(&notification.dedupe_key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        Some(NotificationId(id))
    };
    tx.commit().await.map_err(db)?;
    Ok(id)
}

/// SQLite's `lower()` knows only ASCII, so "öberg" would not find "Öberg": names are compared
/// here, newest shipment first, and only the matches' states are read.
async fn find_by_name(pool: &SqlitePool, tenant: TenantId, name: &str, limit: u32) -> StoreResult<Vec<Shipment>> {
    let needle = name.trim().to_lowercase();
    let names: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, json_extract(state, '$.details.receiver_name') AS name FROM shipments
         WHERE tenant_id = ?1 AND name IS NOT NULL ORDER BY updated_at DESC, id DESC",
    )
    .bind(tenant.0)
    .fetch_all(pool)
    .await
    .map_err(db)?;
    let mut found = Vec::new();
    for (id, _) in names
        .into_iter()
        .filter(|(_, n)| n.to_lowercase().contains(&needle))
        .take(limit.clamp(1, 200) as usize)
    {
        let row: Option<ShipmentRow> =
            sqlx::query_as("SELECT id, state FROM shipments WHERE tenant_id = ?1 AND id = ?2")
                .bind(tenant.0)
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(db)?;
        found.extend(row.map(Shipment::from));
    }
    Ok(found)
}

/// Track & Trace: shipments by tracking number (exact), order reference or email (whole
/// values, case ignored) or receiver phone (E.164), each by its own index; or by part of a
/// tracking number or of the receiver's name, which reads the tenant's shipments.
pub async fn find(
    pool: &SqlitePool,
    tenant: TenantId,
    search: &ShipmentSearch,
    limit: u32,
) -> StoreResult<Vec<Shipment>> {
    let (condition, needle) = match search {
        ShipmentSearch::TrackingNumber(t) => ("tracking_number = ?2", t.trim().to_string()),
        ShipmentSearch::OrderReference(r) => ("order_reference = ?2", r.trim().to_lowercase()),
        ShipmentSearch::Phone(p) => ("receiver_phone = ?2", p.trim().to_string()),
        ShipmentSearch::Email(e) => ("receiver_email = ?2", e.trim().to_lowercase()),
        ShipmentSearch::TrackingNumberPart(t) => ("instr(lower(tracking_number), ?2) > 0", t.trim().to_lowercase()),
        ShipmentSearch::ReceiverName(n) => return find_by_name(pool, tenant, n, limit).await,
    };
    let rows: Vec<ShipmentRow> = sqlx::query_as(&format!(
        "SELECT id, state FROM shipments WHERE tenant_id = ?1 AND {condition} ORDER BY updated_at DESC, id DESC LIMIT ?3"
    ))
    .bind(tenant.0)
    .bind(needle)
    .bind(i64::from(limit.clamp(1, 200)))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows.into_iter().map(Shipment::from).collect())
}

/// A person (or a program) cancels one message that still waits; see `Outbox::cancel_waiting`.
pub async fn cancel_waiting(
    pool: &SqlitePool,
    tenant: TenantId,
    id: NotificationId,
    reason: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    let mut tx = crate::begin_write(pool).await?;
    let cancelled: Option<i64> = sqlx::query_scalar(
        "UPDATE notifications SET status = 'cancelled', reason = ?3, updated_at = ?4
         WHERE tenant_id = ?1 AND id = ?2 AND status = 'scheduled' RETURNING id",
    )
    .bind(tenant.0)
    .bind(id.0)
    .bind(reason)
    .bind(Millis(now))
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
    pool: &SqlitePool,
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
    let mut tx = crate::begin_write(pool).await?;
    let inserted = insert_notifications(&mut tx, tenant, &planned, now).await?;
    let id = match inserted.first() {
        None => None,
        Some(_) => {
            let id: i64 = sqlx::query_scalar("SELECT id FROM notifications WHERE tenant_id = ?1 AND dedupe_key = ?2")
                .bind(tenant.0)
                .bind(&notification.dedupe_key)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query("UPDATE notifications SET billable = 1 WHERE tenant_id = ?1 AND id = ?2")
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
