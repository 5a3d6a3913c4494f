//! What the planner makes of holidays and opening hours: a rule on working days only waits
//! past a Swedish holiday, "days left" counts the days the pickup point is open, and the
//! message says today's opening times.

use avisera_domain::event::EventInput;
use avisera_domain::notification::{Channel, Message};
use avisera_domain::plan::Plan;
use avisera_domain::planner::{PlannedNotification, Situation, plan};
use avisera_domain::rule::Rule;
use avisera_domain::shipment::{Shipment, apply};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::tenant::{Brand, Tenant};
use avisera_domain::{ShipmentId, TemplateId, TenantId, Timestamp};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const TEXT: &str =
    "{{ days_left }} dagar kvar.{% if pickup_point_open_today %} Öppet idag {{ pickup_point_open_today }}.{% endif %}";

fn rule(extra: Value) -> Rule {
    let mut body = json!({
        "id": 7, "name": "r", "trigger": "delivered", "enabled": true, "conditions": {}, "channels": "sms",
        "recipient": {"kind": "receiver"}, "sms_template_id": 1, "email_template_id": null,
        "active_from": null, "active_until": null, "once_per_shipment": false,
        "days_before_deadline": null, "campaign": null
    });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    serde_json::from_value(body).unwrap()
}

/// Plans `event` at `now` for `rules`; the receiver is in Sweden.
fn run(now: &str, rules: &[Rule], event: Value) -> Vec<PlannedNotification> {
    let tenant = Tenant {
        id: TenantId(1),
        name: "Shop AB".into(),
        plan: Plan::Premium,
        brand: Brand::named("Shop"),
        billing: Default::default(),
        open_tracking: false,
        brands: Vec::new(),
    };
    let template = Template {
        id: TemplateId(1),
        name: "sms".into(),
        channel: Channel::Sms,
        default_language: "sv".into(),
        contents: BTreeMap::from([(
            "sv".into(),
            TemplateBody {
                text: TEXT.into(),
                ..Default::default()
            },
        )]),
        opt_out_footer: true,
    };
    let templates = BTreeMap::from([(template.id, template)]);
    let mut body = json!({
        "tracking_number": "T1", "occurred_at": now,
        "shipment": {"destination_country": "SE", "receiver": {"phone": "0701234567"}}
    });
    body.as_object_mut().unwrap().extend(event.as_object().unwrap().clone());
    let e = serde_json::from_value::<EventInput>(body).unwrap().check().unwrap();
    let mut shipment = Shipment::new("T1");
    shipment.id = ShipmentId(3);
    let applied = apply(shipment, &e, avisera_domain::mapping::Mapping::defaults());
    plan(&Situation {
        tenant: &tenant,
        shipment: &applied.shipment,
        event: Some(&e),
        fired: &applied.fired,
        rules,
        templates: &templates,
        links: &avisera_domain::links::PlainLinks("https://t.example".into()),
        now: now.parse().unwrap(),
        sms_blocked: None,
        suppressed: &Default::default(),
    })
}

fn text(n: &PlannedNotification) -> &str {
    match &n.message {
        Ok(Message::Sms { text, .. }) => text,
        other => panic!("{other:?}"),
    }
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn a_rule_on_working_days_only_waits_past_a_swedish_holiday() {
    // Trettondedag jul, Wednesday 6 Jan 2027, 10:00 in Stockholm.
    let delivered = json!({"code": "DELIVERED"});
    let night = json!({"quiet_hours": [{"channel": "sms", "from": "21:00", "until": "08:30"}]});
    let mut waits = rule(night.clone());
    waits.working_days_only = true;
    let out = run("2027-01-06T09:00:00Z", &[waits], delivered.clone());
    assert_eq!(
        out[0].due_at,
        t("2027-01-07T07:30:00Z"),
        "Thursday at the end of quiet hours"
    );
    let out = run("2027-01-06T09:00:00Z", &[rule(night)], delivered.clone());
    assert_eq!(out[0].due_at, t("2027-01-06T09:00:00Z"), "without the flag: at once");

    // In Norway the same day is a working day; the Norwegian receiver gets it at once.
    let mut waits = rule(json!({}));
    waits.working_days_only = true;
    let norway =
        json!({"code": "DELIVERED", "shipment": {"destination_country": "NO", "receiver": {"phone": "41234567"}}});
    let out = run("2027-01-06T09:00:00Z", std::slice::from_ref(&waits), norway);
    assert_eq!(out[0].due_at, t("2027-01-06T09:00:00Z"));
    // Sunday 10 Jan in Sweden: Monday 08:00 without quiet hours.
    let out = run("2027-01-10T09:00:00Z", &[waits], delivered);
    assert_eq!(out[0].due_at, t("2027-01-11T07:00:00Z"));
}

#[test]
fn days_left_counts_open_days_and_the_message_says_todays_hours() {
    let mut reminder = rule(json!({
        "trigger": "days_left_at_pickup_point", "days_before_deadline": 2, "send_at_local": "18:00"
    }));
    // Arrived Thursday 3 Dec 2026; the deadline is Monday 7 Dec 18:00 local.
    let arrived = |hours: Option<&str>| {
        json!({"code": "AVAILABLE_FOR_DELIVERY_PAR_LOC", "pickup_point": {
            "name": "ICA", "storage_deadline": "2026-12-07T18:00:00+01:00", "opening_hours": hours}})
    };
    let now = "2026-12-03T09:00:00Z";
    let out = run(now, std::slice::from_ref(&reminder), arrived(None));
    assert_eq!(
        out[0].due_at,
        t("2026-12-05T17:00:00Z"),
        "unknown hours: Saturday evening"
    );
    assert_eq!(text(&out[0]), "2 dagar kvar.");

    let out = run(
        now,
        std::slice::from_ref(&reminder),
        arrived(Some("Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off")),
    );
    assert_eq!(
        out[0].due_at,
        t("2026-12-04T17:00:00Z"),
        "closed on Sunday: Friday evening"
    );
    assert_eq!(text(&out[0]), "2 dagar kvar. Öppet idag 09:00-20:00.", "Friday's hours");

    // Sent on a Sunday when the point is closed: no opening times today.
    reminder.days_before_deadline = Some(1);
    let out = run(
        now,
        std::slice::from_ref(&reminder),
        arrived(Some("Mo-Fr 09:00-20:00; Sa,Su off")),
    );
    assert_eq!(out[0].due_at, t("2026-12-06T17:00:00Z"), "Sunday: Monday is open");
    assert_eq!(text(&out[0]), "1 dagar kvar.");

    // Unreadable hours count for nothing and say nothing about today.
    let out = run(now, std::slice::from_ref(&reminder), arrived(Some("Mon-Fri 9-17")));
    assert_eq!(out[0].due_at, t("2026-12-06T17:00:00Z"));
    assert_eq!(text(&out[0]), "1 dagar kvar.");
}
