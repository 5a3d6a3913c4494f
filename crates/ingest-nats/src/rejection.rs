//! What goes to `<prefix>.rejected.<tenant>`: the reason, the invalid events, and the message
//! itself when it is small enough to carry (the stream sequence always says which it was).

use crate::RejectedEvent;
use serde::Serialize;

/// Originals larger than this are not copied into the rejection (the bus limits a message's
/// size); the subject and stream sequence still say which message it was.
const CARRY_AT_MOST: usize = 64 * 1024;

#[derive(Debug, Serialize)]
pub struct Rejection<'a> {
    /// The subject the message was published on.
    pub subject: &'a str,
    /// The message's sequence in the stream.
    pub stream_sequence: u64,
    /// Why nothing of the message was taken; absent when only some events were invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    /// The invalid events (by index, field and what is wrong); the others were stored.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub events: &'a [RejectedEvent],
    /// The message as published (as text, invalid UTF-8 replaced), when at most 64 KiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

impl<'a> Rejection<'a> {
    pub fn new(subject: &'a str, stream_sequence: u64, payload: &[u8]) -> Self {
        Rejection {
            subject,
            stream_sequence,
            reason: None,
            events: &[],
            payload: (payload.len() <= CARRY_AT_MOST).then(|| String::from_utf8_lossy(payload).into_owned()),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a rejection always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_names_the_message_and_carries_small_ones() {
        let events = [RejectedEvent {
            index: 1,
            field: Some("occurred_at".into()),
            message: "not a time".into(),
        }];
        let r = Rejection {
            events: &events,
            ..Rejection::new("avisera.events.7", 42, br#"[{"a":1},{"b":2}]"#)
        };
        let v: serde_json::Value = serde_json::from_slice(&r.to_json()).unwrap();
        assert_eq!(v["subject"], "avisera.events.7");
        assert_eq!(v["stream_sequence"], 42);
        assert_eq!(v["events"][0]["field"], "occurred_at");
        assert_eq!(v["payload"], r#"[{"a":1},{"b":2}]"#);
        assert!(v.get("reason").is_none());

        let big = vec![b'x'; CARRY_AT_MOST + 1];
        let r = Rejection {
            reason: Some("not JSON"),
            ..Rejection::new("avisera.events.7", 43, &big)
        };
        let v: serde_json::Value = serde_json::from_slice(&r.to_json()).unwrap();
        assert_eq!(v["reason"], "not JSON");
        assert!(v.get("payload").is_none());
    }
}
