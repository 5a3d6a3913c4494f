//! A channel carries one stored message to its provider and says how that went.

pub mod dev_inbox;
pub mod sms_http;
pub mod smtp;

use async_trait::async_trait;
use avisera_store::DeliveryJob;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later: a timeout, a 5xx, a refused connection.
    #[error("{0}")]
    Transient(String),
    /// Will never work: a rejected number or address, a 4xx.
    #[error("{0}")]
    Permanent(String),
}

#[async_trait]
pub trait Sender: Send + Sync {
    /// Sends the job's message; on success the provider's id for it, if it gave one.
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError>;
    /// The `provider` label of its metrics: what kind of provider it talks to, never a tenant.
    fn provider(&self) -> &'static str {
        "other"
    }
}

/// Stands in for a channel nobody configured: every message fails with the reason.
pub struct Unconfigured(pub &'static str);

#[async_trait]
impl Sender for Unconfigured {
    fn provider(&self) -> &'static str {
        "unconfigured"
    }
    async fn send(&self, _job: &DeliveryJob) -> Result<Option<String>, SendError> {
        Err(SendError::Permanent(self.0.to_string()))
    }
}
