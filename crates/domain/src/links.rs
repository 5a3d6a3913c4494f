//! The public links a message carries: the shipment's tracking page and the receiver's
//! opt-out. How they are made (and signed) is the edge's business; the planner only asks.

use crate::ids::{LogoId, ShipmentId, TenantId};
use crate::receiver::ReceiverToken;

pub trait Links: Sync {
    /// The shipment's tracking page. Short, because it sits in SMS that are billed per
    /// segment: it names the shipment by its id, not its tracking number.
    fn tracking(&self, tenant: TenantId, shipment: ShipmentId, tracking_number: &str) -> String;
    /// The tracking page as one notification links to it: the link also names the
    /// notification (by an opaque code made from its dedupe key, never an address), so a
    /// visit is counted for it. The shipment's own link where the links cannot say more.
    fn tracking_for(
        &self,
        tenant: TenantId,
        shipment: ShipmentId,
        tracking_number: &str,
        _notification_key: &str,
    ) -> String {
        self.tracking(tenant, shipment, tracking_number)
    }
    /// The address of the 1×1 image that counts an email's opens, naming the notification like
    /// `tracking_for`; only in emails of a tenant whose open tracking is on. None where the
    /// links cannot count opens.
    fn open_pixel(&self, _tenant: TenantId, _shipment: ShipmentId, _notification_key: &str) -> Option<String> {
        None
    }
    /// The link that stops further messages from this tenant to `address`: the first form,
    /// for recipients who are not a shipment's receiver (staff, fixed lists).
    fn unsubscribe(&self, tenant: TenantId, address: &str) -> String;
    /// The receiver's opt-out page, `/u/<token>`: names no tenant and no address.
    fn opt_out(&self, token: &ReceiverToken) -> String;
    /// The receiver's preference centre, `/p/<token>`.
    fn preferences(&self, token: &ReceiverToken) -> String;
    /// The page where the receiver rates the delivery of one of its shipments,
    /// `/r/<token>/<shipment>` (`rating::rating_path`).
    fn rating(&self, token: &ReceiverToken, shipment: ShipmentId) -> String;
    /// The public address of one of the tenant's logos.
    fn logo(&self, tenant: TenantId, logo: LogoId) -> String;
}

/// Unsigned links under a base URL, for tests.
pub struct PlainLinks(pub String);

impl Links for PlainLinks {
    fn tracking(&self, tenant: TenantId, shipment: ShipmentId, _tracking_number: &str) -> String {
        format!("{}/s/{tenant}/{shipment}", self.0)
    }

    fn open_pixel(&self, tenant: TenantId, shipment: ShipmentId, notification_key: &str) -> Option<String> {
        Some(format!("{}/o/{tenant}/{shipment}?n={notification_key}&x=1", self.0))
    }

    fn unsubscribe(&self, tenant: TenantId, address: &str) -> String {
        format!("{}/u/{tenant}?a={address}", self.0)
    }

    fn opt_out(&self, token: &ReceiverToken) -> String {
        format!("{}/u/{token}", self.0)
    }

    fn preferences(&self, token: &ReceiverToken) -> String {
        format!("{}/p/{token}", self.0)
    }

    fn rating(&self, token: &ReceiverToken, shipment: ShipmentId) -> String {
        format!("{}{}", self.0, crate::rating::rating_path(token, shipment))
    }

    fn logo(&self, tenant: TenantId, logo: LogoId) -> String {
        format!("{}/l/{tenant}/{logo}", self.0)
    }
}
