//! The send-time decision: what the worker does with a stored message, given its rule, the
//! receiver's opt-out, quiet hours, the tenant's limits and its SMS budget.

use avisera_domain::dispatch::{Dispatch, OverBudget, RENDERED_NOTHING, SendTime, budget_allows, decide, over_budget};
use avisera_domain::limits::{MAX_EMAIL_BYTES, MessageLimits};
use avisera_domain::money::Ore;
use avisera_domain::notification::Message;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::tenant::BillingSettings;
use avisera_domain::trigger::Trigger;
use avisera_domain::{RuleId, TemplateId, Timestamp};

fn now() -> Timestamp {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn sms(text: &str) -> Message {
    Message::Sms {
        sender_id: "Shop".into(),
        to: "+46701234567".into(),
        text: text.into(),
    }
}

fn email(text: &str, html: Option<&str>) -> Message {
    Message::Email {
        from_name: "Shop".into(),
        from_address: None,
        reply_to: None,
        to: "anna@example.se".into(),
        subject: "Levererat".into(),
        html: html.map(String::from),
        text: text.into(),
        list_unsubscribe: None,
    }
}

fn limits() -> MessageLimits {
    BillingSettings::default().message_limits()
}

fn at(message: &Message) -> SendTime<'_> {
    SendTime {
        message,
        limits: limits(),
        rule_stopped: None,
        opted_out: None,
        declined: None,
        quiet_until: None,
        now: now(),
    }
}

/// The reason in English, as the API shows it.
fn reason(d: &Dispatch) -> String {
    match d {
        Dispatch::Send => String::new(),
        Dispatch::Defer { reason, .. } | Dispatch::Cancel { reason } | Dispatch::Fail { reason } => {
            avisera_domain::reason::english(reason)
        }
    }
}

#[test]
fn the_default_is_six_segments_and_old_settings_read_so() {
    let old: BillingSettings = serde_json::from_str(r#"{"sms_budget_ore": 100}"#).unwrap();
    assert_eq!(old.max_sms_segments, 6);
    for bad in [0, 21] {
        let s = BillingSettings {
            max_sms_segments: bad,
            ..Default::default()
        };
        assert_eq!(s.check().unwrap_err().0, "max_sms_segments");
    }
    assert!(
        BillingSettings {
            max_sms_segments: 20,
            ..Default::default()
        }
        .check()
        .is_ok()
    );
}

#[test]
fn what_the_worker_does_at_sending() {
    let later: Timestamp = "2026-11-25T18:00:00Z".parse().unwrap();
    let six = "a".repeat(153 * 6);
    let seven = "a".repeat(153 * 6 + 1);
    let big_html = "<p>x</p>".repeat(MAX_EMAIL_BYTES / 8 + 1);
    let (ok_sms, six_sms, seven_sms, blank_sms, empty_sms) =
        (sms("Hej Anna"), sms(&six), sms(&seven), sms(" \n\t "), sms(""));
    let (ok_mail, html_only, blank_mail, big_mail) = (
        email("Hej", None),
        email("", Some("<p>Hej</p>")),
        email("  ", Some(" ")),
        email("Hej", Some(&big_html)),
    );
    // (what, facts, decision, words the reason must contain)
    let table: Vec<(&str, SendTime<'_>, &str, &str)> = vec![
        ("a plain SMS", at(&ok_sms), "send", ""),
        ("six segments is allowed", at(&six_sms), "send", ""),
        ("seven segments fails", at(&seven_sms), "fail", "7 segments"),
        ("whitespace only fails", at(&blank_sms), "fail", RENDERED_NOTHING),
        ("empty fails", at(&empty_sms), "fail", RENDERED_NOTHING),
        ("an email", at(&ok_mail), "send", ""),
        ("an email with only HTML", at(&html_only), "send", ""),
        ("an email with no body", at(&blank_mail), "fail", RENDERED_NOTHING),
        ("an oversize email", at(&big_mail), "fail", "KiB"),
        (
            "a tenant allowing 7",
            SendTime {
                limits: MessageLimits {
                    sms_segments: 7,
                    ..limits()
                },
                ..at(&seven_sms)
            },
            "send",
            "",
        ),
        (
            "a stopped rule cancels, before anything else",
            SendTime {
                rule_stopped: Some("rule 1 was disabled"),
                quiet_until: Some(later),
                ..at(&blank_sms)
            },
            "cancel",
            "rule 1 was disabled",
        ),
        (
            "an opt-out cancels",
            SendTime {
                opted_out: Some(now()),
                ..at(&ok_sms)
            },
            "cancel",
            "opted out",
        ),
        (
            "a receiver who chose email only gets no SMS, with the reason",
            SendTime {
                declined: Some("the receiver chose to get email only"),
                quiet_until: Some(later),
                ..at(&ok_sms)
            },
            "cancel",
            "email only",
        ),
        (
            "quiet hours defer",
            SendTime {
                quiet_until: Some(later),
                ..at(&ok_sms)
            },
            "defer",
            "quiet hours",
        ),
        (
            "a message that can never go fails at once, not after the quiet hours",
            SendTime {
                quiet_until: Some(later),
                ..at(&seven_sms)
            },
            "fail",
            "segments",
        ),
        (
            "quiet hours that ended send",
            SendTime {
                quiet_until: Some(now()),
                ..at(&ok_sms)
            },
            "send",
            "",
        ),
    ];
    for (what, facts, expected, words) in table {
        let d = decide(&facts);
        let kind = match &d {
            Dispatch::Send => "send",
            Dispatch::Defer { until, .. } => {
                assert_eq!(*until, later, "{what}");
                "defer"
            }
            Dispatch::Cancel { .. } => "cancel",
            Dispatch::Fail { .. } => "fail",
        };
        assert_eq!(kind, expected, "{what}: {d:?}");
        assert!(reason(&d).contains(words), "{what}: {d:?}");
    }
}

fn rule(channels: ChannelChoice, email_template: bool, recipient: Recipient) -> Rule {
    Rule {
        id: RuleId(1),
        name: "r".into(),
        trigger: Trigger::Delivered,
        enabled: true,
        conditions: Conditions::default(),
        channels,
        recipient,
        sms_template_id: Some(TemplateId(1)),
        email_template_id: email_template.then_some(TemplateId(2)),
        active_from: None,
        active_until: None,
        once_per_shipment: false,
        days_before_deadline: None,
        campaign: None,
        delay_minutes: 0,
        quiet_hours: vec![],
        send_at_local: None,
        working_days_only: false,
        brand_id: None,
    }
}

#[test]
fn an_sms_past_the_budget_becomes_the_rules_email_where_the_rule_allows() {
    let fixed = Recipient::Fixed {
        addresses: vec!["+46701234567".into()],
    };
    let table = [
        (rule(ChannelChoice::Sms, true, Recipient::Receiver), true),
        (rule(ChannelChoice::SmsElseEmail, true, Recipient::Receiver), true),
        (rule(ChannelChoice::Sms, true, Recipient::CustomerService), true),
        (rule(ChannelChoice::Sms, false, Recipient::Receiver), false),
        (rule(ChannelChoice::Both, true, Recipient::Receiver), false),
        (rule(ChannelChoice::EmailElseSms, true, Recipient::Receiver), false),
        (rule(ChannelChoice::Sms, true, fixed), false),
    ];
    for (r, switches) in table {
        let got = over_budget(Some(&r), "budget used up");
        let expected = if switches {
            OverBudget::SwitchToEmail
        } else {
            OverBudget::Cancel {
                reason: "budget used up".into(),
            }
        };
        assert_eq!(got, expected, "{:?} {:?}", r.channels, r.recipient);
    }
    assert!(matches!(over_budget(None, "x"), OverBudget::Cancel { .. }));
}

#[test]
fn the_budget_holds_to_within_one_message() {
    assert!(budget_allows(Ore(0), Ore(100)));
    assert!(budget_allows(Ore(99), Ore(100)));
    assert!(!budget_allows(Ore(100), Ore(100)));
    assert!(!budget_allows(Ore(150), Ore(100)));
    assert!(!budget_allows(Ore(0), Ore(0)), "a zero budget sends no SMS");
}
