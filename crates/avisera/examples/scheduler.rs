//! Benchmarks for issue #4, recorded in BENCHMARKS.md.
//!
//! rules:     cost of deciding one event (apply + plan) with 10, 1,000 and 100,000 rules
//!            in the tenant, no I/O;
//! reminders: one million due "days left" reminders in the outbox, drained by one worker (as
//!            `Worker::run` drains: each batch sent while the next is claimed and the last recorded)
//!            through the dev inbox channel: reminders turned into sent notifications per
//!            second, and the process's peak memory.
//!
//! cargo run --release -p avisera --example scheduler -- rules
//! cargo run --release -p avisera --example scheduler -- reminders postgres 1000000

use avisera::config::{Config, DeliveryConfig};
use avisera_domain::event::{EventInput, ReceiverInput, ShipmentInput};
use avisera_domain::links::PlainLinks;
use avisera_domain::mapping::Mapping;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::plan::Plan;
use avisera_domain::planner::{PlannedNotification, Situation, plan};
use avisera_domain::retry::RetrySchedule;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::shipment::{Shipment, apply};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::tenant::{Brand, Tenant};
use avisera_domain::trigger::Trigger;
use avisera_domain::{RuleId, ShipmentId, TemplateId, TenantId};

const NOWHERE: &str = "XX";
use std::collections::BTreeMap;
use std::time::Instant;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn rules_bench() {
    let tenant = Tenant {
        id: TenantId(1),
        name: "T".into(),
        plan: Plan::Premium,
        brand: Brand::named("T"),
        billing: Default::default(),
        open_tracking: false,
        brands: Vec::new(),
    };
    let template = Template {
        id: TemplateId(1),
        name: "t".into(),
        channel: Channel::Sms,
        default_language: "sv".into(),
        contents: BTreeMap::from([(
            "sv".into(),
            TemplateBody {
                text: "Hej {{ receiver_name }}, {{ tracking_number }}".into(),
                ..Default::default()
            },
        )]),
        opt_out_footer: true,
    };
    let templates = BTreeMap::from([(template.id, template)]);
    let countries = ["SE", "NO", "DK", "FI", "DE", "GB", "PL", "EE", "LV", "LT"];
    for (n, matching) in [
        (10usize, true),
        (1_000, true),
        (100_000, true),
        (10, false),
        (1_000, false),
        (100_000, false),
    ] {
        let rules: Vec<Rule> = (0..n)
            .map(|i| Rule {
                id: RuleId(i as i64),
                name: format!("r{i}"),
                trigger: Trigger::ALL[i % 14],
                enabled: true,
                // One rule in ten is for Sweden; the rest wait for other countries.
                conditions: Conditions {
                    destination_countries: vec![if matching { countries[i % 10] } else { NOWHERE }.into()],
                    ..Default::default()
                },
                channels: ChannelChoice::Sms,
                recipient: Recipient::Receiver,
                sms_template_id: Some(TemplateId(1)),
                email_template_id: None,
                active_from: None,
                active_until: None,
                once_per_shipment: false,
                days_before_deadline: (Trigger::ALL[i % 14] == Trigger::DaysLeftAtPickupPoint).then_some(2),
                campaign: None,
                delay_minutes: 0,
                quiet_hours: vec![],
                send_at_local: None,
                working_days_only: false,
                brand_id: None,
            })
            .collect();
        let events: Vec<_> = (0..200)
            .map(|i| {
                EventInput {
                    tracking_number: Some(format!("T{i}")),
                    code: Some(["EN_ROUTE", "AVAILABLE_FOR_DELIVERY", "DELIVERED", "DELAYED"][i % 4].into()),
                    occurred_at: Some("2026-11-25T10:00:00Z".into()),
                    shipment: Some(ShipmentInput {
                        destination_country: Some("SE".into()),
                        receiver: Some(ReceiverInput {
                            name: Some("Anna".into()),
                            phone: Some("0701234567".into()),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
                .check()
                .unwrap()
            })
            .collect();
        let links = PlainLinks("https://t.example".into());
        let now = "2026-11-25T10:00:00Z".parse().unwrap();
        let mut timings = Vec::new();
        let mut planned = 0;
        for _ in 0..5 {
            let started = Instant::now();
            for e in &events {
                let mut s = Shipment::new(&e.tracking_number);
                s.id = ShipmentId(1);
                let applied = apply(s, e, Mapping::defaults());
                planned += plan(&Situation {
                    tenant: &tenant,
                    shipment: &applied.shipment,
                    event: Some(e),
                    fired: &applied.fired,
                    rules: &rules,
                    templates: &templates,
                    links: &links,
                    now,
                    sms_blocked: None,
                    suppressed: &Default::default(),
                })
                .len();
            }
            timings.push(started.elapsed().as_secs_f64() / events.len() as f64);
        }
        timings.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!(
            "{n:>7} rules, {}: {:>10.1} µs per event (median of 5 runs of 200 events; {} notifications per event)",
            if matching {
                "1 in 10 for the event's country"
            } else {
                "none for the event's country"
            },
            timings[2] * 1e6,
            planned / (5 * events.len())
        );
    }
}

async fn reminders_bench(db: &str, count: usize) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let database_url = match db {
        "postgres" => avisera_store_postgres::testing::fresh_postgres_url().await,
        _ => avisera_store_sqlite::testing::fresh_sqlite_url(),
    };
    let config = Config {
        database_url: database_url.into(),
        dev_inbox: true,
        delivery: DeliveryConfig {
            lease_ms: 60_000,
            poll_ms: 100,
            batch: 500,
            workers: 1,
            express_batch: 0,
            retry: RetrySchedule::default(),
            tenant_rate_per_second: None,
            failover: Default::default(),
        },
        ..Config::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let app = avisera::server::build_app(config, store);
    let now = app.clock.now();
    let tenant = app
        .store
        .create_tenant("Reminders AB", Plan::Plus, &Brand::named("Reminders"), now)
        .await
        .unwrap();
    let started = Instant::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(5_000) {
        let planned: Vec<PlannedNotification> = chunk
            .iter()
            .map(|i| PlannedNotification {
                rule_id: None,
                trigger: Some(Trigger::DaysLeftAtPickupPoint),
                channel: Channel::Sms,
                recipient: format!("+4670{:07}", i % 10_000_000),
                dedupe_key: format!("reminder:{i}"),
                due_at: now,
                time_zone: None,
                language: Some("sv".into()),
                message: Ok(Message::Sms {
                    sender_id: "Reminders".into(),
                    to: format!("+4670{:07}", i % 10_000_000),
                    text: format!("Ditt paket R{i} väntar på ICA Nära. 2 dagar kvar, hämta senast 2026-12-01."),
                }),
            })
            .collect();
        app.store.add_notices(tenant.id, &planned, now).await.unwrap();
    }
    let loaded = started.elapsed().as_secs_f64();
    println!(
        "loaded {count} due reminders in {loaded:.1} s; peak RSS so far {:.0} MiB",
        peak_rss_mib()
    );
    let worker = avisera::delivery::worker::Worker {
        app: app.clone(),
        channels: avisera::server::channels(&app).unwrap(),
        name: "bench".into(),
    };
    let started = Instant::now();
    let mut sent = 0;
    // As `Worker::run` drains: each batch is sent while the next is claimed and the last
    // recorded.
    let mut pipeline = avisera::delivery::worker::Pipeline::default();
    loop {
        let n = worker.run_overlapping(&mut pipeline).await.unwrap();
        if n == 0 {
            break;
        }
        sent += n;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{db}: {sent} reminders sent in {secs:.1} s = {:.0} per second; peak RSS {:.0} MiB; still scheduled: {}",
        sent as f64 / secs,
        peak_rss_mib(),
        app.store.count_scheduled().await.unwrap()
    );
    if db == "postgres" {
        drop_database(app.config.database_url.as_str()).await;
    }
}

/// The fresh database goes when the drain is measured: scripts/bench-scale runs this again and
/// again, and 100,000 reminders a run add up.
async fn drop_database(url: &str) {
    use sqlx::Connection;
    let Some((server, name)) = url.rsplit_once('/') else {
        return;
    };
    let name = name.split('?').next().unwrap_or(name);
    if let Ok(mut admin) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("rules") => rules_bench(),
        Some("reminders") => {
            let db = args.get(1).map(String::as_str).unwrap_or("sqlite");
            let count = args.get(2).and_then(|c| c.parse().ok()).unwrap_or(1_000_000);
            reminders_bench(db, count).await
        }
        _ => eprintln!("usage: scheduler rules | scheduler reminders [sqlite|postgres] [count]"),
    }
}
