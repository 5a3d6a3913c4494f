//! Where the bus is and how to read it.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `nats://host:port` (or several, comma-separated).
    pub url: String,
    /// The JetStream stream that keeps the events and the rejected messages.
    pub stream: String,
    /// The subjects' first token: events on `<prefix>.events.<tenant>`, rejected messages on
    /// `<prefix>.rejected.<tenant>`.
    pub prefix: String,
    /// The durable pull consumer all nodes share.
    pub consumer: String,
    /// Messages taken at once and stored together.
    pub batch: usize,
    /// How long a message handed to a node may stay unacknowledged before the bus gives it to
    /// another node (a node that died).
    pub ack_wait: Duration,
    /// Messages handed out and not yet acknowledged, over all nodes: bounds what a node holds
    /// in memory, whatever the backlog.
    pub max_in_flight: usize,
    /// How long a message the sink could not store now waits before it is delivered again.
    pub retry_after: Duration,
}

impl Settings {
    /// The defaults for the bus at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Settings {
            url: url.into(),
            stream: "AVISERA".into(),
            prefix: "avisera".into(),
            consumer: "avisera-ingest".into(),
            batch: 500,
            ack_wait: Duration::from_secs(30),
            max_in_flight: 4_000,
            retry_after: Duration::from_secs(2),
        }
    }
}
