//! Property tests: the segment counter against an independent reference that builds the
//! actual encoded message (septets from the GSM 03.38 code table, UTF-16 units) and cuts it
//! into segments the way a sending SMSC does, backing off rather than splitting an escape or a
//! surrogate pair.

use avisera_domain::sms::{SmsEncoding, cheapest, count, transliterate};
use proptest::prelude::*;

/// GSM 03.38 default alphabet by code (0x00-0x7F); 0x1B is the escape.
const TABLE: [char; 128] = [
    '@', '£', '$', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', '\n', 'Ø', 'ø', '\r', 'Å', 'å', //
    'Δ', '_', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ', '\u{1B}', 'Æ', 'æ', 'ß', 'É', //
    ' ', '!', '"', '#', '¤', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', //
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?', //
    '¡', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 'Ä', 'Ö', 'Ñ', 'Ü', '§', //
    '¿', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'ä', 'ö', 'ñ', 'ü', 'à', //
];

/// Extension table: (code after the escape, character).
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'),
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '€'),
];

const ESC: u8 = 0x1B;

fn septets(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for c in text.chars() {
        if let Some(code) = TABLE.iter().position(|t| *t == c && c != '\u{1B}') {
            out.push(code as u8);
        } else if let Some((code, _)) = EXTENSION.iter().find(|(_, e)| *e == c) {
            out.extend([ESC, *code]);
        } else {
            return None;
        }
    }
    Some(out)
}

/// Cuts `units` into parts of at most `size`, moving the last unit to the next part when
/// `splits_pair` says it starts a pair.
fn cut<T: Copy>(units: &[T], size: usize, splits_pair: impl Fn(T) -> bool) -> Vec<Vec<T>> {
    let mut parts = Vec::new();
    let mut rest = units;
    while !rest.is_empty() {
        let mut take = size.min(rest.len());
        if take < rest.len() && splits_pair(rest[take - 1]) {
            take -= 1;
        }
        parts.push(rest[..take].to_vec());
        rest = &rest[take..];
    }
    parts
}

/// (encoding, units, segments) by building the message.
fn reference(text: &str) -> (SmsEncoding, usize, usize) {
    if let Some(s) = septets(text) {
        // An empty text is still one message to the carrier.
        let segments = match s.len() {
            n if n <= 160 => 1,
            // An escape is never the last septet of a part; a lone escape septet can only come
            // from an escape pair, so `cut`'s look at the last septet is enough.
            _ => cut(&s, 153, |u| u == ESC).len(),
        };
        return (SmsEncoding::Gsm7, s.len(), segments);
    }
    let u: Vec<u16> = text.encode_utf16().collect();
    let segments = match u.len() {
        n if n <= 70 => 1,
        _ => cut(&u, 67, |x| (0xD800..0xDC00).contains(&x)).len(),
    };
    (SmsEncoding::Ucs2, u.len(), segments)
}

fn sms_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::sample::select(TABLE.iter().copied().filter(|c| *c != '\u{1B}').collect::<Vec<_>>()),
        2 => proptest::sample::select(EXTENSION.iter().map(|(_, c)| *c).collect::<Vec<_>>()),
        1 => proptest::sample::select(vec!['ж', '’', '“', '–', '…', 'ł', 'ç', '中']),
        1 => proptest::sample::select(vec!['😀', '📦', '🚚']),
    ]
}

fn gsm_only_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::sample::select(TABLE.iter().copied().filter(|c| *c != '\u{1B}').collect::<Vec<_>>()),
        2 => proptest::sample::select(EXTENSION.iter().map(|(_, c)| *c).collect::<Vec<_>>()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn counts_agree_with_the_reference(chars in proptest::collection::vec(sms_char(), 0..420)) {
        let text: String = chars.into_iter().collect();
        let c = count(&text);
        prop_assert_eq!((c.encoding, c.units, c.segments), reference(&text));
        prop_assert_eq!(c.characters, text.chars().count());
    }

    #[test]
    fn gsm_texts_of_any_length_agree(chars in proptest::collection::vec(gsm_only_char(), 0..700)) {
        let text: String = chars.into_iter().collect();
        let c = count(&text);
        prop_assert_eq!(c.encoding, SmsEncoding::Gsm7);
        prop_assert_eq!((c.encoding, c.units, c.segments), reference(&text));
    }

    #[test]
    fn the_cheapest_form_is_never_dearer(chars in proptest::collection::vec(sms_char(), 0..300)) {
        let text: String = chars.into_iter().collect();
        let chosen = cheapest(&text);
        prop_assert!(count(&chosen).segments <= count(&text).segments);
        if count(&text).encoding == SmsEncoding::Gsm7 {
            let plain = transliterate(&text);
            prop_assert_eq!(plain.as_ref(), text.as_str(), "a GSM-7 text is left alone");
        }
    }

    /// Texts near the one-segment UCS-2 boundary, full of characters that transliterate into
    /// several septets (`…` → `...`) or cost two (`€`): where transliteration could cost more.
    #[test]
    fn transliteration_near_a_segment_boundary_is_never_dearer(
        chars in proptest::collection::vec(proptest::sample::select(vec!['…', '€', '–', 'a', '“']), 40..90)
    ) {
        let text: String = chars.into_iter().collect();
        prop_assert!(count(&cheapest(&text)).segments <= count(&text).segments, "{text}");
    }
}
