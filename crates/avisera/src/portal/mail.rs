//! Avisera's own emails to portal users (sign-up confirmation, password reset): sent at once
//! through the node's email channel (SMTP, or the dev inbox in the demo), not through a tenant's
//! outbox, because they belong to no tenant's bill or log. A failure is shown to the person,
//! who asks again.

use crate::app::App;
use avisera_domain::notification::Message;
use avisera_domain::{NotificationId, TenantId};
use avisera_store::DeliveryJob;

/// Sends `message` now; `key` (unique per email) is its idempotency key and Message-ID.
pub async fn send(app: &App, message: Message, key: String) -> Result<(), String> {
    let now = app.clock.now();
    let job = DeliveryJob {
        id: NotificationId(0),
        tenant_id: TenantId(0),
        message,
        idempotency_key: key,
        attempt: 1,
        billable: false,
        rule_id: None,
        time_zone: None,
        shipment_id: None,
        created_at: now,
        due_at: now,
    };
    let channels = crate::server::channels(app).map_err(|e| e.to_string())?;
    // The email providers in the operator's order (failover included), within half a minute.
    let cutoff = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let routed = channels
        .email
        .send(&job, cutoff, app.clock.as_ref(), &app.metrics)
        .await;
    routed.result.map(|_| ()).map_err(|e| {
        tracing::error!(error = %e, provider = %routed.provider, "an account email could not be sent");
        e.to_string()
    })
}
