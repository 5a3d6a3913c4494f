//! Configuration: one typed struct, read from a TOML file and then from `AVISERA_*`
//! environment variables, which win. Secrets are wrapped so they never print.

use avisera_domain::billing::PriceList;
use avisera_domain::mapping::Mapping;
use avisera_domain::retry::RetrySchedule;
use secrecy::SecretString;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://path` or `postgres://user@host/db`.
    pub database_url: String,
    pub listen: String,
    /// Base of the links in messages (tracking page, unsubscribe).
    pub public_url: String,
    /// Signs the links in messages; every node must have the same one. Without it a random
    /// secret is made at start, and links in earlier messages stop working after a restart.
    pub link_secret: Option<SecretString>,
    /// Send over no real channel that is not configured, but keep what would have been sent in
    /// memory and show it at `/dev/inbox`. It shows every tenant's messages without a login, so
    /// it is refused unless `listen` is a loopback address.
    pub dev_inbox: bool,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    pub delivery: DeliveryConfig,
    /// Prices per plan; SPEC.md's list prices unless set.
    pub prices: PriceList,
    /// The operator's mapping lines (same format as `mapping/default.tsv`), over the defaults.
    pub mapping_file: Option<std::path::PathBuf>,
    /// What `mapping_file` holds, read by `load`.
    #[serde(skip)]
    pub operator_mapping: Mapping,
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<SmsHttpConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://avisera.sqlite".into(),
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            link_secret: None,
            dev_inbox: false,
            max_body_bytes: 10 * 1024 * 1024,
            delivery: DeliveryConfig::default(),
            prices: PriceList::default(),
            mapping_file: None,
            operator_mapping: Mapping::default(),
            smtp: None,
            sms: None,
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
    /// Delivery workers on this node; 0 makes a node that only takes events and serves the API.
    pub workers: u32,
    pub retry: RetrySchedule,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            lease_ms: 60_000,
            poll_ms: 500,
            batch: 32,
            workers: 1,
            retry: RetrySchedule::default(),
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
    pub url: String,
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
    #[error("environment variable {0}: {1}")]
    Env(&'static str, String),
    #[error("{0}")]
    Unsafe(String),
}

impl Config {
    /// Settings that are each fine alone but unsafe together.
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
        if self.dev_inbox && !listens_on_loopback(&self.listen) {
            return Err(ConfigError::Unsafe(format!(
                "dev_inbox shows every tenant's messages to anyone who can reach /dev/inbox; turn it off or listen on 127.0.0.1 (listen = {:?})",
                self.listen
            )));
        }
        Ok(())
    }

    /// Reads the file (if given), then applies the environment.
    pub fn load(file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse(path.display().to_string(), e.to_string()))?
            }
            None => Config::default(),
        };
        if let Some(v) = env("AVISERA_DATABASE_URL") {
            config.database_url = v;
        }
        if let Some(v) = env("AVISERA_LISTEN") {
            config.listen = v;
        }
        if let Some(v) = env("AVISERA_PUBLIC_URL") {
            config.public_url = v;
        }
        if let Some(v) = env("AVISERA_LINK_SECRET") {
            config.link_secret = Some(SecretString::from(v));
        }
        if let Some(v) = env("AVISERA_DEV_INBOX") {
            config.dev_inbox = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("AVISERA_SMTP_PASSWORD") {
            let smtp = config.smtp.as_mut().ok_or_else(|| {
                ConfigError::Env(
                    "AVISERA_SMTP_PASSWORD",
                    "set, but the config file has no [smtp] section".into(),
                )
            })?;
            smtp.password = Some(SecretString::from(v));
        }
        if let Some(path) = &config.mapping_file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.display().to_string(), e))?;
            config.operator_mapping =
                Mapping::parse(&text).map_err(|e| ConfigError::Parse(path.display().to_string(), e.to_string()))?;
        }
        if let Some(v) = env("AVISERA_SMS_AUTH") {
            let sms = config.sms.as_mut().ok_or_else(|| {
                ConfigError::Env(
                    "AVISERA_SMS_AUTH",
                    "set, but the config file has no [sms] section".into(),
                )
            })?;
            sms.auth_value = Some(SecretString::from(v));
        }
        Ok(config)
    }
}

fn listens_on_loopback(listen: &str) -> bool {
    match listen.parse::<std::net::SocketAddr>() {
        Ok(addr) => addr.ip().is_loopback(),
        Err(_) => listen.starts_with("localhost:"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let dir = std::env::temp_dir().join(format!("avisera-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\n[sms]\nurl = \"http://127.0.0.1:1/send\"\n[delivery.retry]\ndelays_ms = [10, 20]\n",
        )
        .unwrap();
        let env = |k: &str| match k {
            "AVISERA_DATABASE_URL" => Some("postgres://x@127.0.0.1/y".to_string()),
            "AVISERA_SMS_AUTH" => Some("Bearer s3cret".to_string()),
            _ => None,
        };
        let c = Config::load(Some(&path), &env).unwrap();
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.database_url, "postgres://x@127.0.0.1/y");
        assert_eq!(c.delivery.retry.delays_ms, vec![10, 20]);
        let debug = format!("{c:?}");
        assert!(!debug.contains("s3cret"), "a secret was printed: {debug}");
        let mut open = Config {
            dev_inbox: true,
            listen: "0.0.0.0:8080".into(),
            ..Config::default()
        };
        assert!(open.check().unwrap_err().to_string().contains("dev_inbox"));
        open.listen = "127.0.0.1:8080".into();
        assert!(open.check().is_ok());
        std::fs::write(&path, "lisen = 1\n").unwrap();
        let err = Config::load(Some(&path), &|_| None).unwrap_err().to_string();
        assert!(err.contains("lisen"), "{err}");
    }
}
