//! One claimed message, from the send-time decision to its recorded outcome: the facts are
//! gathered, `domain::dispatch` decides, an SMS reserves its price against the budget (or
//! becomes the rule's email), the channel sends before the claim's cut-off, the store records.

use super::channel::SendError;
use super::router::Router;
use crate::app::App;
use avisera_domain::Timestamp;
use avisera_domain::billing::{Charge, Month};
use avisera_domain::dispatch::{self, Dispatch, OverBudget, SendTime};
use avisera_domain::holidays::Country;
use avisera_domain::notification::Channel;
use avisera_domain::planner::{Situation, email_instead};
use avisera_domain::rule::Rule;
use avisera_domain::tenant::Tenant;
use avisera_domain::working_days::allowed_from;
use avisera_store::{DeliveryJob, DeliveryOutcome, DeliveryStore, Reservation, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::time::Instant;

/// What the worker knows about one claimed job before it starts on it.
pub struct Claimed {
    pub job: DeliveryJob,
    pub tenant: Option<Tenant>,
    pub rule: Option<Rule>,
    /// Why its rule no longer sends it, if so.
    pub rule_stopped: Option<String>,
    /// When its recipient opted out of the tenant's messages, if so (looked up for the batch).
    pub opted_out: Option<Timestamp>,
    /// Why its receiver's chosen channels leave it out, if they do (looked up for the batch).
    pub declined: Option<String>,
    /// What it costs when sent (none when not billable).
    pub charge: Option<Charge>,
    /// Its price's reservation against the tenant's SMS budget, made for the batch (none when
    /// no budget applies to it).
    pub reservation: Option<Reservation>,
    /// Its channel's providers.
    pub router: Arc<Router>,
    /// Nothing is sent past this instant: it lies inside the claim's lease.
    pub cutoff: Instant,
    /// How long the lease lasts past `cutoff` (a quarter of it).
    pub after_cutoff: std::time::Duration,
}

/// A claimed job's outcome to record, and the provider its last call reached (none when no
/// provider was called).
#[derive(Debug)]
pub struct Done {
    pub outcome: DeliveryOutcome,
    pub provider: Option<String>,
}

impl From<DeliveryOutcome> for Done {
    fn from(outcome: DeliveryOutcome) -> Self {
        Done {
            outcome,
            provider: None,
        }
    }
}

/// Decides and sends one job; returns the outcome to record (`None` when there is nothing
/// more to record: the SMS became an email, or its reservation was lost, or the store did not
/// answer and the lease will hand the job out again).
pub async fn deliver(app: App, worker: String, c: Claimed) -> Option<Done> {
    let store: &dyn DeliveryStore = app.store.as_ref();
    match decide_and_send(&app, store, &worker, &c).await {
        Ok(Some(done)) => {
            tracing::info!(outcome = ?done.outcome, provider = done.provider.as_deref(), "delivery finished");
            Some(done)
        }
        Ok(None) => None,
        Err(e) => {
            // The lease runs out and the job is claimed again; nothing was sent.
            tracing::error!(error = %e, "could not prepare the delivery");
            None
        }
    }
}

/// The `outcome` label of the deliveries metric.
pub fn outcome_label(outcome: &DeliveryOutcome) -> &'static str {
    match outcome {
        DeliveryOutcome::Sent { .. } => "sent",
        DeliveryOutcome::Failed { .. } => "failed",
        DeliveryOutcome::RetryAt { .. } | DeliveryOutcome::Deferred { .. } => "retry",
        DeliveryOutcome::Cancelled { .. } => "cancelled",
    }
}

/// The outcome to record, or `None` when there is nothing (more) to record.
async fn decide_and_send(
    app: &App,
    store: &dyn DeliveryStore,
    worker: &str,
    c: &Claimed,
) -> Result<Option<Done>, StoreError> {
    let job = &c.job;
    let now = app.clock.now();
    let channel = job.message.channel();
    let zone = job.time_zone.as_deref().and_then(|z| jiff::tz::TimeZone::get(z).ok());
    // Quiet hours, and for a rule on working days only the receiver's days off, as planned.
    let after_quiet = |t: Timestamp| match (&c.rule, &zone) {
        (Some(rule), Some(zone)) => {
            let country = job.time_zone.as_deref().and_then(Country::of_zone);
            allowed_from(t, rule, channel, zone, country)
        }
        _ => t,
    };
    let limits = c
        .tenant
        .as_ref()
        .map(|t| t.billing.message_limits())
        .unwrap_or_default();
    let decision = dispatch::decide(&SendTime {
        message: &job.message,
        limits,
        rule_stopped: c.rule_stopped.as_deref(),
        // An opt-out counts from the moment it is made, also for what was planned before.
        opted_out: c.opted_out,
        declined: c.declined.as_deref(),
        quiet_until: Some(after_quiet(now)),
        now,
    });
    match decision {
        Dispatch::Send => {}
        Dispatch::Defer { until, reason } => return Ok(Some(DeliveryOutcome::Deferred { until, reason }.into())),
        Dispatch::Cancel { reason } => return Ok(Some(DeliveryOutcome::Cancelled { reason }.into())),
        Dispatch::Fail { reason } => return Ok(Some(DeliveryOutcome::Failed { reason }.into())),
    }
    if let Some(done) = hold_budget(app, store, worker, c, now).await? {
        return Ok(done.map(Done::from));
    }
    if Instant::now() >= c.cutoff {
        // Too little of the lease is left to send safely; another claim sends it soon.
        return Ok(Some(
            DeliveryOutcome::Deferred {
                until: now,
                reason: avisera_domain::reason::make("claim_expired", &[]),
            }
            .into(),
        ));
    }
    // The providers in order, on to the next when one refuses (router.rs).
    let routed = c.router.send(job, c.cutoff, app.clock.as_ref(), &app.metrics).await;
    let now = app.clock.now();
    if routed.result.is_ok() {
        let waited = now.duration_since(job.created_at);
        app.metrics
            .delivery_latency(channel_label(channel), &routed.provider, waited.as_secs_f64());
    }
    let outcome = match routed.result {
        Ok(provider_id) => DeliveryOutcome::Sent {
            provider_id,
            charge: c.charge,
        },
        Err(SendError::Permanent(reason)) => DeliveryOutcome::Failed { reason },
        Err(error) => {
            let unsure = matches!(error, SendError::Transient(_));
            let reason = error.to_string();
            match app
                .config
                .delivery
                .retry
                .next_attempt(job.attempt, now, rand::random::<f64>())
            {
                // A provider that did not answer may have taken it: no other gets it before
                // the lease would have run out, so a retry reaching it again (same key) is
                // recognised rather than sent twice.
                Some(at) if unsure => DeliveryOutcome::RetryAt {
                    at: after_quiet(at.max(lease_end(c, now))),
                    reason,
                },
                Some(at) => DeliveryOutcome::RetryAt {
                    at: after_quiet(at),
                    reason,
                },
                None => DeliveryOutcome::Failed {
                    reason: avisera_domain::reason::make(
                        "gave_up",
                        &[("attempts", &job.attempt.to_string()), ("why", &reason)],
                    ),
                },
            }
        }
    };
    Ok(Some(Done {
        outcome,
        provider: Some(routed.provider),
    }))
}

/// When the claim's lease runs out (as this node's clock sees it).
fn lease_end(c: &Claimed, now: Timestamp) -> Timestamp {
    let left = c.cutoff.saturating_duration_since(Instant::now()) + c.after_cutoff;
    now.checked_add(left).unwrap_or(now)
}

/// For an SMS whose price the tenant's budget refused (reserved for the batch, `budget.rs`):
/// turns it into the rule's email, or cancels it. `Some` when the SMS must not be sent (with
/// the outcome still to record, if any).
async fn hold_budget(
    app: &App,
    store: &dyn DeliveryStore,
    worker: &str,
    c: &Claimed,
    now: Timestamp,
) -> Result<Option<Option<DeliveryOutcome>>, StoreError> {
    let committed = match c.reservation {
        None | Some(Reservation::Reserved) => return Ok(None),
        Some(Reservation::Lost) => return Ok(Some(None)),
        Some(Reservation::Refused { committed }) => committed,
    };
    let (Some(tenant), Some(budget)) = (&c.tenant, c.tenant.as_ref().and_then(|t| t.billing.sms_budget_ore)) else {
        return Ok(None);
    };
    let month = Month::of(now);
    let (budget, month, spent) = (budget.to_string(), month.label(), committed.to_string());
    let used = [
        ("budget", budget.as_str()),
        ("month", month.as_str()),
        ("spent", spent.as_str()),
    ];
    let why = avisera_domain::reason::make("sms_budget_used", &used);
    let rule = match (dispatch::over_budget(c.rule.as_ref(), &why), c.rule.as_ref()) {
        (OverBudget::SwitchToEmail, Some(rule)) => rule,
        (OverBudget::Cancel { reason }, _) => return Ok(Some(Some(DeliveryOutcome::Cancelled { reason }))),
        (OverBudget::SwitchToEmail, None) => return Ok(Some(Some(DeliveryOutcome::Cancelled { reason: why }))),
    };
    let email = match rendered_email(app, store, tenant, rule, &c.job, now).await? {
        Ok(email) => email,
        Err(not_sent) => {
            let reason = avisera_domain::reason::make(
                "sms_budget_no_email",
                &[&used[..], &[("why", not_sent.reason())]].concat(),
            );
            return Ok(Some(Some(DeliveryOutcome::Cancelled { reason })));
        }
    };
    let reason = avisera_domain::reason::make(
        "sms_budget_switched",
        &[&used[..], &[("to", email.recipient.as_str())]].concat(),
    );
    if store
        .switch_to_email(tenant.id, c.job.id, worker, &reason, &email, now)
        .await?
    {
        app.metrics.delivery("cancelled", "sms", c.router.first());
        app.work.notify_one();
    }
    Ok(Some(None))
}

/// The rule's email for the job's shipment, rendered as the planner renders it.
async fn rendered_email(
    app: &App,
    store: &dyn DeliveryStore,
    tenant: &Tenant,
    rule: &Rule,
    job: &DeliveryJob,
    now: Timestamp,
) -> Result<Result<avisera_domain::planner::PlannedNotification, avisera_domain::planner::NotSent>, StoreError> {
    use avisera_domain::planner::NotSent;
    let shipment = match job.shipment_id {
        Some(id) => store.shipment_by_id(tenant.id, id).await?,
        None => None,
    };
    let Some(shipment) = shipment else {
        return Ok(Err(NotSent::Cancelled(avisera_domain::reason::make(
            "shipment_gone",
            &[],
        ))));
    };
    let templates: BTreeMap<_, _> = match rule.email_template_id {
        Some(id) => store
            .template(tenant.id, id)
            .await?
            .map(|t| (t.id, t))
            .into_iter()
            .collect(),
        None => BTreeMap::new(),
    };
    let situation = Situation {
        tenant,
        shipment: &shipment,
        event: None,
        fired: &[],
        rules: std::slice::from_ref(rule),
        templates: &templates,
        links: app.links.as_ref(),
        now,
        sms_blocked: None,
        suppressed: &Default::default(),
    };
    // The key is replaced by one made from the SMS's own in the store.
    Ok(email_instead(&situation, rule, "email-instead"))
}

/// The `channel` label.
pub fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Sms => "sms",
        Channel::Email => "email",
    }
}
