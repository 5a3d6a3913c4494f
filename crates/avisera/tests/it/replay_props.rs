//! What a replay says is what the rule does: for generated sequences of event batches, the
//! notifications the live engine creates (ingest into SQLite, the delivery worker sending what
//! is due before each next batch, on the test's clock) are exactly those the replay of the
//! same rule over the stored events finds: recipient, channel, text, due time, and why not.

use crate::helpers::*;
use avisera::app::App;
use avisera::delivery::worker::Worker;
use avisera_domain::event::{EventInput, PickupPointInput, ReceiverInput, ShipmentInput};
use avisera_domain::notification::{Channel, Message, Status};
use avisera_domain::plan::Plan;
use avisera_domain::planner::NotSent;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::tenant::Brand;
use avisera_domain::timing::QuietHours;
use avisera_domain::trigger::Trigger;
use avisera_domain::{Clock, FixedClock, RuleId, TemplateId, Timestamp};
use avisera_store::{NotificationFilter, RuleChange};
use jiff::SignedDuration;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use std::cell::Cell;
use std::sync::Arc;

const START: &str = "2026-11-02T06:00:00Z";

#[derive(Debug, Clone)]
struct RuleShape {
    trigger: Trigger,
    channels: ChannelChoice,
    once_per_shipment: bool,
    delay_minutes: u32,
    quiet_sms: bool,
    only_sweden: bool,
}

#[derive(Debug, Clone)]
struct Ev {
    shipment: u8,
    code: &'static str,
    /// Minutes before the batch's moment that it happened.
    ago: u16,
    email: bool,
    /// Days from the event to the pickup point's storage deadline.
    deadline_days: Option<u8>,
}

#[derive(Debug, Clone)]
struct Story {
    rule: RuleShape,
    /// (minutes after the previous batch, its events)
    batches: Vec<(u32, Vec<Ev>)>,
}

fn rule_shape() -> impl Strategy<Value = RuleShape> {
    (
        prop_oneof![
            Just(Trigger::Delivered),
            Just(Trigger::OutForDelivery),
            Just(Trigger::ArrivedAtPickupPoint),
            Just(Trigger::DaysLeftAtPickupPoint),
            Just(Trigger::FirstTransportEvent),
        ],
        prop_oneof![
            Just(ChannelChoice::Sms),
            Just(ChannelChoice::SmsElseEmail),
            Just(ChannelChoice::Both),
        ],
        any::<bool>(),
        prop_oneof![Just(0u32), Just(45), Just(600)],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(trigger, channels, once_per_shipment, delay_minutes, quiet_sms, only_sweden)| RuleShape {
                trigger,
                channels,
                once_per_shipment,
                delay_minutes,
                quiet_sms,
                only_sweden,
            },
        )
}

fn ev() -> impl Strategy<Value = Ev> {
    (
        0u8..4,
        prop_oneof![
            Just("CREATED"),
            Just("EN_ROUTE"),
            Just("AVAILABLE_FOR_DELIVERY"),
            Just("AVAILABLE_FOR_DELIVERY_PAR_LOC"),
            Just("DELIVERED"),
            Just("DELIVERY_CHANGED"),
        ],
        0u16..120,
        any::<bool>(),
        prop_oneof![Just(None), Just(Some(2u8)), Just(Some(5u8))],
    )
        .prop_map(|(shipment, code, ago, email, deadline_days)| Ev {
            shipment,
            code,
            ago,
            email,
            deadline_days,
        })
}

fn story() -> impl Strategy<Value = Story> {
    (
        rule_shape(),
        prop::collection::vec((1u32..2000, prop::collection::vec(ev(), 1..4)), 1..8),
    )
        .prop_map(|(rule, batches)| Story { rule, batches })
}

/// Each shipment keeps one receiver: its phone and country are the shipment's (the first
/// event's draw stands for all of them). The replay plans with each shipment's receiver as
/// stored now, so a shipment whose receiver changed mid-journey (a carrier correcting the
/// phone to another person's) would replay its earlier messages with the later receiver's
/// links: a known limit of the replay, not checked here.
fn receiver_of(e: &Ev) -> (Option<&'static str>, &'static str) {
    const PHONES: [Option<&str>; 4] = [Some("+46701234567"), Some("070-765 43 21"), Some("08-123 456 78"), None];
    const COUNTRIES: [&str; 4] = ["SE", "NO", "SE", "NO"];
    let i = usize::from(e.shipment) % 4;
    (PHONES[i], COUNTRIES[i])
}

fn checked(e: &Ev, tenant_case: usize, at: Timestamp) -> avisera_domain::event::CarrierEvent {
    let occurred = at - SignedDuration::from_mins(i64::from(e.ago));
    let (phone, country) = receiver_of(e);
    EventInput {
        tracking_number: Some(format!("P{tenant_case}-{}", e.shipment)),
        code: Some(e.code.into()),
        occurred_at: Some(occurred.to_string()),
        shipment: Some(ShipmentInput {
            destination_country: Some(country.into()),
            receiver: Some(ReceiverInput {
                name: Some("Anna".into()),
                phone: phone.map(Into::into),
                email: e.email.then(|| "anna@example.se".into()),
                language: Some("sv".into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
        pickup_point: e.deadline_days.map(|days| PickupPointInput {
            name: Some("Ombud Centrum".into()),
            storage_deadline: Some((occurred + SignedDuration::from_hours(24 * i64::from(days))).to_string()),
            ..Default::default()
        }),
        ..Default::default()
    }
    .check()
    .expect("a valid generated event")
}

/// One notification as both sides describe it: where, when, and what became of it.
type Seen = (String, Channel, String, Timestamp, String, Option<String>);

async fn run(app: &App, clock: &FixedClock, case: usize, story: &Story) -> (Vec<Seen>, Vec<Seen>) {
    let store = app.store.as_ref();
    clock.set(START.parse().unwrap());
    let now = clock.now();
    let tenant = store
        .create_tenant(&format!("Case {case}"), Plan::Premium, &Brand::named("Shop"), now)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for channel in [Channel::Sms, Channel::Email] {
        let template = Template {
            id: TemplateId(0),
            name: channel.to_string(),
            channel,
            default_language: "sv".into(),
            opt_out_footer: true,
            contents: [(
                "sv".to_string(),
                TemplateBody {
                    subject: (channel == Channel::Email).then(|| "Paket {{ tracking_number }}".into()),
                    text: "Hej {{ receiver_name }}, {{ tracking_number }} {{ pickup_point_name|default('') }} {{ days_left|default('') }}".into(),
                    ..Default::default()
                },
            )]
            .into(),
        };
        ids.push(store.create_template(tenant.id, &template, now).await.unwrap());
    }
    let shape = &story.rule;
    let mut rule = Rule {
        id: RuleId(0),
        name: "under test".into(),
        trigger: shape.trigger,
        enabled: true,
        conditions: Conditions {
            destination_countries: if shape.only_sweden { vec!["SE".into()] } else { vec![] },
            ..Default::default()
        },
        channels: shape.channels,
        recipient: Recipient::Receiver,
        sms_template_id: Some(ids[0]),
        email_template_id: Some(ids[1]),
        active_from: None,
        active_until: None,
        once_per_shipment: shape.once_per_shipment,
        days_before_deadline: (shape.trigger == Trigger::DaysLeftAtPickupPoint).then_some(1),
        campaign: None,
        delay_minutes: shape.delay_minutes,
        quiet_hours: if shape.quiet_sms {
            vec![QuietHours {
                channel: Channel::Sms,
                from: "21:00".parse().unwrap(),
                until: "08:00".parse().unwrap(),
            }]
        } else {
            vec![]
        },
        send_at_local: None,
        working_days_only: false,
        brand_id: None,
    };
    rule.check().expect("a valid generated rule");
    rule.id = store
        .create_rule(tenant.id, &rule, &RuleChange::new(now, "test", "created", ""))
        .await
        .unwrap();
    let worker = Worker {
        app: app.clone(),
        channels: avisera::server::channels(app).unwrap(),
        name: "w".into(),
    };
    let from = clock.now();
    let filter = NotificationFilter {
        limit: 10_000,
        ..Default::default()
    };
    for (gap, events) in &story.batches {
        let next = clock.now() + SignedDuration::from_mins(i64::from(*gap));
        // What falls due before the batch arrives goes out at its moment, as a worker on time
        // sends it.
        loop {
            let due = store
                .notifications(tenant.id, &filter)
                .await
                .unwrap()
                .into_iter()
                .filter(|n| n.status == Status::Scheduled && n.due_at <= next)
                .map(|n| n.due_at)
                .min();
            let Some(due) = due else { break };
            clock.set(due.max(clock.now()));
            while worker.run_once().await.unwrap() > 0 {}
        }
        clock.set(next);
        let events: Vec<_> = events.iter().map(|e| checked(e, case, clock.now())).collect();
        avisera::engine::ingest(app, tenant.id, &events).await.unwrap();
    }
    let until = clock.now() + SignedDuration::from_millis(1);
    let mut live: Vec<Seen> = store
        .notifications(tenant.id, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|n| {
            let outcome = match n.status {
                Status::Scheduled | Status::Sent => Ok(text(n.message.as_ref().unwrap())),
                _ => Err(format!("{}: {}", n.status.slug(), n.reason.unwrap_or_default())),
            };
            seen(n.tracking_number, n.channel, n.recipient, n.due_at, outcome)
        })
        .collect();
    let mut replayed = Vec::new();
    avisera_core::replay::each_replayed(app.replay(), &tenant, &rule, (from, until), &mut |r, _| {
        assert!(r.in_period);
        let n = &r.notification;
        let outcome = match &n.message {
            Ok(m) => Ok(text(m)),
            Err(why @ NotSent::Failed(_)) => Err(format!("failed: {}", why.reason())),
            Err(why @ NotSent::Cancelled(_)) => Err(format!("cancelled: {}", why.reason())),
        };
        replayed.push(seen(
            r.tracking_number.clone(),
            n.channel,
            n.recipient.clone(),
            n.due_at,
            outcome,
        ));
    })
    .await
    .unwrap();
    live.sort();
    replayed.sort();
    (live, replayed)
}

fn text(m: &Message) -> String {
    match m {
        Message::Sms { text, .. } | Message::Email { text, .. } => text.clone(),
    }
}

fn seen(tracking: String, channel: Channel, to: String, due: Timestamp, outcome: Result<String, String>) -> Seen {
    match outcome {
        Ok(text) => (tracking, channel, to, due, text, None),
        Err(why) => (tracking, channel, to, due, String::new(), Some(why)),
    }
}

#[test]
fn a_replay_finds_exactly_the_notifications_the_engine_creates() {
    init();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let clock = Arc::new(FixedClock::new(START.parse().unwrap()));
    let app = rt.block_on(async {
        let config = avisera::config::Config {
            database_url: database_url(Db::Sqlite).await.into(),
            dev_inbox: true,
            delivery: test_delivery(),
            ..Default::default()
        };
        let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
        let mut app = avisera::server::build_app(config, store);
        app.clock = clock.clone();
        app
    });
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    let (case, found) = (Cell::new(0), Cell::new(0));
    runner
        .run(&story(), |story| {
            case.set(case.get() + 1);
            let (live, replayed) = rt.block_on(run(&app, &clock, case.get(), &story));
            found.set(found.get() + live.len());
            prop_assert_eq!(live, replayed);
            Ok(())
        })
        .unwrap();
    assert!(
        found.get() > 0,
        "the stories made the engine create no notification at all"
    );
}
