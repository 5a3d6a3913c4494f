//! Events from the NATS JetStream door: each message of a batch read like a `POST /v1/events`
//! body, every tenant's good events stored in one transaction, and a verdict per message for the
//! door to acknowledge, reject or leave for later.

use crate::app::App;
use crate::http::json;
use async_trait::async_trait;
use avisera_core::Error;
use avisera_core::ingest::Source;
use avisera_domain::TenantId;
use avisera_domain::event::{CarrierEvent, EventInput};
use avisera_ingest_nats::{Inbound, RejectedEvent, Sink, Verdict};
use std::collections::BTreeMap;

/// The largest list of events one message may hold (as the API).
const MAX_EVENTS: usize = 10_000;

pub struct NatsSink {
    pub app: App,
}

/// One message read: its tenant, its good events, its invalid ones.
struct Read {
    tenant: TenantId,
    events: Vec<CarrierEvent>,
    rejected: Vec<RejectedEvent>,
}

#[async_trait]
impl Sink for NatsSink {
    async fn take(&self, batch: &[Inbound<'_>]) -> Vec<Verdict> {
        let now = self.app.clock.now();
        let mut verdicts: Vec<Option<Verdict>> = vec![None; batch.len()];
        let mut by_tenant: BTreeMap<TenantId, Vec<(usize, Read)>> = BTreeMap::new();
        for (i, m) in batch.iter().enumerate() {
            match read(m, now) {
                Ok(r) => by_tenant.entry(r.tenant).or_default().push((i, r)),
                Err(reason) => verdicts[i] = Some(Verdict::Refused { reason }),
            }
        }
        let rejected: usize = by_tenant.values().flatten().map(|(_, r)| r.rejected.len()).sum();
        self.app.metrics.events(Source::Nats, "rejected", rejected as u64);
        for (tenant, messages) in by_tenant {
            let reads: Vec<&Read> = messages.iter().map(|(_, r)| r).collect();
            let together = self.store(tenant, &reads).await;
            // A message that cannot be stored must not hold back the others of its tenant:
            // alone, each gets its own verdict. (A busy database fails them all alike.)
            let alone = matches!(together, Err(Verdict::Refused { .. })) && messages.len() > 1;
            for (i, r) in &messages {
                let result = if alone {
                    self.store(tenant, &[r]).await
                } else {
                    together.clone()
                };
                verdicts[*i] = Some(match result {
                    Ok(()) => Verdict::Stored {
                        rejected: r.rejected.clone(),
                    },
                    Err(v) => v,
                });
            }
        }
        verdicts
            .into_iter()
            .map(|v| v.expect("every message has a verdict"))
            .collect()
    }
}

impl NatsSink {
    /// Stores the good events of `messages` (one tenant's) together.
    async fn store(&self, tenant: TenantId, messages: &[&Read]) -> Result<(), Verdict> {
        let events: Vec<CarrierEvent> = messages.iter().flat_map(|r| r.events.iter().cloned()).collect();
        match self.app.ingest().events(Source::Nats, tenant, &events).await {
            Ok(_) => Ok(()),
            Err(Error::NotFound { .. }) => Err(Verdict::Refused {
                reason: format!("tenant {tenant} does not exist: publish to the subject of your own tenant id"),
            }),
            Err(Error::Store(e)) if e.is_transient() => Err(Verdict::Retry { reason: e.to_string() }),
            Err(e) => Err(Verdict::Refused {
                reason: format!("could not be stored: {e}"),
            }),
        }
    }
}

/// A message's tenant and events, each event checked as the API checks it; `Err` says why
/// nothing of the message can be taken.
fn read(m: &Inbound<'_>, now: avisera_domain::Timestamp) -> Result<Read, String> {
    let tenant = m
        .tenant
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(TenantId)
        .ok_or_else(|| {
            format!(
                "\"{}\" is not a tenant id: publish to avisera.events.<tenant id>",
                m.tenant
            )
        })?;
    let batch = json::batch(m.payload, MAX_EVENTS, false).map_err(|e| e.message)?;
    if batch.items.is_empty() {
        return Err("the message holds no events".into());
    }
    let (good, refused) = json::check_each(batch.items, |input: EventInput| {
        input.check_at(now).map_err(|e| (Some(e.field), e.message))
    });
    let events = good.into_iter().map(|(_, event)| event).collect();
    let rejected = refused
        .into_iter()
        .map(|(index, field, message)| RejectedEvent { index, field, message })
        .collect();
    Ok(Read {
        tenant,
        events,
        rejected,
    })
}
