//! The measurements, one function per part of the table. Each makes its own database (and
//! stream), starts what it needs, and returns its figures by row key; everything it started
//! ends with it.

use crate::node::{self, Database, Node, NodeConfig, Tenant};
use crate::provider::Provider;
use crate::traffic::{self, Bus};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

pub struct Sizes {
    pub events: usize,
    pub batch: usize,
    pub clients: usize,
    pub per_message: usize,
    pub reminders: usize,
    pub fair_backlog: usize,
    pub fair_singles: usize,
    pub latency_secs: u64,
    pub memory: usize,
    pub restart: usize,
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            events: 40_000,
            batch: 500,
            clients: 4,
            per_message: 1,
            reminders: 100_000,
            fair_backlog: 40_000,
            fair_singles: 50,
            latency_secs: 10,
            memory: 1_000_000,
            restart: 100_000,
        }
    }

    pub fn quick() -> Sizes {
        Sizes {
            events: 2_000,
            reminders: 5_000,
            fair_backlog: 2_000,
            fair_singles: 10,
            latency_secs: 3,
            memory: 20_000,
            restart: 5_000,
            ..Sizes::full()
        }
    }
}

pub struct Ctx {
    pub sizes: Sizes,
    pub nats_url: String,
    pub graphile_dir: String,
    /// Makes tracking numbers unique across runs (they are the provider's keys).
    pub run: usize,
}

pub type Figures = Vec<(&'static str, f64)>;

/// Long enough for the slowest honest run on a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(1_800);

fn rate(n: usize, from: Instant, to: Instant) -> f64 {
    n as f64 / to.duration_since(from).as_secs_f64()
}

fn worker_node(provider: &Provider) -> NodeConfig {
    NodeConfig {
        roles: "api,worker",
        sms_url: Some(provider.url.clone()),
        nats: None,
    }
}

async fn started(db: &Database, config: &NodeConfig) -> anyhow::Result<Node> {
    let mut n = Node::start(&db.url, config)?;
    n.ready().await?;
    Ok(n)
}

/// A migrated database and a ready node with one seeded tenant.
async fn seeded(config: &NodeConfig, name: &str) -> anyhow::Result<(Database, Node, Tenant)> {
    let db = Database::fresh().await;
    node::migrate(&db.url).await?;
    let n = started(&db, config).await?;
    let tenant = node::seed_tenant(&db.url, &n.base, name).await?;
    Ok((db, n, tenant))
}

fn check_once(provider: &Provider, what: &str) {
    let again = provider.resends();
    if again > 0 {
        eprintln!("  note: {what}: the provider got {again} resends (same tracking number twice)");
    }
}

/// graphile-worker: one runner at concurrency 10; the clock runs from the adder's first
/// `add_jobs` call (connected) to the last job's POST at the provider.
pub async fn peer(cx: &Ctx) -> anyhow::Result<Figures> {
    let n = cx.sizes.events;
    let db = Database::fresh().await;
    let provider = Provider::start().await?;
    let node_js = |mode: &str| {
        let mut c = Command::new("node");
        c.arg("peer.mjs")
            .arg(mode)
            .current_dir(&cx.graphile_dir)
            .env("DATABASE_URL", &db.url)
            .env("PROVIDER_URL", &provider.url)
            .env("JOBS", n.to_string())
            .env("BATCH", cx.sizes.batch.to_string())
            .env("CLIENTS", cx.sizes.clients.to_string())
            .env("RUN", cx.run.to_string())
            .stdin(Stdio::null())
            .stderr(Stdio::inherit());
        c
    };
    let mut worker_cmd = node_js("worker");
    worker_cmd.stdout(Stdio::piped());
    let mut worker = node::spawn(worker_cmd)?;
    let mut lines = BufReader::new(worker.stdout.take().expect("piped")).lines();
    loop {
        match lines.next_line().await? {
            Some(l) if l.trim() == "ready" => break,
            Some(_) => {}
            None => anyhow::bail!("the graphile-worker runner ended before it was ready"),
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let mut add_cmd = node_js("add");
    add_cmd.stdout(Stdio::piped());
    let mut add = node::spawn(add_cmd)?;
    let mut said = BufReader::new(add.stdout.take().expect("piped")).lines();
    let mut clock = None;
    while let Some(line) = said.next_line().await? {
        match line.trim() {
            "start" => clock = Some(Instant::now()),
            "added" => break,
            _ => {}
        }
    }
    let added_at = Instant::now();
    let status = add.wait().await?;
    anyhow::ensure!(status.success(), "adding the graphile-worker jobs failed ({status})");
    let clock = clock.ok_or_else(|| anyhow::anyhow!("the graphile-worker adder never started"))?;
    let last = provider.wait_for(n, WAIT).await?;
    check_once(&provider, "graphile-worker");
    let _ = worker.kill().await;
    db.drop_now().await;
    Ok(vec![
        ("peer", rate(n, clock, last)),
        ("peer_add", rate(n, clock, added_at)),
    ])
}

/// End to end over HTTP: 4 clients post batches of 500 to one api+worker node; the clock runs
/// from the first POST to the last SMS at the provider.
pub async fn http(cx: &Ctx) -> anyhow::Result<Figures> {
    let s = &cx.sizes;
    let provider = Provider::start().await?;
    let (db, n, tenant) = seeded(&worker_node(&provider), "Bench HTTP").await?;
    let bodies = traffic::bodies(&format!("H{}", cx.run), s.events, s.batch);
    let clock = Instant::now();
    let posted = traffic::post_all(&n.base, &tenant.key, bodies, s.clients).await?;
    let last = provider.wait_for(s.events, WAIT).await?;
    check_once(&provider, "HTTP end to end");
    n.stop().await;
    db.drop_now().await;
    Ok(vec![
        ("http", rate(s.events, clock, last)),
        ("http_ingest", rate(s.events, clock, posted)),
    ])
}

/// End to end over NATS with `nodes` api+worker nodes sharing the stream's consumer: the clock
/// runs from the first publication (the nodes already consuming) to the last SMS.
pub async fn nats(cx: &Ctx, nodes: usize) -> anyhow::Result<Figures> {
    let s = &cx.sizes;
    let provider = Provider::start().await?;
    let bus = Bus::new(&cx.nats_url).await?;
    let config = NodeConfig {
        nats: Some(bus.node_settings()),
        ..worker_node(&provider)
    };
    let (db, first, tenant) = seeded(&config, "Bench NATS").await?;
    let mut running = vec![first];
    for _ in 1..nodes {
        running.push(started(&db, &config).await?);
    }
    let clock = Instant::now();
    bus.publish(tenant.id, &format!("N{nodes}R{}", cx.run), s.events, s.per_message)
        .await?;
    let published = Instant::now();
    let last = provider.wait_for(s.events, WAIT).await?;
    check_once(&provider, "NATS end to end");
    for n in running {
        n.stop().await;
    }
    bus.delete().await;
    db.drop_now().await;
    let (key, publish_key) = if nodes == 1 {
        ("nats1", "nats1_publish")
    } else {
        ("nats2", "nats2_publish")
    };
    Ok(vec![
        (key, rate(s.events, clock, last)),
        (publish_key, rate(s.events, clock, published)),
    ])
}

/// Ingest alone: a node with only the api role (it sends nothing); the clock runs from the
/// first POST to the last 202.
pub async fn ingest(cx: &Ctx) -> anyhow::Result<Figures> {
    let s = &cx.sizes;
    let config = NodeConfig {
        roles: "api",
        ..NodeConfig::default()
    };
    let (db, n, tenant) = seeded(&config, "Bench ingest").await?;
    let prefix = format!("I{}", cx.run);
    let bodies = traffic::bodies(&prefix, s.events, s.batch);
    let clock = Instant::now();
    let done = traffic::post_all(&n.base, &tenant.key, bodies, s.clients).await?;
    let new = rate(s.events, clock, done);
    // Most of a carrier's events are about shipments it sent before: the same shipments again,
    // each with a later event that changes its state and fires no rule.
    let later = |t: &str, i| traffic::event_coded(t, i, "AVAILABLE_FOR_DELIVERY", "2026-11-26T08:00:00+01:00");
    let bodies = traffic::bodies_with(&prefix, s.events, s.batch, later);
    let clock = Instant::now();
    let done = traffic::post_all(&n.base, &tenant.key, bodies, s.clients).await?;
    let known = rate(s.events, clock, done);
    n.stop().await;
    db.drop_now().await;
    Ok(vec![("ingest", new), ("ingest_known", known)])
}

/// The `scheduler` example's reminder drain (it makes and drops its own database).
pub async fn reminders(cx: &Ctx) -> anyhow::Result<Figures> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name("scheduler");
    let mut command = Command::new(bin);
    command
        .args(["reminders", "postgres", &cx.sizes.reminders.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .stdout(Stdio::piped());
    let child = node::spawn(command)?;
    let out = child.wait_with_output().await?;
    let text = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(out.status.success(), "the scheduler example failed: {text}");
    // "postgres: 100000 reminders sent in 50.2 s = 1991 per second; ..."
    let per_second = text
        .lines()
        .find_map(|l| l.split(" = ").nth(1)?.split(" per second").next()?.parse::<f64>().ok())
        .ok_or_else(|| anyhow::anyhow!("no rate in the scheduler's output: {text}"))?;
    Ok(vec![("reminders", per_second)])
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// B's single events, one every 100 ms: when each was posted, and how long its POST took to be
/// answered (ms), the part of its latency spent storing it.
async fn singles(base: &str, b: &Tenant, prefix: &str, count: usize) -> anyhow::Result<Singles> {
    let http = reqwest::Client::new();
    let mut posted = Vec::new();
    let mut answered_ms = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for i in 0..count {
        tick.tick().await;
        let tracking = traffic::tracking(prefix, i);
        let at = traffic::post_one(&http, base, &b.key, &traffic::event(&tracking, i)).await?;
        answered_ms.push(at.elapsed().as_secs_f64() * 1000.0);
        posted.push((at, tracking));
    }
    Ok(Singles { posted, answered_ms })
}

struct Singles {
    posted: Vec<(Instant, String)>,
    answered_ms: Vec<f64>,
}

fn latencies_ms(provider: &Provider, posted: &[(Instant, String)]) -> Vec<f64> {
    posted
        .iter()
        .filter_map(|(at, t)| Some(provider.arrival(t)?.duration_since(*at).as_secs_f64() * 1000.0))
        .collect()
}

/// Fairness: B's idle latency, then A's backlog posted (4 clients, batches of 500) and, the
/// moment the last batch is answered, B's one event (clock: its POST → its SMS), then B's
/// singles while A drains.
pub async fn fairness(cx: &Ctx) -> anyhow::Result<Figures> {
    let s = &cx.sizes;
    let provider = Provider::start().await?;
    let (db, n, a) = seeded(&worker_node(&provider), "Bench A").await?;
    let b = node::seed_tenant(&db.url, &n.base, "Bench B").await?;
    let run = cx.run;
    let idle = singles(&n.base, &b, &format!("BI{run}"), s.fair_singles).await?;
    provider.wait_for(s.fair_singles, WAIT).await?;
    let idle_ms = latencies_ms(&provider, &idle.posted);
    let a_prefix = format!("A{run}");
    let bodies = traffic::bodies(&a_prefix, s.fair_backlog, s.batch);
    traffic::post_all(&n.base, &a.key, bodies, s.clients).await?;
    let http = reqwest::Client::new();
    let one = format!("BO{run}E0");
    let a_sent_before = provider.count_prefixed(&format!("{a_prefix}E"));
    let one_at = traffic::post_one(&http, &n.base, &b.key, &traffic::event(&one, 0)).await?;
    let busy = singles(&n.base, &b, &format!("BB{run}"), s.fair_singles).await?;
    let a_last = {
        let total = s.fair_backlog + 2 * s.fair_singles + 1;
        provider.wait_for(total, WAIT).await?
    };
    check_once(&provider, "fairness");
    let one_s = provider
        .arrival(&one)
        .expect("B's one message arrived")
        .duration_since(one_at)
        .as_secs_f64();
    // Only B's events posted while A still had messages to send count as "during the drain".
    let during: Vec<(Instant, String)> = busy.posted.iter().filter(|(at, _)| *at < a_last).cloned().collect();
    let busy_ms = latencies_ms(&provider, &during);
    let busy_answered: Vec<f64> = (busy.posted.iter().zip(&busy.answered_ms))
        .filter(|((at, _), _)| *at < a_last)
        .map(|(_, ms)| *ms)
        .collect();
    eprintln!(
        "  fairness: A's backlog when B posted: {} of {}, drained at {:.0}/s from then; B's singles during A's drain: {} of {}",
        s.fair_backlog - a_sent_before,
        s.fair_backlog,
        (s.fair_backlog - a_sent_before) as f64 / a_last.duration_since(one_at).as_secs_f64(),
        busy_ms.len(),
        s.fair_singles
    );
    eprintln!(
        "  fairness: B's POST answered in p50 {:.1} / p99 {:.1} ms idle, {:.1} / {:.1} ms busy (the rest of its latency: sending)",
        percentile(idle.answered_ms.clone(), 0.5),
        percentile(idle.answered_ms.clone(), 0.99),
        percentile(busy_answered.clone(), 0.5),
        percentile(busy_answered, 0.99),
    );
    n.stop().await;
    db.drop_now().await;
    let (idle99, busy99) = (percentile(idle_ms, 0.99), percentile(busy_ms, 0.99));
    Ok(vec![
        ("fair_one", one_s),
        ("fair_idle_p99", idle99),
        ("fair_busy_p99", busy99),
        ("fair_ratio", busy99 / idle99),
    ])
}

/// Latency at a steady rate: batches of 10 events, each POST on its own task so the rate
/// holds whatever the answers take; per event, from its POST's start to its SMS.
pub async fn latency(cx: &Ctx, per_second: usize) -> anyhow::Result<Figures> {
    let s = &cx.sizes;
    let provider = Provider::start().await?;
    let (db, n, tenant) = seeded(&worker_node(&provider), "Bench latency").await?;
    let http = reqwest::Client::new();
    let per_tick = 10;
    let total = per_second * s.latency_secs as usize;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(per_tick as f64 / per_second as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let prefix = format!("L{per_second}R{}", cx.run);
    let mut posts = Vec::new();
    for from in (0..total).step_by(per_tick) {
        tick.tick().await;
        let batch: Vec<_> = (from..from + per_tick)
            .map(|i| traffic::event(&traffic::tracking(&prefix, i), i))
            .collect();
        let (http, url, key) = (http.clone(), format!("{}/v1/events", n.base), tenant.key.clone());
        posts.push(tokio::spawn(async move {
            let at = Instant::now();
            let r = http.post(url).bearer_auth(key).json(&batch).send().await?;
            anyhow::ensure!(r.status().as_u16() == 202, "POST /v1/events answered {}", r.status());
            Ok((at, from))
        }));
    }
    let mut posted: Vec<(Instant, String)> = Vec::new();
    for p in posts {
        let (at, from) = p.await??;
        posted.extend((from..from + per_tick).map(|i| (at, traffic::tracking(&prefix, i))));
    }
    if let (Some((first, _)), Some((last, _))) = (posted.first(), posted.last()) {
        // A loaded machine may not hold the rate; say what it held.
        let span = last.duration_since(*first).as_secs_f64() + per_tick as f64 / per_second as f64;
        eprintln!(
            "  latency at {per_second}/s: posted at {:.0} events/s",
            total as f64 / span
        );
    }
    provider.wait_for(total, WAIT).await?;
    check_once(&provider, "latency");
    let ms = latencies_ms(&provider, &posted);
    match n.time_spent().await {
        Ok(spent) => eprintln!("  latency at {per_second}/s, means by the node's own metrics: {spent}"),
        Err(e) => eprintln!("  latency at {per_second}/s: the node's metrics could not be read: {e}"),
    }
    n.stop().await;
    db.drop_now().await;
    let keys = if per_second >= 1_000 {
        ["lat1000_p50", "lat1000_p95", "lat1000_p99"]
    } else {
        ["lat200_p50", "lat200_p95", "lat200_p99"]
    };
    Ok(vec![
        (keys[0], percentile(ms.clone(), 0.50)),
        (keys[1], percentile(ms.clone(), 0.95)),
        (keys[2], percentile(ms, 0.99)),
    ])
}

/// Memory: the backlog is published while no node runs, then one api node (it stores events
/// and their notifications, sends nothing) consumes it; VmRSS is sampled every 100 ms and
/// read when 10 %, 50 % and 100 % of the messages are acknowledged; VmHWM at the end.
pub async fn memory(cx: &Ctx) -> anyhow::Result<Figures> {
    let s = &cx.sizes;
    let bus = Bus::new(&cx.nats_url).await?;
    let seeding = NodeConfig {
        roles: "api",
        ..NodeConfig::default()
    };
    let (db, seed_node, tenant) = seeded(&seeding, "Bench memory").await?;
    seed_node.stop().await;
    let published_from = Instant::now();
    bus.publish(tenant.id, &format!("M{}", cx.run), s.memory, s.per_message)
        .await?;
    let messages = s.memory.div_ceil(s.per_message) as u64;
    eprintln!(
        "  memory: {} events in {messages} messages published in {:.1} s",
        s.memory,
        published_from.elapsed().as_secs_f64()
    );
    let config = NodeConfig {
        roles: "api",
        nats: Some(bus.node_settings()),
        ..NodeConfig::default()
    };
    let n = Node::start(&db.url, &config)?;
    let clock = n.started;
    let mut at = [0u64; 3];
    let marks = [0.10, 0.50, 1.0];
    let mut high = 0;
    let mut shown = 0;
    let deadline = Instant::now() + WAIT;
    let mut next_poll = Instant::now();
    loop {
        let (rss, _) = n
            .memory()
            .ok_or_else(|| anyhow::anyhow!("the node ended while consuming"))?;
        high = high.max(rss);
        if Instant::now() >= next_poll {
            next_poll = Instant::now() + Duration::from_millis(250);
            let left = bus.unconsumed(messages).await?;
            let done = (messages - left.min(messages)) as f64 / messages as f64;
            for (slot, mark) in at.iter_mut().zip(marks) {
                if *slot == 0 && done >= mark {
                    *slot = rss;
                }
            }
            // The curve, a point per tenth consumed, for judging its flatness by eye.
            let tenth = (done * 10.0).floor() as usize;
            if tenth > shown {
                shown = tenth;
                eprintln!(
                    "  memory: {:>3.0} % consumed after {:.0} s, VmRSS {:.1} MiB",
                    done * 100.0,
                    clock.elapsed().as_secs_f64(),
                    rss as f64 / 1024.0
                );
            }
            if left == 0 {
                break;
            }
        }
        anyhow::ensure!(Instant::now() < deadline, "the backlog was not consumed in {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let consumed_s = clock.elapsed().as_secs_f64();
    let (_, hwm) = n.memory().unwrap_or((0, high));
    n.stop().await;
    bus.delete().await;
    db.drop_now().await;
    let mib = |kb: u64| kb as f64 / 1024.0;
    Ok(vec![
        ("mem_peak", mib(hwm)),
        ("mem_10", mib(at[0])),
        ("mem_50", mib(at[1])),
        ("mem_100", mib(at[2])),
        ("mem_rate", s.memory as f64 / consumed_s),
    ])
}

/// Restart: an api node stores the backlog (nothing sent) and is killed; an api+worker node is
/// started; the clock runs from its spawn to the first SMS at the provider.
pub async fn restart(cx: &Ctx) -> anyhow::Result<Figures> {
    let s = &cx.sizes;
    let provider = Provider::start().await?;
    let api = NodeConfig {
        roles: "api",
        ..NodeConfig::default()
    };
    let (db, filler, tenant) = seeded(&api, "Bench restart").await?;
    let bodies = traffic::bodies(&format!("S{}", cx.run), s.restart, s.batch);
    traffic::post_all(&filler.base, &tenant.key, bodies, s.clients).await?;
    filler.stop().await;
    let n = Node::start(&db.url, &worker_node(&provider))?;
    let spawned = n.started;
    let deadline = Instant::now() + Duration::from_secs(120);
    let first = loop {
        if let Some(first) = provider.first_arrival() {
            break first;
        }
        anyhow::ensure!(Instant::now() < deadline, "no SMS two minutes after the node started");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    n.stop().await;
    db.drop_now().await;
    Ok(vec![("restart", first.duration_since(spawned).as_secs_f64())])
}
