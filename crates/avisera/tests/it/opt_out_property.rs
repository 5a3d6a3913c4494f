//! The property of issue 15: no message reaches a receiver after their opt-out, whatever the
//! order of parcels (with the receiver's phone and one or another email), the opt-out, worker
//! passes, provider outages (retries), delays and quiet hours (deferrals). The real ingest and
//! the real worker on SQLite, the clock driven by the test; the provider records each send
//! with the clock's time, or fails it as the script says.

use crate::helpers::*;
use async_trait::async_trait;
use avisera::app::App;
use avisera::delivery::channel::{SendError, Sender};
use avisera::delivery::router::Router;
use avisera::delivery::worker::{Channels, Worker};
use avisera_domain::event::EventInput;
use avisera_domain::{Clock, FixedClock, TenantId, Timestamp};
use avisera_store::{DeliveryJob, RuleChange};
use jiff::SignedDuration;
use proptest::prelude::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The provider: records (recipient, when) of what it took, or is down.
struct Provider {
    clock: Arc<FixedClock>,
    down: AtomicBool,
    sent: Mutex<Vec<(String, Timestamp)>>,
}

#[async_trait]
impl Sender for Provider {
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(SendError::Transient("the provider is down (scripted)".into()));
        }
        let to = job.message.recipient().to_lowercase();
        self.sent.lock().unwrap().push((to, self.clock.now()));
        Ok(None)
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// A parcel event for the receiver (phone, and email `a@` or `b@`) or for a stranger.
    Parcel {
        n: u8,
        code: &'static str,
        other_email: bool,
        stranger: bool,
    },
    OptOut,
    Advance {
        minutes: u16,
    },
    Worker {
        provider_down: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u8..4, prop::sample::select(vec!["CREATED", "DELIVERED", "AVAILABLE_FOR_DELIVERY_PAR_LOC"]), any::<bool>(), prop::bool::weighted(0.2))
            .prop_map(|(n, code, other_email, stranger)| Step::Parcel { n, code, other_email, stranger }),
        1 => Just(Step::OptOut),
        3 => (0u16..600).prop_map(|minutes| Step::Advance { minutes }),
        4 => any::<bool>().prop_map(|provider_down| Step::Worker { provider_down }),
    ]
}

const PHONE: &str = "+46701234561";

fn parcel(n: u8, code: &str, other_email: bool, stranger: bool, at: Timestamp) -> avisera_domain::event::CarrierEvent {
    let (phone, email) = match (stranger, other_email) {
        (true, _) => ("+46709999991", "stranger@example.se"),
        (false, false) => (PHONE, "a@example.se"),
        (false, true) => (PHONE, "b@example.se"),
    };
    let input: EventInput = serde_json::from_value(json!({
        "tracking_number": format!("PROP{n}{}", if stranger { "S" } else { "" }), "code": code,
        "occurred_at": at.to_string(),
        "shipment": {"destination_country": "SE", "receiver": {"phone": phone, "email": email, "language": "sv"}}
    }))
    .unwrap();
    input.check().unwrap()
}

/// Every trigger the codes fire sends SMS and email: one rule at once, one after a delay
/// and within quiet hours, so messages wait, defer and retry.
async fn rules(app: &App, tenant: TenantId) {
    let now = app.clock.now();
    let mut ids = Vec::new();
    for (channel, text) in [
        ("sms", "Paket {{ tracking_number }}"),
        ("email", "Paket {{ tracking_number }}"),
    ] {
        let template: avisera_domain::template::Template = serde_json::from_value(json!({
            "id": 0, "name": channel, "channel": channel, "default_language": "sv",
            "contents": {"sv": {"subject": "Paket", "text": text}}
        }))
        .unwrap();
        ids.push(app.store.create_template(tenant, &template, now).await.unwrap().0);
    }
    for trigger in ["transport_order_received", "delivered", "arrived_at_pickup_point"] {
        for (delay, quiet) in [
            (0, json!([])),
            (45, json!([{"channel": "sms", "from": "21:00", "until": "08:00"}])),
        ] {
            let rule: avisera_domain::rule::Rule = serde_json::from_value(json!({
                "id": 0, "name": trigger, "trigger": trigger, "enabled": true, "conditions": {}, "channels": "both",
                "recipient": {"kind": "receiver"}, "sms_template_id": ids[0], "email_template_id": ids[1],
                "active_from": null, "active_until": null, "once_per_shipment": false, "days_before_deadline": null,
                "campaign": null, "delay_minutes": delay, "quiet_hours": quiet
            }))
            .unwrap();
            app.store
                .create_rule(tenant, &rule, &RuleChange::new(now, "test", "created", ""))
                .await
                .unwrap();
        }
    }
}

async fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    init();
    let clock = Arc::new(FixedClock::new("2026-11-25T18:00:00Z".parse().unwrap()));
    let config = avisera::config::Config {
        database_url: database_url(Db::Sqlite).await.into(),
        delivery: test_delivery(),
        ..Default::default()
    };
    let store = avisera::server::open_migrated_store(&config).await.unwrap().0;
    let mut app = avisera::server::build_app(config, store);
    app.clock = clock.clone();
    add_tenant(&app, "Webshop AB").await;
    let tenant = TenantId(1);
    rules(&app, tenant).await;
    let provider = Arc::new(Provider {
        clock: clock.clone(),
        down: AtomicBool::new(false),
        sent: Mutex::new(Vec::new()),
    });
    let worker = Worker {
        app: app.clone(),
        channels: Channels {
            sms: Arc::new(Router::one(
                "sms",
                "prop",
                provider.clone(),
                app.config.delivery.failover.policy(),
            )),
            email: Arc::new(Router::one(
                "email",
                "prop",
                provider.clone(),
                app.config.delivery.failover.policy(),
            )),
        },
        name: "prop".into(),
    };
    let mut opted_out: Option<Timestamp> = None;
    for step in steps
        .into_iter()
        .chain([Step::Advance { minutes: 900 }, Step::Worker { provider_down: false }])
    {
        match step {
            Step::Parcel {
                n,
                code,
                other_email,
                stranger,
            } => {
                let e = parcel(n, code, other_email, stranger, clock.now());
                avisera::engine::ingest(&app, tenant, &[e]).await.unwrap();
            }
            Step::OptOut => {
                // As the opt-out page does: the receiver of the phone, at this moment.
                if let Some(r) = app.store.receiver_of(tenant, PHONE).await.unwrap() {
                    app.store.opt_out_receiver(tenant, r.id, clock.now()).await.unwrap();
                    opted_out.get_or_insert(clock.now());
                }
            }
            Step::Advance { minutes } => clock.advance(SignedDuration::from_mins(i64::from(minutes))),
            Step::Worker { provider_down } => {
                provider.down.store(provider_down, Ordering::SeqCst);
                // A pass, and a second one for what the first handed on (an SMS became email).
                worker.run_once().await.unwrap();
                worker.run_once().await.unwrap();
            }
        }
        clock.advance(SignedDuration::from_secs(1));
    }
    let receiver = ["+46701234561", "a@example.se", "b@example.se"];
    if let Some(at) = opted_out {
        for (to, when) in provider.sent.lock().unwrap().iter() {
            prop_assert!(
                !(receiver.contains(&to.as_str()) && *when >= at),
                "{to} got a message at {when}, after opting out at {at}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_message_reaches_a_receiver_after_their_opt_out(steps in prop::collection::vec(step(), 1..30)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run(steps))?;
    }
}
