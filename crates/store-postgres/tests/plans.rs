//! A batch reads rows in proportion to itself, never to everything its tenant has stored,
//! whatever the planner's statistics say. The case that matters: a new tenant's burst into a
//! database whose statistics were taken before it came. The planner then believes the tenant
//! has a row or two, and a join "all of the tenant's rows, then the batch" looks as cheap as
//! "the batch, then its rows by index": one scan of the tenant's whole outbox, shipments or
//! receivers per batch, so the cost of each batch grows with the tenant, quadratic over a burst.
//!
//! The same holds for reading one shipment or one message, which read all of the tenant's
//! shipments or messages (one read of a shipment's events: 9 million rows, the tenant's events
//! for each of its shipments).
//!
//! The plans are PostgreSQL's own: `auto_explain` logs every statement's plan with its actual
//! row counts as a notice to the store's connections (sqlx logs notices as tracing events),
//! and every table or index a plan reads must yield at most a few rows per row of the batch.

mod common;

use avisera_domain::billing::Charge;
use avisera_domain::event::CarrierEvent;
use avisera_domain::money::Ore;
use avisera_domain::notification::Channel;
use avisera_domain::trigger::Trigger;
use avisera_domain::{TenantId, Timestamp};
use avisera_store::{
    DeliveryOutcome, EventStore, Finished, Lease, NotificationFilter, NotificationLog, Outbox, ReceiptKey, Receipts,
    SendReads, ShipmentSearch,
};
use avisera_store_postgres::PgStore;
use avisera_store_postgres::testing::{fresh_postgres_url, postgres_server_url};
use common::{at, event, phone_of, plan, tenant};
use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// The batch measured, and the tenants' sizes around it.
const BATCH: usize = 40;
const EARLIER_TENANT: usize = 1_500;
const NEW_TENANT: usize = 3_000;
/// What a plan may read from one table or index, per statement: a few rows per batch row.
const MOST_READ: f64 = (5 * BATCH) as f64;

#[tokio::test(flavor = "current_thread")]
async fn a_new_tenants_burst_reads_rows_by_the_batch_not_by_the_tenant() {
    let plans = Plans::default();
    // For this thread, which runs the test and the pool's tasks (a current-thread runtime).
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(plans.clone()));
    let url = fresh_postgres_url().await;
    let store = avisera_store_postgres::connect(&url).await.unwrap();
    avisera_store::Maintenance::migrate(&store).await.unwrap();
    let pool = store.pool().clone();
    // Statistics are what ANALYZE below took, and stay so for the test.
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()")
            .fetch_all(&pool)
            .await
            .unwrap();
    for table in &tables {
        sqlx::raw_sql(&format!("ALTER TABLE {table} SET (autovacuum_enabled = false)"))
            .execute(&pool)
            .await
            .unwrap();
    }
    let now = at("2026-11-25T10:00:00Z");
    let earlier = tenant(&store, "Earlier", now).await;
    let new = tenant(&store, "New", now).await;
    // The tenant the statistics know, then the new one's burst: each shipment on its way,
    // with an "out for delivery" SMS waiting for tomorrow morning.
    on_the_way(&store, earlier, "A", EARLIER_TENANT, now).await;
    sqlx::raw_sql("ANALYZE").execute(&pool).await.unwrap();
    on_the_way(&store, new, "B", NEW_TENANT, now).await;
    pool.close().await;

    // The store's own connections: each statement planned anew at each run (`connect_options`),
    // whatever `plan_cache_mode` the server or the database sets.
    explain_from_now_on(&url).await;
    let store = avisera_store_postgres::connect(&url).await.unwrap();
    plans.clear();
    one_batch_sent(&store, new, "worker", now).await;
    // The log's first page of the tenant whose messages are the older ones, behind the new
    // tenant's thousands.
    let first_page = NotificationFilter {
        limit: 50,
        ..Default::default()
    };
    assert_eq!(store.notifications(earlier, &first_page).await.unwrap().len(), 50);
    store.pool().close().await;

    let plans = plans.take();
    assert_batch_captured(&plans, "statistics before the burst");
    let too_much = reads_over_the_batch(&plans, |_| true);
    assert!(
        too_much.is_empty(),
        "a batch of {BATCH} read more than {MOST_READ} rows of one table or index (the new tenant \
         has {NEW_TENANT} of each):\n{}",
        too_much.join("\n")
    );
}

/// A batch into a database without statistics, planned by a connection that planned the
/// first batches into empty tables, still reads by the batch. One connection stores, claims and
/// sends small batches in the empty database, stores the tenant's shipments (each with a
/// waiting SMS), and a later batch cancels some of those and is sent, as in the test above.
///
/// - After five runs of a statement PostgreSQL may keep a generic plan made for the tables as
///   they were. The claim's, made for an outbox of a few rows, read the whole outbox once for
///   each message it claimed: in the benchmark a 40,000-message backlog drained at 800 a
///   second instead of 6,000 (the store now plans each run anew, `connect_options`).
/// - With no statistics the cancel's lookup took the partial index of waiting messages and
///   read all of the tenant's for every cancel.
/// - Planning ingest once per connection (`plan_cache_mode = force_generic_plan`, tried for
///   the planning time of small batches) made a generic plan of the batch's write at the first
///   batch into empty tables, which read tables whole: a later batch of 40 took minutes.
#[tokio::test(flavor = "current_thread")]
async fn plans_made_while_the_tables_were_empty_still_read_by_the_batch() {
    let plans = Plans::default();
    let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry().with(plans.clone()));
    let url = fresh_postgres_url().await;
    explain_from_now_on(&url).await;
    // One connection, so the later batch runs on the one that planned the first.
    let options = avisera_store_postgres::connect_options(&url).unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let store = PgStore::from_pool(pool);
    avisera_store::Maintenance::migrate(&store).await.unwrap();
    let now = at("2026-11-25T10:00:00Z");
    let tenant = tenant(&store, "New", now).await;
    // More than five small batches stored, claimed and sent: after five runs of a prepared
    // statement PostgreSQL may keep a generic plan for it, made for the tables as they were.
    for round in 0..7 {
        let first: Vec<CarrierEvent> = (0..2)
            .map(|i| {
                event(
                    &format!("F{round}{i:04}"),
                    "DELIVERED",
                    "2026-11-25T09:30:00Z",
                    50_000 + i,
                )
            })
            .collect();
        store
            .record_events(tenant, &first, &|s, e| plan(s, e, now, Trigger::Delivered), now)
            .await
            .unwrap();
        let jobs = store
            .claim_due("early", now, now + Duration::from_secs(60), 10)
            .await
            .unwrap();
        assert_eq!(jobs.len(), 2);
        let finished: Vec<Finished> = jobs
            .iter()
            .map(|j| Finished {
                tenant: j.tenant_id,
                id: j.id,
                outcome: DeliveryOutcome::Sent {
                    provider_id: None,
                    charge: None,
                },
                provider: None,
            })
            .collect();
        assert_eq!(store.finish_deliveries("early", &finished, now).await.unwrap().len(), 2);
    }
    on_the_way(&store, tenant, "B", EARLIER_TENANT, now).await;
    plans.clear();
    // The batch as a node handles it, from ingest to the receipt, and the reads of one
    // shipment and one message.
    one_batch_sent(&store, tenant, "worker", now).await;
    store.pool().close().await;

    let plans = plans.take();
    assert_batch_captured(&plans, "no statistics");
    // Without statistics one pass over a small table (and a hash of it) is the planner's right
    // call, and it turns to the indexes as the table grows (a custom plan sees the table's
    // size); a read repeated for each row of the batch is what must not be.
    let too_much = reads_over_the_batch(&plans, |loops| loops > 1.0);
    assert!(
        too_much.is_empty(),
        "a batch of {BATCH} read more than {MOST_READ} rows of one table or index, once for each \
         of its rows, with no statistics:\n{}",
        too_much.join("\n")
    );
}

/// The rule the plans above rest on, for every statement of the store, including those no
/// test here runs: the tenant is compared with `(SELECT $n::bigint)`, never with `$n` itself.
#[test]
fn every_statement_names_the_tenant_as_a_subquery() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bare = Vec::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains("tenant_id = $") {
                bare.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        bare.is_empty(),
        "compare the tenant with (SELECT $n::bigint), so the planner does not plan for its \
         statistics (crates/store-postgres/README.md):\n{}",
        bare.join("\n")
    );
}

/// Loads auto_explain into every new connection to the test database, logging each statement's
/// plan with its actual rows as a notice to the client, in JSON. The database also asks for
/// generic plans, which the store's connections set aside (`connect_options`).
async fn explain_from_now_on(url: &str) {
    let name = url.split('?').next().unwrap().rsplit('/').next().unwrap();
    let mut admin = PgConnection::connect(&postgres_server_url()).await.unwrap();
    sqlx::raw_sql(&format!(
        "LOAD 'auto_explain';
         ALTER DATABASE {name} SET session_preload_libraries = 'auto_explain';
         ALTER DATABASE {name} SET auto_explain.log_min_duration = 0;
         ALTER DATABASE {name} SET auto_explain.log_analyze = on;
         ALTER DATABASE {name} SET auto_explain.log_timing = off;
         ALTER DATABASE {name} SET auto_explain.log_format = 'json';
         ALTER DATABASE {name} SET auto_explain.log_level = 'notice';
         ALTER DATABASE {name} SET plan_cache_mode = 'force_generic_plan';"
    ))
    .execute(&mut admin)
    .await
    .expect("auto_explain is loaded (it ships with PostgreSQL)");
    let _ = admin.close().await;
}

/// One batch of the new tenant, as a node handles it: half the events deliver shipments it
/// stored before (which cancels their waiting SMS), half are new shipments; each plans an SMS
/// due now. Then the worker's reads before sending, its claim, and the recording of what it
/// sent.
async fn one_batch_sent(store: &PgStore, tenant: TenantId, worker: &str, now: Timestamp) {
    let mut events: Vec<CarrierEvent> = (0..BATCH / 2)
        .map(|i| event(&format!("B{i:05}"), "DELIVERED", "2026-11-25T09:30:00Z", i))
        .collect();
    events.extend((0..BATCH / 2).map(|i| event(&format!("C{i:05}"), "DELIVERED", "2026-11-25T09:30:00Z", 90_000 + i)));
    let lease_until = now + Duration::from_secs(60);
    let lease = Lease {
        owner: "express",
        until: lease_until,
        most: BATCH / 4,
    };
    let stored = store
        .record_events_leasing(
            tenant,
            &events,
            &|s, e| plan(s, e, now, Trigger::Delivered),
            now,
            Some(&lease),
        )
        .await
        .unwrap();
    assert_eq!(stored.outcomes.len(), BATCH);
    let addresses: Vec<String> = events.iter().map(|e| phone_of(e).to_string()).collect();
    let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
    store.send_context(tenant, &addresses, &addresses).await.unwrap();
    let jobs = store.claim_due(worker, now, lease_until, BATCH as u32).await.unwrap();
    assert_eq!(jobs.len(), BATCH, "every SMS the batch planned is due");
    // The tenant has an SMS budget: the batch's prices are reserved against it.
    let price = Charge {
        units: 1,
        unit_price: Ore(45),
    };
    let wants: Vec<_> = jobs.iter().map(|j| (j.id, price)).collect();
    let month = (at("2026-11-01T00:00:00+01:00"), at("2026-12-01T00:00:00+01:00"));
    let reserved = store
        .reserve_sms_batch(tenant, worker, &wants, Ore(1_000_000), month, now)
        .await
        .unwrap();
    assert_eq!(reserved.len(), BATCH);
    let finished: Vec<Finished> = jobs
        .iter()
        .map(|j| Finished {
            tenant: j.tenant_id,
            id: j.id,
            outcome: DeliveryOutcome::Sent {
                provider_id: Some(format!("p{}", j.id.0)),
                charge: Some(price),
            },
            provider: Some("sms".into()),
        })
        .collect();
    let recorded = store.finish_deliveries(worker, &finished, now).await.unwrap();
    assert_eq!(recorded.len(), BATCH);
    // The provider's receipt for one of them, which names no tenant.
    let key = ReceiptKey::ProviderMessage {
        provider: "sms".into(),
        id: format!("p{}", jobs[0].id.0),
    };
    let targets = store.receipt_targets(Channel::Sms, &key).await.unwrap();
    assert_eq!(targets.len(), 1);
    // What the API and the portal read of one shipment and one message.
    let tracking = &events[0].tracking_number;
    let shipment = store.shipment(tenant, tracking).await.unwrap().expect("stored");
    store
        .shipment_by_id(tenant, shipment.id)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(store.shipment_events(tenant, tracking).await.unwrap().len(), 2);
    let by_phone = ShipmentSearch::Phone(phone_of(&events[0]).to_string());
    assert_eq!(store.find_shipments(tenant, &by_phone, 10).await.unwrap().len(), 1);
    let of_shipment = NotificationFilter {
        tracking_number: Some(tracking.clone()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(store.notifications(tenant, &of_shipment).await.unwrap().len(), 2);
    store.notification(tenant, jobs[0].id).await.unwrap().expect("stored");
    assert!(!store.notification_history(tenant, jobs[0].id).await.unwrap().is_empty());
}

/// `n` shipments of the tenant on their way, each with an SMS for tomorrow morning.
async fn on_the_way(store: &PgStore, tenant: TenantId, prefix: &str, n: usize, now: Timestamp) {
    let tomorrow = at("2026-11-26T07:00:00Z");
    for from in (0..n).step_by(500) {
        let events: Vec<CarrierEvent> = (from..(from + 500).min(n))
            .map(|i| {
                event(
                    &format!("{prefix}{i:05}"),
                    "AVAILABLE_FOR_DELIVERY",
                    "2026-11-25T08:00:00Z",
                    i,
                )
            })
            .collect();
        store
            .record_events(
                tenant,
                &events,
                &|s, e| plan(s, e, tomorrow, Trigger::OutForDelivery),
                now,
            )
            .await
            .unwrap();
    }
}

/// Every step of `one_batch_sent` left its plan among `plans`.
fn assert_batch_captured(plans: &[Value], label: &str) {
    let texts: Vec<&str> = plans.iter().filter_map(|p| p["Query Text"].as_str()).collect();
    for (what, marker) in [
        ("the lock of the batch's shipments", "FOR UPDATE"),
        ("the receivers' lookup", "receiver_addresses"),
        ("the batch's write", "new_events"),
        ("the send-time reads", "opted_out"),
        ("the claim", "lease_owner"),
        ("the budget's reservation", "billed_units * unit_price_ore"),
        ("the recording of outcomes", "notification_history"),
        ("the receipt's lookup", "provider_id ="),
    ] {
        assert!(
            texts.iter().any(|t| t.contains(marker)),
            "{label}: no plan of {what} ({marker}) was captured; captured: {texts:#?}"
        );
    }
}

/// The reads of `plans` larger than `MOST_READ` rows whose loop count `counts`, each with its
/// statement.
fn reads_over_the_batch(plans: &[Value], counts: impl Fn(f64) -> bool) -> Vec<String> {
    let mut over = Vec::new();
    for plan in plans {
        let mut reads = Vec::new();
        rows_read(&plan["Plan"], &mut reads);
        for (node, rows, loops) in reads
            .into_iter()
            .filter(|(_, rows, loops)| *rows > MOST_READ && counts(*loops))
        {
            let text = plan["Query Text"].as_str().unwrap_or_default();
            over.push(format!(
                "{rows} rows in {loops} loops from {node} in:\n{}\n",
                text.trim()
            ));
        }
    }
    over
}

/// What each table or index node of a plan read: the rows it returned and the rows its
/// filters threw away, over all its loops; and how many loops.
fn rows_read(node: &Value, out: &mut Vec<(String, f64, f64)>) {
    let n = |key: &str| node[key].as_f64().unwrap_or(0.0);
    let what = node["Index Name"]
        .as_str()
        .map(|i| format!("{} (index {i})", node["Node Type"].as_str().unwrap_or("?")))
        .or_else(|| {
            node["Relation Name"]
                .as_str()
                .map(|r| format!("{} on {r}", node["Node Type"].as_str().unwrap_or("?")))
        });
    let modifies = node["Node Type"].as_str() == Some("ModifyTable");
    if let Some(what) = what.filter(|_| !modifies) {
        let rows =
            (n("Actual Rows") + n("Rows Removed by Filter") + n("Rows Removed by Index Recheck")) * n("Actual Loops");
        out.push((what, rows, n("Actual Loops")));
    }
    for child in node["Plans"].as_array().into_iter().flatten() {
        rows_read(child, out);
    }
}

/// The plans auto_explain sent as notices, parsed.
#[derive(Clone, Default)]
struct Plans(Arc<Mutex<Vec<String>>>);

impl Plans {
    fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    fn take(&self) -> Vec<Value> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .iter()
            .filter_map(|m| serde_json::from_str(&m[m.find('{')?..]).ok())
            .collect()
    }
}

impl<S: tracing::Subscriber> Layer<S> for Plans {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "sqlx::postgres::notice" {
            return;
        }
        let mut message = NoticeText(None);
        event.record(&mut message);
        if let Some(text) = message.0.filter(|t| t.contains("plan:")) {
            self.0.lock().unwrap().push(text);
        }
    }
}

struct NoticeText(Option<String>);

impl Visit for NoticeText {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}
