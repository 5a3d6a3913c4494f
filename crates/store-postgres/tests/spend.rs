//! The SMS budget reads a counter of spend per tenant and hour (migration 22) that this
//! release adds to when it records an SMS as sent. During a rolling upgrade, nodes of the
//! previous release go on sending on the migrated schema without adding to it; what they send,
//! before the migration or after it, and whichever release claimed or stored the message, still
//! counts once.

mod common;

use avisera_domain::billing::{Charge, Month};
use avisera_domain::event::CarrierEvent;
use avisera_domain::money::Ore;
use avisera_domain::trigger::Trigger;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{DeliveryOutcome, EventStore, Finished, Maintenance, Outbox, Reservation, Usage};
use avisera_store_postgres::testing::fresh_postgres_url;
use avisera_store_postgres::{MIGRATIONS, PgStore, connect};
use common::{at, event, plan, tenant};

const PRICE: Ore = Ore(75);

#[tokio::test]
async fn what_the_previous_release_sends_during_a_rolling_upgrade_counts_once() {
    let store = connect(&fresh_postgres_url().await).await.unwrap();
    let previous = &MIGRATIONS[..MIGRATIONS.len() - 1];
    assert_eq!(previous.last().unwrap().version, 21);
    store.migrate_with(previous).await.unwrap();
    let now = at("2026-11-25T10:00:00Z");
    let month = Month::of(now).bounds();
    let tenant = tenant(&store, "Shop", now).await;
    waiting_sms(&store, tenant, "A", 6, now).await;

    // Before the migration: a node of the previous release sends one SMS (3 units) and has
    // another in flight (2 units).
    let old = store
        .claim_due("old", now, at("2026-11-26T00:00:00Z"), 2)
        .await
        .unwrap();
    assert_eq!(old.len(), 2);
    assert!(send_as_the_previous_release(&store, tenant, old[0].id, "old", 3, at("2026-11-25T10:05:00Z")).await);
    store.migrate().await.unwrap();
    assert_eq!(spent(&store, tenant, month).await, PRICE * 3);

    // After it: the previous release's in-flight SMS is sent (2 units), this release sends two
    // (1 unit each), and the previous release claims and sends the last three (1 unit each),
    // one of them stored after the migration by ingest.
    let later = at("2026-11-25T11:30:00Z");
    assert!(send_as_the_previous_release(&store, tenant, old[1].id, "old", 2, later).await);
    let new = store
        .claim_due("new", later, at("2026-11-26T00:00:00Z"), 2)
        .await
        .unwrap();
    let batch: Vec<Finished> = new
        .iter()
        .map(|job| Finished {
            tenant,
            id: job.id,
            outcome: DeliveryOutcome::Sent {
                provider_id: None,
                charge: Some(Charge {
                    units: 1,
                    unit_price: PRICE,
                }),
            },
            provider: None,
        })
        .collect();
    assert_eq!(store.finish_deliveries("new", &batch, later).await.unwrap().len(), 2);
    waiting_sms(&store, tenant, "B", 1, later).await;
    let last = store
        .claim_due("old", later, at("2026-11-26T00:00:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(last.len(), 3);
    for job in &last {
        assert!(send_as_the_previous_release(&store, tenant, job.id, "old", 1, at("2026-11-25T12:10:00Z")).await);
    }

    // 3 + 2 + 1 + 1 + 1 + 1 + 1 units: what the bill says, and what the budget counts.
    let expected = PRICE * 10;
    let billed: Ore = store
        .billed(tenant, month.0, month.1)
        .await
        .unwrap()
        .iter()
        .map(|b| b.charge.cost())
        .sum();
    assert_eq!(billed, expected);
    assert_eq!(spent(&store, tenant, month).await, expected);
    for (from, to) in [
        (at("2026-11-25T10:00:00Z"), at("2026-11-25T12:00:00Z")),
        (at("2026-11-25T11:15:00Z"), at("2026-11-25T12:45:00Z")),
    ] {
        let billed: Ore = store
            .billed(tenant, from, to)
            .await
            .unwrap()
            .iter()
            .map(|b| b.charge.cost())
            .sum();
        assert_eq!(spent(&store, tenant, (from, to)).await, billed, "from {from} to {to}");
    }
    // A reservation sees the same: a budget of what was spent refuses one more SMS.
    waiting_sms(&store, tenant, "C", 1, later).await;
    let job = store
        .claim_due("new", later, at("2026-11-26T00:00:00Z"), 1)
        .await
        .unwrap()
        .remove(0);
    let one = Charge {
        units: 1,
        unit_price: PRICE,
    };
    assert_eq!(
        store
            .reserve_sms(tenant, job.id, "new", one, expected, month, later)
            .await
            .unwrap(),
        Reservation::Refused { committed: expected }
    );
}

async fn spent(store: &PgStore, tenant: TenantId, (from, to): (Timestamp, Timestamp)) -> Ore {
    store.sms_spend(tenant, from, to).await.unwrap()
}

/// How a node of the previous release records a sent SMS: it never names `spend_counted`.
async fn send_as_the_previous_release(
    store: &PgStore,
    tenant: TenantId,
    id: NotificationId,
    worker: &str,
    units: i64,
    now: Timestamp,
) -> bool {
    let at = avisera_store_postgres::PgTime(now);
    sqlx::query(
        "UPDATE notifications SET status = 'sent', reason = NULL, lease_owner = NULL, lease_until = NULL,
             updated_at = $1, sent_at = $1, billed_units = $2, unit_price_ore = $3, attempts = attempts + 1
         WHERE tenant_id = $4 AND id = $5 AND lease_owner = $6 AND status = 'scheduled'",
    )
    .bind(at)
    .bind(units)
    .bind(PRICE.0)
    .bind(tenant.0)
    .bind(id.0)
    .bind(worker)
    .execute(store.pool())
    .await
    .unwrap()
    .rows_affected()
        == 1
}

/// `n` shipments delivered, each with an SMS due now.
async fn waiting_sms(store: &PgStore, tenant: TenantId, prefix: &str, n: usize, now: Timestamp) {
    let events: Vec<CarrierEvent> = (0..n)
        .map(|i| event(&format!("{prefix}{i:05}"), "DELIVERED", "2026-11-25T09:00:00Z", i))
        .collect();
    store
        .record_events(tenant, &events, &|s, e| plan(s, e, now, Trigger::Delivered), now)
        .await
        .unwrap();
}
