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
/// foreignObject, image, animation, iframe, ...) is refused.
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
    "lineargradient",
    "radialgradient",
    "stop",
    "title",
    "desc",
    "clippath",
    "mask",
    "symbol",
    "use",
    "style",
    "metadata",
];

/// Refuses an SVG holding anything that could run, fetch or hide content: scripts, event
/// handler attributes, links other than to the file's own ids, entities, and CSS imports.
pub fn check_svg(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the SVG file is not UTF-8 text".to_string())?;
    let lower = text.to_ascii_lowercase();
    if lower.contains("<!doctype") || lower.contains("<!entity") {
        return Err("the SVG declares a DOCTYPE or entities; remove them".into());
    }
    for danger in ["javascript:", "@import", "url(http", "url(//", "expression("] {
        if lower.contains(danger) {
            return Err(format!("the SVG contains \"{danger}\"; remove it"));
        }
    }
    let mut rest = lower.as_str();
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with('/') || rest.starts_with('?') || rest.starts_with("!--") {
            continue;
        }
        let end = rest.find('>').ok_or("the SVG ends inside a tag")?;
        let tag = &rest[..end];
        let name: String = tag
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
            .collect();
        let local = name.rsplit(':').next().unwrap_or(&name);
        if !SVG_ELEMENTS.contains(&local) {
            return Err(format!(
                "the SVG uses the element <{name}>, which a logo may not; allowed are shapes, text, gradients and groups"
            ));
        }
        check_attributes(&name, &tag[name.len()..])?;
        rest = &rest[end..];
    }
    Ok(())
}

fn check_attributes(element: &str, attributes: &str) -> Result<(), String> {
    let mut rest = attributes;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq].split_whitespace().last().unwrap_or("").to_string();
        let after = rest[eq + 1..].trim_start();
        let (value, tail) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &after[1..];
                let close = body.find(q).unwrap_or(body.len());
                (&body[..close], &body[(close + 1).min(body.len())..])
            }
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        if name.starts_with("on") {
            return Err(format!(
                "the SVG element <{element}> has the event handler \"{name}\"; remove it"
            ));
        }
        if (name == "href" || name.ends_with(":href")) && !value.trim_start().starts_with('#') {
            return Err(format!(
                "the SVG element <{element}> links to \"{value}\"; a logo may only link inside itself (#id)"
            ));
        }
        rest = tail;
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
    }

    #[test]
    fn svgs_that_could_run_or_fetch_are_refused_with_the_reason() {
        let cases: [(&[u8], &str); 6] = [
            (br#"<svg><script>alert(1)</script></svg>"#, "<script>"),
            (br#"<svg><rect onload="alert(1)"/></svg>"#, "event handler \"onload\""),
            (br#"<svg><a href="https://evil.example"><rect/></a></svg>"#, "<a>"),
            (br#"<svg><use xlink:href="https://x/y.svg#a"/></svg>"#, "links to"),
            (br#"<svg><foreignObject/></svg>"#, "<foreignobject>"),
            (br#"<!DOCTYPE svg [<!ENTITY x "y">]><svg/>"#, "DOCTYPE"),
        ];
        for (svg, why) in cases {
            let e = check(svg).unwrap_err();
            assert!(e.contains(why), "{e} should mention {why}");
        }
    }
}
