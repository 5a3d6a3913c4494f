//! Avisera's NATS JetStream door. A carrier publishes its tracking events to
//! `<prefix>.events.<tenant id>`, as the JSON `POST /v1/events` takes; every node consumes
//! them from one durable pull consumer (so each message reaches one node), hands a batch of
//! messages to a [`Sink`] that stores them in one go, and acknowledges a message only after
//! the sink said its events are stored. A message that cannot be taken goes, with the reason,
//! to `<prefix>.rejected.<tenant id>` (kept by the same stream) and is acknowledged: never
//! redelivered forever, never dropped without a trace.
//!
//! This crate knows JetStream and nothing of events: what a message means is the sink's.
#![forbid(unsafe_code)]

mod consume;
mod rejection;
mod settings;
mod subject;

pub use consume::{Consumer, open};
pub use rejection::Rejection;
pub use settings::Settings;
pub use subject::Subjects;

use async_trait::async_trait;

/// One message from the bus: the tenant named by its subject, and its body.
#[derive(Debug, Clone, Copy)]
pub struct Inbound<'a> {
    /// The subject's last token, as published: the sink decides whether it names a tenant.
    pub tenant: &'a str,
    pub payload: &'a [u8],
}

/// What the sink did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Its events are stored (or were already: duplicates); the listed ones were invalid and
    /// were not stored. Acknowledged; the invalid ones are published as rejected.
    Stored { rejected: Vec<RejectedEvent> },
    /// Nothing of it can ever be stored (it does not parse, its tenant does not exist):
    /// published as rejected with the reason, then acknowledged.
    Refused { reason: String },
    /// Not stored now, but it may be later (the database is unavailable): left to be delivered
    /// again after `retry_after`, to this node or another.
    Retry { reason: String },
}

/// One invalid event inside a message that was otherwise taken.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedEvent {
    /// Its place in the message's list (0 for a single event).
    pub index: usize,
    /// The field that is wrong; none when the whole event is.
    pub field: Option<String>,
    pub message: String,
}

/// Stores what arrives. Called with up to `Settings::batch` messages at once; returns one
/// verdict per message, in order. The sink should store every good message of the batch in
/// as few transactions as it can: that is where the door's speed comes from.
#[async_trait]
pub trait Sink: Send + Sync {
    async fn take(&self, batch: &[Inbound<'_>]) -> Vec<Verdict>;
}

/// What can stop the door: the bus cannot be reached, or the stream or consumer cannot be
/// made as configured.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("cannot set up the JetStream stream {stream}: {reason}")]
    Stream { stream: String, reason: String },
    #[error("cannot set up the JetStream consumer {consumer}: {reason}")]
    Consumer { consumer: String, reason: String },
    #[error("the JetStream consumer stopped: {0}")]
    Pull(String),
}
