//! The syntax layer's vocabulary: separators (from UNA or the defaults), character sets named
//! by UNB's syntax identifier, and a segment split into elements, repetitions and components.

/// The service characters of an interchange. `repetition` is `None` before syntax version 4
/// (UNA's fifth character is then a space, "reserved").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    pub component: u8,
    pub element: u8,
    pub decimal: u8,
    pub release: Option<u8>,
    pub repetition: Option<u8>,
    pub segment: u8,
}

impl Default for Separators {
    /// The defaults of ISO 9735 for UNOA/UNOC: `:+.? '`.
    fn default() -> Self {
        Separators {
            component: b':',
            element: b'+',
            decimal: b'.',
            release: Some(b'?'),
            repetition: None,
            segment: b'\'',
        }
    }
}

impl Separators {
    /// Reads the six characters after `UNA`; `None` when two service characters coincide or one
    /// is a letter or digit (which would make the interchange unreadable).
    pub fn from_una(chars: [u8; 6]) -> Option<Self> {
        let [component, element, decimal, release, repetition, segment] = chars;
        let release = (release != b' ').then_some(release);
        let repetition = (repetition != b' ').then_some(repetition);
        let s = Separators {
            component,
            element,
            decimal,
            release,
            repetition,
            segment,
        };
        let mut used = vec![component, element, segment];
        used.extend(release);
        used.extend(repetition);
        let mut sorted = used.clone();
        sorted.sort_unstable();
        sorted.dedup();
        (sorted.len() == used.len() && !used.iter().any(|b| b.is_ascii_alphanumeric() || *b == b' ')).then_some(s)
    }

    pub fn una(&self) -> [u8; 6] {
        [
            self.component,
            self.element,
            self.decimal,
            self.release.unwrap_or(b' '),
            self.repetition.unwrap_or(b' '),
            self.segment,
        ]
    }

    pub(crate) fn is_service(&self, b: u8) -> bool {
        b == self.component
            || b == self.element
            || b == self.segment
            || Some(b) == self.release
            || Some(b) == self.repetition
    }
}

/// The character set named by UNB's syntax identifier (S001/0001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// UNOA, UNOB (subsets of ASCII) and UNOC (ISO 8859-1): read as Latin-1, so å ä ö æ ø in a
    /// UNOC file survive.
    Latin1,
    /// UNOW and UNOY: UTF-8; invalid UTF-8 is an error at its place.
    Utf8,
}

impl Charset {
    pub fn from_syntax_id(id: &str) -> Option<Self> {
        match id {
            "UNOA" | "UNOB" | "UNOC" => Some(Charset::Latin1),
            "UNOW" | "UNOY" => Some(Charset::Utf8),
            _ => None,
        }
    }

    /// Decodes bytes; on invalid UTF-8 returns the byte index of the first bad byte.
    pub fn decode(self, bytes: &[u8]) -> Result<String, usize> {
        match self {
            Charset::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
            Charset::Utf8 => std::str::from_utf8(bytes)
                .map(str::to_owned)
                .map_err(|e| e.valid_up_to()),
        }
    }

    /// Encodes text; `None` when a character has no byte in the set.
    pub fn encode(self, text: &str) -> Option<Vec<u8>> {
        match self {
            Charset::Latin1 => text.chars().map(|c| u8::try_from(u32::from(c)).ok()).collect(),
            Charset::Utf8 => Some(text.as_bytes().to_vec()),
        }
    }
}

/// The first multi-byte UTF-8 sequence in `bytes` (its start and length): a lead byte C2-F4
/// followed by its continuation bytes 80-BF. Read as Latin-1 such a pair is a capital letter
/// followed by a C1 control or a sign like © or ±, which names and addresses practically never
/// hold, while real Latin-1 letters (Å = C5) are followed by ASCII or other letters. So in a
/// UNOA/UNOB/UNOC interchange it means the sender wrote UTF-8 and declared Latin-1.
pub(crate) fn utf8_sequence(bytes: &[u8]) -> Option<(usize, usize)> {
    (0..bytes.len()).find_map(|i| {
        let len = match bytes[i] {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return None,
        };
        let seq = bytes.get(i..i + len)?;
        std::str::from_utf8(seq).is_ok().then_some((i, len))
    })
}

/// One data element: its repetitions, each a list of components (a simple element is one
/// repetition of one component).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element(pub Vec<Vec<String>>);

impl Element {
    pub fn simple(value: &str) -> Self {
        Element(vec![vec![value.to_string()]])
    }

    /// Component `c` (1-based) of the first repetition; empty counts as absent.
    pub fn component(&self, c: usize) -> Option<&str> {
        self.0
            .first()
            .and_then(|r| r.get(c.checked_sub(1)?))
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// A segment: a tag and its data elements, decoded and with release characters removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub tag: String,
    pub elements: Vec<Element>,
}

impl Segment {
    /// Element `e`, component `c` (both 1-based, first repetition); empty counts as absent.
    pub fn get(&self, e: usize, c: usize) -> Option<&str> {
        self.elements.get(e.checked_sub(1)?)?.component(c)
    }

    pub fn element(&self, e: usize) -> Option<&Element> {
        self.elements.get(e.checked_sub(1)?)
    }

    /// Splits a segment's text (without its terminator) at the separators, honouring the
    /// release character. Returns the 1-based element number of a fault (a dangling release
    /// character at the end) as the error.
    pub(crate) fn split(text: &str, sep: &Separators) -> Result<Segment, usize> {
        let (comp, elem) = (char::from(sep.component), char::from(sep.element));
        let rel = sep.release.map(char::from);
        let rep = sep.repetition.map(char::from);
        let mut elements: Vec<Element> = Vec::new();
        let mut tag = String::new();
        let mut in_tag = true;
        let mut current = Element(vec![vec![String::new()]]);
        let mut chars = text.chars();
        while let Some(ch) = chars.next() {
            if Some(ch) == rel {
                match chars.next() {
                    Some(next) => push_char(&mut current, &mut tag, in_tag, next),
                    None => return Err(elements.len() + 1),
                }
            } else if ch == elem {
                if in_tag {
                    in_tag = false;
                } else {
                    elements.push(std::mem::replace(&mut current, Element(vec![vec![String::new()]])));
                }
            } else if ch == comp && !in_tag {
                if let Some(r) = current.0.last_mut() {
                    r.push(String::new());
                }
            } else if Some(ch) == rep && !in_tag {
                current.0.push(vec![String::new()]);
            } else {
                push_char(&mut current, &mut tag, in_tag, ch);
            }
        }
        if !in_tag {
            elements.push(current);
        }
        Ok(Segment { tag, elements })
    }
}

fn push_char(current: &mut Element, tag: &mut String, in_tag: bool, ch: char) {
    if in_tag {
        tag.push(ch);
    } else if let Some(c) = current.0.last_mut().and_then(|r| r.last_mut()) {
        c.push(ch);
    }
}
