//! The SMS provider every part sends to: a local HTTP server on port 0 that records when each
//! message first arrived, keyed by the tracking number (the last word of the text).

use axum::Json;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Seen {
    first: HashMap<String, Instant>,
    /// Requests for a tracking number that had already arrived (a resend).
    again: usize,
}

#[derive(Clone)]
pub struct Provider {
    pub url: String,
    seen: Arc<Mutex<Seen>>,
}

impl Provider {
    pub async fn start() -> anyhow::Result<Provider> {
        let seen: Arc<Mutex<Seen>> = Arc::default();
        let record = seen.clone();
        let router = axum::Router::new().route(
            "/send",
            axum::routing::post(move |Json(body): Json<Value>| {
                let record = record.clone();
                async move {
                    let now = Instant::now();
                    let text = body["text"].as_str().unwrap_or("");
                    let tracking = text.split_whitespace().last().unwrap_or("").to_string();
                    let mut seen = record.lock().unwrap();
                    match seen.first.entry(tracking) {
                        std::collections::hash_map::Entry::Occupied(_) => seen.again += 1,
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(now);
                        }
                    }
                    Json(json!({"id": "bench"}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/send", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(Provider { url, seen })
    }

    pub fn count(&self) -> usize {
        self.seen.lock().unwrap().first.len()
    }

    /// How many tracking numbers starting with `prefix` have arrived.
    pub fn count_prefixed(&self, prefix: &str) -> usize {
        let seen = self.seen.lock().unwrap();
        seen.first.keys().filter(|k| k.starts_with(prefix)).count()
    }

    pub fn resends(&self) -> usize {
        self.seen.lock().unwrap().again
    }

    pub fn arrival(&self, tracking: &str) -> Option<Instant> {
        self.seen.lock().unwrap().first.get(tracking).copied()
    }

    pub fn first_arrival(&self) -> Option<Instant> {
        self.seen.lock().unwrap().first.values().min().copied()
    }

    /// Waits until `n` distinct messages arrived (or `limit` passed) and returns the instant
    /// the last of them arrived.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> anyhow::Result<Instant> {
        let deadline = Instant::now() + limit;
        loop {
            {
                let seen = self.seen.lock().unwrap();
                if seen.first.len() >= n {
                    return Ok(*seen.first.values().max().expect("at least one arrival"));
                }
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "only {} of {n} messages reached the provider within {limit:?}",
                    self.count()
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
