//! What ingest needs to decide a batch: here the separate reads, one after another, since a
//! read of an SQLite file crosses no network; then the suppressions the batch can meet.

use crate::{db, rules, tenants};
use avisera_domain::template::Template;
use avisera_domain::{TemplateId, TenantId};
use avisera_store::{BatchAddresses, IngestContext, StoreResult, staff_emails};
use sqlx::SqlitePool;
use std::collections::BTreeSet;

pub async fn context(
    pool: &SqlitePool,
    tenant: TenantId,
    batch: &BatchAddresses,
) -> StoreResult<Option<IngestContext>> {
    let Some(tenant) = tenants::get(pool, tenant).await? else {
        return Ok(None);
    };
    let rules = rules::all_live(pool, tenant.id).await?;
    let templates = tenants::list_owned(pool, tenants::Owned::Templates, tenant.id, |t: &mut Template, id| {
        t.id = TemplateId(id)
    })
    .await?;
    let mapping = tenants::mapping(pool, tenant.id).await?;
    let mut wanted: BTreeSet<String> = batch.emails.iter().cloned().collect();
    wanted.extend(stored_receivers(pool, tenant.id, &batch.tracking_numbers).await?);
    wanted.extend(staff_emails(&tenant, &rules));
    let wanted: Vec<String> = wanted.into_iter().collect();
    let mut bounced = avisera_domain::receipt::Suppressed::new();
    // Chunks stay far below SQLite's limit on parameters.
    for chunk in wanted.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!(
            "SELECT address, reason FROM opt_outs WHERE tenant_id = ? AND reason IS NOT NULL AND address IN ({marks})"
        );
        let mut query = sqlx::query_as::<_, (String, String)>(&sql).bind(tenant.id.0);
        for address in chunk {
            query = query.bind(address);
        }
        bounced.extend(query.fetch_all(pool).await.map_err(db)?);
    }
    Ok(Some(IngestContext {
        tenant,
        rules,
        templates,
        mapping,
        bounced,
    }))
}

/// The receiver emails stored (in lower case) for these shipments of the tenant.
async fn stored_receivers(
    pool: &SqlitePool,
    tenant: TenantId,
    tracking_numbers: &[String],
) -> StoreResult<Vec<String>> {
    let mut found = Vec::new();
    for chunk in tracking_numbers.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let sql = format!(
            "SELECT receiver_email FROM shipments
             WHERE tenant_id = ? AND tracking_number IN ({marks}) AND receiver_email IS NOT NULL"
        );
        let mut query = sqlx::query_scalar::<_, String>(&sql).bind(tenant.0);
        for tracking_number in chunk {
            query = query.bind(tracking_number);
        }
        found.extend(query.fetch_all(pool).await.map_err(db)?);
    }
    Ok(found)
}
