//! `avisera demo`: a fresh SQLite database, a seeded demo tenant with enabled rules on the
//! four basic triggers, a simulated carrier feed, and the dev inbox.

use crate::app::App;
use crate::config::Config;
use crate::server;
use anyhow::Context;
use avisera_core::ingest::Source;
use avisera_core::{rules, templates, tenants, users};
use avisera_domain::contact::EmailAddress;
use avisera_domain::email_layout::Block;
use avisera_domain::event::{EventInput, PickupPointInput, ReceiverInput, ShipmentInput};
use avisera_domain::notification::Channel;
use avisera_domain::plan::Plan;
use avisera_domain::rule::{ChannelChoice, Conditions, Recipient, Rule};
use avisera_domain::template::{Template, TemplateBody};
use avisera_domain::tenant::{Brand, Tenant};
use avisera_domain::trigger::Trigger;
use avisera_domain::user::Role;
use avisera_domain::{RuleId, TemplateId};
use jiff::SignedDuration;
use std::collections::BTreeMap;
use std::time::Duration;

/// The demo's portal user; its password is made and printed at start.
pub const DEMO_USER: &str = "demo@avisera.local";

/// Runs the demo until Ctrl-C; its data lives in `avisera-demo-<pid>` in the temporary
/// directory, removed when it stops unless `keep`.
pub async fn run(listen: &str, every: f64, keep: bool) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("avisera-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let ran = serve(&dir, listen, every, keep).await;
    if keep {
        println!("The demo's data stays in {}.", dir.display());
    } else if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove the demo's data in {}: {e}", dir.display());
    }
    ran
}

async fn serve(dir: &std::path::Path, listen: &str, every: f64, keep: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen} (try --listen 127.0.0.1:0)"))?;
    let addr = listener.local_addr()?;
    let config = Config {
        database_url: format!("sqlite://{}", dir.join("demo.sqlite").display()).into(),
        listen: addr,
        public_url: crate::config::HttpUrl::parse(&format!("http://{addr}")).map_err(anyhow::Error::msg)?,
        dev_inbox: true,
        ..Config::default()
    };
    // The demo's own file: migrated at start, as an operator would with `avisera migrate`.
    let (store, _) = server::open_migrated_store(&config).await?;
    let app = server::build_app(config, store);
    let (tenant, key) = seed(&app).await?;
    let password = users::new_password();
    users::add(
        &*app.store,
        app.clock.now(),
        tenant.id,
        DEMO_USER,
        "Demo Admin",
        Role::Admin,
        &password,
    )
    .await?;
    println!(
        "\nAvisera demo is running.\n\n  Portal:      http://{addr}/portal  (sign in as {DEMO_USER} / {password})\n  Dev inbox:   http://{addr}/dev/inbox\n  API:         http://{addr}/docs\n  Tenant:      {} (id {}, plan {})\n  API key:     {key}\n\n\
         A simulated carrier sends events every {every} s; messages appear in the dev inbox.\n\
         Post your own:\n  curl -s -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\\n    \
         -d '{{\"tracking_number\":\"MY1\",\"code\":\"DELIVERED\",\"occurred_at\":\"2026-11-25T12:00:00+01:00\",\"shipment\":{{\"receiver\":{{\"name\":\"Test\",\"phone\":\"070-123 45 67\",\"email\":\"test@example.com\"}}}}}}' \\\n    \
         http://{addr}/v1/events\n\nData: {} ({})\nStop with Ctrl-C.\n",
        tenant.name,
        tenant.id,
        tenant.plan,
        dir.display(),
        if keep {
            "kept when it stops"
        } else {
            "removed when it stops; --keep keeps it"
        }
    );
    tokio::spawn(feed(app.clone(), tenant.clone(), every));
    server::run(app, listener).await
}

fn body(text: &str) -> TemplateBody {
    TemplateBody {
        text: text.into(),
        ..Default::default()
    }
}

/// An email in blocks, shown in the brand layout (logo, colour, customer service, opt-out).
fn email(subject: &str, heading: &str, text: &str) -> TemplateBody {
    TemplateBody {
        subject: Some(subject.into()),
        blocks: Some(vec![
            Block::Heading { text: heading.into() },
            Block::Text { text: text.into() },
        ]),
        text: format!("{heading}\n\n{text}\n\n{{{{ tracking_link }}}}"),
        ..Default::default()
    }
}

/// The words a demo message adds in its language: opt out, settings, follow the parcel.
const WORDS_SV: (&str, &str, &str) = ("Avsluta", "Inställningar", "Följ paketet");
const WORDS_EN: (&str, &str, &str) = ("Stop", "Settings", "Track your parcel");

/// Every demo message carries the receiver's opt-out link (issue 15), an email its preference
/// centre too (the layout's footer has the opt-out link), and a button to the tracking page.
fn finished(mut body: TemplateBody, (stop, settings, track): (&str, &str, &str)) -> TemplateBody {
    body.text = match body.subject {
        Some(_) => format!(
            "{}\n\n{stop}: {{{{ unsubscribe_link }}}} · {settings}: {{{{ preferences_link }}}}",
            body.text
        ),
        None => format!("{} {stop}: {{{{ unsubscribe_link }}}}", body.text),
    };
    if let Some(blocks) = &mut body.blocks {
        blocks.push(Block::Button {
            label: track.into(),
            url: "{{ tracking_link }}".into(),
        });
        blocks.push(Block::Divider);
        blocks.push(Block::Text {
            text: format!("{settings}: {{{{ preferences_link }}}}"),
        });
    }
    body
}

/// The demo's texts per basic trigger: (trigger, SMS sv, SMS en, email sv, email en).
fn texts() -> Vec<(Trigger, TemplateBody, TemplateBody, TemplateBody, TemplateBody)> {
    vec![
        (
            Trigger::TransportOrderReceived,
            body(
                "Hej {{ receiver_name }}! Din order {{ order_reference }} från {{ brand_name }} är bokad för leverans. Spåra: {{ tracking_link }}",
            ),
            body(
                "Hi {{ receiver_name }}! Your order {{ order_reference }} from {{ brand_name }} is booked for delivery. Track: {{ tracking_link }}",
            ),
            email(
                "Din order {{ order_reference }} är bokad",
                "Tack för din beställning!",
                "Hej {{ receiver_name }}, vi har bokat transporten av din order {{ order_reference }}.",
            ),
            email(
                "Your order {{ order_reference }} is booked",
                "Thank you for your order!",
                "Hi {{ receiver_name }}, we have booked the transport of your order {{ order_reference }}.",
            ),
        ),
        (
            Trigger::FirstTransportEvent,
            body("{{ brand_name }}: ditt paket {{ tracking_number }} är på väg! {{ tracking_link }}"),
            body("{{ brand_name }}: your parcel {{ tracking_number }} is on its way! {{ tracking_link }}"),
            email(
                "Ditt paket är på väg",
                "Paketet har lämnat oss",
                "Hej {{ receiver_name }}, ditt paket {{ tracking_number }} är på väg med {{ carrier }}.",
            ),
            email(
                "Your parcel is on its way",
                "Your parcel has left us",
                "Hi {{ receiver_name }}, your parcel {{ tracking_number }} is on its way with {{ carrier }}.",
            ),
        ),
        (
            Trigger::Delivered,
            body("{{ brand_name }}: ditt paket {{ tracking_number }} är levererat. Tack för att du handlar hos oss!"),
            body(
                "{{ brand_name }}: your parcel {{ tracking_number }} has been delivered. Thank you for shopping with us!",
            ),
            email(
                "Levererat!",
                "Ditt paket är framme",
                "Hej {{ receiver_name }}, ditt paket {{ tracking_number }} är levererat.\nHur gick leveransen? Betygsätt den: {{ rating_link }}",
            ),
            email(
                "Delivered!",
                "Your parcel has arrived",
                "Hi {{ receiver_name }}, your parcel {{ tracking_number }} has been delivered.\nHow was the delivery? Rate it: {{ rating_link }}",
            ),
        ),
        (
            Trigger::DaysLeftAtPickupPoint,
            body(
                "{{ brand_name }}: ditt paket väntar på {{ pickup_point_name }}, {{ pickup_point_address }}. {{ days_left }} dagar kvar, hämta senast {{ storage_deadline }}.",
            ),
            body(
                "{{ brand_name }}: your parcel waits at {{ pickup_point_name }}, {{ pickup_point_address }}. {{ days_left }} days left, collect by {{ storage_deadline }}.",
            ),
            email(
                "{{ days_left }} dagar kvar att hämta ditt paket",
                "Glöm inte ditt paket",
                "Hej {{ receiver_name }}, ditt paket väntar på {{ pickup_point_name }} ({{ pickup_point_opening_hours }}). Hämta senast {{ storage_deadline }}.",
            ),
            email(
                "{{ days_left }} days left to collect your parcel",
                "Don't forget your parcel",
                "Hi {{ receiver_name }}, your parcel waits at {{ pickup_point_name }} ({{ pickup_point_opening_hours }}). Collect it by {{ storage_deadline }}.",
            ),
        ),
    ]
}

/// A seeded rule's name: its trigger as the portal names it in the demo tenant's language
/// (Swedish), e.g. "Levererad".
fn seeded_name(trigger: Trigger) -> String {
    crate::portal::trigger_name("sv", trigger)
}

async fn seed(app: &App) -> anyhow::Result<(Tenant, String)> {
    let store = &app.store;
    let now = app.clock.now();
    let mut brand = Brand::named("Demo Webshop");
    brand.sms_sender_id = "DemoShop".into();
    // The demo shop's purple, in the brand rather than written into each email.
    brand.colour = avisera_domain::colour::Colour::parse("#7a2e8e").map_err(anyhow::Error::msg)?;
    brand.customer_service_email = Some(EmailAddress::parse("kundtjanst@demo-webshop.example")?);
    brand.email_from_address = Some(EmailAddress::parse("no-reply@demo-webshop.example")?);
    let tenant = store.create_tenant("Demo Webshop AB", Plan::Plus, &brand, now).await?;
    let key = tenants::add_api_key(store.as_ref(), tenant.id, "demo", now).await?;
    for (trigger, sms_sv, sms_en, mail_sv, mail_en) in texts() {
        let mut ids = Vec::new();
        for (channel, sv, en) in [
            (Channel::Sms, sms_sv.clone(), sms_en.clone()),
            (Channel::Email, mail_sv.clone(), mail_en.clone()),
        ] {
            let (sv, en) = (finished(sv, WORDS_SV), finished(en, WORDS_EN));
            let template = Template {
                id: TemplateId(0),
                name: format!(
                    "{} ({})",
                    seeded_name(trigger),
                    crate::portal::channel_name("sv", channel)
                ),
                channel,
                default_language: "sv".into(),
                contents: BTreeMap::from([("sv".to_string(), sv), ("en".to_string(), en)]),
                opt_out_footer: true,
            };
            let name = template.name.clone();
            let template = templates::create(store.as_ref(), &tenant, template, now)
                .await
                .map_err(|e| anyhow::anyhow!("demo template {name}: {e}"))?;
            ids.push(template.id);
        }
        let rule = Rule {
            id: RuleId(0),
            name: seeded_name(trigger),
            trigger,
            enabled: false,
            conditions: Conditions::default(),
            channels: ChannelChoice::Both,
            recipient: Recipient::Receiver,
            sms_template_id: Some(ids[0]),
            email_template_id: Some(ids[1]),
            active_from: None,
            active_until: None,
            once_per_shipment: false,
            days_before_deadline: (trigger == Trigger::DaysLeftAtPickupPoint).then_some(2),
            campaign: None,
            delay_minutes: 0,
            quiet_hours: Vec::new(),
            send_at_local: None,
            working_days_only: false,
            brand_id: None,
        };
        let by = rules::Change { actor: "demo", now };
        let rule = rules::create(store.as_ref(), tenant.id, by, rule).await?;
        rules::set_enabled(store.as_ref(), tenant.id, by, rule.id, true).await?;
    }
    Ok((tenant, key))
}

const RECEIVERS: &[(&str, &str, &str, &str)] = &[
    ("Anna Andersson", "+46701234561", "anna@example.se", "sv"),
    ("Erik Johansson", "0701234562", "erik@example.se", "sv"),
    ("Sara Nilsson", "+46 70 123 45 63", "sara@example.com", "en"),
    ("Olle Berg", "070-123 45 64", "olle@example.se", "sv"),
];

/// One simulated carrier event for parcel number `n`.
async fn carrier_event(app: &App, tenant: &Tenant, n: u64, code: &str, pickup: Option<PickupPointInput>) {
    let (name, phone, email, lang) = RECEIVERS[(n as usize) % RECEIVERS.len()];
    let event = EventInput {
        tracking_number: Some(format!("00370712{:012}", 345_000 + n)),
        code: Some(code.into()),
        occurred_at: Some(app.clock.now().to_string()),
        location: Some("Stockholm".into()),
        shipment: Some(ShipmentInput {
            receiver: Some(ReceiverInput {
                name: Some(name.into()),
                phone: Some(phone.into()),
                email: Some(email.into()),
                language: Some(lang.into()),
                time_zone: None,
            }),
            destination_country: Some("SE".into()),
            order_reference: Some(format!("ORD-{}", 1000 + n)),
            carrier: Some("PostNord".into()),
            ..Default::default()
        }),
        pickup_point: pickup,
        ..Default::default()
    };
    match event.check() {
        Ok(e) => {
            if let Err(err) = app.ingest().events(Source::Demo, tenant.id, &[e]).await {
                tracing::warn!(error = %err, "demo feed event not stored");
            }
        }
        Err(e) => tracing::warn!(error = %e, "demo feed made a bad event"),
    }
}

/// A carrier that keeps announcing, moving and delivering parcels. Every other parcel goes to
/// a pickup point whose deadline is two days and twenty seconds away, so its "2 days left"
/// reminder comes twenty seconds later; the rest are delivered at the door.
async fn feed(app: App, tenant: Tenant, every: f64) {
    let pause = Duration::from_secs_f64(every.max(0.1));
    for n in 1u64.. {
        carrier_event(&app, &tenant, n, "CREATED", None).await;
        let (app2, tenant2) = (app.clone(), tenant.clone());
        tokio::spawn(async move {
            tokio::time::sleep(pause).await;
            carrier_event(&app2, &tenant2, n, "EN_ROUTE", None).await;
            tokio::time::sleep(pause).await;
            if n % 2 == 0 {
                let deadline = app2.clock.now() + SignedDuration::from_hours(48) + SignedDuration::from_secs(20);
                let pickup = PickupPointInput {
                    name: Some("ICA Nära Rosendal".into()),
                    address: Some("Rosendalsvägen 1, Stockholm".into()),
                    opening_hours: Some("8-22".into()),
                    storage_deadline: Some(deadline.to_string()),
                };
                carrier_event(&app2, &tenant2, n, "AVAILABLE_FOR_DELIVERY_PAR_LOC", Some(pickup)).await;
            } else {
                carrier_event(&app2, &tenant2, n, "DELIVERED", None).await;
            }
        });
        tokio::time::sleep(pause).await;
    }
}
