//! The streaming parser: bytes in, interchanges, groups and complete messages out, one at a
//! time. It keeps only the current segment and the current message in memory.
//!
//! What it accepts: each message is judged on its own. A message whose segments, UNT count or
//! reference are wrong comes out as an `Err` with its place and is skipped; the messages around
//! it come out as usual. Envelope faults (UNZ/UNE count or reference, a missing UNZ) come out as
//! `Err` items of kind [`ErrorKind::Envelope`] and do not take back messages already given out.
//! An interchange whose UNB is unreadable or names an unsupported character set has all its
//! messages rejected, each with that reason.

use crate::error::{ErrorKind, ParseError, Position};
use crate::syntax::{Charset, Segment, Separators};
use std::collections::VecDeque;

/// A segment longer than this is an error (and is skipped to its terminator).
pub const MAX_SEGMENT_BYTES: usize = 64 * 1024;
/// A message larger than this is rejected; this bounds the parser's memory.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
const MAX_SEGMENTS: usize = 100_000;

/// UNB: the interchange header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interchange {
    pub syntax_id: String,
    pub syntax_version: String,
    pub sender: String,
    pub recipient: String,
    /// As written: YYMMDD (versions 1-3) or CCYYMMDD (version 4).
    pub date: String,
    pub time: String,
    pub control_ref: String,
    pub separators: Separators,
    pub offset: u64,
}

/// UNG: a functional group header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub kind: String,
    pub reference: String,
}

/// UNH..UNT: a message with its body segments (UNH and UNT themselves are not in `segments`;
/// the segment number of `segments[i]` is `i + 2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub interchange: String,
    pub reference: String,
    pub message_type: String,
    pub version: String,
    pub release: String,
    pub agency: String,
    pub association: Option<String>,
    pub segments: Vec<Segment>,
    /// Byte offset of UNH in the input.
    pub offset: u64,
    /// Byte offset of each body segment.
    pub segment_offsets: Vec<u64>,
}

impl Message {
    /// The position of body segment `i`, for error messages.
    pub fn position(&self, i: usize) -> Position {
        Position {
            interchange: Some(self.interchange.clone()),
            message: Some(self.reference.clone()),
            segment: Some(i + 2),
            tag: self.segments.get(i).map(|s| s.tag.clone()),
            element: None,
            component: None,
            offset: self.segment_offsets.get(i).copied().unwrap_or(self.offset),
        }
    }
}

/// UNZ: the interchange is complete; `messages` is what was counted (accepted or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterchangeEnd {
    pub control_ref: String,
    pub messages: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Interchange(Interchange),
    Group(Group),
    GroupEnd(String),
    Message(Message),
    InterchangeEnd(InterchangeEnd),
}

struct OpenInterchange {
    control_ref: String,
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
        // Line breaks between segments are common and harmless.
        while let Some(&b) = self.buf.get(self.start) {
            if (b == b'\r' || b == b'\n') && !self.sep.is_service(b) {
                self.start += 1;
                self.scan = self.scan.max(self.start);
            } else {
                break;
            }
        }
        let rest = &self.buf[self.start..];
        if rest.is_empty() {
            if self.finished {
                return self.end_of_input();
            }
            return false;
        }
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
                            Some(format!("{:?}", String::from_utf8_lossy(&chars))),
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
                self.fault(
                    ErrorKind::Syntax,
                    offset,
                    format!("a segment terminator within {MAX_SEGMENT_BYTES} bytes"),
                    None,
                );
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
                let found = String::from_utf8_lossy(&raw[..raw.len().min(20)]).into_owned();
                self.fault(
                    ErrorKind::Syntax,
                    offset,
                    format!("segment terminator {:?}", char::from(self.sep.segment)),
                    Some(format!("end of input after {found:?}")),
                );
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
            self.fault(
                ErrorKind::Syntax,
                offset,
                format!("a segment of at most {MAX_SEGMENT_BYTES} bytes"),
                Some(format!("{} bytes", raw.len())),
            );
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
        if let Some(ic) = &mut self.interchange {
            ic.segments += 1;
        }
        if let Some(m) = &mut self.message {
            m.count += 1;
        }
        let text = match charset.decode(raw) {
            Ok(t) => t,
            Err(at) => {
                self.fault(
                    ErrorKind::Syntax,
                    offset,
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
                Some(format!("{found:?}")),
            );
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

    fn close_open_message(&mut self, offset: u64, next: &str) {
        if let Some(m) = self.message.take() {
            let mut p = self.position(offset);
            p.message = Some(m.message.reference.clone());
            p.segment = Some(m.count);
            p.tag = Some(next.into());
            let err = m
                .error
                .unwrap_or_else(|| ParseError::new(ErrorKind::Message, p, format!("UNT before {next}"), None));
            self.out.push_back(Err(err));
        }
    }

    fn unb(&mut self, seg: Segment, offset: u64) {
        self.close_open_message(offset, "UNB");
        if self.group.take().is_some() {
            self.fault(ErrorKind::Envelope, offset, "UNE before UNB".into(), None);
        }
        if self.interchange.take().is_some() {
            self.fault(ErrorKind::Envelope, offset, "UNZ before the next UNB".into(), None);
        }
        let v = |e, c| seg.get(e, c).unwrap_or("").to_string();
        let syntax_id = v(1, 1);
        let control_ref = v(5, 1);
        let mut fault = None;
        let charset = match Charset::from_syntax_id(&syntax_id) {
            Some(c) => c,
            None => {
                fault = Some(format!(
                    "syntax identifier UNOA, UNOB, UNOC, UNOW or UNOY in UNB (found {syntax_id:?})"
                ));
                Charset::Latin1
            }
        };
        if control_ref.is_empty() {
            fault = Some("an interchange control reference in UNB element 5".into());
        }
        let syntax_version = v(1, 2);
        if syntax_version == "4" && !self.una_seen {
            self.sep.repetition = Some(b'*');
        }
        self.interchange = Some(OpenInterchange {
            control_ref: if control_ref.is_empty() {
                "?".into()
            } else {
                control_ref.clone()
            },
            charset,
            fault: fault.clone(),
            messages: 0,
            groups: 0,
            segments: 1,
        });
        if let Some(f) = fault {
            let mut p = self.position(offset);
            p.tag = Some("UNB".into());
            self.out
                .push_back(Err(ParseError::new(ErrorKind::Envelope, p, f, None)));
        }
        self.out.push_back(Ok(Item::Interchange(Interchange {
            syntax_id,
            syntax_version,
            sender: v(2, 1),
            recipient: v(3, 1),
            date: v(4, 1),
            time: v(4, 2),
            control_ref,
            separators: self.sep,
            offset,
        })));
    }

    fn envelope_error(
        &mut self,
        offset: u64,
        tag: &str,
        element: Option<usize>,
        expected: String,
        found: Option<String>,
    ) {
        let mut p = self.position(offset);
        p.tag = Some(tag.into());
        p.message = None;
        p.element = element;
        self.out
            .push_back(Err(ParseError::new(ErrorKind::Envelope, p, expected, found)));
    }

    fn ung(&mut self, seg: Segment, offset: u64) {
        self.close_open_message(offset, "UNG");
        if self.interchange.is_none() {
            self.envelope_error(offset, "UNG", None, "UNB before UNG".into(), None);
            return;
        }
        if self.group.is_some() {
            self.envelope_error(offset, "UNG", None, "UNE before the next UNG".into(), None);
        }
        let reference = seg.get(5, 1).unwrap_or("").to_string();
        if let Some(ic) = &mut self.interchange {
            ic.groups += 1;
        }
        self.group = Some(OpenGroup {
            reference: reference.clone(),
            messages: 0,
        });
        self.out.push_back(Ok(Item::Group(Group {
            kind: seg.get(1, 1).unwrap_or("").to_string(),
            reference,
        })));
    }

    fn une(&mut self, seg: Segment, offset: u64) {
        self.close_open_message(offset, "UNE");
        let Some(g) = self.group.take() else {
            self.envelope_error(offset, "UNE", None, "UNG before UNE".into(), None);
            return;
        };
        let count = seg.get(1, 1).unwrap_or("");
        if count.parse::<usize>().ok() != Some(g.messages) {
            self.envelope_error(
                offset,
                "UNE",
                Some(1),
                format!("the group's message count {}", g.messages),
                Some(format!("{count:?}")),
            );
        }
        let reference = seg.get(2, 1).unwrap_or("");
        if reference != g.reference {
            self.envelope_error(
                offset,
                "UNE",
                Some(2),
                format!("the UNG reference {:?}", g.reference),
                Some(format!("{reference:?}")),
            );
        }
        self.out.push_back(Ok(Item::GroupEnd(g.reference)));
    }

    fn unh(&mut self, seg: Segment, offset: u64) {
        self.close_open_message(offset, "UNH");
        let reference = seg.get(1, 1).unwrap_or("").to_string();
        let interchange = self
            .interchange
            .as_ref()
            .map_or_else(|| "?".to_string(), |i| i.control_ref.clone());
        if let Some(ic) = &mut self.interchange {
            ic.messages += 1;
        }
        if let Some(g) = &mut self.group {
            g.messages += 1;
        }
        let v = |e, c| seg.get(e, c).unwrap_or("").to_string();
        self.message = Some(OpenMessage {
            message: Message {
                interchange,
                reference: if reference.is_empty() {
                    "?".into()
                } else {
                    reference.clone()
                },
                message_type: v(2, 1),
                version: v(2, 2),
                release: v(2, 3),
                agency: v(2, 4),
                association: seg.get(2, 5).map(str::to_string),
                segments: Vec::new(),
                offset,
                segment_offsets: Vec::new(),
            },
            count: 1,
            bytes: 0,
            error: None,
        });
        let fault = match &self.interchange {
            None => Some(("UNB before UNH".to_string(), None)),
            Some(OpenInterchange { fault: Some(f), .. }) => Some((format!("a readable interchange: {f}"), None)),
            Some(_) if reference.is_empty() => Some(("a message reference in UNH element 1".to_string(), Some(1))),
            Some(_) if seg.get(2, 1).is_none() => Some(("a message type in UNH element 2".to_string(), Some(2))),
            Some(_) => None,
        };
        if let Some((expected, element)) = fault {
            let mut p = self.position(offset);
            p.tag = Some("UNH".into());
            p.element = element;
            self.fault_at(ErrorKind::Message, p, expected, None);
        }
    }

    fn unt(&mut self, seg: Segment, offset: u64) {
        let Some(m) = self.message.take() else {
            let mut p = self.position(offset);
            p.tag = Some("UNT".into());
            self.out
                .push_back(Err(ParseError::new(ErrorKind::Message, p, "UNH before UNT", None)));
            return;
        };
        let mut p = Position {
            interchange: Some(m.message.interchange.clone()),
            message: Some(m.message.reference.clone()),
            segment: Some(m.count),
            tag: Some("UNT".into()),
            element: None,
            component: None,
            offset,
        };
        let count = seg.get(1, 1).unwrap_or("");
        let reference = seg.get(2, 1).unwrap_or("");
        let result = if let Some(e) = m.error {
            Err(e)
        } else if count.parse::<usize>().ok() != Some(m.count) {
            p.element = Some(1);
            Err(ParseError::new(
                ErrorKind::Message,
                p,
                format!("the message's segment count {} (UNH to UNT)", m.count),
                Some(format!("{count:?}")),
            ))
        } else if reference != m.message.reference {
            p.element = Some(2);
            Err(ParseError::new(
                ErrorKind::Message,
                p,
                format!("the UNH reference {:?}", m.message.reference),
                Some(format!("{reference:?}")),
            ))
        } else {
            Ok(Item::Message(m.message))
        };
        self.out.push_back(result);
    }

    fn unz(&mut self, seg: Segment, offset: u64) {
        self.close_open_message(offset, "UNZ");
        if self.group.take().is_some() {
            self.envelope_error(offset, "UNZ", None, "UNE before UNZ".into(), None);
        }
        let Some(ic) = self.interchange.take() else {
            self.envelope_error(offset, "UNZ", None, "UNB before UNZ".into(), None);
            return;
        };
        // Put it back for the positions of the errors below.
        let (control_ref, messages, groups) = (ic.control_ref.clone(), ic.messages, ic.groups);
        self.interchange = Some(ic);
        let expected = if groups > 0 { groups } else { messages };
        let count = seg.get(1, 1).unwrap_or("");
        if count.parse::<usize>().ok() != Some(expected) {
            let what = if groups > 0 { "group" } else { "message" };
            self.envelope_error(
                offset,
                "UNZ",
                Some(1),
                format!("the interchange's {what} count {expected}"),
                Some(format!("{count:?}")),
            );
        }
        let reference = seg.get(2, 1).unwrap_or("");
        if reference != control_ref {
            self.envelope_error(
                offset,
                "UNZ",
                Some(2),
                format!("the UNB control reference {control_ref:?}"),
                Some(format!("{reference:?}")),
            );
        }
        self.interchange = None;
        self.una_seen = false;
        self.sep = Separators::default();
        self.out
            .push_back(Ok(Item::InterchangeEnd(InterchangeEnd { control_ref, messages })));
    }

    fn body(&mut self, seg: Segment, len: usize, offset: u64) {
        let Some(m) = &mut self.message else {
            let expected = match (&self.interchange, &self.group) {
                (None, _) => "UNA or UNB",
                (Some(_), Some(_)) => "UNH or UNE",
                (Some(_), None) => "UNH, UNG or UNZ",
            };
            let tag = seg.tag.clone();
            let mut p = self.position(offset);
            p.tag = Some(tag.clone());
            self.out
                .push_back(Err(ParseError::new(ErrorKind::Envelope, p, expected, Some(tag))));
            return;
        };
        if m.error.is_some() {
            return;
        }
        m.bytes += len;
        if m.bytes > MAX_MESSAGE_BYTES || m.message.segments.len() >= MAX_SEGMENTS {
            m.message.segments = Vec::new();
            m.message.segment_offsets = Vec::new();
            self.fault(
                ErrorKind::Message,
                offset,
                format!("a message of at most {MAX_MESSAGE_BYTES} bytes and {MAX_SEGMENTS} segments"),
                None,
            );
            return;
        }
        m.message.segments.push(seg);
        m.message.segment_offsets.push(offset);
    }

    fn end_of_input(&mut self) -> bool {
        let offset = self.consumed();
        let mut progressed = false;
        if self.message.is_some() {
            self.close_open_message(offset, "end of input");
            progressed = true;
        }
        if self.group.take().is_some() {
            self.envelope_error(offset, "UNE", None, "UNE before end of input".into(), None);
            progressed = true;
        }
        if self.interchange.is_some() {
            self.envelope_error(offset, "UNZ", None, "UNZ before end of input".into(), None);
            self.interchange = None;
            progressed = true;
        }
        progressed
    }
}

/// Parses a whole input at once (tests and small uploads).
pub fn parse_all(input: &[u8]) -> Vec<Result<Item, ParseError>> {
    let mut p = Parser::new();
    p.push(input);
    p.finish();
    std::iter::from_fn(|| p.next()).collect()
}
