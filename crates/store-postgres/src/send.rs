//! What the delivery worker reads before sending, in one statement: each read is a round trip
//! on the path of every message that costs more than its statement, so the opt-outs among a
//! batch's recipients and the channels their receivers chose come back together.

use crate::codec::PgTime;
use crate::db;
use avisera_domain::TenantId;
use avisera_domain::receiver::Reach;
use avisera_store::{SendContext, StoreError, StoreResult};
use sqlx::PgPool;

/// The reads of `delivery::opted_out_among` (`$2`) and `receivers::reach_among` (`$3`) as the
/// rows of one UNION ALL, told apart by `kind`; both scoped by the tenant (`$1`). The
/// conformance suite holds the answer to the two separate reads. Each address is looked up by
/// key (see `events::load_shipments` on why `LATERAL`).
const SEND_CONTEXT: &str = "
SELECT 'opted_out' AS kind, w.address, o.at, NULL::text AS reach
  FROM unnest($2::text[]) AS w(address)
 CROSS JOIN LATERAL (SELECT at FROM opt_outs WHERE tenant_id = (SELECT $1::bigint) AND address = w.address OFFSET 0) o
UNION ALL
SELECT 'reach', w.address, NULL::timestamptz, k.reach
  FROM unnest($3::text[]) AS w(address)
 CROSS JOIN LATERAL (
     SELECT r.reach FROM receiver_addresses a
       JOIN receivers r ON r.tenant_id = a.tenant_id AND r.id = a.receiver_id
      WHERE a.tenant_id = (SELECT $1::bigint) AND a.address = w.address AND r.reach <> 'both' OFFSET 0) k";

pub async fn context(
    pool: &PgPool,
    tenant: TenantId,
    opt_out_keys: &[&str],
    addresses: &[&str],
) -> StoreResult<SendContext> {
    let mut context = SendContext::default();
    if opt_out_keys.is_empty() && addresses.is_empty() {
        return Ok(context);
    }
    // Stored in lower case, as the two separate reads ask.
    let keys: Vec<String> = opt_out_keys.iter().map(|k| k.to_lowercase()).collect();
    let lower: Vec<String> = addresses.iter().map(|a| a.to_lowercase()).collect();
    let rows: Vec<(String, String, Option<PgTime>, Option<String>)> = sqlx::query_as(SEND_CONTEXT)
        .bind(tenant.0)
        .bind(&keys[..])
        .bind(&lower[..])
        .fetch_all(pool)
        .await
        .map_err(db)?;
    for (kind, address, at, reach) in rows {
        match (kind.as_str(), at, reach) {
            ("opted_out", Some(at), _) => {
                context.opted_out.insert(address, at.0);
            }
            // A slug this build does not know is left out, as `reach_among` leaves it.
            ("reach", _, Some(slug)) => {
                if let Some(reach) = Reach::from_slug(&slug) {
                    context.reach.insert(address, reach);
                }
            }
            (kind, ..) => {
                return Err(StoreError::Corrupt(format!(
                    "a row of the send context of kind {kind:?} lacks its value"
                )));
            }
        }
    }
    Ok(context)
}
