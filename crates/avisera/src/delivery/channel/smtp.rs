//! Email over SMTP (any server; plain, STARTTLS or TLS; optional auth). The Message-ID is made
//! from the notification's idempotency key, so a resent copy is recognisably the same mail.

use super::{SendError, Sender};
use crate::config::{SmtpConfig, SmtpSecurity};
use anyhow::Context;
use async_trait::async_trait;
use avisera_domain::notification::Message;
use avisera_store::DeliveryJob;
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    default_from: String,
}

impl Smtp {
    pub fn new(c: &SmtpConfig) -> anyhow::Result<Self> {
        let tls = || -> anyhow::Result<TlsParameters> {
            let mut params = TlsParameters::builder(c.host.clone());
            if let Some(path) = &c.ca_file {
                let pem = std::fs::read(path).with_context(|| format!("reading smtp.ca_file {}", path.display()))?;
                params = params.add_root_certificate(
                    Certificate::from_pem(&pem)
                        .with_context(|| format!("smtp.ca_file {} is not PEM", path.display()))?,
                );
            }
            Ok(params.build_rustls()?)
        };
        let plain = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host);
        let builder = match c.security {
            SmtpSecurity::None => plain,
            SmtpSecurity::Starttls => plain.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => plain.tls(Tls::Wrapper(tls()?)),
        };
        let mut builder = builder.port(c.port).timeout(Some(Duration::from_millis(c.timeout_ms)));
        if let (Some(user), Some(password)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_string()));
        }
        Ok(Smtp {
            transport: builder.build(),
            default_from: c.default_from.clone(),
        })
    }
}

fn permanent(what: &str, e: impl std::fmt::Display) -> SendError {
    SendError::Permanent(format!("{what}: {e}"))
}

#[async_trait]
impl Sender for Smtp {
    async fn send(&self, job: &DeliveryJob) -> Result<Option<String>, SendError> {
        let Message::Email {
            from_name,
            from_address,
            reply_to,
            to,
            subject,
            html,
            text,
        } = &job.message
        else {
            return Err(SendError::Permanent("not an email".into()));
        };
        let from_address = from_address.as_deref().unwrap_or(&self.default_from);
        let from = Mailbox::new(
            Some(from_name.clone()),
            from_address.parse().map_err(|e| permanent("sender address", e))?,
        );
        let mut builder = lettre::Message::builder()
            .from(from)
            .to(to.parse().map_err(|e| permanent("receiver address", e))?)
            .subject(subject)
            .message_id(Some(format!("<{}@avisera>", job.idempotency_key)));
        if let Some(reply_to) = reply_to {
            builder = builder.reply_to(reply_to.parse().map_err(|e| permanent("reply-to address", e))?);
        }
        let email = match html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(text.clone(), html.clone())),
            None => builder.singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text.clone())),
        }
        .map_err(|e| permanent("cannot build the email", e))?;
        match self.transport.send(email).await {
            Ok(response) => Ok(response
                .message()
                .next()
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP server refused: {e}"))),
            Err(e) => Err(SendError::Transient(format!("SMTP: {e}"))),
        }
    }
}
