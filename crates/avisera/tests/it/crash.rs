//! A node killed with SIGKILL while it delivers, then restarted: every notification is sent,
//! and no message reaches a receiver twice (the provider counts by idempotency key).

use crate::helpers::*;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start(config: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_avisera"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env("AVISERA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start avisera serve")
}

pub async fn wait_ready(http: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "avisera serve did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn killed_while_delivering_then_restarted_sends_everything_exactly_once() {
    init();
    const N: usize = 20;
    let provider = spawn_sms_provider(Duration::from_millis(400)).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let dir = std::env::temp_dir().join(format!("avisera-crash-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("avisera.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\nlisten = \"127.0.0.1:{port}\"\nlink_secret = \"crash-test-secret-of-at-least-32-characters\"\n[delivery]\nlease_ms = 1500\npoll_ms = 50\nbatch = 8\n[delivery.retry]\ndelays_ms = [200, 400, 800]\n[sms]\nurl = \"{}\"\n",
            database_url(Db::Postgres).await,
            provider.url
        ),
    )
    .unwrap();

    // The operator creates the schema, then the tenant, from the command line.
    let out = Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args(["--config", config.to_str().unwrap(), "migrate"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_avisera"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "tenant",
            "create",
            "--name",
            "Crash AB",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let key = stdout
        .split("API key (shown once): ")
        .nth(1)
        .expect("key printed")
        .trim()
        .to_string();

    let mut node = start(&config);
    let http = reqwest::Client::new();
    wait_ready(&http, &base).await;
    let app = TestApp {
        base: base.clone(),
        key: key.clone(),
        app: dummy_app().await,
        http: http.clone(),
    };
    sms_rule(&app, "delivered", json!({})).await;
    let events: Vec<_> = (0..N)
        .map(|i| event(&format!("CRASH{i}"), "DELIVERED", &format!("+4670124{:04}", 1001 + i)))
        .collect();
    let (status, body) = app.call("POST", "/v1/events", Some(json!(events))).await;
    assert_eq!(status.as_u16(), 202, "{body}");

    // Kill the node the moment the provider has taken some messages but not all.
    let deadline = Instant::now() + Duration::from_secs(20);
    while provider.log.lock().unwrap().requests.is_empty() {
        assert!(Instant::now() < deadline, "the node never called the provider");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    node.kill().expect("SIGKILL");
    node.wait().unwrap();
    let before_restart = provider.log.lock().unwrap().delivered.len();
    assert!(
        before_restart < N,
        "the kill came too late to test anything ({before_restart} of {N} already delivered)"
    );

    let mut node = start(&config);
    wait_ready(&http, &base).await;
    let list = wait_settled(&http, &base, &key).await;
    node.kill().ok();
    node.wait().ok();

    assert_eq!(list.len(), N);
    assert!(list.iter().all(|n| n["status"] == "sent"), "{list:#?}");
    let log = provider.log.lock().unwrap();
    assert_eq!(log.delivered.len(), N, "every notification reached the provider");
    let mut keys: Vec<_> = list
        .iter()
        .map(|n| n["idempotency_key"].as_str().unwrap().to_string())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), N);
    for k in &keys {
        assert!(
            log.delivered.contains_key(k),
            "notification with key {k} was never delivered"
        );
    }
    assert!(
        log.requests.len() > N,
        "some messages were in flight at the kill and were sent again with the same key"
    );
}

/// The crash test talks to a separate process; the in-process handle is unused.
pub async fn dummy_app() -> avisera::app::App {
    let config = avisera::config::Config {
        database_url: "sqlite::memory:".into(),
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    avisera::server::build_app(config, store)
}
