//! How an SMS text is encoded and how many segments (billed messages) it takes.
//!
//! GSM 03.38: the default alphabet costs one septet per character, its extension table
//! (`€ ^ { } [ ] ~ \ |` and form feed) two (escape + character). A text of only such characters
//! is GSM-7: one segment holds 160 septets, and in a concatenated message each segment holds
//! 153 (the rest is the header). Any other character makes the whole text UCS-2: 70 UTF-16 units
//! in one segment, 67 per segment when concatenated; a character outside the BMP is two units.
//! Neither an escape pair nor a surrogate pair is ever split across segments.

use serde::Serialize;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SmsEncoding {
    #[serde(rename = "GSM-7")]
    Gsm7,
    #[serde(rename = "UCS-2")]
    Ucs2,
}

impl std::fmt::Display for SmsEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        })
    }
}

/// What a text costs as an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SmsCount {
    pub encoding: SmsEncoding,
    /// Characters as a person counts them (Unicode scalar values).
    pub characters: usize,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Billed messages. An empty text is still one SMS to a carrier, so it counts 1.
    pub segments: usize,
}

/// The GSM 03.38 default alphabet, in code order (0x1B, the escape, is left out).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each costs an escape septet plus its own.
const EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets a character costs in GSM-7, or `None` if GSM-7 cannot carry it.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

const GSM7_SINGLE: usize = 160;
const GSM7_PART: usize = 153;
const UCS2_SINGLE: usize = 70;
const UCS2_PART: usize = 67;

/// Packs per-character costs into segments of `part` units, never splitting a character.
fn segments(costs: impl Iterator<Item = usize>, total: usize, single: usize, part: usize) -> usize {
    if total <= single {
        return 1;
    }
    let (mut segments, mut used) = (1, 0);
    for cost in costs {
        if used + cost > part {
            segments += 1;
            used = 0;
        }
        used += cost;
    }
    segments
}

pub fn count(text: &str) -> SmsCount {
    let characters = text.chars().count();
    let septets: Option<usize> = text.chars().map(gsm7_septets).sum();
    match septets {
        Some(units) => SmsCount {
            encoding: SmsEncoding::Gsm7,
            characters,
            units,
            segments: segments(text.chars().filter_map(gsm7_septets), units, GSM7_SINGLE, GSM7_PART),
        },
        None => {
            let units = text.chars().map(char::len_utf16).sum();
            SmsCount {
                encoding: SmsEncoding::Ucs2,
                characters,
                units,
                segments: segments(text.chars().map(char::len_utf16), units, UCS2_SINGLE, UCS2_PART),
            }
        }
    }
}

/// The characters one segment holds in this encoding when the text is a single SMS.
pub fn single_segment(encoding: SmsEncoding) -> usize {
    match encoding {
        SmsEncoding::Gsm7 => GSM7_SINGLE,
        SmsEncoding::Ucs2 => UCS2_SINGLE,
    }
}

/// The characters of `text` that GSM-7 cannot carry (each once, in order): what makes a text
/// UCS-2, where a segment holds 70 rather than 160.
pub fn not_gsm7(text: &str) -> Vec<char> {
    let mut found = Vec::new();
    for c in text.chars().filter(|c| gsm7_septets(*c).is_none()) {
        if !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

/// Replaces a few common characters that GSM-7 lacks (typographic quotes, dashes, the ellipsis,
/// unusual spaces) with plain ones, so a text that only has those stays GSM-7 and cheap.
pub fn transliterate(text: &str) -> Cow<'_, str> {
    let replacement = |c: char| -> Option<&'static str> {
        Some(match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2039}' | '\u{203A}' | '`' | '´' => {
                "'"
            }
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '«' | '»' => "\"",
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => "-",
            '\u{2026}' => "...",
            '\u{00A0}' | '\u{2002}' | '\u{2003}' | '\u{2009}' | '\u{200A}' | '\u{202F}' | '\t' => " ",
            '\u{2022}' | '\u{00B7}' => "*",
            _ => return None,
        })
    };
    if !text.chars().any(|c| replacement(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match replacement(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The text to send when the tenant allows transliteration: the transliterated text if that
/// makes it GSM-7 without costing more segments, else the original. Replacing `…` by `...`
/// in a text that stays UCS-2 would only make it longer, and a text that just fits one UCS-2
/// segment (70 units) can need two as GSM-7 when many of its characters cost two septets.
pub fn cheapest(text: &str) -> Cow<'_, str> {
    match transliterate(text) {
        Cow::Owned(plain) => {
            let (before, after) = (count(text), count(&plain));
            if after.encoding == SmsEncoding::Gsm7 && after.segments <= before.segments {
                Cow::Owned(plain)
            } else {
                Cow::Borrowed(text)
            }
        }
        Cow::Borrowed(_) => Cow::Borrowed(text),
    }
}

/// The text as it will be sent: `cheapest` when the tenant has transliteration on.
pub fn as_sent(text: &str, transliterate: bool) -> Cow<'_, str> {
    if transliterate {
        cheapest(text)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_alphabet_tables_are_complete() {
        assert_eq!(BASIC.chars().count(), 127, "128 codes less the escape");
        assert_eq!(EXTENSION.chars().count(), 10);
    }

    #[test]
    fn nordic_letters_are_gsm7_and_the_euro_costs_two() {
        let c = count("Hej Åsa! Ditt paket väntar på ICA Nära, Ørsted & Æbleby. Pris 10€");
        assert_eq!(c.encoding, SmsEncoding::Gsm7);
        assert_eq!(c.units, c.characters + 1);
        assert_eq!(count("éÉüÜ").encoding, SmsEncoding::Gsm7);
        assert_eq!(count("{[]}").units, 8);
    }

    #[test]
    fn segment_boundaries() {
        assert_eq!(count("").segments, 1, "an empty text is still one SMS");
        assert_eq!(count(&"a".repeat(160)).segments, 1);
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
        // 152 septets then an escape pair: the pair moves whole to the next segment.
        assert_eq!(count(&format!("{}€{}", "a".repeat(152), "a".repeat(153))).segments, 3);
        assert_eq!(count(&"ж".repeat(70)).segments, 1);
        assert_eq!(count(&"ж".repeat(71)).segments, 2);
        assert_eq!(count(&"ж".repeat(134)).segments, 2);
        assert_eq!(count(&"ж".repeat(135)).segments, 3);
        // 66 units then an emoji (two units): the pair moves whole to the next segment.
        let c = count(&format!("{}😀{}", "ж".repeat(66), "ж".repeat(66)));
        assert_eq!(
            (c.encoding, c.units, c.characters, c.segments),
            (SmsEncoding::Ucs2, 134, 133, 3)
        );
    }

    #[test]
    fn transliteration_keeps_a_text_gsm7() {
        let text = "Ditt paket – “snart” hos dig…";
        assert_eq!(count(text).encoding, SmsEncoding::Ucs2);
        let plain = transliterate(text);
        assert_eq!(plain, "Ditt paket - \"snart\" hos dig...");
        assert_eq!(count(&plain).encoding, SmsEncoding::Gsm7);
        assert!(matches!(transliterate("plain"), Cow::Borrowed(_)));
        assert_eq!(
            cheapest("Snart… 📦"),
            "Snart… 📦",
            "stays UCS-2 anyway: keep the shorter text"
        );
        assert_eq!(cheapest("Snart…"), "Snart...");
    }

    #[test]
    fn transliteration_never_costs_a_segment_more() {
        // 70 UCS-2 units (one segment): 35 ellipses and 35 euro signs. As GSM-7 the ellipses
        // become 105 septets and the euros 70: 175 septets, two segments.
        let text = format!("{}{}", "…".repeat(35), "€".repeat(35));
        assert_eq!((count(&text).encoding, count(&text).segments), (SmsEncoding::Ucs2, 1));
        assert_eq!(count(&transliterate(&text)).segments, 2);
        assert_eq!(cheapest(&text), text, "keeps the one-segment original");
    }
}
