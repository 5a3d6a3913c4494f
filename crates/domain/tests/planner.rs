//! Which notifications the planner asks for: channels and fallbacks, recipients, conditions,
//! once per shipment, active intervals, reminders before a storage deadline.

use avisera_domain::contact::EmailAddress;
use avisera_domain::event::{CarrierEvent, EventInput, PickupPointInput, ReceiverInput, ShipmentInput};
use avisera_domain::notification::{Channel, Message};
use avisera_domain::plan::Plan;
use avisera_domain::planner::{NotSent, PlannedNotification, Situation, plan};
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::shipment::{Shipment, apply};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::tenant::{Brand, Tenant};
use avisera_domain::trigger::Trigger;
use avisera_domain::{RuleId, ShipmentId, TemplateId, TenantId, Timestamp};
use std::collections::BTreeMap;

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn tenant(plan: Plan) -> Tenant {
    let mut brand = Brand::named("Shop");
    brand.customer_service_email = Some(EmailAddress::parse("cs@shop.example").unwrap());
    Tenant {
        id: TenantId(1),
        name: "Shop AB".into(),
        plan,
        brand,
        billing: Default::default(),
        open_tracking: false,
        brands: Vec::new(),
    }
}

fn templates() -> BTreeMap<TemplateId, Template> {
    let sms = Template {
        id: TemplateId(1),
        name: "sms".into(),
        channel: Channel::Sms,
        default_language: "sv".into(),
        contents: BTreeMap::from([
            (
                "sv".into(),
                TemplateBody {
                    text: "Hej {{ receiver_name }} {{ days_left }}".into(),
                    ..Default::default()
                },
            ),
            (
                "en".into(),
                TemplateBody {
                    text: "Hi {{ receiver_name }} {{ days_left }}".into(),
                    ..Default::default()
                },
            ),
        ]),
        opt_out_footer: true,
    };
    let email = Template {
        id: TemplateId(2),
        name: "email".into(),
        channel: Channel::Email,
        default_language: "sv".into(),
        contents: BTreeMap::from([(
            "sv".into(),
            TemplateBody {
                subject: Some("Ämne {{ tracking_number }}".into()),
                text: "Text".into(),
                html: Some("<html><BODY><p>Hej</p></BODY></html>".into()),
                blocks: None,
            },
        )]),
        opt_out_footer: true,
    };
    BTreeMap::from([(sms.id, sms), (email.id, email)])
}

fn rule(trigger: Trigger, channels: ChannelChoice) -> Rule {
    Rule {
        id: RuleId(7),
        name: "r".into(),
        trigger,
        enabled: true,
        conditions: Conditions::default(),
        channels,
        recipient: Recipient::Receiver,
        sms_template_id: Some(TemplateId(1)),
        email_template_id: Some(TemplateId(2)),
        active_from: None,
        active_until: None,
        once_per_shipment: false,
        days_before_deadline: None,
        campaign: None,
        delay_minutes: 0,
        quiet_hours: Vec::new(),
        send_at_local: None,
        working_days_only: false,
        brand_id: None,
    }
}

fn event(code: &str, phone: Option<&str>, email: Option<&str>, lang: &str) -> CarrierEvent {
    EventInput {
        tracking_number: Some("T1".into()),
        code: Some(code.into()),
        occurred_at: Some("2026-11-25T09:00:00Z".into()),
        shipment: Some(ShipmentInput {
            receiver: Some(ReceiverInput {
                name: Some("Anna".into()),
                phone: phone.map(Into::into),
                email: email.map(Into::into),
                language: Some(lang.into()),
                time_zone: None,
            }),
            destination_country: Some("SE".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
    .check()
    .unwrap()
}

fn run(tenant: &Tenant, rules: &[Rule], e: &CarrierEvent) -> Vec<PlannedNotification> {
    run_blocked(tenant, rules, e, None)
}

fn run_blocked(
    tenant: &Tenant,
    rules: &[Rule],
    e: &CarrierEvent,
    sms_blocked: Option<&str>,
) -> Vec<PlannedNotification> {
    run_with(tenant, rules, e, sms_blocked, &Default::default())
}

fn run_with(
    tenant: &Tenant,
    rules: &[Rule],
    e: &CarrierEvent,
    sms_blocked: Option<&str>,
    suppressed: &avisera_domain::receipt::Suppressed,
) -> Vec<PlannedNotification> {
    let mut shipment = Shipment::new("T1");
    shipment.id = ShipmentId(3);
    let applied = apply(shipment, e, avisera_domain::mapping::Mapping::defaults());
    let templates = templates();
    plan(&Situation {
        tenant,
        shipment: &applied.shipment,
        event: Some(e),
        fired: &applied.fired,
        rules,
        templates: &templates,
        links: &avisera_domain::links::PlainLinks("https://t.example".into()),
        now: now(),
        sms_blocked,
        suppressed,
    })
}

#[test]
fn both_channels_give_one_sms_and_one_email_in_the_receivers_language() {
    let out = run(
        &tenant(Plan::Plus),
        &[rule(Trigger::Delivered, ChannelChoice::Both)],
        &event("DELIVERED", Some("0701234567"), Some("a@b.se"), "en"),
    );
    assert_eq!(out.len(), 2);
    match &out[0].message {
        Ok(Message::Sms { to, text, .. }) => {
            assert_eq!(to, "+46701234567");
            assert_eq!(text, "Hi Anna ");
        }
        other => panic!("{other:?}"),
    }
    match &out[1].message {
        Ok(Message::Email { subject, to, .. }) => {
            assert_eq!(subject, "Ämne T1");
            assert_eq!(to, "a@b.se");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        out[1].language.as_deref(),
        Some("sv"),
        "email template has only Swedish: falls back"
    );
    assert_ne!(out[0].dedupe_key, out[1].dedupe_key);
}

#[test]
fn an_email_carries_the_open_tracking_image_only_when_the_tenant_switched_it_on() {
    let html_of = |open_tracking: bool| {
        let tenant = Tenant {
            open_tracking,
            ..tenant(Plan::Plus)
        };
        let out = run(
            &tenant,
            &[rule(Trigger::Delivered, ChannelChoice::Both)],
            &event("DELIVERED", Some("0701234567"), Some("a@b.se"), "sv"),
        );
        let Ok(Message::Sms { text, .. }) = &out[0].message else {
            panic!("{out:?}")
        };
        assert!(!text.contains("/o/"), "never in an SMS: {text}");
        match &out[1].message {
            Ok(Message::Email { html, text, .. }) => {
                assert!(!text.contains("/o/"), "the text part cannot show an image: {text}");
                (html.clone().unwrap(), out[1].dedupe_key.clone())
            }
            other => panic!("{other:?}"),
        }
    };
    // Both inside the body, however the template spells its end: the opt-out footer (issue 15),
    // then, when switched on, the image.
    let footer = "<p style=\"font-size:12px;color:#666\">Vill du inte få fler meddelanden från Shop? Avsluta här: <a href=\"https://t.example/u/1?a=a@b.se\">https://t.example/u/1?a=a@b.se</a></p>";
    let (off, _) = html_of(false);
    assert_eq!(
        off,
        format!("<html><BODY><p>Hej</p>{footer}</BODY></html>"),
        "off by default: no image"
    );
    let (on, key) = html_of(true);
    assert_eq!(
        on,
        format!(
            "<html><BODY><p>Hej</p>{footer}<img src=\"https://t.example/o/1/3?n={key}&amp;x=1\" width=\"1\" height=\"1\" alt=\"\" style=\"display:block;border:0;width:1px;height:1px\"></BODY></html>"
        ),
        "before the body ends, its address escaped, naming the notification"
    );
}

#[test]
fn sms_falls_back_to_email_when_there_is_no_usable_number() {
    let rules = [rule(Trigger::Delivered, ChannelChoice::SmsElseEmail)];
    let out = run(
        &tenant(Plan::Plus),
        &rules,
        &event("DELIVERED", Some("not a number"), Some("a@b.se"), "sv"),
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, Channel::Email);
    assert!(out[0].message.is_ok());
    let out = run(
        &tenant(Plan::Plus),
        &rules,
        &event("DELIVERED", Some("0701234567"), Some("a@b.se"), "sv"),
    );
    assert_eq!(out[0].channel, Channel::Sms);
    let out = run(&tenant(Plan::Plus), &rules, &event("DELIVERED", None, None, "sv"));
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].message,
        Err(NotSent::Failed(avisera_domain::reason::make("no_phone", &[])))
    );
}

#[test]
fn an_invalid_email_is_planned_as_failed_with_the_reason() {
    let out = run(
        &tenant(Plan::Plus),
        &[rule(Trigger::Delivered, ChannelChoice::Email)],
        &event("DELIVERED", None, Some("anna@"), "sv"),
    );
    let not_sent = out[0].message.clone().unwrap_err();
    assert!(
        not_sent.reason().contains("invalid email address \"anna@\""),
        "{not_sent:?}"
    );
}

#[test]
fn customer_service_and_fixed_recipients() {
    let mut cs = rule(Trigger::Delivered, ChannelChoice::Email);
    cs.recipient = Recipient::CustomerService;
    let mut fixed = rule(Trigger::Delivered, ChannelChoice::Both);
    fixed.id = RuleId(8);
    fixed.recipient = Recipient::Fixed {
        addresses: vec!["ops@shop.example".into(), "+4670000001".into()],
    };
    let out = run(&tenant(Plan::Plus), &[cs, fixed], &event("DELIVERED", None, None, "sv"));
    let to: Vec<_> = out.iter().map(|n| (n.channel, n.recipient.as_str())).collect();
    assert_eq!(
        to,
        vec![
            (Channel::Email, "cs@shop.example"),
            (Channel::Sms, "+4670000001"),
            (Channel::Email, "ops@shop.example")
        ]
    );
}

#[test]
fn conditions_interval_plan_and_enabled_filter_rules() {
    let e = event("DELIVERED", Some("0701234567"), None, "sv");
    let mut only_norway = rule(Trigger::Delivered, ChannelChoice::Sms);
    only_norway.conditions.destination_countries = vec!["NO".into()];
    let mut expired = rule(Trigger::Delivered, ChannelChoice::Sms);
    expired.active_until = Some("2026-11-01T00:00:00Z".parse().unwrap());
    let mut disabled = rule(Trigger::Delivered, ChannelChoice::Sms);
    disabled.enabled = false;
    assert!(run(&tenant(Plan::Plus), &[only_norway, expired, disabled], &e).is_empty());
    let mut sweden = rule(Trigger::Delivered, ChannelChoice::Sms);
    sweden.conditions.destination_countries = vec!["se".into()];
    assert_eq!(run(&tenant(Plan::Plus), &[sweden], &e).len(), 1);
}

#[test]
fn once_per_shipment_gives_the_same_dedupe_key_for_every_occurrence() {
    let mut r = rule(Trigger::DeliveryAttemptFailed, ChannelChoice::Sms);
    r.once_per_shipment = true;
    let t = tenant(Plan::Premium);
    let mut first = event("DELIVERY_IMPOSSIBLE", Some("0701234567"), None, "sv");
    let mut second = first.clone();
    first.event_key = "id:1".into();
    second.event_key = "id:2".into();
    let a = run(&t, std::slice::from_ref(&r), &first);
    let b = run(&t, std::slice::from_ref(&r), &second);
    assert_eq!(a[0].dedupe_key, b[0].dedupe_key);
    r.once_per_shipment = false;
    let a = run(&t, std::slice::from_ref(&r), &first);
    let b = run(&t, std::slice::from_ref(&r), &second);
    assert_ne!(a[0].dedupe_key, b[0].dedupe_key);
}

#[test]
fn a_days_left_reminder_is_due_n_days_before_the_storage_deadline() {
    let mut r = rule(Trigger::DaysLeftAtPickupPoint, ChannelChoice::Sms);
    r.days_before_deadline = Some(2);
    let mut input = EventInput {
        tracking_number: Some("T1".into()),
        code: Some("AVAILABLE_FOR_DELIVERY_PAR_LOC".into()),
        occurred_at: Some("2026-11-25T09:00:00Z".into()),
        pickup_point: Some(PickupPointInput {
            name: Some("ICA".into()),
            storage_deadline: Some("2026-12-01T17:00:00Z".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    input.shipment = Some(ShipmentInput {
        receiver: Some(ReceiverInput {
            phone: Some("0701234567".into()),
            ..Default::default()
        }),
        ..Default::default()
    });
    let out = run(&tenant(Plan::Plus), &[r], &input.check().unwrap());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].due_at, "2026-11-29T17:00:00Z".parse::<Timestamp>().unwrap());
    assert!(matches!(&out[0].message, Ok(Message::Sms { text, .. }) if text.ends_with(" 2")));
}

#[test]
fn a_used_up_sms_budget_switches_sms_to_email_or_cancels_with_the_reason() {
    let e = event("DELIVERED", Some("0701234567"), Some("a@b.se"), "sv");
    let reason = "the SMS budget of 500.00 SEK for 2026-11 is used up";
    let why = Some(reason);
    let out = run_blocked(
        &tenant(Plan::Plus),
        &[rule(Trigger::Delivered, ChannelChoice::Sms)],
        &e,
        why,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].channel,
        Channel::Email,
        "an SMS rule with an email template switches to email"
    );
    assert!(out[0].message.is_ok());

    let mut sms_only = rule(Trigger::Delivered, ChannelChoice::Sms);
    sms_only.email_template_id = None;
    let out = run_blocked(&tenant(Plan::Plus), &[sms_only], &e, why);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].channel, Channel::Sms);
    assert_eq!(out[0].message, Err(NotSent::Cancelled(reason.to_string())));

    let out = run_blocked(
        &tenant(Plan::Plus),
        &[rule(Trigger::Delivered, ChannelChoice::Both)],
        &e,
        why,
    );
    let kinds: Vec<_> = out.iter().map(|n| (n.channel, n.message.is_ok())).collect();
    assert_eq!(kinds, vec![(Channel::Sms, false), (Channel::Email, true)]);
    assert!(matches!(out[0].message, Err(NotSent::Cancelled(_))));
}

#[test]
fn transliteration_applies_to_sms_when_the_tenant_wants_it() {
    let mut t = tenant(Plan::Plus);
    t.billing.transliterate_sms = true;
    let mut r = rule(Trigger::Delivered, ChannelChoice::Sms);
    r.campaign = Some("“Rea” – 10 %…".into());
    let mut templates = templates();
    templates
        .get_mut(&TemplateId(1))
        .unwrap()
        .contents
        .get_mut("sv")
        .unwrap()
        .text = "{{ campaign }}".into();
    let e = event("DELIVERED", Some("0701234567"), None, "sv");
    let mut shipment = Shipment::new("T1");
    shipment.id = ShipmentId(3);
    let applied = apply(shipment, &e, avisera_domain::mapping::Mapping::defaults());
    let out = plan(&Situation {
        tenant: &t,
        shipment: &applied.shipment,
        event: Some(&e),
        fired: &applied.fired,
        rules: &[r],
        templates: &templates,
        links: &avisera_domain::links::PlainLinks("https://t.example".into()),
        now: now(),
        sms_blocked: None,
        suppressed: &Default::default(),
    });
    assert!(
        matches!(&out[0].message, Ok(Message::Sms { text, .. }) if text == "\"Rea\" - 10 %..."),
        "{:?}",
        out[0].message
    );
}

#[test]
fn delay_and_quiet_hours_set_the_due_time_per_channel() {
    // now() is 10:00Z = 11:00 in Stockholm.
    let mut r = rule(Trigger::Delivered, ChannelChoice::Both);
    r.delay_minutes = 120;
    r.quiet_hours = vec![avisera_domain::timing::QuietHours {
        channel: Channel::Sms,
        from: "12:30".parse().unwrap(),
        until: "14:00".parse().unwrap(),
    }];
    let out = run(
        &tenant(Plan::Plus),
        &[r],
        &event("DELIVERED", Some("0701234567"), Some("a@b.se"), "sv"),
    );
    let due: Vec<_> = out.iter().map(|n| (n.channel, n.due_at.to_string())).collect();
    assert_eq!(
        due,
        vec![
            (Channel::Sms, "2026-11-25T13:00:00Z".to_string()),
            (Channel::Email, "2026-11-25T12:00:00Z".to_string())
        ],
        "13:00 local is quiet for SMS: deferred to 14:00 local; email goes at 13:00 local"
    );
}

#[test]
fn the_receivers_own_time_zone_wins_over_the_country() {
    let mut r = rule(Trigger::Delivered, ChannelChoice::Sms);
    r.quiet_hours = vec![avisera_domain::timing::QuietHours {
        channel: Channel::Sms,
        from: "21:00".parse().unwrap(),
        until: "08:00".parse().unwrap(),
    }];
    let mut input: EventInput = serde_json::from_value(serde_json::json!({
        "tracking_number": "T1", "code": "DELIVERED", "occurred_at": "2026-11-25T09:00:00Z",
        "shipment": {"destination_country": "SE", "receiver": {"phone": "0701234567", "time_zone": "America/New_York"}}
    }))
    .unwrap();
    // 10:00Z is 05:00 in New York: quiet until 08:00 there (13:00Z).
    let out = run(
        &tenant(Plan::Plus),
        std::slice::from_ref(&r),
        &input.clone().check().unwrap(),
    );
    assert_eq!(out[0].due_at.to_string(), "2026-11-25T13:00:00Z");
    input.shipment.as_mut().unwrap().receiver.as_mut().unwrap().time_zone = Some("Mars/Olympus".into());
    let err = input.check().unwrap_err();
    assert_eq!(err.field, "shipment.receiver.time_zone");
}

#[test]
fn a_reminder_goes_at_the_rules_local_time_of_day() {
    let mut r = rule(Trigger::DaysLeftAtPickupPoint, ChannelChoice::Sms);
    r.days_before_deadline = Some(2);
    r.send_at_local = Some("09:00".parse().unwrap());
    let input: EventInput = serde_json::from_value(serde_json::json!({
        "tracking_number": "T1", "code": "AVAILABLE_FOR_DELIVERY_PAR_LOC", "occurred_at": "2026-11-25T09:00:00Z",
        "shipment": {"destination_country": "NO", "receiver": {"phone": "41234567"}},
        "pickup_point": {"name": "Narvesen", "storage_deadline": "2026-12-01T17:00:00Z"}
    }))
    .unwrap();
    let out = run(&tenant(Plan::Plus), &[r], &input.check().unwrap());
    assert_eq!(
        out[0].due_at.to_string(),
        "2026-11-29T08:00:00Z",
        "09:00 in Oslo, two days before the deadline's date"
    );
}

#[test]
fn a_reminder_whose_time_has_passed_is_kept_as_cancelled_with_the_reason() {
    let mut r = rule(Trigger::DaysLeftAtPickupPoint, ChannelChoice::Sms);
    r.days_before_deadline = Some(3);
    let input: EventInput = serde_json::from_value(serde_json::json!({
        "tracking_number": "T1", "code": "AVAILABLE_FOR_DELIVERY_PAR_LOC", "occurred_at": "2026-11-25T09:00:00Z",
        "shipment": {"destination_country": "SE", "receiver": {"phone": "0701234567"}},
        "pickup_point": {"name": "ICA", "storage_deadline": "2026-11-27T17:00:00Z"}
    }))
    .unwrap();
    let out = run(&tenant(Plan::Plus), &[r], &input.check().unwrap());
    assert_eq!(out.len(), 1);
    match &out[0].message {
        Err(NotSent::Cancelled(why)) => assert!(why.contains("3 days before the storage deadline"), "{why}"),
        other => panic!("{other:?}"),
    }
}

fn manual(channel: Channel, subject: Option<&str>, text: &str) -> Result<PlannedNotification, String> {
    manual_refused(channel, subject, text).map_err(|r| r.why)
}

fn manual_refused(
    channel: Channel,
    subject: Option<&str>,
    text: &str,
) -> Result<PlannedNotification, avisera_domain::planner::ManualRefusal> {
    let tenant = tenant(Plan::Plus);
    let e = event("EN_ROUTE", Some("0701234567"), Some("anna@example.se"), "sv");
    let mut shipment = Shipment::new("T1");
    shipment.id = ShipmentId(3);
    let applied = apply(shipment, &e, avisera_domain::mapping::Mapping::defaults());
    avisera_domain::planner::plan_manual(
        &Situation {
            tenant: &tenant,
            shipment: &applied.shipment,
            event: None,
            fired: &[],
            rules: &[],
            templates: &BTreeMap::new(),
            links: &avisera_domain::links::PlainLinks("https://t.example".into()),
            now: now(),
            sms_blocked: None,
            suppressed: &Default::default(),
        },
        None,
        channel,
        avisera_domain::planner::ManualContent::FreeText {
            subject: subject.map(Into::into),
            text: text.into(),
        },
        None,
        "user:1:key",
    )
}

#[test]
fn text_sent_by_hand_keeps_the_tenants_limits() {
    assert!(
        manual(Channel::Sms, None, &"a".repeat(918)).is_ok(),
        "6 segments of 153"
    );
    let why = manual(Channel::Sms, None, &"a".repeat(919)).unwrap_err();
    assert!(why.contains("7 segments long") && why.contains("maximum of 6"), "{why}");
    let why = manual(Channel::Email, Some("Hej"), &"x".repeat(300 * 1024)).unwrap_err();
    assert!(why.contains("maximum of 256 KiB"), "{why}");
    let why = manual(Channel::Email, Some(&"s".repeat(201)), "text").unwrap_err();
    assert!(why.contains("subject is longer than 200"), "{why}");
    // Each refusal names the part of the form to change, so the portal says it beside it.
    assert_eq!(
        manual_refused(Channel::Sms, None, &"a".repeat(919)).unwrap_err().field,
        "text"
    );
    assert_eq!(manual_refused(Channel::Sms, None, " ").unwrap_err().field, "text");
    assert_eq!(
        manual_refused(Channel::Email, None, "text").unwrap_err().field,
        "subject"
    );
}

#[test]
fn a_subject_is_one_line_whatever_it_was_given() {
    let planned = manual(Channel::Email, Some("Hej\r\nBcc: all@example.com"), "text").unwrap();
    match planned.message {
        Ok(Message::Email { subject, .. }) => assert_eq!(subject, "Hej Bcc: all@example.com"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_sms_goes_to_a_fixed_line_and_the_fallback_sends_the_email() {
    let landline = event("DELIVERED", Some("08-123 456 78"), Some("anna@example.se"), "sv");
    let out = run(
        &tenant(Plan::Plus),
        &[rule(Trigger::Delivered, ChannelChoice::Sms)],
        &landline,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].message,
        Err(NotSent::Failed(
            "+46812345678 is a fixed line, not a mobile: an SMS cannot reach it".into()
        ))
    );
    let out = run(
        &tenant(Plan::Plus),
        &[rule(Trigger::Delivered, ChannelChoice::SmsElseEmail)],
        &landline,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].channel, Channel::Email);
    assert!(matches!(&out[0].message, Ok(Message::Email { to, .. }) if to == "anna@example.se"));
}

#[test]
fn the_email_that_replaces_an_sms_has_the_key_the_rule_gives_its_email() {
    use avisera_domain::planner::email_key_for;
    let tenant = tenant(Plan::Plus);
    let e = event("DELIVERED", Some("0701234567"), Some("anna@example.se"), "sv");
    let both = run(&tenant, &[rule(Trigger::Delivered, ChannelChoice::Both)], &e);
    let (sms, email) = (&both[0], &both[1]);
    assert_eq!((sms.channel, email.channel), (Channel::Sms, Channel::Email));
    assert_eq!(email_key_for(&sms.dedupe_key, &email.recipient), email.dedupe_key);
    assert_eq!(email_key_for("manual:1:k", "a@b.se"), "manual:1:k:email-instead");
}

#[test]
fn a_bounced_address_gets_its_email_cancelled_with_the_reason_and_the_fallback_sends_sms() {
    let suppressed = avisera_domain::receipt::Suppressed::from([(
        "a@b.se".to_string(),
        "hard bounce: 550 5.1.1 user unknown".to_string(),
    )]);
    let e = event("DELIVERED", Some("0701234567"), Some("A@b.se"), "sv");
    let plus = tenant(Plan::Plus);
    let fallback = run_with(
        &plus,
        &[rule(Trigger::Delivered, ChannelChoice::EmailElseSms)],
        &e,
        None,
        &suppressed,
    );
    assert_eq!(fallback.len(), 1, "{fallback:?}");
    assert_eq!(fallback[0].channel, Channel::Sms);
    assert!(fallback[0].message.is_ok());
    let only_email = run_with(
        &plus,
        &[rule(Trigger::Delivered, ChannelChoice::Email)],
        &e,
        None,
        &suppressed,
    );
    assert_eq!(only_email.len(), 1);
    match &only_email[0].message {
        Err(avisera_domain::planner::NotSent::Cancelled(why)) => assert!(why.contains("550 5.1.1"), "{why}"),
        other => panic!("the email must be kept as cancelled: {other:?}"),
    }
    let unsuppressed = run_with(
        &plus,
        &[rule(Trigger::Delivered, ChannelChoice::EmailElseSms)],
        &event("DELIVERED", Some("0701234567"), Some("c@b.se"), "sv"),
        None,
        &suppressed,
    );
    assert_eq!(
        unsuppressed[0].channel,
        Channel::Email,
        "only the suppressed address falls back"
    );
}
