//! Writing an interchange: separators from the header (a UNA when they differ from the
//! defaults), service characters in values escaped with the release character, text encoded in
//! the character set the syntax identifier names. Used by the round-trip property tests and by
//! the benchmark's file generator.

use crate::error::quoted;
use crate::parser::{Interchange, Message};
use crate::segments::{ElementBuf, Segment, SegmentBuf, Segments};
use crate::syntax::{Charset, Separators};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error("syntax identifier {} is not UNOA, UNOB, UNOC, UNOW or UNOY", quoted(.0))]
    Charset(String),
    #[error("{} has a character that {} cannot write", quoted(.0), .1)]
    Unwritable(String, String),
    #[error("{} holds a service character and the interchange has no release character", quoted(.0))]
    NoRelease(String),
    #[error("an element repeats but the interchange has no repetition separator")]
    NoRepetition,
}

struct Writer<'a> {
    out: Vec<u8>,
    sep: &'a Separators,
    charset: Charset,
    syntax_id: &'a str,
}

impl Writer<'_> {
    fn value(&mut self, v: &str) -> Result<(), PrintError> {
        let bytes = self
            .charset
            .encode(v)
            .ok_or_else(|| PrintError::Unwritable(v.into(), self.syntax_id.into()))?;
        for b in bytes {
            if self.sep.is_service(b) {
                let r = self.sep.release.ok_or_else(|| PrintError::NoRelease(v.into()))?;
                self.out.push(r);
            }
            self.out.push(b);
        }
        Ok(())
    }

    fn segment(&mut self, s: Segment<'_>) -> Result<(), PrintError> {
        self.value(s.tag())?;
        for e in s.elements() {
            self.out.push(self.sep.element);
            for (i, repetition) in e.repetitions().enumerate() {
                if i > 0 {
                    self.out.push(self.sep.repetition.ok_or(PrintError::NoRepetition)?);
                }
                for (j, c) in repetition.enumerate() {
                    if j > 0 {
                        self.out.push(self.sep.component);
                    }
                    self.value(c)?;
                }
            }
        }
        self.out.push(self.sep.segment);
        Ok(())
    }

    /// A service segment (UNB, UNH, UNT, UNZ): simple elements of components.
    fn service(&mut self, tag: &str, elements: Vec<Vec<&str>>) -> Result<(), PrintError> {
        let mut one = Segments::new();
        one.push(&SegmentBuf {
            tag: tag.into(),
            elements: elements
                .into_iter()
                .map(|e| ElementBuf(vec![e.into_iter().map(str::to_string).collect()]))
                .collect(),
        });
        match one.get(0) {
            Some(s) => self.segment(s),
            None => Ok(()),
        }
    }
}

/// Prints UNA (when the separators are not the defaults), UNB, the messages and UNZ.
pub fn print_interchange(header: &Interchange, messages: &[Message]) -> Result<Vec<u8>, PrintError> {
    let charset =
        Charset::from_syntax_id(&header.syntax_id).ok_or_else(|| PrintError::Charset(header.syntax_id.clone()))?;
    let sep = &header.separators;
    let mut w = Writer {
        out: Vec::new(),
        sep,
        charset,
        syntax_id: &header.syntax_id,
    };
    if *sep != Separators::default() {
        w.out.extend_from_slice(b"UNA");
        w.out.extend_from_slice(&sep.una());
    }
    w.service(
        "UNB",
        vec![
            vec![&header.syntax_id, &header.syntax_version],
            vec![&header.sender],
            vec![&header.recipient],
            vec![&header.date, &header.time],
            vec![&header.control_ref],
        ],
    )?;
    for m in messages {
        let mut id = vec![
            m.message_type.as_str(),
            m.version.as_str(),
            m.release.as_str(),
            m.agency.as_str(),
        ];
        if let Some(a) = &m.association {
            id.push(a);
        }
        w.service("UNH", vec![vec![&m.reference], id])?;
        for s in &m.segments {
            w.segment(s)?;
        }
        let count = (m.segments.len() + 2).to_string();
        w.service("UNT", vec![vec![&count], vec![&m.reference]])?;
    }
    let n = messages.len().to_string();
    w.service("UNZ", vec![vec![&n], vec![&header.control_ref]])?;
    Ok(w.out)
}
