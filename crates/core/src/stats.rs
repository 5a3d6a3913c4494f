//! Clicks, views and the follow-up numbers: a person's visit to a tracking link is counted
//! for its shipment's page and, when the link names one, for its notification (a preview
//! bot's fetch or a HEAD request is not), and so is an email's open where the tenant's open
//! tracking is on; the numbers per group over a bounded period are added up by the store and
//! made into numbers by `domain::stats`, days and dates in the tenant's zone.

use crate::{Error, Result};
use avisera_domain::stats::{self, Group, GroupStats, Period, PeriodError};
use avisera_domain::tenant::Tenant;
use avisera_domain::visit::{Request, counts};
use avisera_domain::zone::{TENANT_ZONE, tenant_zone};
use avisera_domain::{ShipmentId, TenantId, Timestamp};
use avisera_store::{Engagement, MAX_SHIPMENT_NOTIFICATIONS};
use serde::Serialize;

/// What a visit counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Not a person's visit (a HEAD request, a link-preview bot): nothing counted.
    Nothing,
    /// A view of the shipment's page, by a link that names no notification (or one whose
    /// code matches none of the shipment's).
    PageView,
    /// A view of the page and a visit for the notification whose link it was.
    LinkVisit(avisera_domain::NotificationId),
}

/// Counts a request for a shipment's tracking page that already proved its link. `code` is
/// the notification code the link carried, and `code_of` makes the code of a dedupe key as
/// the links are signed. A page is shown whether or not counting works: its failure is
/// logged, not shown to the receiver.
pub async fn visit(
    store: &dyn Engagement,
    tenant: TenantId,
    shipment: ShipmentId,
    code: Option<&str>,
    code_of: &(dyn Fn(&str) -> String + Sync),
    request: Request<'_>,
    now: Timestamp,
) -> Result<Counted> {
    if !counts(request) {
        return Ok(Counted::Nothing);
    }
    store.record_page_view(tenant, shipment, now).await?;
    let Some(code) = code else {
        return Ok(Counted::PageView);
    };
    let keys = store
        .shipment_notification_keys(tenant, shipment, MAX_SHIPMENT_NOTIFICATIONS)
        .await?;
    let Some((id, _)) = keys.iter().find(|(_, key)| code_of(key) == code) else {
        return Ok(Counted::PageView);
    };
    if store.record_link_visit(tenant, *id, now).await? {
        Ok(Counted::LinkVisit(*id))
    } else {
        Ok(Counted::PageView)
    }
}

/// What fetching an email's open-tracking image counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// Not a person (a HEAD request, a preview bot), the tenant's open tracking is off, or
    /// the code names none of the shipment's notifications: nothing counted.
    Nothing,
    Open(avisera_domain::NotificationId),
}

/// Counts an open of the email whose image the request fetched: `code` names it among its
/// shipment's notifications, as a tracking link's code does. Counted only while the tenant's
/// open tracking is on (an operator who switches it off stops the counting of emails already
/// sent, too).
pub async fn open(
    store: &dyn Engagement,
    tenant: &Tenant,
    shipment: ShipmentId,
    code: &str,
    code_of: &(dyn Fn(&str) -> String + Sync),
    request: Request<'_>,
    now: Timestamp,
) -> Result<Opened> {
    if !tenant.open_tracking || !counts(request) {
        return Ok(Opened::Nothing);
    }
    let keys = store
        .shipment_notification_keys(tenant.id, shipment, MAX_SHIPMENT_NOTIFICATIONS)
        .await?;
    let Some((id, _)) = keys.iter().find(|(_, key)| code_of(key) == code) else {
        return Ok(Opened::Nothing);
    };
    Ok(if store.record_open(tenant.id, *id, now).await? {
        Opened::Open(*id)
    } else {
        Opened::Nothing
    })
}

/// The numbers of a period, as the API, its CSV and the portal show them.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub from: Timestamp,
    pub until: Timestamp,
    /// What `groups` are grouped by: day, trigger, channel or carrier.
    pub group: &'static str,
    /// The zone of the days and of dates given as `from` and `until`: the tenant's.
    pub time_zone: &'static str,
    pub groups: Vec<GroupStats>,
    pub total: GroupStats,
    /// Addresses the tenant suppresses now (bounces, complaints, opt-outs), whatever the period.
    pub suppressed_addresses: u64,
    #[serde(skip)]
    pub grouped_by: Group,
}

impl Stats {
    pub fn csv(&self) -> String {
        stats::csv(self.grouped_by, &self.groups, &self.total, self.suppressed_addresses)
    }
}

/// Reads the question (each part a query parameter as given, `None` when left out) and
/// answers it for the tenant. A wrong parameter is `Invalid` naming it.
pub async fn numbers(
    store: &dyn Engagement,
    tenant: &Tenant,
    from: Option<&str>,
    until: Option<&str>,
    group: Option<&str>,
    now: Timestamp,
) -> Result<Stats> {
    let invalid = |e: PeriodError| Error::Invalid {
        code: match e {
            PeriodError::Group(_) => "invalid_group",
            _ => "invalid_period",
        },
        field: Some(e.field().to_string()),
        message: e.to_string(),
    };
    let period = Period::parse(from, until, now, &tenant_zone()).map_err(invalid)?;
    let grouped_by = match group {
        None => Group::Day,
        Some(g) => Group::parse(g).map_err(invalid)?,
    };
    let (from, until) = (period.from, period.until);
    let groups = store
        .sent_tallies(tenant.id, from, until, Some(grouped_by), TENANT_ZONE)
        .await?;
    let total = store.sent_tallies(tenant.id, from, until, None, TENANT_ZONE).await?;
    let (groups, total) = stats::summarize(&groups, total.first(), tenant.open_tracking);
    Ok(Stats {
        from,
        until,
        group: grouped_by.slug(),
        time_zone: TENANT_ZONE,
        groups,
        total,
        suppressed_addresses: store.suppressed_count(tenant.id).await?,
        grouped_by,
    })
}
