//! What ingest needs to decide a batch, in one statement: each read before the batch's
//! transaction is a round trip that costs more than the statement itself, so the tenant, its
//! rules, templates and mapping, and the suppressions the batch can meet come back as one row.

use crate::db;
use crate::tenants::TenantRow;
use avisera_domain::receipt::Suppressed;
use avisera_domain::rule::Rule;
use avisera_domain::template::Template;
use avisera_domain::{RuleId, TemplateId, TenantId};
use avisera_store::{BatchAddresses, IngestContext, StoreResult};
use sqlx::PgPool;
use sqlx::types::Json;

#[derive(sqlx::FromRow)]
struct ContextRow {
    #[sqlx(flatten)]
    tenant: TenantRow,
    rules: Json<Vec<(i64, Rule)>>,
    templates: Json<Vec<(i64, Template)>>,
    mapping: Option<String>,
    bounced: Json<Suppressed>,
}

/// The addresses asked for are the batch's (`$2`), the stored receivers of its shipments
/// (`$3`; the column is kept in lower case) and the staff's the live rules may send to, read
/// from the same JSON `avisera_store::staff_emails` reads (every brand's customer-service
/// email, the fixed recipients with an @). The conformance suite holds the two to the same
/// answer. Rule and template bodies are `jsonb` already, so they decode as their columns do.
const CONTEXT: &str = "
WITH wanted (address) AS (
    SELECT unnest($2::text[])
    UNION SELECT receiver_email FROM shipments
     WHERE tenant_id = (SELECT $1::bigint) AND tracking_number = ANY($3::text[]) AND receiver_email IS NOT NULL
    UNION SELECT lower(trim(a)) FROM rules r,
           jsonb_array_elements_text(CASE WHEN r.body #>> '{recipient,kind}' = 'fixed'
                                           THEN r.body #> '{recipient,addresses}' ELSE '[]' END) AS a
     WHERE r.tenant_id = (SELECT $1::bigint) AND r.archived_at IS NULL AND a LIKE '%@%'
    UNION SELECT lower(trim(t.brand ->> 'customer_service_email')) FROM tenants t WHERE t.id = $1
    UNION SELECT lower(trim(b #>> '{brand,customer_service_email}'))
      FROM tenants t, jsonb_array_elements(t.brands) AS b WHERE t.id = $1
)
SELECT t.id, t.name, t.plan, t.brand, t.billing, t.open_tracking, t.brands,
       (SELECT COALESCE(jsonb_agg(jsonb_build_array(r.id, r.body) ORDER BY r.id), '[]')
          FROM rules r WHERE r.tenant_id = (SELECT $1::bigint) AND r.archived_at IS NULL) AS rules,
       (SELECT COALESCE(jsonb_agg(jsonb_build_array(m.id, m.body) ORDER BY m.id), '[]')
          FROM templates m WHERE m.tenant_id = (SELECT $1::bigint)) AS templates,
       (SELECT body FROM tenant_mappings WHERE tenant_id = (SELECT $1::bigint)) AS mapping,
       (SELECT COALESCE(jsonb_object_agg(o.address, o.reason), '{}')
          FROM opt_outs o
         WHERE o.tenant_id = (SELECT $1::bigint) AND o.reason IS NOT NULL AND o.address IN (SELECT address FROM wanted)) AS bounced
  FROM tenants t WHERE t.id = $1";

pub async fn context(pool: &PgPool, tenant: TenantId, batch: &BatchAddresses) -> StoreResult<Option<IngestContext>> {
    let row: Option<ContextRow> = sqlx::query_as(CONTEXT)
        .bind(tenant.0)
        .bind(&batch.emails[..])
        .bind(&batch.tracking_numbers[..])
        .fetch_optional(pool)
        .await
        .map_err(db)?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(IngestContext {
        tenant: row.tenant.into_tenant()?,
        rules: row
            .rules
            .0
            .into_iter()
            .map(|(id, rule)| Rule { id: RuleId(id), ..rule })
            .collect(),
        templates: row
            .templates
            .0
            .into_iter()
            .map(|(id, template)| Template {
                id: TemplateId(id),
                ..template
            })
            .collect(),
        mapping: row.mapping,
        bounced: row.bounced.0,
    }))
}
