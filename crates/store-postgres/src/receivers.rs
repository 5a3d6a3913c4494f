//! Receivers: binding a batch's addresses inside ingest's transaction (one lookup, then at most
//! three `unnest` inserts, whatever the batch's size), and the receiver's opt-out and
//! preferences, which write the opt-out into every one of its addresses' suppressions so the
//! worker's one lookup per batch still sees it.

use crate::batch::ReceiverWrites;
use crate::codec::PgTime;
use crate::{Tx, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::receiver::{self, Known, Reach, Receiver, ReceiverId, ReceiverRef, ReceiverToken};
use avisera_domain::shipment::Shipment;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{StoreError, StoreResult};
use sqlx::PgPool;
use std::collections::{BTreeSet, HashMap};

type KnownRow = (String, i64, String, String, Option<String>, Option<PgTime>);

fn known(row: KnownRow) -> (String, Known) {
    let (address, id, token, reach, language, opted_out_at) = row;
    let receiver = ReceiverRef {
        id: ReceiverId(id),
        token: ReceiverToken::parse(&token).unwrap_or_else(|| ReceiverToken::from_random(0)),
        reach: Reach::from_slug(&reach).unwrap_or_default(),
        language,
    };
    let opted_out_at = opted_out_at.map(|t| t.0);
    (address, Known { receiver, opted_out_at })
}

/// Binds the receivers of a batch's shipments (`domain::receiver::bind`) and sets each
/// shipment's `receiver`, before the batch is decided, so its messages carry the receiver's
/// links and honour its preferences. One lookup, which also draws the ids new receivers may
/// need (one per shipment with an address, at most); what the binding writes goes with the
/// batch's write (`Bound::writes`). An address another batch bound at the same moment makes
/// the whole batch run again (it then finds that binding).
pub(crate) async fn bind(
    tx: &mut Tx,
    tenant: TenantId,
    shipments: &mut HashMap<&str, Shipment>,
    events: &[CarrierEvent],
) -> StoreResult<Bound> {
    let addresses = receiver::batch_addresses(shipments, events);
    if addresses.is_empty() {
        return Ok(Bound::default());
    }
    let all: Vec<&str> = addresses
        .values()
        .flatten()
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // The receivers known by the batch's addresses, each address looked up by key (see
    // `events::load_shipments` on why `LATERAL`), then (with no address) the drawn ids.
    let rows: Vec<LookupRow> = sqlx::query_as(
        "SELECT w.address, k.id, k.token, k.reach, k.language, k.opted_out_at FROM unnest($2::text[]) AS w(address)
         CROSS JOIN LATERAL (
             SELECT r.id, r.token, r.reach, r.language, r.opted_out_at FROM receiver_addresses a
             JOIN receivers r ON r.id = a.receiver_id AND r.tenant_id = a.tenant_id
             WHERE a.tenant_id = (SELECT $1::bigint) AND a.address = w.address OFFSET 0) k
         UNION ALL
         SELECT NULL, nextval(pg_get_serial_sequence('receivers', 'id')), NULL, NULL, NULL, NULL
         FROM generate_series(1, $3)",
    )
    .bind(tenant.0)
    .bind(&all[..])
    .bind(addresses.len() as i32)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let (mut known, mut drawn) = (HashMap::new(), Vec::new());
    for (address, id, token, reach, language, opted_out_at) in rows {
        match (address, token, reach) {
            (Some(address), Some(token), Some(reach)) => {
                let (address, k) = self::known((address, id, token, reach, language, opted_out_at));
                known.insert(address, k);
            }
            _ => drawn.push(ReceiverId(id)),
        }
    }
    let binding = receiver::bind(&addresses, &known, || ReceiverToken::from_random(rand::random()));
    let new_ids = drawn
        .get(..binding.new_receivers.len())
        .ok_or_else(|| StoreError::Corrupt("fewer receiver ids were drawn than the batch needs".into()))?
        .to_vec();
    let bound_addresses: Vec<(String, i64)> = binding
        .address_owners(&new_ids)
        .into_iter()
        .map(|(a, id)| (a.to_string(), id.0))
        .collect();
    for (tracking, r) in binding.receivers(&known, &new_ids) {
        if let Some(s) = shipments.get_mut(tracking) {
            s.receiver = Some(r);
        }
    }
    Ok(Bound {
        ids: new_ids.iter().map(|id| id.0).collect(),
        tokens: binding.new_receivers,
        addresses: bound_addresses,
        suppress: binding.suppress,
    })
}

type LookupRow = (
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<PgTime>,
);

/// What a batch's binding writes: its new receivers, the addresses it binds, and the
/// suppressions of new addresses of receivers who opted out.
#[derive(Default)]
pub(crate) struct Bound {
    ids: Vec<i64>,
    tokens: Vec<ReceiverToken>,
    addresses: Vec<(String, i64)>,
    suppress: Vec<(String, Timestamp)>,
}

impl Bound {
    pub(crate) fn writes(&self) -> ReceiverWrites<'_> {
        ReceiverWrites {
            ids: self.ids.clone(),
            tokens: self.tokens.iter().map(ReceiverToken::as_str).collect(),
            addresses: self.addresses.iter().map(|(a, _)| a.as_str()).collect(),
            address_owners: self.addresses.iter().map(|(_, id)| *id).collect(),
            suppressed: self.suppress.iter().map(|(a, _)| a.as_str()).collect(),
            suppressed_at: self.suppress.iter().map(|(_, at)| PgTime(*at)).collect(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ReceiverRow {
    tenant_id: i64,
    id: i64,
    token: String,
    reach: String,
    language: Option<String>,
    opted_out_at: Option<PgTime>,
    addresses: Vec<String>,
}

const SELECT: &str = "SELECT r.tenant_id, r.id, r.token, r.reach, r.language, r.opted_out_at,
         COALESCE(ARRAY(SELECT address FROM receiver_addresses a
                        WHERE a.tenant_id = r.tenant_id AND a.receiver_id = r.id ORDER BY address), '{}') AS addresses
     FROM receivers r";

fn receiver(row: ReceiverRow) -> (TenantId, Receiver) {
    (
        TenantId(row.tenant_id),
        Receiver {
            id: ReceiverId(row.id),
            token: ReceiverToken::parse(&row.token).unwrap_or_else(|| ReceiverToken::from_random(0)),
            reach: Reach::from_slug(&row.reach).unwrap_or_default(),
            language: row.language,
            opted_out_at: row.opted_out_at.map(|t| t.0),
            addresses: row.addresses,
        },
    )
}

pub async fn by_token(pool: &PgPool, token: &ReceiverToken) -> StoreResult<Option<(TenantId, Receiver)>> {
    let row: Option<ReceiverRow> = sqlx::query_as(&format!("{SELECT} WHERE r.token = $1"))
        .bind(token.as_str())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(receiver))
}

pub async fn of_address(pool: &PgPool, tenant: TenantId, address: &str) -> StoreResult<Option<Receiver>> {
    let row: Option<ReceiverRow> = sqlx::query_as(&format!(
        "{SELECT} JOIN receiver_addresses b ON b.tenant_id = r.tenant_id AND b.receiver_id = r.id
         WHERE r.tenant_id = (SELECT $1::bigint) AND b.address = $2"
    ))
    .bind(tenant.0)
    .bind(address.trim().to_lowercase())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(|r| receiver(r).1))
}

pub async fn opt_out(pool: &PgPool, tenant: TenantId, id: ReceiverId, at: Timestamp) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let found =
        sqlx::query("UPDATE receivers SET opted_out_at = COALESCE(opted_out_at, $3) WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
            .bind(tenant.0)
            .bind(id.0)
            .bind(PgTime(at))
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
    // The first opt-out's time stands for every address, as for the receiver.
    sqlx::query(
        "INSERT INTO opt_outs (tenant_id, address, at)
         SELECT a.tenant_id, a.address, r.opted_out_at FROM receiver_addresses a
         JOIN receivers r ON r.tenant_id = a.tenant_id AND r.id = a.receiver_id
         WHERE a.tenant_id = (SELECT $1::bigint) AND a.receiver_id = $2
         ON CONFLICT (tenant_id, address) DO NOTHING",
    )
    .bind(tenant.0)
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(found)
}

pub async fn opt_back_in(pool: &PgPool, tenant: TenantId, id: ReceiverId) -> StoreResult<bool> {
    let mut tx = pool.begin().await.map_err(db)?;
    let found =
        sqlx::query("UPDATE receivers SET opted_out_at = NULL WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
            .bind(tenant.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected()
            == 1;
    // Only opt-outs (no reason) are lifted: a bounce or a complaint still holds.
    sqlx::query(
        "DELETE FROM opt_outs o USING receiver_addresses a
         WHERE o.tenant_id = (SELECT $1::bigint) AND o.reason IS NULL AND a.tenant_id = o.tenant_id
           AND a.address = o.address AND a.receiver_id = $2",
    )
    .bind(tenant.0)
    .bind(id.0)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(found)
}

pub async fn set_preferences(
    pool: &PgPool,
    tenant: TenantId,
    id: ReceiverId,
    reach: Reach,
    language: Option<&str>,
) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE receivers SET reach = $3, language = $4 WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
            .bind(tenant.0)
            .bind(id.0)
            .bind(reach.slug())
            .bind(language)
            .execute(pool)
            .await
            .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub async fn reach_among(pool: &PgPool, tenant: TenantId, addresses: &[&str]) -> StoreResult<HashMap<String, Reach>> {
    if addresses.is_empty() {
        return Ok(HashMap::new());
    }
    let lower: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.address, r.reach FROM receiver_addresses a
         JOIN receivers r ON r.tenant_id = a.tenant_id AND r.id = a.receiver_id
         WHERE a.tenant_id = (SELECT $1::bigint) AND a.address = ANY($2::text[]) AND r.reach <> 'both'",
    )
    .bind(tenant.0)
    .bind(&lower[..])
    .fetch_all(pool)
    .await
    .map_err(db)?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, r)| Some((a, Reach::from_slug(&r)?)))
        .collect())
}
