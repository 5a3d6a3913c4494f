//! Starting a node: open the store, build the channels, run the HTTP API and the delivery
//! worker side by side, as the node's roles say.

use crate::app::App;
use crate::config::{Config, Role};
use crate::delivery::channel::dev_inbox::DevInbox;
use crate::delivery::channel::sms_http::SmsHttp;
use crate::delivery::channel::smtp::Smtp;
use crate::delivery::channel::{Sender, Unconfigured};
use crate::delivery::worker::{Channels, Worker};
use crate::links::SignedLinks;
use anyhow::Context;
use avisera_domain::mapping::Mapping;
use avisera_domain::{Clock, SystemClock};
use avisera_store::Store;
use secrecy::ExposeSecret;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = avisera_store_sql::connect(config.database_url.as_str()).await?;
    store.migrate().await.context("creating the schema")?;
    Ok(Arc::new(store))
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
        links,
        mapping,
        metrics: Arc::default(),
        throttle: Arc::default(),
    }
}

pub fn channels(app: &App) -> anyhow::Result<Channels> {
    let c = &app.config;
    let inbox = app.inbox.clone().map(|i| Arc::new(i) as Arc<dyn Sender>);
    let sms: Arc<dyn Sender> = match (&c.sms, &inbox) {
        (Some(sms), _) => Arc::new(SmsHttp::new(sms.clone()).context("SMS provider client")?),
        (None, Some(inbox)) => inbox.clone(),
        (None, None) => Arc::new(Unconfigured("no SMS provider is configured ([sms] in the config file)")),
    };
    let email: Arc<dyn Sender> = match (&c.smtp, &inbox) {
        (Some(smtp), _) => Arc::new(Smtp::new(smtp).context("SMTP transport")?),
        (None, Some(inbox)) => inbox.clone(),
        (None, None) => Arc::new(Unconfigured("no SMTP server is configured ([smtp] in the config file)")),
    };
    Ok(Channels { sms, email })
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
    }
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
    let _ = upkeep.await;
    Ok(())
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
