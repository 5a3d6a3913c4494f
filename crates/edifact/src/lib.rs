//! UN/EDIFACT for Avisera: the syntax layer (separators, release character, character sets,
//! envelopes and their control counts) as a streaming parser, a printer, and readers that turn
//! IFTMIN and IFTSTA messages into plain data. No I/O; no input makes it panic.
//!
//! Feed bytes as they arrive with [`Parser::push`], take complete items with [`Parser::next`],
//! and call [`Parser::finish`] at the end of input. Memory is bounded by the largest message
//! (at most [`MAX_MESSAGE_BYTES`]), never by the file.
#![forbid(unsafe_code)]

pub mod datetime;
mod error;
pub mod iftmin;
pub mod iftsta;
mod parser;
mod print;
mod segments;
mod syntax;

pub use error::{ErrorKind, ParseError, Position, hex, quoted};
pub use parser::{
    Group, Interchange, InterchangeEnd, Item, MAX_MESSAGE_BYTES, MAX_SEGMENT_BYTES, Message, Parser, Place, parse_all,
};
pub use print::{PrintError, print_interchange};
pub use segments::{Element, ElementBuf, Segment, SegmentBuf, Segments};
pub use syntax::{Charset, Separators};
