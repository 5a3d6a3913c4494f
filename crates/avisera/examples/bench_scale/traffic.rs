//! What the carriers send: DELIVERED events for new shipments, posted in batches by several
//! clients over HTTP, or published to the NATS stream.

use async_nats::jetstream;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One DELIVERED event of a new shipment; its tracking number comes back as the SMS's last word.
pub fn event(tracking: &str, i: usize) -> Value {
    event_coded(tracking, i, "DELIVERED", "2026-11-25T14:05:00+01:00")
}

/// One event with the carrier's `code`, at `occurred_at`.
pub fn event_coded(tracking: &str, i: usize, code: &str, occurred_at: &str) -> Value {
    json!({"tracking_number": tracking, "code": code, "occurred_at": occurred_at,
           "shipment": {"destination_country": "SE",
                        "receiver": {"name": "Anna", "phone": format!("+4670{:07}", 1_000_000 + i % 8_000_000)}}})
}

pub fn tracking(prefix: &str, i: usize) -> String {
    format!("{prefix}E{i}")
}

/// `count` events, `batch` to a JSON array.
pub fn bodies(prefix: &str, count: usize, batch: usize) -> Vec<String> {
    bodies_with(prefix, count, batch, event)
}

/// `count` events made by `event` (from a tracking number and an index), `batch` to a JSON array.
pub fn bodies_with(prefix: &str, count: usize, batch: usize, event: impl Fn(&str, usize) -> Value) -> Vec<String> {
    (0..count)
        .collect::<Vec<_>>()
        .chunks(batch)
        .map(|c| {
            serde_json::to_string(&c.iter().map(|i| event(&tracking(prefix, *i), *i)).collect::<Vec<_>>()).unwrap()
        })
        .collect()
}

/// Posts the bodies to `POST /v1/events` from `clients` connections at once; returns when the
/// last one was answered 202.
pub async fn post_all(base: &str, key: &str, bodies: Vec<String>, clients: usize) -> anyhow::Result<Instant> {
    let queue = Arc::new(Mutex::new(bodies));
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (queue, http, url, key) = (
            queue.clone(),
            http.clone(),
            format!("{base}/v1/events"),
            key.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(body) = queue.lock().unwrap().pop() else { break };
                let r = http
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await?;
                let status = r.status().as_u16();
                anyhow::ensure!(status == 202, "POST /v1/events answered {status}: {}", r.text().await?);
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(Instant::now())
}

/// Posts one event and returns when the POST started.
pub async fn post_one(http: &reqwest::Client, base: &str, key: &str, event: &Value) -> anyhow::Result<Instant> {
    let started = Instant::now();
    let r = http
        .post(format!("{base}/v1/events"))
        .bearer_auth(key)
        .json(event)
        .send()
        .await?;
    anyhow::ensure!(r.status().as_u16() == 202, "POST /v1/events answered {}", r.status());
    Ok(started)
}

/// The streams made and not yet deleted, for `delete_left_streams` when the run is stopped.
static LIVE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Deletes the streams of parts that were stopped midway (the server may be shared).
pub async fn delete_left_streams(url: &str) {
    let left: Vec<String> = LIVE.lock().unwrap().drain(..).collect();
    if left.is_empty() {
        return;
    }
    if let Ok(client) = async_nats::connect(url).await {
        let js = jetstream::new(client);
        for stream in left {
            match js.delete_stream(&stream).await {
                Ok(_) => eprintln!("deleted the stopped part's stream {stream}"),
                Err(e) => eprintln!("could not delete stream {stream}: {e}"),
            }
        }
    }
}

/// A stream and subjects of this part's own on the shared nats-server, deleted by `delete`
/// (or by `delete_left_streams` when the run is stopped).
pub struct Bus {
    pub url: String,
    pub stream: String,
    pub prefix: String,
    js: jetstream::Context,
}

impl Bus {
    /// Makes the stream as a node would (so events can wait in it before any node runs).
    pub async fn new(url: &str) -> anyhow::Result<Bus> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let client = async_nats::connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("nats-server with JetStream at {url}: {e}"))?;
        let bus = Bus {
            url: url.to_string(),
            stream: format!("AVISERA_BENCH_{id}"),
            prefix: format!("avisera_bench_{id}"),
            js: jetstream::new(client),
        };
        bus.js
            .get_or_create_stream(jetstream::stream::Config {
                name: bus.stream.clone(),
                subjects: vec![format!("{}.events.>", bus.prefix), format!("{}.rejected.>", bus.prefix)],
                retention: jetstream::stream::RetentionPolicy::WorkQueue,
                max_age: Duration::from_secs(7 * 24 * 3600),
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow::anyhow!("creating stream {}: {e}", bus.stream))?;
        LIVE.lock().unwrap().push(bus.stream.clone());
        Ok(bus)
    }

    pub fn node_settings(&self) -> (String, String, String) {
        (self.url.clone(), self.stream.clone(), self.prefix.clone())
    }

    /// Publishes `count` events for the tenant, `per_message` to a message, each message with
    /// its own `Nats-Msg-Id`, up to 1,000 publications awaiting JetStream's acknowledgement.
    pub async fn publish(&self, tenant: i64, prefix: &str, count: usize, per_message: usize) -> anyhow::Result<()> {
        let subject = format!("{}.events.{tenant}", self.prefix);
        let mut pending = Vec::with_capacity(1_000);
        for (m, chunk) in (0..count).collect::<Vec<_>>().chunks(per_message).enumerate() {
            let events: Vec<Value> = chunk.iter().map(|i| event(&tracking(prefix, *i), *i)).collect();
            let payload = if per_message == 1 {
                serde_json::to_vec(&events[0])?
            } else {
                serde_json::to_vec(&events)?
            };
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("{prefix}-{m}").as_str());
            pending.push(
                self.js
                    .publish_with_headers(subject.clone(), headers, payload.into())
                    .await?,
            );
            if pending.len() == 1_000 {
                for ack in pending.drain(..) {
                    ack.await?;
                }
            }
        }
        for ack in pending {
            ack.await?;
        }
        Ok(())
    }

    /// Messages of the events subjects not yet acknowledged by the nodes' consumer (all of
    /// them before a node made the consumer).
    pub async fn unconsumed(&self, published: u64) -> anyhow::Result<u64> {
        let stream = self.js.get_stream(&self.stream).await?;
        match stream.consumer_info("avisera-ingest").await {
            Ok(info) => Ok(info.num_pending + info.num_ack_pending as u64),
            Err(_) => Ok(published),
        }
    }

    pub async fn delete(self) {
        let _ = self.js.delete_stream(&self.stream).await;
        LIVE.lock().unwrap().retain(|s| *s != self.stream);
    }
}
