//! A message's segments in one buffer: the decoded text of every value (release characters
//! removed) and an index of where each segment, element, repetition and component lies in it.
//! Readers get [`Segment`] and [`Element`] views that borrow from it, so a parsed message costs
//! a handful of allocations, not a `String` per component.

mod split;
mod views;

pub(crate) use split::Splitter;
pub use views::{Element, ElementBuf, Segment, SegmentBuf};

use std::fmt;

/// Where a value lies in a message's text. `u32`: a parsed message is at most 4 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: Span,
    /// Into `Segments::elements`.
    elements: Span,
    offset: u64,
}

#[derive(Debug, Clone, Copy)]
struct Component {
    text: Span,
    /// The first component of a repetition after the first.
    repeats: bool,
}

/// The segments of a message (its body: UNH and UNT are not among them), in input order.
/// Built by the parser, or by hand with [`Segments::push`] for the printer and tests.
#[derive(Clone, Default)]
pub struct Segments {
    text: String,
    entries: Vec<Entry>,
    /// Each element's components, as a range of `components`.
    elements: Vec<Span>,
    components: Vec<Component>,
}

fn at(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Segments {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Segment `i` (0-based; its segment number in the message is `i + 2`).
    pub fn get(&self, i: usize) -> Option<Segment<'_>> {
        let entry = self.entries.get(i)?;
        Some(Segment { all: self, entry })
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter {
            all: self,
            entries: self.entries.iter(),
        }
    }

    /// Appends a segment built by hand, at offset 0. An element or repetition without
    /// components is stored as one empty component, as it reads back once printed.
    ///
    /// # Panics
    /// When the message's text would exceed 4 GiB (a parsed message is at most 4 MiB).
    pub fn push(&mut self, segment: &SegmentBuf) {
        let tag = self.push_text(&segment.tag);
        let first = self.elements.len();
        for element in &segment.elements {
            let from = self.components.len();
            for (r, repetition) in element.0.iter().enumerate() {
                let mut repeats = r > 0;
                for value in repetition {
                    let text = self.push_text(value);
                    self.components.push(Component { text, repeats });
                    repeats = false;
                }
                if repetition.is_empty() {
                    let text = self.push_text("");
                    self.components.push(Component { text, repeats });
                }
            }
            if element.0.is_empty() {
                let text = self.push_text("");
                self.components.push(Component { text, repeats: false });
            }
            self.elements.push(Span {
                start: at(from),
                end: at(self.components.len()),
            });
        }
        self.entries.push(Entry {
            tag,
            elements: Span {
                start: at(first),
                end: at(self.elements.len()),
            },
            offset: 0,
        });
    }

    fn push_text(&mut self, value: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(value);
        assert!(
            self.text.len() <= u32::MAX as usize,
            "a message's text is at most 4 GiB"
        );
        Span {
            start: at(start),
            end: at(self.text.len()),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.entries.clear();
        self.elements.clear();
        self.components.clear();
    }

    /// Appends the segments of `other` (the parser's one-segment scratch) to these.
    pub(crate) fn append(&mut self, other: &Segments) {
        let text = at(self.text.len());
        let elements = at(self.elements.len());
        let components = at(self.components.len());
        self.text.push_str(&other.text);
        let shift = |s: Span, by: u32| Span {
            start: s.start + by,
            end: s.end + by,
        };
        self.entries.extend(other.entries.iter().map(|e| Entry {
            tag: shift(e.tag, text),
            elements: shift(e.elements, elements),
            offset: e.offset,
        }));
        self.elements
            .extend(other.elements.iter().map(|&e| shift(e, components)));
        self.components.extend(other.components.iter().map(|c| Component {
            text: shift(c.text, text),
            repeats: c.repeats,
        }));
    }

    fn str(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// The segments of a message in order; see [`Segments::iter`].
#[derive(Clone)]
pub struct Iter<'a> {
    all: &'a Segments,
    entries: std::slice::Iter<'a, Entry>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Segment<'a>;
    fn next(&mut self) -> Option<Segment<'a>> {
        let entry = self.entries.next()?;
        Some(Segment { all: self.all, entry })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.entries.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let entry = self.entries.next_back()?;
        Some(Segment { all: self.all, entry })
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Segments {
    type Item = Segment<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl FromIterator<SegmentBuf> for Segments {
    fn from_iter<I: IntoIterator<Item = SegmentBuf>>(iter: I) -> Self {
        let mut s = Segments::new();
        for segment in iter {
            s.push(&segment);
        }
        s
    }
}

/// Equal when the segments hold the same tags, values and structure at the same offsets,
/// however their buffers were filled.
impl PartialEq for Segments {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Eq for Segments {}

impl fmt::Debug for Segments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
