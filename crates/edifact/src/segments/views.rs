//! Views that borrow a message's segments and elements from its buffer, and their owned forms
//! for building messages by hand.

use super::{Component, Entry, Segments};
use std::fmt;

/// One segment of a message: its tag and data elements, decoded and with release characters
/// removed, borrowed from the message.
#[derive(Clone, Copy)]
pub struct Segment<'m> {
    pub(super) all: &'m Segments,
    pub(super) entry: &'m Entry,
}

impl<'m> Segment<'m> {
    pub fn tag(self) -> &'m str {
        self.all.str(self.entry.tag)
    }

    /// Byte offset of the segment in the input (0 for a segment built by hand).
    pub fn offset(self) -> u64 {
        self.entry.offset
    }

    /// Element `e`, component `c` (both 1-based, first repetition); empty counts as absent.
    pub fn get(self, e: usize, c: usize) -> Option<&'m str> {
        self.element(e)?.component(c)
    }

    /// Element `e` (1-based).
    pub fn element(self, e: usize) -> Option<Element<'m>> {
        let i = self.entry.elements.start as usize + e.checked_sub(1)?;
        if i >= self.entry.elements.end as usize {
            return None;
        }
        let components = self.all.components.get(self.all.elements.get(i)?.range())?;
        Some(Element {
            all: self.all,
            components,
        })
    }

    pub fn elements(self) -> impl ExactSizeIterator<Item = Element<'m>> + use<'m> {
        let all = self.all;
        all.elements
            .get(self.entry.elements.range())
            .unwrap_or_default()
            .iter()
            .map(move |span| Element {
                all,
                components: all.components.get(span.range()).unwrap_or_default(),
            })
    }

    /// The segment as owned values, to keep or to build on.
    pub fn to_buf(self) -> SegmentBuf {
        SegmentBuf {
            tag: self.tag().to_string(),
            elements: self.elements().map(Element::to_buf).collect(),
        }
    }
}

impl PartialEq for Segment<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.tag() == other.tag()
            && self.offset() == other.offset()
            && self.elements().len() == other.elements().len()
            && self.elements().zip(other.elements()).all(|(a, b)| a == b)
    }
}

impl fmt::Debug for Segment<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("tag", &self.tag())
            .field("elements", &self.elements().collect::<Vec<_>>())
            .field("offset", &self.offset())
            .finish()
    }
}

/// One data element: its repetitions, each a list of components (a simple element is one
/// repetition of one component), borrowed from the message.
#[derive(Clone, Copy)]
pub struct Element<'m> {
    pub(super) all: &'m Segments,
    /// At least one.
    pub(super) components: &'m [Component],
}

impl<'m> Element<'m> {
    /// Component `c` (1-based) of the first repetition; empty counts as absent.
    pub fn component(self, c: usize) -> Option<&'m str> {
        let i = c.checked_sub(1)?;
        let component = self.components.get(i)?;
        // Past the first repetition?
        if self.components.get(1..=i)?.iter().any(|c| c.repeats) {
            return None;
        }
        Some(self.all.str(component.text)).filter(|v| !v.is_empty())
    }

    /// The components of the first repetition, empty ones included.
    pub fn components(self) -> impl Iterator<Item = &'m str> + use<'m> {
        self.repetitions().next().into_iter().flatten()
    }

    /// Each repetition's components, empty ones included.
    pub fn repetitions(self) -> impl Iterator<Item = impl Iterator<Item = &'m str> + use<'m>> + use<'m> {
        let all = self.all;
        self.components
            .chunk_by(|_, next| !next.repeats)
            .map(move |r| r.iter().map(move |c| all.str(c.text)))
    }

    pub fn to_buf(self) -> ElementBuf {
        ElementBuf(self.repetitions().map(|r| r.map(str::to_string).collect()).collect())
    }
}

impl PartialEq for Element<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.components.len() == other.components.len()
            && self
                .components
                .iter()
                .zip(other.components)
                .all(|(a, b)| a.repeats == b.repeats && self.all.str(a.text) == other.all.str(b.text))
    }
}

impl fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.repetitions().map(|r| r.collect::<Vec<_>>()))
            .finish()
    }
}

/// A segment as owned values: for building messages by hand (the printer, tests, generators)
/// and for keeping one beyond its message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentBuf {
    pub tag: String,
    pub elements: Vec<ElementBuf>,
}

/// An element as owned values: its repetitions, each a list of components.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ElementBuf(pub Vec<Vec<String>>);

impl ElementBuf {
    pub fn simple(value: &str) -> Self {
        ElementBuf(vec![vec![value.to_string()]])
    }
}
