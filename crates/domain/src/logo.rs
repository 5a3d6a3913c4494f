//! Brand logos: which images are accepted, and why one is refused. PNG and JPEG are checked
//! by their headers; SVG only if it holds drawing elements and nothing that can run or fetch.

use serde::{Deserialize, Serialize};

/// The largest logo file accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
/// The largest width or height in pixels (PNG, JPEG).
pub const MAX_LOGO_PIXELS: u32 = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogoKind {
    Png,
    Jpeg,
    Svg,
}

impl LogoKind {
    pub fn content_type(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Jpeg => "image/jpeg",
            LogoKind::Svg => "image/svg+xml",
        }
    }

    pub fn from_content_type(s: &str) -> Option<LogoKind> {
        [LogoKind::Png, LogoKind::Jpeg, LogoKind::Svg]
            .into_iter()
            .find(|k| k.content_type() == s)
    }
}

/// A checked logo: its kind and, for raster images, its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLogo {
    pub kind: LogoKind,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// Checks an uploaded file; the error says what to fix.
pub fn check(bytes: &[u8]) -> Result<CheckedLogo, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(format!(
            "the file is {} KB; a logo may be at most {} KB",
            bytes.len().div_ceil(1024),
            MAX_LOGO_BYTES / 1024
        ));
    }
    let (kind, size) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        (LogoKind::Png, Some(png_size(bytes)?))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (LogoKind::Jpeg, Some(jpeg_size(bytes)?))
    } else if looks_like_svg(bytes) {
        check_svg(bytes)?;
        (LogoKind::Svg, None)
    } else {
        return Err("the file is not a PNG, JPEG or SVG image".into());
    };
    if let Some((w, h)) = size {
        if w == 0 || h == 0 {
            return Err("the image has no pixels".into());
        }
        if w > MAX_LOGO_PIXELS || h > MAX_LOGO_PIXELS {
            return Err(format!(
                "the image is {w}×{h} pixels; a logo may be at most {MAX_LOGO_PIXELS}×{MAX_LOGO_PIXELS}"
            ));
        }
    }
    Ok(CheckedLogo {
        kind,
        width: size.map(|s| s.0),
        height: size.map(|s| s.1),
    })
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn png_size(b: &[u8]) -> Result<(u32, u32), String> {
    // Signature (8), IHDR length (4) and type (4), then width and height.
    if b.len() < 24 || &b[12..16] != b"IHDR" {
        return Err("the PNG file is damaged (no IHDR header)".into());
    }
    Ok((be32(&b[16..20]), be32(&b[20..24])))
}

fn jpeg_size(b: &[u8]) -> Result<(u32, u32), String> {
    let damaged = || "the JPEG file is damaged (no frame header)".to_string();
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return Err(damaged());
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            if i + 9 > b.len() {
                return Err(damaged());
            }
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]);
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]);
            return Ok((u32::from(w), u32::from(h)));
        }
        if len < 2 {
            return Err(damaged());
        }
        i += 2 + len;
    }
    Err(damaged())
}

fn looks_like_svg(b: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&b[..b.len().min(1024)]).to_ascii_lowercase();
    head.contains("<svg")
}

/// Elements a logo may use: shapes, text, gradients, groups. Everything else (script,
/// foreignObject, image, a, animation, iframe, ...) is refused.
const SVG_ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "defs",
    "linearGradient",
    "radialGradient",
    "stop",
    "title",
    "desc",
    "clipPath",
    "mask",
    "symbol",
    "use",
    "style",
    "metadata",
];

/// Editors' own metadata (Inkscape, Illustrator, RDF): harmless, skipped with what it holds.
const EDITOR_NAMESPACES: &[&str] = &[
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "http://purl.org/dc/elements/1.1/",
    "http://creativecommons.org/ns#",
    "http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd",
    "http://www.inkscape.org/namespaces/inkscape",
    "http://ns.adobe.com/AdobeIllustrator/10.0/",
];

/// Refuses an SVG holding anything that could run, fetch or hide content: scripts and other
/// active elements, event-handler attributes, processing instructions, entities, links other
/// than to the file's own ids, and CSS that loads or escapes. The file is parsed as XML, so
/// what is checked is what a browser would see.
pub fn check_svg(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the SVG file is not UTF-8 text".to_string())?;
    if text.contains("<!ENTITY") {
        return Err("the SVG declares entities; remove its DOCTYPE".into());
    }
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        nodes_limit: 100_000,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| format!("the SVG is not well-formed XML: {e}"))?;
    if doc.root_element().tag_name().name() != "svg" {
        return Err("the file's root element is not <svg>".into());
    }
    let mut skip_below: Option<roxmltree::NodeId> = None;
    for node in doc.descendants() {
        if let Some(top) = skip_below {
            if node.ancestors().any(|a| a.id() == top) {
                continue;
            }
            skip_below = None;
        }
        if node.is_pi() {
            return Err("the SVG holds a processing instruction (<?...?>); remove it".into());
        }
        if node.is_text() {
            if node.parent().is_some_and(|p| p.tag_name().name() == "style") {
                check_css("<style>", node.text().unwrap_or(""))?;
            }
            continue;
        }
        if !node.is_element() {
            continue;
        }
        let tag = node.tag_name();
        if tag.namespace().is_some_and(|ns| EDITOR_NAMESPACES.contains(&ns)) || tag.name() == "metadata" {
            skip_below = Some(node.id());
            continue;
        }
        let name = tag.name();
        if !SVG_ELEMENTS.contains(&name) || tag.namespace().is_some_and(|ns| ns != "http://www.w3.org/2000/svg") {
            return Err(format!(
                "the SVG uses the element <{name}>, which a logo may not; allowed are shapes, text, gradients and groups"
            ));
        }
        for attr in node.attributes() {
            if attr.namespace().is_some_and(|ns| EDITOR_NAMESPACES.contains(&ns)) {
                continue;
            }
            let (attr_name, value) = (attr.name(), attr.value());
            if attr_name.to_ascii_lowercase().starts_with("on") {
                return Err(format!(
                    "the SVG element <{name}> has the event handler \"{attr_name}\"; remove it"
                ));
            }
            if attr_name == "href" && !value.trim_start().starts_with('#') {
                return Err(format!(
                    "the SVG element <{name}> links to \"{value}\"; a logo may only link inside itself (#id)"
                ));
            }
            check_css(&format!("<{name} {attr_name}>"), value)?;
        }
    }
    Ok(())
}

/// CSS in a logo may refer to the file's own ids (`url(#g)`) and nothing else, and may not use
/// escapes (which could spell anything).
fn check_css(place: &str, css: &str) -> Result<(), String> {
    let lower = css.to_ascii_lowercase();
    if lower.contains('\\') {
        return Err(format!("the SVG's {place} uses a CSS escape (\\); write it plainly"));
    }
    for danger in ["@import", "javascript:", "expression("] {
        if lower.contains(danger) {
            return Err(format!("the SVG's {place} contains \"{danger}\"; remove it"));
        }
    }
    let mut rest = lower.as_str();
    while let Some(at) = rest.find("url(") {
        rest = &rest[at + 4..];
        let target = rest.trim_start().trim_start_matches(['\'', '"']);
        if !target.starts_with('#') {
            return Err(format!(
                "the SVG's {place} loads \"url({}\"; a logo may only refer to its own ids, like url(#gradient)",
                rest.chars().take(40).collect::<String>()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 6, 0, 0, 0]);
        b
    }

    #[test]
    fn png_and_jpeg_sizes_are_read_and_limited() {
        assert_eq!(check(&png(300, 80)).unwrap().width, Some(300));
        assert!(check(&png(3000, 80)).unwrap_err().contains("3000×80 pixels"));
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 50, 0, 120, 3,
        ];
        let c = check(&jpeg).unwrap();
        assert_eq!((c.kind, c.width, c.height), (LogoKind::Jpeg, Some(120), Some(50)));
        assert!(check(b"GIF89a").unwrap_err().contains("not a PNG, JPEG or SVG"));
        assert!(
            check(&vec![0u8; MAX_LOGO_BYTES + 1])
                .unwrap_err()
                .contains("at most 512 KB")
        );
    }

    #[test]
    fn a_plain_svg_is_accepted() {
        let svg = br##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><!-- logo --><defs><linearGradient id="g"><stop offset="0"/></linearGradient></defs><rect width="10" height="10" fill="url(#g)"/><use href="#g"/><text x="1">A</text></svg>"##;
        assert_eq!(check(svg).unwrap().kind, LogoKind::Svg);
        let inkscape = br##"<?xml version="1.0"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"
  xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:version="1.3">
  <sodipodi:namedview id="v" pagecolor="#fff"/><metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
  <g inkscape:label="Layer 1"><circle r="4" style="fill:#4b2a8c"/></g></svg>"##;
        assert_eq!(
            check(inkscape).map(|c| c.kind),
            Ok(LogoKind::Svg),
            "editors' files are fine"
        );
    }

    #[test]
    fn svgs_that_could_run_or_fetch_are_refused_with_the_reason() {
        let cases: [(&[u8], &str); 13] = [
            (br#"<svg><script>alert(1)</script></svg>"#, "<script>"),
            (br#"<svg><rect onload="alert(1)"/></svg>"#, "event handler \"onload\""),
            (br#"<svg><a href="https://evil.example"><rect/></a></svg>"#, "<a>"),
            (
                br#"<svg xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://x/y.svg#a"/></svg>"#,
                "links to",
            ),
            (br#"<svg><foreignObject/></svg>"#, "<foreignObject>"),
            (br#"<!DOCTYPE svg [<!ENTITY x "y">]><svg/>"#, "entities"),
            (br#"<svg data-x=">" onload="alert(1)"><rect/></svg>"#, "event handler"),
            (
                br#"<svg><use x=">" href="https://evil.example/x.svg#a"/></svg>"#,
                "links to",
            ),
            (
                br#"<?xml-stylesheet href="https://evil.example/x.css"?><svg/>"#,
                "processing instruction",
            ),
            (
                br#"<svg><rect fill="url('https://evil.example/p.svg#g')"/></svg>"#,
                "loads",
            ),
            (
                br#"<svg><style>@font-face{src:url("https://evil.example/f")}</style></svg>"#,
                "loads",
            ),
            (br#"<svg><style>@\69mport "x";</style></svg>"#, "CSS escape"),
            (br#"<svg/onload=alert(1)>"#, "not well-formed"),
        ];
        for (svg, why) in cases {
            let e = check(svg).unwrap_err();
            assert!(e.contains(why), "{e} should mention {why}");
        }
    }

    proptest::proptest! {
        /// Any upload gets an answer, never a panic: raw bytes, and bytes behind each format's
        /// signature.
        #[test]
        fn any_file_is_answered_without_panicking(body in proptest::collection::vec(proptest::num::u8::ANY, 0..400), kind in 0..4u8) {
            let mut bytes = match kind {
                0 => b"\x89PNG\r\n\x1a\n".to_vec(),
                1 => vec![0xFF, 0xD8, 0xFF],
                2 => b"<svg ".to_vec(),
                _ => Vec::new(),
            };
            bytes.extend(body);
            let _ = check(&bytes);
        }
    }
}
