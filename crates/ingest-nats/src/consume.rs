//! Setting up the stream and the shared consumer, and the loop that takes batches: pull what is
//! ready (up to a batch), let the sink store it, then acknowledge, reject or retry each message.

use crate::rejection::Rejection;
use crate::{Error, Inbound, Settings, Sink, Subjects, Verdict};
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, PullConsumer, pull};
use async_nats::jetstream::message::Message;
use async_nats::jetstream::{self, AckKind, stream};
use futures_util::StreamExt;
use std::future::Future;
use std::time::Duration;

/// Unconsumed events and rejected messages older than this are dropped by the bus.
const KEEP_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// A node's handle on the shared consumer.
pub struct Consumer {
    js: jetstream::Context,
    consumer: PullConsumer,
    settings: Settings,
    subjects: Subjects,
}

/// Connects, and creates the stream and the durable consumer if they are missing (several
/// nodes may do this at once: the bus keeps one of each).
pub async fn open(settings: &Settings) -> Result<Consumer, Error> {
    let client = async_nats::ConnectOptions::new()
        .name("avisera")
        .connect(settings.url.as_str())
        .await
        .map_err(|e| Error::Connect {
            url: settings.url.clone(),
            reason: e.to_string(),
        })?;
    let js = jetstream::new(client);
    let subjects = Subjects::new(&settings.prefix);
    // A work queue: an acknowledged event leaves the stream; what is rejected stays (nobody
    // consumes it but an operator) until it is a week old.
    let stream = js
        .get_or_create_stream(stream::Config {
            name: settings.stream.clone(),
            subjects: vec![subjects.all_events(), subjects.all_rejected()],
            retention: stream::RetentionPolicy::WorkQueue,
            max_age: KEEP_FOR,
            ..Default::default()
        })
        .await
        .map_err(|e| Error::Stream {
            stream: settings.stream.clone(),
            reason: e.to_string(),
        })?;
    let consumer = stream
        .get_or_create_consumer(
            &settings.consumer,
            pull::Config {
                durable_name: Some(settings.consumer.clone()),
                filter_subject: subjects.all_events(),
                ack_policy: AckPolicy::Explicit,
                deliver_policy: DeliverPolicy::All,
                ack_wait: settings.ack_wait,
                max_ack_pending: settings.max_in_flight as i64,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| Error::Consumer {
            consumer: settings.consumer.clone(),
            reason: e.to_string(),
        })?;
    Ok(Consumer {
        js,
        consumer,
        settings: settings.clone(),
        subjects,
    })
}

impl Consumer {
    /// Takes batches until `shutdown` completes. A batch being stored when it does is finished
    /// first; what was pulled and not yet handed to the sink goes back to the bus after
    /// `ack_wait`.
    pub async fn run(&self, sink: &dyn Sink, shutdown: impl Future<Output = ()>) -> Result<(), Error> {
        let batch = self.settings.batch.max(1);
        let messages = self
            .consumer
            .stream()
            .max_messages_per_batch(batch)
            .messages()
            .await
            .map_err(|e| Error::Pull(e.to_string()))?;
        // Whatever is ready, up to a batch: one message at once when the bus is quiet, full
        // batches in a burst.
        let mut ready = messages.ready_chunks(batch);
        tokio::pin!(shutdown);
        loop {
            let chunk = tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                chunk = ready.next() => chunk,
            };
            let Some(chunk) = chunk else {
                return Err(Error::Pull("the bus closed the consumer's stream".into()));
            };
            let mut taken = Vec::with_capacity(chunk.len());
            for message in chunk {
                match message {
                    Ok(m) => taken.push(m),
                    // Missed heartbeats, a reconnect: the stream goes on by itself.
                    Err(e) => tracing::warn!(error = %e, "pulling from NATS"),
                }
            }
            if !taken.is_empty() {
                self.handle(sink, &taken).await;
            }
        }
    }

    async fn handle(&self, sink: &dyn Sink, messages: &[Message]) {
        let mut inbound = Vec::with_capacity(messages.len());
        let mut verdicts: Vec<Option<Verdict>> = Vec::with_capacity(messages.len());
        for m in messages {
            match self.subjects.tenant_of(m.subject.as_str()) {
                Some(tenant) => {
                    inbound.push(Inbound {
                        tenant,
                        payload: &m.payload,
                    });
                    verdicts.push(None);
                }
                None => verdicts.push(Some(Verdict::Refused {
                    reason: format!(
                        "the subject names no tenant: publish to {}",
                        self.subjects.events("<tenant id>")
                    ),
                })),
            }
        }
        let mut stored = if inbound.is_empty() {
            Vec::new()
        } else {
            sink.take(&inbound).await
        }
        .into_iter();
        for (m, verdict) in messages.iter().zip(verdicts) {
            let verdict = verdict.or_else(|| stored.next()).unwrap_or_else(|| Verdict::Retry {
                reason: "the sink gave no verdict".into(),
            });
            self.finish(m, verdict).await;
        }
    }

    /// Acknowledges, rejects or leaves for later one message, as its verdict says.
    async fn finish(&self, m: &Message, verdict: Verdict) {
        let sequence = m.info().map(|i| i.stream_sequence).unwrap_or(0);
        let subject = m.subject.as_str();
        let rejection = match &verdict {
            Verdict::Stored { rejected } if rejected.is_empty() => None,
            Verdict::Stored { rejected } => Some(Rejection {
                events: rejected,
                ..Rejection::new(subject, sequence, &m.payload)
            }),
            Verdict::Refused { reason } => Some(Rejection {
                reason: Some(reason),
                ..Rejection::new(subject, sequence, &m.payload)
            }),
            Verdict::Retry { reason } => {
                tracing::warn!(subject, sequence, reason, "NATS message left for later");
                if let Err(e) = m.ack_with(AckKind::Nak(Some(self.settings.retry_after))).await {
                    tracing::warn!(error = %e, "cannot return a NATS message for later");
                }
                return;
            }
        };
        if let Some(rejection) = rejection {
            let tenant = self.subjects.tenant_of(subject).unwrap_or("_");
            if let Err(e) = self.reject(tenant, sequence, &rejection).await {
                // Not acknowledged: the bus delivers it again, and the rejection is retried
                // (its message id keeps a second copy out).
                tracing::warn!(subject, sequence, error = %e, "cannot publish a rejection; the message will come again");
                let _ = m.ack_with(AckKind::Nak(Some(self.settings.retry_after))).await;
                return;
            }
        }
        if let Err(e) = m.ack().await {
            // Delivered again later: a duplicate by the sink's own rules.
            tracing::warn!(subject, sequence, error = %e, "cannot acknowledge a NATS message");
        }
    }

    async fn reject(&self, tenant: &str, sequence: u64, rejection: &Rejection<'_>) -> Result<(), String> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert(
            "Nats-Msg-Id",
            format!("rejected-{}-{sequence}", self.settings.stream).as_str(),
        );
        let ack = self
            .js
            .publish_with_headers(self.subjects.rejected(tenant), headers, rejection.to_json().into())
            .await
            .map_err(|e| e.to_string())?;
        ack.await.map_err(|e| e.to_string())?;
        Ok(())
    }
}
