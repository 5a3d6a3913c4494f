//! Load driver for BENCHMARKS.md. Starts Avisera in this process on a fresh SQLite file or
//! PostgreSQL database, with an SMS provider played by a local HTTP server, and measures:
//!
//! - ingest: events per second from HTTP batch in to notification job committed (delivery
//!   workers off), and the same through the engine without HTTP, to show where time goes;
//! - latency: at a steady rate, the time from posting an event to the provider's call.
//!
//! cargo run --release -p avisera --example load -- --db postgres --events 20000 --batch 500
//! Traffic goes only to 127.0.0.1.

use avisera::app::App;
use avisera::config::{Config, DeliveryConfig};
use avisera_core::tenants::{hash_secret, new_api_key};
use avisera_domain::event::{CarrierEvent, EventInput};
use avisera_domain::notification::Channel;
use avisera_domain::plan::Plan;
use avisera_domain::retry::RetrySchedule;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::tenant::Brand;
use avisera_domain::trigger::Trigger;
use avisera_domain::{RuleId, TemplateId, TenantId};
use axum::Json;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Args {
    db: String,
    events: usize,
    batch: usize,
    clients: usize,
    runs: usize,
    rate: usize,
    secs: u64,
}

fn args() -> Args {
    let mut a = Args {
        db: "sqlite".into(),
        events: 20_000,
        batch: 500,
        clients: 2,
        runs: 3,
        rate: 200,
        secs: 10,
    };
    let raw: Vec<String> = std::env::args().skip(1).collect();
    for pair in raw.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--db" => a.db = v,
            "--events" => a.events = v.parse().unwrap(),
            "--batch" => a.batch = v.parse().unwrap(),
            "--clients" => a.clients = v.parse().unwrap(),
            "--runs" => a.runs = v.parse().unwrap(),
            "--rate" => a.rate = v.parse().unwrap(),
            "--secs" => a.secs = v.parse().unwrap(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

async fn provider() -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let seen = arrivals.clone();
    let router = axum::Router::new().route(
        "/send",
        axum::routing::post(move |Json(body): Json<Value>| {
            let seen = seen.clone();
            async move {
                let text = body["text"].as_str().unwrap_or("");
                let tracking = text.split_whitespace().last().unwrap_or("").to_string();
                seen.lock().unwrap().entry(tracking).or_insert_with(Instant::now);
                Json(json!({"id": "x"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, arrivals)
}

async fn start(db: &str, workers: u32, provider_url: &str) -> (App, String, String, TenantId) {
    let database_url = match db {
        "postgres" => avisera_store_postgres::testing::fresh_postgres_url().await,
        _ => avisera_store_sqlite::testing::fresh_sqlite_url(),
    };
    let config = Config {
        database_url: database_url.into(),
        delivery: DeliveryConfig {
            lease_ms: 30_000,
            poll_ms: 200,
            batch: 64,
            workers,
            express_batch: 10,
            retry: RetrySchedule::default(),
            tenant_rate_per_second: None,
            failover: Default::default(),
        },
        sms: Some(toml::from_str(&format!("url = \"{provider_url}\"")).unwrap()),
        max_body_bytes: 64 * 1024 * 1024,
        ..Config::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let app = avisera::server::build_app(config, store);
    let now = app.clock.now();
    let tenant = app
        .store
        .create_tenant("Load AB", Plan::Plus, &Brand::named("Load"), now)
        .await
        .unwrap();
    let key = new_api_key();
    app.store
        .add_api_key(
            tenant.id,
            &hash_secret(&key),
            avisera_core::tenants::api_key_prefix(&key),
            "load",
            now,
        )
        .await
        .unwrap();
    let template = Template {
        id: TemplateId(0),
        name: "t".into(),
        channel: Channel::Sms,
        default_language: "sv".into(),
        contents: BTreeMap::from([(
            "sv".into(),
            TemplateBody {
                text: "Hej {{ receiver_name }}, levererat: {{ tracking_number }}".into(),
                ..Default::default()
            },
        )]),
        opt_out_footer: true,
    };
    let template_id = app.store.create_template(tenant.id, &template, now).await.unwrap();
    let rule = Rule {
        id: RuleId(0),
        name: "delivered".into(),
        trigger: Trigger::Delivered,
        enabled: true,
        conditions: Conditions::default(),
        channels: ChannelChoice::Sms,
        recipient: Recipient::Receiver,
        sms_template_id: Some(template_id),
        email_template_id: None,
        active_from: None,
        active_until: None,
        once_per_shipment: false,
        days_before_deadline: None,
        campaign: None,
        delay_minutes: 0,
        quiet_hours: Vec::new(),
        send_at_local: None,
        working_days_only: false,
        brand_id: None,
    };
    app.store
        .create_rule(
            tenant.id,
            &rule,
            &avisera_store::RuleChange::new(now, "load", "created", ""),
        )
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(avisera::server::run(app.clone(), listener));
    (app, base, key, tenant.id)
}

fn event(run: usize, i: usize) -> Value {
    json!({"tracking_number": format!("R{run}E{i}"), "code": "DELIVERED", "occurred_at": "2026-11-25T14:05:00+01:00",
           "shipment": {"destination_country": "SE", "receiver": {"name": "Anna", "phone": format!("+4670{:07}", 1_000_000 + i % 8_000_000)}}})
}

async fn ingest_http(a: &Args, run: usize) -> f64 {
    let (url, _) = provider().await;
    let (_app, base, key, _) = start(&a.db, 0, &url).await;
    let bodies: Vec<String> = (0..a.events)
        .collect::<Vec<_>>()
        .chunks(a.batch)
        .map(|c| serde_json::to_string(&c.iter().map(|i| event(run, *i)).collect::<Vec<_>>()).unwrap())
        .collect();
    let queue = Arc::new(Mutex::new(bodies));
    let http = reqwest::Client::new();
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..a.clients {
        let (queue, http, base, key) = (queue.clone(), http.clone(), base.clone(), key.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else { break };
                let r = http
                    .post(format!("{base}/v1/events"))
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 202, "{}", r.text().await.unwrap());
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    a.events as f64 / started.elapsed().as_secs_f64()
}

async fn ingest_engine(a: &Args, run: usize) -> f64 {
    let (url, _) = provider().await;
    let (app, _, _, tenant) = start(&a.db, 0, &url).await;
    let events: Vec<CarrierEvent> = (0..a.events)
        .map(|i| {
            serde_json::from_value::<EventInput>(event(run, i))
                .unwrap()
                .check()
                .unwrap()
        })
        .collect();
    let started = Instant::now();
    for chunk in events.chunks(a.batch) {
        avisera::engine::ingest(&app, tenant, chunk).await.unwrap();
    }
    a.events as f64 / started.elapsed().as_secs_f64()
}

/// Posts `rate` events per second in batches of 10 and measures post -> provider call.
async fn latency(a: &Args, run: usize) -> Vec<f64> {
    let (url, arrivals) = provider().await;
    let (_app, base, key, _) = start(&a.db, 1, &url).await;
    let http = reqwest::Client::new();
    let per_tick = 10;
    let tick = Duration::from_secs_f64(per_tick as f64 / a.rate as f64);
    let total = a.rate * a.secs as usize;
    let mut sent_at: HashMap<String, Instant> = HashMap::new();
    let mut interval = tokio::time::interval(tick);
    let mut posts: Vec<f64> = Vec::new();
    for start in (0..total).step_by(per_tick) {
        interval.tick().await;
        let batch: Vec<Value> = (start..start + per_tick).map(|i| event(run, i)).collect();
        let now = Instant::now();
        for e in &batch {
            sent_at.insert(e["tracking_number"].as_str().unwrap().to_string(), now);
        }
        let r = http
            .post(format!("{base}/v1/events"))
            .bearer_auth(&key)
            .json(&batch)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        posts.push(now.elapsed().as_secs_f64() * 1000.0);
    }
    posts.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "  POST answered: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        pct(&posts, 0.5),
        pct(&posts, 0.95),
        pct(&posts, 0.99)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrivals.lock().unwrap().len() < total && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrivals = arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), total, "not every message reached the provider");
    let mut ms: Vec<f64> = sent_at
        .iter()
        .map(|(k, t)| arrivals[k].duration_since(*t).as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    ms
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn pct(v: &[f64], p: f64) -> f64 {
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args();
    let (mut http, mut engine, mut p50, mut p95, mut p99) = (vec![], vec![], vec![], vec![], vec![]);
    for run in 0..a.runs {
        http.push(ingest_http(&a, run * 3).await);
        engine.push(ingest_engine(&a, run * 3 + 1).await);
        let l = latency(&a, run * 3 + 2).await;
        p50.push(pct(&l, 0.50));
        p95.push(pct(&l, 0.95));
        p99.push(pct(&l, 0.99));
        println!(
            "run {run}: http {:.0} ev/s, engine {:.0} ev/s, latency p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms",
            http[run], engine[run], p50[run], p95[run], p99[run]
        );
    }
    println!(
        "{} | {} events, batches of {}, {} clients | HTTP ingest {:.0} ev/s | engine only {:.0} ev/s | at {} ev/s: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms (medians of {} runs)",
        a.db,
        a.events,
        a.batch,
        a.clients,
        median(http),
        median(engine),
        a.rate,
        median(p50),
        median(p95),
        median(p99),
        a.runs
    );
}
