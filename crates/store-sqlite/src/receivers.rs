//! Receivers: binding a batch's addresses inside ingest's write transaction (one lookup and at
//! most three multi-row inserts per chunk of the batch), and the receiver's opt-out and
//! preferences, which write the opt-out into every one of its addresses' suppressions so the
//! worker's one lookup per batch still sees it.

use crate::codec::Millis;
use crate::{Tx, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::receiver::{self, Known, Reach, Receiver, ReceiverId, ReceiverRef, ReceiverToken};
use avisera_domain::shipment::Shipment;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{StoreError, StoreResult};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::collections::{BTreeSet, HashMap};

/// Rows per multi-row statement: at most three parameters a row, far below SQLite's limit.
const CHUNK: usize = 5_000;

type KnownRow = (String, i64, String, String, Option<String>, Option<Millis>);

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
/// links and honour its preferences.
pub(crate) async fn bind(
    tx: &mut Tx,
    tenant: TenantId,
    shipments: &mut HashMap<&str, Shipment>,
    events: &[CarrierEvent],
    now: Timestamp,
) -> StoreResult<()> {
    let addresses = receiver::batch_addresses(shipments, events);
    if addresses.is_empty() {
        return Ok(());
    }
    let all: Vec<&str> = addresses
        .values()
        .flatten()
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut known: HashMap<String, Known> = HashMap::with_capacity(all.len());
    for chunk in all.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT a.address, r.id, r.token, r.reach, r.language, r.opted_out_at FROM receiver_addresses a
             JOIN receivers r ON r.id = a.receiver_id AND r.tenant_id = a.tenant_id
             WHERE a.tenant_id = ",
        );
        q.push_bind(tenant.0).push(" AND a.address IN (");
        let mut list = q.separated(", ");
        for a in chunk {
            list.push_bind(*a);
        }
        q.push(")");
        let rows: Vec<KnownRow> = q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
        known.extend(rows.into_iter().map(self::known));
    }
    let binding = receiver::bind(&addresses, &known, || ReceiverToken::from_random(rand::random()));
    let mut new_ids = Vec::with_capacity(binding.new_receivers.len());
    if !binding.new_receivers.is_empty() {
        let tokens: Vec<&str> = binding.new_receivers.iter().map(ReceiverToken::as_str).collect();
        let mut by_token: HashMap<String, i64> = HashMap::with_capacity(tokens.len());
        for chunk in tokens.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO receivers (tenant_id, token, created_at) ");
            q.push_values(chunk, |mut row, t| {
                row.push_bind(tenant.0).push_bind(*t).push_bind(Millis(now));
            });
            q.push(" RETURNING id, token");
            let made: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut **tx).await.map_err(db)?;
            by_token.extend(made.into_iter().map(|(id, t)| (t, id)));
        }
        for t in &tokens {
            let id = by_token
                .get(*t)
                .ok_or_else(|| StoreError::Corrupt("a new receiver was not returned".into()))?;
            new_ids.push(ReceiverId(*id));
        }
    }
    if !binding.new_addresses.is_empty() {
        let rows: Vec<(&str, i64)> = binding
            .address_owners(&new_ids)
            .into_iter()
            .map(|(a, id)| (a, id.0))
            .collect();
        let mut inserted = 0;
        for chunk in rows.chunks(CHUNK) {
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO receiver_addresses (tenant_id, address, receiver_id) ");
            q.push_values(chunk, |mut row, (a, id)| {
                row.push_bind(tenant.0).push_bind(*a).push_bind(*id);
            });
            q.push(" ON CONFLICT (tenant_id, address) DO NOTHING");
            inserted += q.build().execute(&mut **tx).await.map_err(db)?.rows_affected();
        }
        // The write transaction holds SQLite's one lock: nobody else binds in the meantime.
        if inserted != rows.len() as u64 {
            return Err(StoreError::Retryable(
                "another batch bound one of this batch's addresses to a receiver at the same moment".into(),
            ));
        }
    }
    if !binding.suppress.is_empty() {
        for chunk in binding.suppress.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO opt_outs (tenant_id, address, at) ");
            q.push_values(chunk, |mut row, (a, at)| {
                row.push_bind(tenant.0).push_bind(a.as_str()).push_bind(Millis(*at));
            });
            q.push(" ON CONFLICT (tenant_id, address) DO NOTHING");
            q.build().execute(&mut **tx).await.map_err(db)?;
        }
    }
    for (tracking, r) in binding.receivers(&known, &new_ids) {
        if let Some(s) = shipments.get_mut(tracking) {
            s.receiver = Some(r);
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ReceiverRow {
    tenant_id: i64,
    id: i64,
    token: String,
    reach: String,
    language: Option<String>,
    opted_out_at: Option<Millis>,
    /// Its addresses, one a line (no address holds a line break).
    addresses: Option<String>,
}

const SELECT: &str = "SELECT r.tenant_id, r.id, r.token, r.reach, r.language, r.opted_out_at,
         (SELECT group_concat(address, char(10)) FROM (SELECT address FROM receiver_addresses a
              WHERE a.tenant_id = r.tenant_id AND a.receiver_id = r.id ORDER BY address)) AS addresses
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
            addresses: row
                .addresses
                .map(|a| a.lines().map(str::to_string).collect())
                .unwrap_or_default(),
        },
    )
}

pub async fn by_token(pool: &SqlitePool, token: &ReceiverToken) -> StoreResult<Option<(TenantId, Receiver)>> {
    let row: Option<ReceiverRow> = sqlx::query_as(&format!("{SELECT} WHERE r.token = $1"))
        .bind(token.as_str())
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    Ok(row.map(receiver))
}

pub async fn of_address(pool: &SqlitePool, tenant: TenantId, address: &str) -> StoreResult<Option<Receiver>> {
    let row: Option<ReceiverRow> = sqlx::query_as(&format!(
        "{SELECT} JOIN receiver_addresses b ON b.tenant_id = r.tenant_id AND b.receiver_id = r.id
         WHERE r.tenant_id = $1 AND b.address = $2"
    ))
    .bind(tenant.0)
    .bind(address.trim().to_lowercase())
    .fetch_optional(pool)
    .await
    .map_err(db)?;
    Ok(row.map(|r| receiver(r).1))
}

pub async fn opt_out(pool: &SqlitePool, tenant: TenantId, id: ReceiverId, at: Timestamp) -> StoreResult<bool> {
    let mut tx = crate::begin_write(pool).await?;
    let found =
        sqlx::query("UPDATE receivers SET opted_out_at = COALESCE(opted_out_at, $3) WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id.0)
            .bind(Millis(at))
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
         WHERE a.tenant_id = $1 AND a.receiver_id = $2
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

pub async fn opt_back_in(pool: &SqlitePool, tenant: TenantId, id: ReceiverId) -> StoreResult<bool> {
    let mut tx = crate::begin_write(pool).await?;
    let found = sqlx::query("UPDATE receivers SET opted_out_at = NULL WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected()
        == 1;
    // Only opt-outs (no reason) are lifted: a bounce or a complaint still holds.
    sqlx::query(
        "DELETE FROM opt_outs WHERE tenant_id = $1 AND reason IS NULL
           AND address IN (SELECT address FROM receiver_addresses WHERE tenant_id = $1 AND receiver_id = $2)",
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
    pool: &SqlitePool,
    tenant: TenantId,
    id: ReceiverId,
    reach: Reach,
    language: Option<&str>,
) -> StoreResult<bool> {
    let done = sqlx::query("UPDATE receivers SET reach = $3, language = $4 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant.0)
        .bind(id.0)
        .bind(reach.slug())
        .bind(language)
        .execute(pool)
        .await
        .map_err(db)?;
    Ok(done.rows_affected() == 1)
}

pub async fn reach_among(
    pool: &SqlitePool,
    tenant: TenantId,
    addresses: &[&str],
) -> StoreResult<HashMap<String, Reach>> {
    let lower: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
    let mut found = HashMap::new();
    for chunk in lower.chunks(500) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT a.address, r.reach FROM receiver_addresses a
             JOIN receivers r ON r.tenant_id = a.tenant_id AND r.id = a.receiver_id
             WHERE r.reach <> 'both' AND a.tenant_id = ",
        );
        q.push_bind(tenant.0).push(" AND a.address IN (");
        let mut list = q.separated(", ");
        for a in chunk {
            list.push_bind(a.as_str());
        }
        q.push(")");
        let rows: Vec<(String, String)> = q.build_query_as().fetch_all(pool).await.map_err(db)?;
        found.extend(rows.into_iter().filter_map(|(a, r)| Some((a, Reach::from_slug(&r)?))));
    }
    Ok(found)
}
