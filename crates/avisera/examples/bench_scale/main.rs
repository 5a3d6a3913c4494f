//! Issue 14's table in one go (run through `scripts/bench-scale`, which builds, starts
//! nats-server if none answers, installs the graphile-worker peer and cleans up): the peer,
//! Avisera end to end over HTTP and over NATS with 1 and 2 nodes, ingest alone, the reminder
//! drain, two-tenant fairness, latency at a steady rate, memory under a NATS backlog and the
//! first send after a restart. Each part runs on a fresh PostgreSQL database with the release
//! binary as separate node processes and an SMS provider played by a local HTTP server.
//!
//! bench_scale [--runs N] [--quick] [--only part,part] [--nats URL] [--graphile DIR]
//! Traffic goes only to 127.0.0.1.

mod node;
mod parts;
mod provider;
mod traffic;

use parts::{Ctx, Figures, Sizes};
use std::collections::BTreeMap;

const PARTS: [&str; 10] = [
    "peer",
    "http",
    "nats1",
    "nats2",
    "ingest",
    "reminders",
    "fairness",
    "latency",
    "memory",
    "restart",
];

struct Args {
    runs: usize,
    quick: bool,
    only: Vec<String>,
    nats: String,
    graphile: String,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        runs: 3,
        quick: false,
        only: PARTS.iter().map(|p| p.to_string()).collect(),
        nats: "nats://127.0.0.1:4222".into(),
        graphile: "bench/graphile".into(),
    };
    let mut raw = std::env::args().skip(1);
    while let Some(flag) = raw.next() {
        let mut value = || raw.next().ok_or_else(|| anyhow::anyhow!("{flag} needs a value"));
        match flag.as_str() {
            "--runs" => a.runs = value()?.parse()?,
            "--quick" => a.quick = true,
            "--only" => {
                a.only = value()?.split(',').map(str::to_string).collect();
                if let Some(unknown) = a.only.iter().find(|p| !PARTS.contains(&p.as_str())) {
                    anyhow::bail!("unknown part {unknown}; the parts are {}", PARTS.join(","));
                }
            }
            "--nats" => a.nats = value()?,
            "--graphile" => a.graphile = value()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    anyhow::ensure!(a.runs > 0, "--runs must be at least 1");
    Ok(a)
}

/// A row of the table: its key in the parts' figures, what it says, how to print a value, the
/// issue's target, and whether the peer's figure stands beside it.
struct Row {
    key: &'static str,
    what: &'static str,
    unit: &'static str,
    target: &'static str,
    beside_peer: bool,
}

const ROWS: [Row; 27] = [
    row(
        "http",
        "end to end over HTTP, 1 node: events posted by 4 clients (batches of 500) → every SMS at the provider",
        "events/s",
        "≥ 20,000",
        true,
    ),
    row(
        "http_ingest",
        "(the same run: first POST → last 202)",
        "events/s",
        "",
        false,
    ),
    row(
        "peer",
        "graphile-worker 0.16 peer: jobs added (add_jobs, 4 connections) → every job's POST at the provider",
        "jobs/s",
        "Avisera ≥ 10×",
        false,
    ),
    row("peer_add", "(the same run: jobs added)", "jobs/s", "", false),
    row(
        "nats1",
        "end to end over NATS, 1 node: first publication → every SMS at the provider",
        "events/s",
        "≥ 20,000",
        true,
    ),
    row("nats1_publish", "(the same run: publishing)", "events/s", "", false),
    row("nats2", "end to end over NATS, 2 nodes", "events/s", "≥ 20,000", true),
    row("nats2_publish", "(the same run: publishing)", "events/s", "", false),
    row(
        "ingest",
        "ingest alone, POST /v1/events, batches of 500, 4 clients, api-only node (first POST → last 202)",
        "events/s",
        "≥ 30,000",
        false,
    ),
    row(
        "ingest_known",
        "(the same run: a later event of each of those shipments, which fires no rule)",
        "events/s",
        "",
        false,
    ),
    row(
        "reminders",
        "due reminders drained (the scheduler example)",
        "/s",
        "≥ 20,000/s",
        false,
    ),
    row(
        "fair_one",
        "tenant B's one message while A's backlog drains (B's POST → B's SMS)",
        "s",
        "≤ 2 s",
        false,
    ),
    row(
        "fair_idle_p99",
        "B's p99, B alone (single events every 100 ms)",
        "ms",
        "",
        false,
    ),
    row("fair_busy_p99", "B's p99 during A's drain", "ms", "", false),
    row("fair_ratio", "B's p99 during A's drain ÷ idle", "×", "≤ 1.5×", false),
    row(
        "lat1000_p50",
        "event POST → provider request at 1,000 events/s, p50",
        "ms",
        "",
        false,
    ),
    row("lat1000_p95", "… p95", "ms", "", false),
    row("lat1000_p99", "… p99", "ms", "≤ 10 ms", false),
    row(
        "lat200_p50",
        "event POST → provider request at 200 events/s, p50",
        "ms",
        "",
        false,
    ),
    row("lat200_p95", "… p95", "ms", "", false),
    row("lat200_p99", "… p99", "ms", "", false),
    row(
        "mem_peak",
        "peak RSS (VmHWM) of an api node consuming the NATS backlog",
        "MiB",
        "flat",
        false,
    ),
    row(
        "mem_10",
        "RSS at 10 % / 50 % / 100 % of the backlog consumed: 10 %",
        "MiB",
        "",
        false,
    ),
    row("mem_50", "… 50 %", "MiB", "", false),
    row("mem_100", "… 100 %", "MiB", "", false),
    row(
        "mem_rate",
        "(the same run: backlog consumed, node start → last ack)",
        "events/s",
        "",
        false,
    ),
    row(
        "restart",
        "restart with a backlog in the outbox: node spawned → first SMS at the provider",
        "s",
        "≤ 2 s",
        false,
    ),
];

const fn row(
    key: &'static str,
    what: &'static str,
    unit: &'static str,
    target: &'static str,
    beside_peer: bool,
) -> Row {
    Row {
        key,
        what,
        unit,
        target,
        beside_peer,
    }
}

/// The middle run, or the mean of the two middle ones for an even number of runs.
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

fn show(x: f64, unit: &str) -> String {
    if x.is_nan() {
        return "–".into();
    }
    let digits = match unit {
        "s" | "×" => 2,
        "ms" | "MiB" => 1,
        _ => 0,
    };
    if digits == 0 {
        let n = x.round() as i64;
        let s = n.abs().to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        if n < 0 { format!("-{out}") } else { out }
    } else {
        format!("{x:.digits$}")
    }
}

async fn one(part: &str, cx: &Ctx) -> anyhow::Result<Figures> {
    match part {
        "peer" => parts::peer(cx).await,
        "http" => parts::http(cx).await,
        "nats1" => parts::nats(cx, 1).await,
        "nats2" => parts::nats(cx, 2).await,
        "ingest" => parts::ingest(cx).await,
        "reminders" => parts::reminders(cx).await,
        "fairness" => parts::fairness(cx).await,
        "latency" => {
            let mut f = parts::latency(cx, 1_000).await?;
            f.extend(parts::latency(cx, 200).await?);
            Ok(f)
        }
        "memory" => parts::memory(cx).await,
        "restart" => parts::restart(cx).await,
        _ => unreachable!("checked in args"),
    }
}

fn sizes_line(s: &Sizes) -> String {
    format!(
        "{} events end to end and for ingest (batches of {}, {} clients), {} per NATS message; {} reminders; fairness: A's backlog {}, B's singles {}; latency {} s per rate; memory: {} events; restart: {} messages",
        s.events,
        s.batch,
        s.clients,
        s.per_message,
        s.reminders,
        s.fair_backlog,
        s.fair_singles,
        s.latency_secs,
        s.memory,
        s.restart
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let a = args()?;
    let sizes = if a.quick { Sizes::quick() } else { Sizes::full() };
    println!("sizes: {}", sizes_line(&sizes));
    let mut cx = Ctx {
        sizes,
        nats_url: a.nats.clone(),
        graphile_dir: a.graphile.clone(),
        run: 0,
    };
    let mut figures: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    // Stopped (Ctrl-C, or the script's trap with SIGTERM): the part in progress is dropped,
    // which kills its nodes, and its stream is deleted; the script drops its database.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let stopped = tokio::select! {
        done = run_all(&a, &mut cx, &mut figures) => done,
        _ = term.recv() => Err(anyhow::anyhow!("stopped by SIGTERM")),
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("stopped by Ctrl-C")),
    };
    if stopped.is_err() {
        traffic::delete_left_streams(&a.nats).await;
    }
    stopped?;
    print_table(&a, &cx.sizes, &figures);
    Ok(())
}

async fn run_all(a: &Args, cx: &mut Ctx, figures: &mut BTreeMap<&'static str, Vec<f64>>) -> anyhow::Result<()> {
    for run in 0..a.runs {
        for part in PARTS.iter().filter(|p| a.only.iter().any(|o| o == *p)) {
            cx.run = run;
            let started = std::time::Instant::now();
            let measured = one(part, cx)
                .await
                .map_err(|e| e.context(format!("part {part}, run {}", run + 1)))?;
            let line: Vec<String> = measured
                .iter()
                .map(|(k, v)| format!("{k} {}", show(*v, unit_of(k))))
                .collect();
            println!(
                "run {} {part} ({:.0} s): {}",
                run + 1,
                started.elapsed().as_secs_f64(),
                line.join(", ")
            );
            for (k, v) in measured {
                figures.entry(k).or_default().push(v);
            }
        }
    }
    Ok(())
}

fn unit_of(key: &str) -> &'static str {
    ROWS.iter().find(|r| r.key == key).map_or("", |r| r.unit)
}

fn print_table(a: &Args, sizes: &Sizes, figures: &BTreeMap<&'static str, Vec<f64>>) {
    println!();
    if let Ok(machine) = std::env::var("BENCH_MACHINE") {
        println!("**Machine**: {machine}");
    }
    println!(
        "**Command**: `scripts/bench-scale --runs {}{}{}` ({})",
        a.runs,
        if a.quick { " --quick" } else { "" },
        if a.only.len() < PARTS.len() {
            format!(" --only {}", a.only.join(","))
        } else {
            String::new()
        },
        sizes_line(sizes)
    );
    println!();
    println!(
        "| what | Avisera (median) | runs | graphile-worker (same runs) | ratio | spread (min–max) | issue's target |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let peer = figures.get("peer").map(|v| median(v));
    for r in ROWS.iter() {
        let Some(values) = figures.get(r.key) else { continue };
        let m = median(values);
        let runs: Vec<String> = values.iter().map(|v| show(*v, r.unit)).collect();
        let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
        let (peer_cell, ratio) = match (r.beside_peer, peer) {
            (true, Some(p)) => (format!("{} jobs/s", show(p, "jobs/s")), format!("{:.1}×", m / p)),
            _ => (String::new(), String::new()),
        };
        println!(
            "| {} | **{} {}** | {} | {} | {} | {}–{} | {} |",
            r.what,
            show(m, r.unit),
            r.unit,
            runs.join(" · "),
            peer_cell,
            ratio,
            show(lo, r.unit),
            show(hi, r.unit),
            r.target
        );
    }
}
