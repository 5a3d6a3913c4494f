//! Upgrading production databases to this store: the PostgreSQL dumps today's releases made
//! (crates/avisera/tests/fixtures/release-*/postgres.sql) and the oldest schema with rows are
//! migrated by this store, and read back exactly what the same dump gave through the `Any`
//! store those releases ran on (`avisera-store-sql`): tenants, API keys, sessions, users,
//! rules, templates, shipments, events, notifications with their history, and the bills.
//!
//! The `Any` store's answers are committed in `tests/fixtures/upgrade-expected/<dump>.txt`.
//! That store itself wrote them (commit 5768d51, with
//! `AVISERA_WRITE_GOLDEN=1 cargo nextest run -p avisera-store-postgres --test upgrade`) before
//! it was removed. Since then that command rewrites them from this store's answers: only for a
//! deliberate change (a type's `Debug` form, a read that should answer otherwise), and every
//! line of the diff is a read that no longer answers as the releases' store did.

use avisera_domain::{TenantId, Timestamp};
use avisera_store::{NotificationFilter, ShipmentSearch, Store};
use avisera_store_postgres::testing::{fresh_postgres_url, load_postgres_dump};
use sqlx::PgPool;
use std::fmt::Write;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn read(path: &str) -> String {
    let path = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The same keys, tokens, addresses and tracking numbers, read by SQL from the dump as loaded
/// (before either store migrates it), to ask both stores about.
struct Asked {
    api_keys: Vec<String>,
    sessions: Vec<String>,
    emails: Vec<String>,
    tracking: Vec<(i64, String)>,
    opt_outs: Vec<(i64, String)>,
}

async fn asked(url: &str) -> Asked {
    let pool = PgPool::connect(url).await.unwrap();
    let strings = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(&pool)
                .await
                .unwrap_or_default()
        }
    };
    let pairs = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64, String)>(sql)
                .fetch_all(&pool)
                .await
                .unwrap_or_default()
        }
    };
    Asked {
        api_keys: strings("SELECT key_hash FROM api_keys ORDER BY 1").await,
        sessions: strings("SELECT token_hash FROM sessions ORDER BY 1").await,
        emails: strings("SELECT email FROM users ORDER BY 1").await,
        tracking: pairs("SELECT tenant_id, tracking_number FROM shipments ORDER BY 1, 2").await,
        opt_outs: pairs("SELECT tenant_id, address FROM opt_outs ORDER BY 1, 2").await,
    }
}

/// Everything a store answers about the data, as text.
async fn answers(store: &dyn Store, asked: &Asked) -> String {
    let (from, to) = (at("2000-01-01T00:00:00Z"), at("2100-01-01T00:00:00Z"));
    let mut out = String::new();
    let tenants = store.tenants().await.unwrap();
    writeln!(out, "tenants {tenants:#?}").unwrap();
    for key in &asked.api_keys {
        writeln!(out, "api key {key}: {:?}", store.tenant_by_api_key(key).await.unwrap()).unwrap();
    }
    for token in &asked.sessions {
        for now in ["2026-11-29T13:00:00Z", "2026-12-01T13:00:00Z", "2099-01-01T00:00:00Z"] {
            writeln!(
                out,
                "session {token} at {now}: {:?}",
                store.session(token, at(now)).await.unwrap()
            )
            .unwrap();
        }
    }
    for email in &asked.emails {
        writeln!(out, "user {email}: {:?}", store.user_by_email(email).await.unwrap()).unwrap();
    }
    for (tenant, tracking) in &asked.tracking {
        let t = TenantId(*tenant);
        let found = store
            .find_shipments(t, &ShipmentSearch::TrackingNumber(tracking.clone()), 10)
            .await
            .unwrap();
        writeln!(out, "shipment {tracking}: {found:#?}").unwrap();
        writeln!(out, "events: {:#?}", store.shipment_events(t, tracking).await.unwrap()).unwrap();
        for s in found {
            for search in [
                s.details.order_reference.clone().map(ShipmentSearch::OrderReference),
                s.details.receiver_phone.clone().map(ShipmentSearch::Phone),
                s.details.receiver_email.clone().map(ShipmentSearch::Email),
            ]
            .into_iter()
            .flatten()
            {
                let ids: Vec<_> = store
                    .find_shipments(t, &search, 10)
                    .await
                    .unwrap()
                    .iter()
                    .map(|s| s.id)
                    .collect();
                writeln!(out, "  {search:?}: {ids:?}").unwrap();
            }
        }
    }
    for (tenant, address) in &asked.opt_outs {
        writeln!(
            out,
            "opted out {address}: {:?}",
            store.opted_out(TenantId(*tenant), address).await.unwrap()
        )
        .unwrap();
    }
    for tenant in &tenants {
        let t = tenant.id;
        writeln!(out, "== tenant {t}").unwrap();
        writeln!(out, "users {:#?}", store.users(t).await.unwrap()).unwrap();
        writeln!(out, "templates {:#?}", store.templates(t).await.unwrap()).unwrap();
        let rules = store.rules(t).await.unwrap();
        writeln!(out, "rules {rules:#?}").unwrap();
        for rule in &rules {
            writeln!(out, "rule history {:#?}", store.rule_history(t, rule.id).await.unwrap()).unwrap();
        }
        writeln!(out, "mapping {:?}", store.tenant_mapping(t).await.unwrap()).unwrap();
        writeln!(out, "webhook secret {:?}", store.webhook_secret(t).await.unwrap()).unwrap();
        let logos = store.logos(t).await.unwrap();
        writeln!(out, "logos {logos:?}").unwrap();
        for logo in &logos {
            writeln!(out, "logo {:?}", store.logo(t, logo.id).await.unwrap()).unwrap();
        }
        let notes = store
            .notifications(
                t,
                &NotificationFilter {
                    limit: 1000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        writeln!(out, "notifications {notes:#?}").unwrap();
        for n in &notes {
            writeln!(
                out,
                "history {}: {:#?}",
                n.id,
                store.notification_history(t, n.id).await.unwrap()
            )
            .unwrap();
        }
        writeln!(out, "facts {:#?}", store.notification_facts(t, from, to).await.unwrap()).unwrap();
        writeln!(out, "billed {:#?}", store.billed(t, from, to).await.unwrap()).unwrap();
        writeln!(out, "sms spend {:?}", store.sms_spend(t, from, to).await.unwrap()).unwrap();
        writeln!(out, "plan periods {:#?}", store.plan_periods(t).await.unwrap()).unwrap();
    }
    out
}

/// Loads the dump, migrates it with this store, and compares every answer with the `Any`
/// store's, committed in `tests/fixtures/upgrade-expected/<what>.txt`; with
/// `AVISERA_WRITE_GOLDEN=1`, first rewrites that file from this store's answers (see the
/// module's comment). Returns the answers for checks of their own.
async fn answers_as_the_any_store_gave(what: &str, load: impl AsyncFn(&str)) -> String {
    let pg_url = fresh_postgres_url().await;
    load(&pg_url).await;
    let asked = asked(&pg_url).await;
    let pg = avisera_store_postgres::connect(&pg_url).await.unwrap();
    let report = avisera_store::Maintenance::migrate(&pg).await.unwrap();
    let known = avisera_store::latest(avisera_store_postgres::MIGRATIONS);
    assert!(report.adopted && report.version == known, "{what}: {report:?}");
    let after = answers(&pg, &asked).await;

    let path = format!(
        "{}/tests/fixtures/upgrade-expected/{what}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("AVISERA_WRITE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, &after).unwrap();
    }
    let before = read(&format!("tests/fixtures/upgrade-expected/{what}.txt"));
    let (before, after): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    let differ: Vec<(usize, &str, &str)> = before
        .iter()
        .zip(&after)
        .enumerate()
        .filter(|(_, (b, a))| b != a)
        .map(|(i, (b, a))| (i + 1, *b, *a))
        .take(20)
        .collect();
    assert!(
        differ.is_empty() && before.len() == after.len(),
        "{what}: the Any store (left, {path}) and this store (right) answer differently: {differ:#?} ({} and {} lines)",
        before.len(),
        after.len()
    );
    after.join("\n")
}

#[tokio::test]
async fn release_4b9a3ab_reads_back_as_the_any_store_read_it() {
    let dump = read("../avisera/tests/fixtures/release-4b9a3ab/postgres.sql");
    let answers =
        answers_as_the_any_store_gave("release-4b9a3ab", async |url| load_postgres_dump(url, &dump).await).await;
    // Not two empty answers: the release's tenants, keys, session and bill lines are there.
    assert!(answers.contains("name: \"Webshop AB\"") && answers.contains("name: \"Butik Nord\""));
    let keys_found = answers
        .lines()
        .filter(|l| l.starts_with("api key ") && l.contains(": Some((TenantId("))
        .count();
    assert_eq!(keys_found, 2, "both API keys still authenticate");
    assert!(
        answers.contains("at 2026-11-29T13:00:00Z: Some(Session"),
        "the portal session is kept"
    );
    assert!(answers.contains("billed [\n    Billed"), "{answers}");
    assert!(answers.contains("dev-inbox-6"));
}

#[tokio::test]
async fn release_d058bd1_reads_back_as_the_any_store_read_it() {
    let dump = read("../avisera/tests/fixtures/release-d058bd1/postgres.sql");
    let answers =
        answers_as_the_any_store_gave("release-d058bd1", async |url| load_postgres_dump(url, &dump).await).await;
    assert!(answers.contains("name: \"Gamla AB\""));
    assert!(answers.contains("notifications [\n    NotificationRecord"), "{answers}");
}

#[tokio::test]
async fn the_oldest_schema_reads_back_as_the_any_store_read_it() {
    let schema = read("tests/fixtures/old_schemas/9d98c37.sql");
    let rows = "INSERT INTO tenants (name, plan, brand, created_at) VALUES ('Webshop AB', 'plus', '{\"brand_name\":\"Webshop AB\",\"sms_sender_id\":\"WebshopAB\",\"email_from_name\":\"Webshop AB\",\"email_from_address\":null,\"reply_to\":null,\"customer_service_email\":null,\"customer_service_phone\":null,\"default_language\":\"sv\",\"logo_id\":null}', 1764000000000);
        INSERT INTO api_keys (key_hash, tenant_id, label, created_at) VALUES ('abc123', 1, 'first key', 1764000000001);
        INSERT INTO notifications (tenant_id, shipment_id, tracking_number, rule_id, trigger_name, channel, recipient,
            dedupe_key, idempotency_key, status, language, message, due_at, attempts, provider_id, created_at, updated_at)
          VALUES (1, NULL, '00370712345678900000', NULL, 'delivered', 'sms', '+46701234567', 'd1', 'i1', 'scheduled', 'sv',
            '{\"channel\":\"sms\",\"sender_id\":\"WebshopAB\",\"to\":\"+46701234567\",\"text\":\"Hej\"}',
            1764000000123, 0, NULL, 1764000000002, 1764000000003);";
    let answers = answers_as_the_any_store_gave("oldest-9d98c37", async |url| {
        load_postgres_dump(url, &format!("{schema};\n{rows}")).await;
    })
    .await;
    assert!(
        answers.contains("api key abc123: Some((TenantId(1), \"first key\"))"),
        "{answers}"
    );
    assert!(answers.contains("idempotency_key: \"i1\""), "{answers}");
}
