//! What every part of a running Avisera shares: the store, the clock, the configuration, the
//! dev inbox, and the signal that wakes the delivery worker; and the contexts core's
//! operations take, cut from it.

use crate::config::Config;
use crate::delivery::channel::dev_inbox::DevInbox;
use crate::delivery::handoff::{HandedBatch, Handoff};
use crate::links::SignedLinks;
use crate::metrics::Metrics;
use avisera_core::ingest::{BatchCounts, Ingest, IngestObserver, Leased, Source};
use avisera_core::replay::ReplayContext;
use avisera_core::rules::Change;
use avisera_core::templates::PreviewContext;
use avisera_core::users::LoginThrottle;
use avisera_domain::mapping::Mapping;
use avisera_domain::{Clock, RuleId};
use avisera_store::{Lease, Store};
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub inbox: Option<DevInbox>,
    /// Poked when new notifications are committed, so delivery starts at once.
    pub work: Arc<Notify>,
    /// Poked with `work`, for the express lane alone (`Worker::run_express`): one wake is kept
    /// while the lane is busy, however many arrive.
    pub arrivals: Arc<Notify>,
    /// Poked with `work` when this node stored notifications: workers on other nodes are told
    /// (see `server::announce_work`).
    pub announce: Arc<Notify>,
    /// Signs and checks the tracking and opt-out links in messages.
    pub links: Arc<SignedLinks>,
    /// The shipped event-code mapping with the operator's lines over it.
    pub mapping: Arc<Mapping>,
    pub metrics: Arc<Metrics>,
    /// Failed portal sign-ins per email, to slow guessing.
    pub throttle: Arc<LoginThrottle>,
    /// This node's express lane's share of what ingest stores, once the lane runs.
    pub handoff: Arc<OnceLock<Handoff>>,
}

impl App {
    /// Core's door for events, with this node's store, clock, links, mapping and metrics.
    pub fn ingest(&self) -> Ingest<'_> {
        Ingest {
            store: self.store.as_ref(),
            clock: self.clock.as_ref(),
            links: self.links.as_ref(),
            mapping: self.mapping.as_ref(),
            observer: self,
        }
    }

    /// How this installation writes links and what it charges, for template previews.
    pub fn preview(&self) -> PreviewContext<'_> {
        PreviewContext {
            links: self.links.as_ref(),
            prices: &self.config.prices,
        }
    }

    /// How this node decides and prices, for replaying a rule over stored events.
    pub fn replay(&self) -> ReplayContext<'_> {
        ReplayContext {
            store: self.store.as_ref(),
            links: self.links.as_ref(),
            mapping: self.mapping.as_ref(),
            prices: &self.config.prices,
        }
    }

    /// New notifications are stored: this node's workers and its express lane start on them,
    /// and those of other nodes are told.
    pub fn wake_workers(&self) {
        self.work.notify_one();
        self.arrivals.notify_one();
        self.announce.notify_one();
    }

    /// Another node stored notifications: every idle worker of this node, a permit for one
    /// that is busy, and the express lane.
    pub fn work_arrived(&self) {
        self.work.notify_waiters();
        self.work.notify_one();
        self.arrivals.notify_one();
    }

    /// A change made now by `actor`, for a rule's history.
    pub fn change<'a>(&self, actor: &'a str) -> Change<'a> {
        Change {
            actor,
            now: self.clock.now(),
        }
    }
}

/// A stored batch is counted in the metrics, and new notifications wake the worker.
impl IngestObserver for App {
    fn stored(&self, source: Source, took: Duration, counts: &BatchCounts) {
        let m = &self.metrics;
        m.ingest_batch(source, took);
        m.events(source, "accepted", counts.accepted);
        m.events(source, "duplicate", counts.duplicates);
        m.notifications_created(counts.notifications);
        if counts.unknown_codes > 0 {
            m.unknown_codes(source, counts.unknown_codes);
        }
    }

    fn lease(&self) -> Option<Lease<'_>> {
        self.handoff.get()?.lease(self.clock.as_ref())
    }

    fn new_work(&self, leased: Leased<'_>, waiting: bool) {
        if let Some(handoff) = self.handoff.get()
            && !leased.jobs.is_empty()
        {
            self.metrics.handed_off(leased.jobs.len() as u64);
            let used: HashSet<RuleId> = leased.jobs.iter().filter_map(|j| j.rule_id).collect();
            handoff.hand(HandedBatch {
                tenant: leased.tenant.clone(),
                rules: leased.rules.iter().filter(|r| used.contains(&r.id)).cloned().collect(),
                jobs: leased.jobs,
            });
        }
        if waiting {
            self.wake_workers();
        }
    }
}
