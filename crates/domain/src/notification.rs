//! A notification: one message to one recipient on one channel, its stored content and its
//! status. The content is rendered when the notification is created; sending only reads it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn slug(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sms" => Ok(Channel::Sms),
            "email" => Ok(Channel::Email),
            _ => Err(format!("unknown channel {s:?}; use sms or email")),
        }
    }
}

/// Where a notification is in its life. `Scheduled` waits for its due time (or a retry);
/// `Sent`, `Failed` and `Cancelled` are final for sending. A sent notification may still move
/// once, by its provider's receipt (`receipt.rs`), to `Delivered`, `Undelivered` (SMS) or
/// `Bounced` (email).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Scheduled,
    Sent,
    Failed,
    Cancelled,
    Delivered,
    Undelivered,
    Bounced,
}

impl Status {
    pub fn slug(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Delivered => "delivered",
            Status::Undelivered => "undelivered",
            Status::Bounced => "bounced",
        }
    }

    /// Every status, in the order of a notification's life (for filters and lists).
    pub const ALL: [Status; 7] = [
        Status::Scheduled,
        Status::Sent,
        Status::Delivered,
        Status::Undelivered,
        Status::Bounced,
        Status::Failed,
        Status::Cancelled,
    ];

    /// The provider accepted it (and billed it): sent, and whatever its receipt said since.
    pub fn was_sent(self) -> bool {
        matches!(
            self,
            Status::Sent | Status::Delivered | Status::Undelivered | Status::Bounced
        )
    }

    pub fn is_final(self) -> bool {
        !matches!(self, Status::Scheduled)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "scheduled" => Ok(Status::Scheduled),
            "sent" => Ok(Status::Sent),
            "failed" => Ok(Status::Failed),
            "cancelled" => Ok(Status::Cancelled),
            "delivered" => Ok(Status::Delivered),
            "undelivered" => Ok(Status::Undelivered),
            "bounced" => Ok(Status::Bounced),
            _ => Err(format!(
                "unknown status {s:?}; use scheduled, sent, delivered, undelivered, bounced, failed or cancelled"
            )),
        }
    }
}

/// The message exactly as it will be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "snake_case")]
pub enum Message {
    Sms {
        sender_id: String,
        to: String,
        text: String,
    },
    Email {
        from_name: String,
        from_address: Option<String>,
        reply_to: Option<String>,
        to: String,
        subject: String,
        html: Option<String>,
        text: String,
        /// The recipient's one-click opt-out link, sent as the `List-Unsubscribe` header
        /// (RFC 8058); none for the tenant's own notices.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        list_unsubscribe: Option<String>,
    },
}

impl Message {
    pub fn channel(&self) -> Channel {
        match self {
            Message::Sms { .. } => Channel::Sms,
            Message::Email { .. } => Channel::Email,
        }
    }

    pub fn recipient(&self) -> &str {
        match self {
            Message::Sms { to, .. } | Message::Email { to, .. } => to,
        }
    }
}
