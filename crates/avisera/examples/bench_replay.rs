//! Replay benchmark for BENCHMARKS.md: how long "try this rule on the last 30 days" takes over
//! 100,000 stored events of one tenant (beside as many of another tenant, in the same store).
//! Starts Avisera in this process on a fresh SQLite file or PostgreSQL database, stores the
//! events through the engine on a clock that walks through 30 days (so each batch is stored at
//! its own moment), then times `POST /v1/rules/{id}/replay {"days": 30}` for a draft rule.
//!
//! cargo run --release -p avisera --example bench_replay -- --db sqlite --events 100000 --runs 3
//! Traffic goes only to 127.0.0.1.

use avisera::app::App;
use avisera::config::Config;
use avisera_core::tenants::{hash_secret, new_api_key};
use avisera_domain::event::{CarrierEvent, EventInput};
use avisera_domain::notification::Channel;
use avisera_domain::plan::Plan;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::tenant::{Brand, Tenant};
use avisera_domain::timing::QuietHours;
use avisera_domain::trigger::Trigger;
use avisera_domain::{Clock, FixedClock, RuleId, TemplateId, Timestamp};
use avisera_store::RuleChange;
use jiff::SignedDuration;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

struct Args {
    db: String,
    events: usize,
    runs: usize,
    batch: usize,
}

fn args() -> Args {
    let mut a = Args {
        db: "sqlite".into(),
        events: 100_000,
        runs: 3,
        batch: 500,
    };
    let raw: Vec<String> = std::env::args().skip(1).collect();
    for pair in raw.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--db" => a.db = v,
            "--events" => a.events = v.parse().expect("--events N"),
            "--runs" => a.runs = v.parse().expect("--runs N"),
            "--batch" => a.batch = v.parse().expect("--batch N"),
            other => panic!("unknown argument {other}; use --db sqlite|postgres --events N --runs N --batch N"),
        }
    }
    a
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A shipment's three events (booked, first scan, delivered), `n` picking its receiver: one in
/// ten in Norway (outside the rule's condition), one in thirty without a phone number, and
/// every hundredth's number opted out.
fn shipment_events(tenant: &str, n: usize, start: Timestamp) -> Vec<(Timestamp, CarrierEvent)> {
    let tracking = format!("{tenant}{n:08}");
    let country = if n.is_multiple_of(10) { "NO" } else { "SE" };
    let phone = (n % 30 != 7).then(|| format!("+467012{:05}", n % 100_000));
    let mut out = Vec::new();
    for (code, after_h) in [("CREATED", 0), ("EN_ROUTE", 20), ("DELIVERED", 44)] {
        let at = start + SignedDuration::from_hours(after_h);
        let input = EventInput {
            tracking_number: Some(tracking.clone()),
            code: Some(code.into()),
            occurred_at: Some(at.to_string()),
            location: Some("Terminal Stockholm".into()),
            shipment: serde_json::from_value(json!({
                "destination_country": country, "order_reference": format!("ORD-{n}"),
                "receiver": {"name": "Anna Andersson", "phone": phone, "email": format!("kund{n}@example.se"), "language": "sv"}
            }))
            .unwrap(),
            ..Default::default()
        };
        out.push((at, input.check().expect("a valid event")));
    }
    out
}

/// Stores `events` events for `tenant` spread over the 30 days before `end`, in batches stored
/// at their own moment.
async fn seed(
    app: &App,
    clock: &FixedClock,
    tenant: &Tenant,
    prefix: &str,
    events: usize,
    batch: usize,
    end: Timestamp,
) {
    let shipments = events.div_ceil(3);
    let first = end - SignedDuration::from_millis(30 * DAY_MS - 3600 * 1000);
    // Shipments start evenly over the first 28 days, so each is delivered within the period.
    let step = (28 * DAY_MS) / shipments as i64;
    let mut all: Vec<(Timestamp, CarrierEvent)> = (0..shipments)
        .flat_map(|n| shipment_events(prefix, n, first + SignedDuration::from_millis(step * n as i64)))
        .take(events)
        .collect();
    all.sort_by_key(|(at, _)| *at);
    for chunk in all.chunks(batch) {
        clock.set(chunk.last().unwrap().0 + SignedDuration::from_mins(1));
        let events: Vec<CarrierEvent> = chunk.iter().map(|(_, e)| e.clone()).collect();
        avisera::engine::ingest(app, tenant.id, &events).await.unwrap();
    }
}

async fn draft_rule(app: &App, tenant: &Tenant, now: Timestamp) -> RuleId {
    let template = Template {
        id: TemplateId(0),
        name: "levererat".into(),
        channel: Channel::Sms,
        default_language: "sv".into(),
        opt_out_footer: true,
        contents: BTreeMap::from([(
            "sv".into(),
            TemplateBody {
                text: "Hej {{ receiver_name }}! Ditt paket {{ tracking_number }} är levererat. Följ det: {{ tracking_link }}".into(),
                ..Default::default()
            },
        )]),
    };
    let template_id = app.store.create_template(tenant.id, &template, now).await.unwrap();
    let rule = Rule {
        id: RuleId(0),
        name: "delivered in Sweden".into(),
        trigger: Trigger::Delivered,
        enabled: false,
        conditions: Conditions {
            destination_countries: vec!["SE".into()],
            ..Default::default()
        },
        channels: ChannelChoice::Sms,
        recipient: Recipient::Receiver,
        sms_template_id: Some(template_id),
        email_template_id: None,
        active_from: None,
        active_until: None,
        once_per_shipment: true,
        days_before_deadline: None,
        campaign: None,
        delay_minutes: 0,
        quiet_hours: vec![QuietHours {
            channel: Channel::Sms,
            from: "21:00".parse().unwrap(),
            until: "08:00".parse().unwrap(),
        }],
        send_at_local: None,
        working_days_only: false,
        brand_id: None,
    };
    app.store
        .create_rule(tenant.id, &rule, &RuleChange::new(now, "bench", "created", ""))
        .await
        .unwrap()
}

/// CPU seconds this process has used (user + system), from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime), counted after the command name, in 1/100 s.
    (ticks(11) + ticks(12)) / 100.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args();
    let database_url = match a.db.as_str() {
        "postgres" => avisera_store_postgres::testing::fresh_postgres_url().await,
        "sqlite" => avisera_store_sqlite::testing::fresh_sqlite_url(),
        other => panic!("--db {other}: use sqlite or postgres"),
    };
    let config = Config {
        database_url: database_url.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let mut app = avisera::server::build_app(config, store);
    let end: Timestamp = "2026-11-30T12:00:00Z".parse().unwrap();
    let clock = Arc::new(FixedClock::new(end - SignedDuration::from_millis(31 * DAY_MS)));
    app.clock = clock.clone();
    let now = clock.now();
    let mut tenants = Vec::new();
    for name in ["Replay AB", "Neighbour AB"] {
        tenants.push(
            app.store
                .create_tenant(name, Plan::Plus, &Brand::named(name), now)
                .await
                .unwrap(),
        );
    }
    let key = new_api_key();
    app.store
        .add_api_key(
            tenants[0].id,
            &hash_secret(&key),
            avisera_core::tenants::api_key_prefix(&key),
            "bench",
            now,
        )
        .await
        .unwrap();
    let seeding = Instant::now();
    for (tenant, prefix) in tenants.iter().zip(["R", "N"]) {
        seed(&app, &clock, tenant, prefix, a.events, a.batch, end).await;
    }
    println!(
        "{}: stored {} events for each of 2 tenants in {:.1} s",
        a.db,
        a.events,
        seeding.elapsed().as_secs_f64()
    );
    clock.set(end);
    let rule = draft_rule(&app, &tenants[0], end).await;
    for n in (1..a.events.div_ceil(3)).step_by(100) {
        let phone = format!("+467012{:05}", n % 100_000);
        app.store.opt_out(tenants[0].id, &phone, end).await.unwrap();
    }
    // The store's part alone: the period's events read back in arrival order.
    let from = end - SignedDuration::from_millis(30 * DAY_MS);
    let started = Instant::now();
    let read = app
        .store
        .arrived_events(tenants[0].id, from, end, &mut |_| {})
        .await
        .unwrap();
    println!(
        "{}: reading {read} events back in arrival order: {:.3} s",
        a.db,
        started.elapsed().as_secs_f64()
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    let mut last = Value::Null;
    for run in 1..=a.runs {
        let (started, cpu) = (Instant::now(), cpu_seconds());
        let resp = http
            .post(format!("{base}/v1/rules/{rule}/replay"))
            .bearer_auth(&key)
            .json(&json!({"days": 30}))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        last = resp.json().await.unwrap();
        let took = started.elapsed().as_secs_f64();
        assert!(status.is_success(), "{status}: {last}");
        println!(
            "{}: run {run}: {:.3} s (CPU {:.2} s, load average {})",
            a.db,
            took,
            cpu_seconds() - cpu,
            load_average()
        );
        times.push(took);
    }
    println!(
        "{}: median {:.3} s over {} runs; events {}, shipments {}, notifications {}, sms_segments {}, cost_ore {}, skipped {}",
        a.db,
        median(times),
        a.runs,
        last["events"],
        last["shipments"],
        last["notifications"],
        last["sms_segments"],
        last["cost_ore"],
        last["skipped"]
    );
}
