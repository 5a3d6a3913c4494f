//! Engagement and the follow-up numbers: visits to a notification's tracking link, views of
//! a shipment's tracking page, opens of an email, and the counts the numbers are made from,
//! added up by the database. Every call is scoped by the tenant it is given.

use crate::StoreResult;
use async_trait::async_trait;
use avisera_domain::stats::{Group, Tally};
use avisera_domain::{NotificationId, ShipmentId, TenantId, Timestamp};
use serde::Serialize;

/// How often a link or page was visited by people, and when first and last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Visits {
    pub count: u64,
    pub first_at: Timestamp,
    pub last_at: Timestamp,
}

/// The most notifications of one shipment a visit's code is matched among (newest first).
pub const MAX_SHIPMENT_NOTIFICATIONS: u32 = 500;

#[async_trait]
pub trait Engagement: Send + Sync {
    /// The shipment's notifications with their dedupe keys, newest first, at most `limit`:
    /// the code in a tracking link is matched among them.
    async fn shipment_notification_keys(
        &self,
        tenant: TenantId,
        shipment: ShipmentId,
        limit: u32,
    ) -> StoreResult<Vec<(NotificationId, String)>>;
    /// Counts one visit to the notification's tracking link at `at`; the first visit's time
    /// stays. False when the tenant has no such notification.
    async fn record_link_visit(&self, tenant: TenantId, id: NotificationId, at: Timestamp) -> StoreResult<bool>;
    async fn link_visits(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>>;
    /// Counts one view of the shipment's tracking page at `at`. False when the tenant has no
    /// such shipment.
    async fn record_page_view(&self, tenant: TenantId, shipment: ShipmentId, at: Timestamp) -> StoreResult<bool>;
    async fn page_views(&self, tenant: TenantId, shipment: ShipmentId) -> StoreResult<Option<Visits>>;
    /// Counts one open of the email (its open-tracking image fetched by a person) at `at`;
    /// the first open's time stays. False when the tenant has no such notification.
    async fn record_open(&self, tenant: TenantId, id: NotificationId, at: Timestamp) -> StoreResult<bool>;
    async fn opens(&self, tenant: TenantId, id: NotificationId) -> StoreResult<Option<Visits>>;
    /// The counts over the notifications a provider accepted in `[from, until)` (by
    /// `sent_at`), added up in the database, one tally per group of `by` (any order), or one
    /// tally keyed `total` (none when nothing was sent) with `by` None. Days are those of
    /// `zone` (an IANA name); carriers are trimmed, `unknown` when none; no trigger is `none`.
    async fn sent_tallies(
        &self,
        tenant: TenantId,
        from: Timestamp,
        until: Timestamp,
        by: Option<Group>,
        zone: &str,
    ) -> StoreResult<Vec<Tally>>;
    /// How many addresses the tenant suppresses (bounces, complaints and opt-outs).
    async fn suppressed_count(&self, tenant: TenantId) -> StoreResult<u64>;
}
