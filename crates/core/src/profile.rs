//! A portal user's own settings: their mobile number, where "Send a test to me" sends an SMS
//! template, and that test itself (queued in the tenant's outbox, logged and billed as a test).

use crate::{Error, Result};
use avisera_domain::contact::PhoneNumber;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::planner::PlannedNotification;
use avisera_domain::tenant::Tenant;
use avisera_domain::user::User;
use avisera_domain::{BrandId, NotificationId, Timestamp};
use avisera_store::{Outbox, Portal};

/// Sets the user's own mobile number as written (`070-123 45 67`, `+46 70 123 45 67`), or
/// removes it when `raw` is blank. A number an SMS cannot reach is refused, saying why.
pub async fn set_phone(store: &dyn Portal, user: &User, raw: &str) -> Result<Option<PhoneNumber>> {
    let phone = match raw.trim() {
        "" => None,
        raw => Some(
            PhoneNumber::parse(raw, None)
                .and_then(PhoneNumber::for_sms)
                .map_err(|e| Error::field("invalid_phone", "phone", e))?,
        ),
    };
    if !store.set_user_phone(user.tenant_id, user.id, phone.as_ref()).await? {
        return Err(Error::not_found(format!("user {}", user.id)));
    }
    Ok(phone)
}

/// The code of a test SMS asked for by a user without a phone.
pub const NO_PHONE: &str = "no_phone";

/// Queues `text` (as the preview shows it) as an SMS to the user's own phone, in `brand`
/// (its sender id), due now. It is the tenant's message like any other: its provider sends it,
/// and it is billed (it costs the provider the same), shown in the log and on the bill with
/// `TEST` for a tracking number. `key` is unique per click, so a resubmitted form sends once.
pub async fn queue_test_sms(
    store: &dyn Outbox,
    tenant: &Tenant,
    brand: Option<BrandId>,
    user: &User,
    text: &str,
    key: &str,
    now: Timestamp,
) -> Result<Option<NotificationId>> {
    let Some(phone) = &user.phone else {
        return Err(Error::Invalid {
            code: NO_PHONE,
            field: Some("phone".into()),
            message: "add your mobile number on your account page (Account) to get a test SMS".into(),
        });
    };
    let test = PlannedNotification {
        rule_id: None,
        trigger: None,
        channel: Channel::Sms,
        recipient: phone.to_string(),
        dedupe_key: format!("test:{}:{key}", user.id),
        due_at: now,
        time_zone: None,
        language: None,
        message: Ok(Message::Sms {
            sender_id: tenant.brand_for(brand).sms_sender_id.clone(),
            to: phone.to_string(),
            text: text.to_string(),
        }),
    };
    Ok(store.add_test(tenant.id, &test, now).await?)
}
