//! Recording events: the event, its shipment's new state and the notifications it causes,
//! all in one transaction, each notification at most once by its dedupe key.

use crate::codec::{from_json, ms, to_json, ts};
use crate::{Dialect, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::ingest::{Cancel, EventPlan, plan_batch};
use avisera_domain::notification::Status;
use avisera_domain::planner::PlannedNotification;
use avisera_domain::shipment::Shipment;
use avisera_domain::trigger::Trigger;
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use avisera_store::{Decide, EventOutcome, ShipmentSearch, StoreResult, StoredEvent};
use sqlx::{Any, AnyPool, Row, Transaction};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Bind parameters per statement, under SQLite's and PostgreSQL's limits.
const MAX_PARAMS: usize = 30_000;

/// `($1, $2, $3), ($4, $5, $6), ...` for `rows` rows of `cols` columns. SQLite gets
/// anonymous `?` instead: sqlx looks up every parameter's name, and SQLite finds a name by
/// walking the list of names, which made large batches quadratic.
fn placeholders(dialect: Dialect, rows: usize, cols: usize) -> String {
    if dialect == Dialect::Sqlite {
        let row = format!("({})", vec!["?"; cols].join(", "));
        return vec![row; rows].join(", ");
    }
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        s.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

/// Rows per multi-row statement for a table of `cols` columns.
fn rows_per_statement(cols: usize) -> usize {
    MAX_PARAMS / cols
}

pub async fn record(
    pool: &AnyPool,
    dialect: Dialect,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
) -> StoreResult<Vec<EventOutcome>> {
    crate::error::retrying(|| record_once(pool, dialect, tenant, events, decide, now)).await
}

async fn record_once(
    pool: &AnyPool,
    dialect: Dialect,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
) -> StoreResult<Vec<EventOutcome>> {
    let mut tx = crate::begin_write(pool, dialect).await?;
    let outcomes = record_batch(&mut tx, dialect, tenant, events, decide, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(outcomes)
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
    pool: &AnyPool,
    dialect: Dialect,
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
    let mut tx = crate::begin_write(pool, dialect).await?;
    let inserted = insert_notifications(&mut tx, dialect, tenant, &planned, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(inserted.len() as u32)
}

/// Records a batch with a fixed number of statements, whatever its size: upsert its shipments,
/// insert its events (learning which are new), let the domain decide the batch in memory, then
/// write the shipments' new states, the cancels and all notifications with multi-row statements.
async fn record_batch(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    tenant: TenantId,
    events: &[CarrierEvent],
    decide: &Decide<'_>,
    now: Timestamp,
) -> StoreResult<Vec<EventOutcome>> {
    let shipments = load_shipments(tx, dialect, tenant, events, now).await?;
    let mut stored = insert_events(tx, dialect, tenant, events, &shipments, now).await?;
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
    let to_save: Vec<&Shipment> = plan.shipments.iter().collect();
    save_shipments(tx, dialect, tenant, &to_save, now).await?;
    for (shipment, key) in unknown {
        sqlx::query("UPDATE events SET unknown_code = 1 WHERE tenant_id = $1 AND shipment_id = $2 AND event_key = $3")
            .bind(tenant.0)
            .bind(shipment.0)
            .bind(key)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    cancel_scheduled(tx, dialect, tenant, &plan.cancels, now).await?;
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
    for event in insert_notifications(tx, dialect, tenant, &planned, now).await? {
        if let EventOutcome::Accepted { notifications, .. } = &mut outcomes[event] {
            *notifications += 1;
        }
    }
    Ok(outcomes)
}

/// Creates the batch's new shipments and returns every shipment of the batch with its state.
/// Rows are taken in tracking-number order, so concurrent batches on PostgreSQL lock shared
/// shipments in the same order and cannot deadlock; the locks hold until commit, so two
/// nodes never apply events of one shipment at the same time.
async fn load_shipments<'e>(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    tenant: TenantId,
    events: &'e [CarrierEvent],
    now: Timestamp,
) -> StoreResult<HashMap<&'e str, Shipment>> {
    let tracking: BTreeMap<&str, ()> = events.iter().map(|e| (e.tracking_number.as_str(), ())).collect();
    let tracking: Vec<&str> = tracking.into_keys().collect();
    let mut out = HashMap::with_capacity(tracking.len());
    for rows in tracking.chunks(rows_per_statement(4)) {
        let sql = format!(
            "INSERT INTO shipments (tenant_id, tracking_number, state, updated_at) VALUES {}
             ON CONFLICT (tenant_id, tracking_number) DO UPDATE SET updated_at = shipments.updated_at
             RETURNING id, tracking_number, state",
            placeholders(dialect, rows.len(), 4)
        );
        let mut q = sqlx::query(&sql);
        for t in rows {
            q = q.bind(tenant.0).bind(*t).bind(to_json(&Shipment::new(t))).bind(ms(now));
        }
        for row in q.fetch_all(&mut **tx).await.map_err(db)? {
            let tracking_number: String = row.try_get("tracking_number").map_err(db)?;
            let s = shipment_from(&row)?;
            let key = rows.iter().find(|t| **t == tracking_number).copied().ok_or_else(|| {
                avisera_store::StoreError::Corrupt(format!("upsert returned unknown shipment {tracking_number}"))
            })?;
            out.insert(key, s);
        }
    }
    Ok(out)
}

/// Inserts the events; returns (shipment, event key) of those not stored before.
async fn insert_events(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    tenant: TenantId,
    events: &[CarrierEvent],
    shipments: &HashMap<&str, Shipment>,
    now: Timestamp,
) -> StoreResult<HashSet<(i64, String)>> {
    let mut new = HashSet::with_capacity(events.len());
    for rows in events.chunks(rows_per_statement(9)) {
        let sql = format!(
            "INSERT INTO events (tenant_id, shipment_id, event_key, code, occurred_at, received_at, location, unknown_code, body)
             VALUES {} ON CONFLICT (tenant_id, shipment_id, event_key) DO NOTHING RETURNING shipment_id, event_key",
            placeholders(dialect, rows.len(), 9)
        );
        let mut q = sqlx::query(&sql);
        for e in rows {
            q = q
                .bind(tenant.0)
                .bind(shipments[e.tracking_number.as_str()].id.0)
                .bind(&e.event_key)
                .bind(&e.code)
                .bind(ms(e.occurred_at))
                .bind(ms(now))
                .bind(e.location.clone())
                .bind(0i64)
                .bind(to_json(e));
        }
        for row in q.fetch_all(&mut **tx).await.map_err(db)? {
            new.insert((
                row.try_get("shipment_id").map_err(db)?,
                row.try_get("event_key").map_err(db)?,
            ));
        }
    }
    Ok(new)
}

async fn save_shipments(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    tenant: TenantId,
    shipments: &[&Shipment],
    now: Timestamp,
) -> StoreResult<()> {
    for rows in shipments.chunks(rows_per_statement(7)) {
        let sql = format!(
            "INSERT INTO shipments (tenant_id, tracking_number, state, updated_at, order_reference, receiver_phone, receiver_email)
             VALUES {}
             ON CONFLICT (tenant_id, tracking_number) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
               order_reference = excluded.order_reference, receiver_phone = excluded.receiver_phone,
               receiver_email = excluded.receiver_email",
            placeholders(dialect, rows.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for s in rows {
            let d = &s.details;
            q = q
                .bind(tenant.0)
                .bind(&s.tracking_number)
                .bind(to_json(*s))
                .bind(ms(now))
                .bind(d.order_reference.as_ref().map(|r| r.trim().to_lowercase()))
                .bind(d.receiver_phone.clone())
                .bind(d.receiver_email.as_ref().map(|e| e.trim().to_lowercase()));
        }
        q.execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

/// Cancels what still waits of the given (shipment, trigger) pairs, with the reason, in one
/// statement per trigger and reason rather than one per pair: a delivered event cancels
/// several journey triggers, and one round trip each made bulk imports crawl. One a worker is
/// sending right now is cancelled too: if the provider takes it anyway, `finish` records it as
/// sent (the truth); if the send fails, it stays cancelled and is never retried.
async fn cancel_scheduled(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    tenant: TenantId,
    cancels: &[Cancel],
    now: Timestamp,
) -> StoreResult<()> {
    if cancels.is_empty() {
        return Ok(());
    }
    let param = |i: usize| match dialect {
        Dialect::Sqlite => "?".to_string(),
        Dialect::Postgres => format!("${i}"),
    };
    // Most shipments have nothing waiting (messages go out at once): one read finds the pairs
    // that do, so the updates below run only for them.
    let mut shipment_ids: Vec<i64> = cancels.iter().map(|c| c.shipment.0).collect();
    shipment_ids.sort_unstable();
    shipment_ids.dedup();
    let mut waiting: HashSet<(i64, String)> = HashSet::new();
    for chunk in shipment_ids.chunks(MAX_PARAMS - 1) {
        let list: Vec<String> = (2..2 + chunk.len()).map(param).collect();
        let sql = format!(
            "SELECT shipment_id, trigger_name FROM notifications
             WHERE tenant_id = {} AND status = 'scheduled' AND shipment_id IN ({})",
            param(1),
            list.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(tenant.0);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(&mut **tx).await.map_err(db)? {
            let trigger: Option<String> = row.try_get("trigger_name").map_err(db)?;
            if let Some(trigger) = trigger {
                waiting.insert((row.try_get("shipment_id").map_err(db)?, trigger));
            }
        }
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
            let list: Vec<String> = (5..5 + chunk.len()).map(param).collect();
            let sql = format!(
                "UPDATE notifications SET status = 'cancelled', reason = {}, updated_at = {}
                 WHERE tenant_id = {} AND trigger_name = {} AND status = 'scheduled' AND shipment_id IN ({})
                 RETURNING id",
                param(1),
                param(2),
                param(3),
                param(4),
                list.join(", ")
            );
            let mut q = sqlx::query(&sql)
                .bind(reason)
                .bind(ms(now))
                .bind(tenant.0)
                .bind(trigger.slug());
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut **tx).await.map_err(db)? {
                let id: i64 = row.try_get(0).map_err(db)?;
                history.push((id, Status::Cancelled.slug().to_string(), Some(reason.to_string())));
            }
        }
    }
    add_history_rows(tx, dialect, tenant, &history, now).await
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

/// Inserts the planned notifications, each unless one with its dedupe key exists, with their
/// first status. Returns, for each inserted one, the index of the event that planned it.
pub(crate) async fn insert_notifications(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    tenant: TenantId,
    planned: &[Planned<'_>],
    now: Timestamp,
) -> StoreResult<Vec<usize>> {
    let mut planned_by: HashMap<&str, usize> = HashMap::with_capacity(planned.len());
    for p in planned {
        planned_by.entry(p.notification.dedupe_key.as_str()).or_insert(p.event);
    }
    let mut inserted = Vec::with_capacity(planned.len());
    for rows in planned.chunks(rows_per_statement(18)) {
        let sql = format!(
            "INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient,
                 dedupe_key, idempotency_key, status, reason, language, message, due_at, created_at, updated_at, billable, time_zone)
             VALUES {} ON CONFLICT (tenant_id, dedupe_key) DO NOTHING RETURNING id, dedupe_key, status, reason",
            placeholders(dialect, rows.len(), 18)
        );
        let mut q = sqlx::query(&sql);
        for p in rows {
            let n = &p.notification;
            let (status, reason, message) = match &n.message {
                Ok(m) => (Status::Scheduled, None, Some(to_json(m))),
                Err(not_sent) => (not_sent.status(), Some(not_sent.reason().to_string()), None),
            };
            q = q
                .bind(tenant.0)
                .bind(p.shipment.map(|s| s.0))
                .bind(p.tracking_number)
                .bind(n.rule_id.map(|r| r.0))
                .bind(n.trigger.map(|t| t.slug().to_string()))
                .bind(n.channel.slug())
                .bind(&n.recipient)
                .bind(&n.dedupe_key)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(status.slug())
                .bind(reason)
                .bind(n.language.clone())
                .bind(message)
                .bind(ms(n.due_at))
                .bind(ms(now))
                .bind(ms(now))
                .bind(i64::from(p.shipment.is_some()))
                .bind(n.time_zone.clone());
        }
        let rows = q.fetch_all(&mut **tx).await.map_err(db)?;
        let mut history = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: i64 = row.try_get("id").map_err(db)?;
            let key: String = row.try_get("dedupe_key").map_err(db)?;
            let status: String = row.try_get("status").map_err(db)?;
            let reason: Option<String> = row.try_get("reason").map_err(db)?;
            inserted.push(planned_by[key.as_str()]);
            history.push((id, status, reason));
        }
        add_history_rows(tx, dialect, tenant, &history, now).await?;
    }
    Ok(inserted)
}

async fn add_history_rows(
    tx: &mut Transaction<'static, Any>,
    dialect: Dialect,
    tenant: TenantId,
    rows: &[(i64, String, Option<String>)],
    now: Timestamp,
) -> StoreResult<()> {
    for chunk in rows.chunks(rows_per_statement(5)) {
        let sql = format!(
            "INSERT INTO notification_history (tenant_id, notification_id, status, reason, at) VALUES {}",
            placeholders(dialect, chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (id, status, reason) in chunk {
            q = q
                .bind(tenant.0)
                .bind(*id)
                .bind(status.as_str())
                .bind(reason.clone())
                .bind(ms(now));
        }
        q.execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

/// A shipment from a row holding its `id` and `state`.
fn shipment_from(row: &sqlx::any::AnyRow) -> StoreResult<Shipment> {
    let mut s: Shipment = from_json("shipment state", &row.try_get::<String, _>("state").map_err(db)?)?;
    s.id = ShipmentId(row.try_get("id").map_err(db)?);
    Ok(s)
}

pub async fn shipment(pool: &AnyPool, tenant: TenantId, tracking_number: &str) -> StoreResult<Option<Shipment>> {
    let row = sqlx::query("SELECT id, state FROM shipments WHERE tenant_id = $1 AND tracking_number = $2")
        .bind(tenant.0)
        .bind(tracking_number)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.as_ref().map(shipment_from).transpose()
}

pub async fn shipment_by_id(pool: &AnyPool, tenant: TenantId, id: ShipmentId) -> StoreResult<Option<Shipment>> {
    let row = sqlx::query("SELECT id, state FROM shipments WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    row.as_ref().map(shipment_from).transpose()
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

/// Adds a notification sent by hand from the portal: tied to its shipment and billed.
pub async fn add_manual(
    pool: &AnyPool,
    dialect: Dialect,
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
    let mut tx = crate::begin_write(pool, dialect).await?;
    let inserted = insert_notifications(&mut tx, dialect, tenant, &planned, now).await?;
    let id = if inserted.is_empty() {
        None
    } else {
        let row = sqlx::query("SELECT id FROM notifications WHERE tenant_id = $1 AND dedupe_key = $2")
            .bind(tenant.0)
            .bind(&notification.dedupe_key)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        Some(NotificationId(row.try_get(0).map_err(db)?))
    };
    tx.commit().await.map_err(db)?;
    Ok(id)
}

/// Track & Trace: shipments by tracking number (exact), order reference or email (whole
/// values, case ignored) or receiver phone (E.164), each by its own index.
pub async fn find(pool: &AnyPool, tenant: TenantId, search: &ShipmentSearch, limit: u32) -> StoreResult<Vec<Shipment>> {
    let (sql, needle) = match search {
        ShipmentSearch::TrackingNumber(t) => ("tracking_number = $2", t.trim().to_string()),
        ShipmentSearch::OrderReference(r) => ("order_reference = $2", r.trim().to_lowercase()),
        ShipmentSearch::Phone(p) => ("receiver_phone = $2", p.trim().to_string()),
        ShipmentSearch::Email(e) => ("receiver_email = $2", e.trim().to_lowercase()),
    };
    let rows = sqlx::query(&format!(
        "SELECT id, state FROM shipments WHERE tenant_id = $1 AND {sql} ORDER BY updated_at DESC, id DESC LIMIT $3"
    ))
    .bind(tenant.0)
    .bind(needle)
    .bind(i64::from(limit.clamp(1, 200)))
    .fetch_all(pool)
    .await
    .map_err(db)?;
    rows.iter().map(shipment_from).collect()
}
