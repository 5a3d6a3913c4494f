//! The shapes in `schema.rs` describe domain types they cannot derive from; these tests fail when
//! a domain type gains, loses or renames a field its shape does not.

use super::*;
use avisera_domain::rule::{Conditions, Recipient, Rule};
use avisera_domain::template::Template;
use avisera_domain::tenant::{BillingSettings, Brand, Tenant};
use avisera_domain::{RuleId, TemplateId, TenantId};
use serde::Serialize;
use std::collections::BTreeSet;
use utoipa::PartialSchema;

fn documented<T: PartialSchema>() -> BTreeSet<String> {
    let schema = serde_json::to_value(T::schema()).unwrap();
    schema["properties"].as_object().unwrap().keys().cloned().collect()
}

fn served(value: impl Serialize) -> BTreeSet<String> {
    serde_json::to_value(value)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn rule() -> Rule {
    Rule {
        id: RuleId(1),
        name: "r".into(),
        trigger: Trigger::Delivered,
        enabled: false,
        conditions: Conditions::default(),
        channels: avisera_domain::rule::ChannelChoice::Sms,
        recipient: Recipient::Receiver,
        sms_template_id: Some(TemplateId(1)),
        email_template_id: None,
        active_from: None,
        active_until: None,
        once_per_shipment: false,
        days_before_deadline: None,
        campaign: None,
        delay_minutes: 0,
        quiet_hours: Vec::new(),
        send_at_local: None,
        working_days_only: false,
        brand_id: Some(avisera_domain::BrandId(1)),
    }
}

#[test]
fn the_shapes_of_domain_types_have_their_fields() {
    let brand = Brand::named("Fuzz AB");
    let tenant = Tenant {
        id: TenantId(1),
        name: "Fuzz AB".into(),
        plan: avisera_domain::plan::Plan::Plus,
        brand: brand.clone(),
        billing: BillingSettings::default(),
        open_tracking: false,
        brands: Vec::new(),
    };
    let template = Template {
        id: TemplateId(1),
        name: "t".into(),
        channel: Channel::Sms,
        default_language: "sv".into(),
        contents: BTreeMap::new(),
        opt_out_footer: true,
    };
    assert_eq!(documented::<BrandDoc>(), served(&brand));
    assert_eq!(documented::<BillingSettingsDoc>(), served(BillingSettings::default()));
    assert_eq!(documented::<TenantDoc>(), served(&tenant));
    assert_eq!(documented::<TemplateDoc>(), served(&template));
    assert_eq!(documented::<ConditionsDoc>(), served(Conditions::default()));
    assert_eq!(documented::<RuleDoc>(), served(rule()));
}

#[test]
fn the_shapes_of_store_records_have_their_fields() {
    use avisera_domain::notification::Status;
    use avisera_store::{NotificationRecord, RuleChange, StatusChange, StoredEvent};
    let at = jiff::Timestamp::UNIX_EPOCH;
    let notification = NotificationRecord {
        id: avisera_domain::NotificationId(1),
        tenant_id: TenantId(1),
        tracking_number: "FUZZ1".into(),
        rule_id: None,
        trigger: None,
        channel: Channel::Sms,
        recipient: "+46701234567".into(),
        status: Status::Scheduled,
        reason: None,
        language: None,
        message: None,
        due_at: at,
        attempts: 0,
        provider_id: None,
        provider: Some("first".into()),
        idempotency_key: "k".into(),
        sent_at: None,
        charge: None,
        created_at: at,
        updated_at: at,
    };
    let event = StoredEvent {
        code: "DELIVERED".into(),
        occurred_at: at,
        received_at: at,
        location: None,
        unknown_code: false,
    };
    let shipment = avisera_domain::shipment::Shipment {
        id: avisera_domain::ShipmentId(1),
        tracking_number: "FUZZ1".into(),
        details: Default::default(),
        milestone: None,
        milestone_at: None,
        last_event_at: None,
        had_physical_event: false,
        receiver: Some(avisera_domain::receiver::ReceiverRef {
            id: avisera_domain::receiver::ReceiverId(1),
            token: avisera_domain::receiver::ReceiverToken::from_random(1),
            reach: Default::default(),
            language: None,
        }),
    };
    let status = StatusChange {
        status: Status::Sent,
        reason: None,
        at,
    };
    assert_eq!(documented::<NotificationDoc>(), served(&notification));
    assert_eq!(documented::<StoredEventDoc>(), served(&event));
    assert_eq!(documented::<ShipmentDoc>(), served(&shipment));
    assert_eq!(documented::<StatusChangeDoc>(), served(&status));
    assert_eq!(
        documented::<RuleChangeDoc>(),
        served(RuleChange::new(at, "key", "created", ""))
    );
}
