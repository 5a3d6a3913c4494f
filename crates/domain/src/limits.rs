//! How large a message may be. A short template, a long brand name or a text typed by hand
//! can make a message far longer (and dearer) than anyone meant; these bounds refuse it when a
//! template is saved and when a message is sent, so it ends `failed` and costs nothing.

use crate::notification::Message;
use crate::sms;
use crate::tenant::DEFAULT_MAX_SMS_SEGMENTS;

/// The largest email (subject, HTML and text together, in bytes) Avisera sends.
pub const MAX_EMAIL_BYTES: usize = 256 * 1024;
/// The most one template part may render, whatever the limits: a render stops here, so a
/// template cannot make the process build a huge string.
pub const MAX_RENDERED_PART_BYTES: usize = 512 * 1024;

/// The bounds one tenant's messages must keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLimits {
    pub sms_segments: usize,
    pub email_bytes: usize,
}

impl Default for MessageLimits {
    fn default() -> Self {
        MessageLimits {
            sms_segments: DEFAULT_MAX_SMS_SEGMENTS as usize,
            email_bytes: MAX_EMAIL_BYTES,
        }
    }
}

/// Why a message may not be sent as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfit {
    /// Nothing visible in it (the words say which channel's part is missing).
    Empty(&'static str),
    /// More than the tenant allows, and by how much.
    TooLarge(String),
}

impl std::fmt::Display for Unfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfit::Empty(why) => f.write_str(why),
            Unfit::TooLarge(why) => f.write_str(why),
        }
    }
}

impl MessageLimits {
    /// Why a stored message may not be sent, if it may not.
    pub fn check(&self, message: &Message) -> Result<(), Unfit> {
        match message {
            Message::Sms { text, .. } => self.check_sms(text),
            Message::Email {
                subject, html, text, ..
            } => self.check_email(subject, html.as_deref(), text),
        }
    }

    /// Why an SMS text may not be sent, if it may not: nothing visible in it, or more
    /// segments than the tenant allows.
    pub fn check_sms(&self, text: &str) -> Result<(), Unfit> {
        if text.trim().is_empty() {
            return Err(Unfit::Empty(
                "the text is empty: an SMS with no visible text is not sent",
            ));
        }
        let count = sms::count(text);
        if count.segments > self.sms_segments {
            return Err(Unfit::TooLarge(format!(
                "the SMS is {} segments long, more than the tenant's maximum of {} (billing setting max_sms_segments; {} characters, {})",
                count.segments, self.sms_segments, count.characters, count.encoding
            )));
        }
        Ok(())
    }

    /// Why an email may not be sent, if it may not: no visible text, or too large.
    pub fn check_email(&self, subject: &str, html: Option<&str>, text: &str) -> Result<(), Unfit> {
        if text.trim().is_empty() && html.is_none_or(|h| h.trim().is_empty()) {
            return Err(Unfit::Empty(
                "the email is empty: it has neither a text nor an HTML part",
            ));
        }
        let bytes = subject.len() + html.map_or(0, str::len) + text.len();
        if bytes > self.email_bytes {
            return Err(Unfit::TooLarge(format!(
                "the email is {} KiB, more than the maximum of {} KiB",
                bytes.div_ceil(1024),
                self.email_bytes / 1024
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sms_within_the_tenants_segments_passes_and_a_longer_or_empty_one_does_not() {
        let limits = MessageLimits::default();
        assert!(limits.check_sms(&"a".repeat(6 * 153)).is_ok());
        let why = limits.check_sms(&"a".repeat(6 * 153 + 1)).unwrap_err().to_string();
        assert!(why.contains("7 segments") && why.contains("maximum of 6"), "{why}");
        assert!(matches!(limits.check_sms(" \n "), Err(Unfit::Empty(_))));
        let two = MessageLimits {
            sms_segments: 2,
            ..limits
        };
        assert!(two.check_sms(&"a".repeat(307)).is_err());
    }

    #[test]
    fn an_email_must_have_content_and_fit() {
        let limits = MessageLimits::default();
        assert!(limits.check_email("Hi", None, "text").is_ok());
        assert!(limits.check_email("Hi", Some("<p></p>"), "").is_ok());
        assert!(matches!(limits.check_email("Hi", Some("  "), ""), Err(Unfit::Empty(_))));
        let big = "x".repeat(MAX_EMAIL_BYTES);
        assert!(
            limits
                .check_email("Hi", None, &big)
                .unwrap_err()
                .to_string()
                .contains("maximum of 256 KiB")
        );
    }
}
