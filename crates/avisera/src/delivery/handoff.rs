//! Ingest's shortcut to this node's express lane: a batch's notifications that are due at once
//! are leased to the lane in ingest's own transaction and handed to it in memory, so the first
//! send waits for no wake-up, no claim and no other node. What the lane does not send (the node
//! dies, or stops first) is claimed again when the lease runs out, like any dead claim.

use avisera_domain::rule::Rule;
use avisera_domain::tenant::Tenant;
use avisera_domain::{Clock, Timestamp};
use avisera_store::{DeliveryJob, Lease};
use jiff::SignedDuration;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

pub struct Handoff {
    /// The lane's name: the owner of the leases it is handed.
    owner: String,
    lease: SignedDuration,
    /// The most notifications of one batch the lane takes; a batch with more is claimed (a
    /// backlog is shared out fairly by the claim, not ridden in the lane).
    per_batch: usize,
    /// The most notifications handed to the lane and not yet sent.
    most_in_flight: usize,
    in_flight: AtomicUsize,
    lane: mpsc::UnboundedSender<HandedBatch>,
}

/// One batch's jobs handed to the lane, with the tenant and the rules ingest planned them with
/// a moment ago: what a claim's worker would read again before sending.
pub struct HandedBatch {
    pub jobs: Vec<DeliveryJob>,
    pub tenant: Tenant,
    pub rules: Vec<Rule>,
}

/// What the lane receives: the jobs handed to it, batch by batch.
pub type Handed = mpsc::UnboundedReceiver<HandedBatch>;

impl Handoff {
    pub fn new(owner: String, lease_ms: u64, per_batch: usize, most_in_flight: usize) -> (Handoff, Handed) {
        let (lane, handed) = mpsc::unbounded_channel();
        let handoff = Handoff {
            owner,
            lease: SignedDuration::from_millis(lease_ms.min(i64::MAX as u64) as i64),
            per_batch,
            most_in_flight,
            in_flight: AtomicUsize::new(0),
            lane,
        };
        (handoff, handed)
    }

    /// The lease a batch stored now may take its due notifications with, if the lane has room.
    pub fn lease(&self, clock: &dyn Clock) -> Option<Lease<'_>> {
        let room = self
            .most_in_flight
            .saturating_sub(self.in_flight.load(Ordering::Relaxed));
        let most = self.per_batch.min(room);
        if most == 0 || self.lane.is_closed() {
            return None;
        }
        let until: Timestamp = clock.now().checked_add(self.lease).ok()?;
        Some(Lease {
            owner: &self.owner,
            until,
            most,
        })
    }

    /// Gives the lane the jobs a committed batch leased to it.
    pub fn hand(&self, batch: HandedBatch) {
        if batch.jobs.is_empty() {
            return;
        }
        let n = batch.jobs.len();
        self.in_flight.fetch_add(n, Ordering::Relaxed);
        if self.lane.send(batch).is_err() {
            self.in_flight.fetch_sub(n, Ordering::Relaxed);
            tracing::warn!(
                notifications = n,
                "the express lane has stopped: these are sent when their lease runs out"
            );
        }
    }

    /// The lane has sent (or given up on) `n` handed notifications.
    pub fn done(&self, n: usize) {
        self.in_flight.fetch_sub(n, Ordering::Relaxed);
    }
}
