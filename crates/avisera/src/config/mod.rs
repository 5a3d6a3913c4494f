//! Configuration: one typed struct, layered from its defaults, a TOML file and `AVISERA_*`
//! environment variables (which win), and checked once when loaded. Secrets never print.

mod env;
mod providers;
mod types;

pub use env::{KEYS, var_name};
pub use providers::{Provider, Providers, check_name};
pub use types::{DatabaseUrl, HttpUrl, LogFormat, Role};

use avisera_domain::billing::PriceList;
use avisera_domain::mapping::Mapping;
use avisera_domain::retry::RetrySchedule;
use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://path` or `postgres://user@host/db`.
    pub database_url: DatabaseUrl,
    #[serde(deserialize_with = "types::socket_addr")]
    pub listen: SocketAddr,
    /// Base of the links in messages (tracking page, unsubscribe).
    pub public_url: HttpUrl,
    /// Signs the links in messages; every node must have the same one. Without it a random
    /// secret is made at start, and links in earlier messages stop working after a restart.
    pub link_secret: Option<SecretString>,
    /// Signs providers' receipts (`POST /v1/receipts/sms`, `/v1/receipts/email`), like a
    /// carrier's webhook; one for the operator, not per tenant. Without it those routes refuse.
    pub receipts_secret: Option<SecretString>,
    /// Send over no real channel that is not configured, but keep what would have been sent in
    /// memory and show it at `/dev/inbox`. It shows every tenant's messages without a login, so
    /// it is refused unless `listen` is a loopback address.
    pub dev_inbox: bool,
    /// Businesses may create their own account at `/signup` (confirmed by an emailed link).
    /// Off: only an operator makes tenants (`avisera tenant create`).
    pub signup: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Days after a journey's last event before a node's upkeep erases its personal data
    /// (the receiver's name, phone, email and address; the bill keeps its facts). At least 1.
    pub retention_days: u32,
    /// What this node does: `api`, `worker`, or both (the default).
    pub roles: Vec<Role>,
    /// `text` (the default) or `json`, one object per line.
    pub log_format: LogFormat,
    pub delivery: DeliveryConfig,
    /// Prices per plan; SPEC.md's list prices unless set.
    pub prices: PriceList,
    /// The operator's mapping lines (same format as `mapping/default.tsv`), over the defaults.
    pub mapping_file: Option<std::path::PathBuf>,
    /// What `mapping_file` holds, read by `load`.
    #[serde(skip)]
    pub operator_mapping: Mapping,
    /// `[smtp]`, or several servers in order: `[[smtp.servers]]`.
    pub smtp: Option<Providers<SmtpConfig>>,
    /// `[sms]`, or several providers in order: `[[sms.providers]]`.
    pub sms: Option<Providers<SmsHttpConfig>>,
    /// Carriers' events from a NATS JetStream stream; off unless `[nats] url` is set.
    pub nats: Option<NatsConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://avisera.sqlite".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: HttpUrl::parse("http://127.0.0.1:8080").expect("a URL"),
            link_secret: None,
            receipts_secret: None,
            dev_inbox: false,
            signup: true,
            max_body_bytes: 10 * 1024 * 1024,
            retention_days: avisera_domain::privacy::DEFAULT_RETENTION_DAYS,
            roles: vec![Role::Api, Role::Worker],
            log_format: LogFormat::Text,
            delivery: DeliveryConfig::default(),
            prices: PriceList::default(),
            mapping_file: None,
            operator_mapping: Mapping::default(),
            smtp: None,
            sms: None,
            nats: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryConfig {
    /// How long a worker holds a claimed notification before another may take it.
    pub lease_ms: u64,
    /// How often an idle worker looks for due notifications.
    pub poll_ms: u64,
    /// Notifications claimed at once, and sent concurrently.
    pub batch: u32,
    /// Delivery workers on a node with the `worker` role (at least 1).
    pub workers: u32,
    /// Notifications claimed at once by the node's express lane: a worker that claims only when
    /// new notifications arrive (or on its poll), while the others may be busy sending a batch,
    /// so a tenant's message is not kept waiting behind another tenant's backlog; also the most
    /// due notifications of one batch of events that ingest hands the lane as it stores them
    /// (`delivery/handoff.rs`); 0: no lane.
    pub express_batch: u32,
    pub retry: RetrySchedule,
    /// Messages per second each tenant may send, over all nodes, unless an operator gave the
    /// tenant its own (`avisera tenant rate`); none: no limit.
    pub tenant_rate_per_second: Option<u32>,
    /// When a channel's provider is skipped for a while (`[delivery.failover]`).
    pub failover: FailoverConfig,
}

/// Each provider's circuit breaker: after `failures` failures in a row (a 5xx, a 429, no
/// connection, no answer in time) the provider is skipped for `cool_down_ms`, then one
/// message probes it. Each node keeps its own breakers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FailoverConfig {
    pub failures: u32,
    pub cool_down_ms: u64,
}

impl Default for FailoverConfig {
    fn default() -> Self {
        FailoverConfig {
            failures: 3,
            cool_down_ms: 30_000,
        }
    }
}

impl FailoverConfig {
    pub fn policy(&self) -> avisera_domain::failover::BreakerPolicy {
        avisera_domain::failover::BreakerPolicy {
            failures: self.failures,
            cool_down: jiff::SignedDuration::from_millis(self.cool_down_ms.min(i64::MAX as u64) as i64),
        }
    }
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            lease_ms: 60_000,
            poll_ms: 500,
            // Measured end to end on PostgreSQL (BENCHMARKS.md, issue 14): 32 and 1 drained
            // ~4,300 events/s, 100 and 2 ~6,200; more gained nothing.
            batch: 100,
            workers: 2,
            express_batch: 10,
            retry: RetrySchedule::default(),
            tenant_rate_per_second: None,
            failover: FailoverConfig::default(),
        }
    }
}

/// The carriers' event bus: every node with the `api` role consumes the stream together with the
/// others, each message on one node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatsConfig {
    /// `nats://host:4222` (several servers comma-separated).
    pub url: String,
    /// The JetStream stream, made if missing.
    #[serde(default = "nats_stream")]
    pub stream: String,
    /// Events are read from `<subject_prefix>.events.<tenant id>`; what cannot be taken goes
    /// to `<subject_prefix>.rejected.<tenant id>`.
    #[serde(default = "nats_prefix")]
    pub subject_prefix: String,
    /// The durable consumer all nodes share.
    #[serde(default = "nats_consumer")]
    pub consumer: String,
    /// Messages taken and stored at once.
    #[serde(default = "nats_batch")]
    pub batch: u32,
    /// How long a node may hold a message before the bus gives it to another.
    #[serde(default = "nats_ack_wait_ms")]
    pub ack_wait_ms: u64,
    /// Messages out and not yet acknowledged over all nodes: bounds each node's memory.
    #[serde(default = "nats_max_in_flight")]
    pub max_in_flight: u32,
}

fn nats_stream() -> String {
    "AVISERA".into()
}
fn nats_prefix() -> String {
    "avisera".into()
}
fn nats_consumer() -> String {
    "avisera-ingest".into()
}
fn nats_batch() -> u32 {
    500
}
fn nats_ack_wait_ms() -> u64 {
    30_000
}
fn nats_max_in_flight() -> u32 {
    4_000
}

impl NatsConfig {
    pub fn settings(&self) -> avisera_ingest_nats::Settings {
        avisera_ingest_nats::Settings {
            url: self.url.clone(),
            stream: self.stream.clone(),
            prefix: self.subject_prefix.clone(),
            consumer: self.consumer.clone(),
            batch: self.batch as usize,
            ack_wait: std::time::Duration::from_millis(self.ack_wait_ms),
            max_in_flight: self.max_in_flight as usize,
            ..avisera_ingest_nats::Settings::new(&self.url)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain SMTP (a local relay or a test server).
    None,
    /// Upgrade with STARTTLS, required.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Its name in the log, the API and the metrics; needed with several servers, else
    /// `smtp`.
    #[serde(default)]
    pub name: Option<String>,
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// Used when the tenant's brand has no sender address.
    pub default_from: String,
    /// Extra CA certificates (PEM) to trust, for a server with a private CA.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Emails per second to this server, over all nodes; none: no limit.
    #[serde(default)]
    pub rate_per_second: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyFormat {
    Json,
    Form,
}

/// A generic SMS provider HTTP API: one POST per message.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsHttpConfig {
    /// Its name in the log, the API, the metrics and its receipts' path; needed with several
    /// providers, else `sms_http`.
    #[serde(default)]
    pub name: Option<String>,
    pub url: HttpUrl,
    #[serde(default = "json_format")]
    pub format: BodyFormat,
    #[serde(default = "authorization")]
    pub auth_header: String,
    pub auth_value: Option<SecretString>,
    #[serde(default = "idempotency_header")]
    pub idempotency_header: String,
    #[serde(default = "from")]
    pub from_field: String,
    #[serde(default = "to")]
    pub to_field: String,
    #[serde(default = "text")]
    pub text_field: String,
    /// Field of the JSON answer holding the provider's message id.
    #[serde(default = "id")]
    pub id_field: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// SMS per second to this provider, over all nodes; none: no limit.
    #[serde(default)]
    pub rate_per_second: Option<u32>,
    /// How the provider's delivery reports read (`[sms.receipts]`).
    #[serde(default)]
    pub receipts: avisera_domain::receipt::SmsReportShape,
}

impl Provider for SmtpConfig {
    const LIST: &'static str = "servers";
    const TABLE: &'static str = "smtp";
    const DEFAULT_NAME: &'static str = "smtp";
    fn name_slot(&mut self) -> &mut Option<String> {
        &mut self.name
    }
    fn name_given(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl Provider for SmsHttpConfig {
    const LIST: &'static str = "providers";
    const TABLE: &'static str = "sms";
    const DEFAULT_NAME: &'static str = "sms_http";
    fn name_slot(&mut self) -> &mut Option<String> {
        &mut self.name
    }
    fn name_given(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

impl SmtpConfig {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(<Self as Provider>::DEFAULT_NAME)
    }
}

impl SmsHttpConfig {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(<Self as Provider>::DEFAULT_NAME)
    }
}

fn default_timeout_ms() -> u64 {
    15_000
}
fn json_format() -> BodyFormat {
    BodyFormat::Json
}
fn authorization() -> String {
    "Authorization".into()
}
fn idempotency_header() -> String {
    "Idempotency-Key".into()
}
fn from() -> String {
    "from".into()
}
fn to() -> String {
    "to".into()
}
fn text() -> String {
    "text".into()
}
fn id() -> String {
    "id".into()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {0}: {1}")]
    Read(String, std::io::Error),
    #[error("config file {0}: {1}")]
    Parse(String, String),
    /// A variable that is not a setting, or whose text is not of its key's kind.
    #[error("{0}: {1}")]
    Env(String, String),
    /// A key whose value is wrong: the key, where it was set, and what to write.
    #[error("{key} ({origin}): {why}")]
    Key { key: String, origin: String, why: String },
    #[error("{0}")]
    Unsafe(String),
}

impl Config {
    /// Is this node one of `role`?
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Settings that are each fine alone but unsafe together, for a node that serves.
    pub fn check(&self) -> Result<(), ConfigError> {
        let secret_len = self
            .link_secret
            .as_ref()
            .map_or(0, |s| secrecy::ExposeSecret::expose_secret(s).len());
        if !self.dev_inbox && secret_len < 32 {
            return Err(ConfigError::Unsafe(
                "set link_secret (or AVISERA_LINK_SECRET) to at least 32 random characters, the same on every node: it signs the tracking and opt-out links in messages".into(),
            ));
        }
        let receipts_len = self
            .receipts_secret
            .as_ref()
            .map(|s| secrecy::ExposeSecret::expose_secret(s).len());
        if receipts_len.is_some_and(|n| n < 32) {
            return Err(ConfigError::Unsafe(
                "receipts_secret (AVISERA_RECEIPTS_SECRET) is too short: use at least 32 random characters, shared with the providers that post receipts".into(),
            ));
        }
        if self.dev_inbox && !self.listen.ip().is_loopback() {
            return Err(ConfigError::Unsafe(format!(
                "dev_inbox shows every tenant's messages to anyone who can reach /dev/inbox; turn it off or listen on 127.0.0.1 (listen = \"{}\")",
                self.listen
            )));
        }
        Ok(())
    }

    /// Defaults, then the file (if given), then every `AVISERA_*` variable in `vars`; then
    /// checks the values, so a mistake is reported once, at start, with its key.
    pub fn load(file: Option<&Path>, vars: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let file_name = file.map(|p| p.display().to_string());
        let mut tree = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
                text.parse::<toml::Table>()
                    .map_err(|e| ConfigError::Parse(path.display().to_string(), e.to_string()))?
            }
            None => toml::Table::new(),
        };
        let from_env = env::overlay(&mut tree, vars).map_err(|(var, why)| ConfigError::Env(var, why))?;
        let origin = |key: &str| match from_env
            .iter()
            .find(|(k, _)| *k == key || k.strip_prefix(key).is_some_and(|rest| rest.starts_with('.')))
        {
            Some((_, var)) => format!("from {var}"),
            None => match &file_name {
                Some(f) => format!("in {f}"),
                None => "default".into(),
            },
        };
        let mut config: Config = serde_path_to_error::deserialize(toml::Value::Table(tree)).map_err(|e| {
            let key = e.path().to_string();
            // The TOML reader adds lines naming the table; the path already says it.
            let why = e
                .inner()
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            // A provider's table is read on its own (`providers.rs`), which names the key
            // inside it first: `sms` + `url: ...` is `sms.url`.
            let (key, why) = providers::inner_key(key, why);
            let why = match why.strip_prefix("missing field `") {
                Some(rest) => {
                    let field = rest.trim_end_matches('`');
                    let full = if key == "." {
                        field.to_string()
                    } else {
                        format!("{key}.{field}")
                    };
                    if full.contains('[') {
                        // A list's tables have no variables.
                        format!("`{field}` is missing: write it in the file")
                    } else {
                        format!("`{field}` is missing: write it in the file or set {}", var_name(&full))
                    }
                }
                None => why,
            };
            ConfigError::Key {
                origin: origin(&key),
                key,
                why,
            }
        })?;
        config.validate().map_err(|(key, why)| ConfigError::Key {
            origin: origin(key),
            key: key.to_string(),
            why,
        })?;
        if let Some(path) = &config.mapping_file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
            config.operator_mapping =
                Mapping::parse(&text).map_err(|e| ConfigError::Parse(path.display().to_string(), e.to_string()))?;
        }
        Ok(config)
    }

    /// Values that parse but cannot work: the key and what to write.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        let d = &self.delivery;
        if self.roles.is_empty() {
            return Err((
                "roles",
                "name at least one role: roles = [\"api\", \"worker\"] (AVISERA_ROLES=api,worker)".into(),
            ));
        }
        if self.has_role(Role::Worker) && d.workers == 0 {
            return Err((
                "delivery.workers",
                "0 workers on a worker node sends nothing: for a node that only serves the API write roles = [\"api\"] (AVISERA_ROLES=api), else workers = 1 or more".into(),
            ));
        }
        let at_least = |key: &'static str, value: u64, min: u64, what: &str| {
            if value < min {
                Err((key, format!("must be at least {min} ({what}), got {value}")))
            } else {
                Ok(())
            }
        };
        at_least("delivery.batch", d.batch.into(), 1, "notifications claimed at once")?;
        at_least(
            "delivery.poll_ms",
            d.poll_ms,
            1,
            "milliseconds between looks for due work",
        )?;
        at_least("delivery.lease_ms", d.lease_ms, 100, "milliseconds a claim is held")?;
        at_least("max_body_bytes", self.max_body_bytes as u64, 1024, "bytes")?;
        at_least(
            "retention_days",
            self.retention_days.into(),
            1,
            "days personal data is kept after a journey's last event",
        )?;
        at_least(
            "delivery.failover.failures",
            d.failover.failures.into(),
            1,
            "failures in a row that skip a provider",
        )?;
        for smtp in self.smtp.iter().flat_map(Providers::all) {
            at_least("smtp.timeout_ms", smtp.timeout_ms, 1, "milliseconds")?;
        }
        for sms in self.sms.iter().flat_map(Providers::all) {
            at_least("sms.timeout_ms", sms.timeout_ms, 1, "milliseconds")?;
        }
        let mut rates = vec![("delivery.tenant_rate_per_second", d.tenant_rate_per_second)];
        rates.extend(
            self.sms
                .iter()
                .flat_map(Providers::all)
                .map(|s| ("sms.rate_per_second", s.rate_per_second)),
        );
        rates.extend(
            self.smtp
                .iter()
                .flat_map(Providers::all)
                .map(|s| ("smtp.rate_per_second", s.rate_per_second)),
        );
        for (key, rate) in rates {
            if rate == Some(0) {
                return Err((
                    key,
                    "0 messages per second would hold every message forever: remove the key for no limit, or write 1 or more".into(),
                ));
            }
        }
        if let Some(nats) = &self.nats {
            if !nats.url.starts_with("nats://") && !nats.url.starts_with("tls://") {
                return Err((
                    "nats.url",
                    format!("write nats://host:4222 (or tls://), got \"{}\"", nats.url),
                ));
            }
            at_least("nats.batch", nats.batch.into(), 1, "messages stored at once")?;
            at_least(
                "nats.max_in_flight",
                nats.max_in_flight.into(),
                nats.batch.into(),
                "at least one batch",
            )?;
            at_least(
                "nats.ack_wait_ms",
                nats.ack_wait_ms,
                1000,
                "milliseconds a node may hold a message",
            )?;
            for (key, token) in [("nats.stream", &nats.stream), ("nats.consumer", &nats.consumer)] {
                if token.is_empty() || token.contains(['.', ' ', '*', '>']) {
                    return Err((key, format!("a name without dots, spaces, * or >, got \"{token}\"")));
                }
            }
            if nats.subject_prefix.is_empty() || nats.subject_prefix.contains([' ', '*', '>']) {
                return Err((
                    "nats.subject_prefix",
                    format!("subject tokens without spaces, * or >, got \"{}\"", nats.subject_prefix),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
