//! The dev inbox: keeps what would have been sent, newest first, in memory, for `demo` and
//! for development. Shown at `/dev/inbox`.

use super::{SendError, Sender};
use async_trait::async_trait;
use avisera_domain::notification::Message;
use avisera_store::DeliveryJob;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

const KEEP: usize = 1_000;

#[derive(Debug, Clone, Serialize)]
pub struct InboxEntry {
    pub notification_id: i64,
    pub tenant_id: i64,
    pub idempotency_key: String,
    pub received_at: String,
    #[serde(flatten)]
    pub message: Message,
}

#[derive(Clone, Default)]
pub struct DevInbox {
    entries: Arc<Mutex<VecDeque<InboxEntry>>>,
    clock: Option<Arc<dyn avisera_domain::Clock>>,
}

impl DevInbox {
    pub fn new(clock: Arc<dyn avisera_domain::Clock>) -> Self {
        DevInbox {
            entries: Arc::default(),
            clock: Some(clock),
        }
    }

    pub fn entries(&self) -> Vec<InboxEntry> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}

#[async_trait]
impl Sender for DevInbox {
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Like a real provider, the same idempotency key delivers once.
        if !entries.iter().any(|e| e.idempotency_key == job.idempotency_key) {
            entries.push_front(InboxEntry {
                notification_id: job.id.0,
                tenant_id: job.tenant_id.0,
                idempotency_key: job.idempotency_key.clone(),
                received_at: self.clock.as_ref().map(|c| c.now().to_string()).unwrap_or_default(),
                message: job.message.clone(),
            });
            entries.truncate(KEEP);
        }
        Ok(Some(format!("dev-inbox-{}", job.id)))
    }
}
