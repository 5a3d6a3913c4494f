//! The delivery worker: claims due notifications with a lease, sends them concurrently, and
//! records each outcome: sent, a retry at the schedule's next time, or failed with the reason.
//! Any number of workers (on any number of nodes) can run; a dead worker's lease runs out and
//! its jobs are claimed again, with the same idempotency key.

use super::handoff::{Handed, HandedBatch};
use super::router::Router;
use super::send::{Claimed, Done, channel_label, deliver, outcome_label};
use crate::app::App;
use avisera_domain::billing::Charge;
use avisera_domain::notification::Channel;
use avisera_domain::notification::Message;
use avisera_domain::receiver::Reach;
use avisera_domain::rule::Rule;
use avisera_domain::sms;
use avisera_domain::tenant::Tenant;
use avisera_domain::{RuleId, TenantId, Timestamp};
use avisera_store::{DeliveryJob, DeliveryOutcome, DeliveryStore, Finished, SendContext};
use jiff::SignedDuration;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

/// Each channel's providers, with this node's breakers (shared by its workers).
#[derive(Clone)]
pub struct Channels {
    pub sms: Arc<Router>,
    pub email: Arc<Router>,
}

impl Channels {
    fn for_job(&self, job: &DeliveryJob) -> &Arc<Router> {
        match job.message.channel() {
            Channel::Sms => &self.sms,
            Channel::Email => &self.email,
        }
    }
}

#[derive(Clone)]
pub struct Worker {
    pub app: App,
    pub channels: Channels,
    pub name: String,
}

impl Worker {
    /// All the worker uses of the store: the outbox, opt-outs, the tenant's configuration and
    /// spend, and shipments; never the portal's data or the notification log.
    fn store(&self) -> &dyn DeliveryStore {
        self.app.store.as_ref()
    }

    /// Claims and sends one batch, and records its outcomes; returns how many notifications
    /// it handled.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let (handled, recording) = self.run_once_up_to(self.app.config.delivery.batch).await?;
        finish(recording).await;
        Ok(handled)
    }

    /// Sends one batch of a drain, as `run` does: the batch `pipeline` claimed while the last
    /// was sent (or one claimed now), while the next is claimed and the last one's outcomes
    /// are recorded. So the database claims one batch and records another while the worker
    /// sends a third, and no more than one batch waits to be sent or recorded. Each batch is
    /// recorded as soon as it is sent, and sent before its cut-off, so none outlives its lease
    /// waiting for another. Returns how many notifications it handled; when none, nothing is
    /// claimed ahead and the last batch is recorded.
    pub async fn run_overlapping(&self, pipeline: &mut Pipeline) -> anyhow::Result<usize> {
        let limit = self.app.config.delivery.batch;
        let batch = match pipeline.next.take() {
            Some(next) => next.await??,
            None => self.claim(limit).await?,
        };
        if batch.jobs.is_empty() {
            finish(pipeline.recording.take()).await;
            return Ok(0);
        }
        let count = batch.jobs.len();
        let ahead = self.clone();
        pipeline.next = Some(tokio::spawn(async move { ahead.claim(limit).await }));
        let recording = self.send(batch.jobs, Known::default(), batch.cutoff, batch.now).await;
        finish(pipeline.recording.take()).await;
        pipeline.recording = Some(recording?);
        Ok(count)
    }

    /// Claims at most `limit` notifications and sends them; returns how many it handled and
    /// the recording of their outcomes (none when it claimed none).
    async fn run_once_up_to(&self, limit: u32) -> anyhow::Result<(usize, Option<Recording>)> {
        let batch = self.claim(limit).await?;
        if batch.jobs.is_empty() {
            return Ok((0, None));
        }
        let count = batch.jobs.len();
        let recording = self.send(batch.jobs, Known::default(), batch.cutoff, batch.now).await?;
        Ok((count, Some(recording)))
    }

    /// Claims at most `limit` due notifications with a lease, fairly between tenants and
    /// within the operator's rate limits (limits.rs).
    async fn claim(&self, limit: u32) -> anyhow::Result<Batch> {
        let app = &self.app;
        let d = &app.config.delivery;
        // The cut-off counts from before the claim, so it lies inside the lease whatever the
        // claim, the lookups and the wait for an earlier batch cost.
        let cutoff = Instant::now() + Duration::from_millis(d.lease_ms * 3 / 4);
        let now = app.clock.now();
        let lease_until = now.checked_add(SignedDuration::from_millis(d.lease_ms as i64))?;
        let jobs = super::limits::claim(app, &self.name, now, lease_until, limit).await?;
        // The claim takes the oldest due first, so this is how far behind the outbox is.
        let oldest_due = jobs.iter().map(|j| j.due_at).min().unwrap_or(now);
        app.metrics.set_outbox_lag(now.duration_since(oldest_due).as_secs_f64());
        Ok(Batch { jobs, cutoff, now })
    }

    /// Sends what `pipeline` still holds (a batch claimed ahead) and records it all.
    pub async fn settle(&self, pipeline: Pipeline) {
        let Pipeline { next, recording } = pipeline;
        let mut last = None;
        if let Some(next) = next {
            match next.await {
                Ok(Ok(batch)) if !batch.jobs.is_empty() => {
                    match self.send(batch.jobs, Known::default(), batch.cutoff, batch.now).await {
                        Ok(r) => last = Some(r),
                        Err(e) => {
                            tracing::error!(error = %e, "could not send a batch claimed ahead; claimed again when its lease runs out")
                        }
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "delivery worker could not claim work"),
                Err(e) => tracing::error!(error = %e, "claiming ahead failed"),
            }
        }
        finish(recording).await;
        finish(last).await;
    }

    /// Sends `jobs`, whose leases this worker holds, and starts recording each outcome (the
    /// returned task). Nothing is sent after `cutoff`, which lies inside the leases.
    async fn send(
        &self,
        jobs: Vec<DeliveryJob>,
        known: Known,
        cutoff: Instant,
        now: Timestamp,
    ) -> anyhow::Result<Recording> {
        let app = &self.app;
        let d = &app.config.delivery;
        let store = self.store();
        // What was true when the message was planned is checked again now: its tenant's plan,
        // and its rule (disabled, out of its interval, or a trigger the plan lost), unless it
        // was planned a moment ago (`known`). A tenant or rule that cannot be read (stored data
        // no longer decodes) fails the messages that need it, with the reason; a database that
        // does not answer leaves the batch to its lease.
        let Known { mut tenants, mut rules } = known;
        for job in &jobs {
            if let Entry::Vacant(slot) = tenants.entry(job.tenant_id) {
                slot.insert(unreadable(store.tenant(job.tenant_id).await)?);
            }
            if let Some(rule) = job.rule_id
                && let Entry::Vacant(slot) = rules.entry((job.tenant_id, rule))
            {
                slot.insert(unreadable(store.rule(job.tenant_id, rule).await)?);
            }
        }
        // One read per tenant for the whole batch, not one per message: its opt-outs and the
        // channels its receivers chose together (one round trip where the database is remote).
        let mut opted_out: HashMap<TenantId, HashMap<String, Timestamp>> = HashMap::new();
        let mut reach: HashMap<TenantId, HashMap<String, Reach>> = HashMap::new();
        let mut recipients: HashMap<TenantId, Vec<&str>> = HashMap::new();
        for job in &jobs {
            recipients
                .entry(job.tenant_id)
                .or_default()
                .push(job.message.recipient());
        }
        for (tenant, addresses) in recipients {
            // An erased receiver's opt-out holds under its address's keyed hash.
            let hashed: HashMap<String, &str> =
                addresses.iter().map(|a| (app.links.pseudonym(tenant, a), *a)).collect();
            let mut asked: Vec<&str> = addresses.clone();
            asked.extend(hashed.keys().map(String::as_str));
            let SendContext {
                opted_out: mut found,
                reach: chosen,
            } = store.send_context(tenant, &asked, &addresses).await?;
            for (hash, address) in &hashed {
                if let Some(at) = found.remove(hash) {
                    found.entry(address.to_lowercase()).or_insert(at);
                }
            }
            opted_out.insert(tenant, found);
            reach.insert(tenant, chosen);
        }
        let mut finished = Vec::with_capacity(jobs.len());
        let mut claimed = Vec::with_capacity(jobs.len());
        for job in jobs {
            let looked_up = tenants
                .get(&job.tenant_id)
                .cloned()
                .unwrap_or(Ok(None))
                .and_then(|tenant| {
                    let rule = match job.rule_id {
                        Some(id) => rules.get(&(job.tenant_id, id)).cloned().unwrap_or(Ok(None))?,
                        None => None,
                    };
                    Ok((tenant, rule))
                });
            let (tenant, rule) = match looked_up {
                Ok(found) => found,
                Err(why) => {
                    let reason = format!("its tenant or rule can no longer be read: {why}");
                    finished.push((job, Done::from(DeliveryOutcome::Failed { reason })));
                    continue;
                }
            };
            let rule_stopped = tenant.as_ref().and_then(|t| rule_stopped(&job, t, rule.as_ref(), now));
            // The plan in force now prices what this batch sends.
            let charge = tenant.as_ref().filter(|_| job.billable).map(|t| {
                let prices = app.config.prices.for_plan(t.plan);
                match &job.message {
                    Message::Sms { text, .. } => Charge::for_message(Channel::Sms, sms::count(text).segments, prices),
                    Message::Email { .. } => Charge::for_message(Channel::Email, 0, prices),
                }
            });
            let opted_out = opted_out
                .get(&job.tenant_id)
                .and_then(|found| found.get(&job.message.recipient().to_lowercase()))
                .copied();
            let declined = reach
                .get(&job.tenant_id)
                .and_then(|found| found.get(&job.message.recipient().to_lowercase()))
                .and_then(|r| r.declines(job.message.channel()));
            claimed.push(Claimed {
                router: self.channels.for_job(&job).clone(),
                job,
                tenant,
                rule,
                rule_stopped,
                opted_out,
                declined,
                charge,
                reservation: None,
                cutoff,
                after_cutoff: Duration::from_millis(d.lease_ms / 4),
            });
        }
        // The SMS of tenants with a budget reserve their prices together, per tenant.
        super::budget::reserve(store, &self.name, &mut claimed, now).await?;
        let mut sending = JoinSet::new();
        let mut held = HashMap::new();
        for c in claimed {
            let job = c.job.clone();
            let span = tracing::info_span!(
                "deliver",
                tenant = %job.tenant_id,
                notification = %job.id,
                shipment = job.shipment_id.map(|s| s.0),
                attempt = job.attempt
            );
            let task = sending.spawn(deliver(app.clone(), self.name.clone(), c).instrument(span));
            held.insert(task.id(), job);
        }
        while let Some(done) = sending.join_next_with_id().await {
            match done {
                Ok((id, Some(done))) => {
                    if let Some(job) = held.remove(&id) {
                        finished.push((job, done));
                    }
                }
                Ok(_) => {}
                // Whatever went wrong building or sending one message is that message's
                // outcome, not a claim retried forever.
                Err(e) if e.is_panic() => {
                    let Some(job) = held.remove(&e.id()) else { continue };
                    let reason = format!(
                        "could not build or send this message: {}",
                        panic_text(e.into_panic().as_ref())
                    );
                    tracing::error!(tenant = %job.tenant_id, notification = %job.id, %reason, "delivery panicked");
                    finished.push((job, Done::from(DeliveryOutcome::Failed { reason })));
                }
                Err(e) => tracing::error!(error = %e, "a delivery task was cancelled"),
            }
        }
        let worker = self.clone();
        Ok(tokio::spawn(async move {
            let billed_sms = worker.record(finished).await;
            worker.warn_budgets(billed_sms, &tenants).await;
        }))
    }

    /// Warns the tenants billed for SMS whose budget the batch took past a warning line.
    async fn warn_budgets(&self, billed_sms: HashSet<TenantId>, tenants: &HashMap<TenantId, Looked<Tenant>>) {
        let app = &self.app;
        for tenant in billed_sms {
            let tenant = tenants
                .get(&tenant)
                .and_then(|t| t.as_ref().ok())
                .and_then(Option::as_ref);
            let Some(tenant) = tenant.filter(|t| t.billing.sms_budget_ore.is_some()) else {
                continue;
            };
            match avisera_core::budget::warn_if_crossed(self.store(), tenant, app.clock.now()).await {
                Ok(true) => app.work.notify_one(),
                Ok(false) => {}
                Err(e) => tracing::error!(error = %e, tenant = %tenant.id, "could not check the SMS budget"),
            }
        }
    }

    /// Records the batch's outcomes in one transaction; returns the tenants billed for SMS.
    /// If the store does not answer, the leases run out and the jobs are sent again with the
    /// same idempotency keys.
    async fn record(&self, finished: Vec<(DeliveryJob, Done)>) -> HashSet<TenantId> {
        let mut billed_sms = HashSet::new();
        for (job, done) in &finished {
            let channel = job.message.channel();
            // What no provider was called for counts under the channel's first provider.
            let provider = done
                .provider
                .as_deref()
                .unwrap_or_else(|| self.channels.for_job(job).first());
            self.app
                .metrics
                .delivery(outcome_label(&done.outcome), channel_label(channel), provider);
            if matches!(done.outcome, DeliveryOutcome::Sent { charge: Some(_), .. }) && channel == Channel::Sms {
                billed_sms.insert(job.tenant_id);
            }
        }
        let finished: Vec<Finished> = finished
            .into_iter()
            .map(|(job, done)| Finished {
                tenant: job.tenant_id,
                id: job.id,
                outcome: done.outcome,
                provider: done.provider,
            })
            .collect();
        match self
            .store()
            .finish_deliveries(&self.name, &finished, self.app.clock.now())
            .await
        {
            Ok(recorded) if recorded.len() == finished.len() => {}
            Ok(recorded) => tracing::warn!(
                lost = finished.len() - recorded.len(),
                "some notifications were no longer this worker's"
            ),
            Err(e) => tracing::error!(error = %e, "could not record the delivery outcomes"),
        }
        billed_sms
    }

    /// Runs until `stop` turns true; a batch being sent is finished first.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.app.config.delivery.poll_ms);
        let mut pace = crate::metrics::CountPace::default();
        let mut worked = false;
        let mut pipeline = Pipeline::default();
        while !*stop.borrow() {
            let handled = match self.run_overlapping(&mut pipeline).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "delivery worker could not claim work");
                    0
                }
            };
            worked |= handled > 0;
            // The scheduled gauge is a count over the outbox: taken here every few seconds, and
            // when the worker runs out of work (at most once a second), never per scrape; less
            // often when counting is slow (`CountPace`).
            let every = if worked && handled == 0 {
                crate::metrics::REFRESH_WHEN_IDLE
            } else {
                crate::metrics::REFRESH
            };
            if pace.count(every, count_scheduled(&self.app)).await {
                worked = false;
            }
            if handled > 0 {
                continue;
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
        self.settle(pipeline).await;
    }
}

impl Worker {
    /// The node's express lane, until `stop` turns true: it claims a few notifications each time
    /// new ones are stored (never on a poll, never draining a backlog), so it is free when the
    /// other workers are all busy sending batches. The fair claim gives every tenant with due
    /// work its earliest first, so a tenant's new message goes out now, not behind another
    /// tenant's backlog; the other workers drain the rest.
    ///
    /// It also sends, each batch at once and side by side, what this node's ingest `handed`
    /// it (`handoff.rs`); those are handed over until `stop`, and sent before it returns.
    pub async fn run_express(self, handed: Option<Handed>, mut stop: watch::Receiver<bool>) {
        let limit = self.app.config.delivery.express_batch;
        let mut handed = handed;
        // Claims and handed batches are sent side by side, so a handed message never waits
        // for a claimed batch to be sent; one claim at a time. Handed batches that arrive while
        // `HANDED_SENDS` are being sent wait and then go together, as one batch of up to
        // `delivery.batch`: one lookup and one finishing transaction for many small batches.
        let most = self.app.config.delivery.batch as usize;
        let mut sending = JoinSet::new();
        let mut claim: Option<tokio::task::Id> = None;
        let mut handed_sends = 0;
        while !*stop.borrow() {
            tokio::select! {
                _ = self.app.arrivals.notified(), if claim.is_none() => {
                    let lane = self.clone();
                    let task = sending.spawn(async move {
                        match lane.run_once_up_to(limit).await {
                            Ok((_, recording)) => finish(recording).await,
                            Err(e) => tracing::error!(error = %e, "the express lane could not claim work"),
                        }
                    });
                    claim = Some(task.id());
                }
                Some(first) = async { handed.as_mut()?.recv().await }, if handed_sends < HANDED_SENDS => {
                    let mut batches = vec![first];
                    let mut jobs = batches[0].jobs.len();
                    while jobs < most
                        && let Some(more) = handed.as_mut().and_then(|h| h.try_recv().ok())
                    {
                        jobs += more.jobs.len();
                        batches.push(more);
                    }
                    handed_sends += 1;
                    sending.spawn(self.clone().send_handed(batches));
                }
                Some(done) = sending.join_next_with_id(), if !sending.is_empty() => {
                    let id = match &done {
                        Ok((id, ())) => *id,
                        Err(e) => e.id(),
                    };
                    if claim == Some(id) {
                        claim = None;
                    } else {
                        handed_sends -= 1;
                    }
                }
                changed = stop.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        if let Some(mut handed) = handed {
            handed.close();
            let mut rest = Vec::new();
            while let Some(batch) = handed.recv().await {
                rest.push(batch);
            }
            if !rest.is_empty() {
                sending.spawn(self.clone().send_handed(rest));
            }
        }
        while sending.join_next().await.is_some() {}
    }

    /// Sends notifications ingest leased to this lane as it stored them, with the tenants and
    /// rules ingest planned them with a moment ago.
    async fn send_handed(self, batches: Vec<HandedBatch>) {
        let d = &self.app.config.delivery;
        // The leases were taken with the batches, a moment ago: a quarter is kept in hand as
        // after a claim.
        let cutoff = Instant::now() + Duration::from_millis(d.lease_ms * 3 / 4);
        let mut jobs = Vec::new();
        let mut known = Known::default();
        for HandedBatch {
            jobs: more,
            tenant,
            rules,
        } in batches
        {
            jobs.extend(more);
            for r in rules {
                known.rules.insert((tenant.id, r.id), Ok(Some(r)));
            }
            known.tenants.insert(tenant.id, Ok(Some(tenant)));
        }
        let n = jobs.len();
        match self.send(jobs, known, cutoff, self.app.clock.now()).await {
            Ok(recording) => finish(Some(recording)).await,
            Err(e) => {
                tracing::error!(error = %e, "the express lane could not send what ingest handed it; claimed again when the leases run out")
            }
        }
        if let Some(handoff) = self.app.handoff.get() {
            handoff.done(n);
        }
    }
}

/// Handed batches the express lane sends at once; more wait and go together.
const HANDED_SENDS: usize = 2;

/// Tenants and rules a batch's jobs need, as read (or why they cannot be read).
#[derive(Default)]
struct Known {
    tenants: HashMap<TenantId, Looked<Tenant>>,
    rules: HashMap<(TenantId, RuleId), Looked<Rule>>,
}

/// A lookup's answer: found or not, or why the stored value cannot be read.
type Looked<T> = Result<Option<T>, String>;

/// A sent batch's outcomes being recorded, in the background.
pub type Recording = tokio::task::JoinHandle<()>;

/// Claimed notifications, with the instant they were claimed at and the cut-off past which
/// none is sent (inside their lease).
struct Batch {
    jobs: Vec<DeliveryJob>,
    cutoff: Instant,
    now: Timestamp,
}

/// What a draining worker carries from one batch to the next (`Worker::run_overlapping`): the
/// next batch's claim, made while this one is sent, and the last one's recording.
#[derive(Default)]
pub struct Pipeline {
    next: Option<tokio::task::JoinHandle<anyhow::Result<Batch>>>,
    recording: Option<Recording>,
}

/// Waits until `recording` (if any) is done.
async fn finish(recording: Option<Recording>) {
    if let Some(recording) = recording
        && let Err(e) = recording.await
    {
        tracing::error!(error = %e, "recording a batch's outcomes failed");
    }
}

/// Sets the `avisera_notifications_scheduled` gauge from the store.
pub async fn count_scheduled(app: &App) {
    match app.store.count_scheduled().await {
        Ok(n) => app.metrics.set_scheduled(n),
        Err(e) => tracing::warn!(error = %e, "could not count the scheduled notifications"),
    }
    super::limits::count_held(app).await;
}

/// Why the job's rule no longer sends it, if so.
fn rule_stopped(job: &DeliveryJob, tenant: &Tenant, rule: Option<&Rule>, now: Timestamp) -> Option<String> {
    let id = job.rule_id?;
    match rule {
        None => Some(avisera_domain::reason::make("rule_gone", &[("rule", &id.to_string())])),
        Some(r) if !r.enabled => Some(avisera_domain::reason::make(
            "rule_disabled",
            &[("rule", &id.to_string()), ("name", &r.name)],
        )),
        Some(r) if !tenant.plan.allows(r.trigger) => Some(avisera_domain::reason::make(
            "plan_lacks_trigger",
            &[
                ("plan", &tenant.plan.to_string()),
                ("trigger", &r.trigger.to_string()),
                ("rule", &id.to_string()),
            ],
        )),
        Some(r) if !r.is_active_at(now) => Some(avisera_domain::reason::make(
            "rule_inactive",
            &[("rule", &id.to_string()), ("name", &r.name)],
        )),
        Some(_) => None,
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the sending code panicked".into())
}

/// A lookup's answer for the batch: found or not, or why the stored data cannot be read. Any
/// other error (the database does not answer) stops the batch, whose lease then runs out.
fn unreadable<T>(
    found: Result<Option<T>, avisera_store::StoreError>,
) -> Result<Result<Option<T>, String>, avisera_store::StoreError> {
    match found {
        Ok(found) => Ok(Ok(found)),
        Err(avisera_store::StoreError::Corrupt(why)) => Ok(Err(why)),
        Err(e) => Err(e),
    }
}
