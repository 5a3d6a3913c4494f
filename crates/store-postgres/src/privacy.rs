//! Personal data (issue 15): one erase, in one transaction, over the few places that hold it
//! (shipments, events, notifications and their history, receivers, opt-outs), shared by a
//! person's request and the retention sweep. What a bill counts is never touched.

use crate::codec::PgTime;
use crate::{Tx, db};
use avisera_domain::event::CarrierEvent;
use avisera_domain::privacy::{self, Erased, Subject};
use avisera_domain::shipment::Shipment;
use avisera_domain::{ShipmentId, TenantId, Timestamp};
use avisera_store::{Pseudonym, StoreResult};
use sqlx::PgPool;
use sqlx::types::Json;
use std::collections::BTreeSet;

/// The person's addresses (the subject's, its shipments', and every address of their
/// receivers) and their shipments.
async fn person(tx: &mut Tx, tenant: TenantId, subject: &Subject) -> StoreResult<(Vec<i64>, Vec<String>)> {
    let mut addresses: BTreeSet<String> = subject.address().map(str::to_string).into_iter().collect();
    if let Subject::TrackingNumber(t) = subject {
        let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT receiver_phone, receiver_email FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND tracking_number = $2",
        )
        .bind(tenant.0)
        .bind(t.trim())
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
        if let Some((phone, email)) = row {
            addresses.extend(phone);
            addresses.extend(email.map(|e| e.to_lowercase()));
        }
    }
    let list: Vec<String> = addresses.iter().cloned().collect();
    let of_receivers: Vec<String> = sqlx::query_scalar(
        "SELECT b.address FROM receiver_addresses a
         JOIN receiver_addresses b ON b.tenant_id = a.tenant_id AND b.receiver_id = a.receiver_id
         WHERE a.tenant_id = (SELECT $1::bigint) AND a.address = ANY($2::text[])",
    )
    .bind(tenant.0)
    .bind(&list[..])
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    addresses.extend(of_receivers);
    let list: Vec<String> = addresses.into_iter().collect();
    let tracking = match subject {
        Subject::TrackingNumber(t) => t.trim().to_string(),
        _ => String::new(),
    };
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM shipments WHERE tenant_id = (SELECT $1::bigint)
           AND (receiver_phone = ANY($2::text[]) OR receiver_email = ANY($2::text[]) OR tracking_number = $3)
         ORDER BY id",
    )
    .bind(tenant.0)
    .bind(&list[..])
    .bind(tracking)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    Ok((ids, list))
}

pub async fn erase_person(
    pool: &PgPool,
    tenant: TenantId,
    subject: &Subject,
    pseudonym: &Pseudonym<'_>,
    now: Timestamp,
) -> StoreResult<Erased> {
    let mut tx = pool.begin().await.map_err(db)?;
    let (ids, addresses) = person(&mut tx, tenant, subject).await?;
    let erased = erase(&mut tx, tenant, &ids, &addresses, &addresses, pseudonym, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(erased)
}

pub async fn erase_ended(
    pool: &PgPool,
    tenant: TenantId,
    ended_before: Timestamp,
    limit: u32,
    pseudonym: &Pseudonym<'_>,
    now: Timestamp,
) -> StoreResult<Erased> {
    let mut tx = pool.begin().await.map_err(db)?;
    let rows: Vec<(i64, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, receiver_phone, receiver_email FROM shipments
         WHERE tenant_id = (SELECT $1::bigint) AND updated_at < $2 AND (erased_at IS NULL OR erased_at < updated_at)
         ORDER BY updated_at, id LIMIT $3 FOR UPDATE",
    )
    .bind(tenant.0)
    .bind(PgTime(ended_before))
    .bind(i64::from(limit.max(1)))
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    if rows.is_empty() {
        return Ok(Erased::default());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let addresses: Vec<String> = rows
        .iter()
        .flat_map(|(_, p, e)| p.iter().chain(e.iter()).cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // An address another shipment still has stays (its receiver too): only the swept
    // shipments' own data goes.
    let live: Vec<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT receiver_phone, receiver_email FROM shipments
         WHERE tenant_id = (SELECT $1::bigint) AND NOT (id = ANY($3::bigint[]))
           AND (receiver_phone = ANY($2::text[]) OR receiver_email = ANY($2::text[]))",
    )
    .bind(tenant.0)
    .bind(&addresses[..])
    .bind(&ids[..])
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let live: BTreeSet<String> = live.into_iter().flat_map(|(p, e)| p.into_iter().chain(e)).collect();
    let forget: Vec<String> = addresses.iter().filter(|a| !live.contains(*a)).cloned().collect();
    let erased = erase(&mut tx, tenant, &ids, &[], &forget, pseudonym, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(erased)
}

/// Blanks the shipments `ids` and their events, the notifications of those shipments or to
/// one of `recipients`, and forgets `forget` (receivers' addresses; opt-outs kept hashed).
async fn erase(
    tx: &mut Tx,
    tenant: TenantId,
    ids: &[i64],
    recipients: &[String],
    forget: &[String],
    pseudonym: &Pseudonym<'_>,
    now: Timestamp,
) -> StoreResult<Erased> {
    let mut erased = Erased::default();
    let mut personal: BTreeSet<String> = recipients.iter().chain(forget).cloned().collect();

    let shipments: Vec<(i64, Json<Shipment>)> = sqlx::query_as(
        "SELECT id, state FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND id = ANY($2::bigint[])",
    )
    .bind(tenant.0)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for (id, Json(mut state)) in shipments {
        personal.extend(privacy::personal_values(&state.details));
        state.id = ShipmentId(id);
        privacy::blank_shipment(&mut state);
        sqlx::query(
            "UPDATE shipments SET state = $3, receiver_phone = NULL, receiver_email = NULL, erased_at = $4
             WHERE tenant_id = (SELECT $1::bigint) AND id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(Json(&state))
        .bind(PgTime(now))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        erased.shipments += 1;
    }

    let events: Vec<(i64, Json<CarrierEvent>)> = sqlx::query_as(
        "SELECT id, body FROM events WHERE tenant_id = (SELECT $1::bigint) AND shipment_id = ANY($2::bigint[])",
    )
    .bind(tenant.0)
    .bind(ids)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for (id, Json(mut body)) in events {
        personal.extend(privacy::personal_values(&body.details));
        privacy::blank_event(&mut body);
        sqlx::query("UPDATE events SET body = $3 WHERE tenant_id = (SELECT $1::bigint) AND id = $2")
            .bind(tenant.0)
            .bind(id)
            .bind(Json(&body))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        erased.events += 1;
    }
    let personal: Vec<String> = personal.into_iter().filter(|p| !p.trim().is_empty()).collect();

    let notifications: Vec<(i64, String, Option<String>)> = sqlx::query_as(
        "SELECT id, status, reason FROM notifications
         WHERE tenant_id = (SELECT $1::bigint) AND (shipment_id = ANY($2::bigint[]) OR lower(recipient) = ANY($3::text[]))
           AND NOT (recipient = '' AND dedupe_key LIKE 'erased:%')",
    )
    .bind(tenant.0)
    .bind(ids)
    .bind(recipients)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for (id, status, reason) in &notifications {
        let waiting = status == "scheduled";
        let reason = if waiting {
            Some(avisera_domain::reason::make("erased", &[]))
        } else {
            reason.as_deref().map(|r| privacy::scrub(r, &personal))
        };
        sqlx::query(
            "UPDATE notifications SET recipient = $3, message = NULL, dedupe_key = $4, reason = $5,
                 status = CASE WHEN status = 'scheduled' THEN 'cancelled' ELSE status END
             WHERE tenant_id = (SELECT $1::bigint) AND id = $2",
        )
        .bind(tenant.0)
        .bind(id)
        .bind(privacy::ERASED)
        .bind(privacy::erased_dedupe_key(*id))
        .bind(reason.as_deref())
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        if waiting {
            sqlx::query(
                "INSERT INTO notification_history (tenant_id, notification_id, status, reason, at)
                 VALUES ($1, $2, 'cancelled', $3, $4)",
            )
            .bind(tenant.0)
            .bind(id)
            .bind(avisera_domain::reason::make("erased", &[]))
            .bind(PgTime(now))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
        erased.notifications += 1;
    }
    let ids_of: Vec<i64> = notifications.iter().map(|n| n.0).collect();
    let history: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, reason FROM notification_history
         WHERE tenant_id = (SELECT $1::bigint) AND notification_id = ANY($2::bigint[]) AND reason IS NOT NULL",
    )
    .bind(tenant.0)
    .bind(&ids_of[..])
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for (id, reason) in history {
        let scrubbed = privacy::scrub(&reason, &personal);
        if scrubbed != reason {
            sqlx::query(
                "UPDATE notification_history SET reason = $3 WHERE tenant_id = (SELECT $1::bigint) AND id = $2",
            )
            .bind(tenant.0)
            .bind(id)
            .bind(scrubbed)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        }
    }

    // Opt-outs and suppressions stay, under the address's keyed hash.
    let kept: Vec<(String, PgTime, Option<String>)> = sqlx::query_as(
        "DELETE FROM opt_outs WHERE tenant_id = (SELECT $1::bigint) AND address = ANY($2::text[]) RETURNING address, at, reason",
    )
    .bind(tenant.0)
    .bind(forget)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    for (address, at, reason) in kept {
        sqlx::query(
            "INSERT INTO opt_outs (tenant_id, address, at, reason) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, address) DO NOTHING",
        )
        .bind(tenant.0)
        .bind(pseudonym(&address))
        .bind(at)
        .bind(reason.map(|r| privacy::scrub(&r, &personal)))
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        erased.opt_outs_kept += 1;
    }
    let receivers: Vec<i64> = sqlx::query_scalar(
        "DELETE FROM receiver_addresses WHERE tenant_id = (SELECT $1::bigint) AND address = ANY($2::text[]) RETURNING receiver_id",
    )
    .bind(tenant.0)
    .bind(forget)
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let gone = sqlx::query(
        "DELETE FROM receivers r WHERE r.tenant_id = (SELECT $1::bigint) AND r.id = ANY($2::bigint[])
           AND NOT EXISTS (SELECT 1 FROM receiver_addresses a WHERE a.tenant_id = r.tenant_id AND a.receiver_id = r.id)",
    )
    .bind(tenant.0)
    .bind(&receivers[..])
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    erased.receivers = gone.rows_affected();
    Ok(erased)
}

pub async fn shipments_of_person(pool: &PgPool, tenant: TenantId, subject: &Subject) -> StoreResult<Vec<Shipment>> {
    let mut tx = pool.begin().await.map_err(db)?;
    let (ids, _) = person(&mut tx, tenant, subject).await?;
    let rows: Vec<(i64, Json<Shipment>)> = sqlx::query_as(
        "SELECT id, state FROM shipments WHERE tenant_id = (SELECT $1::bigint) AND id = ANY($2::bigint[])
         ORDER BY updated_at DESC, id DESC",
    )
    .bind(tenant.0)
    .bind(&ids[..])
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(rows
        .into_iter()
        .map(|(id, Json(mut s))| {
            s.id = ShipmentId(id);
            s
        })
        .collect())
}
