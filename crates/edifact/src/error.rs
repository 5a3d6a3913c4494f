//! Where in an interchange something went wrong, and what was expected there. Every error of
//! the parser and of the message readers carries one, so the sender can find and fix it.

use std::fmt;

/// A place in the input: the interchange (its control reference), the message (its reference),
/// the segment (number within the message, UNH = 1, else within the interchange), the element
/// and component (1-based), and the byte offset of the segment in the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    pub interchange: Option<String>,
    pub message: Option<String>,
    pub segment: Option<usize>,
    pub tag: Option<String>,
    pub element: Option<usize>,
    pub component: Option<usize>,
    pub offset: u64,
}

impl Position {
    pub fn at_element(mut self, element: usize, component: Option<usize>) -> Self {
        self.element = Some(element);
        self.component = component;
        self
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(i) = &self.interchange {
            parts.push(format!("interchange {i}"));
        }
        if let Some(m) = &self.message {
            parts.push(format!("message {m}"));
        }
        match (self.segment, &self.tag) {
            (Some(n), Some(t)) => parts.push(format!("segment {n} ({t})")),
            (Some(n), None) => parts.push(format!("segment {n}")),
            (None, Some(t)) => parts.push(format!("segment {t}")),
            (None, None) => {}
        }
        match (self.element, self.component) {
            (Some(e), Some(c)) => parts.push(format!("element {e}.{c}")),
            (Some(e), None) => parts.push(format!("element {e}")),
            _ => {}
        }
        parts.push(format!("byte {}", self.offset));
        f.write_str(&parts.join(", "))
    }
}

/// What kind of fault, so a caller can tell a broken envelope from a broken message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Bytes that are not a segment (no tag, too long, not in the character set).
    Syntax,
    /// An envelope fault: UNB/UNZ, UNG/UNE, their references and counts.
    Envelope,
    /// A fault inside one message (including UNH/UNT and its segment count); that message is
    /// rejected, the others stand.
    Message,
    /// The message is well-formed but lacks what the reader needs (IFTMIN/IFTSTA content).
    Content,
}

/// A value as the sender wrote it, in double quotes, for error texts: control characters show
/// as `<U+0085>`, never as Rust escapes, so the text reads the same to anyone.
pub fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c.is_control() {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Bytes in hex, `C3 85`, for errors about bytes that are not text.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: expected {expected}{}", found.as_ref().map(|f| format!(", found {f}")).unwrap_or_default())]
pub struct ParseError {
    pub kind: ErrorKind,
    pub position: Box<Position>,
    pub expected: String,
    pub found: Option<String>,
}

impl ParseError {
    pub fn new(kind: ErrorKind, position: Position, expected: impl Into<String>, found: Option<String>) -> Self {
        ParseError {
            kind,
            position: Box::new(position),
            expected: expected.into(),
            found,
        }
    }
}
