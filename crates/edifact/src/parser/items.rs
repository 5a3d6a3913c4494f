//! What the parser gives out: interchange and group headers, complete messages, ends.

use crate::error::Position;
use crate::segments::Segments;
use crate::syntax::Separators;

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
/// the segment number of `segments.get(i)` is `i + 2`). The segments' values live in one
/// buffer of the message and are read as borrowed views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub interchange: String,
    pub reference: String,
    pub message_type: String,
    pub version: String,
    pub release: String,
    pub agency: String,
    pub association: Option<String>,
    pub segments: Segments,
    /// Byte offset of UNH in the input.
    pub offset: u64,
}

impl Message {
    /// The position of body segment `i`, for error messages.
    pub fn position(&self, i: usize) -> Position {
        let segment = self.segments.get(i);
        Position {
            interchange: Some(self.interchange.clone()),
            message: Some(self.reference.clone()),
            segment: Some(i + 2),
            tag: segment.map(|s| s.tag().to_string()),
            element: None,
            component: None,
            offset: segment.map_or(self.offset, |s| s.offset()),
        }
    }
}

/// Where a message reader took a value from: the body segment (index into
/// [`Message::segments`]), the element and the component (1-based), so a fault in the value is
/// reported at the segment that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub index: usize,
    pub element: usize,
    pub component: Option<usize>,
}

impl Place {
    pub fn new(index: usize, element: usize, component: usize) -> Self {
        Place {
            index,
            element,
            component: Some(component),
        }
    }
}

impl Message {
    /// The position of a value read from the message.
    pub fn position_of(&self, place: Place) -> Position {
        self.position(place.index).at_element(place.element, place.component)
    }

    /// The text of a value read from the message (first repetition).
    pub fn value_at(&self, place: Place) -> Option<&str> {
        self.segments
            .get(place.index)?
            .get(place.element, place.component.unwrap_or(1))
    }

    /// Where a segment the reader needs is missing: the message (at UNH's offset), the tag
    /// and element that should hold the value, and no segment number, as there is none.
    pub fn missing(&self, tag: &str, element: usize) -> Position {
        Position {
            interchange: Some(self.interchange.clone()),
            message: Some(self.reference.clone()),
            segment: None,
            tag: Some(tag.into()),
            element: Some(element),
            component: None,
            offset: self.offset,
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
