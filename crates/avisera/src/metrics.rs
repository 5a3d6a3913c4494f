//! Counters for operations, served at `/metrics` in Prometheus' text format. A handful of
//! atomics: no metrics stack is needed for this many.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub events_accepted: AtomicU64,
    pub events_duplicate: AtomicU64,
    pub events_rejected: AtomicU64,
    pub events_unknown_code: AtomicU64,
    pub notifications_created: AtomicU64,
    pub deliveries_sent: AtomicU64,
    pub deliveries_failed: AtomicU64,
    pub deliveries_retried: AtomicU64,
    pub deliveries_cancelled: AtomicU64,
}

pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    /// The text exposition; `scheduled` is the number of notifications waiting to be sent.
    pub fn render(&self, scheduled: Option<u64>) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, labels: &[(&str, &AtomicU64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (label, value) in labels {
                let _ = writeln!(out, "{name}{label} {}", value.load(Ordering::Relaxed));
            }
        };
        counter(
            &mut out,
            "avisera_events_total",
            "Carrier events received, by result.",
            &[
                ("{result=\"accepted\"}", &self.events_accepted),
                ("{result=\"duplicate\"}", &self.events_duplicate),
                ("{result=\"rejected\"}", &self.events_rejected),
            ],
        );
        counter(
            &mut out,
            "avisera_events_unknown_code_total",
            "Accepted events whose code is in no mapping table (stored, fired nothing).",
            &[("", &self.events_unknown_code)],
        );
        counter(
            &mut out,
            "avisera_notifications_created_total",
            "Notifications created by rules.",
            &[("", &self.notifications_created)],
        );
        counter(
            &mut out,
            "avisera_deliveries_total",
            "Delivery attempts by this node, by outcome.",
            &[
                ("{outcome=\"sent\"}", &self.deliveries_sent),
                ("{outcome=\"failed\"}", &self.deliveries_failed),
                ("{outcome=\"retry\"}", &self.deliveries_retried),
                ("{outcome=\"cancelled\"}", &self.deliveries_cancelled),
            ],
        );
        if let Some(n) = scheduled {
            let _ = writeln!(
                out,
                "# HELP avisera_notifications_scheduled Notifications waiting to be sent (all nodes).\n# TYPE avisera_notifications_scheduled gauge\navisera_notifications_scheduled {n}"
            );
        }
        out
    }
}
