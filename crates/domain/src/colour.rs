//! A brand colour: `#rrggbb`, the only form every mail client renders in inline CSS.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A checked `#rrggbb` colour, kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Colour(String);

/// The colour of a brand that has not chosen one: a calm blue that reads well on white.
pub const DEFAULT_COLOUR: &str = "#1f5f99";

impl Colour {
    /// Parses `#rrggbb` (any case); the error says what to write.
    pub fn parse(s: &str) -> Result<Colour, String> {
        let t = s.trim();
        let ok = t.len() == 7 && t.starts_with('#') && t[1..].chars().all(|c| c.is_ascii_hexdigit());
        if ok {
            Ok(Colour(t.to_ascii_lowercase()))
        } else {
            Err(format!(
                "colour {s:?} must be # and six hexadecimal digits, like #1f5f99"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The red, green and blue channels.
    pub fn rgb(&self) -> [u8; 3] {
        let channel = |i: usize| u8::from_str_radix(&self.0[i..i + 2], 16).unwrap_or(0);
        [channel(1), channel(3), channel(5)]
    }

    /// Black or white, whichever reads better on this colour (WCAG relative luminance).
    pub fn text_on(&self) -> &'static str {
        text_on(self.rgb())
    }
}

/// The WCAG 2 relative luminance of an sRGB colour, 0 (black) to 1 (white).
pub fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
}

/// The WCAG contrast ratio of two colours, 1 to 21.
pub fn contrast(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// `#ffffff` or `#000000`, whichever contrasts more with `rgb`.
pub fn text_on(rgb: [u8; 3]) -> &'static str {
    if contrast(rgb, [255, 255, 255]) >= contrast(rgb, [0, 0, 0]) {
        "#ffffff"
    } else {
        "#000000"
    }
}

impl Default for Colour {
    fn default() -> Self {
        Colour(DEFAULT_COLOUR.into())
    }
}

impl TryFrom<String> for Colour {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Colour::parse(&s)
    }
}

impl From<Colour> for String {
    fn from(c: Colour) -> String {
        c.0
    }
}

impl fmt::Display for Colour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_hex_digits_after_a_hash_are_a_colour() {
        assert_eq!(Colour::parse("#7A2E8E").unwrap().as_str(), "#7a2e8e");
        for bad in [
            "",
            "7a2e8e",
            "#7a2e8",
            "#7a2e8e0",
            "#7a2e8g",
            "red",
            "#fff",
            "#7a2e8e;x",
        ] {
            let why = Colour::parse(bad).unwrap_err();
            assert!(why.contains("six hexadecimal digits"), "{bad}: {why}");
        }
        let json: Result<Colour, _> = serde_json::from_str("\"url(javascript:x)\"");
        assert!(json.is_err());
    }

    #[test]
    fn text_on_a_colour_is_the_one_that_reads() {
        assert_eq!(Colour::parse("#000000").unwrap().text_on(), "#ffffff");
        assert_eq!(Colour::parse("#ffff00").unwrap().text_on(), "#000000");
        assert_eq!(Colour::parse("#7a2e8e").unwrap().text_on(), "#ffffff");
        assert_eq!(Colour::default().text_on(), "#ffffff");
    }
}
