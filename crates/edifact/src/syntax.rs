//! The syntax layer's vocabulary: separators (from UNA or the defaults) and character sets
//! named by UNB's syntax identifier. Segments split into elements are in `segments`.

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
