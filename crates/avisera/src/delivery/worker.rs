//! The delivery worker: claims due notifications with a lease, sends them concurrently, and
//! records each outcome: sent, a retry at the schedule's next time, or failed with the reason.
//! Any number of workers (on any number of nodes) can run; a dead worker's lease runs out and
//! its jobs are claimed again, with the same idempotency key.

use super::channel::{SendError, Sender};
use crate::app::App;
use crate::metrics;
use avisera_domain::billing::Charge;
use avisera_domain::notification::Channel;
use avisera_domain::notification::Message;
use avisera_domain::rule::Rule;
use avisera_domain::sms;
use avisera_domain::tenant::Tenant;
use avisera_domain::timing::after_quiet_hours;
use avisera_domain::{RuleId, TenantId};
use avisera_store::{DeliveryJob, DeliveryOutcome};
use jiff::SignedDuration;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

#[derive(Clone)]
pub struct Channels {
    pub sms: Arc<dyn Sender>,
    pub email: Arc<dyn Sender>,
}

impl Channels {
    fn for_job(&self, job: &DeliveryJob) -> &Arc<dyn Sender> {
        match job.message.channel() {
            Channel::Sms => &self.sms,
            Channel::Email => &self.email,
        }
    }
}

/// Sends, but gives up inside the lease, so another worker can never take a job this one is
/// still sending.
async fn send_within(limit: Duration, sender: &dyn Sender, job: &DeliveryJob) -> Result<Option<String>, SendError> {
    match tokio::time::timeout(limit, sender.send(job)).await {
        Ok(result) => result,
        Err(_) => Err(SendError::Transient(format!(
            "the provider did not answer within {} ms",
            limit.as_millis()
        ))),
    }
}

pub struct Worker {
    pub app: App,
    pub channels: Channels,
    pub name: String,
}

impl Worker {
    /// Claims and sends one batch; returns how many notifications it handled.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let app = &self.app;
        let d = &app.config.delivery;
        let now = app.clock.now();
        let lease_until = now.checked_add(SignedDuration::from_millis(d.lease_ms as i64))?;
        let jobs = app.store.claim_due(&self.name, now, lease_until, d.batch).await?;
        let count = jobs.len();
        // The plan in force now prices what this batch sends.
        // What was true when the message was planned is checked again now: its tenant's plan
        // and budget, and its rule (disabled, out of its interval, or a trigger the plan lost).
        let mut tenants: HashMap<TenantId, Option<Tenant>> = HashMap::new();
        let mut rules: HashMap<(TenantId, RuleId), Option<Rule>> = HashMap::new();
        let mut sms_blocked: HashMap<TenantId, Option<String>> = HashMap::new();
        for job in &jobs {
            if let std::collections::hash_map::Entry::Vacant(slot) = tenants.entry(job.tenant_id) {
                let tenant = app.store.tenant(job.tenant_id).await?;
                let blocked = match &tenant {
                    Some(t) => crate::budget::sms_blocked(app, t, now).await?,
                    None => None,
                };
                sms_blocked.insert(job.tenant_id, blocked);
                slot.insert(tenant);
            }
            if let Some(rule) = job.rule_id
                && let std::collections::hash_map::Entry::Vacant(slot) = rules.entry((job.tenant_id, rule))
            {
                slot.insert(app.store.rule(job.tenant_id, rule).await?);
            }
        }
        let stale_reason = |job: &DeliveryJob| -> Option<String> {
            let tenant = tenants.get(&job.tenant_id)?.as_ref()?;
            if let Some(id) = job.rule_id {
                match rules.get(&(job.tenant_id, id)).and_then(Option::as_ref) {
                    None => return Some(format!("rule {id} no longer exists")),
                    Some(r) if !r.enabled => {
                        return Some(format!(
                            "rule {id} \"{}\" was disabled before this message was sent",
                            r.name
                        ));
                    }
                    Some(r) if !tenant.plan.allows(r.trigger) => {
                        return Some(format!(
                            "plan {} no longer has trigger \"{}\" of rule {id}",
                            tenant.plan, r.trigger
                        ));
                    }
                    Some(r) if !r.is_active_at(now) => {
                        return Some(format!("rule {id} \"{}\" is no longer active", r.name));
                    }
                    Some(_) => {}
                }
            }
            match (&job.message, sms_blocked.get(&job.tenant_id)) {
                (Message::Sms { .. }, Some(Some(why))) if job.billable => Some(why.clone()),
                _ => None,
            }
        };
        let send_limit = Duration::from_millis(d.lease_ms * 3 / 4);
        let mut sending = JoinSet::new();
        for job in jobs {
            let stale = stale_reason(&job);
            // The rule's quiet hours hold also for what is sent late (a backlog, a lease taken
            // over) and for retries: none goes out inside them.
            let quiet = job
                .rule_id
                .and_then(|id| rules.get(&(job.tenant_id, id)).and_then(Option::as_ref))
                .filter(|r| r.quiet_hours.iter().any(|q| q.channel == job.message.channel()))
                .zip(job.time_zone.as_deref().and_then(|z| jiff::tz::TimeZone::get(z).ok()))
                .map(|(r, zone)| (r.quiet_hours.clone(), zone));
            let plan = tenants.get(&job.tenant_id).and_then(Option::as_ref).map(|t| t.plan);
            let charge = plan.filter(|_| job.billable).map(|plan| {
                let prices = app.config.prices.for_plan(plan);
                match &job.message {
                    Message::Sms { text, .. } => Charge::for_message(Channel::Sms, sms::count(text).segments, prices),
                    Message::Email { .. } => Charge::for_message(Channel::Email, 0, prices),
                }
            });
            let sender = self.channels.for_job(&job).clone();
            let app = app.clone();
            let name = self.name.clone();
            let span =
                tracing::info_span!("deliver", tenant = %job.tenant_id, notification = %job.id, attempt = job.attempt);
            sending.spawn(
                async move {
                    // An opt-out counts from the moment it is made, also for what was planned before.
                    let channel = job.message.channel();
                    let after_quiet = |t: jiff::Timestamp| {
                        quiet
                            .as_ref()
                            .map_or(t, |(q, zone)| after_quiet_hours(t, channel, q, zone))
                    };
                    let start = app.clock.now();
                    if stale.is_none() && after_quiet(start) > start {
                        let at = after_quiet(start);
                        let outcome = DeliveryOutcome::RetryAt {
                            at,
                            reason: format!("quiet hours: deferred to {at}"),
                        };
                        if let Err(e) = app
                            .store
                            .finish_delivery(job.tenant_id, job.id, &name, &outcome, start)
                            .await
                        {
                            tracing::error!(error = %e, "could not record delivery outcome");
                        }
                        return None;
                    }
                    let opted_out = match stale {
                        Some(why) => Ok(Some(Err(why))),
                        None => app
                            .store
                            .opted_out(job.tenant_id, job.message.recipient())
                            .await
                            .map(|o| o.map(Ok)),
                    };
                    let result = match opted_out {
                        Ok(Some(Ok(at))) => Err(format!("the receiver opted out of messages from this sender at {at}")),
                        Ok(Some(Err(why))) => Err(why),
                        Ok(None) => Ok(send_within(send_limit, sender.as_ref(), &job).await),
                        Err(e) => Ok(Err(SendError::Transient(format!("could not check opt-outs: {e}")))),
                    };
                    let now = app.clock.now();
                    let result = match result {
                        Ok(result) => result,
                        Err(reason) => {
                            let outcome = DeliveryOutcome::Cancelled { reason };
                            metrics::add(&app.metrics.deliveries_cancelled, 1);
                            if let Err(e) = app
                                .store
                                .finish_delivery(job.tenant_id, job.id, &name, &outcome, now)
                                .await
                            {
                                tracing::error!(error = %e, "could not record delivery outcome");
                            }
                            return None;
                        }
                    };
                    let outcome = match result {
                        Ok(provider_id) => DeliveryOutcome::Sent { provider_id, charge },
                        Err(SendError::Permanent(reason)) => DeliveryOutcome::Failed { reason },
                        Err(SendError::Transient(reason)) => {
                            match app
                                .config
                                .delivery
                                .retry
                                .next_attempt(job.attempt, now, rand::random::<f64>())
                            {
                                Some(at) => DeliveryOutcome::RetryAt {
                                    at: after_quiet(at),
                                    reason,
                                },
                                None => DeliveryOutcome::Failed {
                                    reason: format!("gave up after {} attempts: {reason}", job.attempt),
                                },
                            }
                        }
                    };
                    tracing::info!(outcome = ?outcome, "delivery finished");
                    let m = &app.metrics;
                    metrics::add(
                        match &outcome {
                            DeliveryOutcome::Sent { .. } => &m.deliveries_sent,
                            DeliveryOutcome::Failed { .. } => &m.deliveries_failed,
                            DeliveryOutcome::RetryAt { .. } => &m.deliveries_retried,
                            DeliveryOutcome::Cancelled { .. } => &m.deliveries_cancelled,
                        },
                        1,
                    );
                    match app
                        .store
                        .finish_delivery(job.tenant_id, job.id, &name, &outcome, now)
                        .await
                    {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!("the notification was no longer this worker's"),
                        // The lease runs out and the job is tried again with the same idempotency key.
                        Err(e) => tracing::error!(error = %e, "could not record delivery outcome"),
                    }
                    let billed_sms = matches!(&outcome, DeliveryOutcome::Sent { charge: Some(_), .. })
                        && job.message.channel() == Channel::Sms;
                    billed_sms.then_some(job.tenant_id)
                }
                .instrument(span),
            );
        }
        let mut billed_sms = HashSet::new();
        while let Some(done) = sending.join_next().await {
            if let Ok(Some(tenant)) = done {
                billed_sms.insert(tenant);
            }
        }
        for tenant in billed_sms {
            if let Err(e) = crate::budget::warn_if_crossed(app, tenant, app.clock.now()).await {
                tracing::error!(error = %e, tenant = %tenant, "could not check the SMS budget");
            }
        }
        Ok(count)
    }

    /// Runs until `stop` turns true; a batch being sent is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.app.config.delivery.poll_ms);
        while !*stop.borrow() {
            match self.run_once().await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "delivery worker could not claim work"),
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = self.app.work.notified() => {}
                changed = stop.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
    }
}
