//! Email over SMTP (any server; plain, STARTTLS or TLS; optional auth). The Message-ID is made
//! from the notification's idempotency key, so a resent copy is recognisably the same mail.

use super::{SendError, Sender};
use crate::config::{SmtpConfig, SmtpSecurity};
use anyhow::Context;
use async_trait::async_trait;
use avisera_domain::notification::Message;
use avisera_store::DeliveryJob;
use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    default_from: String,
    /// For the whole conversation: lettre's own timeout is per command, so a server that
    /// answers each command just in time could hold a send for many times it.
    timeout: Duration,
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
        // No connection is used twice: lettre returns a connection whose send was cut off (our
        // timeout, the worker's cut-off) to its pool mid-conversation, and the next mail then
        // reads the old replies — it was "accepted" without being sent. One connection per mail
        // costs a handshake; a wrong "sent" costs a lost message.
        let mut builder = builder
            .port(c.port)
            .timeout(Some(Duration::from_millis(c.timeout_ms)))
            .pool_config(PoolConfig::new().max_size(0));
        if let (Some(user), Some(password)) = (&c.username, &c.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_string()));
        }
        Ok(Smtp {
            transport: builder.build(),
            default_from: c.default_from.clone(),
            timeout: Duration::from_millis(c.timeout_ms),
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
            list_unsubscribe,
        } = &job.message
        else {
            return Err(SendError::Permanent("not an email".into()));
        };
        // lettre panics on a line break in a display name; stored brands may hold one.
        if from_name.chars().any(char::is_control) {
            return Err(SendError::Permanent(format!(
                "the brand's email sender name {from_name:?} contains a line break or control character; correct it in the brand settings"
            )));
        }
        let from_address = from_address.as_deref().unwrap_or(&self.default_from);
        let from = Mailbox::new(
            Some(from_name.clone()),
            from_address.parse().map_err(|e| permanent("sender address", e))?,
        );
        let mut builder = lettre::Message::builder()
            .from(from)
            .to(to.parse().map_err(|e| permanent("receiver address", e))?)
            .subject(subject)
            .message_id(Some(avisera_domain::receipt::message_id(&job.idempotency_key)));
        if let Some(reply_to) = reply_to {
            builder = builder.reply_to(reply_to.parse().map_err(|e| permanent("reply-to address", e))?);
        }
        if let Some(link) = list_unsubscribe {
            builder = builder
                .header(ListUnsubscribe(link.clone()))
                .header(ListUnsubscribePost);
        }
        let email = match html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(text.clone(), html.clone())),
            None => builder.singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text.clone())),
        }
        .map_err(|e| permanent("cannot build the email", e))?;
        let sent = match tokio::time::timeout(self.timeout, self.transport.send(email)).await {
            Ok(sent) => sent,
            Err(_) => {
                return Err(SendError::Transient(format!(
                    "SMTP: the server did not finish within {} ms (smtp.timeout_ms)",
                    self.timeout.as_millis()
                )));
            }
        };
        match sent {
            Ok(response) => Ok(response
                .message()
                .next()
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP server refused: {e}"))),
            // A 4xx reply ("try again later"), or no connection: the mail was not taken.
            Err(e) if e.is_transient() || not_connected(&e) => Err(SendError::Refused(format!("SMTP: {e}"))),
            Err(e) => Err(SendError::Transient(format!("SMTP: {e}"))),
        }
    }
}

/// The connection to the server could not be made (refused, no route, TLS handshake): no
/// byte of the mail reached it. lettre has no `is_connection()`; its connection errors say
/// "Connection error" (a break in the middle of a conversation is a "network error").
fn not_connected(e: &lettre::transport::smtp::Error) -> bool {
    e.is_tls() || e.to_string().starts_with("Connection error")
}

/// `List-Unsubscribe: <link>` (RFC 2369): the recipient's opt-out link, which takes a POST.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.trim_matches(['<', '>']).to_string()))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): a mail client may opt out
/// with one POST to the link, without a page.
#[derive(Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}
