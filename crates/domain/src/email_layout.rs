//! The brand layout every block-written email shares: a header with the brand's logo (or its
//! name) over a line in the brand colour, the content blocks, and a footer with the
//! customer-service contact and the opt-out link. Table-based markup with inline CSS, the
//! kind mail clients render; the portal's preview and the sent email are this same HTML.

use crate::colour::Colour;
use serde::{Deserialize, Serialize};

/// One piece of an email's content. Texts may use the template variables; they are text, not
/// HTML (what they render to is escaped), except in `html`, the escape hatch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    Heading {
        text: String,
    },
    Text {
        text: String,
    },
    Button {
        label: String,
        url: String,
    },
    Image {
        url: String,
        alt: String,
    },
    Divider,
    /// Hand-written HTML (autoescaped variables), placed as it is.
    Html {
        raw: String,
    },
}

/// A block with its variables filled in (texts as they read, `html` as markup).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filled {
    Heading(String),
    Text(String),
    Button { label: String, url: String },
    Image { url: String, alt: String },
    Divider,
    Html(String),
}

/// What the layout shows of the brand and the recipient.
#[derive(Debug, Clone)]
pub struct Frame<'a> {
    pub language: &'a str,
    pub subject: &'a str,
    pub brand_name: &'a str,
    pub colour: Colour,
    /// The logo's address; without one the header shows the brand name.
    pub logo_url: Option<&'a str>,
    pub customer_service_email: Option<&'a str>,
    pub customer_service_phone: Option<&'a str>,
    /// The recipient's opt-out link; none for a transactional template without the footer.
    pub opt_out_link: Option<&'a str>,
}

/// Escapes text for HTML content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether a rendered link may go into an `href` or `src`: only web addresses (and `mailto:`
/// for a button), so no `javascript:` link reaches a receiver.
pub fn web_link(url: &str, mailto: bool) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || (mailto && lower.starts_with("mailto:"))
}

const FONT: &str = "font-family:Arial,Helvetica,sans-serif";

fn text_html(s: &str) -> String {
    escape(s.trim()).replace('\n', "<br>")
}

fn block_html(block: &Filled, colour: &Colour) -> String {
    match block {
        Filled::Heading(text) => format!(
            "<h1 style=\"margin:0 0 16px;{FONT};font-size:24px;line-height:1.3;font-weight:bold;color:#1a1a1a\">{}</h1>\n",
            text_html(text)
        ),
        Filled::Text(text) => format!(
            "<p style=\"margin:0 0 16px;{FONT};font-size:16px;line-height:1.5;color:#1a1a1a\">{}</p>\n",
            text_html(text)
        ),
        Filled::Button { label, url } => format!(
            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"margin:8px 0 24px\"><tr>\
             <td style=\"border-radius:4px;background-color:{colour}\" bgcolor=\"{colour}\">\
             <a href=\"{}\" style=\"display:inline-block;padding:12px 24px;{FONT};font-size:16px;font-weight:bold;color:{};text-decoration:none;border-radius:4px\">{}</a>\
             </td></tr></table>\n",
            escape(url.trim()),
            colour.text_on(),
            escape(label.trim())
        ),
        Filled::Image { url, alt } => format!(
            "<p style=\"margin:0 0 16px\"><img src=\"{}\" alt=\"{}\" style=\"display:block;max-width:100%;height:auto;border:0\"></p>\n",
            escape(url.trim()),
            escape(alt.trim())
        ),
        Filled::Divider => "<hr style=\"border:0;border-top:1px solid #e2e2e8;margin:24px 0\">\n".to_string(),
        Filled::Html(raw) => format!("{raw}\n"),
    }
}

/// "Questions? Contact …" in the receiver's language.
fn questions(language: &str) -> &'static str {
    match language {
        "sv" => "Frågor? Kontakta oss:",
        "no" | "nb" | "nn" => "Spørsmål? Kontakt oss:",
        "da" => "Spørgsmål? Kontakt os:",
        "fi" => "Kysyttävää? Ota yhteyttä:",
        _ => "Questions? Contact us:",
    }
}

/// The whole email: the brand's frame around the blocks.
pub fn layout(frame: &Frame<'_>, blocks: &[Filled]) -> String {
    let colour = &frame.colour;
    let brand = escape(frame.brand_name);
    let header = match frame.logo_url.filter(|u| web_link(u, false)) {
        Some(logo) => format!(
            "<img src=\"{}\" alt=\"{brand}\" height=\"48\" style=\"display:block;height:48px;max-width:240px;width:auto;border:0\">",
            escape(logo)
        ),
        None => format!("<span style=\"{FONT};font-size:20px;font-weight:bold;color:{colour}\">{brand}</span>"),
    };
    let content: String = blocks.iter().map(|b| block_html(b, colour)).collect();
    let link = |href: &str, text: &str| {
        format!(
            "<a href=\"{}\" style=\"color:{colour};text-decoration:underline\">{}</a>",
            escape(href),
            escape(text)
        )
    };
    let mut contacts = Vec::new();
    if let Some(email) = frame.customer_service_email.filter(|e| !e.is_empty()) {
        contacts.push(link(&format!("mailto:{email}"), email));
    }
    if let Some(phone) = frame.customer_service_phone.filter(|p| !p.is_empty()) {
        contacts.push(link(&format!("tel:{}", phone.replace(' ', "")), phone));
    }
    let mut footer = String::new();
    footer.push_str(&format!(
        "<p style=\"margin:0 0 8px;{FONT};font-size:13px;line-height:1.5;color:#55555f\"><strong>{brand}</strong>"
    ));
    if !contacts.is_empty() {
        footer.push_str(&format!(
            " · {} {}",
            escape(questions(frame.language)),
            contacts.join(" · ")
        ));
    }
    footer.push_str("</p>\n");
    if let Some(opt_out) = frame.opt_out_link {
        footer.push_str(&format!(
            "<p class=\"opt-out\" style=\"margin:0;{FONT};font-size:12px;line-height:1.5;color:#55555f\">{} {}</p>\n",
            escape(&crate::receiver::opt_out_footer(frame.language, frame.brand_name)),
            link(opt_out, opt_out)
        ));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title></head>\n\
         <body style=\"margin:0;padding:0;background-color:#f3f3f6\">\n\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"background-color:#f3f3f6\" bgcolor=\"#f3f3f6\"><tr><td align=\"center\" style=\"padding:24px 12px\">\n\
         <table role=\"presentation\" width=\"600\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" style=\"width:100%;max-width:600px;background-color:#ffffff;border-top:4px solid {colour}\" bgcolor=\"#ffffff\">\n\
         <tr><td class=\"brand-header\" style=\"padding:24px 32px 16px\">{header}</td></tr>\n\
         <tr><td class=\"content\" style=\"padding:8px 32px 16px\">\n{content}</td></tr>\n\
         <tr><td class=\"brand-footer\" style=\"padding:16px 32px 24px;background-color:#fafafc;border-top:1px solid #e2e2e8\">\n{footer}</td></tr>\n\
         </table>\n</td></tr></table>\n</body></html>\n",
        lang = escape(frame.language),
        title = escape(frame.subject),
    )
}

/// The plain-text part for block-written content: what each block says, in order.
pub fn plain_text(blocks: &[Filled]) -> String {
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Filled::Heading(t) | Filled::Text(t) => {
                if !t.trim().is_empty() {
                    out.push(t.trim().to_string());
                }
            }
            Filled::Button { label, url } => out.push(format!("{}: {}", label.trim(), url.trim())),
            Filled::Image { alt, .. } => {
                if !alt.trim().is_empty() {
                    out.push(format!("[{}]", alt.trim()));
                }
            }
            Filled::Divider => out.push("----".into()),
            Filled::Html(raw) => {
                let text = strip_tags(raw);
                if !text.trim().is_empty() {
                    out.push(text.trim().to_string());
                }
            }
        }
    }
    out.join("\n\n")
}

/// Hand-written HTML as text: tags dropped, the common entities read back.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TemplateId;
    use crate::notification::Channel;
    use crate::template::{Template, TemplateBody, sample_variables};
    use std::collections::BTreeMap;

    fn email(blocks: Vec<Block>, footer: bool) -> Template {
        Template {
            id: TemplateId(1),
            name: "e".into(),
            channel: Channel::Email,
            default_language: "sv".into(),
            contents: BTreeMap::from([(
                "sv".into(),
                TemplateBody {
                    subject: Some("Ditt paket {{ tracking_number }}".into()),
                    blocks: Some(blocks),
                    ..Default::default()
                },
            )]),
            opt_out_footer: footer,
        }
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    #[test]
    fn the_layout_carries_logo_colour_customer_service_and_the_opt_out_link() {
        let mut vars = sample_variables();
        vars.insert("brand_colour", "#7A2E8E".into());
        let t = email(
            vec![
                Block::Heading {
                    text: "Hej {{ receiver_name }}".into(),
                },
                Block::Text {
                    text: "Paketet väntar.\nHämta det snart.".into(),
                },
                Block::Button {
                    label: "Följ paketet".into(),
                    url: "{{ tracking_link }}".into(),
                },
                Block::Divider,
                Block::Image {
                    url: "https://cdn.example.com/banner.png".into(),
                    alt: "Rea".into(),
                },
            ],
            true,
        );
        let r = t.render(None, &vars).unwrap();
        let html = r.html.unwrap();
        assert!(
            html.contains("<img src=\"https://track.example.com/l/1/1\" alt=\"Demo Webshop\""),
            "{html}"
        );
        assert!(html.contains("border-top:4px solid #7a2e8e"), "{html}");
        assert!(
            html.contains("background-color:#7a2e8e"),
            "the button is in the brand colour: {html}"
        );
        assert!(html.contains("<a href=\"mailto:kundtjanst@example.com\""), "{html}");
        assert!(html.contains(">+46812345678</a>"), "{html}");
        assert_eq!(
            count(&html, "https://track.example.com/u/abc"),
            2,
            "href and text, once: {html}"
        );
        assert!(
            html.contains("Vill du inte få fler meddelanden från Demo Webshop?"),
            "{html}"
        );
        assert!(html.contains(">Hej Anna Andersson</h1>"), "{html}");
        assert!(html.contains("Paketet väntar.<br>Hämta det snart."), "{html}");
        assert!(
            html.contains("<a href=\"https://track.example.com/s/1/1234567/2ofl8k3jx0qpa\""),
            "{html}"
        );
        assert!(html.contains("<hr "), "{html}");
        assert!(
            html.contains("src=\"https://cdn.example.com/banner.png\" alt=\"Rea\""),
            "{html}"
        );
        assert!(html.contains("<html lang=\"sv\">") && html.contains("<title>Ditt paket 00370712345678901234</title>"));
        // The plain part says the same, without markup.
        assert!(
            r.text.starts_with("Hej Anna Andersson\n\nPaketet väntar."),
            "{}",
            r.text
        );
        assert!(
            r.text
                .contains("Följ paketet: https://track.example.com/s/1/1234567/2ofl8k3jx0qpa")
        );
        // Without a logo the header names the brand; without the footer no opt-out link.
        vars.insert("logo_url", String::new());
        let html = email(vec![Block::Text { text: "x".into() }], false)
            .render(None, &vars)
            .unwrap()
            .html
            .unwrap();
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains(">Demo Webshop</span>"), "{html}");
        assert!(!html.contains("track.example.com/u/abc"), "{html}");
    }

    #[test]
    fn block_texts_are_escaped_and_html_blocks_are_not() {
        let mut vars = sample_variables();
        vars.insert("receiver_name", "<script>alert(1)</script>".into());
        vars.insert("brand_name", "Bo & \"Co\"".into());
        let t = email(
            vec![
                Block::Heading {
                    text: "<b>Hej</b> {{ receiver_name }}".into(),
                },
                Block::Html {
                    raw: "<p class=\"own\"><em>Egen</em> {{ receiver_name }}</p>".into(),
                },
            ],
            true,
        );
        let html = t.render(None, &vars).unwrap().html.unwrap();
        assert!(
            html.contains("&lt;b&gt;Hej&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</h1>"),
            "{html}"
        );
        assert!(
            html.contains("<p class=\"own\"><em>Egen</em> &lt;script&gt;alert(1)&lt;&#x2f;script&gt;</p>"),
            "the escape hatch keeps its markup and still escapes variables: {html}"
        );
        assert!(html.contains("alt=\"Bo &amp; &quot;Co&quot;\""), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn a_link_that_is_no_web_address_is_refused_naming_the_block() {
        let t = email(
            vec![
                Block::Text { text: "x".into() },
                Block::Button {
                    label: "Klicka".into(),
                    url: "javascript:alert(1)".into(),
                },
            ],
            true,
        );
        let err = t.check().unwrap_err();
        assert_eq!(err.part.as_deref(), Some("block 2 (button link)"), "{err}");
        assert!(err.message.contains("https://"), "{err}");
        let bad_colour: Result<crate::tenant::Brand, _> = serde_json::from_value(serde_json::json!({
            "brand_name": "B", "sms_sender_id": "B", "email_from_name": "B", "email_from_address": null,
            "reply_to": null, "customer_service_email": null, "customer_service_phone": null,
            "default_language": "sv", "colour": "purple"}));
        assert!(bad_colour.unwrap_err().to_string().contains("six hexadecimal digits"));
    }

    #[test]
    fn an_unknown_variable_in_a_block_is_named() {
        let err = email(
            vec![Block::Text {
                text: "Hej {{ reciever_name }}".into(),
            }],
            true,
        )
        .check()
        .unwrap_err();
        assert_eq!(err.variable.as_deref(), Some("reciever_name"), "{err}");
        assert_eq!(err.part.as_deref(), Some("block 1 (text)"), "{err}");
    }
}
