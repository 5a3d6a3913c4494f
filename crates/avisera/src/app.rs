//! What every part of a running Avisera shares: the store, the clock, the configuration, the
//! dev inbox, and the signal that wakes the delivery worker.

use crate::config::Config;
use crate::delivery::channel::dev_inbox::DevInbox;
use crate::links::SignedLinks;
use crate::metrics::Metrics;
use avisera_domain::Clock;
use avisera_domain::mapping::Mapping;
use avisera_store::Store;
use std::sync::Arc;
use tokio::sync::Notify;

#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub inbox: Option<DevInbox>,
    /// Poked when new notifications are committed, so delivery starts at once.
    pub work: Arc<Notify>,
    /// Signs and checks the tracking and opt-out links in messages.
    pub links: Arc<SignedLinks>,
    /// The shipped event-code mapping with the operator's lines over it.
    pub mapping: Arc<Mapping>,
    pub metrics: Arc<Metrics>,
    /// Failed portal sign-ins per email, to slow guessing.
    pub throttle: Arc<crate::portal::LoginThrottle>,
}
