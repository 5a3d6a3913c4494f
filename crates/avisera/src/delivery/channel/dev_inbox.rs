//! The dev inbox: keeps what would have been sent, newest first, in memory, for `demo` and
//! for development. Shown at `/dev/inbox`.

use super::{SendError, Sender};
use async_trait::async_trait;
use avisera_domain::notification::Message;
use avisera_store::DeliveryJob;
use serde::Serialize;
use std::collections::{HashSet, VecDeque};
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

/// What a reader asks of the inbox: a search, what came after an entry, a page. A page is
/// named by the entry it starts below (`before`), not by how many to skip, so it stays the
/// same page while new messages arrive above it.
#[derive(Debug, Clone, Default)]
pub struct InboxQuery {
    /// Case-insensitive, in the recipient, the subject or the text.
    pub search: Option<String>,
    /// Only entries newer than this `seq`.
    pub after: Option<u64>,
    /// Only entries older than this `seq` (the page below one that ends at it).
    pub before: Option<u64>,
    pub offset: usize,
    pub limit: usize,
}

/// One page of what matched, newest first, and how many matched in all.
#[derive(Debug, Clone, Serialize)]
pub struct InboxPage {
    pub messages: Vec<InboxEntry>,
    /// How many match the search (and `after`), on this page and the others.
    pub total: usize,
    /// The newest `seq` in the inbox (0 when empty), to ask for what comes after it.
    pub newest: u64,
    /// How many that match are above this page (newer than it).
    pub above: usize,
    /// The `before` of the next older page; none when this page is the last.
    pub older: Option<u64>,
    /// The `before` of the next newer page: `Some(None)` when it is the first page (which
    /// takes new messages as they come), none when this page is the first.
    pub newer: Option<Option<u64>>,
}

#[derive(Clone, Default)]
pub struct DevInbox {
    entries: Arc<Mutex<Kept>>,
    clock: Option<Arc<dyn avisera_domain::Clock>>,
}

/// The newest entries, and their idempotency keys to tell a message sent again at once.
#[derive(Default)]
struct Kept {
    entries: VecDeque<InboxEntry>,
    keys: HashSet<String>,
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
            .entries
            .iter()
            .cloned()
            .collect()
    }

    /// The entries that match `q`, newest first, one page of them.
    pub fn page(&self, q: &InboxQuery) -> InboxPage {
        let kept = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entries = &kept.entries;
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
        // Newest first, so the entries above the page are a prefix.
        let above = q
            .before
            .map_or(0, |before| matching.iter().take_while(|e| e.seq >= before).count());
        let start = (above + q.offset).min(matching.len());
        let end = (start + q.limit).min(matching.len());
        let older = (end < matching.len() && end > 0).then(|| matching[end - 1].seq);
        let newer = (start > 0).then(|| {
            let newer_start = start.saturating_sub(q.limit);
            (newer_start > 0).then(|| matching[newer_start].seq + 1)
        });
        InboxPage {
            total: matching.len(),
            messages: matching[start..end].iter().map(|e| (*e).clone()).collect(),
            newest: entries.front().map_or(0, |e| e.seq),
            above: start,
            older,
            newer,
        }
    }
}

#[async_trait]
impl Sender for DevInbox {
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError> {
        let mut kept = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let Kept { entries, keys } = &mut *kept;
        // Like a real provider, the same idempotency key delivers once.
        if keys.insert(job.idempotency_key.clone()) {
            let seq = entries.front().map_or(0, |e| e.seq) + 1;
            entries.push_front(InboxEntry {
                seq,
                notification_id: job.id.0,
                tenant_id: job.tenant_id.0,
                idempotency_key: job.idempotency_key.clone(),
                received_at: self.clock.as_ref().map(|c| c.now().to_string()).unwrap_or_default(),
                message: job.message.clone(),
            });
            while entries.len() > KEEP {
                if let Some(dropped) = entries.pop_back() {
                    keys.remove(&dropped.idempotency_key);
                }
            }
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
    async fn a_message_sent_again_with_its_key_shows_once_while_the_inbox_keeps_it() {
        let inbox = DevInbox::default();
        inbox.send(&sms(1, "+46700000001", "Paket 1")).await.unwrap();
        inbox.send(&sms(1, "+46700000001", "Paket 1")).await.unwrap();
        assert_eq!(inbox.entries().len(), 1, "the same key delivers once");
        for id in 2..=(KEEP as i64 + 1) {
            inbox.send(&sms(id, "+46700000002", "Paket")).await.unwrap();
        }
        let entries = inbox.entries();
        assert_eq!(entries.len(), KEEP, "the newest KEEP are kept");
        assert!(entries.iter().all(|e| e.notification_id != 1), "the first fell out");
        // Out of the inbox, its key is forgotten: sent again, it shows again, newest.
        inbox.send(&sms(1, "+46700000001", "Paket 1")).await.unwrap();
        let entries = inbox.entries();
        assert_eq!((entries.len(), entries[0].notification_id), (KEEP, 1));
        inbox
            .send(&sms(KEEP as i64 + 1, "+46700000002", "Paket"))
            .await
            .unwrap();
        assert_eq!(inbox.entries()[0].notification_id, 1, "a key still kept delivers once");
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

    fn seqs(page: &InboxPage) -> Vec<u64> {
        page.messages.iter().map(|m| m.seq).collect()
    }

    #[tokio::test]
    async fn an_older_page_stays_the_same_while_new_messages_arrive_above_it() {
        let inbox = DevInbox::default();
        for id in 1..=7 {
            inbox.send(&sms(id, "+46700000001", "Paket")).await.unwrap();
        }
        let first = inbox.page(&InboxQuery {
            limit: 3,
            ..Default::default()
        });
        assert_eq!((seqs(&first), first.older, first.newer), (vec![7, 6, 5], Some(5), None));
        for id in 8..=9 {
            inbox.send(&sms(id, "+46700000001", "Paket")).await.unwrap();
        }
        let second = inbox.page(&InboxQuery {
            before: first.older,
            limit: 3,
            ..Default::default()
        });
        assert_eq!(seqs(&second), [4, 3, 2], "page 2 is still page 2");
        assert_eq!(second.above, 5, "two new ones and the first page's three");
        assert_eq!(second.older, Some(2));
        let newer = inbox.page(&InboxQuery {
            before: second.newer.unwrap(),
            limit: 3,
            ..Default::default()
        });
        assert_eq!(seqs(&newer), [7, 6, 5], "the page above it, as it was");
        assert_eq!(newer.newer, Some(None), "and above that, the first page");
        let last = inbox.page(&InboxQuery {
            before: Some(2),
            limit: 3,
            ..Default::default()
        });
        assert_eq!((seqs(&last), last.older), (vec![1], None));
    }

    #[tokio::test]
    async fn a_search_pages_by_its_own_matches() {
        let inbox = DevInbox::default();
        for id in 1..=9 {
            let to = if id % 3 == 0 { "+46700000003" } else { "+46700000001" };
            inbox.send(&sms(id, to, "Paket")).await.unwrap();
        }
        let asked = |before| InboxQuery {
            search: Some("0000003".into()),
            before,
            limit: 2,
            ..Default::default()
        };
        let first = inbox.page(&asked(None));
        assert_eq!((seqs(&first), first.total), (vec![9, 6], 3));
        let second = inbox.page(&asked(first.older));
        assert_eq!((seqs(&second), second.older), (vec![3], None));
        assert_eq!(second.newer, Some(None));
    }
}
