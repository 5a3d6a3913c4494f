//! The notification log: the filter a person or a client writes, one notification with its
//! status history, and a shipment with its events and notifications (Track & Trace).

use crate::{Error, Result};
use avisera_domain::shipment::Shipment;
use avisera_domain::{NotificationId, TenantId, Timestamp};
use avisera_store::{EventStore, NotificationFilter, NotificationLog, NotificationRecord, StatusChange, StoredEvent};
use serde::{Deserialize, Serialize};

/// The log's filters as written (query parameters); an empty value filters nothing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub trigger: Option<String>,
    pub tracking_number: Option<String>,
    /// Only notifications with a smaller id (paging back from the newest).
    pub before_id: Option<i64>,
    /// How many (newest first); 100 when left out, at most `MAX_LIMIT`.
    pub limit: Option<u32>,
    /// First day (YYYY-MM-DD, Stockholm) of notifications created.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD, Stockholm), included.
    pub until: Option<String>,
}

/// The most notifications one page of the log returns.
pub const MAX_LIMIT: u32 = 1000;

fn bad(field: &'static str, message: impl Into<String>) -> Error {
    Error::Filter {
        field,
        message: message.into(),
    }
}

/// A day's bounds in Stockholm, where bills and numbers count days. A bound past the last
/// day time can hold (the day after 9999-12-31) is no bound.
fn day_start(field: &'static str, raw: &str, days_after: i64) -> Result<Option<Timestamp>> {
    let date: jiff::civil::Date = raw
        .trim()
        .parse()
        .map_err(|_| bad(field, format!("\"{raw}\" is not a date like 2026-11-25")))?;
    let zone = jiff::tz::TimeZone::get("Europe/Stockholm").expect("bundled zone");
    Ok(date
        .checked_add(jiff::Span::new().days(days_after))
        .and_then(|d| d.to_zoned_datetime(zone))
        .map(|z| z.timestamp())
        .ok())
}

impl LogQuery {
    /// The store's filter, or the first parameter that does not parse (named).
    pub fn filter(self) -> Result<NotificationFilter> {
        let given = |v: Option<String>| v.filter(|s| !s.is_empty());
        Ok(NotificationFilter {
            status: given(self.status)
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| bad("status", e))?,
            channel: given(self.channel)
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| bad("channel", e))?,
            trigger: given(self.trigger)
                .map(|s| s.parse())
                .transpose()
                .map_err(|e: avisera_domain::trigger::UnknownTrigger| bad("trigger", e.to_string()))?,
            tracking_number: given(self.tracking_number),
            before_id: self.before_id.map(NotificationId),
            created_from: given(self.from)
                .map(|d| day_start("from", &d, 0))
                .transpose()?
                .flatten(),
            created_until: given(self.until)
                .map(|d| day_start("until", &d, 1))
                .transpose()?
                .flatten(),
            limit: self.limit.unwrap_or(100).min(MAX_LIMIT),
        })
    }
}

/// One notification with its status history.
#[derive(Debug, Clone, Serialize)]
pub struct WithHistory {
    #[serde(flatten)]
    pub notification: NotificationRecord,
    pub history: Vec<StatusChange>,
    /// People's visits to the tracking link in this notification, if any.
    pub link_visits: Option<avisera_store::Visits>,
    /// People's opens of this email (its open-tracking image fetched), if any.
    pub opens: Option<avisera_store::Visits>,
}

pub async fn notification<S>(store: &S, tenant: TenantId, id: NotificationId) -> Result<WithHistory>
where
    S: NotificationLog + avisera_store::Engagement + ?Sized,
{
    let notification = store
        .notification(tenant, id)
        .await?
        .ok_or_else(|| Error::not_found(format!("notification {id}")))?;
    let history = store.notification_history(tenant, id).await?;
    let link_visits = store.link_visits(tenant, id).await?;
    let opens = store.opens(tenant, id).await?;
    Ok(WithHistory {
        notification,
        history,
        link_visits,
        opens,
    })
}

/// A shipment with its events (unknown codes included) and notifications.
#[derive(Debug, Clone, Serialize)]
pub struct ShipmentView {
    pub shipment: Shipment,
    pub events: Vec<StoredEvent>,
    pub notifications: Vec<NotificationRecord>,
}

pub async fn shipment<S>(store: &S, tenant: TenantId, tracking_number: &str) -> Result<ShipmentView>
where
    S: EventStore + NotificationLog + ?Sized,
{
    let shipment = store
        .shipment(tenant, tracking_number)
        .await?
        .ok_or_else(|| Error::not_found(format!("shipment {tracking_number}")))?;
    let events = store.shipment_events(tenant, tracking_number).await?;
    let filter = NotificationFilter {
        tracking_number: Some(tracking_number.to_string()),
        limit: MAX_LIMIT,
        ..Default::default()
    };
    let notifications = store.notifications(tenant, &filter).await?;
    Ok(ShipmentView {
        shipment,
        events,
        notifications,
    })
}

/// Cancels a message that still waits (a reminder, a delayed message), recorded in its
/// history as cancelled by `who`. A message already sent, failed or cancelled is refused with
/// its status.
pub async fn cancel<S>(store: &S, tenant: TenantId, id: NotificationId, who: &str, now: Timestamp) -> Result<()>
where
    S: avisera_store::Outbox + NotificationLog + ?Sized,
{
    if store
        .cancel_waiting(
            tenant,
            id,
            &avisera_domain::reason::make("cancelled_by", &[("who", who)]),
            now,
        )
        .await?
    {
        tracing::info!(%tenant, notification = %id, %who, "a waiting message was cancelled by hand");
        return Ok(());
    }
    match store.notification(tenant, id).await? {
        None => Err(Error::not_found(format!("notification {id}"))),
        Some(n) => Err(Error::Invalid {
            code: "not_waiting",
            field: None,
            message: format!(
                "notification {id} no longer waits (it is {}); only a waiting message can be cancelled",
                n.status
            ),
        }),
    }
}

/// Every notification created in `[from, to)`, newest first, page by page however many.
pub async fn created_between(
    store: &dyn NotificationLog,
    tenant: TenantId,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<NotificationRecord>> {
    let mut all: Vec<NotificationRecord> = Vec::new();
    loop {
        let filter = NotificationFilter {
            created_from: Some(from),
            created_until: Some(to),
            before_id: all.last().map(|n| n.id),
            limit: MAX_LIMIT,
            ..Default::default()
        };
        let page = store.notifications(tenant, &filter).await?;
        let done = page.len() < MAX_LIMIT as usize;
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// The log as a file for a person's spreadsheet (the portal's download): one notification a
/// line, text cells made inert (`csv::text_cell`), the cost in SEK to the öre (empty when not
/// billed), and who sent it when it was sent by hand (`senders`, see `manual::senders`).
pub fn spreadsheet_csv(
    notifications: &[NotificationRecord],
    senders: &std::collections::HashMap<NotificationId, String>,
) -> String {
    use crate::csv::text_cell;
    let mut out = String::from(
        "notification_id,created_at,tracking_number,trigger,channel,recipient,status,reason,sent_at,cost_sek,sent_by_hand_by\n",
    );
    for n in notifications {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            n.id,
            n.created_at,
            text_cell(&n.tracking_number),
            n.trigger.map_or("", |t| t.slug()),
            n.channel,
            text_cell(&n.recipient),
            n.status,
            text_cell(n.reason.as_deref().unwrap_or("")),
            n.sent_at.map(|t| t.to_string()).unwrap_or_default(),
            n.charge.map(|c| c.cost().to_string()).unwrap_or_default(),
            text_cell(senders.get(&n.id).map_or("", String::as_str)),
        ));
    }
    out
}
