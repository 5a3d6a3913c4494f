//! Events from NATS JetStream, as a carrier publishes them: two nodes share one stream, one is
//! killed with SIGKILL while it takes a burst, and still every event is stored once and every
//! receiver gets one SMS; what cannot be read goes to the rejected subject with its reason.

use crate::crash::wait_ready;
use crate::helpers::*;
use async_nats::jetstream;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The local nats-server (with JetStream), or `AVISERA_TEST_NATS_URL`.
fn nats_url() -> String {
    std::env::var("AVISERA_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A stream and subjects of the test's own: the server is shared with other tests.
struct Bus {
    stream: String,
    prefix: String,
    js: jetstream::Context,
}

impl Bus {
    async fn new() -> Bus {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let url = nats_url();
        let client = async_nats::connect(url.as_str()).await.unwrap_or_else(|e| {
            panic!("tests need nats-server with JetStream at {url} (set AVISERA_TEST_NATS_URL): {e}")
        });
        Bus {
            stream: format!("AVISERA_TEST_{id}"),
            prefix: format!("avisera_test_{id}"),
            js: jetstream::new(client),
        }
    }

    fn config(&self) -> String {
        format!(
            "[nats]\nurl = \"{}\"\nstream = \"{}\"\nsubject_prefix = \"{}\"\nconsumer = \"ingest\"\nbatch = 50\nack_wait_ms = 2000\n",
            nats_url(),
            self.stream,
            self.prefix
        )
    }

    /// Publishes as a carrier does, with a message id for JetStream's own dedupe.
    async fn publish(&self, tenant: &str, id: &str, body: &[u8]) {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", id);
        self.js
            .publish_with_headers(
                format!("{}.events.{tenant}", self.prefix),
                headers,
                body.to_vec().into(),
            )
            .await
            .unwrap()
            .await
            .expect("the stream took the message");
    }

    /// Everything published to the rejected subjects so far.
    async fn rejected(&self, expect: usize) -> Vec<Value> {
        let stream = self.js.get_stream(&self.stream).await.unwrap();
        let consumer = stream
            .create_consumer(jetstream::consumer::pull::Config {
                filter_subject: format!("{}.rejected.>", self.prefix),
                ..Default::default()
            })
            .await
            .unwrap();
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while out.len() < expect && Instant::now() < deadline {
            let mut batch = consumer
                .fetch()
                .max_messages(100)
                .expires(Duration::from_millis(500))
                .messages()
                .await
                .unwrap();
            while let Some(Ok(m)) = batch.next().await {
                let mut v: Value = serde_json::from_slice(&m.payload).unwrap();
                v["rejected_subject"] = json!(m.subject.as_str());
                out.push(v);
                m.ack().await.unwrap();
            }
        }
        out
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let (js, stream) = (self.js.clone(), self.stream.clone());
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move { js.delete_stream(&stream).await })
        })
        .join()
        .ok();
    }
}

/// A node that is killed when the test ends, however it ends.
struct Node(Child);

impl Node {
    fn kill(&mut self) {
        self.0.kill().expect("SIGKILL");
        self.0.wait().expect("the node ended");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(config: &std::path::Path, port: u16) -> Node {
    Node(
        Command::new(env!("CARGO_BIN_EXE_avisera"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env("AVISERA_LOG", "warn")
            .env("AVISERA_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start avisera serve"),
    )
}

fn avisera(config: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_avisera"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn phone(i: usize) -> String {
    format!("+4670125{:04}", 1001 + i)
}

#[tokio::test]
async fn two_nodes_take_a_burst_from_nats_and_one_killed_loses_and_doubles_nothing() {
    init();
    const MESSAGES: usize = 60;
    const PER_MESSAGE: usize = 10;
    let bus = Bus::new().await;
    let provider = spawn_sms_provider(Duration::from_millis(2)).await;
    let dir = std::env::temp_dir().join(format!("avisera-nats-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("avisera.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\nlink_secret = \"nats-test-secret-of-at-least-32-characters\"\n[delivery]\nlease_ms = 1500\npoll_ms = 50\nbatch = 16\n[sms]\nurl = \"{}\"\n{}",
            database_url(Db::Postgres).await,
            provider.url,
            bus.config()
        ),
    )
    .unwrap();
    avisera(&config, &["migrate"]);
    let created = avisera(&config, &["tenant", "create", "--name", "Buss AB"]);
    let key = created
        .split("API key (shown once): ")
        .nth(1)
        .expect("key printed")
        .trim()
        .to_string();
    let tenant = created
        .split("tenant ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .expect("tenant id printed")
        .to_string();

    let (port_a, port_b) = (free_port(), free_port());
    let mut a = start(&config, port_a);
    let mut b = start(&config, port_b);
    let http = reqwest::Client::new();
    let base_a = format!("http://127.0.0.1:{port_a}");
    wait_ready(&http, &base_a).await;
    wait_ready(&http, &format!("http://127.0.0.1:{port_b}")).await;
    let app = TestApp {
        base: base_a.clone(),
        key: key.clone(),
        app: crate::crash::dummy_app().await,
        http: http.clone(),
    };
    sms_rule(&app, "delivered", json!({})).await;

    // The burst: MESSAGES messages of PER_MESSAGE events each, in the three shapes the API takes.
    for m in 0..MESSAGES {
        let events: Vec<Value> = (0..PER_MESSAGE)
            .map(|e| {
                let i = m * PER_MESSAGE + e;
                event(&format!("NATS{i}"), "DELIVERED", &phone(i))
            })
            .collect();
        let body = match m % 3 {
            0 => json!(events),
            1 => json!({ "events": events }),
            _ => json!(events),
        };
        bus.publish(&tenant, &format!("burst-{m}"), body.to_string().as_bytes())
            .await;
    }
    // Kill one node while the burst is being taken.
    let deadline = Instant::now() + Duration::from_secs(30);
    while provider.log.lock().unwrap().requests.is_empty() {
        assert!(Instant::now() < deadline, "no node took events from NATS");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    b.kill();

    // What cannot be taken, beside what can: not JSON, a tenant that does not exist, a subject
    // that is no tenant id, and one bad event between two good ones.
    bus.publish(&tenant, "garbage", b"{not json").await;
    bus.publish(
        "999999",
        "stranger",
        event("STRANGER", "DELIVERED", &phone(7000)).to_string().as_bytes(),
    )
    .await;
    bus.publish(
        "acme",
        "named",
        event("NAMED", "DELIVERED", &phone(7001)).to_string().as_bytes(),
    )
    .await;
    let mixed = json!([
        event("MIXED0", "DELIVERED", &phone(7002)),
        { "tracking_number": "MIXED1", "code": "DELIVERED", "occurred_at": "yesterday" },
        event("MIXED2", "DELIVERED", &phone(7003)),
    ]);
    bus.publish(&tenant, "mixed", mixed.to_string().as_bytes()).await;
    // A carrier that publishes part of the burst again under new message ids (JetStream's
    // dedupe cannot see it): Avisera's own dedupe must, and nobody is notified twice.
    for m in 0..5 {
        let events: Vec<Value> = (0..PER_MESSAGE)
            .map(|e| {
                let i = m * PER_MESSAGE + e;
                event(&format!("NATS{i}"), "DELIVERED", &phone(i))
            })
            .collect();
        bus.publish(&tenant, &format!("again-{m}"), json!(events).to_string().as_bytes())
            .await;
    }

    let expected = MESSAGES * PER_MESSAGE + 2;
    let deadline = Instant::now() + Duration::from_secs(60);
    let list = loop {
        let (_, body) = app.call("GET", "/v1/notifications?limit=1000", None).await;
        let list = body["notifications"].as_array().cloned().unwrap_or_default();
        if list.len() >= expected && list.iter().all(|n| n["status"] == "sent") {
            break list;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {expected} notifications, not all sent: {:#?}",
            list.len(),
            list.iter()
                .filter(|n| n["status"] != "sent")
                .take(3)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // Let a late redelivery show itself, if there were one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, body) = app.call("GET", "/v1/notifications?limit=1000", None).await;
    let after = body["notifications"].as_array().cloned().unwrap_or_default();
    a.kill();

    assert_eq!(list.len(), expected, "one notification per stored event");
    assert_eq!(after.len(), expected, "nothing more came later");
    let mut to: Vec<String> = {
        let log = provider.log.lock().unwrap();
        assert_eq!(log.delivered.len(), expected, "every receiver got one SMS");
        log.delivered
            .values()
            .map(|r| r["to"].as_str().unwrap().to_string())
            .collect()
    };
    to.sort();
    to.dedup();
    assert_eq!(to.len(), expected, "no receiver got two");
    assert!(to.contains(&phone(7002)) && to.contains(&phone(7003)));

    let rejected = bus.rejected(4).await;
    assert_eq!(rejected.len(), 4, "{rejected:#?}");
    let find = |needle: &str| {
        rejected
            .iter()
            .find(|r| r["payload"].as_str().is_some_and(|p| p.contains(needle)))
            .unwrap_or_else(|| panic!("no rejection for {needle}: {rejected:#?}"))
    };
    let garbage = find("{not json");
    assert!(garbage["reason"].as_str().unwrap().contains("line 1"), "{garbage}");
    assert_eq!(garbage["rejected_subject"], format!("{}.rejected.{tenant}", bus.prefix));
    let stranger = find("STRANGER");
    assert!(
        stranger["reason"]
            .as_str()
            .unwrap()
            .contains("tenant 999999 does not exist"),
        "{stranger}"
    );
    let named = find("NAMED");
    assert!(
        named["reason"]
            .as_str()
            .unwrap()
            .contains("\"acme\" is not a tenant id"),
        "{named}"
    );
    let mixed = find("MIXED1");
    assert!(mixed.get("reason").is_none(), "{mixed}");
    assert_eq!(
        mixed["events"],
        json!([{ "index": 1, "field": "occurred_at", "message": mixed["events"][0]["message"] }])
    );
}

/// The bus loses the shared consumer (an operator deleted it, a server lost its state): a
/// running node joins again (making it anew) and takes what is published next.
#[tokio::test]
async fn a_node_joins_again_when_the_bus_loses_its_consumer() {
    init();
    let bus = Bus::new().await;
    let provider = spawn_sms_provider(Duration::ZERO).await;
    let dir = std::env::temp_dir().join(format!("avisera-nats-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("avisera.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{}\"\nlink_secret = \"nats-test-secret-of-at-least-32-characters\"\n[delivery]\npoll_ms = 50\n[sms]\nurl = \"{}\"\n{}",
            database_url(Db::Postgres).await,
            provider.url,
            bus.config()
        ),
    )
    .unwrap();
    avisera(&config, &["migrate"]);
    let created = avisera(&config, &["tenant", "create", "--name", "Buss AB"]);
    let key = created
        .split("API key (shown once): ")
        .nth(1)
        .unwrap()
        .trim()
        .to_string();
    let tenant = created
        .split("tenant ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap()
        .to_string();
    let port = free_port();
    let _node = start(&config, port);
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&http, &base).await;
    let app = TestApp {
        base,
        key,
        app: crate::crash::dummy_app().await,
        http,
    };
    sms_rule(&app, "delivered", json!({})).await;
    let sent = |n: usize| {
        let provider = provider.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(40);
            while provider.log.lock().unwrap().delivered.len() < n {
                assert!(Instant::now() < deadline, "{n} SMS never reached the provider");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };

    bus.publish(
        &tenant,
        "before",
        event("BEFORE", "DELIVERED", &phone(1)).to_string().as_bytes(),
    )
    .await;
    sent(1).await;
    let stream = bus.js.get_stream(&bus.stream).await.unwrap();
    stream.delete_consumer("ingest").await.expect("delete the consumer");
    bus.publish(
        &tenant,
        "after",
        event("AFTER", "DELIVERED", &phone(2)).to_string().as_bytes(),
    )
    .await;
    sent(2).await;
    let to: Vec<String> = provider
        .log
        .lock()
        .unwrap()
        .delivered
        .values()
        .map(|r| r["to"].as_str().unwrap().to_string())
        .collect();
    assert!(to.contains(&phone(2)), "{to:?}");
}
