//! Logs and the node's telemetry chores: the log format (text or JSON lines), a span per HTTP
//! request with its id, and the periodic refresh of the gauges that need the store.

use crate::app::App;
use crate::config::LogFormat;
use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::io::IsTerminal;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Logs to standard error, filtered by `AVISERA_LOG` (default `info,sqlx=warn`). Text is
/// coloured only on a terminal (and never with `NO_COLOR` set); JSON is one object per line
/// with the fields of every span it happened in (request, tenant, notification, shipment).
pub fn init_logs(format: LogFormat) {
    let filter = EnvFilter::try_from_env("AVISERA_LOG").unwrap_or_else(|_| "info,sqlx=warn".into());
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
                        .with_ansi(colour),
                )
                .try_init()
        }
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // Already set (a second call in one process) is not an error worth stopping for.
    let _ = result;
}

const REQUEST_ID: &str = "x-request-id";

/// Runs each request in a `request` span with its id (the caller's `X-Request-Id` when it is a
/// short token, else a new one, echoed in the answer), method and route; the API key's check
/// adds the tenant.
pub async fn request_span(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    // The route's pattern, not the path: paths hold tokens that must not reach the logs.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_string();
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        route = %route,
        tenant = tracing::field::Empty,
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let (status, ms) = (response.status().as_u16(), started.elapsed().as_millis() as u64);
    span.in_scope(|| {
        // A server error is worth a line at the default level; everything else on demand.
        if status >= 500 {
            tracing::warn!(status, ms, "request failed");
        } else {
            tracing::debug!(status, ms, "request finished");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Every few seconds until `stop`: folds histogram samples (bounded memory between scrapes),
/// on a node whose workers do not do it refreshes the scheduled-notifications gauge, and
/// applies the plan changes tenants asked for whose day has come, and once an hour erases the
/// personal data of journeys past `retention_days` (`privacy::sweep`).
pub async fn upkeep(app: App, count_scheduled: bool, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(crate::metrics::REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // By the node's clock, so a sweep follows the clock a test moves.
    let mut next_sweep: Option<jiff::Timestamp> = None;
    let mut pace = crate::metrics::CountPace::default();
    while !*stop.borrow() {
        tokio::select! {
            _ = tick.tick() => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
                continue;
            }
        }
        // The tick sets the rhythm; the pace holds back a count that has grown slow.
        if count_scheduled {
            pace.count(Duration::ZERO, crate::delivery::worker::count_scheduled(&app))
                .await;
        }
        app.metrics.upkeep();
        if let Err(e) = avisera_core::plans::apply_due(app.store.as_ref(), app.clock.now()).await {
            tracing::warn!(error = %e, "could not apply the requested plan changes; trying again shortly");
        }
        let now = app.clock.now();
        if next_sweep.is_none_or(|at| now >= at) {
            crate::privacy::sweep(&app, now).await;
            next_sweep = now.checked_add(crate::privacy::SWEEP_EVERY).ok();
        }
    }
}
