//! The processes a part runs: Avisera nodes (the release binary, configured by environment as
//! a container would be), seeded through the CLI and the API, and the peer's node.js
//! processes. Every child is killed when dropped, and its pid is appended to
//! `BENCH_SCALE_PIDS` so the script's trap can end it if this process dies first.

use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub const LINK_SECRET: &str = "bench-scale-link-secret-0123456789abcdef";

/// The avisera binary beside this example's folder (target/release/avisera), or
/// `BENCH_AVISERA`.
pub fn avisera_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("BENCH_AVISERA") {
        return bin.into();
    }
    let me = std::env::current_exe().expect("own path");
    me.parent()
        .and_then(|examples| examples.parent())
        .expect("target/<profile>")
        .join("avisera")
}

/// Appends a line to the file the environment variable names (the script's cleanup list).
fn note(variable: &str, line: &str) {
    if let Ok(file) = std::env::var(variable)
        && let Ok(mut f) = std::fs::OpenOptions::new().append(true).create(true).open(file)
    {
        let _ = writeln!(f, "{line}");
    }
}

fn remember(pid: Option<u32>) {
    if let Some(pid) = pid {
        note("BENCH_SCALE_PIDS", &pid.to_string());
    }
}

/// Starts a child that is SIGKILLed when dropped.
pub fn spawn(mut command: Command) -> anyhow::Result<Child> {
    command.kill_on_drop(true);
    let child = command.spawn()?;
    remember(child.id());
    Ok(child)
}

/// A free port on 127.0.0.1 (bound, then let go for the node to take).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One fresh database, dropped when the part is over.
pub struct Database {
    pub url: String,
}

impl Database {
    /// A new database; its name goes to `BENCH_SCALE_DBS` so the script drops it even when
    /// this process dies before `drop_now`.
    pub async fn fresh() -> Database {
        let url = avisera_store_postgres::testing::fresh_postgres_url().await;
        if let Some(name) = url.rsplit('/').next().and_then(|n| n.split('?').next()) {
            note("BENCH_SCALE_DBS", name);
        }
        Database { url }
    }

    pub async fn drop_now(self) {
        drop_database(&self.url).await;
    }
}

/// Drops a database made by `fresh_postgres_url` (its connections are ended first).
pub async fn drop_database(url: &str) {
    use sqlx::Connection;
    let Some((server, rest)) = url.rsplit_once('/') else {
        return;
    };
    let name = rest.split('?').next().unwrap_or(rest);
    if !name.starts_with("avisera_test_") {
        return;
    }
    if let Ok(mut admin) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await {
        let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await;
        let _ = admin.close().await;
    }
}

/// What a node is configured with, beyond the database.
#[derive(Clone, Default)]
pub struct NodeConfig {
    pub roles: &'static str,
    pub sms_url: Option<String>,
    /// (url, stream, subject prefix)
    pub nats: Option<(String, String, String)>,
}

pub struct Node {
    pub child: Child,
    pub base: String,
    pub pid: u32,
    pub started: Instant,
}

impl Node {
    /// Starts `avisera serve`; it is ready when `/readyz` answers (see `ready`).
    pub fn start(database_url: &str, config: &NodeConfig) -> anyhow::Result<Node> {
        let port = free_port()?;
        let mut command = Command::new(avisera_bin());
        command
            .arg("serve")
            .env_remove("AVISERA_CONFIG")
            .env("AVISERA_DATABASE_URL", database_url)
            .env("AVISERA_LISTEN", format!("127.0.0.1:{port}"))
            .env("AVISERA_PUBLIC_URL", "http://127.0.0.1")
            .env("AVISERA_LINK_SECRET", LINK_SECRET)
            .env("AVISERA_ROLES", config.roles)
            .env(
                "AVISERA_LOG",
                std::env::var("AVISERA_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = &config.sms_url {
            command.env("AVISERA_SMS__URL", url);
        }
        if let Some((url, stream, prefix)) = &config.nats {
            command
                .env("AVISERA_NATS__URL", url)
                .env("AVISERA_NATS__STREAM", stream)
                .env("AVISERA_NATS__SUBJECT_PREFIX", prefix);
        }
        let started = Instant::now();
        let child = spawn(command)?;
        let pid = child.id().ok_or_else(|| anyhow::anyhow!("the node ended at once"))?;
        Ok(Node {
            child,
            base: format!("http://127.0.0.1:{port}"),
            pid,
            started,
        })
    }

    pub async fn ready(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("avisera serve ended at start ({status}); its log is above");
            }
            if let Ok(r) = http.get(format!("{}/readyz", self.base)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            anyhow::ensure!(Instant::now() < deadline, "avisera serve not ready after 60 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Where the node itself says the time went, from its own histograms on `/metrics`: the
    /// mean time of an ingest batch's store transaction, of a provider call, and from a
    /// notification's creation (with its event) to the provider's answer.
    pub async fn time_spent(&self) -> anyhow::Result<String> {
        let text = reqwest::get(format!("{}/metrics", self.base)).await?.text().await?;
        // Sum and count over every label set of one histogram.
        let mean_ms = |name: &str| {
            let total = |suffix: &str| -> f64 {
                text.lines()
                    .filter(|l| l.starts_with(&format!("{name}_{suffix}")))
                    .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                    .sum()
            };
            let (sum, count) = (total("sum"), total("count"));
            if count > 0.0 {
                format!("{:.1} ms (of {count})", sum / count * 1000.0)
            } else {
                "none".into()
            }
        };
        Ok(format!(
            "ingest batch in the store {}, provider call {}, notification made → provider answered {}",
            mean_ms("avisera_ingest_batch_seconds"),
            mean_ms("avisera_provider_call_seconds"),
            mean_ms("avisera_delivery_latency_seconds"),
        ))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// VmRSS and VmHWM in KiB.
    pub fn memory(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}

/// Runs the avisera CLI against the database and returns what it printed.
async fn cli(database_url: &str, args: &[&str]) -> anyhow::Result<String> {
    let mut command = Command::new(avisera_bin());
    command
        .args(args)
        .env_remove("AVISERA_CONFIG")
        .env("AVISERA_DATABASE_URL", database_url)
        .env("AVISERA_LINK_SECRET", LINK_SECRET)
        .env("AVISERA_LOG", "warn")
        .stdin(Stdio::null());
    let out = command.output().await?;
    anyhow::ensure!(
        out.status.success(),
        "avisera {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub async fn migrate(database_url: &str) -> anyhow::Result<()> {
    cli(database_url, &["migrate"]).await.map(|_| ())
}

/// A tenant as an operator makes one: its id and API key.
pub struct Tenant {
    pub id: i64,
    pub key: String,
}

/// `avisera tenant create`, then over the API (on a running node at `base`): an SMS
/// template that ends with the tracking number and an enabled rule on "delivered".
pub async fn seed_tenant(database_url: &str, base: &str, name: &str) -> anyhow::Result<Tenant> {
    let out = cli(database_url, &["tenant", "create", "--name", name, "--plan", "plus"]).await?;
    let key = out
        .lines()
        .find_map(|l| l.strip_prefix("API key (shown once): "))
        .ok_or_else(|| anyhow::anyhow!("no API key in: {out}"))?
        .to_string();
    let id = out
        .split_whitespace()
        .nth(1)
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no tenant id in: {out}"))?;
    let http = reqwest::Client::new();
    let call = |path: &str, body: Value| http.post(format!("{base}{path}")).bearer_auth(&key).json(&body).send();
    let template: Value = call(
        "/v1/templates",
        json!({"name": "levererat", "channel": "sms", "default_language": "sv",
               "contents": {"sv": {"text": "Hej {{ receiver_name }}, levererat: {{ tracking_number }}"}}}),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    let rule: Value = call(
        "/v1/rules",
        json!({"name": "levererat", "trigger": "delivered", "channels": "sms", "sms_template_id": template["id"]}),
    )
    .await?
    .error_for_status()?
    .json()
    .await?;
    http.post(format!("{base}/v1/rules/{}/enable", rule["id"]))
        .bearer_auth(&key)
        .send()
        .await?
        .error_for_status()?;
    Ok(Tenant { id, key })
}
