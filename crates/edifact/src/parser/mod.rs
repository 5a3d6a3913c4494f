//! The streaming parser: bytes in, interchanges, groups and complete messages out, one at a
//! time. It keeps only the current segment and the current message in memory.
//!
//! What it accepts: each message is judged on its own. A message whose segments, UNT count or
//! reference are wrong comes out as an `Err` with its place and is skipped; the messages around
//! it come out as usual. Envelope faults (UNZ/UNE count or reference, a missing UNZ) come out as
//! `Err` items of kind [`ErrorKind::Envelope`] and do not take back messages already given out.
//! An interchange whose UNB is unreadable or names an unsupported character set has all its
//! messages rejected, each with that reason.

mod envelope;
mod faults;
mod items;
mod layout;

pub use items::{Group, Interchange, InterchangeEnd, Item, Message, Place};

use crate::error::{ErrorKind, ParseError, Position, quoted};
use crate::syntax::{Charset, Segment, Separators, utf8_sequence};
use layout::Stray;
use std::collections::VecDeque;

/// A segment longer than this is an error (and is skipped to its terminator).
pub const MAX_SEGMENT_BYTES: usize = 64 * 1024;
/// A message larger than this is rejected; this bounds the parser's memory.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
const MAX_SEGMENTS: usize = 100_000;
struct OpenInterchange {
    control_ref: String,
    /// As UNB declares it (UNOA ... UNOY), for errors about the character set.
    syntax_id: String,
    charset: Charset,
    /// Why every message of it is rejected (unreadable UNB, unsupported character set).
    fault: Option<String>,
    messages: usize,
    groups: usize,
    segments: usize,
}

struct OpenGroup {
    reference: String,
    messages: usize,
}

struct OpenMessage {
    message: Message,
    count: usize,
    bytes: usize,
    error: Option<ParseError>,
}

/// Push bytes, pull items. See the module documentation for what is accepted.
pub struct Parser {
    buf: Vec<u8>,
    start: usize,
    scan: usize,
    escaped: bool,
    base: u64,
    finished: bool,
    skipping: bool,
    sep: Separators,
    una_seen: bool,
    stray: Option<Stray>,
    interchange: Option<OpenInterchange>,
    group: Option<OpenGroup>,
    message: Option<OpenMessage>,
    out: VecDeque<Result<Item, ParseError>>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    pub fn new() -> Self {
        Parser {
            buf: Vec::new(),
            start: 0,
            scan: 0,
            escaped: false,
            base: 0,
            finished: false,
            skipping: false,
            sep: Separators::default(),
            una_seen: false,
            stray: None,
            interchange: None,
            group: None,
            message: None,
            out: VecDeque::new(),
        }
    }

    /// Adds input. Bytes after [`Parser::finish`] are ignored.
    pub fn push(&mut self, bytes: &[u8]) {
        if !self.finished {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Marks the end of input: what is still open becomes an error.
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Bytes consumed so far (for progress).
    pub fn consumed(&self) -> u64 {
        self.base + self.start as u64
    }

    /// The next complete item, or `None` when more input is needed (or input has ended).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Result<Item, ParseError>> {
        loop {
            if let Some(item) = self.out.pop_front() {
                return Some(item);
            }
            if !self.step() {
                return None;
            }
        }
    }

    fn compact(&mut self) {
        if self.start > 64 * 1024 || self.start == self.buf.len() {
            self.buf.drain(..self.start);
            self.base += self.start as u64;
            self.scan -= self.start;
            self.start = 0;
        }
    }

    fn position(&self, offset: u64) -> Position {
        let mut p = Position {
            offset,
            ..Position::default()
        };
        if let Some(ic) = &self.interchange {
            p.interchange = Some(ic.control_ref.clone());
            p.segment = Some(ic.segments);
        }
        if let Some(m) = &self.message {
            p.message = Some(m.message.reference.clone());
            p.segment = Some(m.count);
        }
        p
    }

    /// Takes one segment from the buffer and handles it; `false` when nothing more can be done.
    fn step(&mut self) -> bool {
        self.compact();
        if self.skipping {
            return self.skip_to_terminator();
        }
        if !self.skip_layout() {
            return false;
        }
        if self.start == self.buf.len() {
            if self.finished {
                return self.end_stray() | self.end_of_input();
            }
            return false;
        }
        if self.end_stray() {
            return true;
        }
        let rest = &self.buf[self.start..];
        if self.interchange.is_none() && !self.una_seen {
            if rest.len() < 3 && !self.finished && b"UNA".starts_with(rest) {
                return false;
            }
            if rest.starts_with(b"UNA") {
                if rest.len() < 9 {
                    if self.finished {
                        let p = self.position(self.consumed());
                        self.out.push_back(Err(ParseError::new(
                            ErrorKind::Syntax,
                            p,
                            "six service characters after UNA",
                            Some(format!("{} bytes", rest.len() - 3)),
                        )));
                        self.start = self.buf.len();
                        self.scan = self.start;
                        return true;
                    }
                    return false;
                }
                let chars = [rest[3], rest[4], rest[5], rest[6], rest[7], rest[8]];
                match Separators::from_una(chars) {
                    Some(sep) => self.sep = sep,
                    None => {
                        let p = self.position(self.consumed());
                        self.out.push_back(Err(ParseError::new(
                            ErrorKind::Syntax,
                            p,
                            "six distinct service characters after UNA (not letters, digits or spaces)",
                            Some(quoted(&String::from_utf8_lossy(&chars))),
                        )));
                        self.sep = Separators::default();
                    }
                }
                self.una_seen = true;
                self.start += 9;
                self.scan = self.start;
                return true;
            }
        }
        let Some(end) = self.find_terminator() else {
            if self.buf.len() - self.start > MAX_SEGMENT_BYTES {
                let offset = self.consumed();
                let head = self.buf[self.start..self.start + 4].to_vec();
                self.too_long(&head, offset);
                self.skipping = true;
                self.start = self.buf.len();
                self.scan = self.start;
                return true;
            }
            if self.finished {
                let offset = self.consumed();
                let raw = self.buf[self.start..].to_vec();
                self.start = self.buf.len();
                self.scan = self.start;
                let found = format!("end of input after {}", quoted(&self.sample(&raw)));
                let terminator = quoted(&char::from(self.sep.segment).to_string());
                self.broken_segment(&raw, offset, format!("segment terminator {terminator}"), found);
                return true;
            }
            return false;
        };
        let offset = self.consumed();
        let raw = self.buf[self.start..end].to_vec();
        self.start = end + 1;
        self.scan = self.start;
        self.escaped = false;
        if raw.len() > MAX_SEGMENT_BYTES {
            self.too_long(&raw, offset);
            return true;
        }
        self.segment(&raw, offset);
        true
    }

    fn find_terminator(&mut self) -> Option<usize> {
        while self.scan < self.buf.len() {
            let b = self.buf[self.scan];
            if self.escaped {
                self.escaped = false;
            } else if Some(b) == self.sep.release {
                self.escaped = true;
            } else if b == self.sep.segment {
                return Some(self.scan);
            }
            self.scan += 1;
        }
        None
    }

    fn skip_to_terminator(&mut self) -> bool {
        match self.find_terminator() {
            Some(end) => {
                self.skipping = false;
                self.start = end + 1;
                self.scan = self.start;
                self.escaped = false;
                true
            }
            None => {
                self.start = self.buf.len();
                self.scan = self.start;
                if self.finished {
                    self.skipping = false;
                    return true;
                }
                false
            }
        }
    }

    /// Records an error: inside a message it rejects that message (first error wins),
    /// elsewhere it is an item of its own.
    fn fault(&mut self, kind: ErrorKind, offset: u64, expected: String, found: Option<String>) {
        self.fault_at(kind, self.position(offset), expected, found);
    }

    fn fault_at(&mut self, kind: ErrorKind, position: Position, expected: String, found: Option<String>) {
        let err = ParseError::new(kind, position, expected, found);
        match &mut self.message {
            Some(m) if kind != ErrorKind::Envelope => {
                if m.error.is_none() {
                    m.error = Some(ParseError {
                        kind: ErrorKind::Message,
                        ..err
                    });
                }
            }
            _ => self.out.push_back(Err(err)),
        }
    }

    fn segment(&mut self, raw: &[u8], offset: u64) {
        let charset = self.interchange.as_ref().map_or(Charset::Latin1, |i| i.charset);
        self.count_segment();
        let text = match charset.decode(raw) {
            Ok(t) => t,
            Err(at) => {
                let mut p = self.position(offset);
                p.tag = self.tag_of(raw);
                self.fault_at(
                    ErrorKind::Syntax,
                    p,
                    "valid UTF-8 (the interchange says UNOW/UNOY)".into(),
                    Some(format!("byte 0x{:02X} at byte {}", raw[at], offset + at as u64)),
                );
                return;
            }
        };
        let seg = match Segment::split(&text, &self.sep) {
            Ok(s) => s,
            Err(element) => {
                let p = self.position(offset).at_element(element, None);
                self.fault_at(
                    ErrorKind::Syntax,
                    p,
                    "a character after the release character".into(),
                    Some("end of segment".into()),
                );
                return;
            }
        };
        if seg.tag.len() != 3 || !seg.tag.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            let found = seg.tag.chars().take(20).collect::<String>();
            self.fault(
                ErrorKind::Syntax,
                offset,
                "a segment tag of three capital letters or digits".into(),
                Some(quoted(&found)),
            );
            return;
        }
        if charset == Charset::Latin1
            && self.message.is_some()
            && !seg.tag.starts_with("UN")
            && let Some((at, len)) = utf8_sequence(raw)
        {
            self.utf8_in_latin1(raw, offset, at, len, seg.tag.clone());
            return;
        }
        // UNB names the character set it is itself written in; it was read as Latin-1 above.
        let seg = if seg.tag == "UNB" && seg.get(1, 1).and_then(Charset::from_syntax_id) == Some(Charset::Utf8) {
            match Charset::Utf8
                .decode(raw)
                .ok()
                .and_then(|t| Segment::split(&t, &self.sep).ok())
            {
                Some(s) => s,
                None => {
                    self.fault(
                        ErrorKind::Envelope,
                        offset,
                        "valid UTF-8 in UNB (it says UNOW/UNOY)".into(),
                        None,
                    );
                    return;
                }
            }
        } else {
            seg
        };
        match seg.tag.as_str() {
            "UNB" => self.unb(seg, offset),
            "UNG" => self.ung(seg, offset),
            "UNE" => self.une(seg, offset),
            "UNH" => self.unh(seg, offset),
            "UNT" => self.unt(seg, offset),
            "UNZ" => self.unz(seg, offset),
            _ => self.body(seg, raw.len(), offset),
        }
    }
}

/// Parses a whole input at once (tests and small uploads).
pub fn parse_all(input: &[u8]) -> Vec<Result<Item, ParseError>> {
    let mut p = Parser::new();
    p.push(input);
    p.finish();
    std::iter::from_fn(|| p.next()).collect()
}
