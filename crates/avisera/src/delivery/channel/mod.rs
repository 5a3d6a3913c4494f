//! A channel carries one stored message to its provider and says how that went.

pub mod dev_inbox;
pub mod sms_http;
pub mod smtp;

use async_trait::async_trait;
use avisera_store::DeliveryJob;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The provider did not take it (a 5xx, a 429, a connection that could not be made): the
    /// next provider may take it now, or this one later.
    #[error("{0}")]
    Refused(String),
    /// No answer in time, or the connection broke mid-request: the provider may have taken
    /// it, so only a later try with the same idempotency key is safe.
    #[error("{0}")]
    Transient(String),
    /// Will never work: a rejected number or address, a 4xx.
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    /// How the call ended, for the failover decision.
    pub fn call_end(&self) -> avisera_domain::failover::CallEnd {
        use avisera_domain::failover::CallEnd;
        match self {
            SendError::Refused(_) => CallEnd::Refused,
            SendError::Transient(_) => CallEnd::Unsure,
            SendError::Permanent(_) => CallEnd::Rejected,
        }
    }
}

#[async_trait]
pub trait Sender: Send + Sync {
    /// Sends the job's message; on success the provider's id for it, if it gave one.
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError>;
}

/// Stands in for a channel nobody configured: every message fails with the reason.
pub struct Unconfigured(pub &'static str);

#[async_trait]
impl Sender for Unconfigured {
    async fn send(&self, _job: &DeliveryJob) -> Result<Option<String>, SendError> {
        Err(SendError::Permanent(self.0.to_string()))
    }
}
