//! The tracking page's colours from the brand: its accent colour, and text colours chosen by
//! contrast (WCAG 2) so any accent stays readable.

use avisera_domain::colour::contrast;
use avisera_domain::colour::text_on;
use avisera_domain::tenant::Brand;

/// The accent for a colour that does not read as one (never from a stored brand: its colour is
/// checked when set).
const DEFAULT_ACCENT: &str = "#1f4e79";
const DARK_TEXT: &str = "#1d2330";
const WHITE: &str = "#ffffff";

/// The page's accent colour: the brand's own colour (set on the portal's brand page).
pub fn accent_colour(brand: &Brand) -> String {
    brand.colour.as_str().to_string()
}

/// `#rrggbb` (or `#rgb`) as its three channels; None for anything else, so nothing but a
/// colour ever reaches the page's style sheet.
pub fn parse_hex(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.strip_prefix('#')?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |s: &str| u8::from_str_radix(s, 16).ok();
    match hex.len() {
        6 => Some([channel(&hex[0..2])?, channel(&hex[2..4])?, channel(&hex[4..6])?]),
        3 => {
            let short = |i: usize| channel(&hex[i..i + 1]).map(|v| v * 17);
            Some([short(0)?, short(1)?, short(2)?])
        }
        _ => None,
    }
}

/// The colours the page's style sheet gets as custom properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Palette {
    /// The header's and the progress line's colour.
    pub accent: String,
    /// Text on the accent: white or black, whichever reads better.
    pub on_accent: String,
    /// Links and marks on the white page: the accent when it reads well there, else dark text.
    pub accent_text: String,
}

pub fn palette(accent: &str) -> Palette {
    let rgb = parse_hex(accent).unwrap_or_else(|| parse_hex(DEFAULT_ACCENT).expect("a colour"));
    let white = parse_hex(WHITE).expect("a colour");
    // White or black on the accent: with one of them any accent reads at 4.5:1 or more.
    let on_accent = text_on(rgb);
    let hex = format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
    let accent_text = if contrast(rgb, white) >= 4.5 {
        hex.clone()
    } else {
        DARK_TEXT.to_string()
    };
    Palette {
        accent: hex,
        on_accent: on_accent.to_string(),
        accent_text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Black, not the dark text colour, on a light accent (`domain::colour::text_on`): with
    /// white it gives at least 4.5:1 on any accent.
    const BLACK: &str = "#000000";

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(parse_hex("#1f4e79"), Some([0x1f, 0x4e, 0x79]));
        assert_eq!(parse_hex("#FFF"), Some([255, 255, 255]));
        for bad in ["1f4e79", "#1f4e7", "#1f4e79;}body{", "red", "#ggg", "", "#"] {
            assert_eq!(parse_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_on_the_accent_is_whichever_of_white_and_black_reads_better() {
        assert_eq!(palette("#1f4e79").on_accent, WHITE);
        assert_eq!(palette("#ffd500").on_accent, BLACK);
        // A light accent is no colour for links on white.
        assert_eq!(palette("#ffd500").accent_text, DARK_TEXT);
        assert_eq!(palette("#1f4e79").accent_text, "#1f4e79");
        // Something that is no colour falls back to the default, never into the style sheet.
        assert_eq!(palette("red;}").accent, DEFAULT_ACCENT);
        assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
    }

    #[test]
    fn every_accent_gets_readable_text() {
        for r in (0..=255u8).step_by(17) {
            for g in (0..=255u8).step_by(17) {
                for b in (0..=255u8).step_by(51) {
                    let accent = format!("#{r:02x}{g:02x}{b:02x}");
                    let p = palette(&accent);
                    let on = contrast(parse_hex(&p.accent).unwrap(), parse_hex(&p.on_accent).unwrap());
                    let text = contrast(parse_hex(&p.accent_text).unwrap(), [255, 255, 255]);
                    assert!(on >= 4.5 && text >= 4.5, "{accent}: {p:?}");
                }
            }
        }
    }
}
