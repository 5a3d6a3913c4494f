//! Starting a node: open the store, build the channels, run the HTTP API and the delivery
//! worker side by side, as the node's roles say.

use crate::app::App;
use crate::config::{Config, Role};
use crate::delivery::channel::dev_inbox::DevInbox;
use crate::delivery::channel::sms_http::SmsHttp;
use crate::delivery::channel::smtp::Smtp;
use crate::delivery::channel::{Sender, Unconfigured};
use crate::delivery::handoff::Handoff;
use crate::delivery::router::{Named, Router};
use crate::delivery::worker::{Channels, Worker};
use crate::links::SignedLinks;
use anyhow::Context;
use avisera_domain::mapping::Mapping;
use avisera_domain::{Clock, SystemClock};
use avisera_store::{MigrationReport, SchemaStatus, Store};
use secrecy::ExposeSecret;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

/// Opens the store for a node or an operator command: only `avisera migrate` changes the schema,
/// so a database older or newer than this build is refused with the command that fixes it.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = connect(config).await?;
    if let Some(advice) = schema_advice(store.schema_status().await?) {
        anyhow::bail!(advice);
    }
    Ok(store)
}

/// Opens the store and migrates it first: `avisera migrate`, the demo and the tests.
pub async fn open_migrated_store(config: &Config) -> anyhow::Result<(Arc<dyn Store>, MigrationReport)> {
    let store = connect(config).await?;
    let report = store.migrate().await.context("migrating the database schema")?;
    Ok((store, report))
}

/// The store for the database URL: SQLite for `sqlite:`, PostgreSQL otherwise (its store
/// refuses a URL that is neither).
async fn connect(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.database_url.as_str();
    Ok(if url.starts_with("sqlite:") {
        Arc::new(avisera_store_sqlite::connect(url).await?)
    } else {
        Arc::new(avisera_store_postgres::connect(url).await?)
    })
}

/// What an operator must do when the schema is not the one this build knows; `None` when it is.
pub fn schema_advice(status: SchemaStatus) -> Option<String> {
    match status {
        SchemaStatus::Empty { .. } => {
            Some("the database has no Avisera schema yet: run `avisera migrate` to create it".into())
        }
        SchemaStatus::PreMigrations { known } => Some(format!(
            "the database was made by an Avisera from before versioned migrations, this avisera needs schema version {known}: run `avisera migrate` (it keeps every row)"
        )),
        SchemaStatus::At { version, known } if version < known => Some(format!(
            "the database schema is at version {version}, this avisera needs {known}: run `avisera migrate`"
        )),
        SchemaStatus::At { version, known } if version > known => Some(format!(
            "the database schema is at version {version}, newer than this avisera knows ({known}): upgrade avisera to the release that migrated it"
        )),
        SchemaStatus::At { .. } => None,
    }
}

/// What `avisera migrate` prints.
pub fn migration_summary(report: &MigrationReport) -> String {
    let mut out = String::new();
    if report.adopted {
        out.push_str("adopted a database made before versioned migrations as version 1 (added the columns, tables and indexes it lacked; kept every row)\n");
    }
    for m in &report.applied {
        out.push_str(&format!("applied {:04} {}\n", m.version, m.name));
    }
    if report.applied.is_empty() && !report.adopted {
        out.push_str(&format!("schema is up to date at version {}\n", report.version));
    } else {
        out.push_str(&format!("schema is now at version {}\n", report.version));
    }
    out
}

pub fn build_app(config: Config, store: Arc<dyn Store>) -> App {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let inbox = config.dev_inbox.then(|| DevInbox::new(clock.clone()));
    let secret = match &config.link_secret {
        Some(s) => s.expose_secret().as_bytes().to_vec(),
        None => {
            if !config.dev_inbox {
                tracing::warn!(
                    "no link_secret configured: tracking and opt-out links will stop working after a restart"
                );
            }
            rand::random::<[u8; 32]>().to_vec()
        }
    };
    let links = Arc::new(SignedLinks::new(&config.public_url, &secret));
    let mapping = Arc::new(Mapping::defaults().with(&config.operator_mapping));
    App {
        store,
        clock,
        config: Arc::new(config),
        inbox,
        work: Arc::new(Notify::new()),
        arrivals: Arc::new(Notify::new()),
        announce: Arc::new(Notify::new()),
        links,
        mapping,
        metrics: Arc::default(),
        throttle: Arc::default(),
        handoff: Arc::default(),
    }
}

/// Each channel's providers in the operator's order, behind a router with this node's
/// breakers; the dev inbox (or a stand-in that fails every message) when none is configured.
pub fn channels(app: &App) -> anyhow::Result<Channels> {
    let c = &app.config;
    let policy = c.delivery.failover.policy();
    let inbox = app.inbox.clone().map(|i| Arc::new(i) as Arc<dyn Sender>);
    let sms = match (&c.sms, &inbox) {
        (Some(providers), _) => {
            let mut named = Vec::new();
            for p in providers.all() {
                let sender = SmsHttp::new(p.clone()).with_context(|| format!("SMS provider {} client", p.name()))?;
                named.push(Named {
                    name: p.name().into(),
                    sender: Arc::new(sender),
                });
            }
            Router::new("sms", named, policy)
        }
        (None, Some(inbox)) => Router::one("sms", "dev_inbox", inbox.clone(), policy),
        (None, None) => Router::one(
            "sms",
            "unconfigured",
            Arc::new(Unconfigured("no SMS provider is configured ([sms] in the config file)")),
            policy,
        ),
    };
    let email = match (&c.smtp, &inbox) {
        (Some(servers), _) => {
            let mut named = Vec::new();
            for s in servers.all() {
                let sender = Smtp::new(s).with_context(|| format!("SMTP server {} transport", s.name()))?;
                named.push(Named {
                    name: s.name().into(),
                    sender: Arc::new(sender),
                });
            }
            Router::new("email", named, policy)
        }
        (None, Some(inbox)) => Router::one("email", "dev_inbox", inbox.clone(), policy),
        (None, None) => Router::one(
            "email",
            "unconfigured",
            Arc::new(Unconfigured("no SMTP server is configured ([smtp] in the config file)")),
            policy,
        ),
    };
    Ok(Channels {
        sms: Arc::new(sms),
        email: Arc::new(email),
    })
}

/// Runs the node's roles until SIGTERM or Ctrl-C: an `api` node serves the whole HTTP API on
/// `listener`; a `worker` node runs the delivery workers, and when it is not also an `api`
/// node serves only `/healthz`, `/readyz` and `/metrics` there (for probes and scraping).
/// On the signal it stops taking requests, lets the workers finish what they hold, and returns.
pub async fn run(app: App, listener: TcpListener) -> anyhow::Result<()> {
    let (stop, stopped) = watch::channel(false);
    let mut workers = Vec::new();
    if app.config.has_role(Role::Worker) {
        let channels = channels(&app)?;
        for _ in 0..app.config.delivery.workers {
            let worker = Worker {
                app: app.clone(),
                channels: channels.clone(),
                name: format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple()),
            };
            workers.push(tokio::spawn(worker.run(stopped.clone())));
        }
        let d = &app.config.delivery;
        if d.express_batch > 0 {
            let express = Worker {
                app: app.clone(),
                channels: channels.clone(),
                name: format!("{}-express-{}", hostname(), uuid::Uuid::new_v4().simple()),
            };
            // Only a claim applies rate limits: with one configured, nothing is handed over.
            let handed = if app.config.has_role(Role::Api) && !crate::delivery::limits::send_limits(&app.config).any() {
                let per_batch = d.express_batch as usize;
                let (handoff, handed) = Handoff::new(express.name.clone(), d.lease_ms, per_batch, d.batch as usize);
                let _ = app.handoff.set(handoff);
                Some(handed)
            } else {
                None
            };
            workers.push(tokio::spawn(express.run_express(handed, stopped.clone())));
        }
    }
    // On PostgreSQL, nodes tell each other about new work (NOTIFY/LISTEN); on SQLite every
    // worker shares the writer's process.
    let on_postgres = !app.config.database_url.as_str().starts_with("sqlite:");
    let mut wake = Vec::new();
    if on_postgres {
        wake.push(tokio::spawn(announce_work(app.clone(), stopped.clone())));
        if !workers.is_empty() {
            let node = app.clone();
            wake.push(tokio::spawn(avisera_store_postgres::wake::listen(
                app.config.database_url.as_str().to_string(),
                move || node.work_arrived(),
                stopped.clone(),
            )));
        }
    }
    let bus = match (&app.config.nats, app.config.has_role(Role::Api)) {
        (Some(nats), true) => Some(nats_door(&app, nats, stopped.clone()).await?),
        _ => None,
    };
    // The workers refresh the scheduled gauge themselves; a node without them does it here.
    let upkeep = tokio::spawn(crate::telemetry::upkeep(
        app.clone(),
        workers.is_empty(),
        stopped.clone(),
    ));
    let router = if app.config.has_role(Role::Api) {
        crate::http::router(app)
    } else {
        crate::http::ops_router(app)
    };
    let router = router.layer(axum::middleware::from_fn(crate::telemetry::request_span));
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: no new requests; delivering what is claimed");
        })
        .await
        .context("HTTP server")?;
    let _ = stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    if let Some(bus) = bus {
        match bus.await {
            Ok(Err(e)) => tracing::error!(error = %e, "NATS ingest"),
            Err(e) => tracing::error!(error = %e, "NATS ingest task"),
            Ok(Ok(())) => {}
        }
    }
    let _ = upkeep.await;
    for task in wake {
        let _ = task.await;
    }
    Ok(())
}

/// Sends one announcement at a time while this node stores new work: announcements asked for
/// during one being sent become one more, so a burst of batches costs a few, not one each.
async fn announce_work(app: App, mut stopped: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = app.announce.notified() => {
                if let Err(e) = app.store.announce_work().await {
                    tracing::warn!(error = %e, "could not tell other nodes about new work; they find it at their next poll");
                }
            }
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    return;
                }
            }
        }
    }
}

/// Joins the shared JetStream consumer (making the stream and consumer if missing) and takes
/// events from it until the node stops. A bus that cannot be reached at start stops the start.
async fn nats_door(
    app: &App,
    nats: &crate::config::NatsConfig,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<Result<(), avisera_ingest_nats::Error>>> {
    let settings = nats.settings();
    let consumer = avisera_ingest_nats::open(&settings).await?;
    tracing::info!(
        stream = %settings.stream,
        subjects = %avisera_ingest_nats::Subjects::new(&settings.prefix).all_events(),
        "taking events from NATS"
    );
    let sink = crate::ingest::nats::NatsSink { app: app.clone() };
    Ok(tokio::spawn(async move {
        let mut consumer = consumer;
        loop {
            let stop = {
                let mut stopped = stopped.clone();
                async move {
                    let _ = stopped.wait_for(|s| *s).await;
                }
            };
            match consumer.run(&sink, stop).await {
                Ok(()) => return Ok(()),
                // The bus ended the consumer's stream (a server restart, the consumer deleted):
                // join again, as at start, until it works or the node stops.
                Err(e) => tracing::error!(error = %e, "the NATS consumer stopped; joining it again"),
            }
            consumer = loop {
                tokio::select! {
                    _ = stopped.wait_for(|s| *s) => return Ok(()),
                    () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
                match avisera_ingest_nats::open(&settings).await {
                    Ok(c) => break c,
                    Err(e) => tracing::error!(error = %e, "cannot join the NATS consumer again"),
                }
            };
        }
    }))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn hostname() -> String {
    std::env::var("HOSTNAME").unwrap_or_else(|_| "avisera".into())
}
