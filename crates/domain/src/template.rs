//! Tenant templates: SMS and email texts with variables, in several languages. Templates are
//! strict: a syntax error or an unknown variable is refused when the template is saved, naming
//! the language, part, line and variable; HTML is autoescaped.

use crate::colour::Colour;
use crate::email_layout::{self, Block, Filled, Frame};
use crate::ids::TemplateId;
use crate::limits::{MAX_RENDERED_PART_BYTES, MessageLimits};
use crate::notification::Channel;
use minijinja::{Environment, ErrorKind, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

/// Every variable a template may use, with what it holds.
/// The languages the portal offers for templates and brands (ISO 639-1; Norwegian Bokmål is
/// `nb`). Templates may hold others; these are the ones with ready-made texts.
pub const LANGUAGES: &[&str] = &["sv", "nb", "da", "fi", "en"];

pub const VARIABLES: &[(&str, &str)] = &[
    ("receiver_name", "the receiver's name"),
    ("tracking_number", "the shipment's tracking number"),
    ("tracking_link", "a link to the shipment's tracking page"),
    ("pickup_point_name", "the pickup point's name"),
    ("pickup_point_address", "the pickup point's address"),
    (
        "pickup_point_opening_hours",
        "the pickup point's opening hours, as the carrier gives them (Mo-Fr 09:00-20:00; Sa 10:00-16:00)",
    ),
    (
        "pickup_point_open_today",
        "the pickup point's opening times on the day the message is sent, like 09:00-20:00 (empty when it is closed that day or its hours are unknown)",
    ),
    (
        "storage_deadline",
        "the last day to pick up the parcel (YYYY-MM-DD, receiver's time)",
    ),
    ("days_left", "days left before the parcel goes back"),
    ("order_reference", "the order number"),
    ("carrier", "the carrier's name"),
    ("expected_delivery_date", "the expected delivery date"),
    ("brand_name", "the shipper's brand name"),
    ("customer_service_email", "the shipper's customer-service email"),
    ("customer_service_phone", "the shipper's customer-service phone"),
    (
        "unsubscribe_link",
        "a link that stops further messages to this receiver",
    ),
    (
        "preferences_link",
        "a link where the receiver chooses SMS, email or both, and the language",
    ),
    (
        "rating_link",
        "a link where the receiver rates the delivery with 1 to 5 stars (empty in messages to others than the shipment's receiver)",
    ),
    ("event_location", "where the event happened"),
    ("event_time", "when the event happened (receiver's local time)"),
    ("campaign", "the rule's campaign text or discount code"),
    (
        "logo_url",
        "the address of the brand's logo image (empty without a logo)",
    ),
    ("brand_colour", "the brand's colour, like #1f5f99"),
];

/// Values for every variable; absent facts are empty strings, so `{% if pickup_point_name %}`
/// works and a missing fact never fails a message.
pub type Variables = BTreeMap<&'static str, String>;

pub fn empty_variables() -> Variables {
    VARIABLES.iter().map(|(name, _)| (*name, String::new())).collect()
}

/// Variables filled with believable values, used to check templates at save time.
pub fn sample_variables() -> Variables {
    let mut v = empty_variables();
    for (k, val) in [
        ("receiver_name", "Anna Andersson"),
        ("tracking_number", "00370712345678901234"),
        ("tracking_link", "https://track.example.com/s/1/1234567/2ofl8k3jx0qpa"),
        ("pickup_point_name", "ICA Nära Rosendal"),
        ("pickup_point_address", "Rosendalsvägen 1, 114 31 Stockholm"),
        (
            "pickup_point_opening_hours",
            "Mo-Fr 09:00-20:00; Sa 10:00-16:00; PH off",
        ),
        ("pickup_point_open_today", "09:00-20:00"),
        ("storage_deadline", "2026-12-04"),
        ("days_left", "2"),
        ("order_reference", "ORD-1042"),
        ("carrier", "PostNord"),
        ("expected_delivery_date", "2026-11-27"),
        ("brand_name", "Demo Webshop"),
        ("customer_service_email", "kundtjanst@example.com"),
        ("customer_service_phone", "+46812345678"),
        ("unsubscribe_link", "https://track.example.com/u/abc"),
        ("preferences_link", "https://track.example.com/p/abc"),
        ("rating_link", "https://track.example.com/r/0k3jx0qpa2ofl8k3jx0/1234567"),
        ("event_location", "Stockholm"),
        ("event_time", "2026-11-25 14:05"),
        ("campaign", "BLACKWEEK10"),
        ("logo_url", "https://track.example.com/l/1/1"),
        ("brand_colour", crate::colour::DEFAULT_COLOUR),
    ] {
        v.insert(k, val.to_string());
    }
    v
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub channel: Channel,
    pub default_language: String,
    pub contents: BTreeMap<String, TemplateBody>,
    /// An email without the opt-out link in its text gets a small opt-out footer (issue 15);
    /// a tenant switches it off for transactional-only templates. On unless said otherwise.
    #[serde(default = "footer_by_default")]
    pub opt_out_footer: bool,
}

fn footer_by_default() -> bool {
    true
}

/// One language's text. SMS uses `text`; email uses `subject`, `text` and either `blocks`
/// (content in the brand layout, `email_layout`) or `html` (hand-written, as it is).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TemplateBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The email's content as blocks in the brand layout; the plain text is made from them
    /// when `text` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<Block>>,
    #[serde(default)]
    pub text: String,
}

/// The most blocks one email may have.
pub const MAX_BLOCKS: usize = 100;

/// A rendered message body in one language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    pub language: String,
    pub subject: Option<String>,
    pub html: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", self.describe())]
pub struct TemplateError {
    pub language: Option<String>,
    pub part: Option<String>,
    pub line: Option<usize>,
    pub variable: Option<String>,
    pub message: String,
}

impl TemplateError {
    fn plain(message: impl Into<String>) -> Self {
        TemplateError {
            language: None,
            part: None,
            line: None,
            variable: None,
            message: message.into(),
        }
    }

    fn describe(&self) -> String {
        let mut s = String::new();
        if let Some(l) = &self.language {
            s.push_str(&format!("language {l}, "));
        }
        if let Some(p) = &self.part {
            s.push_str(&format!("{p}, "));
        }
        if let Some(n) = self.line {
            s.push_str(&format!("line {n}: "));
        }
        s.push_str(&self.message);
        s
    }
}

const MAX_SMS_TEXT: usize = 2_000;
const MAX_PART: usize = 200_000;
const FUEL: u64 = 100_000;

fn environment<'s>() -> Environment<'s> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.add_filter("default", default_when_missing);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            minijinja::AutoEscape::Html
        } else {
            minijinja::AutoEscape::None
        }
    });
    env
}

/// `default` as a shipper means it: a fact a shipment lacks is an empty string here, never
/// undefined, so minijinja's own `default` (undefined only, unless told `true`) would never
/// apply. `{{ carrier|default("budet") }}` gives "budet" for an empty, missing or none value;
/// a second argument is accepted as minijinja's (`true` also replaces other false values).
fn default_when_missing(
    value: minijinja::Value,
    other: Option<minijinja::Value>,
    lax: Option<bool>,
) -> minijinja::Value {
    let missing = value.is_undefined()
        || value.is_none()
        || value.as_str().is_some_and(|s| s.trim().is_empty())
        || (lax == Some(true) && !value.is_true());
    if missing {
        other.unwrap_or_else(|| minijinja::Value::from(""))
    } else {
        value
    }
}

fn line_of(source: &str, variable: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| {
            l.match_indices(variable).any(|(i, _)| {
                let before = l[..i].chars().next_back();
                let after = l[i + variable.len()..].chars().next();
                let ident = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !ident(before) && !ident(after)
            })
        })
        .map(|i| i + 1)
}

/// Collects a render and stops it at `MAX_RENDERED_PART_BYTES`, so a short template cannot
/// make a huge string (`{{ range(100000)|join(',') }}` is 30 bytes and renders 588,889).
#[derive(Default)]
struct Bounded {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_RENDERED_PART_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("the rendered text is too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A part compiled once: its environment (holding the template under its part name) and the
/// first variable it uses that no template may use, if any.
struct Compiled {
    env: Environment<'static>,
    unknown: Option<String>,
}

/// Compiled parts by (part name, source). A busy rule renders the same text for every event, and
/// compiling it each time cost most of a render; keyed by the source itself, so an edited
/// template is simply another entry. Bounded by the sources' total size: emptied when full.
/// (A memo, not state: what a render returns never depends on it.)
static COMPILED: LazyLock<Mutex<CompiledParts>> = LazyLock::new(Mutex::default);
const COMPILED_MAX_BYTES: usize = 32 * 1024 * 1024;

#[derive(Default)]
struct CompiledParts {
    parts: HashMap<(String, String), Arc<Compiled>>,
    bytes: usize,
}

fn compiled(name: &str, source: &str) -> Result<Arc<Compiled>, minijinja::Error> {
    let key = (name.to_string(), source.to_string());
    if let Some(found) = COMPILED.lock().unwrap_or_else(|e| e.into_inner()).parts.get(&key) {
        return Ok(found.clone());
    }
    let mut env = environment();
    env.add_template_owned(key.0.clone(), key.1.clone())?;
    let unknown = {
        let template = env.get_template(name)?;
        let globals: Vec<&str> = env.globals().map(|(name, _)| name).collect();
        let mut unknown: Vec<String> = template
            .undeclared_variables(false)
            .into_iter()
            .filter(|v| !VARIABLES.iter().any(|(known, _)| known == v) && !globals.contains(&v.as_str()))
            .collect();
        unknown.sort();
        unknown.into_iter().next()
    };
    let compiled = Arc::new(Compiled { env, unknown });
    let mut cache = COMPILED.lock().unwrap_or_else(|e| e.into_inner());
    let size = key.0.len() + key.1.len();
    if cache.bytes + size > COMPILED_MAX_BYTES {
        cache.parts.clear();
        cache.bytes = 0;
    }
    if cache.parts.insert(key, compiled.clone()).is_none() {
        cache.bytes += size;
    }
    Ok(compiled)
}

/// Renders one part; `name` ends in `.html` for autoescaped parts.
fn render_part(name: &str, source: &str, vars: &Variables) -> Result<String, TemplateError> {
    let at = |line: Option<usize>, variable: Option<String>, message: String| TemplateError {
        language: None,
        part: Some(name.trim_end_matches(".html").trim_end_matches(".txt").to_string()),
        line,
        variable,
        message,
    };
    let syntax = |e: minijinja::Error| {
        at(
            e.line(),
            None,
            format!("syntax error: {}", e.detail().unwrap_or("cannot parse")),
        )
    };
    let compiled = compiled(name, source).map_err(syntax)?;
    if let Some(v) = &compiled.unknown {
        let known: Vec<&str> = VARIABLES.iter().map(|(n, _)| *n).collect();
        return Err(at(
            line_of(source, v),
            Some(v.clone()),
            format!("unknown variable `{v}`; the variables are {}", known.join(", ")),
        ));
    }
    let template = compiled.env.get_template(name).map_err(syntax)?;
    let mut out = Bounded::default();
    let rendered = template.render_captured_to(vars, &mut out);
    if out.overflowed {
        return Err(at(
            None,
            None,
            format!(
                "renders more than {} KiB; a message is far smaller (a loop or a repeated value?)",
                MAX_RENDERED_PART_BYTES / 1024
            ),
        ));
    }
    rendered
        .map(|_| String::from_utf8_lossy(&out.bytes).into_owned())
        .map_err(|e| {
            let message = match e.kind() {
                ErrorKind::UndefinedError => format!(
                    "undefined value: {}",
                    e.detail().unwrap_or("a name or attribute that does not exist")
                ),
                ErrorKind::OutOfFuel => "the template does too much work (a loop that runs too long?)".to_string(),
                _ => e.detail().map(str::to_string).unwrap_or_else(|| e.to_string()),
            };
            at(e.line(), None, message)
        })
}

impl Template {
    /// Checks every language and part by rendering it against a sample shipment, within the
    /// default message limits.
    pub fn check(&self) -> Result<(), TemplateError> {
        self.check_within(&MessageLimits::default())
    }

    /// Checks every language and part by rendering it against a sample shipment: it must
    /// render, show something, and fit the tenant's limits (SMS segments, email size).
    pub fn check_within(&self, limits: &MessageLimits) -> Result<(), TemplateError> {
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(TemplateError::plain("name must be 1 to 200 characters"));
        }
        if self.contents.is_empty() {
            return Err(TemplateError::plain("a template needs at least one language"));
        }
        if !self.contents.contains_key(&self.default_language) {
            return Err(TemplateError::plain(format!(
                "default_language {:?} has no text; add it to contents or pick one of {:?}",
                self.default_language,
                self.contents.keys().collect::<Vec<_>>()
            )));
        }
        for (language, body) in &self.contents {
            let in_language = |mut e: TemplateError| {
                e.language = Some(language.clone());
                e
            };
            match self.channel {
                Channel::Sms => {
                    if body.text.trim().is_empty() {
                        return Err(in_language(TemplateError::plain("an SMS template needs a text")));
                    }
                    if body.text.len() > MAX_SMS_TEXT {
                        return Err(in_language(TemplateError::plain(format!(
                            "the SMS text is longer than {MAX_SMS_TEXT} bytes"
                        ))));
                    }
                    if body.subject.is_some() || body.html.is_some() || body.blocks.is_some() {
                        return Err(in_language(TemplateError::plain(
                            "an SMS template has only a text, no subject, html or blocks",
                        )));
                    }
                }
                Channel::Email => {
                    if body.subject.as_deref().is_none_or(|s| s.trim().is_empty()) {
                        return Err(in_language(TemplateError::plain("an email template needs a subject")));
                    }
                    let no_blocks = body.blocks.as_ref().is_none_or(Vec::is_empty);
                    if body.text.trim().is_empty()
                        && body.html.as_deref().is_none_or(|h| h.trim().is_empty())
                        && no_blocks
                    {
                        return Err(in_language(TemplateError::plain(
                            "an email template needs a text, an html part or content blocks",
                        )));
                    }
                    if body.blocks.is_some() && body.html.is_some() {
                        return Err(in_language(TemplateError::plain(
                            "an email is written either in blocks or in html, not both: remove one",
                        )));
                    }
                    if body.blocks.as_ref().is_some_and(|b| b.len() > MAX_BLOCKS) {
                        return Err(in_language(TemplateError::plain(format!(
                            "an email may have at most {MAX_BLOCKS} blocks"
                        ))));
                    }
                }
            }
            let block_texts = body.blocks.iter().flatten().flat_map(|b| match b {
                Block::Heading { text } | Block::Text { text } => vec![text.as_str()],
                Block::Button { label, url } => vec![label.as_str(), url.as_str()],
                Block::Image { url, alt } => vec![url.as_str(), alt.as_str()],
                Block::Divider => vec![],
                Block::Html { raw } => vec![raw.as_str()],
            });
            for part in [body.subject.as_deref(), body.html.as_deref(), Some(body.text.as_str())]
                .into_iter()
                .flatten()
                .chain(block_texts)
            {
                if part.len() > MAX_PART {
                    return Err(in_language(TemplateError::plain(format!(
                        "a part is longer than {MAX_PART} bytes"
                    ))));
                }
            }
            let sample = self
                .render_body(body, language, &sample_variables())
                .map_err(in_language)?;
            let fits = match self.channel {
                Channel::Sms => limits.check_sms(&sample.text),
                Channel::Email => limits.check_email(
                    sample.subject.as_deref().unwrap_or(""),
                    sample.html.as_deref(),
                    &sample.text,
                ),
            };
            fits.map_err(|why| in_language(TemplateError::plain(format!("for the sample shipment {why}"))))?;
        }
        Ok(())
    }

    /// The language to use for a receiver: theirs if written, else the default.
    pub fn pick_language(&self, wanted: Option<&str>) -> &str {
        wanted
            .and_then(|w| self.contents.get_key_value(w))
            .map(|(k, _)| k.as_str())
            .unwrap_or(&self.default_language)
    }

    pub fn render(&self, wanted_language: Option<&str>, vars: &Variables) -> Result<Rendered, TemplateError> {
        let language = self.pick_language(wanted_language).to_string();
        let body = self
            .contents
            .get(&language)
            .ok_or_else(|| TemplateError::plain(format!("template has no text in {language}")))?;
        let mut rendered = self.render_body(body, &language, vars)?;
        rendered.language = language;
        Ok(rendered)
    }

    fn render_body(&self, body: &TemplateBody, language: &str, vars: &Variables) -> Result<Rendered, TemplateError> {
        let subject = body
            .subject
            .as_deref()
            .map(|s| render_part("subject.txt", s, vars))
            .transpose()?;
        let subject = subject.map(|s| s.trim().to_string());
        let text = render_part("text.txt", &body.text, vars)?;
        let Some(blocks) = &body.blocks else {
            let html = body
                .html
                .as_deref()
                .map(|s| render_part("html.html", s, vars))
                .transpose()?;
            return Ok(Rendered {
                language: String::new(),
                subject,
                html,
                text,
            });
        };
        let filled = fill_blocks(blocks, vars)?;
        let var = |name: &str| vars.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let frame = Frame {
            language,
            subject: subject.as_deref().unwrap_or(""),
            brand_name: var("brand_name").unwrap_or(""),
            colour: var("brand_colour")
                .and_then(|c| Colour::parse(c).ok())
                .unwrap_or_default(),
            logo_url: var("logo_url"),
            customer_service_email: var("customer_service_email"),
            customer_service_phone: var("customer_service_phone"),
            opt_out_link: var("unsubscribe_link").filter(|_| self.opt_out_footer),
        };
        let html = email_layout::layout(&frame, &filled);
        let text = if text.trim().is_empty() {
            email_layout::plain_text(&filled)
        } else {
            text
        };
        Ok(Rendered {
            language: String::new(),
            subject,
            html: Some(html),
            text,
        })
    }
}

/// Fills each block's variables; texts stay text (the layout escapes them), `html` blocks are
/// autoescaped like an html part. A link that is not a web address is refused, naming the block.
fn fill_blocks(blocks: &[Block], vars: &Variables) -> Result<Vec<Filled>, TemplateError> {
    let mut out = Vec::with_capacity(blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let n = i + 1;
        let text = |what: &str, source: &str| render_part(&format!("block {n} ({what}).txt"), source, vars);
        let link = |what: &str, source: &str, mailto: bool| {
            let url = text(what, source)?;
            if url.trim().is_empty() || email_layout::web_link(&url, mailto) {
                Ok(url.trim().to_string())
            } else {
                Err(TemplateError {
                    part: Some(format!("block {n} ({what})")),
                    ..TemplateError::plain(format!(
                        "the link {url:?} must be a web address starting with https:// (or a variable like {{{{ tracking_link }}}})"
                    ))
                })
            }
        };
        let filled = match block {
            Block::Heading { text: t } => Filled::Heading(text("heading", t)?),
            Block::Text { text: t } => Filled::Text(text("text", t)?),
            Block::Button { label, url } => {
                let url = link("button link", url, true)?;
                if url.is_empty() {
                    // A button whose link is empty for this shipment is left out.
                    continue;
                }
                Filled::Button {
                    label: text("button", label)?,
                    url,
                }
            }
            Block::Image { url, alt } => {
                let url = link("image", url, false)?;
                if url.is_empty() {
                    continue;
                }
                Filled::Image {
                    url,
                    alt: text("image text", alt)?,
                }
            }
            Block::Divider => Filled::Divider,
            Block::Html { raw } => Filled::Html(render_part(&format!("block {n} (html).html"), raw, vars)?),
        };
        out.push(filled);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(text: &str) -> Template {
        Template {
            id: TemplateId(1),
            name: "t".into(),
            channel: Channel::Sms,
            default_language: "sv".into(),
            contents: BTreeMap::from([(
                "sv".into(),
                TemplateBody {
                    text: text.into(),
                    ..Default::default()
                },
            )]),
            opt_out_footer: true,
        }
    }

    #[test]
    fn unknown_variable_is_named_with_its_line() {
        let err = sms("Hej {{ receiver_name }}!\nDitt paket {{ trackin_number }} är på väg")
            .check()
            .unwrap_err();
        assert_eq!(err.variable.as_deref(), Some("trackin_number"));
        assert_eq!(err.line, Some(2));
        assert!(err.to_string().contains("language sv"), "{err}");
    }

    #[test]
    fn syntax_error_names_the_line() {
        let err = sms("Hej\n{{ receiver_name }\n").check().unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("syntax error"), "{err}");
    }

    #[test]
    fn html_is_autoescaped_and_text_is_not() {
        let t = Template {
            id: TemplateId(1),
            name: "e".into(),
            channel: Channel::Email,
            default_language: "en".into(),
            contents: BTreeMap::from([(
                "en".into(),
                TemplateBody {
                    subject: Some("Hi {{ receiver_name }}".into()),
                    html: Some("<p>{{ receiver_name }}</p>".into()),
                    blocks: None,
                    text: "{{ receiver_name }}".into(),
                },
            )]),
            opt_out_footer: true,
        };
        let mut vars = empty_variables();
        vars.insert("receiver_name", "<b>Bo & Co</b>".into());
        let r = t.render(Some("sv"), &vars).unwrap();
        assert_eq!(r.language, "en");
        assert_eq!(r.html.unwrap(), "<p>&lt;b&gt;Bo &amp; Co&lt;&#x2f;b&gt;</p>");
        assert_eq!(r.text, "<b>Bo & Co</b>");
    }

    #[test]
    fn a_short_template_cannot_render_an_enormous_message() {
        let err = sms("{{ range(100000)|join(',') }}").check().unwrap_err();
        assert!(err.message.contains("renders more than 512 KiB"), "{err}");
        let err = sms("{{ range(1000)|join(',') }}").check().unwrap_err();
        assert!(
            err.message.contains("26 segments long") && err.message.contains("maximum of 6"),
            "{err}"
        );
        let six = MessageLimits::default();
        let two = MessageLimits { sms_segments: 2, ..six };
        let long = sms(&format!("{{{{ receiver_name }}}} {}", "a".repeat(300)));
        assert!(long.check_within(&six).is_ok());
        assert!(long.check_within(&two).is_err());
    }

    #[test]
    fn a_template_that_renders_nothing_for_the_sample_is_refused() {
        let err = sms("{% if false %}Hej{% endif %}").check().unwrap_err();
        assert!(err.message.contains("empty"), "{err}");
    }

    #[test]
    fn a_template_compiled_once_renders_each_time_with_its_own_text_and_fuel() {
        // The same part twice (the second from the compiled cache), then edited: each render
        // says what its own source says, and a runaway loop runs out of fuel every time.
        let vars = sample_variables();
        let first = sms("Hej {{ receiver_name }}, paket {{ tracking_number }}");
        let a = first.render(None, &vars).unwrap();
        assert_eq!(first.render(None, &vars).unwrap(), a);
        let edited = sms("Hallå {{ receiver_name }}");
        assert_ne!(edited.render(None, &vars).unwrap().text, a.text);
        assert!(edited.render(None, &vars).unwrap().text.starts_with("Hallå "));
        let runaway = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}";
        for _ in 0..2 {
            assert!(sms(runaway).check().is_err(), "fuel is per render, also when cached");
        }
        let unknown = sms("Hej {{ nobody }}");
        for _ in 0..2 {
            assert_eq!(unknown.check().unwrap_err().variable.as_deref(), Some("nobody"));
        }
    }

    #[test]
    fn runaway_loops_are_stopped() {
        let err = sms("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}")
            .check()
            .unwrap_err();
        assert!(err.message.contains("too much work"), "{err}");
    }
}
