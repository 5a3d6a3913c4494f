//! The dev inbox: keeps what would have been sent, newest first, in memory, for `demo` and
//! for development. Shown at `/dev/inbox`.

use super::{SendError, Sender};
use async_trait::async_trait;
use avisera_domain::notification::Message;
use avisera_store::DeliveryJob;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The newest this many are kept.
pub const KEEP: usize = 1_000;

#[derive(Debug, Clone, Serialize)]
pub struct InboxEntry {
    /// Counts up from 1 in arrival order: a page asks for what came after the newest it shows.
    pub seq: u64,
    pub notification_id: i64,
    pub tenant_id: i64,
    pub idempotency_key: String,
    pub received_at: String,
    #[serde(flatten)]
    pub message: Message,
}

/// What a reader asks of the inbox: a search, what came after an entry, a page.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// Case-insensitive, in the recipient, the subject or the text.
    pub search: Option<String>,
    /// Only entries newer than this `seq`.
    pub after: Option<u64>,
    pub offset: usize,
    pub limit: usize,
}

/// One page of what matched, newest first, and how many matched in all.
#[derive(Debug, Clone, Serialize)]
pub struct InboxPage {
    pub messages: Vec<InboxEntry>,
    pub total: usize,
    /// The newest `seq` in the inbox (0 when empty), to ask for what comes after it.
    pub newest: u64,
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

    /// The entries that match `q`, newest first, one page of them.
    pub fn page(&self, q: &InboxQuery) -> InboxPage {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let needle = q
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_lowercase);
        let matching: Vec<&InboxEntry> = entries
            .iter()
            .filter(|e| q.after.is_none_or(|after| e.seq > after))
            .filter(|e| needle.as_deref().is_none_or(|n| matches(e, n)))
            .collect();
        InboxPage {
            total: matching.len(),
            messages: matching.into_iter().skip(q.offset).take(q.limit).cloned().collect(),
            newest: entries.front().map_or(0, |e| e.seq),
        }
    }
}

#[async_trait]
impl Sender for DevInbox {
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Like a real provider, the same idempotency key delivers once.
        if !entries.iter().any(|e| e.idempotency_key == job.idempotency_key) {
            let seq = entries.front().map_or(0, |e| e.seq) + 1;
            entries.push_front(InboxEntry {
                seq,
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

fn matches(e: &InboxEntry, needle: &str) -> bool {
    let has = |s: &str| s.to_lowercase().contains(needle);
    match &e.message {
        Message::Sms { to, text, sender_id } => has(to) || has(text) || has(sender_id),
        Message::Email { to, subject, text, .. } => has(to) || has(subject) || has(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avisera_domain::{NotificationId, TenantId, Timestamp};

    fn sms(id: i64, to: &str, text: &str) -> DeliveryJob {
        DeliveryJob {
            id: NotificationId(id),
            tenant_id: TenantId(1),
            message: Message::Sms {
                sender_id: "Webshop".into(),
                to: to.into(),
                text: text.into(),
            },
            idempotency_key: format!("k{id}"),
            attempt: 1,
            billable: true,
            rule_id: None,
            time_zone: None,
            shipment_id: None,
            created_at: Timestamp::UNIX_EPOCH,
            due_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[tokio::test]
    async fn a_reader_searches_pages_and_asks_only_for_what_is_new() {
        let inbox = DevInbox::default();
        for id in 1..=5 {
            let to = if id % 2 == 0 { "+46700000002" } else { "+46700000001" };
            inbox
                .send(&sms(id, to, &format!("Paket PKG{id} är levererat")))
                .await
                .unwrap();
        }
        let all = inbox.page(&InboxQuery {
            limit: 2,
            ..Default::default()
        });
        assert_eq!((all.total, all.newest), (5, 5));
        let seqs: Vec<u64> = all.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [5, 4], "newest first, one page");
        let older = inbox.page(&InboxQuery {
            offset: 2,
            limit: 2,
            ..Default::default()
        });
        assert_eq!(older.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [3, 2]);
        let found = inbox.page(&InboxQuery {
            search: Some("pkg3".into()),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(
            found.messages.iter().map(|m| m.notification_id).collect::<Vec<_>>(),
            [3]
        );
        let to_two = inbox.page(&InboxQuery {
            search: Some("0000002".into()),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(to_two.total, 2);
        let new = inbox.page(&InboxQuery {
            after: Some(4),
            limit: 10,
            ..Default::default()
        });
        assert_eq!(new.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [5]);
    }
}
