//! Metrics through the `metrics` crate, rendered in Prometheus' text format by
//! `metrics-exporter-prometheus` at `/metrics`. Labels never name a tenant.
//!
//! Each `App` owns its recorder (not the process-global one), so several apps in one process
//! (the tests) count apart; the binary runs one app, so nothing is lost by it.

use metrics::{Counter, Gauge, Histogram, Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::time::{Duration, Instant};

static METADATA: Metadata<'static> = Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

/// How often the gauges that need the store are refreshed, and histograms folded.
pub const REFRESH: Duration = Duration::from_secs(5);
/// The soonest a worker that just ran out of work counts the outbox again.
pub const REFRESH_WHEN_IDLE: Duration = Duration::from_secs(1);
/// A count of the outbox waits at least this many times as long as the last one took.
const COUNT_SPACING: u32 = 50;

/// When the gauges counted from the store may be counted again. A count reads every waiting
/// message, so its cost grows with the backlog (0.4 s at a million): the next one waits at
/// least `COUNT_SPACING` times the last one's time, and counting takes at most a fiftieth of
/// a node's time whatever the backlog (every 20 s at a million).
#[derive(Debug, Default)]
pub struct CountPace {
    last: Option<(Instant, Duration)>,
}

impl CountPace {
    /// Is a count due at `now`, `every` after the last one began (and no sooner than its
    /// spacing allows)?
    pub fn due(&self, now: Instant, every: Duration) -> bool {
        self.last
            .is_none_or(|(began, took)| now.saturating_duration_since(began) >= every.max(took * COUNT_SPACING))
    }

    /// A count began at `began` and ended at `ended`.
    pub fn counted(&mut self, began: Instant, ended: Instant) {
        self.last = Some((began, ended.saturating_duration_since(began)));
    }

    /// Runs `count` if one is due, `every` after the last (`due`), timing it; true when it ran.
    pub async fn count(&mut self, every: Duration, count: impl std::future::Future<Output = ()>) -> bool {
        if !self.due(Instant::now(), every) {
            return false;
        }
        let began = Instant::now();
        count.await;
        self.counted(began, Instant::now());
        true
    }
}

pub use avisera_core::ingest::Source;

/// Latencies from milliseconds to the longest retry wait (hours).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0, 7200.0, 28800.0,
];

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    /// Events the API refused (kept as a field: the events handler counts into it).
    pub events_rejected: Counter,
}

/// Kept for the call sites that count into a field.
pub fn add(counter: &Counter, n: u64) {
    counter.increment(n);
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        let describe = |name: &'static str, unit: Option<Unit>, help: &'static str| {
            recorder.describe_counter(name.into(), unit, help.into());
        };
        describe(
            "avisera_events_total",
            None,
            "Carrier events received, by result and source.",
        );
        describe(
            "avisera_events_unknown_code_total",
            None,
            "Accepted events whose code is in no mapping table (stored, fired nothing).",
        );
        describe(
            "avisera_notifications_created_total",
            None,
            "Notifications created by rules.",
        );
        describe(
            "avisera_notifications_handed_off_total",
            None,
            "Notifications this node's ingest leased to its own express lane as they were stored (sent without a claim).",
        );
        describe(
            "avisera_deliveries_total",
            None,
            "Delivery outcomes recorded by this node, by outcome, channel and provider.",
        );
        describe(
            "avisera_receipts_total",
            None,
            "Providers' receipts taken, by channel and result (delivered, undelivered, hard_bounce, soft_bounce, complained, duplicate, late, not_sent, not_yet_sent, intermediate, unknown, ambiguous, rejected).",
        );
        describe(
            "avisera_privacy_erased_total",
            None,
            "Shipments whose personal data was erased, by reason (request or retention).",
        );
        describe(
            "avisera_tracking_visits_total",
            None,
            "Requests for tracking pages and open-tracking images by a verified link, by what they counted (link_visit: for a notification and its page, page_view: for the page only, email_open: an email's open, not_counted: HEAD, a link-preview bot, or an image while open tracking is off, failed: not stored).",
        );
        recorder.describe_gauge(
            "avisera_notifications_scheduled".into(),
            None,
            "Notifications waiting to be sent (all nodes; refreshed by the delivery worker every few seconds).".into(),
        );
        recorder.describe_gauge(
            "avisera_notifications_held".into(),
            None,
            "Due notifications a rate limit holds back (all nodes; refreshed with avisera_notifications_scheduled)."
                .into(),
        );
        recorder.describe_gauge(
            "avisera_outbox_lag_seconds".into(),
            Some(Unit::Seconds),
            "How long the oldest notification this node's worker last claimed had been due (0 when nothing was due)."
                .into(),
        );
        let hist = |name: &'static str, help: &'static str| {
            recorder.describe_histogram(name.into(), Some(Unit::Seconds), help.into());
        };
        hist(
            "avisera_delivery_latency_seconds",
            "From the event's acceptance (the notification's creation) to the provider's answer.",
        );
        hist(
            "avisera_provider_call_seconds",
            "One call to a provider, by channel, named provider and outcome (sent, permanent, refused: the next provider is tried, transient: no answer in time).",
        );
        hist(
            "avisera_ingest_batch_seconds",
            "Storing one batch of events with its notifications, by source.",
        );
        let events_rejected = counter_of(
            &recorder,
            "avisera_events_total",
            &[("result", "rejected"), ("source", Source::Api.as_str())],
        );
        Metrics {
            recorder,
            handle,
            events_rejected,
        }
    }

    fn counter(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Counter {
        counter_of(&self.recorder, name, labels)
    }

    fn histogram(&self, name: &'static str, labels: &[(&'static str, &str)]) -> Histogram {
        self.recorder.register_histogram(&key(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str) -> Gauge {
        self.recorder.register_gauge(&key(name, &[]), &METADATA)
    }

    /// Events stored (`accepted`), already known (`duplicate`) or refused (`rejected`).
    pub fn events(&self, source: Source, result: &'static str, n: u64) {
        if n > 0 {
            self.counter(
                "avisera_events_total",
                &[("result", result), ("source", source.as_str())],
            )
            .increment(n);
        }
    }

    pub fn unknown_codes(&self, source: Source, n: u64) {
        self.counter("avisera_events_unknown_code_total", &[("source", source.as_str())])
            .increment(n);
    }

    pub fn notifications_created(&self, n: u64) {
        self.counter("avisera_notifications_created_total", &[]).increment(n);
    }

    pub fn handed_off(&self, n: u64) {
        self.counter("avisera_notifications_handed_off_total", &[]).increment(n);
    }

    pub fn ingest_batch(&self, source: Source, took: Duration) {
        self.histogram("avisera_ingest_batch_seconds", &[("source", source.as_str())])
            .record(took);
    }

    /// A recorded delivery outcome: `sent`, `failed`, `retry` or `cancelled`, by the named
    /// provider that sent it (or refused it last; the channel's first for what no provider
    /// was called for).
    pub fn delivery(&self, outcome: &'static str, channel: &'static str, provider: &str) {
        self.counter(
            "avisera_deliveries_total",
            &[("outcome", outcome), ("channel", channel), ("provider", provider)],
        )
        .increment(1);
    }

    /// Providers' receipts (`channel` sms or email) and what became of them.
    pub fn receipts(&self, channel: &'static str, result: &'static str, n: u64) {
        if n > 0 {
            self.counter("avisera_receipts_total", &[("channel", channel), ("result", result)])
                .increment(n);
        }
    }

    /// Shipments whose personal data was erased, and why (`request` or `retention`).
    pub fn privacy_erased(&self, reason: avisera_domain::privacy::Reason, shipments: u64) {
        self.counter("avisera_privacy_erased_total", &[("reason", reason.slug())])
            .increment(shipments);
    }

    /// A request for a tracking page and what it counted (see `http::visits`).
    pub fn tracking_visit(&self, counted: &'static str) {
        self.counter("avisera_tracking_visits_total", &[("counted", counted)])
            .increment(1);
    }

    /// One provider call and how it ended: `sent`, `permanent` (a 4xx), `refused` (a 5xx, a
    /// 429, no connection: the next provider is tried) or `transient` (no answer in time).
    pub fn provider_call(&self, channel: &'static str, provider: &str, outcome: &'static str, took: Duration) {
        self.histogram(
            "avisera_provider_call_seconds",
            &[("channel", channel), ("provider", provider), ("outcome", outcome)],
        )
        .record(took);
    }

    /// From the notification's creation (with its event) to the provider's answer.
    pub fn delivery_latency(&self, channel: &'static str, provider: &str, seconds: f64) {
        self.histogram(
            "avisera_delivery_latency_seconds",
            &[("channel", channel), ("provider", provider)],
        )
        .record(seconds.max(0.0));
    }

    pub fn set_scheduled(&self, n: u64) {
        self.gauge("avisera_notifications_scheduled").set(n as f64);
    }

    pub fn set_held(&self, n: u64) {
        self.gauge("avisera_notifications_held").set(n as f64);
    }

    pub fn set_outbox_lag(&self, seconds: f64) {
        self.gauge("avisera_outbox_lag_seconds").set(seconds.max(0.0));
    }

    /// Folds recorded histogram samples into their buckets, so memory stays bounded between
    /// scrapes.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The text exposition. Reads only memory: no query per scrape.
    pub fn render(&self) -> String {
        self.handle.render()
    }
}

/// Label values are the code's words or an operator's provider names, never a tenant's.
fn key(name: &'static str, labels: &[(&'static str, &str)]) -> Key {
    Key::from_parts(
        name,
        labels
            .iter()
            .map(|(k, v)| Label::new(*k, v.to_string()))
            .collect::<Vec<_>>(),
    )
}

fn counter_of(recorder: &PrometheusRecorder, name: &'static str, labels: &[(&'static str, &str)]) -> Counter {
    recorder.register_counter(&key(name, labels), &METADATA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_count_of_the_outbox_is_taken_less_often() {
        let start = Instant::now();
        let s = |secs: f64| start + Duration::from_secs_f64(secs);
        let mut pace = CountPace::default();
        assert!(pace.due(start, REFRESH), "the first count is due at once");
        // A small outbox, counted in 10 ms: again after REFRESH.
        pace.counted(s(0.0), s(0.01));
        assert!(!pace.due(s(4.9), REFRESH));
        assert!(pace.due(s(5.0), REFRESH));
        assert!(pace.due(s(1.0), REFRESH_WHEN_IDLE));
        // A million waiting, counted in 400 ms: not again before 20 s, idle worker or not.
        pace.counted(s(5.0), s(5.4));
        assert!(!pace.due(s(10.0), REFRESH));
        assert!(!pace.due(s(24.9), REFRESH_WHEN_IDLE));
        assert!(pace.due(s(25.0), REFRESH));
        // Once it is quick again, so is the rhythm.
        pace.counted(s(25.0), s(25.02));
        assert!(pace.due(s(30.0), REFRESH));
    }

    #[test]
    fn counters_keep_their_names_and_labels_and_histograms_have_buckets() {
        let m = Metrics::new();
        m.events(Source::Webhook, "accepted", 2);
        add(&m.events_rejected, 1);
        m.delivery("sent", "sms", "sms_http");
        m.provider_call("sms", "sms_http", "sent", Duration::from_millis(30));
        m.set_scheduled(4);
        let text = m.render();
        for line in [
            "avisera_events_total{result=\"accepted\",source=\"webhook\"} 2",
            "avisera_events_total{result=\"rejected\",source=\"api\"} 1",
            "avisera_deliveries_total{outcome=\"sent\",channel=\"sms\",provider=\"sms_http\"} 1",
            "avisera_provider_call_seconds_bucket{channel=\"sms\",provider=\"sms_http\",outcome=\"sent\",le=\"0.05\"} 1",
            "avisera_provider_call_seconds_count{channel=\"sms\",provider=\"sms_http\",outcome=\"sent\"} 1",
            "avisera_notifications_scheduled 4",
            "# TYPE avisera_events_total counter",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
        // Another app's recorder counts apart.
        let other = Metrics::new().render();
        assert!(
            other.contains("avisera_events_total{result=\"rejected\",source=\"api\"} 0"),
            "{other}"
        );
        assert!(!other.contains("result=\"accepted\""), "{other}");
    }
}
