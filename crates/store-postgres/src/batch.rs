//! A batch's writes in one statement: its new receivers and their addresses, the suppressions
//! they bring, its new events, its shipments' states, what its events cancel, and the
//! notifications it plans with their first status in the history. Each part is a
//! data-modifying CTE over `unnest`ed arrays, and the statement has only the parts the batch
//! has (`Parts`), so a batch of any size costs one round trip, not one per part: on PostgreSQL
//! a round trip costs more than most of these statements.
//!
//! The parts see the same snapshot and none sees another's rows: the cancel touches only
//! notifications stored before the batch, as when it ran as a statement of its own first.
//! A runtime statement (not `query!`): its 45 arrays are bound by position below.

use crate::codec::PgTime;
use crate::{Tx, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::ingest::Cancel;
use avisera_domain::notification::Status;
use avisera_domain::shipment::Shipment;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{InsertedNotification, Lease, StoreResult, due_now};
use sqlx::types::Json;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::events::Planned;

/// Everything a batch writes, as the statement's columns.
#[derive(Default)]
pub(crate) struct Writes<'a> {
    pub receivers: ReceiverWrites<'a>,
    pub events: EventColumns<'a>,
    pub new_shipments: ShipmentColumns<'a>,
    pub changed_shipments: ShipmentColumns<'a>,
    pub cancels: CancelColumns<'a>,
    pub notifications: NotificationColumns<'a>,
}

/// What the batch wrote, to check against what it meant to write: a part that wrote fewer
/// rows met a row another batch wrote at the same moment.
pub(crate) struct Written {
    pub addresses: usize,
    pub events: usize,
    pub shipments: usize,
    pub notifications: Vec<InsertedNotification>,
}

/// New receivers (ids drawn beforehand, so the batch's messages could carry them), the
/// addresses bound to receivers, and the suppressions of new addresses of receivers who had
/// opted out.
#[derive(Default)]
pub(crate) struct ReceiverWrites<'a> {
    pub ids: Vec<i64>,
    pub tokens: Vec<&'a str>,
    pub addresses: Vec<&'a str>,
    pub address_owners: Vec<i64>,
    pub suppressed: Vec<&'a str>,
    pub suppressed_at: Vec<PgTime>,
}

/// The batch's new events.
#[derive(Default)]
pub(crate) struct EventColumns<'a> {
    shipments: Vec<i64>,
    keys: Vec<&'a str>,
    codes: Vec<&'a str>,
    occurred: Vec<PgTime>,
    locations: Vec<Option<&'a str>>,
    unknown: Vec<bool>,
    bodies: Vec<Json<&'a CarrierEvent>>,
}

impl<'a> EventColumns<'a> {
    pub fn push(&mut self, shipment: i64, event: &'a CarrierEvent, unknown_code: bool) {
        self.shipments.push(shipment);
        self.keys.push(&event.event_key);
        self.codes.push(&event.code);
        self.occurred.push(PgTime(event.occurred_at));
        self.locations.push(event.location.as_deref());
        self.unknown.push(unknown_code);
        self.bodies.push(Json(event));
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

/// Shipments as the columns of `shipments`.
#[derive(Default)]
pub(crate) struct ShipmentColumns<'s> {
    ids: Vec<i64>,
    tracking: Vec<&'s str>,
    states: Vec<Json<&'s Shipment>>,
    orders: Vec<Option<String>>,
    phones: Vec<Option<&'s str>>,
    emails: Vec<Option<String>>,
}

impl<'s> ShipmentColumns<'s> {
    pub fn of(shipments: &[&'s Shipment]) -> Self {
        ShipmentColumns {
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

    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

/// What the batch's events cancel: (shipment, trigger) pairs, each with its reason.
#[derive(Default)]
pub(crate) struct CancelColumns<'a> {
    shipments: Vec<i64>,
    triggers: Vec<&'a str>,
    reasons: Vec<&'a str>,
}

impl<'a> CancelColumns<'a> {
    pub fn of(cancels: &'a [Cancel]) -> Self {
        CancelColumns {
            shipments: cancels.iter().map(|c| c.shipment.0).collect(),
            triggers: cancels.iter().map(|c| c.trigger.slug()).collect(),
            reasons: cancels.iter().map(|c| c.reason.as_str()).collect(),
        }
    }
}

/// The planned notifications as the columns of `notifications`, each with a new idempotency
/// key, and the lease of those due at `now` when a lease is offered (see `Lease`).
#[derive(Default)]
pub(crate) struct NotificationColumns<'a> {
    /// The index of the first planned notification of each dedupe key.
    planned_by: HashMap<&'a str, usize>,
    shipments: Vec<Option<i64>>,
    tracking: Vec<&'a str>,
    rules: Vec<Option<i64>>,
    triggers: Vec<Option<&'static str>>,
    channels: Vec<&'static str>,
    recipients: Vec<&'a str>,
    keys: Vec<&'a str>,
    idempotency: Vec<String>,
    statuses: Vec<&'static str>,
    reasons: Vec<Option<String>>,
    languages: Vec<Option<&'a str>>,
    messages: Vec<Option<Json<&'a avisera_domain::notification::Message>>>,
    due: Vec<PgTime>,
    zones: Vec<Option<&'a str>>,
    owners: Vec<Option<&'a str>>,
    untils: Vec<Option<PgTime>>,
}

impl<'a> NotificationColumns<'a> {
    pub fn of(planned: &'a [Planned<'a>], now: Timestamp, lease: Option<&'a Lease<'a>>) -> Self {
        let mut c = NotificationColumns::default();
        for (i, p) in planned.iter().enumerate() {
            let n = &p.notification;
            c.planned_by.entry(n.dedupe_key.as_str()).or_insert(i);
            let (status, reason, message) = match &n.message {
                Ok(m) => (Status::Scheduled, None, Some(Json(m))),
                Err(not_sent) => (not_sent.status(), Some(not_sent.reason().to_string()), None),
            };
            c.shipments.push(p.shipment.map(|s| s.0));
            c.tracking.push(p.tracking_number);
            c.rules.push(n.rule_id.map(|r| r.0));
            c.triggers.push(n.trigger.map(|t| t.slug()));
            c.channels.push(n.channel.slug());
            c.recipients.push(n.recipient.as_str());
            c.keys.push(n.dedupe_key.as_str());
            c.idempotency.push(uuid::Uuid::new_v4().to_string());
            c.statuses.push(status.slug());
            c.reasons.push(reason);
            c.languages.push(n.language.as_deref());
            c.messages.push(message);
            c.due.push(PgTime(n.due_at));
            c.zones.push(n.time_zone.as_deref());
            let lease = lease.filter(|_| due_now(n, now));
            c.owners.push(lease.map(|l| l.owner));
            c.untils.push(lease.map(|l| PgTime(l.until)));
        }
        c
    }
}

type WrittenRow = (i64, i64, i64, Vec<i64>, Vec<String>, Vec<String>, Vec<bool>);

/// Writes the batch in one statement. Notifications whose dedupe key is stored already are
/// not inserted; those leased are not leased when the tenant has its own rate limit, which
/// only a claim applies.
pub(crate) async fn write(tx: &mut Tx, tenant: TenantId, w: &Writes<'_>, now: Timestamp) -> StoreResult<Written> {
    let (r, e, new, changed, c, n) = (
        &w.receivers,
        &w.events,
        &w.new_shipments,
        &w.changed_shipments,
        &w.cancels,
        &w.notifications,
    );
    let row: WrittenRow = sqlx::query_as(Parts::of(w).statement())
        .bind(tenant.0)
        .bind(PgTime(now))
        .bind(&r.ids)
        .bind(&r.tokens)
        .bind(&r.addresses)
        .bind(&r.address_owners)
        .bind(&r.suppressed)
        .bind(&r.suppressed_at)
        .bind(&e.shipments)
        .bind(&e.keys)
        .bind(&e.codes)
        .bind(&e.occurred)
        .bind(&e.locations)
        .bind(&e.unknown)
        .bind(&e.bodies)
        .bind(&new.ids)
        .bind(&new.tracking)
        .bind(&new.states)
        .bind(&new.orders)
        .bind(&new.phones)
        .bind(&new.emails)
        .bind(&changed.ids)
        .bind(&changed.states)
        .bind(&changed.orders)
        .bind(&changed.phones)
        .bind(&changed.emails)
        .bind(&c.shipments)
        .bind(&c.triggers)
        .bind(&c.reasons)
        .bind(&n.shipments)
        .bind(&n.tracking)
        .bind(&n.rules)
        .bind(&n.triggers)
        .bind(&n.channels)
        .bind(&n.recipients)
        .bind(&n.keys)
        .bind(&n.idempotency)
        .bind(&n.statuses)
        .bind(&n.reasons)
        .bind(&n.languages)
        .bind(&n.messages)
        .bind(&n.due)
        .bind(&n.zones)
        .bind(&n.owners)
        .bind(&n.untils)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    let (addresses, events, shipments, ids, keys, idempotency, leased) = row;
    let notifications = ids
        .into_iter()
        .zip(keys)
        .zip(idempotency.into_iter().zip(leased))
        .map(|((id, key), (idempotency_key, leased))| InsertedNotification {
            planned: n.planned_by[key.as_str()],
            id,
            idempotency_key,
            leased,
        })
        .collect();
    Ok(Written {
        addresses: addresses as usize,
        events: events as usize,
        shipments: shipments as usize,
        notifications,
    })
}

/// The parts of the batch's statement, each a data-modifying CTE. A statement is built from
/// the parts a batch has, not all of them over empty arrays: PostgreSQL plans the statement
/// anew at every run (`setup::connect_options`), empty parts included. A one-event POST of a
/// new shipment, which plans no message, planned its write in 0.64 ms with every part and in
/// 0.25 ms with its own.
#[derive(Clone, Copy)]
enum Part {
    Receivers = 1,
    Addresses = 2,
    Suppressed = 4,
    Events = 8,
    NewShipments = 16,
    ChangedShipments = 32,
    Cancels = 64,
    Notifications = 128,
}

/// A set of `Part`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Parts(u8);

impl Parts {
    fn of(w: &Writes<'_>) -> Parts {
        let present = [
            (Part::Receivers, w.receivers.ids.len()),
            (Part::Addresses, w.receivers.addresses.len()),
            (Part::Suppressed, w.receivers.suppressed.len()),
            (Part::Events, w.events.len()),
            (Part::NewShipments, w.new_shipments.len()),
            (Part::ChangedShipments, w.changed_shipments.len()),
            (Part::Cancels, w.cancels.shipments.len()),
            (Part::Notifications, w.notifications.keys.len()),
        ];
        Parts(
            present
                .iter()
                .filter(|(_, n)| *n > 0)
                .fold(0, |all, (p, _)| all | *p as u8),
        )
    }

    fn has(self, part: Part) -> bool {
        self.0 & part as u8 != 0
    }

    /// The statement of these parts, built once per set.
    fn statement(self) -> &'static str {
        static BUILT: [OnceLock<String>; 256] = [const { OnceLock::new() }; 256];
        BUILT[usize::from(self.0)].get_or_init(|| self.build())
    }

    /// Every statement binds all 45 parameters (sqlx sends their types, so PostgreSQL needs
    /// none named in the text); a part left out leaves its own unread.
    fn build(self) -> String {
        let mut ctes: Vec<&str> = Vec::new();
        let parts = [
            (Part::Notifications, LIMITED),
            (Part::Receivers, NEW_RECEIVERS),
            (Part::Addresses, NEW_ADDRESSES),
            (Part::Suppressed, SUPPRESSED),
            (Part::Events, NEW_EVENTS),
            (Part::NewShipments, NEW_SHIPMENTS),
            (Part::ChangedShipments, CHANGED_SHIPMENTS),
            (Part::Cancels, CANCELLED),
            (Part::Notifications, INSERTED),
        ];
        ctes.extend(parts.iter().filter(|(p, _)| self.has(*p)).map(|(_, sql)| *sql));
        let history = match (self.has(Part::Cancels), self.has(Part::Notifications)) {
            (true, true) => Some(
                "SELECT 0 AS part, id, 'cancelled' AS status, reason FROM cancelled
                 UNION ALL SELECT 1, id, status, reason FROM inserted",
            ),
            (true, false) => Some("SELECT 0 AS part, id, 'cancelled' AS status, reason FROM cancelled"),
            (false, true) => Some("SELECT 1 AS part, id, status, reason FROM inserted"),
            (false, false) => None,
        };
        let history = history.map(|rows| {
            format!(
                "history AS (
    INSERT INTO notification_history (tenant_id, notification_id, status, reason, at)
    SELECT $1, h.id, h.status, h.reason, $2
    FROM ({rows}) h
    ORDER BY h.part, h.id)"
            )
        });
        ctes.extend(history.as_deref());
        let count = |part, cte| match self.has(part) {
            true => format!("(SELECT count(*) FROM {cte})"),
            false => "0::bigint".to_string(),
        };
        let inserted = |column: &str, empty: &str| match self.has(Part::Notifications) {
            true => format!("ARRAY(SELECT {column} FROM inserted ORDER BY id)"),
            false => format!("ARRAY[]::{empty}[]"),
        };
        let select = format!(
            "SELECT {}, {}, {}, {}, {}, {}, {}",
            count(Part::Addresses, "new_addresses"),
            count(Part::Events, "new_events"),
            count(Part::NewShipments, "new_shipments"),
            inserted("id", "bigint"),
            inserted("dedupe_key", "text"),
            inserted("idempotency_key", "text"),
            inserted("leased", "bool"),
        );
        if ctes.is_empty() {
            return select;
        }
        format!("WITH {}\n{select}", ctes.join(",\n"))
    }
}

// The rows a batch changes (its stored shipments, the notifications it cancels) are found from
// the batch's side, key by key, in `LATERAL` subqueries, and updated by primary key: a join
// the planner could turn round read all of a new tenant's shipments or waiting messages for
// every batch (see `events::load_shipments`). A cancel finds the shipment's messages by the
// shipment alone (`notifications_shipment`) and keeps those of its trigger still waiting
// outside the lookup: with the status inside, a database without statistics took the partial
// index of waiting messages, which starts with the tenant, and read all of the tenant's
// waiting messages for every cancel.

const LIMITED: &str =
    "limited AS (SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1 AND rate_per_second IS NOT NULL) AS own)";

const NEW_RECEIVERS: &str = "new_receivers AS (
    INSERT INTO receivers (id, tenant_id, token, created_at)
    SELECT u.id, $1, u.token, $2 FROM unnest($3::bigint[], $4::text[]) AS u(id, token))";

const NEW_ADDRESSES: &str = "new_addresses AS (
    INSERT INTO receiver_addresses (tenant_id, address, receiver_id)
    SELECT $1, u.address, u.receiver_id FROM unnest($5::text[], $6::bigint[]) AS u(address, receiver_id)
    ON CONFLICT (tenant_id, address) DO NOTHING
    RETURNING 1)";

const SUPPRESSED: &str = "suppressed AS (
    INSERT INTO opt_outs (tenant_id, address, at)
    SELECT $1, u.address, u.at FROM unnest($7::text[], $8::timestamptz[]) AS u(address, at)
    ON CONFLICT (tenant_id, address) DO NOTHING)";

const NEW_EVENTS: &str = "new_events AS (
    INSERT INTO events (tenant_id, shipment_id, event_key, code, occurred_at, received_at, location, unknown_code, body)
    SELECT $1, u.shipment_id, u.event_key, u.code, u.occurred_at, $2, u.location, u.unknown_code, u.body
    FROM unnest($9::bigint[], $10::text[], $11::text[], $12::timestamptz[], $13::text[], $14::bool[], $15::jsonb[])
      WITH ORDINALITY AS u(shipment_id, event_key, code, occurred_at, location, unknown_code, body, n)
    ORDER BY u.n
    ON CONFLICT (tenant_id, shipment_id, event_key) DO NOTHING
    RETURNING 1)";

const NEW_SHIPMENTS: &str = "new_shipments AS (
    INSERT INTO shipments (id, tenant_id, tracking_number, state, updated_at, order_reference, receiver_phone, receiver_email)
    SELECT u.id, $1, u.tracking_number, u.state, $2, u.order_reference, u.receiver_phone, u.receiver_email
    FROM unnest($16::bigint[], $17::text[], $18::jsonb[], $19::text[], $20::text[], $21::text[])
      WITH ORDINALITY AS u(id, tracking_number, state, order_reference, receiver_phone, receiver_email, n)
    ORDER BY u.n
    ON CONFLICT (tenant_id, tracking_number) DO NOTHING
    RETURNING 1)";

const CHANGED_SHIPMENTS: &str = "changed_shipments AS (
    UPDATE shipments s SET state = u.state, updated_at = $2, order_reference = u.order_reference,
        receiver_phone = u.receiver_phone, receiver_email = u.receiver_email
    FROM (SELECT u.*, t.id AS target
          FROM unnest($22::bigint[], $23::jsonb[], $24::text[], $25::text[], $26::text[])
            AS u(id, state, order_reference, receiver_phone, receiver_email)
          CROSS JOIN LATERAL (SELECT id FROM shipments WHERE id = u.id AND tenant_id = (SELECT $1::bigint) OFFSET 0) t) u
    WHERE s.id = u.target)";

const CANCELLED: &str = "cancelled AS (
    UPDATE notifications n SET status = 'cancelled', reason = c.reason, updated_at = $2
    FROM (SELECT c.reason, t.id
          FROM unnest($27::bigint[], $28::text[], $29::text[]) AS c(shipment_id, trigger_name, reason)
          CROSS JOIN LATERAL (
              SELECT id, trigger_name, status FROM notifications
              WHERE tenant_id = (SELECT $1::bigint) AND shipment_id = c.shipment_id OFFSET 0) t
          WHERE t.trigger_name = c.trigger_name AND t.status = 'scheduled') c
    WHERE n.id = c.id AND n.status = 'scheduled'
    RETURNING n.id, n.reason)";

const INSERTED: &str = "inserted AS (
    INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient,
        dedupe_key, idempotency_key, status, reason, language, message, due_at, created_at, updated_at, billable, time_zone,
        lease_owner, lease_until)
    SELECT $1, u.shipment_id, u.tracking_number, u.rule_id, u.trigger_name, u.channel, u.recipient,
        u.dedupe_key, u.idempotency_key, u.status, u.reason, u.language, u.message, u.due_at, $2, $2,
        u.shipment_id IS NOT NULL, u.time_zone,
        CASE WHEN l.own THEN NULL ELSE u.lease_owner END, CASE WHEN l.own THEN NULL ELSE u.lease_until END
    FROM unnest($30::bigint[], $31::text[], $32::bigint[], $33::text[], $34::text[], $35::text[], $36::text[],
                $37::text[], $38::text[], $39::text[], $40::text[], $41::jsonb[], $42::timestamptz[], $43::text[],
                $44::text[], $45::timestamptz[])
      WITH ORDINALITY AS u(shipment_id, tracking_number, rule_id, trigger_name, channel, recipient, dedupe_key,
                idempotency_key, status, reason, language, message, due_at, time_zone, lease_owner, lease_until, n)
    CROSS JOIN limited l
    ORDER BY u.n
    ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
    RETURNING id, dedupe_key, idempotency_key, status, reason, lease_owner IS NOT NULL AS leased)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_carries_only_its_batchs_parts() {
        let all = Parts(u8::MAX).statement();
        for cte in [
            "limited AS",
            "new_receivers AS",
            "suppressed AS",
            "cancelled AS",
            "history AS",
        ] {
            assert!(all.contains(cte), "{cte}");
        }
        // One new shipment's first event with its message.
        let one = Part::Events as u8 | Part::NewShipments as u8 | Part::Notifications as u8;
        let one = Parts(one).statement();
        assert!(one.contains("new_events AS") && one.contains("inserted AS") && one.contains("FROM inserted) h"));
        for absent in [
            "new_receivers",
            "new_addresses",
            "suppressed",
            "changed_shipments",
            "cancelled",
        ] {
            assert!(!one.contains(absent), "{absent} in {one}");
        }
        // A later event of a stored shipment that cancels a waiting message and plans none.
        let cancels = Parts(Part::Events as u8 | Part::ChangedShipments as u8 | Part::Cancels as u8).statement();
        assert!(cancels.contains("FROM cancelled) h") && !cancels.contains("inserted"));
        assert!(!Parts(0).statement().contains("WITH"));
    }
}
