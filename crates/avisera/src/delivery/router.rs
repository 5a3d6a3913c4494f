//! A channel's providers in the operator's order and this node's circuit breaker for each:
//! a message goes to the first provider whose breaker admits it, and on to the next at once
//! when one refuses it (`domain::failover` decides both); the providers' answers move the
//! breakers. One provider (or the dev inbox) is a router of one.

use super::channel::{SendError, Sender};
use crate::metrics::Metrics;
use avisera_domain::Clock;
use avisera_domain::failover::{self, Breaker, BreakerPolicy};
use avisera_store::DeliveryJob;
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// A named provider of a channel.
pub struct Named {
    pub name: String,
    pub sender: Arc<dyn Sender>,
}

pub struct Router {
    /// The `channel` label of its metrics.
    channel: &'static str,
    providers: Vec<Named>,
    breakers: Mutex<Vec<Breaker>>,
    policy: BreakerPolicy,
}

/// How sending one message through the router went.
#[derive(Debug)]
pub struct Routed {
    /// The provider that took it, refused it for good, did not answer, or refused it last.
    pub provider: String,
    pub result: Result<Option<String>, SendError>,
}

impl Router {
    /// At least one provider, in order.
    pub fn new(channel: &'static str, providers: Vec<Named>, policy: BreakerPolicy) -> Router {
        assert!(!providers.is_empty(), "a router needs a provider");
        let breakers = Mutex::new(vec![Breaker::default(); providers.len()]);
        Router {
            channel,
            providers,
            breakers,
            policy,
        }
    }

    /// A router of one provider.
    pub fn one(channel: &'static str, name: &str, sender: Arc<dyn Sender>, policy: BreakerPolicy) -> Router {
        let named = Named {
            name: name.into(),
            sender,
        };
        Router::new(channel, vec![named], policy)
    }

    /// The first provider's name: the `provider` label of what no provider was called for.
    pub fn first(&self) -> &str {
        &self.providers[0].name
    }

    /// Sends `job` through the providers before `cutoff`, each call counted in `metrics`.
    pub async fn send(&self, job: &DeliveryJob, cutoff: Instant, clock: &dyn Clock, metrics: &Metrics) -> Routed {
        let mut after = None;
        let mut refusals: Vec<String> = Vec::new();
        while let Some(at) = self.next(after, clock) {
            after = Some(at);
            let provider = &self.providers[at];
            let started = Instant::now();
            let result = match tokio::time::timeout_at(cutoff, provider.sender.send(job)).await {
                Ok(result) => result,
                Err(_) => Err(SendError::Transient(
                    "the provider did not answer before the claim's cut-off (three quarters of the lease)".into(),
                )),
            };
            let answer = match &result {
                Ok(_) => "sent",
                Err(SendError::Permanent(_)) => "permanent",
                Err(SendError::Refused(_)) => "refused",
                Err(SendError::Transient(_)) => "transient",
            };
            metrics.provider_call(self.channel, &provider.name, answer, started.elapsed());
            let end = result
                .as_ref()
                .err()
                .map_or(failover::CallEnd::Accepted, SendError::call_end);
            self.moved(at, end, clock);
            match result {
                Err(SendError::Refused(why)) if end.try_next() => {
                    tracing::warn!(provider = %provider.name, reason = %why, "provider refused the message");
                    // With one provider its reason reads as it did before providers had names.
                    refusals.push(if self.providers.len() == 1 {
                        why
                    } else {
                        format!("{}: {why}", provider.name)
                    });
                    if Instant::now() >= cutoff {
                        break;
                    }
                }
                result => {
                    return Routed {
                        provider: provider.name.clone(),
                        result,
                    };
                }
            }
        }
        // Every provider it went to refused it: it waits for the retry schedule.
        let last = after.map_or_else(|| self.first().to_string(), |at| self.providers[at].name.clone());
        Routed {
            provider: last,
            result: Err(SendError::Refused(refusals.join("; "))),
        }
    }

    /// The provider to try after `after`, its breaker moved to admit the message.
    fn next(&self, after: Option<usize>, clock: &dyn Clock) -> Option<usize> {
        let mut breakers = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        let (at, admitted) = failover::next(&breakers, after, self.policy, clock.now())?;
        breakers[at] = admitted;
        Some(at)
    }

    fn moved(&self, at: usize, end: failover::CallEnd, clock: &dyn Clock) {
        let mut breakers = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        let was_open = matches!(breakers[at], Breaker::Open { .. });
        breakers[at] = breakers[at].after(end, self.policy, clock.now());
        if !was_open && matches!(breakers[at], Breaker::Open { .. }) {
            tracing::warn!(channel = self.channel, provider = %self.providers[at].name, "provider skipped for its cool-down after failures in a row");
        }
    }
}
