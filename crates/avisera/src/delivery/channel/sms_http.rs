//! SMS through a provider's HTTP API: one POST per message, JSON or form body, an auth header,
//! and the notification's idempotency key in a header so a retried request never becomes a
//! second SMS.

use super::{SendError, Sender};
use crate::config::{BodyFormat, SmsHttpConfig};
use async_trait::async_trait;
use avisera_domain::notification::Message;
use avisera_store::DeliveryJob;
use secrecy::ExposeSecret;
use std::time::Duration;

pub struct SmsHttp {
    config: SmsHttpConfig,
    client: reqwest::Client,
}

impl SmsHttp {
    pub fn new(config: SmsHttpConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .user_agent(concat!("avisera/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(SmsHttp { config, client })
    }
}

/// What a provider said, fit to store and show: at most 300 characters, control characters as
/// spaces (a NUL cannot be stored in PostgreSQL text, and the outcome would never be recorded).
fn short(body: &str) -> String {
    let b: String = body
        .chars()
        .take(300)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    b.trim().to_string()
}

#[async_trait]
impl Sender for SmsHttp {
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError> {
        let Message::Sms { sender_id, to, text } = &job.message else {
            return Err(SendError::Permanent("not an SMS".into()));
        };
        let c = &self.config;
        let fields = [
            (c.from_field.as_str(), sender_id.as_str()),
            (c.to_field.as_str(), to),
            (c.text_field.as_str(), text),
        ];
        let mut request = self
            .client
            .post(c.url.as_str())
            .header(&c.idempotency_header, &job.idempotency_key);
        if let Some(auth) = &c.auth_value {
            request = request.header(&c.auth_header, auth.expose_secret());
        }
        request = match c.format {
            BodyFormat::Json => {
                let body: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                    .collect();
                request.json(&body)
            }
            BodyFormat::Form => request.form(&fields),
        };
        let response = request.send().await.map_err(|e| {
            // Without the URL: it may hold the provider's key, and reasons are shown to
            // tenants.
            if e.is_connect() {
                // No connection was made: nothing reached the provider.
                SendError::Refused(format!("SMS provider unreachable: {}", e.without_url()))
            } else if e.is_timeout() {
                SendError::Transient("SMS provider unreachable: timed out".into())
            } else {
                SendError::Transient(format!("SMS provider unreachable: {}", e.without_url()))
            }
        })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if status.is_success() {
            let id = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| match &v[&c.id_field] {
                    serde_json::Value::String(s) => Some(short(s)),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|id| !id.is_empty());
            return Ok(id);
        }
        let reason = format!("SMS provider answered {}: {}", status.as_u16(), short(&body));
        if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            // It answered that it did not take the message.
            Err(SendError::Refused(reason))
        } else {
            Err(SendError::Permanent(reason))
        }
    }
}
