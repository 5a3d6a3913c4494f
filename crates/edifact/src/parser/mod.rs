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
use crate::segments::{Segment, Segments, Splitter};
use crate::syntax::{Charset, Separators, utf8_sequence};
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
    scratch: Scratch,
    /// The last message's segment buffer, emptied, for the next message: its capacity is
    /// kept, so a message is built without growing buffers (at most the largest message).
    spare: Segments,
}

/// Buffers reused from segment to segment: the one being read, its text decoded from
/// Latin-1 when it is not plain ASCII, and the separators' byte table. Empty by default, so
/// lending it out for a segment costs nothing.
#[derive(Default)]
struct Scratch {
    segment: Segments,
    latin1: String,
    splitter: Option<Splitter>,
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
            scratch: Scratch::default(),
            spare: Segments::new(),
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
        // Moving the rest to the front costs its length: do it when the consumed part is
        // at least as long, so the copies add up to at most the input once.
        if self.start > 64 * 1024 && self.start >= self.buf.len() / 2 || self.start == self.buf.len() {
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
        let from = self.start;
        self.start = end + 1;
        self.scan = self.start;
        self.escaped = false;
        if end - from > MAX_SEGMENT_BYTES {
            let head = self.buf[from..from + 4].to_vec();
            self.too_long(&head, offset);
            return true;
        }
        if self.plain_body_segment(from, end, offset) {
            return true;
        }
        // Lent out while the segment is read, so it can borrow from them and `self` at once.
        let buf = std::mem::take(&mut self.buf);
        let mut scratch = std::mem::take(&mut self.scratch);
        self.segment(&buf[from..end], offset, &mut scratch);
        self.buf = buf;
        self.scratch = scratch;
        true
    }

    /// The next unreleased segment terminator from `scan` on, remembering across pushes
    /// whether the last byte looked at was a release character.
    fn find_terminator(&mut self) -> Option<usize> {
        let (segment, release) = (self.sep.segment, self.sep.release);
        let len = self.buf.len();
        let mut i = self.scan;
        if self.escaped {
            if i >= len {
                return None;
            }
            i += 1;
            self.escaped = false;
        }
        loop {
            let rest = self.buf.get(i..).unwrap_or_default();
            let hit = match release {
                Some(r) => memchr::memchr2(segment, r, rest),
                None => memchr::memchr(segment, rest),
            };
            let Some(n) = hit else {
                self.scan = len;
                return None;
            };
            let at = i + n;
            if self.buf[at] == segment {
                self.scan = at;
                return Some(at);
            }
            // A release character: the byte after it is data.
            if at + 1 >= len {
                self.scan = len;
                self.escaped = true;
                return None;
            }
            i = at + 2;
        }
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

    fn segment(&mut self, raw: &[u8], offset: u64, scratch: &mut Scratch) {
        let charset = self.interchange.as_ref().map_or(Charset::Latin1, |i| i.charset);
        self.count_segment();
        let ascii = charset == Charset::Latin1 && raw.is_ascii();
        let text = match decode(charset, raw, ascii, &mut scratch.latin1) {
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
        let splitter = match &mut scratch.splitter {
            Some(s) if s.sep == self.sep => s,
            other => other.insert(Splitter::new(self.sep)),
        };
        let splitter = &*splitter;
        let utf8_in_latin1 = || {
            (charset == Charset::Latin1 && !ascii)
                .then(|| utf8_sequence(raw))
                .flatten()
        };
        let segments = &mut scratch.segment;
        segments.clear();
        if let Err(element) = segments.split(text, splitter, offset) {
            self.dangling_release(offset, element);
            return;
        }
        let Some(seg) = segments.get(0) else { return };
        let tag = seg.tag();
        if tag.len() != 3 || !tag.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()) {
            let found = tag.chars().take(20).collect::<String>();
            self.fault(
                ErrorKind::Syntax,
                offset,
                "a segment tag of three capital letters or digits".into(),
                Some(quoted(&found)),
            );
            return;
        }
        if self.message.is_some()
            && !tag.starts_with("UN")
            && let Some((at, len)) = utf8_in_latin1()
        {
            self.utf8_in_latin1(raw, offset, at, len, tag.to_string());
            return;
        }
        // UNB names the character set it is itself written in; it was read as Latin-1 above.
        if tag == "UNB" && seg.get(1, 1).and_then(Charset::from_syntax_id) == Some(Charset::Utf8) {
            let mut utf8 = Segments::new();
            match std::str::from_utf8(raw)
                .ok()
                .and_then(|t| utf8.split(t, splitter, offset).ok())
            {
                Some(()) => {
                    if let Some(seg) = utf8.get(0) {
                        self.unb(seg, offset);
                    }
                }
                None => self.fault(
                    ErrorKind::Envelope,
                    offset,
                    "valid UTF-8 in UNB (it says UNOW/UNOY)".into(),
                    None,
                ),
            }
            return;
        }
        match tag {
            "UNB" => self.unb(seg, offset),
            "UNG" => self.ung(seg, offset),
            "UNE" => self.une(seg, offset),
            "UNH" => self.unh(seg, offset),
            "UNT" => self.unt(seg, offset),
            "UNZ" => self.unz(seg, offset),
            _ => self.body(segments, raw.len(), offset),
        }
    }

    /// Most segments: a body segment of a message read so far without fault, whose tag is
    /// plainly three capitals or digits, is split straight into the message's buffer. `false`
    /// when it is not one, or has a fault or would break a limit, with nothing changed: then
    /// [`Parser::segment`] reads it and reports what is wrong.
    fn plain_body_segment(&mut self, from: usize, end: usize, offset: u64) -> bool {
        let Parser {
            buf,
            scratch,
            message,
            interchange,
            sep,
            ..
        } = self;
        let (Some(m), Some(raw)) = (message.as_mut(), buf.get(from..end)) else {
            return false;
        };
        if m.error.is_some()
            || !plain_body_tag(raw, sep)
            || m.bytes + raw.len() > MAX_MESSAGE_BYTES
            || m.message.segments.len() >= MAX_SEGMENTS
        {
            return false;
        }
        let charset = interchange.as_ref().map_or(Charset::Latin1, |i| i.charset);
        let ascii = charset == Charset::Latin1 && raw.is_ascii();
        let Ok(text) = decode(charset, raw, ascii, &mut scratch.latin1) else {
            return false;
        };
        if charset == Charset::Latin1 && !ascii && utf8_sequence(raw).is_some() {
            return false;
        }
        let splitter = match &mut scratch.splitter {
            Some(s) if s.sep == *sep => s,
            other => other.insert(Splitter::new(*sep)),
        };
        if m.message.segments.split(text, splitter, offset).is_err() {
            return false;
        }
        m.bytes += raw.len();
        m.count += 1;
        if let Some(ic) = interchange {
            ic.segments += 1;
        }
        true
    }

    fn dangling_release(&mut self, offset: u64, element: usize) {
        let p = self.position(offset).at_element(element, None);
        self.fault_at(
            ErrorKind::Syntax,
            p,
            "a character after the release character".into(),
            Some("end of segment".into()),
        );
    }
}

/// Whether a segment's tag is plainly three capitals or digits, not a service segment's
/// (`UN.`), followed by the element separator or nothing: then it is a body segment, whatever
/// release characters and separators follow.
fn plain_body_tag(raw: &[u8], sep: &Separators) -> bool {
    match raw {
        [a, b, c, rest @ ..] => {
            [a, b, c].iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && !(*a == b'U' && *b == b'N')
                && rest.first().is_none_or(|&b| b == sep.element)
        }
        _ => false,
    }
}

/// A segment's text in the interchange's character set: borrowed from the input when it is
/// UTF-8 or plain ASCII, else decoded from Latin-1 into `latin1`. On invalid UTF-8, the index
/// of the first bad byte.
fn decode<'a>(charset: Charset, raw: &'a [u8], ascii: bool, latin1: &'a mut String) -> Result<&'a str, usize> {
    match charset {
        // ASCII is valid UTF-8: this cannot fail for Latin-1.
        Charset::Utf8 | Charset::Latin1 if charset == Charset::Utf8 || ascii => {
            std::str::from_utf8(raw).map_err(|e| e.valid_up_to())
        }
        Charset::Latin1 | Charset::Utf8 => {
            latin1.clear();
            latin1.extend(raw.iter().map(|&b| char::from(b)));
            Ok(latin1)
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
