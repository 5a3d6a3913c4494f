//! Segments that cannot be read as they are: too long, cut off by the end of input, or UTF-8 in
//! an interchange that declares Latin-1. Each error names the segment itself.

use super::*;
use crate::error::hex;

impl Parser {
    /// Up to 20 characters of a segment's start, for errors.
    pub(super) fn sample(&self, raw: &[u8]) -> String {
        let charset = self.interchange.as_ref().map_or(Charset::Latin1, |i| i.charset);
        let text = charset
            .decode(raw)
            .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned());
        text.chars().take(20).collect()
    }

    /// The tag a segment starts with, when it has one.
    pub(super) fn tag_of(&self, raw: &[u8]) -> Option<String> {
        let tag = raw.get(..3)?;
        let ends = raw
            .get(3)
            .is_none_or(|&b| b == self.sep.element || b == self.sep.segment);
        (ends && tag.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()))
            .then(|| String::from_utf8_lossy(tag).into_owned())
    }

    pub(super) fn count_segment(&mut self) {
        if let Some(ic) = &mut self.interchange {
            ic.segments += 1;
        }
        if let Some(m) = &mut self.message {
            m.count += 1;
        }
    }

    /// A segment that cannot be read whole (too long, cut off by the end of input) still
    /// counts, so its error names its own number and tag, not the previous segment's.
    pub(super) fn broken_segment(&mut self, head: &[u8], offset: u64, expected: String, found: String) {
        self.count_segment();
        let mut p = self.position(offset);
        p.tag = self.tag_of(head);
        self.fault_at(ErrorKind::Syntax, p, expected, Some(found));
    }

    /// The same error whether the terminator came in the same chunk or never within the limit.
    pub(super) fn too_long(&mut self, head: &[u8], offset: u64) {
        self.broken_segment(
            head,
            offset,
            format!("a segment of at most {MAX_SEGMENT_BYTES} bytes"),
            format!("more than {MAX_SEGMENT_BYTES} bytes"),
        );
    }

    /// A segment of a Latin-1 interchange holding UTF-8: stored as Latin-1 it would be garbled
    /// ("Ã\u{85}sa" for "Åsa"), so its message is rejected with what to do instead.
    pub(super) fn utf8_in_latin1(&mut self, raw: &[u8], offset: u64, at: usize, len: usize, tag: String) {
        // The element the bytes are in, and its bytes, to show the text as UTF-8 reads it.
        let (mut element, mut from, mut escaped) = (0, 0, false);
        for (i, &b) in raw[..at].iter().enumerate() {
            if escaped {
                escaped = false;
            } else if Some(b) == self.sep.release {
                escaped = true;
            } else if b == self.sep.element {
                element += 1;
                from = i + 1;
            }
        }
        let to = raw[at..]
            .iter()
            .position(|&b| b == self.sep.element || b == self.sep.component)
            .map_or(raw.len(), |n| at + n);
        let declared = self
            .interchange
            .as_ref()
            .map_or("UNOC", |i| i.syntax_id.as_str())
            .to_string();
        let mut p = self.position(offset);
        p.tag = Some(tag);
        if element > 0 {
            p.element = Some(element);
        }
        self.fault_at(
            ErrorKind::Syntax,
            p,
            format!("text in the character set UNB declares, {declared} (ISO 8859-1, Latin-1)"),
            Some(format!(
                "UTF-8: bytes {} at byte {} read as UTF-8 give {}; declare UNOW or UNOY in UNB, or send the file in Latin-1",
                hex(&raw[at..at + len]),
                offset + at as u64,
                quoted(&String::from_utf8_lossy(&raw[from..to]))
            )),
        );
    }
}
